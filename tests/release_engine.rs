//! The release engine against the real cluster, with real helm v3 and v4 as
//! the judges: what tare installs, helm reads, upgrades and rolls back; what
//! helm installed, tare upgrades and rolls back; failures roll back for real.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{TestNamespace, admin_client, fixture, helm, kubeconfig_path, required_env};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{Api, Client};
use serde_json::{Value, json};
use tare::action::apply_release::Transition;
use tare::action::chart_record::{chart_record, config_of};
use tare::action::deploy::{DeployOptions, DeployRequest, Deployed, Operation, deploy};
use tare::action::hooks::record_hook;
use tare::action::rollback::{RollbackRequest, rollback};
use tare::chart::RenderOptions;
use tare::release::{ChartRecord, Metadata, SecretStore, Status};

/// The smoke chart rendered by real helm: the manifest text helm itself stores.
fn smoke_manifest(namespace: &str, message: &str) -> String {
    let chart = fixture("charts/smoke");
    let output = helm(
        "HELM4",
        &[
            "template",
            "smoke",
            chart.to_str().unwrap(),
            "-n",
            namespace,
            "--set",
            &format!("message={message}"),
        ],
    );
    String::from_utf8(output.stdout).unwrap()
}

fn smoke_chart() -> ChartRecord {
    ChartRecord {
        metadata: Some(Metadata {
            api_version: "v2".into(),
            name: "smoke".into(),
            version: "0.1.0".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn request(namespace: &str, manifest: String, config: Value) -> DeployRequest {
    DeployRequest {
        release: "smoke".into(),
        namespace: namespace.into(),
        chart: smoke_chart(),
        config: config.as_object().cloned().unwrap_or_default(),
        manifest,
        notes: String::new(),
        hooks: Vec::new(),
    }
}

/// Deploys the smoke chart with `message`, as a user would re-run an install.
async fn deploy_message(client: &Client, namespace: &str, message: &str) -> Deployed {
    let manifest = smoke_manifest(namespace, message);
    deploy(
        client,
        request(namespace, manifest, json!({ "message": message })),
        &quick(),
    )
    .await
    .unwrap()
}

fn quick() -> DeployOptions {
    DeployOptions {
        timeout: Duration::from_secs(60),
        ..Default::default()
    }
}

async fn message(client: &Client, namespace: &str) -> String {
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let cm = config_maps.get("smoke-smoke").await.unwrap();
    cm.data.unwrap()["message"].clone()
}

/// `helm history -o json` as (revision, status, description).
fn helm_history(which: &str, namespace: &str) -> Vec<(u64, String, String)> {
    let output = helm(which, &["history", "smoke", "-n", namespace, "-o", "json"]);
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
                r["description"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row(revision: u64, status: &str, description: &str) -> (u64, String, String) {
    (revision, status.to_string(), description.to_string())
}

#[tokio::test]
async fn helm_reads_upgrades_rolls_back_and_uninstalls_what_tare_installed() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "engine-interop").await;
    let installed = deploy_message(&client, &ns.name, "one").await;
    assert_eq!(
        (installed.operation, installed.release.version),
        (Operation::Install, 1)
    );
    assert_eq!(message(&client, &ns.name).await, "one");

    for which in ["HELM4", "HELM3"] {
        assert_eq!(
            helm_history(which, &ns.name),
            [row(1, "deployed", "Install complete")],
            "{which}"
        );
        let values = helm(
            which,
            &["get", "values", "smoke", "-n", &ns.name, "-o", "json"],
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&values.stdout).unwrap(),
            json!({ "message": "one" })
        );
        let manifest = helm(which, &["get", "manifest", "smoke", "-n", &ns.name]);
        assert_eq!(
            String::from_utf8(manifest.stdout).unwrap().trim(),
            smoke_manifest(&ns.name, "one").trim()
        );
    }

    let chart = fixture("charts/smoke");
    helm(
        "HELM4",
        &[
            "upgrade",
            "smoke",
            chart.to_str().unwrap(),
            "-n",
            &ns.name,
            "--set",
            "message=two",
            "--wait",
        ],
    );
    assert_eq!(message(&client, &ns.name).await, "two");

    let upgraded = deploy_message(&client, &ns.name, "three").await;
    assert_eq!(
        (upgraded.operation, upgraded.release.version),
        (Operation::Upgrade, 3)
    );
    assert_eq!(message(&client, &ns.name).await, "three");

    helm(
        "HELM4",
        &["rollback", "smoke", "1", "-n", &ns.name, "--wait"],
    );
    assert_eq!(message(&client, &ns.name).await, "one");
    helm(
        "HELM3",
        &["rollback", "smoke", "3", "-n", &ns.name, "--wait"],
    );
    assert_eq!(message(&client, &ns.name).await, "three");
    assert_eq!(
        helm_history("HELM4", &ns.name),
        [
            row(1, "superseded", "Install complete"),
            row(2, "superseded", "Upgrade complete"),
            row(3, "superseded", "Upgrade complete"),
            row(4, "superseded", "Rollback to 1"),
            row(5, "deployed", "Rollback to 3"),
        ]
    );

    helm("HELM4", &["uninstall", "smoke", "-n", &ns.name, "--wait"]);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns.name);
    assert!(
        config_maps.get_opt("smoke-smoke").await.unwrap().is_none(),
        "helm uninstall removed it"
    );
    ns.delete().await;
}

#[tokio::test]
async fn tare_upgrades_and_rolls_back_releases_made_by_helm_v3_and_v4() {
    let client = admin_client().await;
    for which in ["HELM3", "HELM4"] {
        let ns =
            TestNamespace::create(&client, &format!("engine-from-{}", which.to_lowercase())).await;
        let chart = fixture("charts/smoke");
        helm(
            which,
            &[
                "install",
                "smoke",
                chart.to_str().unwrap(),
                "-n",
                &ns.name,
                "--set",
                "message=helm",
                "--wait",
            ],
        );

        let upgraded = deploy_message(&client, &ns.name, "tare").await;
        assert_eq!(
            (upgraded.operation, upgraded.release.version),
            (Operation::Upgrade, 2),
            "{which}"
        );
        assert_eq!(message(&client, &ns.name).await, "tare");

        let how = Transition {
            wait: true,
            timeout: Duration::from_secs(60),
            from_client_side: false,
        };
        let rolled = rollback(
            &client,
            &RollbackRequest {
                release: "smoke".into(),
                namespace: ns.name.clone(),
                revision: None,
            },
            how,
        )
        .await
        .unwrap();
        assert_eq!(rolled.version, 3);
        assert_eq!(message(&client, &ns.name).await, "helm");
        assert_eq!(
            helm_history(which, &ns.name),
            [
                row(1, "superseded", "Install complete"),
                row(2, "superseded", "Upgrade complete"),
                row(3, "deployed", "Rollback to 1"),
            ],
            "{which} reads tare's revisions"
        );
        ns.delete().await;
    }
}

fn web_manifest(image: &str) -> String {
    format!(
        "---\n# Source: web/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: main\n        image: {image}\n"
    )
}

#[tokio::test]
async fn a_broken_upgrade_fails_fast_and_is_rolled_back() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "engine-broken").await;
    let options = DeployOptions {
        timeout: Duration::from_secs(120),
        ..Default::default()
    };
    deploy(
        &client,
        request(
            &ns.name,
            web_manifest("registry.example.test/web:1.0"),
            json!({ "tag": "1.0" }),
        ),
        &options,
    )
    .await
    .unwrap();

    let started = Instant::now();
    let error = deploy(
        &client,
        request(
            &ns.name,
            web_manifest("registry.example.test/web:broken"),
            json!({ "tag": "broken" }),
        ),
        &options,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "failed fast: {:?}",
        started.elapsed()
    );
    assert!(
        error.starts_with(
            "release smoke failed, and has been rolled back due to rollback-on-failure being set:"
        ),
        "{error}"
    );
    assert!(error.contains("ImagePullBackOff"), "{error}");

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    let live = deployments.get("web").await.unwrap();
    let image = live.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap();
    assert_eq!(
        image, "registry.example.test/web:1.0",
        "the previous spec is back"
    );

    let history = helm_history("HELM4", &ns.name);
    assert_eq!(history[0], row(1, "superseded", "Install complete"));
    assert_eq!((history[1].0, history[1].1.as_str()), (2, "failed"));
    assert!(
        history[1].2.starts_with("Upgrade \"smoke\" failed: "),
        "{}",
        history[1].2
    );
    assert_eq!(history[2], row(3, "deployed", "Rollback to 1"));
    ns.delete().await;
}

