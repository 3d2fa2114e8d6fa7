//! Helm's own template functions, on top of Sprig's.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::files::{node_to_value, to_yaml_string};
use super::render::strip_no_value;
use crate::template::{Call, Func, Funcs, Map, MapKind, Ty, TypedList, Value, to_json_node};
use crate::yaml::{self, GoJson, Node, Numbers, Target};

/// Marks the messages of `required` and `fail`, which Helm reports as
/// `execution error at (<file>:<line>:<col>): <message>`.
pub(crate) const WARN_START: &str = "HELM_ERR_START";
pub(crate) const WARN_END: &str = "HELM_ERR_END";

/// Nested `include`s of one name allowed before Helm gives up.
const RECURSION_MAX: usize = 1000;

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn map_value(entries: Vec<(String, Value)>) -> Value {
    Value::Map(Map::from_entries(
        MapKind::Any,
        entries.into_iter().collect(),
    ))
}

/// Adds Helm's functions (`include`, `tpl`, `toYaml`, …) to `funcs`.
pub(crate) fn register(funcs: &mut Funcs) {
    let included: Rc<RefCell<HashMap<String, usize>>> = Rc::default();
    funcs.insert("include", include_func(included));
    funcs.insert("tpl", tpl_func());
    funcs.insert(
        "required",
        Func::new(&[Ty::Str, Ty::Any], |_, args| {
            let warn = args[0].as_str().unwrap_or("").to_string();
            match &args[1] {
                Value::Nil => Err(format!("{WARN_START}{warn}{WARN_END}")),
                Value::Str(s) if s.is_empty() => Err(format!("{WARN_START}{warn}{WARN_END}")),
                other => Ok(other.clone()),
            }
        }),
    );
    funcs.insert(
        "fail",
        Func::new(&[Ty::Str], |_, args| {
            Err(format!(
                "{WARN_START}{}{WARN_END}",
                args[0].as_str().unwrap_or("")
            ))
        }),
    );
    funcs.insert(
        "toYaml",
        Func::new(&[Ty::Any], |_, args| {
            Ok(Value::from(to_yaml_string(&args[0]).unwrap_or_default()))
        }),
    );
    funcs.insert(
        "mustToYaml",
        Func::new(&[Ty::Any], |_, args| {
            to_yaml_string(&args[0]).map(Value::from)
        }),
    );
    funcs.insert(
        "toYamlPretty",
        Func::new(&[Ty::Any], |_, args| {
            let text = to_json_node(&args[0])
                .ok()
                .and_then(|node| yaml::to_yaml_pretty(&node).ok())
                .unwrap_or_default();
            Ok(Value::from(text.strip_suffix('\n').unwrap_or(&text)))
        }),
    );
    funcs.insert(
        "fromYaml",
        Func::new(&[Ty::Str], |_, args| {
            let text = args[0].as_str().unwrap_or("");
            Ok(decoded_map(yaml::load_as(
                text,
                Numbers::Float64,
                Target::Map("map[string]interface {}"),
            )))
        }),
    );
    funcs.insert(
        "fromYamlArray",
        Func::new(&[Ty::Str], |_, args| {
            let text = args[0].as_str().unwrap_or("");
            Ok(decoded_list(yaml::load_as(
                text,
                Numbers::Float64,
                Target::Seq("[]interface {}"),
            )))
        }),
    );
    funcs.insert(
        "toJson",
        Func::new(&[Ty::Any], |_, args| {
            Ok(Value::from(
                to_json_node(&args[0])
                    .ok()
                    .and_then(|n| GoJson::Compact.write(&n).ok())
                    .unwrap_or_default(),
            ))
        }),
    );
    funcs.insert(
        "mustToJson",
        Func::new(&[Ty::Any], |_, args| {
            let node = to_json_node(&args[0])?;
            GoJson::Compact
                .write(&node)
                .map(Value::from)
                .map_err(|e| e.to_string())
        }),
    );
    funcs.insert(
        "fromJson",
        Func::new(&[Ty::Str], |_, args| {
            let text = args[0].as_str().unwrap_or("");
            // `json.Unmarshal` of `null` leaves the map nil.
            Ok(
                match yaml::from_json_as(
                    text,
                    Numbers::Float64,
                    Target::Map("map[string]interface {}"),
                ) {
                    Ok(Node::Null) => Value::Map(Map::nil(MapKind::Any)),
                    decoded => decoded_map(decoded),
                },
            )
        }),
    );
    funcs.insert(
        "fromJsonArray",
        Func::new(&[Ty::Str], |_, args| {
            let text = args[0].as_str().unwrap_or("");
            // `json.Unmarshal` of `null` makes the slice nil.
            Ok(
                match yaml::from_json_as(text, Numbers::Float64, Target::Seq("[]interface {}")) {
                    Ok(Node::Null) => TypedList::nil("[]interface {}"),
                    decoded => decoded_list(decoded),
                },
            )
        }),
    );
    funcs.insert(
        "toToml",
        Func::new(&[Ty::Any], |_, args| {
            Ok(Value::from(match to_json_node(&args[0]) {
                Ok(node) => toml(&node),
                Err(e) => e,
            }))
        }),
    );
    funcs.insert(
        "lookup",
        Func::new(&[Ty::Str, Ty::Str, Ty::Str, Ty::Str], |_, _| {
            Ok(map_value(Vec::new()))
        }),
    );
    funcs.insert(
        "getHostByName",
        Func::new(&[Ty::Str], |_, _| Ok(Value::from(""))),
    );
}

