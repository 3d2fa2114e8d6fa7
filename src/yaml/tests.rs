//! Golden tests against Go.
//!
//! Every file in `testdata/` was produced by a throwaway Go program (Go 1.26)
//! using the exact libraries Helm v4.1.4 links: sigs.k8s.io/yaml v1.6.0,
//! go.yaml.in/yaml/v2 v2.4.3, go.yaml.in/yaml/v3 v3.0.4 and encoding/json.
//! Each line is one case as a JSON object holding the input and Go's output;
//! each test replays the cases and compares byte for byte. A failure lists
//! every differing case.
//!
//! * `load.jsonl`: `input` YAML; `values` is `json.Marshal` of what
//!   `yaml.Unmarshal` gives (Helm values), `ints` is `yaml.YAMLToJSON`
//!   (yaml.v2's integers written as JSON integers). `ERROR: …` is Go's
//!   error text.
//! * `emit.jsonl`: `json` decoded as Go does (`numbers`: float64, or int64
//!   where integral), then `yaml` is `yaml.Marshal` of it (Helm's `toYaml`
//!   before trimming the newline).
//! * `json.jsonl`: `compact` (`toJson`), `pretty` (`toPrettyJson`) and `raw`
//!   (`toRawJson`) of the decoded `json`.
//! * `parse_json.jsonl`: `json.Unmarshal` of `input`, re-marshalled.
//! * `split.jsonl`: Helm's `SplitManifests` of `input`.
//! * `random_load.jsonl`, `random_emit.jsonl`: the same as `load.jsonl` and
//!   `emit.jsonl` for generated inputs (YAML glued from syntax fragments;
//!   random nested values with awkward strings and keys).
//! * `random_json.jsonl`: random values (strings full of `<>&`, controls,
//!   U+2028…; awkward floats; int64s) through `toJson`, `toPrettyJson`,
//!   `toRawJson` and `toYaml`.
//! * `random_parse_json.jsonl`: valid JSON cut, spliced or patched with
//!   junk, through `json.Unmarshal` (mostly error messages).
//! * `broken_load.jsonl`: small real values files (Helm's own test data)
//!   with one typical mistake each (a line shifted, a colon or quote lost or
//!   added, a tab, a stray `- `), through `yaml.Unmarshal`.
//! * `pretty.jsonl`: the `emit.jsonl`, `random_emit.jsonl` and
//!   `random_json.jsonl` values through go-yaml v3's encoder with
//!   `SetIndent(2)` (Helm's `toYamlPretty`, before trimming).
//! * `key_order.jsonl`: maps with up to 60 digit-heavy keys, through
//!   `toYaml`, for yaml.v2's key order.
//! * `fuzz_load.jsonl`: the smallest inputs on which a differential run
//!   (839,006 mutated corpus documents and generated YAML, through Go and
//!   through tare) once found tare and `yaml.Unmarshal` disagreeing: empty
//!   flow collections as keys, U+FEFF where libyaml's buffer starts, float
//!   keys beyond float32, `0b-1`, and how Go prints values in map-key
//!   errors.

use super::*;

fn cases(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn field<'a>(case: &'a serde_json::Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("missing {name} in {case}"))
}

fn numbers_of(case: &serde_json::Value) -> Numbers {
    match field(case, "numbers") {
        "int64" => Numbers::Int64,
        _ => Numbers::Float64,
    }
}

fn shown(result: Result<String, Error>) -> String {
    result.unwrap_or_else(|e| format!("ERROR: {e}"))
}

