//! What every integration test needs: the real test cluster and the helm oracles.
//!
//! `scripts/test` starts them and exports their coordinates. A test never skips
//! when they are missing: it fails and says how to start them.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

/// The field manager tare uses for server-side apply.
pub const FIELD_MANAGER: &str = "tare";

/// Reads a variable that `scripts/test` (or `scripts/test-cluster up`) exports.
pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: integration tests need the real test cluster and tools.\n\
             Run them with scripts/test, or: eval \"$(scripts/test-cluster up)\"; \
             eval \"$(scripts/test-tools)\"; eval \"$(scripts/test-registry up)\""
        )
    })
}

pub fn kubeconfig_path() -> PathBuf {
    PathBuf::from(required_env("TARE_TEST_KUBECONFIG"))
}

/// A client for the named kubeconfig context of the test cluster.
pub async fn client_for_context(context: &str) -> Client {
    let kubeconfig = Kubeconfig::read_from(kubeconfig_path()).expect("test kubeconfig is readable");
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("test kubeconfig context is valid");
    Client::try_from(config).expect("client for the test cluster")
}

/// A cluster-admin client.
pub async fn admin_client() -> Client {
    client_for_context("admin").await
}

/// A client that may only manage namespaced objects in the data plane's namespaces.
pub async fn restricted_client() -> Client {
    client_for_context(&required_env("TARE_TEST_RESTRICTED_CONTEXT")).await
}

/// A namespace of its own for one test. Deleted by `delete` when the test passes;
/// a failing test leaves it behind for inspection (the cluster is disposable).
pub struct TestNamespace {
    pub name: String,
    client: Client,
}

impl TestNamespace {
    pub async fn create(client: &Client, prefix: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let body = serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name }
        });
        namespaces
            .patch(
                &name,
                &PatchParams::apply(FIELD_MANAGER),
                &Patch::Apply(&body),
            )
            .await
            .expect("create test namespace");
        wait_for_default_service_account(client, &name).await;
        TestNamespace {
            name,
            client: client.clone(),
        }
    }

    pub async fn delete(self) {
        Api::<Namespace>::all(self.client)
            .delete(&self.name, &DeleteParams::background())
            .await
            .expect("delete test namespace");
    }
}

/// Pods are rejected until the service-account controller has made `default`.
async fn wait_for_default_service_account(client: &Client, namespace: &str) {
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> =
        Api::namespaced(client.clone(), namespace);
    eventually(
        Duration::from_secs(30),
        "default service account",
        || async { accounts.get_opt("default").await.ok().flatten().is_some() },
    )
    .await;
}

/// Polls `check` until it holds, failing the test with `what` after `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Runs a real helm binary (`HELM3` or `HELM4`) against the test cluster.
pub fn helm(which: &str, args: &[&str]) -> Output {
    let binary = required_env(which);
    let output = Command::new(&binary)
        .args(args)
        .env("KUBECONFIG", kubeconfig_path())
        .env("HELM_CACHE_HOME", scratch_home().join("cache"))
        .env("HELM_CONFIG_HOME", scratch_home().join("config"))
        .env("HELM_DATA_HOME", scratch_home().join("data"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    assert!(
        output.status.success(),
        "{which} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Keeps helm's caches out of the developer's home directory.
fn scratch_home() -> PathBuf {
    std::env::temp_dir().join("tare-test-helm-home")
}

/// A fixture path inside the repository.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// Runs the tare binary against the test cluster.
pub fn tare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(args)
        .env("KUBECONFIG", kubeconfig_path())
        .output()
        .expect("run tare")
}

/// Asserts that a command succeeded (showing its stderr otherwise); returns its stderr.
pub fn assert_succeeded(what: &str, output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{what} failed:\n{stderr}");
    stderr
}

/// `kubectl <args> -o json` against the test cluster.
pub fn kubectl_json(args: &[&str]) -> serde_json::Value {
    let output = Command::new(required_env("KUBECTL"))
        .args(args)
        .args(["-o", "json"])
        .env("KUBECONFIG", kubeconfig_path())
        .output()
        .expect("run kubectl");
    assert_succeeded(&format!("kubectl {args:?}"), &output);
    serde_json::from_slice(&output.stdout).expect("kubectl prints JSON")
}

/// Starts a data-plane test from a cluster without the `tars` release (a
/// previous failed run or `scripts/demo` may have left one).
pub fn without_data_plane_release() {
    let output = tare(&["uninstall", "--wait"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() || stderr.contains("no release named"),
        "cannot remove a leftover tars release:\n{stderr}"
    );
}

/// `tare template <release> <chart> <args>` through the library call the
/// command makes, as if run from `dir`: the files `-f` and `--set-file` name
/// are read relative to it, as helm reads them from its working directory.
/// Errors keep helm's wording.
pub fn tare_template(
    release: &str,
    chart: &std::path::Path,
    dir: &std::path::Path,
    args: &[String],
) -> Result<String, String> {
    use clap::Parser as _;

    let mut argv: Vec<String> = vec![
        "tare".into(),
        "template".into(),
        release.into(),
        chart.display().to_string(),
    ];
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        argv.push(arg.clone());
        let in_dir = match arg.as_str() {
            "-f" | "--values" => rest.next().map(|path| dir.join(path).display().to_string()),
            "--set-file" => rest.next().map(|assignment| {
                let (key, path) = assignment.split_once('=').unwrap_or((assignment, ""));
                format!("{key}={}", dir.join(path).display())
            }),
            _ => None,
        };
        argv.extend(in_dir);
    }
    let cli = tare::cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let tare::cli::Command::Template(template) = cli.command else {
        unreachable!("parsed as tare template");
    };
    tare::cli::render_template(&template).map_err(|e| e.to_string())
}

/// Runs `command` with `input` on its stdin and collects its output.
pub fn output_with_stdin(command: &mut Command, input: &str) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;

    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the command");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for the command")
}