#[tokio::test]
async fn a_failed_first_install_removes_what_it_created() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "engine-install-fails").await;
    let options = DeployOptions {
        timeout: Duration::from_secs(60),
        ..Default::default()
    };
    let error = deploy(
        &client,
        request(
            &ns.name,
            web_manifest("registry.example.test/web:broken"),
            json!({}),
        ),
        &options,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with(
            "release smoke failed, and has been uninstalled due to rollback-on-failure being set:"
        ),
        "{error}"
    );
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    assert!(deployments.get_opt("web").await.unwrap().is_none());
    let store = SecretStore::new(client.clone(), ns.name.clone());
    assert!(store.history("smoke").await.is_err(), "no revision is left");
    ns.delete().await;
}

#[tokio::test]
async fn a_revision_left_pending_by_a_dead_process_is_settled_by_the_next_command() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "engine-pending").await;
    deploy_message(&client, &ns.name, "one").await;
    let store = SecretStore::new(client.clone(), ns.name.clone());
    let mut stuck = store.last("smoke").await.unwrap();
    stuck.version = 2;
    stuck.set_status(Status::PendingUpgrade, "Preparing upgrade");
    store.create(&stuck).await.unwrap();

    let next = deploy_message(&client, &ns.name, "two").await;
    assert_eq!(next.release.version, 3);
    let history = helm_history("HELM4", &ns.name);
    assert_eq!(
        history[1].1, "failed",
        "the stuck revision is recorded as failed"
    );
    assert_eq!(history[2], row(3, "deployed", "Upgrade complete"));
    assert_eq!(message(&client, &ns.name).await, "two");
    ns.delete().await;
}

