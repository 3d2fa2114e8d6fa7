//! Every check of `tare doctor`, in the order of the installation guide's
//! list. Each reads the cluster and returns one verdict with its reason; an
//! API error makes that check a Warning ("cannot check"), never a crash.

use std::future::Future;

use anyhow::Result;
use serde_json::Value;

use super::cluster::*;
use super::conditions::judge;
use super::health::{Check, Health, combine};
use crate::tars::identity::Identity;
use crate::tars::resources::IDENTITY_SECRET;

/// Names the embedded chart gives the objects the checks look for.
const GATEWAY_NAME: &str = "egress";
const ENVOY_PROXY_NAME: &str = "tars-egress-proxy";
const EGRESS_IMAGE: &str = "envoy-tars";
/// The controllers in the system namespace, by the product they belong to.
const CONTROLLERS: [&str; 4] = [
    "controller",
    "controller-worker",
    "ai-gateway-controller",
    "envoy-gateway",
];
/// Restarts of this sidecar are expected (it exits when tars-config changes).
const CRASH_LOOP_EXEMPT: &str = "tars-config-monitor";
/// The CRDs the data plane needs: Gateway API, Envoy Gateway, AI gateway, TARS.
const REQUIRED_CRDS: [&str; 19] = [
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "grpcroutes.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
    "backendtlspolicies.gateway.networking.k8s.io",
    "envoyproxies.gateway.envoyproxy.io",
    "envoypatchpolicies.gateway.envoyproxy.io",
    "envoyextensionpolicies.gateway.envoyproxy.io",
    "backends.gateway.envoyproxy.io",
    "backendtrafficpolicies.gateway.envoyproxy.io",
    "clienttrafficpolicies.gateway.envoyproxy.io",
    "securitypolicies.gateway.envoyproxy.io",
    "httproutefilters.gateway.envoyproxy.io",
    "aigatewayroutes.aigateway.envoyproxy.io",
    "aiservicebackends.aigateway.envoyproxy.io",
    "backendsecuritypolicies.aigateway.envoyproxy.io",
    "mcproutes.aigateway.envoyproxy.io",
    "tarsroutedeployments.tars.tetrate.ai",
];
/// Runs every check, in order.
pub async fn run_all(cluster: &Cluster, identity: &Identity) -> Vec<Check> {
    let acceptance = |name, kind, required: &'static [&'static str], missing| {
        acceptance(cluster, name, kind, required, missing)
    };
    vec![
        namespaces(cluster).await,
        crds(cluster).await,
        controllers(cluster).await,
        proxy_deployment(cluster).await,
        gateway(cluster).await,
        acceptance(
            "EnvoyPatchPolicy acceptance (per instance)",
            ENVOY_PATCH_POLICY,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "EnvoyProxy acceptance (per instance)",
            ENVOY_PROXY,
            &["Accepted"],
            Health::Ok,
        )
        .await,
        egress_image(cluster).await,
        identity_objects(cluster, identity).await,
        acceptance(
            "AIServiceBackend acceptance",
            AI_SERVICE_BACKEND,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "Envoy Gateway Backend acceptance",
            BACKEND,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "BackendTrafficPolicy acceptance",
            BACKEND_TRAFFIC_POLICY,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "BackendSecurityPolicy acceptance",
            BACKEND_SECURITY_POLICY,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "BackendTLSPolicy acceptance",
            BACKEND_TLS_POLICY,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "ClientTrafficPolicy acceptance",
            CLIENT_TRAFFIC_POLICY,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "HTTPRouteFilter presence/acceptance",
            HTTP_ROUTE_FILTER,
            &["Accepted"],
            Health::Ok,
        )
        .await,
        reference_grants(cluster).await,
        acceptance(
            "RouteDeployment status conditions",
            ROUTE_DEPLOYMENT,
            &["Ready"],
            Health::Warning,
        )
        .await,
        acceptance(
            "AIGatewayRoute acceptance/resolution",
            AI_GATEWAY_ROUTE,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        acceptance(
            "HTTPRoute parent acceptance/resolution",
            HTTP_ROUTE,
            &["Accepted", "ResolvedRefs"],
            Health::Warning,
        )
        .await,
        acceptance(
            "MCPRoute parent acceptance/resolution",
            MCP_ROUTE,
            &["Accepted"],
            Health::Warning,
        )
        .await,
        proxy_endpoints(cluster).await,
        crash_loops(cluster).await,
    ]
}

