//! `tare doctor` on the real test cluster: the test builds a data plane's
//! objects itself and sets the status conditions the controllers (Envoy
//! Gateway, the AI gateway) would set, then judges doctor's report and the
//! health report the local management plane (tests/mp_server) receives.

mod common;
mod https_server;
mod mp_server;

use std::process::Output;
use std::time::Duration;

use common::{TestNamespace, admin_client, eventually};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::{Api, Client};
use mp_server::MpServer;
use serde_json::{Value, json};

const NOW: &str = "2026-01-01T00:00:00Z";

/// A data plane laid out as the embedded chart and its controllers leave it.
struct DataPlane {
    client: Client,
    system: TestNamespace,
    dataplane: TestNamespace,
    gateway_class: String,
}

fn resource(api_version: &str, kind: &str) -> ApiResource {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let plural = match kind {
        "EnvoyProxy" => "envoyproxies".to_string(),
        "GatewayClass" => "gatewayclasses".to_string(),
        "EndpointSlice" => "endpointslices".to_string(),
        other => format!("{}s", other.to_lowercase()),
    };
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), &plural)
}

fn condition(kind: &str, status: &str) -> Value {
    json!({ "type": kind, "status": status, "reason": kind, "message": format!("{kind} is {status}"), "lastTransitionTime": NOW })
}

impl DataPlane {
    fn api(&self, object: &Value) -> Api<DynamicObject> {
        let resource = resource(
            object["apiVersion"].as_str().unwrap(),
            object["kind"].as_str().unwrap(),
        );
        match object["metadata"]["namespace"].as_str() {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        }
    }

