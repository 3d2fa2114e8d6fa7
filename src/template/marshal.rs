//! Go's `encoding/json` view of a template value: what Helm's `toJson` and
//! `toYaml` (which goes through JSON) and Sprig's `toPrettyJson` /
//! `toRawJson` encode.

use super::value::{Map, Value};
use crate::yaml::Node;

/// How deep values may nest before encoding gives up (Go's encoder reports a
/// cycle once it has followed the same pointer too often).
const MAX_DEPTH: usize = 10_000;

/// The document Go's `json.Marshal` would write for `v`. Maps reached again
/// inside themselves are a cycle, as in Go.
pub fn to_json_node(v: &Value) -> Result<Node, String> {
    encode(v, &mut Vec::new(), 0)
}

/// `path` holds the maps being encoded: meeting one again is a cycle.
fn encode(v: &Value, path: &mut Vec<Map>, depth: usize) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err(cycle(v));
    }
    Ok(match v {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Node::Int(*i),
        Value::Float(f) => Node::Float(*f),
        Value::Str(t) => Node::Str(t.to_string()),
        Value::List(items) => Node::Seq(
            items
                .iter()
                .map(|x| encode(x, path, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) if m.is_nil() => Node::Null,
        Value::Map(m) => encode_map(v, m, path, depth)?,
        Value::Object(o) if o.type_name() == "complex128" => {
            return Err("json: unsupported type: complex128".into());
        }
        Value::Object(o) => {
            if let Some(replacement) = o.marshal_json() {
                return encode(&replacement, path, depth + 1);
            }
            if let Some(inner) = o.underlying() {
                return encode(&inner, path, depth + 1);
            }
            Node::Map(
                o.json_fields()
                    .iter()
                    .map(|(k, x)| Ok((k.clone(), encode(x, path, depth + 1)?)))
                    .collect::<Result<_, String>>()?,
            )
        }
    })
}

fn encode_map(v: &Value, m: &Map, path: &mut Vec<Map>, depth: usize) -> Result<Node, String> {
    if path.iter().any(|p| p.same(m)) {
        return Err(cycle(v));
    }
    path.push(m.clone());
    let entries = m
        .snapshot()
        .iter()
        .map(|(k, x)| Ok((k.clone(), encode(x, path, depth + 1)?)))
        .collect::<Result<_, String>>();
    path.pop();
    Ok(Node::Map(entries?))
}

fn cycle(v: &Value) -> String {
    format!(
        "json: unsupported value: encountered a cycle via {}",
        v.type_name()
    )
}