/// Runs a check body; an error reading the cluster becomes a Warning.
async fn guarded<F>(name: &'static str, body: F) -> Check
where
    F: Future<Output = Result<Check>>,
{
    body.await.unwrap_or_else(|error| {
        Check::new(name, Health::Warning, format!("cannot check: {error:#}"))
    })
}

async fn namespaces(cluster: &Cluster) -> Check {
    const NAME: &str = "Namespace existence (system, dataplane)";
    guarded(NAME, async {
        let mut findings = Vec::new();
        for namespace in [&cluster.system_namespace, &cluster.dataplane_namespace] {
            findings.push(match cluster.get(NAMESPACE, None, namespace).await? {
                Some(_) => (Health::Ok, format!("namespace {namespace} exists")),
                None => (Health::Broken, format!("namespace {namespace} is missing")),
            });
        }
        Ok(combine(NAME, findings, "both namespaces exist"))
    })
    .await
}

async fn crds(cluster: &Cluster) -> Check {
    const NAME: &str = "CRD presence (Gateway API, AI Gateway, RouteDeployment)";
    guarded(NAME, async {
        let mut findings = Vec::new();
        for name in REQUIRED_CRDS {
            findings.push(match cluster.get(CRD, None, name).await? {
                None => (Health::Broken, format!("CRD {name} is missing")),
                Some(crd) => match judge(&crd, &["Established"], Health::Warning) {
                    (Health::Ok, _) => (Health::Ok, format!("CRD {name} is established")),
                    (health, why) => (health, format!("CRD {name}: {why}")),
                },
            });
        }
        Ok(combine(
            NAME,
            findings,
            &format!("all {} CRDs established", REQUIRED_CRDS.len()),
        ))
    })
    .await
}

/// Ready when every desired replica is ready and the newest spec is rolled out.
fn deployment_ready(deployment: &Value) -> (Health, String) {
    let name = qualified(deployment);
    let desired = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    let status = &deployment["status"];
    let ready = status["readyReplicas"].as_i64().unwrap_or(0);
    let updated = status["updatedReplicas"].as_i64().unwrap_or(0);
    if ready >= desired && updated >= desired {
        (Health::Ok, format!("{name}: {ready}/{desired} ready"))
    } else {
        (
            Health::Broken,
            format!("{name}: {ready}/{desired} replicas ready"),
        )
    }
}

async fn controllers(cluster: &Cluster) -> Check {
    const NAME: &str = "Controller deployments ready (TARS, AI Gateway, Envoy Gateway)";
    guarded(NAME, async {
        let mut findings = Vec::new();
        for name in CONTROLLERS {
            let namespace = &cluster.system_namespace;
            findings.push(
                match cluster.get(DEPLOYMENT, Some(namespace), name).await? {
                    Some(deployment) => deployment_ready(&deployment),
                    None => (
                        Health::Broken,
                        format!("{namespace}/{name}: Deployment is missing"),
                    ),
                },
            );
        }
        Ok(combine(NAME, findings, "all controllers ready"))
    })
    .await
}

async fn proxy_deployment(cluster: &Cluster) -> Check {
    const NAME: &str = "Proxy deployment ready";
    guarded(NAME, async {
        let namespace = &cluster.dataplane_namespace;
        let finding = match cluster
            .get(DEPLOYMENT, Some(namespace), GATEWAY_NAME)
            .await?
        {
            Some(deployment) => deployment_ready(&deployment),
            None => (
                Health::Broken,
                format!("{namespace}/{GATEWAY_NAME}: Envoy Gateway has not deployed the proxy"),
            ),
        };
        Ok(combine(NAME, vec![finding], "the proxy is ready"))
    })
    .await
}

async fn gateway(cluster: &Cluster) -> Check {
    const NAME: &str = "GatewayClass and Gateway accepted/programmed";
    guarded(NAME, async {
        let namespace = &cluster.dataplane_namespace;
        let Some(gateway) = cluster.get(GATEWAY, Some(namespace), GATEWAY_NAME).await? else {
            return Ok(Check::new(
                NAME,
                Health::Broken,
                format!("Gateway {namespace}/{GATEWAY_NAME} is missing"),
            ));
        };
        let class_name = gateway["spec"]["gatewayClassName"]
            .as_str()
            .unwrap_or_default();
        let class = match cluster.get(GATEWAY_CLASS, None, class_name).await? {
            Some(class) => labelled(
                &format!("GatewayClass {class_name}"),
                judge(&class, &["Accepted"], Health::Warning),
            ),
            None => (
                Health::Broken,
                format!("GatewayClass {class_name} is missing"),
            ),
        };
        let gateway = labelled(
            &format!("Gateway {namespace}/{GATEWAY_NAME}"),
            judge(&gateway, &["Accepted", "Programmed"], Health::Warning),
        );
        Ok(combine(
            NAME,
            vec![class, gateway],
            "GatewayClass accepted, Gateway accepted and programmed",
        ))
    })
    .await
}

fn labelled(what: &str, (health, text): (Health, String)) -> (Health, String) {
    (health, format!("{what}: {text}"))
}

/// Every instance of `kind` in the data plane's namespaces must report the
/// `required` conditions `True`; none at all is fine (nothing configured yet).
async fn acceptance(
    cluster: &Cluster,
    name: &'static str,
    kind: Kind,
    required: &'static [&'static str],
    missing: Health,
) -> Check {
    guarded(name, async {
        let objects = cluster.list_in_data_plane(kind).await?;
        let findings = objects
            .iter()
            .map(|object| labelled(&qualified(object), judge(object, required, missing)))
            .collect();
        let all_ok = match objects.len() {
            0 => format!("no {} present", kind.kind),
            n => format!("{n} {} ok", kind.kind),
        };
        Ok(combine(name, findings, &all_ok))
    })
    .await
}

