//! The live objects of a release's manifest, fetched as helm v4's
//! `helm status` fetches them (`kube.Client.Get` with related pods), and
//! printed as kubectl's table printer prints server-side tables.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use http::header::{ACCEPT, HeaderValue};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::discovery::{Scope, pinned_kind};
use kube::{Api, Client};
use serde_json::Value;

use crate::percent::percent_encode;
use crate::yaml::{Numbers, json_from_node, load, split_manifests};

/// What `helm status` shows of the objects, keyed like helm (`v1/ConfigMap`,
/// `v1/Pod(related)`; the group is left out). Helm walks its map in random
/// order; tare sorts the keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Resources {
    /// `-o table`: per key, the printed tables.
    Tables(BTreeMap<String, String>),
    /// `-o json|yaml`: per key, the objects as the API returns them (the
    /// related pods of a workload as one `PodList`).
    Objects(BTreeMap<String, Vec<Value>>),
}

/// Accept header of kubectl's (and helm's) table requests.
const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,\
                            application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// One object of the manifest.
struct Target {
    key: String,
    resource: ApiResource,
    namespace: Option<String>,
    name: String,
    /// `spec.selector(.matchLabels)` of workloads in the manifest, for their pods.
    pod_selector: Option<BTreeMap<String, String>>,
}

/// `-o table`: each object as a server-side table, with the pods of workloads.
pub async fn tables(client: &Client, manifest: &str, namespace: &str) -> Result<Resources> {
    let mut printer = TablePrinter::default();
    let mut tables: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_selectors = Vec::new();
    for target in targets(client, manifest, namespace).await? {
        let url = format!(
            "{}/{}?includeObject=Object",
            api(client, &target.resource, target.namespace.as_deref()).resource_url(),
            target.name
        );
        // helm notes a failed get in a buffer it never prints: the object is left out.
        let Ok(table) = get_table(client, &url).await else {
            continue;
        };
        let printed = printer.print(&table);
        tables
            .entry(target.key.clone())
            .or_default()
            .push_str(&printed);
        if let Some(pods) = related_pods(client, &target, &mut seen_selectors, true).await? {
            let printed = pods.first().map(|t| printer.print(t)).unwrap_or_default();
            tables
                .entry("v1/Pod(related)".into())
                .or_default()
                .push_str(&printed);
        }
    }
    Ok(Resources::Tables(tables))
}

/// `-o json|yaml`: each object as the API returns it, with the pods of workloads.
pub async fn objects(client: &Client, manifest: &str, namespace: &str) -> Result<Resources> {
    let mut objects: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut seen_selectors = Vec::new();
    for target in targets(client, manifest, namespace).await? {
        let url = format!(
            "{}/{}",
            api(client, &target.resource, target.namespace.as_deref()).resource_url(),
            target.name
        );
        // The object as the API server wrote it, untouched by typed models.
        let Ok(object) = get_json(client, &url).await else {
            continue;
        };
        objects.entry(target.key.clone()).or_default().push(object);
        if let Some(pods) = related_pods(client, &target, &mut seen_selectors, false).await? {
            objects
                .entry("v1/Pod(related)".into())
                .or_default()
                .extend(pods);
        }
    }
    Ok(Resources::Objects(objects))
}

fn api(client: &Client, resource: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
    match namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, resource),
        None => Api::all_with(client.clone(), resource),
    }
}

async fn get_json(client: &Client, url: &str) -> Result<Value> {
    let request = http::Request::get(url).body(Vec::new())?;
    Ok(client.request(request).await?)
}

async fn get_table(client: &Client, url: &str) -> Result<Value> {
    let mut request = http::Request::get(url).body(Vec::new())?;
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static(TABLE_ACCEPT));
    Ok(client.request(request).await?)
}

/// The pods of a workload, once per distinct selector (helm's
/// `getSelectRelationPod`): one table, or the pod objects.
async fn related_pods(
    client: &Client,
    target: &Target,
    seen: &mut Vec<BTreeMap<String, String>>,
    as_table: bool,
) -> Result<Option<Vec<Value>>> {
    let Some(selector) = &target.pod_selector else {
        return Ok(None);
    };
    if seen.contains(selector) {
        return Ok(None);
    }
    seen.push(selector.clone());
    let namespace = target.namespace.as_deref().unwrap_or("default");
    let label_selector = selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let pods = ApiResource::erase::<k8s_openapi::api::core::v1::Pod>(&());
    let api = api(client, &pods, Some(namespace));
    // helm logs a failed lookup of related pods and carries on.
    let url = format!(
        "{}?labelSelector={}",
        api.resource_url(),
        percent_encode(&label_selector)
    );
    if as_table {
        let url = format!("{url}&includeObject=Object");
        return Ok(get_table(client, &url).await.ok().map(|table| vec![table]));
    }
    let Ok(mut list) = get_json(client, &url).await else {
        return Ok(None);
    };
    // As client-go's unstructured list: every item says what it is.
    if let Some(items) = list.get_mut("items").and_then(Value::as_array_mut) {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            item.insert("apiVersion".into(), "v1".into());
            item.insert("kind".into(), "Pod".into());
        }
    }
    Ok(Some(vec![list]))
}

