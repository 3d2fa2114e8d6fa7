//! JSON values ⇄ YAML text, for what tare prints (values, manifests) and reads
//! (guardrails config, extra values files). YAML goes through the Go-compatible
//! `crate::yaml`, so printed values read back in helm exactly as tare meant them.

use anyhow::{Context, Result, anyhow};
use serde_json::{Map, Number, Value};

use crate::yaml::{self, Node, Numbers};

/// One YAML document, as Helm's `toYaml` writes it.
pub fn to_yaml(value: &Value) -> Result<String> {
    yaml::to_yaml(&node_from_json(value)).map_err(|e| anyhow!("cannot write YAML: {}", e.message()))
}

/// Several manifests as one multi-document YAML stream.
pub fn to_yaml_stream(documents: &[Value]) -> Result<String> {
    let mut out = String::new();
    for document in documents {
        out.push_str("---\n");
        out.push_str(&to_yaml(document)?);
    }
    Ok(out)
}

/// Reads YAML the way Kubernetes does (integers stay integers); `what` names
/// the source in errors.
pub fn from_yaml(text: &str, what: &str) -> Result<Value> {
    let node = yaml::load(text, Numbers::Int64)
        .map_err(|e| anyhow!("{}", e.message()))
        .with_context(|| format!("{what} is not valid YAML"))?;
    Ok(json_from_node(node))
}

fn node_from_json(value: &Value) -> Node {
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Node::Int(i),
            None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Node::Str(s.clone()),
        Value::Array(items) => Node::Seq(items.iter().map(node_from_json).collect()),
        Value::Object(map) => Node::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), node_from_json(v)))
                .collect(),
        ),
    }
}

pub fn json_from_node(node: Node) -> Value {
    match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::Number(i.into()),
        Node::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => Value::Array(items.into_iter().map(json_from_node).collect()),
        Node::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, json_from_node(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_print_as_helm_prints_them() {
        let values = json!({ "global": { "serveUrl": "https://p.example", "on": "yes" }, "ha": { "enabled": true }, "count": 300 });
        assert_eq!(
            to_yaml(&values).unwrap(),
            "count: 300\nglobal:\n  \"on\": \"yes\"\n  serveUrl: https://p.example\nha:\n  enabled: true\n"
        );
    }

    #[test]
    fn a_stream_separates_documents() {
        let text = to_yaml_stream(&[json!({ "a": 1 }), json!({ "b": [] })]).unwrap();
        assert_eq!(text, "---\na: 1\n---\nb: []\n");
    }

    #[test]
    fn yaml_reads_back_with_integers_and_yaml_1_1_booleans() {
        let value = from_yaml("nodeSelector:\n  pool: gpu\ncount: 3\nflag: yes\n", "test").unwrap();
        assert_eq!(
            value,
            json!({ "nodeSelector": { "pool": "gpu" }, "count": 3, "flag": true })
        );
    }

    #[test]
    fn invalid_yaml_names_its_source() {
        let error = from_yaml("a: [", "guardrails config g.yaml").unwrap_err();
        assert!(format!("{error:#}").starts_with("guardrails config g.yaml is not valid YAML: "));
    }
}
