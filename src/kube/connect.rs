//! Connecting to the cluster the operator chose: `$KUBECONFIG` (or
//! `~/.kube/config`), optionally a named context, or the in-cluster service
//! account when tare runs as the doctor CronJob.

use anyhow::{Context, Result, anyhow};
use clap::Args;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

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
    Client::try_from(config).context("cannot create a Kubernetes client from the kubeconfig")
}