/// The objects of the manifest, in order, resolved through discovery.
async fn targets(client: &Client, manifest: &str, namespace: &str) -> Result<Vec<Target>> {
    let mut resolved: BTreeMap<(String, String), (ApiResource, bool)> = BTreeMap::new();
    let mut targets = Vec::new();
    for document in split_manifests(manifest) {
        let node = load(&document, Numbers::Int64)
            .map_err(|e| anyhow::anyhow!("{}", e.message()))
            .context("the release manifest is not valid YAML")?;
        let object = json_from_node(node);
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        let (Some(api_version), Some(kind), Some(name)) =
            (text("/apiVersion"), text("/kind"), text("/metadata/name"))
        else {
            continue;
        };
        let lookup = (api_version.to_string(), kind.to_string());
        if !resolved.contains_key(&lookup) {
            let (group, version) = match api_version.split_once('/') {
                Some((group, version)) => (group, version),
                None => ("", api_version),
            };
            let gvk = GroupVersionKind::gvk(group, version, kind);
            let (resource, capabilities) = pinned_kind(client, &gvk)
                .await
                .with_context(|| format!("the cluster does not serve {api_version} {kind}"))?;
            let namespaced = capabilities.scope == Scope::Namespaced;
            resolved.insert(lookup.clone(), (resource, namespaced));
        }
        let (resource, namespaced) = resolved[&lookup].clone();
        let version = resource.version.clone();
        let pod_selector = match kind {
            "ReplicaSet" | "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => {
                string_map(object.pointer("/spec/selector/matchLabels"))
            }
            "ReplicationController" => string_map(object.pointer("/spec/selector")),
            _ => None,
        };
        targets.push(Target {
            key: format!("{version}/{kind}"),
            resource,
            namespace: namespaced
                .then(|| text("/metadata/namespace").unwrap_or(namespace).to_string()),
            name: name.to_string(),
            pod_selector,
        });
    }
    Ok(targets)
}

/// `unstructured.NestedStringMap`: a map whose values are all strings.
fn string_map(value: Option<&Value>) -> Option<BTreeMap<String, String>> {
    value?
        .as_object()?
        .iter()
        .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

/// kubectl's `HumanReadablePrinter` for server-side tables: headers only
/// when the columns change, priority-0 columns, each table aligned on its
/// own by a tabwriter (min width 6, padding 3).
#[derive(Default)]
struct TablePrinter {
    last_columns: Option<Value>,
    printed_headers: bool,
}

impl TablePrinter {
    fn print(&mut self, table: &Value) -> String {
        let columns = table
            .get("columnDefinitions")
            .cloned()
            .unwrap_or(Value::Null);
        let rows = table
            .get("rows")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let column_list = columns.as_array().cloned().unwrap_or_default();
        let mut no_headers = self.printed_headers
            && (column_list.is_empty() || Some(&columns) == self.last_columns.as_ref());
        if !column_list.is_empty() && Some(&columns) != self.last_columns.as_ref() {
            self.last_columns = Some(columns.clone());
            self.printed_headers = false;
            no_headers = false;
        }
        if !rows.is_empty() {
            self.printed_headers = true;
        }
        let shown: Vec<bool> = column_list
            .iter()
            .map(|c| c.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0)
            .collect();
        let mut lines: Vec<Vec<String>> = Vec::new();
        if !no_headers {
            if rows.is_empty() {
                return String::new();
            }
            lines.push(
                column_list
                    .iter()
                    .zip(&shown)
                    .filter(|(_, shown)| **shown)
                    .map(|(c, _)| {
                        c.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_uppercase()
                    })
                    .collect(),
            );
        }
        for row in &rows {
            let cells = row
                .get("cells")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            lines.push(
                cells
                    .iter()
                    .take(column_list.len())
                    .zip(&shown)
                    .filter(|(_, shown)| **shown)
                    .map(|(cell, _)| cell_text(cell))
                    .collect(),
            );
        }
        tabwriter(&lines)
    }
}

fn cell_text(cell: &Value) -> String {
    let text = match cell {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match text.find(['\n', '\r', '\x0c']) {
        Some(at) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// Go's `text/tabwriter` as kubectl configures it, for lines whose cells
/// are all tab-terminated but the last.
fn tabwriter(lines: &[Vec<String>]) -> String {
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![6usize; columns];
    for line in lines {
        for (i, cell) in line.iter().enumerate().take(line.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.chars().count() + 3);
        }
    }
    let mut out = String::new();
    for line in lines {
        for (i, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < line.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_print_like_kubectl() {
        let table = json!({
            "columnDefinitions": [{"name": "Name", "priority": 0}, {"name": "Data", "priority": 0},
                                  {"name": "Wide", "priority": 1}, {"name": "Age", "priority": 0}],
            "rows": [{"cells": ["r4-records", 2, "x", "42s"]}]
        });
        let mut printer = TablePrinter::default();
        assert_eq!(
            printer.print(&table),
            "NAME         DATA   AGE\nr4-records   2      42s\n"
        );
        assert_eq!(
            printer.print(&table),
            "r4-records   2     42s\n",
            "same columns: no header, and aligned on its own"
        );
        let empty = json!({"columnDefinitions": [{"name": "Name"}], "rows": []});
        assert_eq!(printer.print(&empty), "");
    }

    #[test]
    fn cells_stop_at_line_breaks() {
        assert_eq!(cell_text(&json!("a\nb")), "a...");
        assert_eq!(cell_text(&json!(null)), "");
        assert_eq!(cell_text(&json!(true)), "true");
    }

    #[test]
    fn selectors_are_string_maps() {
        assert_eq!(
            string_map(Some(&json!({"app": "x"}))),
            Some(BTreeMap::from([("app".to_string(), "x".to_string())]))
        );
        assert_eq!(string_map(Some(&json!({"app": 1}))), None);
    }
}
