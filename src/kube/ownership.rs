//! Helm's ownership metadata: what marks an object as belonging to a release,
//! and the check that refuses to adopt objects owned by someone else.

use serde_json::{Value, json};

use crate::manifest::Manifest;

pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_HELM: &str = "Helm";
pub const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";

/// The release objects belong to.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseOwner<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
}

/// The manifest as sent to the API: Helm's label and annotations merged in
/// (Helm's keys win). The stored release manifest stays without them, as Helm's does.
pub fn with_ownership(manifest: &Manifest, owner: ReleaseOwner) -> Manifest {
    let mut object = manifest.object.clone();
    let metadata = &mut object["metadata"];
    set_key(metadata, "labels", MANAGED_BY_LABEL, MANAGED_BY_HELM);
    set_key(metadata, "annotations", RELEASE_NAME_ANNOTATION, owner.name);
    set_key(
        metadata,
        "annotations",
        RELEASE_NAMESPACE_ANNOTATION,
        owner.namespace,
    );
    Manifest {
        source: manifest.source.clone(),
        object,
    }
}

fn set_key(metadata: &mut Value, map: &str, key: &str, value: &str) {
    if !metadata[map].is_object() {
        metadata[map] = json!({});
    }
    metadata[map][key] = Value::String(value.to_string());
}

/// Helm's verdict on taking `live` into the release, worded as helm words it;
/// `operation` is `install` or `update`. `None` when the object is ours.
pub fn adoption_problem(live: &Value, owner: ReleaseOwner, operation: &str) -> Option<String> {
    let metadata = &live["metadata"];
    let checks = [
        ("label", "labels", MANAGED_BY_LABEL, MANAGED_BY_HELM),
        (
            "annotation",
            "annotations",
            RELEASE_NAME_ANNOTATION,
            owner.name,
        ),
        (
            "annotation",
            "annotations",
            RELEASE_NAMESPACE_ANNOTATION,
            owner.namespace,
        ),
    ];
    let problems: Vec<String> = checks
        .iter()
        .filter_map(|(what, map, key, want)| match metadata[*map][*key].as_str() {
            None => Some(format!("{what} validation error: missing key \"{key}\": must be set to \"{want}\"")),
            Some(got) if got != *want => Some(format!(
                "{what} validation error: key \"{key}\" must equal \"{want}\": current value is \"{got}\""
            )),
            Some(_) => None,
        })
        .collect();
    if problems.is_empty() {
        return None;
    }
    let kind = live["kind"].as_str().unwrap_or_default();
    let name = metadata["name"].as_str().unwrap_or_default();
    let namespace = metadata["namespace"].as_str().unwrap_or_default();
    Some(format!(
        "unable to continue with {operation}: {kind} \"{name}\" in namespace \"{namespace}\" exists and cannot be imported into the current release: invalid ownership metadata; {}",
        problems.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: ReleaseOwner = ReleaseOwner {
        name: "tars",
        namespace: "tars-system",
    };

    #[test]
    fn ownership_is_merged_into_existing_metadata() {
        let manifest = Manifest::new(
            "t.yaml",
            json!({ "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": "a", "labels": { "app": "x", MANAGED_BY_LABEL: "me" } } }),
        )
        .unwrap();
        let stamped = with_ownership(&manifest, OWNER);
        assert_eq!(
            stamped.object["metadata"],
            json!({ "name": "a",
                    "labels": { "app": "x", MANAGED_BY_LABEL: "Helm" },
                    "annotations": { RELEASE_NAME_ANNOTATION: "tars", RELEASE_NAMESPACE_ANNOTATION: "tars-system" } })
        );
    }

    #[test]
    fn an_unowned_object_is_refused_in_helms_words() {
        let live =
            json!({ "kind": "ConfigMap", "metadata": { "name": "a", "namespace": "tars-system" } });
        assert_eq!(
            adoption_problem(&live, OWNER, "install").unwrap(),
            "unable to continue with install: ConfigMap \"a\" in namespace \"tars-system\" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key \"app.kubernetes.io/managed-by\": must be set to \"Helm\"; annotation validation error: missing key \"meta.helm.sh/release-name\": must be set to \"tars\"; annotation validation error: missing key \"meta.helm.sh/release-namespace\": must be set to \"tars-system\""
        );
    }

    #[test]
    fn an_object_of_another_release_names_the_owner() {
        let live = json!({ "kind": "ConfigMap", "metadata": { "name": "a", "namespace": "ns",
            "labels": { MANAGED_BY_LABEL: "Helm" },
            "annotations": { RELEASE_NAME_ANNOTATION: "other", RELEASE_NAMESPACE_ANNOTATION: "tars-system" } } });
        let problem = adoption_problem(&live, OWNER, "update").unwrap();
        assert!(problem.ends_with(
            "invalid ownership metadata; annotation validation error: key \"meta.helm.sh/release-name\" must equal \"tars\": current value is \"other\""
        ), "{problem}");
    }

    #[test]
    fn our_own_object_passes() {
        let live = with_ownership(
            &Manifest::new(
                "t.yaml",
                json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "a" } }),
            )
            .unwrap(),
            OWNER,
        );
        assert_eq!(adoption_problem(&live.object, OWNER, "install"), None);
    }
}
