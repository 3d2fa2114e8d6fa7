//! A rendered Kubernetes object and Helm's rules for ordering them.
//!
//! Rendering produces manifests; the release engine applies them. Both need the
//! same notion of "what is this object" and Helm's kind order, so it lives here.

use anyhow::{Result, anyhow, bail};
use serde_json::Value;

use crate::yaml::json_from_node;
use crate::yaml::{self, Numbers};

/// One object from a rendered chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The template it came from, e.g. `serve-helm/templates/controller/deployment.yaml`.
    pub source: String,
    pub object: Value,
}

impl Manifest {
    /// Wraps a decoded object, checking it has what every Kubernetes object needs.
    pub fn new(source: impl Into<String>, object: Value) -> Result<Manifest> {
        let source = source.into();
        let manifest = Manifest { source, object };
        for (field, value) in [
            ("apiVersion", manifest.api_version()),
            ("kind", manifest.kind()),
            ("metadata.name", manifest.name()),
        ] {
            if value.is_empty() {
                bail!("{}: object has no {field}", manifest.source);
            }
        }
        Ok(manifest)
    }

    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }

    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }

    /// The namespace written in the manifest, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.object["metadata"]["namespace"]
            .as_str()
            .filter(|ns| !ns.is_empty())
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.object["metadata"]["annotations"][key].as_str()
    }

    /// `Kind/name` (with the namespace when set), for messages.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {}/{}", self.kind(), ns, self.name()),
            None => format!("{} {}", self.kind(), self.name()),
        }
    }

    /// Whether `helm.sh/resource-policy: keep` protects it from deletion.
    pub fn is_kept(&self) -> bool {
        self.annotation("helm.sh/resource-policy")
            .is_some_and(|policy| policy.trim() == "keep")
    }
}

/// Parses a manifest stream as Helm stores it in a release (`---`, then
/// `# Source: <template>`, then the document), flattening `kind: List`
/// objects and skipping empty documents, in stream order.
pub fn parse_stream(text: &str) -> Result<Vec<Manifest>> {
    let mut manifests = Vec::new();
    for document in yaml::split_manifests(text) {
        let source = document
            .lines()
            .find_map(|line| line.strip_prefix("# Source: "))
            .unwrap_or("manifest")
            .to_string();
        let node = yaml::load(&document, Numbers::Int64)
            .map_err(|e| anyhow!("YAML parse error on {source}: {}", e.message()))?;
        match json_from_node(node) {
            Value::Null => {}
            Value::Object(object) if object.get("kind").and_then(Value::as_str) == Some("List") => {
                for item in object
                    .get("items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    manifests.push(Manifest::new(source.clone(), item.clone())?);
                }
            }
            object @ Value::Object(_) => manifests.push(Manifest::new(source, object)?),
            other => bail!("{source}: a manifest must be a map, not {other}"),
        }
    }
    Ok(manifests)
}

/// Helm v4's install order; unknown kinds go after these, alphabetically.
const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Sort key of a kind in Helm's install order: known kinds by rank, then the
/// rest by name.
pub fn install_rank(kind: &str) -> (usize, &str) {
    match INSTALL_ORDER.iter().position(|k| *k == kind) {
        Some(rank) => (rank, ""),
        None => (INSTALL_ORDER.len(), kind),
    }
}

/// Sorts stably into Helm's install order (the given order is kept within a kind).
pub fn sort_for_install(manifests: &mut [Manifest]) {
    manifests.sort_by(|a, b| install_rank(a.kind()).cmp(&install_rank(b.kind())));
}

/// Sorts stably into Helm's uninstall order: the exact reverse of install order.
pub fn sort_for_uninstall(manifests: &mut [Manifest]) {
    sort_for_install(manifests);
    manifests.reverse();
}

/// Splits manifests sorted for install into stages applied one after the
/// other, the objects of a stage concurrently. A stage is a run of Helm's
/// order whose objects cannot depend on each other at admission: what pods
/// are admitted against (namespaces, quotas, service accounts) comes before
/// them, roles before the bindings that grant them, services and workloads
/// before the API services and webhooks they back, and custom resources last.
/// Helm itself applies one kind at a time; the fewer round trips matter on a
/// slow API server.
pub fn stages(manifests: &[Manifest]) -> Vec<&[Manifest]> {
    manifests
        .chunk_by(|a, b| apply_phase(a.kind()) == apply_phase(b.kind()))
        .collect()
}

