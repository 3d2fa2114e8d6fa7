//! Taking over objects from client-side apply (helm v3, kubectl apply): the
//! fields a manager owns through `Update` entries move into its `Apply` entry,
//! as client-go's csaupgrade does. Without this, server-side apply under the
//! same manager name conflicts with those fields and can never prune them.

use anyhow::{Context, Result};
use kube::api::{Patch, PatchParams};
use serde_json::{Map, Value, json};

use super::apply::Applier;
use crate::manifest::Manifest;

/// Rewrites the live object's managedFields so that `manager`'s client-side
/// ownership becomes server-side ownership. A missing object, or one without
/// client-side entries for `manager`, is left alone.
pub async fn adopt_client_side_fields(
    applier: &Applier,
    manifest: &Manifest,
    default_namespace: &str,
    manager: &str,
) -> Result<()> {
    let (api, reference) = applier.locate(manifest, default_namespace).await?;
    let Some(live) = api.get_opt(&reference.name).await? else {
        return Ok(());
    };
    let live = serde_json::to_value(&live)?;
    let entries = live["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(migrated) = migrate_entries(&entries, manager) else {
        return Ok(());
    };
    let patch = json!({
        "metadata": {
            "managedFields": migrated,
            "resourceVersion": live["metadata"]["resourceVersion"],
        }
    });
    api.patch(
        &reference.name,
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .with_context(|| {
        format!("moving {reference}'s client-side field ownership to server-side apply")
    })?;
    Ok(())
}

/// The new managedFields, or `None` when `manager` has no client-side entry.
fn migrate_entries(entries: &[Value], manager: &str) -> Option<Vec<Value>> {
    let is = |entry: &Value, operation: &str| {
        entry["manager"] == manager
            && entry["operation"] == operation
            && entry["subresource"].as_str().unwrap_or_default().is_empty()
    };
    let client_side: Vec<&Value> = entries.iter().filter(|e| is(e, "Update")).collect();
    if client_side.is_empty() {
        return None;
    }
    let server_side = entries.iter().find(|e| is(e, "Apply"));
    let mut fields = server_side.map_or_else(|| json!({}), |e| e["fieldsV1"].clone());
    for entry in &client_side {
        union_into(&mut fields, &entry["fieldsV1"]);
    }
    let template = server_side.unwrap_or(client_side[0]);
    let mut apply_entry = template.clone();
    apply_entry["operation"] = json!("Apply");
    apply_entry["fieldsType"] = json!("FieldsV1");
    apply_entry["fieldsV1"] = fields;
    let mut result: Vec<Value> = entries
        .iter()
        .filter(|e| !is(e, "Update") && !is(e, "Apply"))
        .cloned()
        .collect();
    result.push(apply_entry);
    Some(result)
}

/// Set union of two FieldsV1 trees (maps of maps; leaves are `{}`).
fn union_into(into: &mut Value, from: &Value) {
    let Some(from) = from.as_object() else {
        return;
    };
    if !into.is_object() {
        *into = Value::Object(Map::new());
    }
    let into = into.as_object_mut().expect("made an object above");
    for (key, child) in from {
        union_into(into.entry(key.clone()).or_insert_with(|| json!({})), child);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_side_fields_join_the_server_side_entry_of_the_same_manager() {
        let entries = vec![
            json!({ "manager": "helm", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
                    "fieldsV1": { "f:data": { "f:message": {} } } }),
            json!({ "manager": "helm", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
                    "fieldsV1": { "f:data": { "f:other": {} } } }),
            json!({ "manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
                    "fieldsV1": { "f:metadata": {} } }),
        ];
        let migrated = migrate_entries(&entries, "helm").unwrap();
        assert_eq!(migrated.len(), 2);
        assert_eq!(
            migrated[0]["manager"], "kubectl-edit",
            "other managers are untouched"
        );
        assert_eq!(migrated[1]["operation"], "Apply");
        assert_eq!(
            migrated[1]["fieldsV1"],
            json!({ "f:data": { "f:message": {}, "f:other": {} } })
        );
    }

    #[test]
    fn a_client_side_only_manager_becomes_an_apply_manager() {
        let entries = vec![
            json!({ "manager": "helm", "operation": "Update", "apiVersion": "v1",
                                   "fieldsV1": { "f:data": {} }, "time": "2026-01-01T00:00:00Z" }),
        ];
        let migrated = migrate_entries(&entries, "helm").unwrap();
        assert_eq!(migrated[0]["operation"], "Apply");
        assert_eq!(migrated[0]["fieldsV1"], json!({ "f:data": {} }));
    }

    #[test]
    fn nothing_to_do_without_client_side_entries() {
        let entries = vec![json!({ "manager": "helm", "operation": "Apply", "fieldsV1": {} })];
        assert_eq!(migrate_entries(&entries, "helm"), None);
    }
}
