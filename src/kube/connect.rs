//! Connecting to the cluster the operator chose: `$KUBECONFIG` (or
//! `~/.kube/config`), optionally a named context, or the in-cluster service
//! account when tare runs as the doctor CronJob.

use anyhow::{Context, Result, anyhow};
use clap::Args;
use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::retry::RetryPolicy;
use kube::client::{ClientBuilder, ConfigExt};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tower::retry::RetryLayer;
use tower::{BoxError, ServiceBuilder};

use super::request_log::{self, RequestLog};

/// Flags shared by every command that talks to a cluster.
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterOptions {
    /// Kubeconfig context to use instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub kube_context: Option<String>,
}

/// A client for the chosen cluster, with an error that says what to check.
pub async fn connect(options: &ClusterOptions) -> Result<Client> {
    let config = match &options.kube_context {
        Some(context) => {
            let kubeconfig = Kubeconfig::read().context("cannot read the kubeconfig")?;
            let kube_options = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .with_context(|| format!("kubeconfig context \"{context}\" is not usable"))?
        }
        // kube's inference error lists every place it tried; the operator
        // needs to know what to set.
        None => Config::infer().await.map_err(|_| {
            anyhow!(
                "no cluster configured: set KUBECONFIG (or ~/.kube/config), or run inside a pod"
            )
        })?,
    };
    client(config).context("cannot create a Kubernetes client from the kubeconfig")
}

/// kube's default HTTP stack (base URI, retries, auth, headers, timeouts),
/// except that connections set TCP_NODELAY as Go's net package does: without
/// it the first request on every new pooled connection waits ~40 ms for a
/// delayed ACK after the TLS handshake, and concurrent applies and waits open
/// several connections.
fn client(config: Config) -> Result<Client> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let https = config.rustls_https_connector_with_connector(http)?;
    let mut connector = TimeoutConnector::new(https);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let http_client =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        // Retries 429 ("storage is (re)initializing" after a CRD change), 503, 504.
        .option_layer(
            config
                .default_retry
                .then(|| RetryLayer::new(RetryPolicy::server_retry())),
        )
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .option_layer(request_log::enabled().then_some(RequestLog))
        .map_err(BoxError::from)
        .service(http_client);
    Ok(ClientBuilder::new(service, config.default_namespace).build())
}
