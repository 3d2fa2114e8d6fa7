//! `tare install`, `rollback` and `uninstall` end to end on the real cluster, with the embedded chart and
//! the fixture identity, judged by real helm. The data plane owns cluster-wide
//! objects (CRDs, GatewayClass), so there is one release, `tars` in
//! `tars-system`, and these steps run in order in one test.

mod common;
mod mp_server;

use std::process::{Command, Output};

use common::{helm, kubeconfig_path};
use mp_server::MpServer;
use serde_json::Value;

/// `tare install` with the fixture identity pointing at `mp`, with which
/// `--serve-url` registers the URL.
fn tare_install(mp: &MpServer, flags: &[&str]) -> Output {
    let identity = mp.identity_file();
    let mut args = vec!["install", identity.to_str().unwrap()];
    args.extend_from_slice(flags);
    mp.tare(&args)
}

fn succeeded(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "tare install failed:\n{stderr}");
    assert!(output.stdout.is_empty(), "progress goes to stderr only");
    stderr
}

fn last_revision() -> Value {
    let history = helm(
        "HELM4",
        &["history", "tars", "-n", "tars-system", "-o", "json"],
    );
    let rows: Vec<Value> = serde_json::from_slice(&history.stdout).unwrap();
    rows.last().cloned().unwrap()
}

#[test]
fn the_install_lifecycle_from_crds_only_to_uninstall_as_helm_sees_it() {
    let mp = MpServer::start();
    let stderr = succeeded(tare_install(&mp, &["--crds-only"]));
    assert!(stderr.contains("CRDs established"), "{stderr}");

    let stderr = succeeded(tare_install(
        &mp,
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--wait",
            "--ha=false",
        ],
    ));
    assert!(stderr.contains("Installation complete."), "{stderr}");
    let first = last_revision();
    assert_eq!(first["status"], "deployed");
    let token = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/identity.json"
    ))
    .unwrap();
    let token: Value = serde_json::from_str(&token).unwrap();
    assert!(
        !stderr.contains(token["token"].as_str().unwrap()),
        "the token is never printed"
    );

    let values = helm(
        "HELM4",
        &["get", "values", "tars", "-n", "tars-system", "-o", "json"],
    );
    let values: Value = serde_json::from_slice(&values.stdout).unwrap();
    assert_eq!(values["global"]["serveUrl"], "https://proxy.acme.com");
    assert_eq!(
        values["ai-gateway-crds"]["enabled"], false,
        "CRDs stay out of the release"
    );
    assert!(
        values["identity"].get("token").is_none(),
        "no secret in the values"
    );

    let stderr = succeeded(tare_install(
        &mp,
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--wait",
            "--ha=false",
        ],
    ));
    assert!(stderr.contains("is up to date"), "{stderr}");
    assert_eq!(
        last_revision(),
        first,
        "an unchanged re-run writes no revision"
    );

    succeeded(tare_install(
        &mp,
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--wait",
            "--ha=false",
            "--environment",
            "prod",
        ],
    ));
    let second = last_revision();
    let registrations = mp.calls_to("/configurator.v1.ConfiguratorService/SetDataplaneURL");
    assert_eq!(
        registrations.len(),
        3,
        "each --serve-url install registers the URL"
    );
    assert_eq!(
        second["revision"].as_u64(),
        first["revision"].as_u64().map(|r| r + 1)
    );
    assert_eq!(
        second["description"], "Upgrade complete",
        "a changed re-run is an upgrade"
    );

    let rollback = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(["rollback", "--wait"])
        .env("KUBECONFIG", kubeconfig_path())
        .output()
        .unwrap();
    assert!(
        rollback.status.success(),
        "{}",
        String::from_utf8_lossy(&rollback.stderr)
    );
    let third = last_revision();
    assert_eq!(
        third["description"],
        format!("Rollback to {}", first["revision"])
    );
    let values = helm(
        "HELM4",
        &["get", "values", "tars", "-n", "tars-system", "-o", "json"],
    );
    let values: Value = serde_json::from_slice(&values.stdout).unwrap();
    assert!(
        values["global"].get("environment").is_none(),
        "the earlier values are back"
    );

    let manifest = helm("HELM4", &["get", "manifest", "tars", "-n", "tars-system"]);
    let manifest = String::from_utf8(manifest.stdout).unwrap();
    assert!(manifest.contains("kind: EnvoyProxy"));
    assert!(!manifest.contains("kind: CustomResourceDefinition"));

    let uninstall = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(["uninstall", "--wait"])
        .env("KUBECONFIG", kubeconfig_path())
        .output()
        .unwrap();
    assert!(
        uninstall.status.success(),
        "{}",
        String::from_utf8_lossy(&uninstall.stderr)
    );
    let history = Command::new(common::required_env("HELM4"))
        .args(["history", "tars", "-n", "tars-system"])
        .env("KUBECONFIG", kubeconfig_path())
        .output()
        .unwrap();
    assert!(
        !history.status.success(),
        "helm finds no release after tare uninstall"
    );
    assert!(String::from_utf8_lossy(&history.stderr).contains("release: not found"));
}
