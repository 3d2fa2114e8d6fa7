//! `tare template` on broken input: one clear line on stderr, exit code 1,
//! nothing on stdout.

use std::path::Path;
use std::process::Command;

/// A tiny chart written into a temporary directory.
fn chart(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const CHART_YAML: (&str, &str) = ("Chart.yaml", "apiVersion: v2\nname: e\nversion: 0.1.0\n");

/// A schema that wants `port` to be an integer.
const PORT_SCHEMA: (&str, &str) = (
    "values.schema.json",
    r#"{"type":"object","properties":{"port":{"type":"integer"}}}"#,
);

/// Runs `tare template r <chart> <args>` and returns its one error line.
fn error_line(chart: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tare"))
        .arg("template")
        .arg("r")
        .arg(chart)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "one line:\n{stderr}");
    stderr.trim_end().to_string()
}

#[test]
fn a_missing_chart() {
    assert_eq!(
        error_line(Path::new("/nonexistent/chart"), &[]),
        "error: path \"/nonexistent/chart\" not found"
    );
}

#[test]
fn a_chart_yaml_without_a_version() {
    let dir = chart(&[("Chart.yaml", "apiVersion: v2\nname: e\n")]);
    assert_eq!(
        error_line(dir.path(), &[]),
        "error: validation: chart.metadata.version is required"
    );
}

#[test]
fn a_value_that_violates_the_schema() {
    let dir = chart(&[CHART_YAML, PORT_SCHEMA]);
    assert_eq!(
        error_line(dir.path(), &["--set", "port=abc"]),
        "error: values don't meet the specifications of the schema(s) in the following chart(s): \
         e: - at '/port': got string, want integer"
    );
}

#[test]
fn a_template_that_fails_to_execute() {
    let dir = chart(&[CHART_YAML, ("templates/a.yaml", "x: {{ .Values.a.b }}\n")]);
    assert_eq!(
        error_line(dir.path(), &[]),
        "error: e/templates/a.yaml:1:13: executing \"e/templates/a.yaml\" at <.Values.a.b>: \
         nil pointer evaluating interface {}.b"
    );
}

#[test]
fn a_template_that_does_not_parse() {
    let dir = chart(&[CHART_YAML, ("templates/a.yaml", "x: {{ .Values.a\n")]);
    assert!(error_line(dir.path(), &[]).starts_with("error: parse error at (e/templates/a.yaml:"));
}

#[test]
fn values_are_reported_before_templates_as_helm_does() {
    // Both are wrong; tare checks them at the same time but says what helm says.
    let dir = chart(&[
        CHART_YAML,
        PORT_SCHEMA,
        ("templates/a.yaml", "x: {{ .Values.a\n"),
    ]);
    assert!(
        error_line(dir.path(), &["--set", "port=abc"])
            .starts_with("error: values don't meet the specifications of the schema(s)")
    );
}
