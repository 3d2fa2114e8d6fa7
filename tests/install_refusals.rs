//! `tare install` refuses every combination the install reference forbids,
//! before it reads stdin or touches anything, with one line naming both flags.

use std::process::Command;

fn refusal(flags: &[&str]) -> (Option<i32>, String) {
    let identity = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/identity.json");
    let output = Command::new(env!("CARGO_BIN_EXE_tare"))
        .arg("install")
        .arg(identity)
        .args(flags)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .expect("run tare");
    assert!(output.stdout.is_empty(), "refusals print nothing on stdout");
    (
        output.status.code(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn assert_refused(flags: &[&str], message: &str) {
    let (code, stderr) = refusal(flags);
    assert_eq!(code, Some(2), "{flags:?}: {stderr}");
    assert_eq!(stderr, format!("error: {message}\n"), "{flags:?}");
}

#[test]
fn crds_only_refuses_every_incompatible_flag() {
    for flag in [
        &["--sync-only", "--image-sync", "r.example.com"][..],
        &["--image-sync", "r.example.com"],
        &["--image-pull-secret-stdin"],
        &["--print-helm-values"],
        &["--dry-run"],
        &["--print-resources"],
        &["--print-images"],
    ] {
        let mut flags = vec!["--crds-only"];
        flags.extend_from_slice(flag);
        let (code, stderr) = refusal(&flags);
        assert_eq!(code, Some(2), "{flags:?}");
        assert!(
            stderr.starts_with("error: --crds-only cannot be combined with --"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn sync_only_needs_a_destination() {
    assert_refused(
        &["--sync-only"],
        "--sync-only requires --image-sync <REG> (the registry to copy to)",
    );
}

#[test]
fn guardrails_settings_need_guardrails() {
    assert_refused(
        &["--guardrails-config", "g.yaml"],
        "--guardrails-config requires --enable-guardrails",
    );
    assert_refused(
        &["--guardrails-node-selector", "pool=gpu"],
        "--guardrails-node-selector requires --enable-guardrails",
    );
}

#[test]
fn only_one_flag_may_read_stdin() {
    assert_refused(
        &[
            "--enable-guardrails",
            "--guardrails-config",
            "-",
            "--image-pull-secret-stdin",
        ],
        "--image-pull-secret-stdin and --guardrails-config - both read stdin: pass the guardrails config as a file",
    );
}

#[test]
fn print_modes_are_one_at_a_time() {
    assert_refused(
        &["--print-helm-values", "--print-images"],
        "--print-helm-values and --print-images both write to stdout: use one at a time",
    );
}

#[test]
fn oci_charts_need_a_version_and_the_embedded_chart_has_one() {
    assert_refused(
        &["--chart-path", "oci://r.example.com/serve-helm"],
        "--chart-path with an oci:// reference requires --chart-version",
    );
    assert_refused(
        &["--chart-version", "1.2.3"],
        "--chart-version requires --chart-path (the embedded chart has one version)",
    );
}

#[test]
fn a_chart_url_names_its_version_and_only_a_url_takes_a_ca_file() {
    assert_refused(
        &[
            "--chart-path",
            "https://charts.example.com/serve-helm-1.2.3.tgz",
            "--chart-version",
            "1.2.3",
        ],
        "--chart-version is for an oci:// --chart-path: an https:// URL names its chart's version",
    );
    assert_refused(
        &["--chart-path", "./chart", "--ca-file", "ca.pem"],
        "--ca-file requires an https:// --chart-path (it names the chart server's CA)",
    );
}

#[test]
fn malformed_urls_names_and_registries_are_refused() {
    assert_refused(
        &["--serve-url", "proxy.acme.com"],
        "--serve-url \"proxy.acme.com\" must start with https:// (or http://)",
    );
    assert_refused(
        &["--release-name", "Tars_1"],
        "--release-name \"Tars_1\" is not a valid name (lower-case letters, digits, '-' and '.')",
    );
    assert_refused(
        &["--system-namespace", "tars.system"],
        "--system-namespace \"tars.system\" is not a valid name (lower-case letters, digits and '-', at most 63)",
    );
    assert_refused(
        &["--image-sync", "https://mirror.example.com"],
        "--image-sync \"https://mirror.example.com\" is not a registry: give the host without a scheme, e.g. registry.example.com/team",
    );
    assert_refused(
        &["--image-tag=.v1"],
        "--image-tag \".v1\" is not a valid image tag (letters, digits, '.', '_', '-'; at most 128)",
    );
}

#[test]
fn bad_enums_and_durations_are_refused_by_the_parser() {
    for flags in [
        &["--deployment-mode", "cloud"][..],
        &["--redis-type", "memcached"],
        &["--timeout", "5"],
        &["--ha=maybe"],
        &["--guardrails-affinity", "[1]"],
    ] {
        let (code, stderr) = refusal(flags);
        assert_eq!(code, Some(2), "{flags:?}");
        assert!(
            stderr.starts_with("error: invalid value"),
            "{flags:?}: {stderr}"
        );
    }
}

#[test]
fn a_broken_identity_file_fails_with_exit_1_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identity.json");
    std::fs::write(&path, "{\"token\": \"s3cr3t\"").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(["install", path.to_str().unwrap(), "--print-helm-values"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "error: identity file {}: is not valid JSON (line 1, column 18): the file ends too early; \
             download a new identity file from the management plane\n",
            path.display()
        )
    );
    assert!(!stderr.contains("s3cr3t"));
}
