//! Golden tests against Go.
//!
//! Every file in `testdata/` was produced by a small Go program using the
//! exact libraries Helm v4.1.4 links (sigs.k8s.io/yaml v1.6.0,
//! go.yaml.in/yaml/v2 v2.4.3, Go's encoding/json). Each line is one case as
//! a JSON object; each test replays the cases and compares byte for byte.
//! A failure lists every differing case.
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

/// Inputs where we knowingly differ from Go, with the reason.
const KNOWN_GAPS: &[(&str, &str)] = &[(
    "a: \u{85}x\n",
    "libyaml treats a raw U+0085 (NEL) in YAML text as a line break; we keep it as text",
)];

fn is_known_gap(input: &str) -> bool {
    KNOWN_GAPS.iter().any(|(gap, _)| *gap == input)
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
        .filter(|(input, want, got)| want != got && !is_known_gap(input))
        .map(|(input, want, got)| format!("input {input:?}\n  want {want:?}\n  got  {got:?}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} cases differ from Go:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn loading_yaml_matches_helm_values() {
    let results = cases(include_str!("testdata/load.jsonl"))
        .iter()
        .map(|case| {
            let input = field(case, "input");
            let got = shown(load(input, Numbers::Float64).and_then(|node| to_json(&node)));
            (input.to_string(), field(case, "values").to_string(), got)
        })
        .collect();
    check("yaml.Unmarshal", results);
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
