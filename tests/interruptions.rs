//! Operations that do not end normally, on the real cluster with the embedded
//! chart: `kill -9` of tare at seeded points of an upgrade, then one more
//! command leaves the release deployed and consistent with nothing orphaned;
//! two upgrades started together: exactly one proceeds.

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use common::{assert_succeeded, helm, kubeconfig_path, kubectl_json, tare};
use serde_json::Value;
use tare::manifest::parse_stream;

const IDENTITY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/identity.json");

/// Both tests own the data plane's cluster-wide objects: one at a time.
static DATA_PLANE: Mutex<()> = Mutex::new(());

fn install_command(environment: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tare"));
    command
        .args(["install", IDENTITY, "--wait", "--environment", environment])
        .env("KUBECONFIG", kubeconfig_path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn install(environment: &str) -> Output {
    install_command(environment).output().expect("run tare")
}

fn spawn_install(environment: &str) -> Child {
    install_command(environment).spawn().expect("run tare")
}

fn history() -> Vec<Value> {
    let out = helm(
        "HELM4",
        &["history", "tars", "-n", "tars-system", "-o", "json"],
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Delays in [50 ms, 4 s) from a seed (`TARE_TEST_SEED` reproduces a run).
fn kill_points(count: usize) -> (u64, Vec<Duration>) {
    let seed = std::env::var("TARE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_121_u64);
    let mut state = seed;
    let delays = (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            Duration::from_millis(50 + (state >> 33) % 3950)
        })
        .collect();
    (seed, delays)
}

/// (kind, namespace, name) of every object the deployed revision owns.
fn release_objects() -> BTreeSet<(String, String, String)> {
    let out = helm("HELM4", &["get", "manifest", "tars", "-n", "tars-system"]);
    parse_stream(&String::from_utf8(out.stdout).unwrap())
        .unwrap()
        .iter()
        .filter(|m| !m.object["metadata"]["namespace"].is_null())
        .map(|m| {
            let namespace = m.object["metadata"]["namespace"].as_str().unwrap();
            (
                m.kind().to_string(),
                namespace.to_string(),
                m.name().to_string(),
            )
        })
        .collect()
}

/// (kind, namespace, name) of the live namespaced objects that say they
/// belong to the release, hooks excepted (they live outside the manifest).
fn live_release_objects() -> BTreeSet<(String, String, String)> {
    let kinds = "deployments,statefulsets,services,configmaps,serviceaccounts,roles,rolebindings,cronjobs,secrets";
    let mut found = BTreeSet::new();
    for namespace in ["tars-system", "tars-dataplane"] {
        let list = kubectl_json(&[
            "get",
            kinds,
            "-n",
            namespace,
            "-l",
            "app.kubernetes.io/managed-by=Helm",
        ]);
        for item in list["items"].as_array().unwrap() {
            let annotations = &item["metadata"]["annotations"];
            if annotations["meta.helm.sh/release-name"] != "tars"
                || !annotations["helm.sh/hook"].is_null()
            {
                continue;
            }
            found.insert((
                item["kind"].as_str().unwrap().to_string(),
                namespace.to_string(),
                item["metadata"]["name"].as_str().unwrap().to_string(),
            ));
        }
    }
    found
}

fn assert_consistent(environment: &str) {
    let history = history();
    let last = history.last().unwrap();
    assert_eq!(last["status"], "deployed", "{history:#?}");
    assert!(
        history
            .iter()
            .all(|r| !r["status"].as_str().unwrap().starts_with("pending")),
        "no revision is left pending: {history:#?}"
    );
    let values = helm(
        "HELM4",
        &["get", "values", "tars", "-n", "tars-system", "-o", "json"],
    );
    let values: Value = serde_json::from_slice(&values.stdout).unwrap();
    assert_eq!(values["global"]["environment"], environment);
    let owned = release_objects();
    let live = live_release_objects();
    let orphans: Vec<_> = live.difference(&owned).collect();
    assert!(
        orphans.is_empty(),
        "objects outside the release: {orphans:?}"
    );
    let kinds_checked = ["Deployment", "Service", "ConfigMap"];
    let missing: Vec<_> = owned
        .iter()
        .filter(|(kind, _, _)| kinds_checked.contains(&kind.as_str()))
        .filter(|o| !live.contains(*o))
        .collect();
    assert!(missing.is_empty(), "release objects missing: {missing:?}");
}

#[test]
fn after_kill_9_at_any_point_the_next_install_completes_the_release() {
    let _one_at_a_time = DATA_PLANE.lock().unwrap_or_else(|e| e.into_inner());
    common::without_data_plane_release();
    assert_succeeded("the first install", &install("first"));

    let (seed, delays) = kill_points(3);
    for (round, delay) in delays.into_iter().enumerate() {
        let mut killed = spawn_install(&format!("killed-{round}"));
        std::thread::sleep(delay);
        killed.kill().expect("SIGKILL tare");
        killed.wait().unwrap();
        eprintln!("seed {seed}: killed tare after {delay:?}");

        let environment = format!("after-{round}");
        let next = install(&environment);
        assert_succeeded(
            &format!("the install after a kill at {delay:?} (seed {seed})"),
            &next,
        );
        assert_consistent(&environment);
    }
    assert_succeeded("uninstall", &tare(&["uninstall", "--wait"]));
}

#[test]
fn of_two_concurrent_upgrades_exactly_one_proceeds() {
    let _one_at_a_time = DATA_PLANE.lock().unwrap_or_else(|e| e.into_inner());
    common::without_data_plane_release();
    assert_succeeded("the first install", &install("first"));
    let before = history().len();

    let racers = [spawn_install("racer-a"), spawn_install("racer-b")];
    let outputs: Vec<Output> = racers
        .into_iter()
        .map(|racer| racer.wait_with_output().unwrap())
        .collect();
    let winners: Vec<&Output> = outputs.iter().filter(|o| o.status.success()).collect();
    assert_eq!(winners.len(), 1, "exactly one upgrade proceeds");
    let loser = outputs.iter().find(|o| !o.status.success()).unwrap();
    let stderr = String::from_utf8_lossy(&loser.stderr);
    assert!(
        stderr.contains("another operation (install/upgrade) is in progress"),
        "{stderr}"
    );
    assert_eq!(history().len(), before + 1, "one new revision");

    assert_succeeded("uninstall", &tare(&["uninstall", "--wait"]));
}
