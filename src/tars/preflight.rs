//! Checks that run before `tare upgrade` changes anything: the cluster
//! answers, the credentials may do what the upgrade does, and the data plane
//! is HA so that rolling Envoy does not cut live LLM streams.

use anyhow::{Context, Result, bail};
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::{Client, core::GroupVersionKind};

use crate::kube::Access;

/// Fails unless the API server answers.
pub async fn cluster_reachable(client: &Client) -> Result<()> {
    let version = client.apiserver_version().await.context(
        "the cluster does not answer: check KUBECONFIG (or --kube-context) and the network",
    )?;
    eprintln!(
        "cluster reachable (Kubernetes {}.{})",
        version.major, version.minor
    );
    Ok(())
}

/// Fails with every missing permission named, in one line. An upgrade
/// rewrites release records, upserts CRDs and rolls workloads.
pub async fn upgrade_permitted(client: &Client, namespace: &str) -> Result<()> {
    let needed = [
        ("list", "", "secrets", Some(namespace)),
        ("create", "", "secrets", Some(namespace)),
        ("update", "", "secrets", Some(namespace)),
        (
            "patch",
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            None,
        ),
        ("patch", "apps", "deployments", Some(namespace)),
    ];
    let mut denied = Vec::new();
    for (verb, group, resource, namespace) in needed {
        let access = Access {
            verb,
            group,
            resource,
            namespace,
        };
        if !access.allowed(client).await? {
            denied.push(access.to_string());
        }
    }
    if !denied.is_empty() {
        bail!(
            "forbidden: these credentials may not {}; tare upgrade needs them (ask a cluster admin, or pick another context with --kube-context)",
            denied.join(", ")
        );
    }
    eprintln!("permissions: ok");
    Ok(())
}

/// What the EnvoyProxy says about the data plane's Envoy replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HaState {
    /// The HPA floor is at least 2.
    Ha(i64),
    /// The HPA floor is below 2.
    SingleReplica(i64),
    /// No EnvoyProxy, or it could not be read: the operator verifies HA.
    Unknown(String),
}

/// Reads `spec.provider.kubernetes.envoyHpa.minReplicas` of the EnvoyProxy
/// objects in the system namespace; the lowest floor decides.
pub async fn envoy_ha_state(client: &Client, namespace: &str) -> HaState {
    let gvk = GroupVersionKind::gvk("gateway.envoyproxy.io", "v1alpha1", "EnvoyProxy");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "envoyproxies");
    let proxies: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let list = match proxies.list(&ListParams::default()).await {
        Ok(list) => list,
        Err(error) => return HaState::Unknown(format!("cannot read EnvoyProxy objects: {error}")),
    };
    let floors: Vec<i64> = list
        .items
        .iter()
        .filter_map(|proxy| {
            proxy.data["spec"]["provider"]["kubernetes"]["envoyHpa"]["minReplicas"].as_i64()
        })
        .collect();
    match floors.iter().min() {
        None if list.items.is_empty() => {
            HaState::Unknown(format!("no EnvoyProxy in namespace {namespace}"))
        }
        None => HaState::Unknown("the EnvoyProxy has no envoyHpa.minReplicas".into()),
        Some(&floor) if floor >= 2 => HaState::Ha(floor),
        Some(&floor) => HaState::SingleReplica(floor),
    }
}

/// The upgrade reference's refusal for a single-replica data plane.
pub fn single_replica_refusal(min_replicas: i64, identity_file: &str) -> String {
    format!(
        "data-plane Envoy is single-replica (envoyHpa.minReplicas={min_replicas}).\n\
         Upgrading now will RST in-flight LLM streams.\n\n\
         Fix HA first (idempotent, takes ~1m):\n\
         tare install --ha {identity_file}\n\n\
         Or force this upgrade with downtime:\n\
         tare upgrade {identity_file} --allow-downtime"
    )
}
