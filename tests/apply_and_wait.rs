//! The release engine's hands: server-side apply in Helm's order and waiting
//! for readiness, against the real cluster (kwok nodes make workloads ready,
//! an image tag `:broken` makes them fail for real).

mod common;

use std::time::{Duration, Instant};

use common::{TestNamespace, admin_client};
use serde_json::json;
use tare::kube::{Applier, wait_ready};
use tare::manifest::Manifest;

fn manifest(object: serde_json::Value) -> Manifest {
    Manifest::new("test.yaml", object).unwrap()
}

fn deployment(name: &str, image: &str, replicas: i32) -> Manifest {
    manifest(json!({
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
    }))
}

#[tokio::test]
async fn a_set_of_objects_is_applied_in_order_and_becomes_ready() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "apply-ready").await;
    let applier = Applier::new(client.clone(), "helm", false);
    let manifests = vec![
        deployment("web", "registry.example.test/web:1.0", 2),
        manifest(
            json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "web" },
            "spec": { "selector": { "app": "web" }, "ports": [{ "port": 80 }] } }),
        ),
        manifest(
            json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "web" },
            "data": { "k": "v" } }),
        ),
    ];

    let applied = applier.apply_all(&manifests, &ns.name).await.unwrap();
    let kinds: Vec<&str> = applied
        .iter()
        .map(|o| o.types.as_ref().unwrap().kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["ConfigMap", "Service", "Deployment"],
        "Helm's install order"
    );
    wait_ready(&applier, &manifests, &ns.name, Duration::from_secs(60))
        .await
        .unwrap();
    ns.delete().await;
}

#[tokio::test]
async fn a_broken_image_fails_the_wait_fast_with_the_pod_reason() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "apply-broken").await;
    let applier = Applier::new(client.clone(), "helm", false);
    let manifests = vec![deployment("bad", "registry.example.test/web:broken", 1)];
    applier.apply_all(&manifests, &ns.name).await.unwrap();

    assert_fails_fast_pulling(&applier, &manifests, &ns.name, "pod bad-").await;
    ns.delete().await;
}

/// The wait fails well before its 2-minute timeout, naming the pod and why.
async fn assert_fails_fast_pulling(
    applier: &Applier,
    manifests: &[Manifest],
    namespace: &str,
    pod: &str,
) {
    let started = Instant::now();
    let error = wait_ready(applier, manifests, namespace, Duration::from_secs(120))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "failed fast, not at the timeout"
    );
    assert!(
        error.contains(&format!("will not become ready: {pod}")),
        "{error}"
    );
    assert!(error.contains("ImagePullBackOff"), "{error}");
}

fn job(name: &str, image: &str) -> Manifest {
    manifest(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": { "name": name },
        "spec": {
            "backoffLimit": 0,
            "template": { "spec": {
                "restartPolicy": "Never",
                "containers": [{ "name": "main", "image": image }]
            } }
        }
    }))
}

#[tokio::test]
async fn a_job_is_done_once_its_pod_has_succeeded() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "wait-job").await;
    let applier = Applier::new(client.clone(), "helm", false);
    let manifests = vec![job("certgen", "registry.example.test/certgen:1.0")];
    applier.apply_all(&manifests, &ns.name).await.unwrap();

    wait_ready(&applier, &manifests, &ns.name, Duration::from_secs(60))
        .await
        .unwrap();
    ns.delete().await;
}

#[tokio::test]
async fn a_job_whose_pod_cannot_pull_its_image_fails_fast() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "wait-job-broken").await;
    let applier = Applier::new(client.clone(), "helm", false);
    let manifests = vec![job("certgen", "registry.example.test/certgen:broken")];
    applier.apply_all(&manifests, &ns.name).await.unwrap();

    assert_fails_fast_pulling(&applier, &manifests, &ns.name, "pod certgen-").await;
    ns.delete().await;
}

#[tokio::test]
async fn the_timeout_is_honoured_and_names_what_is_still_pending() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "apply-timeout").await;
    let applier = Applier::new(client.clone(), "helm", false);
    let manifests = vec![manifest(json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": { "name": "data" },
        "spec": { "storageClassName": "no-such-class", "accessModes": ["ReadWriteOnce"],
                  "resources": { "requests": { "storage": "1Gi" } } }
    }))];
    applier.apply_all(&manifests, &ns.name).await.unwrap();

    let started = Instant::now();
    let error = wait_ready(&applier, &manifests, &ns.name, Duration::from_secs(3))
        .await
        .unwrap_err()
        .to_string();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(
        error,
        format!(
            "timed out after 3s waiting for: PersistentVolumeClaim {}/data (claim is Pending)",
            ns.name
        )
    );
    ns.delete().await;
}

#[tokio::test]
async fn a_custom_resource_is_applied_right_after_its_crd() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "apply-crd").await;
    let applier = Applier::new(client.clone(), "tare", false);
    let suffix = std::process::id();
    let group = format!("g{suffix}.apply.tare.test");
    let manifests = vec![
        manifest(
            json!({ "apiVersion": format!("{group}/v1"), "kind": "Gadget", "metadata": { "name": "g1" } }),
        ),
        manifest(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": { "name": format!("gadgets.{group}") },
            "spec": { "group": group, "scope": "Namespaced",
                "names": { "plural": "gadgets", "singular": "gadget", "kind": "Gadget" },
                "versions": [{ "name": "v1", "served": true, "storage": true,
                    "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } } }] }
        })),
    ];

    applier.apply_all(&manifests, &ns.name).await.unwrap();
    wait_ready(&applier, &manifests, &ns.name, Duration::from_secs(30))
        .await
        .unwrap();
    let live = applier.get(&manifests[0], &ns.name).await.unwrap();
    assert!(live.is_some(), "the Gadget exists");
    applier.delete(&manifests[1], &ns.name).await.unwrap();
    ns.delete().await;
}
