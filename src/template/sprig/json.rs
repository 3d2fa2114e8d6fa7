//! Sprig's own JSON functions: `toPrettyJson`, `toRawJson`, `mustFromJson`
//! and their `must` forms (Helm replaces `toJson`, `fromJson` and
//! `mustToJson` with its own). Encoding and decoding follow Go's
//! `encoding/json`, through the YAML module's writers.

use super::{Ty, Value, def, s};
use crate::template::value::{Map, MapKind};
use crate::template::{Funcs, to_json_node};
use crate::yaml::{self, GoJson, Node, Numbers};

pub(super) fn register(f: &mut Funcs) {
    def(f, "toPrettyJson", &[Ty::Any], |a| {
        Ok(encode(&a[0], GoJson::Pretty).unwrap_or_default().into())
    });
    def(f, "mustToPrettyJson", &[Ty::Any], |a| {
        encode(&a[0], GoJson::Pretty).map(Value::from)
    });
    for name in ["toRawJson", "mustToRawJson"] {
        def(f, name, &[Ty::Any], |a| {
            encode(&a[0], GoJson::Raw).map(Value::from)
        });
    }
    def(f, "mustFromJson", &[Ty::Str], |a| {
        yaml::from_json(s(&a[0]), Numbers::Float64)
            .map(|n| from_node(&n))
            .map_err(|e| e.to_string())
    });
}

fn encode(v: &Value, style: GoJson) -> Result<String, String> {
    style.write(&to_json_node(v)?).map_err(|e| e.to_string())
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