    /// Creates (server-side applies) the object, then sets its status the way
    /// a controller would.
    async fn put(&self, object: Value, status: Option<Value>) {
        let api = self.api(&object);
        let name = object["metadata"]["name"].as_str().unwrap().to_string();
        api.patch(
            &name,
            &PatchParams::apply("doctor-test").force(),
            &Patch::Apply(&object),
        )
        .await
        .unwrap_or_else(|e| panic!("apply {name}: {e}"));
        if let Some(status) = status {
            api.patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "status": status })),
            )
            .await
            .unwrap_or_else(|e| panic!("status of {name}: {e}"));
        }
    }

    fn deployment(namespace: &str, name: &str, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": name, "namespace": namespace },
            "spec": {
                "selector": { "matchLabels": { "app": name } },
                "template": {
                    "metadata": { "labels": { "app": name } },
                    "spec": { "containers": [{ "name": name, "image": image }] },
                },
            },
        })
    }

    /// Everything doctor looks at, healthy.
    async fn healthy(mp: &MpServer) -> DataPlane {
        let client = admin_client().await;
        let crds = mp.tare(&[
            "install",
            mp.identity_file().to_str().unwrap(),
            "--crds-only",
        ]);
        assert!(
            crds.status.success(),
            "{}",
            String::from_utf8_lossy(&crds.stderr)
        );
        let system = TestNamespace::create(&client, "doctor-sys").await;
        let dataplane = TestNamespace::create(&client, "doctor-dp").await;
        let plane = DataPlane {
            gateway_class: format!("doctor-{}", system.name),
            client,
            system,
            dataplane,
        };
        let (sys, dp) = (plane.system.name.clone(), plane.dataplane.name.clone());
        for name in [
            "controller",
            "controller-worker",
            "ai-gateway-controller",
            "envoy-gateway",
        ] {
            plane
                .put(
                    Self::deployment(&sys, name, "registry.example/tare/tars:1"),
                    None,
                )
                .await;
        }
        plane
            .put(
                Self::deployment(&dp, "egress", "registry.example/tare/envoy-tars:1"),
                None,
            )
            .await;
        plane
            .put(
                json!({
                    "apiVersion": "v1", "kind": "Service",
                    "metadata": { "name": "egress", "namespace": dp },
                    "spec": { "ports": [{ "name": "http", "port": 80 }] },
                }),
                None,
            )
            .await;
        plane
            .put(json!({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": { "name": "egress-1", "namespace": dp, "labels": { "kubernetes.io/service-name": "egress" } },
                "addressType": "IPv4",
                "ports": [{ "name": "http", "port": 10080 }],
                "endpoints": [{ "addresses": ["10.0.0.7"], "conditions": { "ready": true } }],
            }), None)
            .await;
        plane
            .put(
                json!({
                    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                    "metadata": { "name": plane.gateway_class },
                    "spec": { "controllerName": "gateway.envoyproxy.io/tars-egress" },
                }),
                Some(json!({ "conditions": [condition("Accepted", "True")] })),
            )
            .await;
        plane.put_gateway("True").await;
        plane
            .put_envoy_proxy("registry.example/tare/envoy-tars:1.0.0")
            .await;
        plane
            .put(
                json!({
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": { "name": "tars-identity", "namespace": sys },
                    "stringData": { "token": mp.token() },
                }),
                None,
            )
            .await;
        plane
            .put(
                json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": "tars-identity", "namespace": sys },
                    "data": { "workspace-id": "ws-demo-0001", "management-plane-url": mp.url },
                }),
                None,
            )
            .await;
        let parent =
            json!({ "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "egress" });
        plane
            .put(
                json!({
                    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                    "metadata": { "name": "openai", "namespace": dp },
                    "spec": { "parentRefs": [parent] },
                }),
                Some(json!({ "parents": [{
                "parentRef": parent,
                "controllerName": "gateway.envoyproxy.io/tars-egress",
                "conditions": [condition("Accepted", "True"), condition("ResolvedRefs", "True")],
            }] })),
            )
            .await;
        plane
            .put(json!({
                "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
                "metadata": { "name": "routes-to-backends", "namespace": sys },
                "spec": {
                    "from": [{ "group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": dp }],
                    "to": [{ "group": "", "kind": "Service" }],
                },
            }), None)
            .await;
        plane
            .put(
                json!({
                    "apiVersion": "aigateway.envoyproxy.io/v1alpha1", "kind": "AIServiceBackend",
                    "metadata": { "name": "openai", "namespace": dp },
                    "spec": {
                        "schema": { "name": "OpenAI" },
                        "backendRef": { "name": "openai", "kind": "Backend", "group": "gateway.envoyproxy.io" },
                    },
                }),
                Some(json!({ "conditions": [condition("Accepted", "True")] })),
            )
            .await;
        plane.wait_for_rollouts().await;
        plane
    }

    async fn put_gateway(&self, programmed: &str) {
        self.put(json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": { "name": "egress", "namespace": self.dataplane.name },
            "spec": {
                "gatewayClassName": self.gateway_class,
                "listeners": [{ "name": "http", "port": 10080, "protocol": "HTTP" }],
            },
        }), Some(json!({ "conditions": [condition("Accepted", "True"), condition("Programmed", programmed)] })))
        .await;
    }

    async fn put_envoy_proxy(&self, image: &str) {
        self.put(
            json!({
                "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
                "metadata": { "name": "tars-egress-proxy", "namespace": self.system.name },
                "spec": { "provider": { "type": "Kubernetes", "kubernetes": {
                    "envoyDeployment": { "name": "egress", "container": { "image": image } },
                } } },
            }),
            None,
        )
        .await;
    }

    /// kwok makes pods Ready as soon as they are scheduled.
    async fn wait_for_rollouts(&self) {
        let resource = resource("apps/v1", "Deployment");
        for namespace in [&self.system.name, &self.dataplane.name] {
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), namespace, &resource);
            eventually(Duration::from_secs(60), "deployments ready", || async {
                let list = api.list(&Default::default()).await.unwrap();
                list.items
                    .iter()
                    .all(|d| d.data["status"]["readyReplicas"].as_i64() == Some(1))
            })
            .await;
        }
    }

    fn doctor(&self, mp: &MpServer, extra: &[&str]) -> Output {
        let identity = mp.identity_file();
        let mut args = vec![
            "doctor",
            identity.to_str().unwrap(),
            "--system-namespace",
            &self.system.name,
            "--dataplane-namespace",
            &self.dataplane.name,
        ];
        args.extend_from_slice(extra);
        mp.tare(&args)
    }

    async fn delete(self) {
        let class = json!({ "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": { "name": self.gateway_class } });
        self.api(&class)
            .delete(&self.gateway_class, &Default::default())
            .await
            .unwrap();
        self.system.delete().await;
        self.dataplane.delete().await;
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_healthy_data_plane_passes_every_check_and_the_bundle_is_accepted() {
    let mp = MpServer::start();
    let plane = DataPlane::healthy(&mp).await;

    let output = plane.doctor(&mp, &["--verbose"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.starts_with("CHECKS PERFORMED:\n"), "{stdout}");
    let checks: Vec<&str> = stdout.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(checks.len(), 23, "{stdout}");
    assert!(checks.iter().all(|l| l.contains(": OK (")), "{stdout}");
    assert!(stdout.contains("- Egress EnvoyProxy image uses envoy-tars: OK (image registry.example/tare/envoy-tars:1.0.0)"), "{stdout}");
    assert!(
        stdout.contains("- AIServiceBackend acceptance: OK (1 AIServiceBackend ok)\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("Status: OK\n0 errors, 0 warnings\n"),
        "{stdout}"
    );
    assert_eq!(
        stderr.lines().last().unwrap(),
        format!(
            "Sending health report to {}/v1/dataplane-status... OK (bundle bundle-1)",
            mp.url
        )
    );

    let reports = mp.calls_to("/v1/dataplane-status");
    assert_eq!(reports.len(), 1);
    let report = &reports[0].body;
    assert_eq!(report["workspace_id"], "ws-demo-0001");
    assert_eq!(report["status"], "OK");
    assert_eq!(
        (report["errors"].as_u64(), report["warnings"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(report["checks"].as_array().unwrap().len(), 23);
    assert_eq!(reports[0].authorization, format!("Bearer {}", mp.token()));

    let json_output = plane.doctor(&mp, &["-o", "json"]);
    let printed: Value = serde_json::from_slice(&json_output.stdout).unwrap();
    assert_eq!(
        printed["checks"], report["checks"],
        "-o json prints the health report"
    );
    plane.delete().await;
}

#[tokio::test]
async fn a_broken_data_plane_names_the_broken_checks_and_still_reports() {
    let mp = MpServer::start();
    let plane = DataPlane::healthy(&mp).await;
    plane.put_gateway("False").await;
    plane
        .put_envoy_proxy("docker.io/envoyproxy/envoy:v1.31.0")
        .await;
    plane
        .put(
            DataPlane::deployment(
                &plane.dataplane.name,
                "worker",
                "registry.example/app:crash",
            ),
            None,
        )
        .await;
    let pods: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(plane.client.clone(), &plane.dataplane.name);
    eventually(
        Duration::from_secs(60),
        "a pod in CrashLoopBackOff",
        || async {
            let list = pods.list(&Default::default()).await.unwrap();
            list.items
                .iter()
                .any(|p| format!("{:?}", p.status).contains("CrashLoopBackOff"))
        },
    )
    .await;

    let output = plane.doctor(&mp, &[]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let broken: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(": Broken ("))
        .collect();
    assert_eq!(broken.len(), 3, "{stdout}");
    assert!(
        broken[0].starts_with("- GatewayClass and Gateway accepted/programmed: Broken ("),
        "{stdout}"
    );
    assert!(broken[0].contains("Programmed=False"), "{stdout}");
    assert!(
        broken[1].contains("image docker.io/envoyproxy/envoy:v1.31.0 is not envoy-tars"),
        "{stdout}"
    );
    assert!(
        broken[2]
            .starts_with("- Pod CrashLoopBackOff (excluding tars-config-monitor): Broken (pod "),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("Status: Broken\n3 errors, 0 warnings\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("/v1/dataplane-status... OK (bundle bundle-1)"),
        "{stderr}"
    );
    assert_eq!(
        mp.calls_to("/v1/dataplane-status")[0].body["status"],
        "Broken"
    );
    plane.delete().await;
}
