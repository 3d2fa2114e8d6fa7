//! JSON values ⇄ YAML text, for what tare prints (values, manifests) and reads
//! (guardrails config, extra values files). YAML goes through the Go-compatible
//! `crate::yaml`, so printed values read back in helm exactly as tare meant them.

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::yaml::{self, Numbers, json_from_node, node_from_json};

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
