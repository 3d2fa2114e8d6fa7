//! The release engine against the real cluster, with real helm v3 and v4 as
//! the judges: what tare installs, helm reads, upgrades and rolls back; what
//! helm installed, tare upgrades and rolls back; failures roll back for real.

mod common;

use std::path::{Path, PathBuf};
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

/// Installs `chart_dir` as release `name` with tare's engine (render + deploy)
/// into `namespace`, as `tare install` does for its chart.
async fn tare_installs(client: &Client, chart_dir: &Path, name: &str, namespace: &str) {
    let chart = tare::chart::load(chart_dir).unwrap();
    let values = tare::yaml::node_from_json(&json!({}));
    let options = RenderOptions {
        release_name: name.into(),
        namespace: namespace.into(),
        revision: 1,
        ..Default::default()
    };
    let rendered = tare::chart::render(chart.clone(), &values, &options).unwrap();
    let request = DeployRequest {
        release: name.into(),
        namespace: namespace.into(),
        chart: chart_record(&chart).unwrap(),
        config: config_of(&values),
        manifest: rendered.manifest_text(false),
        notes: rendered.notes.clone(),
        hooks: rendered.hooks.iter().map(record_hook).collect(),
    };
    deploy(client, request, &quick()).await.unwrap();
}

/// What `helm <args> <name> -n <namespace>` prints, made comparable.
fn helm_sees(which: &str, args: &[&str], name: &str, namespace: &str) -> String {
    let mut full: Vec<&str> = args.to_vec();
    full.extend([name, "-n", namespace]);
    comparable(
        &String::from_utf8(helm(which, &full).stdout).unwrap(),
        namespace,
    )
}

/// The namespace name, times, ages and podinfo's random test-pod suffixes
/// (`randAlphaNum 5`) masked: what differs between two equal installs.
fn comparable(text: &str, namespace: &str) -> String {
    let masks = [
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "<time>",
        ),
        (
            r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}",
            "<time>",
        ),
        (r"\b\d+[smhd](\d+[smh])?\b", "<age>"),
        (r"-test-[a-z0-9]{5}\b", "-test-<random>"),
    ];
    let mut text = text.replace(namespace, "<namespace>");
    for (pattern, mask) in masks {
        let pattern = regex::Regex::new(pattern).unwrap();
        text = pattern.replace_all(&text, mask).into_owned();
    }
    text
}

#[tokio::test]
async fn charts_tare_installed_read_in_helm_v3_and_v4_as_if_helm_had_installed_them() {
    let client = admin_client().await;
    let podinfo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/podinfo/chart");
    for (chart_dir, name) in [(fixture("charts/records"), "rec"), (podinfo, "podinfo")] {
        let ours = TestNamespace::create(&client, "as-helm-tare").await;
        let theirs = TestNamespace::create(&client, "as-helm-helm").await;
        tare_installs(&client, &chart_dir, name, &ours.name).await;
        let chart = chart_dir.to_str().unwrap();
        helm(
            "HELM4",
            &["install", name, chart, "-n", &theirs.name, "--wait"],
        );

        for which in ["HELM3", "HELM4"] {
            for args in [
                // (`status` also lists live objects: cluster IPs and pod names differ.)
                &["history"][..],
                &["get", "values", "--all"],
                &["get", "manifest"],
                &["get", "hooks"],
                &["get", "notes"],
            ] {
                assert_eq!(
                    helm_sees(which, args, name, &ours.name),
                    helm_sees(which, args, name, &theirs.name),
                    "{which} {args:?} of {name}"
                );
            }
        }
        let hooks_of = async |namespace: &str| {
            let hooks = stored_hooks(&client, namespace, name).await;
            comparable(&serde_json::to_string_pretty(&hooks).unwrap(), namespace)
        };
        assert_eq!(
            hooks_of(&ours.name).await,
            hooks_of(&theirs.name).await,
            "{name}: same hooks, same last_run phases"
        );
        helm("HELM4", &["uninstall", name, "-n", &ours.name, "--wait"]);
        ours.delete().await;
        theirs.delete().await;
    }
}

#[tokio::test]
async fn post_install_hooks_run() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "hooks-run").await;
    tare_installs(&client, &fixture("charts/records"), "rec", &ns.name).await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns.name);
    let hook = config_maps.get("rec-hook").await.unwrap();
    assert_eq!(hook.data.unwrap()["at"], "1", "the post-install hook ran");
    ns.delete().await;
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
