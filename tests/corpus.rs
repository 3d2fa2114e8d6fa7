//! The helm compatibility corpus (`../shared/corpus`): every run of every case
//! rendered through tare's library and compared with helm v4.1.4's output —
//! byte for byte, modulo the lines a nondeterministic run lists, or a failure
//! where helm failed.
//!
//! Progress is reported (`corpus: N passed, M failed`, with the first
//! differing line of each failure); the runs listed in
//! `tests/corpus_allowlist.txt` must pass. Add runs there as they start passing.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the project has a parent directory")
        .join("shared/corpus");
    assert!(
        dir.join("README.md").is_file(),
        "the corpus is missing: expected it at {}",
        dir.display()
    );
    dir
}

/// `None` when equal (ignoring the listed 1-based lines), else a description
/// of the first difference.
fn compare(actual: &str, expected: &str, varying: &BTreeSet<usize>) -> Option<String> {
    if varying.is_empty() && actual == expected {
        return None;
    }
    let a: Vec<&str> = actual.split('\n').collect();
    let e: Vec<&str> = expected.split('\n').collect();
    for n in 0..a.len().max(e.len()) {
        if varying.contains(&(n + 1)) && n < a.len() && n < e.len() {
            continue;
        }
        let (x, y) = (a.get(n), e.get(n));
        if x != y {
            return Some(format!(
                "line {}:\n      tare: {}\n      helm: {}",
                n + 1,
                x.map_or("<end of output>".to_string(), |s| short(&format!("{s:?}"))),
                y.map_or("<end of output>".to_string(), |s| short(&format!("{s:?}"))),
            ));
        }
    }
    None
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line.to_string()
    }
}

#[test]
fn corpus_matches_helm_v4() {
    let corpus = corpus_dir();
    let allowlist_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus_allowlist.txt"),
    )
    .unwrap_or_default();
    let allowlist: BTreeSet<&str> = allowlist_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("the corpus directory is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    let filter = std::env::var("CORPUS_FILTER").unwrap_or_default();
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    let (mut edge_passed, mut edge_total) = (0, 0);
    for case_dir in &cases {
        let case_name = case_dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text =
            std::fs::read_to_string(case_dir.join("case.json")).expect("case.json is readable");
        let case: Json = serde_json::from_str(&text).expect("case.json is JSON");
        let release = case["release"].as_str().unwrap_or("release-name");
        let namespace = case["namespace"].as_str().unwrap_or("default");
        for run in case["runs"].as_array().into_iter().flatten() {
            let run_name = run["name"].as_str().unwrap_or("?");
            let id = format!("{case_name}/{run_name}");
            if !filter.is_empty() && !id.contains(&filter) {
                continue;
            }
            let args: Vec<String> = run["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let varying: BTreeSet<usize> = run["nondeterministic_lines"]["v4"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_u64().map(|n| n as usize))
                .collect();
            let expected_dir = case_dir.join("expected");
            let mut args = args.clone();
            args.extend(["--namespace".to_string(), namespace.to_string()]);
            let result = common::tare_template(release, &case_dir.join("chart"), case_dir, &args);
            let outcome = if expected_dir.join(format!("{run_name}.v4.err")).is_file() {
                match result {
                    Err(_) => None,
                    Ok(_) => Some("helm failed, tare succeeded".to_string()),
                }
            } else {
                let expected =
                    std::fs::read_to_string(expected_dir.join(format!("{run_name}.v4.yaml")))
                        .unwrap_or_default();
                match result {
                    Ok(actual) => compare(&actual, &expected, &varying),
                    Err(e) => Some(format!("tare failed: {}", short(&e))),
                }
            };
            let is_edge = case_name.starts_with("edge-");
            if is_edge {
                edge_total += 1;
            }
            match outcome {
                None => {
                    if is_edge {
                        edge_passed += 1;
                    }
                    passed.push(id);
                }
                Some(why) => failed.push((id, why)),
            }
        }
    }
    for (id, why) in &failed {
        println!("FAIL {id}: {why}");
    }
    println!(
        "corpus: {} passed, {} failed (edge cases: {edge_passed} of {edge_total})",
        passed.len(),
        failed.len()
    );
    let passing: BTreeSet<&str> = passed.iter().map(String::as_str).collect();
    let regressions: Vec<&&str> = allowlist
        .iter()
        .filter(|id| (filter.is_empty() || id.contains(&filter)) && !passing.contains(**id))
        .collect();
    let newly: Vec<&String> = passed
        .iter()
        .filter(|id| !allowlist.contains(id.as_str()))
        .collect();
    if !newly.is_empty() {
        println!("passing but not in tests/corpus_allowlist.txt:");
        for id in newly {
            println!("{id}");
        }
    }
    assert!(
        regressions.is_empty(),
        "runs in tests/corpus_allowlist.txt no longer pass: {regressions:?}"
    );
}
