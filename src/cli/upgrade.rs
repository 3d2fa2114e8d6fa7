//! `tare upgrade`: the flags of the upgrade reference. Every value flag left
//! out carries forward what the installed release was given.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Args};

use super::UsageError;
use super::duration::parse_go_duration;
use super::install::{
    DeploymentMode, EnvoyFlags, RedisType, validate_chart_flags, validate_dns_label,
    validate_image_tag, validate_registry, validate_release_name, validate_url,
};
use crate::kube::ClusterOptions;

#[derive(Debug, Args)]
#[command(after_help = UPGRADE_EXAMPLES)]
pub struct UpgradeArgs {
    /// Identity file issued by the management plane (the one the data plane was installed with).
    pub identity_file: PathBuf,

    /// Proceed even when the data plane is single-replica: in-flight LLM streams are dropped.
    #[arg(long, help_heading = "Main")]
    pub allow_downtime: bool,
    #[command(flatten)]
    pub envoy: EnvoyFlags,
    /// Leave a failed upgrade in place for inspection instead of rolling it back.
    #[arg(long, help_heading = "Main")]
    pub no_atomic: bool,
    /// How long the upgrade may wait for readiness; should exceed drain timeout × replicas.
    #[arg(long, default_value = "10m", value_parser = parse_go_duration, help_heading = "Main")]
    pub timeout: Duration,

    /// Turn the OTel collector on or off [default: carried forward].
    #[arg(long, value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", help_heading = "Telemetry")]
    pub enable_otel_collector: Option<bool>,
    /// OTLP endpoint of the collector's exporter [default: carried forward].
    #[arg(long, value_name = "URL", help_heading = "Telemetry")]
    pub otel_collector_endpoint: Option<String>,
    /// Authorization header value of the OTLP exporter [default: carried forward].
    #[arg(long, value_name = "H", help_heading = "Telemetry")]
    pub otel_exporter_auth_headers: Option<String>,

    #[command(flatten)]
    pub cluster: ClusterOptions,

    #[arg(long, hide = true, default_value = "tars")]
    pub release_name: String,
    #[arg(long, hide = true, default_value = "tars-system")]
    pub system_namespace: String,
    /// [default: carried forward, else tars-dataplane]
    #[arg(long, hide = true)]
    pub dataplane_namespace: Option<String>,
    /// A chart directory, .tgz, oci:// reference or https:// URL to upgrade to instead of the
    /// embedded chart.
    #[arg(long, hide = true)]
    pub chart_path: Option<String>,
    /// Version of an oci:// --chart-path.
    #[arg(long, hide = true)]
    pub chart_version: Option<String>,
    /// CA bundle (PEM) trusted, besides the system's, for an https:// --chart-path.
    #[arg(long, hide = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Plain HTTP to a non-loopback registry of an oci:// --chart-path.
    #[arg(long, hide = true)]
    pub insecure_registry: bool,
    #[arg(long, hide = true)]
    pub image_registry: Option<String>,
    #[arg(long, hide = true)]
    pub image_tag: Option<String>,
    #[arg(long, hide = true, value_enum)]
    pub deployment_mode: Option<DeploymentMode>,
    #[arg(long, hide = true)]
    pub customer: Option<String>,
    #[arg(long, hide = true)]
    pub environment: Option<String>,
    #[arg(long, hide = true)]
    pub serve_url: Option<String>,
    #[arg(long, hide = true, value_enum, default_value_t = RedisType::Cluster)]
    pub redis_type: RedisType,
    #[arg(long, hide = true)]
    pub no_rate_limiting: bool,
    /// Release revisions kept (older ones are pruned, never the deployed one); 0 keeps all.
    #[arg(long, hide = true, default_value_t = 10)]
    pub history_max: usize,
    /// Adopt objects that exist without (or with other) Helm ownership instead of refusing.
    #[arg(long, hide = true)]
    pub take_ownership: bool,
    /// Skip the cluster and permission checks (also TARE_SKIP_PREFLIGHT=1).
    #[arg(long, hide = true, env = "TARE_SKIP_PREFLIGHT", value_parser = clap::builder::BoolishValueParser::new(), action = ArgAction::SetTrue)]
    pub skip_preflight: bool,
}

const UPGRADE_EXAMPLES: &str = "\
Examples:
  # Upgrade to the chart embedded in this tare, keeping the installed configuration
  tare upgrade identity.json

  # Move to a new registry as part of the upgrade (sync the images first)
  tare install identity.json --image-sync newregistry.example.com --sync-only
  tare upgrade identity.json --image-registry newregistry.example.com

  # A single-replica data plane: migrate to HA first (or accept downtime)
  tare install --ha identity.json
  tare upgrade identity.json --allow-downtime

Carried forward from the installed release unless a flag overrides it:
  global.imageRegistry, global.customer, global.environment, global.deploymentMode,
  global.serveUrl, global.imagePullSecretName, otelCollector.enabled,
  otelCollector.exporters.otlp.endpoint, otelCollector.exporters.otlp.headers.Authorization.
Other values take the new chart's defaults.

Progress goes to stderr as [i/5] phases.";

impl UpgradeArgs {
    /// Refuses malformed values before anything touches the cluster.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.serve_url {
            validate_url("--serve-url", url)?;
        }
        validate_release_name(&self.release_name)?;
        validate_dns_label("--system-namespace", &self.system_namespace)?;
        if let Some(namespace) = &self.dataplane_namespace {
            validate_dns_label("--dataplane-namespace", namespace)?;
            if *namespace == self.system_namespace {
                return Err("--system-namespace and --dataplane-namespace must differ".into());
            }
        }
        if let Some(registry) = &self.image_registry {
            validate_registry("--image-registry", registry)?;
        }
        if let Some(tag) = &self.image_tag {
            validate_image_tag(tag)?;
        }
        validate_chart_flags(
            self.chart_path.as_deref(),
            self.chart_version.is_some(),
            self.ca_file.is_some(),
        )
    }
}

/// Runs `tare upgrade`: validate every flag first, then act.
pub fn run(args: &UpgradeArgs) -> anyhow::Result<ExitCode> {
    args.validate().map_err(UsageError)?;
    crate::tars::upgrade::run(args)
}
