//! What the checks read: objects of the data plane's kinds, as JSON, from
//! the system and data plane namespaces.

use anyhow::{Context, Result};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};
use serde_json::Value;

/// A kind the doctor reads, with its API group, served version and plural.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

const fn kind(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
) -> Kind {
    Kind {
        group,
        version,
        kind,
        plural,
    }
}

const GATEWAY_API: &str = "gateway.networking.k8s.io";
const ENVOY_GATEWAY: &str = "gateway.envoyproxy.io";
const AI_GATEWAY: &str = "aigateway.envoyproxy.io";

pub const NAMESPACE: Kind = kind("", "v1", "Namespace", "namespaces");
pub const CRD: Kind = kind(
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
);
pub const DEPLOYMENT: Kind = kind("apps", "v1", "Deployment", "deployments");
pub const SECRET: Kind = kind("", "v1", "Secret", "secrets");
pub const CONFIG_MAP: Kind = kind("", "v1", "ConfigMap", "configmaps");
pub const SERVICE: Kind = kind("", "v1", "Service", "services");
pub const POD: Kind = kind("", "v1", "Pod", "pods");
pub const ENDPOINT_SLICE: Kind = kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices");
pub const GATEWAY_CLASS: Kind = kind(GATEWAY_API, "v1", "GatewayClass", "gatewayclasses");
pub const GATEWAY: Kind = kind(GATEWAY_API, "v1", "Gateway", "gateways");
pub const HTTP_ROUTE: Kind = kind(GATEWAY_API, "v1", "HTTPRoute", "httproutes");
pub const REFERENCE_GRANT: Kind = kind(GATEWAY_API, "v1beta1", "ReferenceGrant", "referencegrants");
pub const BACKEND_TLS_POLICY: Kind =
    kind(GATEWAY_API, "v1", "BackendTLSPolicy", "backendtlspolicies");
pub const ENVOY_PROXY: Kind = kind(ENVOY_GATEWAY, "v1alpha1", "EnvoyProxy", "envoyproxies");
pub const ENVOY_PATCH_POLICY: Kind = kind(
    ENVOY_GATEWAY,
    "v1alpha1",
    "EnvoyPatchPolicy",
    "envoypatchpolicies",
);
pub const BACKEND: Kind = kind(ENVOY_GATEWAY, "v1alpha1", "Backend", "backends");
pub const BACKEND_TRAFFIC_POLICY: Kind = kind(
    ENVOY_GATEWAY,
    "v1alpha1",
    "BackendTrafficPolicy",
    "backendtrafficpolicies",
);
pub const CLIENT_TRAFFIC_POLICY: Kind = kind(
    ENVOY_GATEWAY,
    "v1alpha1",
    "ClientTrafficPolicy",
    "clienttrafficpolicies",
);
pub const HTTP_ROUTE_FILTER: Kind = kind(
    ENVOY_GATEWAY,
    "v1alpha1",
    "HTTPRouteFilter",
    "httproutefilters",
);
pub const AI_SERVICE_BACKEND: Kind = kind(
    AI_GATEWAY,
    "v1alpha1",
    "AIServiceBackend",
    "aiservicebackends",
);
pub const BACKEND_SECURITY_POLICY: Kind = kind(
    AI_GATEWAY,
    "v1alpha1",
    "BackendSecurityPolicy",
    "backendsecuritypolicies",
);
pub const AI_GATEWAY_ROUTE: Kind =
    kind(AI_GATEWAY, "v1alpha1", "AIGatewayRoute", "aigatewayroutes");
pub const MCP_ROUTE: Kind = kind(AI_GATEWAY, "v1alpha1", "MCPRoute", "mcproutes");
pub const ROUTE_DEPLOYMENT: Kind = kind(
    "tars.tetrate.ai",
    "v1alpha1",
    "RouteDeployment",
    "tarsroutedeployments",
);

/// The cluster as the checks see it.
pub struct Cluster {
    pub client: Client,
    pub system_namespace: String,
    pub dataplane_namespace: String,
}

impl Cluster {
    fn api(&self, kind: Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        let api_version = match kind.group {
            "" => kind.version.to_string(),
            group => format!("{group}/{}", kind.version),
        };
        let resource = ApiResource {
            group: kind.group.to_string(),
            version: kind.version.to_string(),
            api_version,
            kind: kind.kind.to_string(),
            plural: kind.plural.to_string(),
        };
        match namespace {
            Some(namespace) => Api::namespaced_with(self.client.clone(), namespace, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        }
    }

    /// One object; `None` when it does not exist.
    pub async fn get(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>> {
        let object = self
            .api(kind, namespace)
            .get_opt(name)
            .await
            .with_context(|| format!("cannot read {} {name}", kind.kind))?;
        object.map(to_json).transpose()
    }

    /// The objects of `kind` in the system and data plane namespaces.
    pub async fn list_in_data_plane(&self, kind: Kind) -> Result<Vec<Value>> {
        let mut objects = self.list(kind, &self.system_namespace, "").await?;
        if self.dataplane_namespace != self.system_namespace {
            objects.extend(self.list(kind, &self.dataplane_namespace, "").await?);
        }
        Ok(objects)
    }

    /// The objects of `kind` in `namespace` matching a label selector.
    pub async fn list(&self, kind: Kind, namespace: &str, selector: &str) -> Result<Vec<Value>> {
        let items = self
            .api(kind, Some(namespace))
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(|error| match &error {
                kube::Error::Api(status) if status.code == 404 => {
                    anyhow::anyhow!("the {} CRD is not installed", kind.kind)
                }
                _ => anyhow::Error::new(error)
                    .context(format!("cannot list {} in {namespace}", kind.plural)),
            })?
            .items;
        items.into_iter().map(to_json).collect()
    }
}

fn to_json(object: DynamicObject) -> Result<Value> {
    Ok(serde_json::to_value(object)?)
}

/// `namespace/name` of a listed object, for messages.
pub fn qualified(object: &Value) -> String {
    let metadata = &object["metadata"];
    match metadata["namespace"].as_str() {
        Some(namespace) => format!("{namespace}/{}", metadata["name"].as_str().unwrap_or("?")),
        None => metadata["name"].as_str().unwrap_or("?").to_string(),
    }
}
