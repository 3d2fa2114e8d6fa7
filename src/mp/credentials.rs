//! The identity as the chart mounts it in the tare-doctor pod: the
//! `tars-identity` Secret (`token`) and ConfigMap (`workspace-id`,
//! `management-plane-url`, …) projected into one directory.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use crate::tars::identity::Identity;

/// Reads the identity from a directory of one file per key.
pub fn identity_from_dir(dir: &Path) -> Result<Identity> {
    let mut fields = BTreeMap::new();
    for key in [
        "token",
        "credential-type",
        "workspace-id",
        "customer",
        "management-plane-url",
    ] {
        let path = dir.join(key);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the mounted identity {}", path.display()))?;
        fields.insert(key.to_string(), text.trim().to_string());
    }
    identity_from_fields(&fields).with_context(|| format!("identity in {}", dir.display()))
}

/// Builds an identity from the keys of the `tars-identity` Secret and ConfigMap.
pub fn identity_from_fields(fields: &BTreeMap<String, String>) -> Result<Identity> {
    let field = |key: &str| fields.get(key).cloned().unwrap_or_default();
    let text = json!({
        "credentialType": field("credential-type"),
        "workspaceId": field("workspace-id"),
        "customer": field("customer"),
        "managementPlaneUrl": field("management-plane-url"),
        "token": field("token"),
    })
    .to_string();
    let now = jiff::Timestamp::now().as_second();
    Ok(Identity::parse(&text, now)?)
}

/// Reads the identity tare install stored in the cluster: the
/// `tars-identity` Secret's token and ConfigMap's fields.
pub async fn identity_from_cluster(client: &kube::Client, namespace: &str) -> Result<Identity> {
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    use kube::Api;

    use crate::tars::resources::IDENTITY_SECRET;

    let where_ = format!("{namespace}/{IDENTITY_SECRET}");
    let config_map = Api::<ConfigMap>::namespaced(client.clone(), namespace)
        .get_opt(IDENTITY_SECRET)
        .await
        .with_context(|| format!("cannot read ConfigMap {where_}"))?
        .with_context(|| {
            format!("ConfigMap {where_} is missing: is the data plane installed here?")
        })?;
    let secret = Api::<Secret>::namespaced(client.clone(), namespace)
        .get_opt(IDENTITY_SECRET)
        .await
        .with_context(|| format!("cannot read Secret {where_}"))?
        .with_context(|| format!("Secret {where_} is missing: run tare install again"))?;
    let mut fields = config_map.data.unwrap_or_default();
    let token = secret
        .data
        .unwrap_or_default()
        .remove("token")
        .with_context(|| format!("Secret {where_} has no token: run tare install again"))?;
    fields.insert(
        "token".to_string(),
        String::from_utf8(token.0)
            .with_context(|| format!("Secret {where_}: token is not text"))?,
    );
    identity_from_fields(&fields).with_context(|| format!("identity in {where_}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln";

    #[test]
    fn the_mounted_identity_reads_one_file_per_key() {
        let dir = tempfile::tempdir().unwrap();
        for (key, value) in [
            ("token", TOKEN),
            ("credential-type", "dataplane-credential"),
            ("credential-id", "ignored"),
            ("workspace-id", "ws-7\n"),
            ("customer", "acme"),
            ("management-plane-url", "https://mp.example.test"),
        ] {
            std::fs::write(dir.path().join(key), value).unwrap();
        }
        let identity = identity_from_dir(dir.path()).unwrap();
        assert_eq!(identity.workspace_id, "ws-7");
        assert_eq!(identity.token(), TOKEN);
    }

    #[test]
    fn a_missing_mounted_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let error = format!("{:#}", identity_from_dir(dir.path()).unwrap_err());
        assert!(
            error.starts_with("cannot read the mounted identity "),
            "{error}"
        );
        assert!(error.contains("/token"), "{error}");
    }
}
