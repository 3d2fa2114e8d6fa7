//! `tare install`, `rollback` and `uninstall` end to end on the real cluster, with the embedded chart and
//! the fixture identity, judged by real helm: a cluster admin applies the CRDs, a namespaced
//! operator installs the rest. The data plane owns cluster-wide
//! objects (CRDs, GatewayClass), so there is one release, `tars` in
//! `tars-system`, and these steps run in order in one test.

mod common;
mod https_server;
mod mp_server;

use std::process::{Command, Output};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use common::{assert_succeeded, helm, kubeconfig_path, kubectl_json, tare};
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

/// `tare install` with `input` on stdin (for `--image-pull-secret-stdin`).
fn tare_install_with_stdin(mp: &MpServer, flags: &[&str], input: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tare"));
    command
        .arg("install")
        .arg(mp.identity_file())
        .args(flags)
        .env("KUBECONFIG", kubeconfig_path())
        .env("TARE_MP_CA_FILE", mp.ca_file());
    common::output_with_stdin(&mut command, input)
}

/// The registry credentials in a dockerconfigjson pull secret.
fn pull_secret_auth(namespace: &str, registry: &str) -> String {
    let secret = kubectl_json(&["get", "secret", "tars-image-pull-secret", "-n", namespace]);
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    let config = BASE64
        .decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap();
    let config: Value = serde_json::from_slice(&config).unwrap();
    config["auths"][registry]["auth"]
        .as_str()
        .unwrap()
        .to_string()
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

/// Both tests own the data plane's cluster-wide objects: one at a time.
static DATA_PLANE: Mutex<()> = Mutex::new(());

#[test]
fn the_install_lifecycle_from_crds_only_to_uninstall_as_helm_sees_it() {
    let _one_at_a_time = DATA_PLANE.lock().unwrap_or_else(|e| e.into_inner());
    common::without_data_plane_release();
    let mp = MpServer::start();
    let stderr = succeeded(tare_install(&mp, &["--crds-only"]));
    assert!(stderr.contains("CRDs established"), "{stderr}");

    // A namespaced operator (no rights on CRDs or namespaces) installs the
    // rest once a cluster admin applied the CRDs.
    let stderr = succeeded(tare_install(
        &mp,
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--wait",
            "--ha=false",
            "--kube-context",
            "restricted",
        ],
    ));
    assert!(stderr.contains("Installation complete."), "{stderr}");
    assert!(
        stderr.contains("CRDs: all") && stderr.contains("namespace tars-system: exists"),
        "{stderr}"
    );
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

    // A changed re-run, with a pull secret read from stdin for both namespaces.
    let registry_flags = [
        "--serve-url",
        "https://proxy.acme.com",
        "--wait",
        "--ha=false",
        "--environment",
        "prod",
        "--image-registry",
        "registry.acme.test",
        "--image-pull-secret-stdin",
    ];
    let stderr = succeeded(tare_install_with_stdin(
        &mp,
        &registry_flags,
        "robot:first-pass\n",
    ));
    assert!(
        !stderr.contains("first-pass"),
        "the password is never printed"
    );
    for namespace in ["tars-system", "tars-dataplane"] {
        assert_eq!(
            pull_secret_auth(namespace, "registry.acme.test"),
            BASE64.encode("robot:first-pass")
        );
    }
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

    succeeded(tare_install_with_stdin(
        &mp,
        &registry_flags,
        "robot:second-pass",
    ));
    assert_eq!(
        pull_secret_auth("tars-dataplane", "registry.acme.test"),
        BASE64.encode("robot:second-pass"),
        "a re-run updates the pull secret"
    );
    assert_eq!(last_revision(), second, "only the pull secret changed");

    assert_succeeded("tare rollback", &tare(&["rollback", "--wait"]));
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

    assert_succeeded("tare uninstall", &tare(&["uninstall", "--wait"]));
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

#[test]
fn after_crds_only_raw_helm_installs_the_exported_chart() {
    let _one_at_a_time = DATA_PLANE.lock().unwrap_or_else(|e| e.into_inner());
    common::without_data_plane_release();
    let mp = MpServer::start();
    succeeded(tare_install(&mp, &["--crds-only"]));
    let scratch = tempfile::tempdir().unwrap();
    let chart = scratch.path().join("serve-helm");
    let export = tare(&["chart", "export", chart.to_str().unwrap()]);
    assert_succeeded("tare chart export", &export);
    let printed = tare_install(
        &mp,
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--print-helm-values",
        ],
    );
    assert!(printed.status.success());
    let values = scratch.path().join("values.yaml");
    std::fs::write(&values, &printed.stdout).unwrap();

    helm(
        "HELM4",
        &[
            "install",
            "tars",
            chart.to_str().unwrap(),
            "-n",
            "tars-system",
            "-f",
            values.to_str().unwrap(),
            "--skip-crds",
            "--set",
            "ai-gateway-crds.enabled=false",
            "--wait",
            "--timeout",
            "2m",
        ],
    );
    assert_eq!(last_revision()["status"], "deployed");
    helm(
        "HELM4",
        &["uninstall", "tars", "-n", "tars-system", "--wait"],
    );
}
