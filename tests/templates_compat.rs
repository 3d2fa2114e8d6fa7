//! The project's own compatibility cases (`templates-compat/cases/**.txt`):
//! each case is rendered through tare's library as `helm template compat
//! ./chart <args>` would render it, and compared with helm v4.1.4's recorded
//! result (written only by `scripts/regen-templates-compat`):
//!
//! - `expected.v4`: helm succeeded; tare's output must be byte-identical.
//! - `error.v4`: helm failed; tare must fail with the same message: helm's
//!   stderr without its `Error: ` prefix and its `Use --debug flag…` hint,
//!   compared whitespace-trimmed.
//!
//! Cases listed in `templates-compat/known-failures.txt` must fail (so a fix
//! has to remove them from the list); every other case must pass. Set
//! `COMPAT_FILTER=<substring>` to run only some cases.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const RELEASE: &str = "compat";
const DEFAULT_CHART_YAML: &str =
    "apiVersion: v2\nname: compat\nversion: 0.1.0\nappVersion: \"1.0\"\n";
const HELM_HINT: &str = "Use --debug flag to render out invalid YAML";

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("templates-compat")
}

/// A case file: `-- name --` headers, each followed by that section's text.
struct Case {
    sections: Vec<(String, String)>,
}

impl Case {
    fn parse(text: &str) -> Case {
        let mut sections: Vec<(String, String)> = Vec::new();
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end_matches('\n');
            if let Some(name) = bare.strip_prefix("-- ").and_then(|l| l.strip_suffix(" --")) {
                sections.push((name.to_string(), String::new()));
            } else if let Some((_, body)) = sections.last_mut() {
                body.push_str(line);
            }
        }
        Case { sections }
    }

    fn section(&self, name: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, body)| body.as_str())
    }

    fn args(&self) -> Vec<String> {
        self.section("args")
            .unwrap_or("")
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Writes the chart to `dir/chart` and `cwd/` sections to `dir`, as
    /// `templates-compat/materialise` does.
    fn materialise(&self, dir: &Path) {
        let chart = dir.join("chart");
        std::fs::create_dir_all(&chart).expect("temporary chart directory");
        for (name, body) in &self.sections {
            if name == "args" || name.starts_with("expected.") || name.starts_with("error.") {
                continue;
            }
            let path = match name.strip_prefix("cwd/") {
                Some(rest) => dir.join(rest),
                None => chart.join(name),
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("case section directory");
            }
            std::fs::write(&path, body).expect("case section written");
        }
        if self.section("Chart.yaml").is_none() {
            std::fs::write(chart.join("Chart.yaml"), DEFAULT_CHART_YAML).expect("Chart.yaml");
        }
    }
}

/// helm's error message from its stderr: no `Error: ` prefix, no hint.
fn helm_message(stderr: &str) -> &str {
    let text = stderr.trim();
    let text = text.strip_suffix(HELM_HINT).unwrap_or(text).trim();
    text.strip_prefix("Error: ").unwrap_or(text)
}

/// `None` when equal, else where the texts first differ.
fn first_difference(actual: &str, expected: &str) -> Option<String> {
    if actual == expected {
        return None;
    }
    let a: Vec<&str> = actual.split('\n').collect();
    let e: Vec<&str> = expected.split('\n').collect();
    let n = (0..a.len().max(e.len())).find(|&n| a.get(n) != e.get(n))?;
    let show = |line: Option<&&str>| line.map_or("<end>".to_string(), |l| format!("{l:?}"));
    Some(format!(
        "line {}:\n    - helm: {}\n    + tare: {}",
        n + 1,
        show(e.get(n)),
        show(a.get(n))
    ))
}

/// Why the case fails, or `None` when tare matches helm v4.
fn check(case: &Case) -> Option<String> {
    let dir = tempfile::tempdir().expect("temporary directory");
    case.materialise(dir.path());
    let result =
        common::tare_template(RELEASE, &dir.path().join("chart"), dir.path(), &case.args());
    match (
        case.section("expected.v4"),
        case.section("error.v4"),
        result,
    ) {
        (Some(expected), _, Ok(actual)) => first_difference(&actual, expected),
        (Some(_), _, Err(e)) => Some(format!("tare failed, helm succeeded:\n    {e}")),
        (None, Some(stderr), Err(e)) => first_difference(e.trim(), helm_message(stderr))
            .map(|d| format!("error text differs, {d}")),
        (None, Some(_), Ok(_)) => Some("helm failed, tare succeeded".to_string()),
        (None, None, _) => {
            Some("no expected.v4 or error.v4 section: run scripts/regen-templates-compat".into())
        }
    }
}

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("templates-compat/cases is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            case_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "txt") {
            out.push(path);
        }
    }
}

#[test]
fn templates_compat_matches_helm_v4() {
    let root = compat_dir();
    let known_text = std::fs::read_to_string(root.join("known-failures.txt")).unwrap_or_default();
    let known: BTreeSet<&str> = known_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut files = Vec::new();
    case_files(&root.join("cases"), &mut files);
    files.sort();
    let filter = std::env::var("COMPAT_FILTER").unwrap_or_default();
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    for file in &files {
        let id = file
            .strip_prefix(root.join("cases"))
            .expect("case under cases/")
            .with_extension("")
            .display()
            .to_string();
        if !id.contains(&filter) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("case file is readable");
        match check(&Case::parse(&text)) {
            None => passed.push(id),
            Some(why) => failed.push((id, why)),
        }
    }
    for (id, why) in &failed {
        let tag = if known.contains(id.as_str()) {
            "known"
        } else {
            "FAIL"
        };
        println!("{tag} {id}: {why}");
    }
    println!(
        "templates-compat: {} passed, {} failed ({} known) of {} cases",
        passed.len(),
        failed.len(),
        failed
            .iter()
            .filter(|(id, _)| known.contains(id.as_str()))
            .count(),
        passed.len() + failed.len()
    );
    let unexpected: Vec<&str> = failed
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| !known.contains(id))
        .collect();
    let fixed: Vec<&&str> = passed
        .iter()
        .filter_map(|id| known.get(id.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "cases differ from helm v4: {unexpected:?}"
    );
    assert!(
        fixed.is_empty(),
        "these pass now: remove them from templates-compat/known-failures.txt: {fixed:?}"
    );
}
