//! The command-line surface as an operator meets it, before any cluster is involved.

use std::process::{Command, Output};

fn tare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(args)
        .output()
        .expect("run tare")
}

#[test]
fn version_names_the_crate_version_and_the_git_commit() {
    let output = tare(&["--version"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let expected_start = format!("tare {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected_start), "{text}");
    let commit = text
        .trim_end()
        .trim_start_matches(&expected_start)
        .trim_end_matches(')');
    let hash = commit.trim_end_matches("-dirty");
    assert!(
        hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "commit should be a 12-digit hash, optionally -dirty: {commit}"
    );
}

#[test]
fn every_command_has_help_that_says_what_it_is_for() {
    for command in [
        "install",
        "upgrade",
        "template",
        "history",
        "status",
        "rollback",
        "uninstall",
        "doctor",
    ] {
        let output = tare(&[command, "--help"]);
        assert!(output.status.success(), "{command} --help");
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(help.contains("Usage: tare "), "{command}: {help}");
    }
    let output = tare(&["get", "values", "--help"]);
    assert!(output.status.success());
}

#[test]
fn doctor_without_a_readable_identity_file_fails_with_one_line() {
    let output = tare(&["doctor", "no-such-identity.json"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: cannot read identity file no-such-identity.json: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn doctor_forward_events_has_help_of_its_own() {
    let output = tare(&["doctor", "forward-events", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("Usage: tare doctor forward-events"), "{help}");
}

#[test]
fn an_unknown_flag_is_refused_with_exit_2() {
    let output = tare(&["install", "identity.json", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--no-such-flag"));
}