/// Keeps the helpers honest: a kubeconfig and helm are required, never skipped.
#[test]
fn the_oracles_are_configured() {
    assert!(kubeconfig_path().exists());
    let version = Command::new(required_env("HELM4"))
        .arg("version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains("v4.1.4"));
}

/// A release's hooks as helm stored them, without the run times.
async fn stored_hooks(client: &Client, namespace: &str, name: &str) -> Vec<Value> {
    let store = SecretStore::new(client.clone(), namespace);
    let release = store.last(name).await.unwrap();
    release
        .hooks
        .iter()
        .map(|hook| {
            let mut hook = serde_json::to_value(hook).unwrap();
            let last_run = hook["last_run"].as_object_mut().unwrap();
            for time in ["started_at", "completed_at"] {
                if let Some(at) = last_run.remove(time) {
                    last_run.insert(time.into(), json!(!at.as_str().unwrap().is_empty()));
                }
            }
            hook
        })
        .collect()
}

#[tokio::test]
async fn hooks_are_run_and_recorded_as_helm_records_them() {
    let client = admin_client().await;
    let ours = TestNamespace::create(&client, "hooks-tare").await;
    let theirs = TestNamespace::create(&client, "hooks-helm").await;
    let chart_dir = fixture("charts/records");
    let chart = tare::chart::load(&chart_dir).unwrap();
    let values = tare::yaml::node_from_json(&json!({}));
    let options = RenderOptions {
        release_name: "rec".into(),
        namespace: ours.name.clone(),
        revision: 1,
        ..Default::default()
    };
    let rendered = tare::chart::render(&chart, &values, &options).unwrap();
    let request = DeployRequest {
        release: "rec".into(),
        namespace: ours.name.clone(),
        chart: chart_record(&chart),
        config: config_of(&values),
        manifest: rendered.manifest_text(false),
        notes: rendered.notes.clone(),
        hooks: rendered.hooks.iter().map(record_hook).collect(),
    };
    deploy(&client, request, &quick()).await.unwrap();
    helm(
        "HELM4",
        &[
            "install",
            "rec",
            chart_dir.to_str().unwrap(),
            "-n",
            &theirs.name,
            "--wait",
        ],
    );

    let hooks_of = |namespace: &str| {
        String::from_utf8(helm("HELM4", &["get", "hooks", "rec", "-n", namespace]).stdout).unwrap()
    };
    assert_eq!(hooks_of(&ours.name), hooks_of(&theirs.name));
    assert_eq!(
        stored_hooks(&client, &ours.name, "rec").await,
        stored_hooks(&client, &theirs.name, "rec").await,
        "same hooks, same last_run phases"
    );
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ours.name);
    assert!(
        config_maps.get_opt("rec-hook").await.unwrap().is_some(),
        "the post-install hook ran"
    );

    helm("HELM4", &["uninstall", "rec", "-n", &ours.name, "--wait"]);
    ours.delete().await;
    theirs.delete().await;
}

/// A ConfigMap whose finalizer no controller will ever remove.
fn held_config_map() -> String {
    "---\n# Source: smoke/templates/held.yaml\napiVersion: v1\nkind: ConfigMap\n\
     metadata:\n  name: held\n  finalizers:\n  - example.test/gone-controller\ndata:\n  a: b\n"
        .to_string()
}

fn tare_uninstall(namespace: &str, flags: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tare"))
        .args([
            "uninstall",
            "--release-name",
            "smoke",
            "-n",
            namespace,
            "--timeout",
            "3s",
        ])
        .args(flags)
        .env("KUBECONFIG", kubeconfig_path())
        .output()
        .unwrap()
}

#[tokio::test]
async fn uninstall_names_objects_held_by_finalizers_and_clears_them_when_asked() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "engine-finalizers").await;
    deploy(
        &client,
        request(&ns.name, held_config_map(), json!({})),
        &quick(),
    )
    .await
    .unwrap();

    let held = tare_uninstall(&ns.name, &["--wait"]);
    let stderr = String::from_utf8_lossy(&held.stderr);
    assert!(!held.status.success());
    assert!(
        stderr.contains("ConfigMap")
            && stderr.contains("held")
            && stderr.contains("--clear-finalizers"),
        "{stderr}"
    );

    let cleared = tare_uninstall(&ns.name, &["--clear-finalizers"]);
    let stderr = String::from_utf8_lossy(&cleared.stderr);
    assert!(cleared.status.success(), "{stderr}");
    assert!(
        stderr.contains("cleared finalizers (example.test/gone-controller)"),
        "{stderr}"
    );
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns.name);
    assert!(config_maps.get_opt("held").await.unwrap().is_none());
    ns.delete().await;
}