fn include_func(included: Rc<RefCell<HashMap<String, usize>>>) -> Func {
    Func::new(&[Ty::Str, Ty::Any], move |call: &mut Call<'_, '_>, args| {
        let name = args[0].as_str().unwrap_or("");
        {
            let mut counts = included.borrow_mut();
            let count = match counts.get_mut(name) {
                Some(count) => count,
                None => counts.entry(name.to_string()).or_insert(0),
            };
            if *count > RECURSION_MAX {
                return Err(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                ));
            }
            *count += 1;
        }
        let result = call.execute_template(name, args[1].clone());
        if let Some(count) = included.borrow_mut().get_mut(name) {
            *count = count.saturating_sub(1);
        }
        result.map(Value::from).map_err(|e| e.to_string())
    })
}

fn tpl_func() -> Func {
    Func::new(&[Ty::Str, Ty::Any], move |call: &mut Call<'_, '_>, args| {
        let text = args[0].as_str().unwrap_or("");
        let mut set = call.set().clone();
        set.parse("gotpl", text)
            .map_err(|e| format!("cannot parse template {}: {e}", go_quote(text)))?;
        let out = call
            .execute_in(&set, "gotpl", args[1].clone())
            .map_err(|e| {
                format!(
                    "error during tpl function execution for {}: {e}",
                    go_quote(text)
                )
            })?;
        Ok(Value::from(strip_no_value(out)))
    })
}

// ----- toToml --------------------------------------------------------------

fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_string()
    } else {
        go_quote(key)
    }
}

fn toml_scalar(node: &Node) -> Option<String> {
    Some(match node {
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e17 {
                format!("{f:.1}")
            } else {
                format!("{f}")
            }
        }
        Node::Str(s) => go_quote(s),
        Node::Seq(items) => {
            let parts: Option<Vec<String>> = items.iter().map(toml_scalar).collect();
            format!("[{}]", parts?.join(", "))
        }
        Node::Null | Node::Map(_) => return None,
    })
}

/// BurntSushi/toml's encoder, for the shapes charts use: scalars first, then
/// tables, with `[a.b]` headers.
fn toml(node: &Node) -> String {
    let mut out = String::new();
    toml_table(node, &mut Vec::new(), &mut out);
    out
}

fn toml_table(node: &Node, path: &mut Vec<String>, out: &mut String) {
    let Node::Map(entries) = node else {
        return;
    };
    let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    // Keys sit one level deeper than their table's header.
    let indent = "  ".repeat(path.len());
    for (k, v) in &sorted {
        if let Some(text) = toml_scalar(v) {
            out.push_str(&format!("{indent}{} = {text}\n", toml_key(k)));
        }
    }
    for (k, v) in &sorted {
        if matches!(v, Node::Map(_)) {
            path.push(toml_key(k));
            // A blank line only between top-level tables.
            if path.len() == 1 && !out.is_empty() {
                out.push('\n');
            }
            let header_indent = "  ".repeat(path.len() - 1);
            out.push_str(&format!("{header_indent}[{}]\n", path.join(".")));
            toml_table(v, path, out);
            path.pop();
        }
    }
}

/// `fromYaml` / `fromJson`: the decoded map, or `{Error: <message>}` as Helm
/// returns when the text does not decode.
fn decoded_map(decoded: Result<Node, yaml::Error>) -> Value {
    match decoded {
        Ok(Node::Null) => map_value(Vec::new()),
        Ok(node) => node_to_value(&node, MapKind::Any),
        Err(e) => map_value(vec![("Error".into(), Value::from(e.to_string()))]),
    }
}

/// `fromYamlArray` / `fromJsonArray`: the decoded list, or `[<message>]`.
fn decoded_list(decoded: Result<Node, yaml::Error>) -> Value {
    match decoded {
        Ok(Node::Null) => Value::list(Vec::new()),
        Ok(node) => node_to_value(&node, MapKind::Any),
        Err(e) => Value::list(vec![Value::from(e.to_string())]),
    }
}
