//! Smoke tests that prove the test harness itself: a real kube-apiserver with
//! etcd, controller-manager, scheduler and kwok nodes, plus the real helm binaries.
//! If one of these fails, every other integration test is meaningless.

mod common;

use std::time::Duration;

use common::{FIELD_MANAGER, TestNamespace, admin_client, eventually, fixture, helm};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

#[tokio::test]
async fn server_side_apply_records_our_field_manager() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "smoke-ssa").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns.name);
    let body = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": { "name": "greeting" },
        "data": { "hello": "world" }
    });

    config_maps
        .patch(
            "greeting",
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&body),
        )
        .await
        .expect("server-side apply of a ConfigMap");

    let stored = config_maps.get("greeting").await.unwrap();
    assert_eq!(stored.data.unwrap()["hello"], "world");
    let managers = stored.metadata.managed_fields.unwrap_or_default();
    let ours = managers
        .iter()
        .find(|m| m.manager.as_deref() == Some(FIELD_MANAGER))
        .expect("managedFields has an entry for our field manager");
    assert_eq!(ours.operation.as_deref(), Some("Apply"));
    ns.delete().await;
}

#[tokio::test]
async fn a_deployment_becomes_available_on_kwok_nodes() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "smoke-deploy").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    apply(
        &deployments,
        "web",
        &deployment("web", "registry.example.test/web:1.0", 2),
    )
    .await;

    eventually(Duration::from_secs(60), "2 available replicas", || async {
        let status = deployments
            .get("web")
            .await
            .unwrap()
            .status
            .unwrap_or_default();
        status.available_replicas == Some(2)
    })
    .await;
    ns.delete().await;
}

#[tokio::test]
async fn a_broken_image_leaves_pods_in_image_pull_back_off() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "smoke-broken").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    apply(
        &deployments,
        "bad",
        &deployment("bad", "registry.example.test/web:broken", 1),
    )
    .await;

    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns.name);
    eventually(
        Duration::from_secs(60),
        "a pod waiting in ImagePullBackOff",
        || async {
            let list = pods
                .list(&ListParams::default().labels("app=bad"))
                .await
                .unwrap();
            list.items
                .iter()
                .any(|pod| waiting_reason(pod) == Some("ImagePullBackOff"))
        },
    )
    .await;
    let status = deployments
        .get("bad")
        .await
        .unwrap()
        .status
        .unwrap_or_default();
    assert_eq!(
        status.available_replicas.unwrap_or(0),
        0,
        "a broken pod is never available"
    );
    ns.delete().await;
}

#[tokio::test]
async fn the_restricted_context_cannot_create_crds() {
    let client = common::restricted_client().await;
    let crds: Api<CustomResourceDefinition> = Api::all(client);
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": { "name": "widgets.smoke.tare.test" },
        "spec": {
            "group": "smoke.tare.test", "scope": "Namespaced",
            "names": { "plural": "widgets", "singular": "widget", "kind": "Widget" },
            "versions": [{ "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object" } } }]
        }
    }))
    .unwrap();

    let error = crds
        .create(&PostParams::default(), &crd)
        .await
        .expect_err("a namespaced-only identity must not create CRDs");
    match error {
        kube::Error::Api(status) => assert_eq!(status.code, 403, "{status:?}"),
        other => panic!("expected 403 Forbidden, got {other}"),
    }
}

#[tokio::test]
async fn a_release_installed_by_helm_v4_is_listed_by_helm_v3() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "smoke-helm").await;
    let chart = fixture("charts/smoke");
    let chart = chart.to_str().unwrap();

    helm(
        "HELM4",
        &[
            "install",
            "smoke",
            chart,
            "-n",
            &ns.name,
            "--wait",
            "--timeout",
            "60s",
        ],
    );
    let history = helm("HELM3", &["history", "smoke", "-n", &ns.name, "-o", "json"]);

    let revisions: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(revisions[0]["revision"], 1);
    assert_eq!(revisions[0]["status"], "deployed");
    assert_eq!(revisions[0]["description"], "Install complete");
    helm("HELM4", &["uninstall", "smoke", "-n", &ns.name, "--wait"]);
    ns.delete().await;
}

async fn apply(deployments: &Api<Deployment>, name: &str, body: &serde_json::Value) {
    deployments
        .patch(
            name,
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(body),
        )
        .await
        .expect("apply deployment");
}

fn deployment(name: &str, image: &str, replicas: i32) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": [{ "name": "main", "image": image }] }
            }
        }
    })
}

fn waiting_reason(pod: &Pod) -> Option<&str> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.as_deref())
}
