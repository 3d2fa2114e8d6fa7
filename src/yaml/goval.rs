//! yaml.v2's own decoded value (`interface{}` holding
//! `map[interface{}]interface{}`), for what only Go's value decides:
//! sigs.k8s.io/yaml's refusal of map keys JSON cannot hold, and how Go
//! prints values in those messages.
//!
//! Go builds the whole value first (a repeated key replaces the earlier
//! value, and a bad key inside it with it), then converts it to JSON form,
//! checking each map's keys before descending into their values. Keys are
//! Go values: `1` and `1.0` are different keys, `~` and `null` the same.

use std::cmp::Ordering;

use super::gonum::{Layout, format_float};
use super::load::{Build, Scalar};
use crate::template::{go_quote, string_from_bytes};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum GoValue {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoValue>),
    Map(Vec<(GoValue, GoValue)>),
}

/// The [`Build`] that makes [`GoValue`]s.
pub(super) struct GoValues;

impl<'g> Build<'g> for GoValues {
    type Out = GoValue;
    type Map = Vec<(GoValue, GoValue)>;

    fn scalar(&mut self, scalar: Scalar<'g>) -> GoValue {
        match scalar {
            Scalar::Null => GoValue::Nil,
            Scalar::Bool(b) => GoValue::Bool(b),
            Scalar::Int(i) => GoValue::Int(i),
            Scalar::Uint(u) => GoValue::Uint(u),
            Scalar::Float(f) => GoValue::Float(f),
            Scalar::Str(s) => GoValue::Str(s.into_owned()),
            // Go strings hold any bytes (kept as tare's raw-byte characters).
            Scalar::Bytes(bytes) => GoValue::Str(string_from_bytes(&bytes)),
        }
    }

    fn seq(&mut self, items: Vec<GoValue>) -> GoValue {
        GoValue::Seq(items)
    }

    /// A Go map assignment: an equal key (same type, same value; NaN equals
    /// nothing) takes the new value.
    fn insert(
        &mut self,
        map: &mut Self::Map,
        _: Option<std::borrow::Cow<'g, str>>,
        key: GoValue,
        value: GoValue,
    ) {
        match map.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => map.push((key, value)),
        }
    }

    fn map(&mut self, map: Self::Map) -> GoValue {
        GoValue::Map(map)
    }
}

/// sigs.k8s.io/yaml's conversion to JSON form: the first map key it
/// cannot turn into a string, worded as it words it. (Go visits a map's
/// entries in random order; with one bad entry per map that does not
/// matter.)
pub(super) fn unsupported_key(value: &GoValue) -> Option<String> {
    match value {
        GoValue::Seq(items) => items.iter().find_map(unsupported_key),
        GoValue::Map(entries) => entries.iter().find_map(|(key, value)| {
            let described = match key {
                GoValue::Nil => Some("%!s(<nil>), key: <nil>".to_string()),
                GoValue::Uint(u) => Some(format!("uint64, key: {u:#x}")),
                _ => None,
            };
            match described {
                Some(described) => Some(format!(
                    "unsupported map key of type: {described}, value: {}",
                    plus_sharp_v(value)
                )),
                None => unsupported_key(value),
            }
        }),
        _ => None,
    }
}

/// Go's `%+#v` of a value held in an `interface{}`.
pub(super) fn plus_sharp_v(value: &GoValue) -> String {
    match value {
        GoValue::Nil => "<nil>".into(),
        other => sharp_v(other),
    }
}

/// Go's `%#v` of a value inside an `[]interface{}` or a map.
pub(super) fn sharp_v(value: &GoValue) -> String {
    match value {
        GoValue::Nil => "interface {}(nil)".into(),
        GoValue::Bool(b) => b.to_string(),
        GoValue::Int(i) => i.to_string(),
        GoValue::Uint(u) => format!("{u:#x}"),
        GoValue::Float(f) => format_float(*f, Layout::General, false),
        GoValue::Str(s) => go_quote(s),
        GoValue::Seq(items) => {
            let inner: Vec<String> = items.iter().map(sharp_v).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        GoValue::Map(entries) => {
            let mut sorted: Vec<&(GoValue, GoValue)> = entries.iter().collect();
            sorted.sort_by(|a, b| fmt_order(&a.0, &b.0));
            let inner: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}:{}", sharp_v(k), sharp_v(v)))
                .collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// The order Go's fmt prints map keys in: nil first, then by type, then
/// by value. Types compare by the address of their descriptor in the
/// binary; this is their order in helm v4.1.4 (seen in its messages).
fn fmt_order(a: &GoValue, b: &GoValue) -> Ordering {
    let rank = |v: &GoValue| match v {
        GoValue::Nil => 0,
        GoValue::Str(_) => 1,
        GoValue::Uint(_) => 2,
        GoValue::Int(_) => 3,
        GoValue::Float(_) => 4,
        GoValue::Bool(_) => 5,
        GoValue::Seq(_) | GoValue::Map(_) => 6,
    };
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (GoValue::Str(x), GoValue::Str(y)) => x.cmp(y),
        (GoValue::Uint(x), GoValue::Uint(y)) => x.cmp(y),
        (GoValue::Int(x), GoValue::Int(y)) => x.cmp(y),
        // NaN sorts before every other float.
        (GoValue::Float(x), GoValue::Float(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        },
        (GoValue::Bool(x), GoValue::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_prints_maps_with_keys_in_its_type_order() {
        let map = GoValue::Map(vec![
            (GoValue::Bool(true), GoValue::Int(3)),
            (GoValue::Float(1.5), GoValue::Float(1.0)),
            (GoValue::Int(0), GoValue::Int(2)),
            (GoValue::Uint(u64::MAX), GoValue::Nil),
            (
                GoValue::Str("a".into()),
                GoValue::Str("\u{2028}\x07".into()),
            ),
            (GoValue::Nil, GoValue::Seq(vec![GoValue::Nil])),
        ]);
        assert_eq!(
            sharp_v(&map),
            "map[interface {}]interface {}{interface {}(nil):[]interface {}{interface {}(nil)}, \
             \"a\":\"\\u2028\\a\", 0xffffffffffffffff:interface {}(nil), 0:2, 1.5:1, true:3}"
        );
    }

    #[test]
    fn the_first_bad_key_is_reported_with_its_value() {
        let value = GoValue::Map(vec![(
            GoValue::Str("ok".into()),
            GoValue::Map(vec![(GoValue::Nil, GoValue::Int(1))]),
        )]);
        assert_eq!(
            unsupported_key(&value).as_deref(),
            Some("unsupported map key of type: %!s(<nil>), key: <nil>, value: 1")
        );
    }
}
