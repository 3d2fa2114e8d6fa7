//! `tare template oci://…`: a chart that real helm v4 pushed to the local
//! registry renders exactly as `helm template oci://…` renders it.

mod common;

use std::process::Command;

use common::{fixture, helm, required_env};

#[test]
fn a_chart_helm_pushed_renders_as_helm_renders_it() {
    let registry = required_env("TARE_TEST_REGISTRY");
    let scratch = tempfile::tempdir().unwrap();
    let out_dir = scratch.path().to_str().unwrap();
    let chart = fixture("charts/records");
    helm(
        "HELM4",
        &["package", chart.to_str().unwrap(), "-d", out_dir],
    );
    let package = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "tgz"))
        .expect("helm package wrote a .tgz");
    let repository = format!(
        "oci://{registry}/tare-tests/chart-oci-{}",
        std::process::id()
    );
    helm(
        "HELM4",
        &[
            "push",
            package.to_str().unwrap(),
            &repository,
            "--plain-http",
        ],
    );

    let reference = format!("{repository}/records");
    let version = "0.2.0";
    let helm_output = helm(
        "HELM4",
        &[
            "template",
            "rel",
            &reference,
            "--version",
            version,
            "--plain-http",
        ],
    );
    let tare_output = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(["template", "rel", &reference, "--version", version])
        .output()
        .unwrap();
    assert!(
        tare_output.status.success(),
        "{}",
        String::from_utf8_lossy(&tare_output.stderr)
    );
    assert_eq!(
        String::from_utf8(tare_output.stdout).unwrap(),
        String::from_utf8(helm_output.stdout).unwrap()
    );

    let missing = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(["template", "rel", &reference, "--version", "9.9.9"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("9.9.9"), "{stderr}");
}
