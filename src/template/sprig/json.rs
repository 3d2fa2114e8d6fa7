//! Sprig's own JSON functions: `toPrettyJson`, `toRawJson`, `mustFromJson`
//! and their `must` forms (Helm replaces `toJson`, `fromJson` and
//! `mustToJson` with its own). Encoding and decoding follow Go's
//! `encoding/json`, through the YAML module's writers.

use super::{Ty, Value, as_list, def, s};
use crate::template::Funcs;
use crate::template::value::{Map, MapKind};
use crate::yaml::{self, Node, Numbers};

pub(super) fn register(f: &mut Funcs) {
    def(f, "toPrettyJson", &[Ty::Any], |a| {
        Ok(encode(&a[0], yaml::to_pretty_json)
            .unwrap_or_default()
            .into())
    });
    def(f, "mustToPrettyJson", &[Ty::Any], |a| {
        encode(&a[0], yaml::to_pretty_json).map(Value::from)
    });
    for name in ["toRawJson", "mustToRawJson"] {
        def(f, name, &[Ty::Any], |a| {
            encode(&a[0], yaml::to_raw_json).map(Value::from)
        });
    }
    def(f, "mustFromJson", &[Ty::Str], |a| {
        yaml::from_json(s(&a[0]), Numbers::Float64)
            .map(|n| from_node(&n))
            .map_err(|e| e.to_string())
    });
}

fn encode(v: &Value, writer: fn(&Node) -> Result<String, yaml::Error>) -> Result<String, String> {
    let node = to_node(v, &mut Vec::new(), 0)?;
    writer(&node).map_err(|e| e.to_string())
}

/// `path` holds the maps being encoded: meeting one again is a cycle.
fn to_node(v: &Value, path: &mut Vec<Map>, depth: usize) -> Result<Node, String> {
    if depth > super::MAX_NESTING {
        return Err(format!(
            "json: unsupported value: encountered a cycle via {}",
            v.type_name()
        ));
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
                .map(|x| to_node(x, path, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => map_node(v, m, path, depth)?,
        Value::Object(o) => {
            if let Some(items) = as_list(v) {
                return to_node(&Value::List(items), path, depth + 1);
            }
            if let Some(inner) = o.underlying() {
                return to_node(&inner, path, depth + 1);
            }
            if let Some(text) = o.stringer() {
                return Ok(Node::Str(text));
            }
            Node::Map(
                o.struct_fields()
                    .iter()
                    .map(|(k, x)| Ok((k.clone(), to_node(x, path, depth + 1)?)))
                    .collect::<Result<_, String>>()?,
            )
        }
    })
}

fn map_node(v: &Value, m: &Map, path: &mut Vec<Map>, depth: usize) -> Result<Node, String> {
    if path.iter().any(|p| p.same(m)) {
        return Err(format!(
            "json: unsupported value: encountered a cycle via {}",
            v.type_name()
        ));
    }
    path.push(m.clone());
    let entries = m
        .snapshot()
        .iter()
        .map(|(k, x)| Ok((k.clone(), to_node(x, path, depth + 1)?)))
        .collect::<Result<_, String>>();
    path.pop();
    Ok(Node::Map(entries?))
}

fn from_node(n: &Node) -> Value {
    match n {
        Node::Null => Value::Nil,
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i) => Value::Float(*i as f64),
        Node::Float(f) => Value::Float(*f),
        Node::Str(t) => Value::str(t),
        Node::Seq(items) => Value::list(items.iter().map(from_node).collect()),
        Node::Map(entries) => {
            let m = Map::new(MapKind::Any);
            for (k, x) in entries {
                m.insert(k.clone(), from_node(x));
            }
            Value::Map(m)
        }
    }
}
