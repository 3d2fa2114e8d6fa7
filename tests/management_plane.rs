//! tare and the management plane, against a local HTTPS management plane
//! (tests/mp_server) and the real test cluster: `--serve-url` registration,
//! install events in ConfigMaps, and `tare doctor forward-events`.

mod common;
mod https_server;
mod mp_server;

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use common::{TestNamespace, admin_client, helm};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::Api;
use kube::api::{ListParams, PostParams};
use mp_server::MpServer;
use serde_json::{Value, json};

const SMOKE_CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/charts/smoke");
const SET_DATAPLANE_URL: &str = "/configurator.v1.ConfiguratorService/SetDataplaneURL";
const EVENTS: &str = "/v1/dataplane-events";

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `tare install` of the smoke chart as release `release` in `namespace`
/// (its data plane namespace `<namespace>-dp`, which tare creates).
fn install(mp: &MpServer, release: &str, namespace: &str, flags: &[&str]) -> Output {
    let identity = mp.identity_file();
    let dataplane = format!("{namespace}-dp");
    let mut args = vec![
        "install",
        identity.to_str().unwrap(),
        "--chart-path",
        SMOKE_CHART,
        "--release-name",
        release,
        "--system-namespace",
        namespace,
        "--dataplane-namespace",
        &dataplane,
        "--ha=false",
    ];
    args.extend_from_slice(flags);
    mp.tare(&args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn forward_events(mp: &MpServer, release: &str, namespace: &str) -> Output {
    let identity = mp.identity_file();
    mp.tare(&[
        "doctor",
        "forward-events",
        "--release",
        release,
        "--system-namespace",
        namespace,
        "--identity-file",
        identity.to_str().unwrap(),
    ])
}

async fn delete_with_dataplane(namespace: TestNamespace) {
    let namespaces: Api<Namespace> = Api::all(admin_client().await);
    let dataplane = format!("{}-dp", namespace.name);
    let _ = namespaces.delete(&dataplane, &Default::default()).await;
    namespace.delete().await;
}

/// The event ConfigMaps of `namespace`, by name.
async fn events(namespace: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let api: Api<ConfigMap> = Api::namespaced(admin_client().await, namespace);
    let list = api
        .list(&ListParams::default().labels("tars.io/component=install-event"))
        .await
        .unwrap();
    list.items
        .into_iter()
        .map(|cm| (cm.metadata.name.unwrap(), cm.data.unwrap_or_default()))
        .collect()
}

/// The event data of `namespace`, keyed `<release> v<revision> <operation>`.
async fn events_by_revision(namespace: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    events(namespace)
        .await
        .into_values()
        .map(|data| {
            let key = format!(
                "{} v{} {}",
                data["release"], data["helm_revision"], data["operation"]
            );
            (key, data)
        })
        .collect()
}

#[tokio::test]
async fn serve_url_is_registered_for_the_identitys_workspace_before_anything_is_applied() {
    let mp = MpServer::start();
    // tare creates this namespace, so its absence at call time shows that the
    // registration came first.
    let namespace = unique("mp-serve-url");
    let seen_namespace = Arc::new(Mutex::new(None));
    let (watched, seen) = (namespace.clone(), seen_namespace.clone());
    mp.answer_with(move |_| {
        let lookup = Command::new(common::required_env("KUBECTL"))
            .args(["get", "namespace", &watched])
            .env("KUBECONFIG", common::kubeconfig_path())
            .output()
            .unwrap();
        *seen.lock().unwrap() = Some(lookup.status.success());
        (200, json!({}))
    });
    let release = unique("serveurl");

    let output = install(
        &mp,
        &release,
        &namespace,
        &["--serve-url", "https://proxy.acme.test"],
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let calls = mp.calls_to(SET_DATAPLANE_URL);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0].body,
        json!({ "workspaceId": "ws-demo-0001", "url": "https://proxy.acme.test" })
    );
    assert_eq!(calls[0].authorization, format!("Bearer {}", mp.token()));
    assert_eq!(
        *seen_namespace.lock().unwrap(),
        Some(false),
        "the system namespace did not exist yet when the URL was registered"
    );
    assert!(
        !stderr(&output).contains(&mp.token()),
        "the token is never printed"
    );
    let namespaces: Api<Namespace> = Api::all(admin_client().await);
    for name in [namespace.clone(), format!("{namespace}-dp")] {
        namespaces.delete(&name, &Default::default()).await.unwrap();
    }
}

#[tokio::test]
async fn a_management_plane_refusal_stops_the_install_before_anything_is_applied() {
    let mp = MpServer::start();
    mp.answer_with(|_| {
        (
            403,
            json!({ "code": "permission_denied", "message": "workspace is read-only" }),
        )
    });
    let namespace = unique("mp-refused");

    let output = install(
        &mp,
        "refused",
        &namespace,
        &["--serve-url", "https://proxy.acme.test"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    let error = stderr.lines().last().unwrap();
    assert!(
        error.starts_with("error: the management plane https://localhost:"),
        "{stderr}"
    );
    assert!(
        error.ends_with("refused --serve-url https://proxy.acme.test (HTTP 403 Forbidden: workspace is read-only); nothing was installed"),
        "{stderr}"
    );
    assert_eq!(mp.calls().len(), 1, "a 4xx is not retried");
    let namespaces: Api<Namespace> = Api::all(admin_client().await);
    assert!(
        namespaces.get_opt(&namespace).await.unwrap().is_none(),
        "nothing was applied, not even the namespace"
    );
}

#[tokio::test]
async fn an_unavailable_management_plane_is_retried_then_stops_the_install() {
    let mp = MpServer::start();
    mp.answer_with(|_| (503, json!({ "message": "maintenance" })));
    let namespace = unique("mp-unavailable");

    let output = install(
        &mp,
        "unavailable",
        &namespace,
        &["--serve-url", "https://proxy.acme.test"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("HTTP 503 Service Unavailable: maintenance"),
        "{}",
        stderr(&output)
    );
    assert_eq!(mp.calls().len(), 3, "5xx answers are retried twice");
    let namespaces: Api<Namespace> = Api::all(admin_client().await);
    assert!(namespaces.get_opt(&namespace).await.unwrap().is_none());
}

#[tokio::test]
async fn install_and_upgrade_each_leave_an_event_configmap() {
    let mp = MpServer::start();
    let client = admin_client().await;
    let namespace = TestNamespace::create(&client, "mp-events").await;
    let release = unique("events");

    let output = install(&mp, &release, &namespace.name, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = install(&mp, &release, &namespace.name, &["--environment", "prod"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let events = events_by_revision(&namespace.name).await;
    let installed = &events[&format!("{release} v1 install")];
    assert_eq!(installed["operation"], "install");
    assert_eq!(installed["status"], "success");
    assert_eq!(installed["helm_revision"], "1");
    assert_eq!(installed["from_version"], "");
    assert_eq!(installed["to_version"], "0.1.0");
    assert_eq!(installed["operator"], "alice@example.test");
    assert_eq!(installed["source"], "tare-cli");
    assert_eq!(installed["tare_version"], env!("CARGO_PKG_VERSION"));
    assert!(installed["time"].ends_with('Z'), "{installed:?}");
    let upgraded = &events[&format!("{release} v2 upgrade")];
    assert_eq!(upgraded["operation"], "upgrade");
    assert_eq!(upgraded["helm_revision"], "2");
    assert_eq!(
        (
            upgraded["from_version"].as_str(),
            upgraded["to_version"].as_str()
        ),
        ("0.1.0", "0.1.0")
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        mp.calls().is_empty(),
        "events wait in the cluster; the CLI never calls the management plane for them"
    );
    delete_with_dataplane(namespace).await;
}

/// An event ConfigMap as tare writes it, for release `release`.
async fn put_event(namespace: &str, release: &str) {
    let api: Api<ConfigMap> = Api::namespaced(admin_client().await, namespace);
    let config_map: ConfigMap = serde_json::from_value(json!({
        "metadata": {
            "name": format!("install-event-{release}-v1-install"),
            "labels": { "tars.io/component": "install-event" },
        },
        "data": {
            "release": release, "namespace": namespace, "operation": "install", "status": "success",
            "helm_revision": "1", "from_version": "", "to_version": "0.1.0", "tare_version": "0.1.0",
            "operator": "alice", "source": "tare-cli", "time": "2026-01-01T00:00:00Z", "error_summary": "",
        },
    }))
    .unwrap();
    api.create(&PostParams::default(), &config_map)
        .await
        .unwrap();
}

#[tokio::test]
async fn forward_events_deletes_on_2xx_drops_on_4xx_and_keeps_on_5xx() {
    let mp = MpServer::start();
    let client = admin_client().await;
    let namespace = TestNamespace::create(&client, "mp-forward").await;
    for release in ["accepted", "refused", "unavailable"] {
        put_event(&namespace.name, release).await;
    }
    mp.answer_with(|call| match call.body["release"].as_str() {
        Some("refused") => (400, json!({ "message": "unknown workspace" })),
        Some("unavailable") => (502, json!({})),
        _ => (200, json!({})),
    });

    let output = forward_events(&mp, "no-such-release", &namespace.name);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an event kept for later fails the run: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("install events: 1 forwarded, 1 dropped, 1 kept for the next run"),
        "{}",
        stderr(&output)
    );
    let left: Vec<String> = events(&namespace.name).await.into_keys().collect();
    assert_eq!(left, ["install-event-unavailable-v1-install"]);
    let calls = mp.calls_to(EVENTS);
    assert_eq!(calls.len(), 1 + 1 + 3, "only the 5xx is retried");
    let accepted = calls
        .iter()
        .find(|c| c.body["release"] == "accepted")
        .unwrap();
    assert_eq!(accepted.body["workspace_id"], "ws-demo-0001");
    assert_eq!(accepted.body["helm_revision"], 1);
    assert_eq!(accepted.authorization, format!("Bearer {}", mp.token()));

    mp.answer_with(mp_server::accept_all);
    store_identity_in_cluster(&mp, &namespace.name).await;
    let output = mp.tare(&[
        "doctor",
        "forward-events",
        "--release",
        "no-such-release",
        "--system-namespace",
        &namespace.name,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        events(&namespace.name).await.is_empty(),
        "the kept event went on the next run"
    );
    let last = mp.calls_to(EVENTS).pop().unwrap();
    assert_eq!(
        last.authorization,
        format!("Bearer {}", mp.token()),
        "without identity flags, the identity is the one tare install stored in the cluster"
    );
    delete_with_dataplane(namespace).await;
}

/// The tars-identity Secret (tare install) and ConfigMap (the chart).
async fn store_identity_in_cluster(mp: &MpServer, namespace: &str) {
    let client = admin_client().await;
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
        "metadata": { "name": "tars-identity" },
        "stringData": { "token": mp.token() },
    }))
    .unwrap();
    Api::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let config_map: ConfigMap = serde_json::from_value(json!({
        "metadata": { "name": "tars-identity" },
        "data": {
            "credential-type": "dataplane-credential",
            "workspace-id": "ws-demo-0001",
            "customer": "acme",
            "management-plane-url": mp.url,
        },
    }))
    .unwrap();
    Api::namespaced(client, namespace)
        .create(&PostParams::default(), &config_map)
        .await
        .unwrap();
}

#[tokio::test]
async fn raw_helm_upgrade_and_rollback_are_reported_by_the_poller() {
    let mp = MpServer::start();
    let client = admin_client().await;
    let namespace = TestNamespace::create(&client, "mp-poll").await;
    let ns = namespace.name.as_str();
    let release = unique("poll");

    let output = install(&mp, &release, ns, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    helm(
        "HELM4",
        &[
            "upgrade",
            &release,
            SMOKE_CHART,
            "-n",
            ns,
            "--set",
            "message=changed by helm",
        ],
    );
    helm("HELM4", &["rollback", &release, "1", "-n", ns]);

    let output = forward_events(&mp, &release, ns);
    assert!(output.status.success(), "{}", stderr(&output));
    let sent: Vec<Value> = mp.calls_to(EVENTS).into_iter().map(|c| c.body).collect();
    let summary: Vec<(u64, &str, &str, &str)> = sent
        .iter()
        .map(|e| {
            (
                e["helm_revision"].as_u64().unwrap(),
                e["operation"].as_str().unwrap(),
                e["source"].as_str().unwrap(),
                e["operator"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "install", "tare-cli", "alice@example.test"),
            (2, "upgrade", "tare-doctor-poll", ""),
            (3, "rollback", "tare-doctor-poll", ""),
        ]
    );
    assert!(sent.iter().all(|e| e["status"] == "success"));

    let output = forward_events(&mp, &release, ns);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        mp.calls_to(EVENTS).len(),
        3,
        "each revision is reported once"
    );
    delete_with_dataplane(namespace).await;
}

/// A chart with one Deployment whose image comes from the values.
fn deployment_chart(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: rollout\nversion: 1.2.3\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "image: registry.example/app:1\n").unwrap();
    std::fs::write(
        dir.join("templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  \
         progressDeadlineSeconds: 2\n  selector:\n    matchLabels: {app: rollout}\n  template:\n    \
         metadata:\n      labels: {app: rollout}\n    spec:\n      containers:\n        \
         - name: app\n          image: {{ .Values.image }}\n",
    )
    .unwrap();
}

#[tokio::test]
async fn a_failed_atomic_upgrade_leaves_a_failed_upgrade_and_a_rollback_event() {
    let mp = MpServer::start();
    let client = admin_client().await;
    let namespace = TestNamespace::create(&client, "mp-atomic").await;
    let release = unique("atomic");
    let chart = tempfile::tempdir().unwrap();
    deployment_chart(chart.path());
    let broken = chart.path().join("broken.yaml");
    std::fs::write(&broken, "image: registry.example/app:broken\n").unwrap();
    let identity = mp.identity_file();
    let dataplane = format!("{}-dp", namespace.name);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "install",
            identity.to_str().unwrap(),
            "--chart-path",
            chart.path().to_str().unwrap(),
            "--release-name",
            &release,
            "--system-namespace",
            &namespace.name,
            "--dataplane-namespace",
            &dataplane,
            "--ha=false",
            "--wait",
            "--timeout",
            "20s",
        ];
        args.extend_from_slice(extra);
        mp.tare(&args)
    };

    let output = run(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(&["--helm-values", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("has been rolled back"),
        "{}",
        stderr(&output)
    );

    let events = events_by_revision(&namespace.name).await;
    let failed = &events[&format!("{release} v2 upgrade")];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["operator"], "alice@example.test");
    assert!(!failed["error_summary"].is_empty(), "{failed:?}");
    let rollback = &events[&format!("{release} v3 rollback")];
    assert_eq!(rollback["status"], "success");
    assert_eq!(
        rollback["operator"], "",
        "the automatic rollback is nobody's doing"
    );
    assert_eq!(
        (
            rollback["from_version"].as_str(),
            rollback["to_version"].as_str()
        ),
        ("1.2.3", "1.2.3")
    );
    assert_eq!(events.len(), 3, "{events:?}");
    delete_with_dataplane(namespace).await;
}
