//! [`Node`] ⇄ `serde_json::Value`, for code that holds documents as serde
//! JSON (release records, printed values) and writes them with this module.

use serde_json::{Map, Number, Value};

use super::Node;

/// A serde JSON value as a [`Node`]: integers that fit in `i64` stay
/// integers, every other number is a float (as Go's decoders type them).
pub fn node_from_json(value: &Value) -> Node {
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

/// A [`Node`] as a serde JSON value. NaN and infinities, which JSON cannot
/// hold, become `null`.
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