/// Compares every case and reports all mismatches at once.
fn check(what: &str, results: Vec<(String, String, String)>) {
    let total = results.len();
    let failures: Vec<String> = results
        .into_iter()
        .filter(|(_, want, got)| want != got)
        .map(|(input, want, got)| format!("input {input:?}\n  want {want:?}\n  got  {got:?}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} cases differ from Go:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every case's input loaded as Helm loads values, against Go's `values`.
fn check_values(what: &str, testdata: &str) {
    let results = cases(testdata)
        .iter()
        .map(|case| {
            let input = field(case, "input");
            let got = shown(load(input, Numbers::Float64).and_then(|node| to_json(&node)));
            (input.to_string(), field(case, "values").to_string(), got)
        })
        .collect();
    check(what, results);
}

#[test]
fn loading_yaml_matches_helm_values() {
    check_values("yaml.Unmarshal", include_str!("testdata/load.jsonl"));
}

#[test]
fn loading_yaml_with_integers_matches_yaml_to_json() {
    let results = cases(include_str!("testdata/load.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "input");
            let got = shown(load(input, Numbers::Int64).and_then(|node| to_json(&node)))
                .replace("ERROR: error converting YAML to JSON: ", "ERROR: ");
            // Go's JSON text, read back keeping integers (as Kubernetes does).
            let go_text = field(case, "ints");
            let want = match go_text.strip_prefix("ERROR: ") {
                Some(_) => go_text.to_string(),
                None => shown(from_json(go_text, Numbers::Int64).and_then(|node| to_json(&node))),
            };
            (input.to_string(), want, got)
        })
        .collect();
    check("yaml.YAMLToJSON", results);
}

/// Generated YAML is mostly garbage, which probes the parser's corners:
/// every case, error messages included, must come out as in Go.
#[test]
fn loading_random_yaml_matches_go() {
    check_values(
        "yaml.Unmarshal (random)",
        include_str!("testdata/random_load.jsonl"),
    );
}

/// Loading only some top-level keys fails exactly where loading the whole
/// document fails, with the same message, and keeps those keys' values.
#[test]
fn loading_top_level_keys_agrees_with_loading_everything() {
    let wanted = |key: &str| key.len() == 1 && key < "c";
    let keep = |node: Node| match node {
        Node::Map(entries) => Node::Map(entries.into_iter().filter(|(k, _)| wanted(k)).collect()),
        other => other,
    };
    let all = [
        include_str!("testdata/load.jsonl"),
        include_str!("testdata/random_load.jsonl"),
        include_str!("testdata/broken_load.jsonl"),
    ];
    let results = all
        .iter()
        .flat_map(|text| cases(text))
        .map(|case| {
            let input = field(&case, "input").to_string();
            let whole = load(&input, Numbers::Int64).map(keep);
            let some = load_top_level(&input, Numbers::Int64, &wanted);
            (input, format!("{whole:?}"), format!("{some:?}"))
        })
        .collect();
    check("load_top_level", results);
}

#[test]
fn loading_fuzzed_yaml_matches_go() {
    check_values(
        "yaml.Unmarshal (fuzzed)",
        include_str!("testdata/fuzz_load.jsonl"),
    );
}

/// What users actually see: Go's message for a broken values file, word for
/// word and on the same line.
#[test]
fn broken_values_files_fail_like_go() {
    check_values(
        "broken values files",
        include_str!("testdata/broken_load.jsonl"),
    );
}

#[test]
fn to_yaml_of_random_values_matches_go() {
    let results = cases(include_str!("testdata/random_emit.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "json");
            let node = from_json(input, numbers_of(case)).expect("valid JSON");
            (
                input.to_string(),
                field(case, "yaml").to_string(),
                shown(to_yaml(&node)),
            )
        })
        .collect();
    check("toYaml (random)", results);
}

/// Maps with many digit-heavy keys. yaml.v2's comparison is not a total
/// order on some such key sets (`"0" < "00"` and `"00" < "01"`, but
/// `"01" < "0"`…); Go then sorts Go's random map order into a random result,
/// so only key sets the comparison orders consistently are compared.
#[test]
fn key_order_matches_go() {
    let mut results = Vec::new();
    let mut consistent = 0;
    let all = cases(include_str!("testdata/key_order.jsonl"));
    for case in &all {
        let input = field(case, "json");
        let node = from_json(input, numbers_of(case)).expect("valid JSON");
        let Node::Map(entries) = &node else {
            panic!("a map: {input}")
        };
        let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        // Insertion sort: std's sorts refuse inconsistent comparisons.
        for i in 1..keys.len() {
            let mut j = i;
            while j > 0 && emit::natural_less(keys[j], keys[j - 1]) {
                keys.swap(j, j - 1);
                j -= 1;
            }
        }
        let total_order = keys
            .iter()
            .enumerate()
            .all(|(i, a)| keys[i + 1..].iter().all(|b| emit::natural_less(a, b)));
        if total_order {
            consistent += 1;
            results.push((
                input.to_string(),
                field(case, "yaml").to_string(),
                shown(to_yaml(&node)),
            ));
        }
    }
    assert!(
        consistent >= 50,
        "only {consistent} of {} key sets are ordered",
        all.len()
    );
    check("toYaml key order", results);
}

#[test]
fn to_yaml_pretty_matches_go() {
    let results = cases(include_str!("testdata/pretty.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "json");
            let node = from_json(input, numbers_of(case)).expect("valid JSON");
            (
                input.to_string(),
                field(case, "yaml").to_string(),
                shown(to_yaml_pretty(&node)),
            )
        })
        .collect();
    check("toYamlPretty", results);
}

#[test]
fn to_yaml_matches_go() {
    let results = cases(include_str!("testdata/emit.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "json");
            let node = from_json(input, numbers_of(case)).expect("valid JSON");
            (
                input.to_string(),
                field(case, "yaml").to_string(),
                shown(to_yaml(&node)),
            )
        })
        .collect();
    check("toYaml", results);
}

#[test]
fn json_writers_match_go() {
    let mut results = Vec::new();
    for case in cases(include_str!("testdata/json.jsonl")) {
        let input = field(&case, "json");
        let node = from_json(input, numbers_of(&case)).expect("valid JSON");
        for (name, got) in [
            ("compact", to_json(&node)),
            ("pretty", to_pretty_json(&node)),
            ("raw", to_raw_json(&node)),
        ] {
            results.push((
                format!("{name} {input}"),
                field(&case, name).to_string(),
                shown(got),
            ));
        }
    }
    check("encoding/json", results);
}

#[test]
fn json_writers_match_go_on_random_values() {
    let mut results = Vec::new();
    for case in cases(include_str!("testdata/random_json.jsonl")) {
        let input = field(&case, "json");
        let node = from_json(input, numbers_of(&case)).expect("valid JSON");
        for (name, got) in [
            ("compact", to_json(&node)),
            ("pretty", to_pretty_json(&node)),
            ("raw", to_raw_json(&node)),
            ("yaml", to_yaml(&node)),
        ] {
            results.push((
                format!("{name} {input}"),
                field(&case, name).to_string(),
                shown(got),
            ));
        }
    }
    check("encoding/json (random)", results);
}

#[test]
fn parsing_damaged_json_matches_go() {
    let results = cases(include_str!("testdata/random_parse_json.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "input");
            let got = shown(from_json(input, Numbers::Float64).and_then(|node| to_json(&node)));
            (input.to_string(), field(case, "expected").to_string(), got)
        })
        .collect();
    check("json.Unmarshal (random)", results);
}

#[test]
fn parsing_json_matches_go() {
    let results = cases(include_str!("testdata/parse_json.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "input");
            let got = shown(from_json(input, Numbers::Float64).and_then(|node| to_json(&node)));
            (input.to_string(), field(case, "expected").to_string(), got)
        })
        .collect();
    check("json.Unmarshal", results);
}

#[test]
fn splitting_manifests_matches_helm() {
    let results = cases(include_str!("testdata/split.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "input");
            let want: Vec<String> = case["documents"]
                .as_array()
                .expect("documents")
                .iter()
                .map(|d| d.as_str().unwrap_or_default().to_string())
                .collect();
            (
                input.to_string(),
                format!("{want:?}"),
                format!("{:?}", split_manifests(input)),
            )
        })
        .collect();
    check("SplitManifests", results);
}

// ---------------------------------------------------------------------------
// Limits and robustness: hostile input fails cleanly, never panics.

#[test]
fn alias_bombs_are_refused_like_yaml_v2() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{previous}"); 10].join(", ");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let error = load(&bomb, Numbers::Float64).unwrap_err();
    assert_eq!(
        error.message(),
        "error converting YAML to JSON: yaml: document contains excessive aliasing"
    );
}

#[test]
fn nesting_is_limited_to_ten_thousand_levels() {
    let deep_flow = "[".repeat(20_000);
    assert!(load(&deep_flow, Numbers::Float64).is_err());
    let deep_json = format!("{}{}", "[".repeat(10_001), "]".repeat(10_001));
    assert_eq!(
        from_json(&deep_json, Numbers::Float64)
            .unwrap_err()
            .message(),
        "invalid character '[' exceeded max depth"
    );
    let ok_json = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let node = from_json(&ok_json, Numbers::Float64).expect("5000 levels are fine");
    assert_eq!(to_json(&node).expect("encodes"), ok_json);
    assert!(to_yaml(&node).expect("emits").starts_with("- - - "));

    // Aliases can nest a tree deeper than its text: that is refused too.
    let mut deep_alias = format!("a0: &a0 {}{}\n", "[".repeat(200), "]".repeat(200));
    for level in 1..60 {
        let previous = level - 1;
        deep_alias.push_str(&format!(
            "a{level}: &a{level} {}*a{previous}{}\n",
            "[".repeat(200),
            "]".repeat(200)
        ));
    }
    assert_eq!(
        load(&deep_alias, Numbers::Float64).unwrap_err().message(),
        "error converting YAML to JSON: yaml: exceeded max depth of 10000"
    );

    let mut block = String::new();
    for level in 0..3_000 {
        block.push_str(&" ".repeat(level));
        block.push_str("k:\n");
    }
    assert!(load(&block, Numbers::Float64).is_ok());
}

/// A tiny deterministic generator, so the run is reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn random_input_never_panics() {
    const PIECES: &[&str] = &[
        "a",
        "b",
        ":",
        ": ",
        "- ",
        "-",
        "?",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\n",
        "  ",
        " ",
        "\t",
        "#",
        "&x ",
        "*x",
        "&y ",
        "*y",
        "!!str ",
        "!!int ",
        "!!binary ",
        "!",
        "|",
        "|-",
        ">",
        "'",
        "\"",
        "\\",
        "\\/",
        "<<: ",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "1",
        "0x1F",
        "1e3",
        ".inf",
        "yes",
        "~",
        "null",
        "é",
        "😀",
        "\u{85}",
        "\u{2028}",
        "\r\n",
        "\u{feff}",
        "2024-01-01",
    ];
    let mut rng = Lcg(42);
    for _ in 0..4_000 {
        let len = rng.next() % 24;
        let text: String = (0..len)
            .map(|_| PIECES[rng.next() % PIECES.len()])
            .collect();
        for numbers in [Numbers::Float64, Numbers::Int64] {
            if let Ok(node) = load(&text, numbers) {
                let _ = to_pretty_json(&node);
                // YAML 1.1 counts U+2028/U+2029 as line breaks; our reader,
                // like YAML 1.2, does not. And Go cannot write a U+0085
                // inside a key. Apart from that, whatever we load we
                // can write, and it reads back to the same values.
                let unicode_breaks = text.contains(['\u{85}', '\u{2028}', '\u{2029}']);
                let yaml = to_yaml(&node);
                assert!(
                    yaml.is_ok() || unicode_breaks,
                    "cannot write {text:?}: {yaml:?}"
                );
                if let (Ok(yaml), Ok(json), false) = (yaml, to_json(&node), unicode_breaks) {
                    let again = load(&yaml, numbers).and_then(|n| to_json(&n));
                    assert_eq!(
                        again.as_deref(),
                        Ok(json.as_str()),
                        "round trip of {text:?}"
                    );
                }
            }
            let _ = from_json(&text, numbers);
        }
        let _ = split_manifests(&text);
    }
}

// ---------------------------------------------------------------------------
// Worked examples: the behaviours chart authors notice, spelled out.

fn values(text: &str) -> Node {
    load(text, Numbers::Float64).expect("valid YAML")
}

fn map(entries: &[(&str, Node)]) -> Node {
    Node::Map(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn s(text: &str) -> Node {
    Node::Str(text.to_string())
}

#[test]
fn values_files_read_yaml_1_1_scalars() {
    let v = values(
        "enabled: yes\nmode: on\nport: 0755\nhex: 0x1F\nbig: 12345678901234567890\nwhen: 2024-01-01\nnothing: ~\n",
    );
    assert_eq!(
        v,
        map(&[
            ("enabled", Node::Bool(true)),
            ("mode", Node::Bool(true)),
            ("port", Node::Float(493.0)),
            ("hex", Node::Float(31.0)),
            ("big", Node::Float(12345678901234567890.0)),
            ("when", s("2024-01-01")),
            ("nothing", Node::Null),
        ])
    );
    // Keys are resolved too, then turned into strings.
    assert_eq!(
        values("yes: a\n1: b\n1.5: c\n"),
        map(&[("true", s("a")), ("1", s("b")), ("1.5", s("c"))])
    );
    // Manifests keep integers.
    assert_eq!(
        load("replicas: 3\nratio: 1.0\n", Numbers::Int64),
        Ok(map(&[("replicas", Node::Int(3)), ("ratio", Node::Int(1))]))
    );
}

#[test]
fn typed_targets_refuse_other_kinds_like_go() {
    const VALUES: Target = Target::Map("common.Values");
    assert_eq!(load_as("", Numbers::Float64, VALUES), Ok(Node::Null));
    assert_eq!(
        load_as("- a\n", Numbers::Float64, VALUES)
            .unwrap_err()
            .to_string(),
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type common.Values"
    );
    assert_eq!(
        load_as("a: 1", Numbers::Float64, Target::Seq("[]interface {}"))
            .unwrap_err()
            .to_string(),
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}"
    );
    assert_eq!(
        from_json_as(
            "\"x\"",
            Numbers::Float64,
            Target::Map("map[string]interface {}")
        )
        .unwrap_err()
        .to_string(),
        "json: cannot unmarshal string into Go value of type map[string]interface {}"
    );
    assert_eq!(
        from_json_as("null", Numbers::Float64, Target::Seq("[]interface {}")),
        Ok(Node::Null)
    );
}

#[test]
fn merge_keys_and_anchors_apply_in_document_order() {
    let v = values("base: &b {x: 1, z: 2}\nlater:\n  <<: *b\n  z: 3\nearlier:\n  z: 3\n  <<: *b\n");
    // A merge overrides the keys written before it, not those after it.
    assert_eq!(
        to_json(&v).unwrap(),
        r#"{"base":{"x":1,"z":2},"earlier":{"x":1,"z":2},"later":{"x":1,"z":3}}"#
    );
    // (And beware: a key `y` would have become "true".)
    assert_eq!(
        to_json(&values("{x: 1, y: 2}")).unwrap(),
        r#"{"true":2,"x":1}"#
    );
}

#[test]
fn errors_use_go_wording() {
    let error = |text: &str| load(text, Numbers::Float64).unwrap_err().to_string();
    assert_eq!(
        error("a: 1\n b: 2\n"),
        "error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context"
    );
    assert_eq!(
        error("- a\nb: 1\n"),
        "error converting YAML to JSON: yaml: line 1: did not find expected '-' indicator"
    );
    assert_eq!(
        error("v: .inf\n"),
        "error converting YAML to JSON: json: unsupported value: +Inf"
    );
    assert_eq!(
        from_json("{\"a\":1,}", Numbers::Float64)
            .unwrap_err()
            .to_string(),
        "invalid character '}' looking for beginning of object key string"
    );
}

#[test]
fn to_yaml_quotes_what_would_not_read_back_as_text() {
    let yaml = to_yaml(&map(&[
        ("yes", s("no")),
        ("port", s("8080")),
        ("date", s("2024-01-01")),
        ("empty", s("")),
        ("star", s("*alias")),
        ("colon", s("a: b")),
        ("tab", s("a\tb")),
        ("fine", s("it's ok")),
    ]))
    .unwrap();
    assert_eq!(
        yaml,
        "colon: 'a: b'\ndate: \"2024-01-01\"\nempty: \"\"\nfine: it's ok\nport: \"8080\"\nstar: '*alias'\ntab: \"a\\tb\"\n\"yes\": \"no\"\n"
    );
}

#[test]
fn to_yaml_layout() {
    let tree = map(&[
        (
            "list",
            Node::Seq(vec![
                s("a"),
                map(&[("b", Node::Int(1)), ("c", Node::Int(2))]),
                Node::Seq(vec![s("nested")]),
            ]),
        ),
        ("empty", map(&[])),
        ("none", Node::Seq(vec![])),
        ("script", s("set -e\necho hi\n")),
        ("million", Node::Float(1e6)),
        ("tiny", Node::Float(0.000001)),
    ]);
    assert_eq!(
        to_yaml(&tree).unwrap(),
        "empty: {}\nlist:\n- a\n- b: 1\n  c: 2\n- - nested\nmillion: 1000000\nnone: []\nscript: |\n  set -e\n  echo hi\ntiny: 1e-06\n"
    );
}

#[test]
fn to_yaml_folds_long_plain_text_at_80_columns() {
    let long = "word ".repeat(20).trim_end().to_string();
    assert_eq!(
        to_yaml(&map(&[("description", s(&long))])).unwrap(),
        // The break comes at the first space past column 80, and the
        // continuation is indented under the key.
        "description: word word word word word word word word word word word word word word\n  word word word word word word\n"
    );
}

#[test]
fn keys_sort_naturally() {
    let keys = [
        "b", "a10", "ab", "a9", "_x", "10", "A", "2", "1", "B1", "a-b",
    ];
    let tree = Node::Map(keys.iter().map(|k| (k.to_string(), Node::Null)).collect());
    let order: Vec<String> = to_yaml(&tree)
        .unwrap()
        .lines()
        .map(|line| line.trim_end_matches(": null").to_string())
        .collect();
    assert_eq!(
        order,
        [
            "_x", "\"1\"", "\"2\"", "\"10\"", "A", "B1", "a-b", "a9", "a10", "ab", "b"
        ]
    );
}

#[test]
fn json_writers() {
    let tree = map(&[
        ("b", s("<a & b>")),
        (
            "a",
            Node::Seq(vec![Node::Float(1e21), Node::Float(1e-7), Node::Int(3)]),
        ),
    ]);
    assert_eq!(
        to_json(&tree).unwrap(),
        r#"{"a":[1e+21,1e-7,3],"b":"\u003ca \u0026 b\u003e"}"#
    );
    assert_eq!(
        to_raw_json(&tree).unwrap(),
        r#"{"a":[1e+21,1e-7,3],"b":"<a & b>"}"#
    );
    assert_eq!(
        to_pretty_json(&tree).unwrap(),
        "{\n  \"a\": [\n    1e+21,\n    1e-7,\n    3\n  ],\n  \"b\": \"\\u003ca \\u0026 b\\u003e\"\n}"
    );
    assert_eq!(
        to_json(&Node::Float(f64::NAN)).unwrap_err().to_string(),
        "json: unsupported value: NaN"
    );
}