async fn egress_image(cluster: &Cluster) -> Check {
    const NAME: &str = "Egress EnvoyProxy image uses envoy-tars";
    guarded(NAME, async {
        let namespace = &cluster.system_namespace;
        let Some(proxy) = cluster
            .get(ENVOY_PROXY, Some(namespace), ENVOY_PROXY_NAME)
            .await?
        else {
            return Ok(Check::new(
                NAME,
                Health::Broken,
                format!("EnvoyProxy {namespace}/{ENVOY_PROXY_NAME} is missing"),
            ));
        };
        let image =
            proxy["spec"]["provider"]["kubernetes"]["envoyDeployment"]["container"]["image"]
                .as_str()
                .unwrap_or_default();
        let repository = image.rsplit('/').next().unwrap_or_default();
        Ok(if repository.starts_with(EGRESS_IMAGE) {
            Check::new(NAME, Health::Ok, format!("image {image}"))
        } else if image.is_empty() {
            Check::new(
                NAME,
                Health::Broken,
                "no image set: Envoy Gateway would run stock Envoy without the TARS filters",
            )
        } else {
            Check::new(
                NAME,
                Health::Broken,
                format!("image {image} is not {EGRESS_IMAGE}"),
            )
        })
    })
    .await
}

async fn identity_objects(cluster: &Cluster, identity: &Identity) -> Check {
    const NAME: &str = "Identity Secret and ConfigMap present";
    guarded(NAME, async {
        let namespace = &cluster.system_namespace;
        let secret = match cluster.get(SECRET, Some(namespace), IDENTITY_SECRET).await? {
            Some(secret) if secret["data"]["token"].as_str().is_some_and(|t| !t.is_empty()) => {
                (Health::Ok, format!("Secret {namespace}/{IDENTITY_SECRET} holds a token"))
            }
            Some(_) => (Health::Broken, format!("Secret {namespace}/{IDENTITY_SECRET} has no token")),
            None => (Health::Broken, format!("Secret {namespace}/{IDENTITY_SECRET} is missing")),
        };
        let config_map = match cluster.get(CONFIG_MAP, Some(namespace), IDENTITY_SECRET).await? {
            None => (Health::Broken, format!("ConfigMap {namespace}/{IDENTITY_SECRET} is missing")),
            Some(cm) => match cm["data"]["workspace-id"].as_str().unwrap_or_default() {
                id if id == identity.workspace_id => {
                    (Health::Ok, format!("ConfigMap {namespace}/{IDENTITY_SECRET} names workspace {id}"))
                }
                id => (
                    Health::Warning,
                    format!("ConfigMap {namespace}/{IDENTITY_SECRET} names workspace \"{id}\", the identity file {}", identity.workspace_id),
                ),
            },
        };
        Ok(combine(NAME, vec![secret, config_map], "both present"))
    })
    .await
}

