//! `tare upgrade` end to end on the real cluster: refusals that change
//! nothing, values carried forward (as real helm reads them) to a newer chart
//! pulled from an OCI registry, CRDs upserted with honest counts, and a broken
//! image rolled back. The data plane owns
//! cluster-wide objects, so the release steps run in order in one test.

mod common;
mod https_server;
mod mp_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{helm, kubeconfig_path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::DeleteParams;
use mp_server::MpServer;
use serde_json::Value;

const IDENTITY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/identity.json");

/// The CRD deleted before the upgrade (no object of the chart uses it).
const DELETED_CRD: &str = "tarsroutedeployments.tars.tetrate.ai";

fn tare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(args)
        .env("KUBECONFIG", kubeconfig_path())
        .env_remove("TARE_SKIP_PREFLIGHT")
        .output()
        .expect("run tare")
}

fn succeeded(what: &str, output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{what} failed:\n{stderr}");
    assert!(output.stdout.is_empty(), "progress goes to stderr only");
    stderr
}

/// A refusal: exit 1, and the error is the last line of stderr.
fn refused(what: &str, output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{what} must fail:\n{stderr}");
    stderr
}

fn history() -> Vec<Value> {
    let out = helm(
        "HELM4",
        &["history", "tars", "-n", "tars-system", "-o", "json"],
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn helm_values() -> Value {
    let out = helm(
        "HELM4",
        &["get", "values", "tars", "-n", "tars-system", "-o", "json"],
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The embedded chart as a newer release would ship it: a bumped version, one
/// changed object and one changed CRD.
fn newer_chart(dir: &Path) -> PathBuf {
    let chart = dir.join("serve-helm");
    succeeded(
        "tare chart export",
        tare(&["chart", "export", chart.to_str().unwrap()]),
    );
    edit(&chart.join("Chart.yaml"), |text| {
        let version = text
            .lines()
            .find(|l| l.starts_with("version:"))
            .expect("Chart.yaml has a version");
        text.replace(version, "version: 9.9.9")
    });
    edit(&chart.join("templates/tars-config.yaml"), |text| {
        text.replacen("\ndata:\n", "\ndata:\n  upgraded: \"true\"\n", 1)
    });
    edit(
        &chart.join("crds/gateway.envoyproxy.io_httproutefilters.yaml"),
        |text| {
            text.replace(
                "gateway.envoyproxy.io/version: v1.6.5",
                "gateway.envoyproxy.io/version: v1.6.6",
            )
        },
    );
    chart
}

/// The chart packaged and pushed by real helm v4 to the test registry, as an
/// operator's CI would publish it; returns its `oci://` reference.
fn pushed_with_helm(chart: &Path, scratch: &Path) -> String {
    let registry = common::required_env("TARE_TEST_REGISTRY");
    let packages = scratch.join("packages");
    let packages = packages.to_str().unwrap();
    helm(
        "HELM4",
        &["package", chart.to_str().unwrap(), "-d", packages],
    );
    let package = format!("{packages}/serve-helm-9.9.9.tgz");
    let repository = format!("oci://{registry}/tare-tests/upgrade-{}", std::process::id());
    helm("HELM4", &["push", &package, &repository, "--plain-http"]);
    format!("{repository}/serve-helm")
}

fn edit(path: &Path, change: impl FnOnce(&str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let changed = change(&text);
    assert_ne!(text, changed, "{} was not changed", path.display());
    std::fs::write(path, changed).unwrap();
}

fn delete_crd(name: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let crds: Api<CustomResourceDefinition> = Api::all(common::admin_client().await);
        crds.delete(name, &DeleteParams::default()).await.unwrap();
        common::eventually(Duration::from_secs(30), "the CRD to be gone", || async {
            crds.get_opt(name).await.unwrap().is_none()
        })
        .await;
    });
}

#[test]
fn an_upgrade_carries_values_forward_upserts_crds_and_rolls_back_a_broken_image() {
    common::without_data_plane_release();
    // The identity's management plane answers the install's --serve-url registration.
    let mp = MpServer::start();
    let identity = mp.identity_file();
    let identity = identity.to_str().unwrap();
    let stderr = refused("upgrade without a release", tare(&["upgrade", identity]));
    assert!(
        stderr.contains("no release \"tars\" in namespace tars-system")
            && stderr.contains("tare install"),
        "{stderr}"
    );

    succeeded(
        "single-replica install",
        mp.tare(&[
            "install",
            identity,
            "--ha=false",
            "--customer",
            "globex",
            "--environment",
            "staging",
            "--serve-url",
            "https://proxy.acme.com",
            "--wait",
        ]),
    );
    let installed = history();
    assert_eq!(installed.len(), 1);

    let stderr = refused("upgrade of a single replica", tare(&["upgrade", identity]));
    assert!(
        stderr.contains("data-plane Envoy is single-replica (envoyHpa.minReplicas=1).")
            && stderr.contains("tare install --ha")
            && stderr.contains("--allow-downtime"),
        "{stderr}"
    );

    let stderr = refused(
        "upgrade with namespaced credentials",
        tare(&["upgrade", identity, "--kube-context", "restricted"]),
    );
    assert!(
        stderr.contains("forbidden: these credentials may not patch customresourcedefinitions"),
        "{stderr}"
    );
    assert_eq!(history(), installed, "refusals change nothing");

    let scratch = tempfile::tempdir().unwrap();
    let chart = newer_chart(scratch.path());
    let oci_chart = pushed_with_helm(&chart, scratch.path());
    delete_crd(DELETED_CRD);
    let stderr = succeeded(
        "upgrade to a newer chart",
        tare(&[
            "upgrade",
            identity,
            "--allow-downtime",
            "--chart-path",
            &oci_chart,
            "--chart-version",
            "9.9.9",
        ]),
    );
    for phase in [
        "[1/5] Preflight",
        "[2/5] Discover existing release",
        "[3/5] HA preflight",
        "[4/5] Apply / update CRDs",
        "[5/5] Helm upgrade",
        "Upgrade completed.",
    ] {
        assert!(stderr.contains(phase), "missing {phase:?} in:\n{stderr}");
    }
    assert!(
        stderr.contains(
            r#"carried forward: registry="registry.tetrate.ai" customer="globex" env="staging" otel=false"#
        ),
        "{stderr}"
    );
    let counts = stderr
        .lines()
        .find(|l| l.ends_with(" skipped"))
        .expect("a CRD count line");
    let total = std::fs::read_dir(chart.join("crds")).unwrap().count()
        + std::fs::read_dir(chart.join("charts/ai-gateway-crds/templates"))
            .unwrap()
            .filter(|e| {
                !e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('_')
            })
            .count();
    assert_eq!(
        counts,
        format!("1 created, 1 updated, {} skipped", total - 2),
        "{stderr}"
    );

    let upgraded = history();
    let last = upgraded.last().unwrap();
    assert_eq!(last["description"], "Upgrade complete");
    assert_eq!(last["chart"], "serve-helm-9.9.9");
    let values = helm_values();
    assert_eq!(values["global"]["customer"], "globex");
    assert_eq!(values["global"]["environment"], "staging");
    assert_eq!(values["global"]["serveUrl"], "https://proxy.acme.com");
    assert_eq!(values["ha"]["enabled"], true, "HA is the new default");
    let manifest = helm("HELM4", &["get", "manifest", "tars", "-n", "tars-system"]);
    assert!(String::from_utf8_lossy(&manifest.stdout).contains("upgraded: \"true\""));

    let started = Instant::now();
    let stderr = refused(
        "upgrade to a broken image",
        tare(&[
            "upgrade",
            identity,
            "--chart-path",
            chart.to_str().unwrap(),
            "--image-tag",
            "broken",
            "--timeout",
            "3m",
        ]),
    );
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "fails fast, well before --timeout ({:?}):\n{stderr}",
        started.elapsed()
    );
    let after = history();
    let failed = &after[after.len() - 2];
    let rollback = after.last().unwrap();
    assert_eq!(failed["status"], "failed", "{after:#?}");
    assert_eq!(rollback["status"], "deployed");
    assert_eq!(
        rollback["description"],
        format!("Rollback to {}", last["revision"])
    );
    assert_eq!(
        helm_values()["global"].get("imageTag"),
        None,
        "the previous values are back"
    );

    succeeded("uninstall", tare(&["uninstall", "--wait"]));
}

#[test]
fn a_missing_identity_file_is_refused_before_the_cluster_is_touched() {
    let stderr = refused(
        "upgrade with a missing identity",
        tare(&["upgrade", "/nonexistent/identity.json"]),
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot read identity file /nonexistent/identity.json"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_cluster_is_one_line() {
    let scratch = tempfile::tempdir().unwrap();
    let kubeconfig = scratch.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:1\n\
         users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\n\
         current-context: gone\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(["upgrade", IDENTITY])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    let stderr = refused("upgrade against an unreachable cluster", output);
    let error = stderr.lines().last().unwrap();
    assert!(
        error.starts_with("error: the cluster does not answer"),
        "{stderr}"
    );
}
