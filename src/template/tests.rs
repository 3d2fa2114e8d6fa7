//! End-to-end tests of the engine.
//!
//! `testdata/go_cases.json` holds templates with the output or error Go 1.26's
//! `text/template` produced for them (same data, same test functions), so these
//! tests are a differential check against Go itself.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value as Json;

use super::*;

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

/// `*main.Obj`: a struct pointer with a field and methods.
struct Obj;

impl Object for Obj {
    fn type_name(&self) -> String {
        "*main.Obj".into()
    }
    fn is_pointer(&self) -> bool {
        true
    }
    fn struct_fields(&self) -> Vec<(String, Value)> {
        ["Name", "Items"]
            .iter()
            .filter_map(|f| Some((f.to_string(), self.field(f)?)))
            .collect()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Name" => Some(Value::str("n")),
            "Items" => Some(Value::list(vec![Value::str("a"), Value::str("b")])),
            _ => None,
        }
    }
    fn method(&self, name: &str) -> Option<Func> {
        match name {
            "Has" => Some(Func::new(&[Ty::Str], |_, a| {
                Ok(Value::Bool(matches!(a[0].as_str(), Some("a" | "b"))))
            })),
            "Get" => Some(Func::new(&[Ty::Int, Ty::Str], |_, a| {
                let n = a[0].as_int().unwrap_or(0).max(0) as usize;
                Ok(a[1].as_str().unwrap_or_default().repeat(n).into())
            })),
            "Fail" => Some(Func::new(&[], |_, _| Err("obj failed".into()))),
            _ => None,
        }
    }
}

/// `main.VS`: a named `[]string` with a method, like Helm's `VersionSet`.
struct Vs;

impl Object for Vs {
    fn type_name(&self) -> String {
        "main.VS".into()
    }
    fn method(&self, name: &str) -> Option<Func> {
        (name == "Has").then(|| {
            Func::new(&[Ty::Str], |_, a| {
                Ok(Value::Bool(matches!(a[0].as_str(), Some("apps/v1" | "v1"))))
            })
        })
    }
    fn underlying(&self) -> Option<Value> {
        Some(Value::list(vec![Value::str("apps/v1"), Value::str("v1")]))
    }
}

/// `main.Ver`: a struct implementing `fmt.Stringer`.
struct Ver;

impl Object for Ver {
    fn type_name(&self) -> String {
        "main.Ver".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "Major").then(|| Value::str("1"))
    }
    fn stringer(&self) -> Option<String> {
        Some("v1.0".into())
    }
    fn struct_fields(&self) -> Vec<(String, Value)> {
        vec![("Major".into(), Value::str("1"))]
    }
}

fn with_objects(data: Value) -> Value {
    if let Value::Map(m) = &data {
        m.insert("obj", Value::Object(Rc::new(Obj)));
        m.insert("vs", Value::Object(Rc::new(Vs)));
        m.insert("ver", Value::Object(Rc::new(Ver)));
    }
    data
}

/// The functions the Go oracle registered, with the same Go signatures.
fn test_funcs() -> Funcs {
    let mut f = Funcs::new();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    f.insert(
        "upper",
        Func::new(&[Ty::Str], move |_, a| Ok(s(&a[0]).to_uppercase().into())),
    );
    f.insert(
        "repeat",
        Func::new(&[Ty::Int, Ty::Str], move |_, a| {
            let n = a[0].as_int().unwrap_or(0).max(0) as usize;
            Ok(s(&a[1]).repeat(n).into())
        }),
    );
    f.insert("failf", Func::new(&[Ty::Str], move |_, a| Err(s(&a[0]))));
    f.insert(
        "typeOf",
        Func::new(&[Ty::Any], |_, a| Ok(a[0].type_name().into())),
    );
    f.insert(
        "i64",
        Func::new(&[Ty::Int], |_, a| {
            Ok(Value::Int64(a[0].as_int().unwrap_or(0)))
        }),
    );
    f.insert("f64", Func::new(&[Ty::Float64], |_, a| Ok(a[0].clone())));
    f.insert(
        "list",
        Func::variadic(&[], Ty::Any, |_, a| Ok(Value::list(a))),
    );
    f.insert(
        "dict",
        Func::variadic(&[], Ty::Any, |_, a| {
            let m = Map::default();
            for pair in a.chunks(2) {
                if let [k, v] = pair {
                    m.insert(k.as_str().unwrap_or_default(), v.clone());
                }
            }
            Ok(Value::Map(m))
        }),
    );
    f.insert(
        "keys",
        Func::new(&[Ty::Map], |_, a| match &a[0] {
            Value::Map(m) => Ok(Value::Int(m.len() as i64)),
            _ => Ok(Value::Int(0)),
        }),
    );
    f.insert(
        "first",
        Func::new(&[Ty::List], |_, a| match &a[0] {
            Value::List(l) => l
                .first()
                .cloned()
                .ok_or_else(|| "index out of range".into()),
            _ => Err("runtime error: index out of range [0] with length 0".into()),
        }),
    );
    f
}

