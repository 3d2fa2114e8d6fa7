//! Differential tests: `testdata/cases.json` holds templates with the output or
//! error that Go 1.26's `text/template` gave for them with Sprig v3.3.0's
//! functions (as Helm v4.1.4 configures them), on the same data.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::template::{Funcs, Map, MapKind, MissingKey, TemplateSet, Value};

fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
        Json::String(s) => Value::str(s),
        Json::Array(a) => Value::list(a.iter().map(from_json).collect()),
        Json::Object(o) => {
            let entries: BTreeMap<String, Value> =
                o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect();
            Value::Map(Map::from_entries(MapKind::Any, entries))
        }
    }
}

/// The oracle's data: the JSON, plus values JSON can't express.
fn data(j: &Json) -> Value {
    let d = from_json(j);
    if let Value::Map(m) = &d {
        m.insert("i64", Value::Int64(42));
        m.insert("i", Value::Int(7));
        let vals = Map::new(MapKind::HelmValues);
        vals.insert("a", Value::Float(1.0));
        let inner = Map::default();
        inner.insert("x", Value::str("y"));
        vals.insert("m", Value::Map(inner));
        m.insert("vals", Value::Map(vals));
    }
    d
}

pub(super) fn render(tpl: &str, data: Value) -> Result<String, String> {
    let mut funcs = Funcs::new();
    super::register(&mut funcs);
    let mut set = TemplateSet::new("gotpl", funcs);
    set.set_missing_key(MissingKey::Zero);
    set.parse("t", tpl).map_err(|e| e.to_string())?;
    set.execute("t", data)
        .map(|out| out.replace("<no value>", ""))
        .map_err(|e| e.to_string())
}

#[test]
fn matches_go_sprig() {
    let file: Json = serde_json::from_str(include_str!("testdata/cases.json"))
        .unwrap_or_else(|e| panic!("bad test data: {e}"));
    let cases = file["cases"].as_array().map_or(&[][..], |v| v.as_slice());
    let mut failures = vec![];
    for case in cases {
        let tpl = case["tpl"].as_str().unwrap_or_default();
        let want_err = case["err"].as_str().unwrap_or_default();
        let want = if want_err.is_empty() {
            Ok(case["out"].as_str().unwrap_or_default().to_string())
        } else {
            Err(want_err.to_string())
        };
        let got = render(tpl, data(&file["data"]));
        if got != want {
            failures.push(format!("{tpl}\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
