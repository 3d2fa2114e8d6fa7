//! Flags and arguments of every command. Later issues grow these; the help
//! texts already say what each command is for.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::action::OutputFormat;
use crate::kube::ClusterOptions;

/// Where the release lives: shared by the commands that read or change one.
#[derive(Debug, Args)]
pub struct ReleaseTarget {
    /// Namespace that holds the release records (the data plane's system namespace).
    #[arg(long = "system-namespace", short = 'n', default_value = "tars-system")]
    pub namespace: String,
    /// Name of the Helm release.
    #[arg(long, default_value = "tars")]
    pub release_name: String,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  tare history -n tars-system -o json")]
pub struct HistoryArgs {
    #[command(flatten)]
    pub target: ReleaseTarget,
    #[command(flatten)]
    pub cluster: ClusterOptions,
    /// Output format, as helm prints it.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Show at most this many of the newest revisions.
    #[arg(long, default_value_t = crate::action::history::DEFAULT_MAX)]
    pub max: usize,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  tare status -n tars-system")]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: ReleaseTarget,
    #[command(flatten)]
    pub cluster: ClusterOptions,
    /// Output format, as helm prints it.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Show this revision instead of the newest one.
    #[arg(long)]
    pub revision: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// Print the values a release was installed or upgraded with.
    Values(GetValuesArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  tare get values --all -o json")]
pub struct GetValuesArgs {
    #[command(flatten)]
    pub target: ReleaseTarget,
    #[command(flatten)]
    pub cluster: ClusterOptions,
    /// Print every computed value, not only those the user supplied.
    #[arg(long, short = 'a')]
    pub all: bool,
    /// Output format, as helm prints it (table: YAML under a header).
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Read this revision instead of the newest one.
    #[arg(long)]
    pub revision: Option<u32>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tare rollback            # to the revision before the last\n  tare rollback 3 --wait"
)]
pub struct RollbackArgs {
    /// Revision to roll back to; the one before the last when omitted.
    pub revision: Option<u32>,
    #[command(flatten)]
    pub target: ReleaseTarget,
    #[command(flatten)]
    pub cluster: ClusterOptions,
    /// Wait until the rolled-back objects are ready.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait may take (Go duration: 90s, 5m).
    #[arg(long, default_value = "5m", value_parser = crate::cli::parse_go_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  tare uninstall --wait\n\nCRDs (and so customer resources) are tare's, not the release's: uninstall keeps them."
)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub target: ReleaseTarget,
    #[command(flatten)]
    pub cluster: ClusterOptions,
    /// Keep the release records (status uninstalled) so that history stays readable.
    #[arg(long)]
    pub keep_history: bool,
    /// Wait until the deleted objects are gone.
    #[arg(long)]
    pub wait: bool,
    /// Remove the finalizers of objects left terminating because their controller
    /// went away with the release (implies --wait).
    #[arg(long)]
    pub clear_finalizers: bool,
    /// How long --wait may take (Go duration: 90s, 5m).
    #[arg(long, default_value = "5m", value_parser = crate::cli::parse_go_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub enum ChartCommand {
    /// Write the embedded chart to a directory or a .tgz, for raw helm or GitOps.
    #[command(
        after_help = "Examples:\n  tare chart export ./serve-helm\n  tare chart export serve-helm.tgz\n\n\
        Then, after `tare install identity.json --crds-only`:\n  helm install tars ./serve-helm -n tars-system \\\n      \
        -f values.yaml --skip-crds --set ai-gateway-crds.enabled=false"
    )]
    Export(ChartExportArgs),
}

#[derive(Debug, Args)]
pub struct ChartExportArgs {
    /// A new (or empty) directory to unpack into, or a file name ending in .tgz.
    pub destination: PathBuf,
}