/// The stage of a kind: the first kind of each stage, in install order, opens
/// it; kinds Helm does not know (custom resources) come after all of them.
fn apply_phase(kind: &str) -> usize {
    const STAGE_OPENERS: &[&str] = &[
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "ClusterRoleBinding",
        "RoleBinding",
        "APIService",
        "MutatingWebhookConfiguration",
    ];
    let (rank, _) = install_rank(kind);
    if rank == INSTALL_ORDER.len() {
        return STAGE_OPENERS.len() + 1;
    }
    STAGE_OPENERS
        .iter()
        .filter(|opener| install_rank(opener).0 <= rank)
        .count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest(kind: &str, name: &str) -> Manifest {
        Manifest::new(
            "t.yaml",
            json!({ "apiVersion": "v1", "kind": kind, "metadata": { "name": name } }),
        )
        .unwrap()
    }

    fn kinds_and_names(manifests: &[Manifest]) -> Vec<String> {
        manifests
            .iter()
            .map(|m| format!("{}/{}", m.kind(), m.name()))
            .collect()
    }

    #[test]
    fn install_order_follows_helm_and_puts_unknown_kinds_last_alphabetically() {
        let mut manifests = vec![
            manifest("Foo", "f"),
            manifest("Deployment", "d1"),
            manifest("Aardvark", "a"),
            manifest("Namespace", "n"),
            manifest("Deployment", "d2"),
            manifest("CustomResourceDefinition", "c"),
        ];
        sort_for_install(&mut manifests);
        assert_eq!(
            kinds_and_names(&manifests),
            [
                "Namespace/n",
                "CustomResourceDefinition/c",
                "Deployment/d1",
                "Deployment/d2",
                "Aardvark/a",
                "Foo/f"
            ]
        );
        sort_for_uninstall(&mut manifests);
        assert_eq!(kinds_and_names(&manifests)[0], "Foo/f");
        assert_eq!(kinds_and_names(&manifests)[5], "Namespace/n");
    }

    #[test]
    fn stages_keep_admission_dependencies_apart_and_batch_the_rest() {
        let mut manifests = vec![
            manifest("Gateway", "g"),
            manifest("Service", "s"),
            manifest("RoleBinding", "rb"),
            manifest("Deployment", "a"),
            manifest("Role", "r"),
            manifest("ServiceAccount", "sa"),
            manifest("ConfigMap", "c"),
            manifest("Namespace", "n"),
            manifest("ValidatingWebhookConfiguration", "v"),
            manifest("ClusterRole", "cr"),
            manifest("ClusterRoleBinding", "crb"),
            manifest("GatewayClass", "gc"),
        ];
        sort_for_install(&mut manifests);
        let stages: Vec<Vec<String>> = stages(&manifests)
            .iter()
            .map(|stage| kinds_and_names(stage))
            .collect();
        assert_eq!(
            stages,
            [
                vec!["Namespace/n"],
                vec!["ServiceAccount/sa", "ConfigMap/c"],
                vec!["ClusterRole/cr"],
                vec!["ClusterRoleBinding/crb", "Role/r"],
                vec!["RoleBinding/rb", "Service/s", "Deployment/a"],
                vec!["ValidatingWebhookConfiguration/v"],
                vec!["Gateway/g", "GatewayClass/gc"],
            ]
        );
    }

    #[test]
    fn a_manifest_needs_api_version_kind_and_name() {
        let error = Manifest::new(
            "x.yaml",
            json!({ "kind": "ConfigMap", "metadata": { "name": "a" } }),
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "x.yaml: object has no apiVersion");
    }

    #[test]
    fn a_stored_stream_parses_with_sources_and_flattened_lists() {
        let text = "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  count: 1\n---\n# Source: c/templates/empty.yaml\n---\n# Source: c/templates/list.yaml\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n";
        let manifests = parse_stream(text).unwrap();
        let described: Vec<(String, String)> = manifests
            .iter()
            .map(|m| (m.source.clone(), m.describe()))
            .collect();
        assert_eq!(
            described,
            [
                ("c/templates/a.yaml".to_string(), "ConfigMap a".to_string()),
                ("c/templates/list.yaml".to_string(), "Secret s".to_string()),
            ]
        );
        assert_eq!(
            manifests[0].object["data"]["count"], 1,
            "integers stay integers"
        );
    }

    #[test]
    fn the_keep_policy_is_read_from_annotations() {
        let kept = Manifest::new(
            "x.yaml",
            json!({ "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": "a", "annotations": { "helm.sh/resource-policy": "keep" } } }),
        )
        .unwrap();
        assert!(kept.is_kept());
        assert!(!manifest("ConfigMap", "b").is_kept());
    }
}