/// Routes in the data plane namespace reach backends elsewhere only through
/// a ReferenceGrant; without routes none is needed yet.
async fn reference_grants(cluster: &Cluster) -> Check {
    const NAME: &str = "ReferenceGrant presence";
    guarded(NAME, async {
        let grants = cluster.list_in_data_plane(REFERENCE_GRANT).await?;
        let routes = cluster.list_in_data_plane(AI_GATEWAY_ROUTE).await?.len()
            + cluster.list_in_data_plane(HTTP_ROUTE).await?.len();
        Ok(match (grants.len(), routes) {
            (0, 0) => Check::new(NAME, Health::Ok, "no routes yet, so no ReferenceGrant needed"),
            (0, _) => Check::new(NAME, Health::Warning, format!("{routes} routes but no ReferenceGrant: cross-namespace backend references will not resolve")),
            (n, _) => Check::new(NAME, Health::Ok, format!("{n} ReferenceGrant present"))
                .with_details(grants.iter().map(qualified).collect()),
        })
    })
    .await
}

async fn proxy_endpoints(cluster: &Cluster) -> Check {
    const NAME: &str = "Proxy admin and forward endpoints";
    guarded(NAME, async {
        let namespace = &cluster.dataplane_namespace;
        if cluster
            .get(SERVICE, Some(namespace), GATEWAY_NAME)
            .await?
            .is_none()
        {
            return Ok(Check::new(
                NAME,
                Health::Broken,
                format!("Service {namespace}/{GATEWAY_NAME} is missing"),
            ));
        }
        let selector = format!("kubernetes.io/service-name={GATEWAY_NAME}");
        let slices = cluster.list(ENDPOINT_SLICE, namespace, &selector).await?;
        let ready = slices
            .iter()
            .flat_map(|slice| slice["endpoints"].as_array().into_iter().flatten())
            .filter(|endpoint| endpoint["conditions"]["ready"].as_bool() != Some(false))
            .count();
        Ok(match ready {
            0 => Check::new(
                NAME,
                Health::Broken,
                format!("Service {namespace}/{GATEWAY_NAME} has no ready endpoint"),
            ),
            n => Check::new(
                NAME,
                Health::Ok,
                format!("Service {namespace}/{GATEWAY_NAME} has {n} ready endpoints"),
            ),
        })
    })
    .await
}

async fn crash_loops(cluster: &Cluster) -> Check {
    const NAME: &str = "Pod CrashLoopBackOff (excluding tars-config-monitor)";
    guarded(NAME, async {
        let pods = cluster.list_in_data_plane(POD).await?;
        let findings = pods
            .iter()
            .flat_map(|pod| {
                let statuses = ["initContainerStatuses", "containerStatuses"]
                    .into_iter()
                    .flat_map(|key| pod["status"][key].as_array().into_iter().flatten());
                statuses
                    .filter(|c| {
                        c["state"]["waiting"]["reason"].as_str() == Some("CrashLoopBackOff")
                    })
                    .filter(|c| c["name"].as_str() != Some(CRASH_LOOP_EXEMPT))
                    .map(|c| {
                        (
                            Health::Broken,
                            format!(
                                "pod {} container {} is in CrashLoopBackOff ({} restarts)",
                                qualified(pod),
                                c["name"].as_str().unwrap_or("?"),
                                c["restartCount"].as_i64().unwrap_or(0)
                            ),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Ok(combine(
            NAME,
            findings,
            &format!("no pod crash-looping ({} pods)", pods.len()),
        ))
    })
    .await
}