fn run(tpl: &str, data: Value, mode: MissingKey, extra: &[(&str, &str)]) -> Result<String, String> {
    let mut set = TemplateSet::new("gotpl", test_funcs());
    set.set_missing_key(mode);
    for (name, src) in extra {
        set.parse(name, *src).map_err(|e| e.to_string())?;
    }
    set.parse("t", tpl).map_err(|e| e.to_string())?;
    // The golden outputs hold Go's bytes as JSON strings: broken UTF-8 as U+FFFD.
    set.execute("t", data)
        .map(|out| super::replace_raw_bytes(&out).into_owned())
        .map_err(|e| e.to_string())
}

/// Deep template recursion (Go stops at 100000 levels) needs a big native stack.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    let handle = std::thread::Builder::new()
        .stack_size(4 << 30)
        .spawn(f)
        .unwrap_or_else(|e| panic!("can't spawn test thread: {e}"));
    if let Err(e) = handle.join() {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn matches_go_text_template() {
    with_big_stack(differential_check);
}

fn differential_check() {
    let file: Json = serde_json::from_str(include_str!("testdata/go_cases.json"))
        .unwrap_or_else(|e| panic!("bad test data: {e}"));
    let mut failures = vec![];
    let cases = file["cases"].as_array().map_or(&[][..], |v| v.as_slice());
    for case in cases {
        let tpl = case["tpl"].as_str().unwrap_or_default();
        // Fresh data per case: templates may change maps.
        let data = match &case["data"] {
            Json::String(s) if s == "$D" => from_json(&file["data"]),
            other => from_json(other),
        };
        let data = if case["plain"] == Json::Bool(true) {
            data
        } else {
            with_objects(data)
        };
        let mode = match case["mode"].as_str() {
            Some("error") => MissingKey::Error,
            Some("default") => MissingKey::Invalid,
            _ => MissingKey::Zero,
        };
        let extra: Vec<(&str, &str)> = case["extra"]
            .as_array()
            .map_or(&[][..], |v| v.as_slice())
            .iter()
            .map(|kv| {
                (
                    kv[0].as_str().unwrap_or_default(),
                    kv[1].as_str().unwrap_or_default(),
                )
            })
            .collect();
        let want_err = case["err"].as_str().unwrap_or_default();
        let want = if want_err.is_empty() {
            Ok(case["out"].as_str().unwrap_or_default().to_string())
        } else {
            Err(want_err.to_string())
        };
        let got = run(tpl, data, mode, &extra);
        if got != want {
            failures.push(format!(
                "{tpl:?} [{mode:?}]\n   want {want:?}\n    got {got:?}"
            ));
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

/// Helm-style `include` and `tpl`, built only from the public function API.
fn helm_like_funcs() -> Funcs {
    let mut f = Funcs::new();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    f.insert(
        "include",
        Func::new(&[Ty::Str, Ty::Any], move |call, a| {
            call.execute_template(&text(&a[0]), a[1].clone())
                .map(Value::from)
                .map_err(|e| e.to_string())
        }),
    );
    f.insert(
        "tpl",
        Func::new(&[Ty::Str, Ty::Any], move |call, a| {
            let mut set = call.set().clone();
            let name = call.template_name().to_string();
            set.parse(&name, text(&a[0])).map_err(|e| e.to_string())?;
            call.execute_in(&set, &name, a[1].clone())
                .map(Value::from)
                .map_err(|e| e.to_string())
        }),
    );
    f.insert(
        "upper",
        Func::new(&[Ty::Str], move |_, a| {
            Ok(text(&a[0]).to_uppercase().into())
        }),
    );
    f
}

fn render(files: &[(&str, &str)], data: Value) -> Result<String, String> {
    let mut set = TemplateSet::new("gotpl", helm_like_funcs());
    set.set_missing_key(MissingKey::Zero);
    for (name, src) in files {
        set.parse(name, *src).map_err(|e| e.to_string())?;
    }
    set.execute(files[files.len() - 1].0, data)
        .map_err(|e| e.to_string())
}

#[test]
fn functions_can_run_named_templates() {
    let helpers = r#"{{ define "name" }}{{ .n | upper }}{{ end }}"#;
    let main = r#"name: {{ include "name" . | printf "%q" }}"#;
    let data = from_json(&serde_json::json!({"n": "web"}));
    assert_eq!(
        render(&[("_h.tpl", helpers), ("a.yaml", main)], data),
        Ok("name: \"WEB\"".into())
    );
}

#[test]
fn functions_can_parse_and_run_new_text() {
    let main = r#"{{ tpl "{{ .n }}-{{ include \"x\" . }}" . }}"#;
    let data = from_json(&serde_json::json!({"n": "a"}));
    let files = [
        ("_h.tpl", r#"{{ define "x" }}X{{ end }}"#),
        ("a.yaml", main),
    ];
    assert_eq!(render(&files, data), Ok("a-X".into()));
}

#[test]
fn errors_inside_functions_nest_like_go() {
    let helpers = "{{ define \"bad\" }}\n  {{ .a.b }}{{ end }}";
    let main = "x: {{ include \"bad\" . }}";
    let got = render(
        &[("_h.tpl", helpers), ("a.yaml", main)],
        Value::Map(Map::default()),
    );
    assert_eq!(
        got,
        Err("template: a.yaml:1:6: executing \"a.yaml\" at <include \"bad\" .>: error calling include: \
             template: _h.tpl:2:7: executing \"bad\" at <.a.b>: nil pointer evaluating interface {}.b"
            .into())
    );
    let missing = render(&[("a.yaml", "{{ include \"nope\" . }}")], Value::Nil);
    assert_eq!(
        missing,
        Err("template: a.yaml:1:3: executing \"a.yaml\" at <include \"nope\" .>: error calling include: \
             template: no template \"nope\" associated with template \"gotpl\""
            .into())
    );
}

#[test]
fn runaway_recursion_through_functions_stops_at_the_depth_limit() {
    let mut set = TemplateSet::new("gotpl", helm_like_funcs());
    set.set_max_depth(50);
    let src = r#"{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}"#;
    assert!(set.parse("a", src).is_ok());
    let err = set.execute("a", Value::Nil).map_err(|e| e.to_string());
    assert!(err.is_err_and(|e| e.ends_with("exceeded maximum template depth (50)")));
}

#[test]
fn set_mutates_shared_maps() {
    let mut f = helm_like_funcs();
    f.insert(
        "set",
        Func::new(&[Ty::Map, Ty::Str, Ty::Any], |_, a| {
            if let Value::Map(m) = &a[0] {
                m.insert(a[1].as_str().unwrap_or_default(), a[2].clone());
            }
            Ok(a[0].clone())
        }),
    );
    let mut set = TemplateSet::new("gotpl", f);
    let src = r#"{{ $_ := set .Values "k" 1.5 }}{{ .Values.k }}"#;
    assert!(set.parse("a", src).is_ok());
    let values = Map::new(MapKind::HelmValues);
    let root = Map::default();
    root.insert("Values", Value::Map(values.clone()));
    assert_eq!(set.execute("a", Value::Map(root)), Ok("1.5".into()));
    assert!(values.get("k").is_some());
}

/// A tiny deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn pick<'t>(&mut self, items: &[&'t str]) -> &'t str {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items[(self.0 >> 33) as usize % items.len()]
    }
}

#[test]
fn random_templates_never_panic() {
    let fragments = [
        "{{",
        "}}",
        "{{-",
        "-}}",
        " ",
        "\n",
        ".",
        ".m",
        ".m.c",
        ".list",
        ".s",
        ".n",
        ".missing",
        "$",
        "$x",
        "$x :=",
        "$x =",
        ",",
        "|",
        "(",
        ")",
        "if",
        "else",
        "end",
        "range",
        "with",
        "define \"d\"",
        "template \"d\"",
        "block \"b\" .",
        "break",
        "continue",
        "nil",
        "true",
        "1",
        "-2",
        "0x1F",
        "1.5e3",
        "'a'",
        "\"s\"",
        "`r`",
        "/*",
        "*/",
        "printf \"%d%s%v\"",
        "index",
        "slice",
        "len",
        "eq",
        "lt",
        "and",
        "or",
        "not",
        "print",
        "call",
        "html",
        "js",
        "urlquery",
        "upper",
        "repeat",
        "dict \"a\"",
        "list",
        "first",
        "keys",
        "typeOf",
        "i64",
        "f64",
        "failf",
        "x",
        "é",
        "\\",
        "\"",
        "'",
        "`",
        ":",
        "=",
    ];
    let data = from_json(&serde_json::json!({
        "s": "str", "n": 3, "list": [1, "a", null, [2]], "m": {"c": {"d": 1}}, "nul": null
    }));
    let mut rng = Lcg(42);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = 1 + rng
            .pick(&["1", "2", "4", "8", "16", "24"])
            .parse::<usize>()
            .unwrap_or(1);
        // Half the cases are well-formed actions around random words, so that
        // execution gets exercised, not just parse errors.
        let structured = rng.pick(&["a", "b"]) == "a";
        let src: String = (0..len)
            .map(|_| {
                if structured {
                    let words: Vec<&str> = (0..3).map(|_| rng.pick(&fragments)).collect();
                    format!("{{{{ {} }}}}", words.join(" "))
                } else {
                    rng.pick(&fragments).to_string()
                }
            })
            .collect();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut set = TemplateSet::new("gotpl", test_funcs());
            set.set_missing_key(MissingKey::Zero);
            set.set_max_depth(20);
            let ok = set.parse("t", src.as_str()).is_ok();
            if ok {
                let _ = set.execute("t", data.clone());
                let _ = set.execute("d", data.clone());
            }
            ok
        }));
        match outcome {
            Ok(ok) => parsed += usize::from(ok),
            Err(_) => panic!("panicked on {src:?}"),
        }
    }
    assert!(
        parsed > 5_000,
        "only {parsed} templates parsed: the generator is too random"
    );
}
