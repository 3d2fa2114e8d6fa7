//! `tare install`'s print modes: what GitOps users pipe into files and other
//! tools. They need no cluster and no kubeconfig, write only the document to
//! stdout, and match the golden files in `fixtures/golden/` byte for byte.
//!
//! After an intended change, regenerate with `TARE_UPDATE_GOLDEN=1 cargo test --test install_print`.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `tare install fixtures/identity.json <flags>` with `stdin`, far from any cluster.
fn print_mode(flags: &[&str], stdin: &str) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tare"));
    command
        .arg("install")
        .arg(repo("fixtures/identity.json"))
        .args(flags)
        .current_dir(repo(""))
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("HOME", "/nonexistent-home")
        .env_remove("REGISTRY_URL");
    let output = common::output_with_stdin(&mut command, stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{flags:?} failed: {stderr}");
    assert!(
        stderr.is_empty(),
        "print modes are quiet on stderr: {stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Compares with `fixtures/golden/<name>`; the chart tag varies by commit.
fn assert_golden(name: &str, actual: &str) {
    let path = repo("fixtures/golden").join(name);
    let actual = actual.replace(&tare::version::chart_oci_tag(), "<chart-tag>");
    if std::env::var_os("TARE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (TARE_UPDATE_GOLDEN=1 creates it)", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

#[test]
fn print_helm_values_with_the_basic_flags() {
    let out = print_mode(
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--print-helm-values",
        ],
        "",
    );
    assert_golden("values-basic.yaml", &out);
}

#[test]
fn dry_run_is_an_alias_of_print_helm_values() {
    let out = print_mode(&["--serve-url", "https://proxy.acme.com", "--dry-run"], "");
    assert_golden("values-basic.yaml", &out);
}

#[test]
fn print_helm_values_with_every_values_flag() {
    let out = print_mode(
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--image-registry",
            "gcr.io/acme/tars",
            "--image-tag",
            "v1.2.3",
            "--image-pull-secret-name",
            "acme-pull-secret",
            "--customer",
            "globex",
            "--environment",
            "prod",
            "--deployment-mode",
            "saas",
            "--redis-type",
            "hosted",
            "--rate-limiting=false",
            "--ha=false",
            "--drain-timeout-seconds",
            "120",
            "--dataplane-namespace",
            "dp",
            "--enable-guardrails",
            "--guardrails-config",
            "fixtures/guardrails.yaml",
            "--guardrails-node-selector",
            "pool=gpu",
            "--helm-values",
            "fixtures/extra-values.yaml",
            "--print-helm-values",
        ],
        "",
    );
    assert_golden("values-all-flags.yaml", &out);
}

#[test]
fn the_guardrails_config_can_come_from_stdin() {
    let out = print_mode(
        &[
            "--enable-guardrails",
            "--guardrails-config",
            "-",
            "--print-helm-values",
        ],
        &std::fs::read_to_string(repo("fixtures/guardrails.yaml")).unwrap(),
    );
    assert_golden("values-guardrails-stdin.yaml", &out);
}

#[test]
fn print_resources_gives_namespaces_and_a_pull_secret_in_each() {
    let out = print_mode(
        &[
            "--image-sync",
            "myregistry.example.com",
            "--image-pull-secret-stdin",
            "--print-resources",
        ],
        "robot:s3cret\n",
    );
    assert_golden("resources-pull-secret.yaml", &out);
}

#[test]
fn print_resources_without_credentials_gives_only_namespaces() {
    let out = print_mode(&["--print-resources"], "");
    assert_golden("resources-namespaces.yaml", &out);
}

#[test]
fn print_images_lists_source_references_and_the_chart_last() {
    let out = print_mode(&["--print-images"], "");
    assert_golden("images.txt", &out);
}

#[test]
fn print_images_with_image_sync_lists_source_destination_pairs() {
    let out = print_mode(
        &[
            "--image-sync",
            "myregistry.example.com",
            "--enable-guardrails",
            "--print-images",
        ],
        "",
    );
    assert_golden("images-sync-guardrails.txt", &out);
}

#[test]
fn mirror_to_mirror_reads_from_the_image_registry_flag() {
    let out = print_mode(
        &[
            "--image-registry",
            "acme.registry.example.com",
            "--image-sync",
            "acme1.registry.example.com",
            "--print-images",
        ],
        "",
    );
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "acme.registry.example.com/valet:v0.1.0 → acme1.registry.example.com/valet:v0.1.0"
    );
}
