//! `tare install`: every flag of the install reference, and the combinations
//! it refuses before anything is done.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Args, ValueEnum};

use super::UsageError;
use super::duration::parse_go_duration;

/// Name of the pull secret when `--image-pull-secret-name` is not given.
pub const DEFAULT_PULL_SECRET_NAME: &str = "tars-image-pull-secret";

#[derive(Debug, Args)]
#[command(after_help = INSTALL_EXAMPLES)]
pub struct InstallArgs {
    /// Identity file issued by the management plane (JSON with the workspace and its token).
    pub identity_file: PathBuf,

    /// Customer-facing gateway URL of this data plane; sets global.serveUrl and registers
    /// the URL with the management plane. Omit it to configure the URL later in the dashboard.
    #[arg(long, value_name = "URL", help_heading = "Main")]
    pub serve_url: Option<String>,
    #[command(flatten)]
    pub envoy: EnvoyFlags,
    /// Include the guardrails images and configuration.
    #[arg(long, help_heading = "Main")]
    pub enable_guardrails: bool,
    /// YAML file with guardrails scheduling (nodeSelector, affinity, tolerations), or - for stdin.
    #[arg(long, value_name = "FILE|-", help_heading = "Main")]
    pub guardrails_config: Option<String>,
    /// Wait until every workload is ready.
    #[arg(long, help_heading = "Main")]
    pub wait: bool,

    /// Copy the pinned images and the chart to REG first, then install from REG.
    #[arg(long, value_name = "REG", help_heading = "Registry")]
    pub image_sync: Option<String>,
    /// Read user:password from stdin and create a pull secret in both namespaces.
    #[arg(long, help_heading = "Registry")]
    pub image_pull_secret_stdin: bool,
    /// Name of the pull secret to create, or of an existing one to reference
    /// [default: tars-image-pull-secret].
    #[arg(long, value_name = "NAME", help_heading = "Registry")]
    pub image_pull_secret_name: Option<String>,
    /// Sync the images, then exit without deploying (requires --image-sync).
    #[arg(long, help_heading = "Registry")]
    pub sync_only: bool,
    /// Speak plain HTTP (no TLS) to the --image-sync, source and oci:// chart registries;
    /// registries on this machine (localhost, 127.0.0.1, ::1) always get plain HTTP.
    #[arg(long, help_heading = "Registry")]
    pub insecure_registry: bool,

    /// Print the generated Helm values to stdout and exit.
    #[arg(long, alias = "dry-run", help_heading = "Inspect")]
    pub print_helm_values: bool,
    /// Print the namespace and pull-secret manifests to stdout and exit.
    #[arg(long, help_heading = "Inspect")]
    pub print_resources: bool,
    /// Print the image list (source → destination with --image-sync) and exit.
    #[arg(long, help_heading = "Inspect")]
    pub print_images: bool,
    /// Apply the chart's CRDs to the cluster and exit.
    #[arg(long, help_heading = "Inspect")]
    pub crds_only: bool,

    #[command(flatten)]
    pub cluster: crate::kube::ClusterOptions,

    #[arg(long, hide = true, default_value = "tars")]
    pub release_name: String,
    #[arg(long, hide = true, default_value = "tars-system")]
    pub system_namespace: String,
    #[arg(long, hide = true, default_value = "tars-dataplane")]
    pub dataplane_namespace: String,
    /// Chart to install instead of the embedded one: a directory, .tgz, oci:// or https:// reference.
    #[arg(long, hide = true)]
    pub chart_path: Option<String>,
    /// Version of an oci:// --chart-path (required with one).
    #[arg(long, hide = true)]
    pub chart_version: Option<String>,
    /// CA bundle (PEM) trusted, besides the system's, for an https:// --chart-path.
    #[arg(long, hide = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Without --image-sync: the registry the cluster pulls from. With it: the source to copy from.
    #[arg(long, hide = true)]
    pub image_registry: Option<String>,
    #[arg(long, hide = true)]
    pub image_tag: Option<String>,
    /// Extra Helm values file merged over the generated values.
    #[arg(long, hide = true)]
    pub helm_values: Option<PathBuf>,
    #[arg(long, hide = true, value_enum, default_value_t = DeploymentMode::Enterprise)]
    pub deployment_mode: DeploymentMode,
    #[arg(long, hide = true)]
    pub environment: Option<String>,
    /// Customer label; the identity file's customer by default.
    #[arg(long, hide = true)]
    pub customer: Option<String>,
    #[arg(long, hide = true, value_enum, default_value_t = RedisType::Cluster)]
    pub redis_type: RedisType,
    #[arg(long, hide = true, default_value_t = true, action = ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub rate_limiting: bool,
    #[arg(long, hide = true, default_value = "5m", value_parser = parse_go_duration)]
    pub timeout: Duration,
    /// Release revisions kept (older ones are pruned, never the deployed one); 0 keeps all.
    #[arg(long, hide = true, default_value_t = 10)]
    pub history_max: usize,
    /// Adopt objects that exist without (or with other) Helm ownership instead of refusing.
    #[arg(long, hide = true)]
    pub take_ownership: bool,
    /// key=value node selector for guardrails pods (repeatable).
    #[arg(long, hide = true, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub guardrails_node_selector: Vec<(String, String)>,
    /// Affinity for guardrails pods, as a JSON object.
    #[arg(long, hide = true, value_name = "JSON", value_parser = parse_json_object)]
    pub guardrails_affinity: Option<serde_json::Value>,
    /// Tolerations for guardrails pods, as a JSON array.
    #[arg(long, hide = true, value_name = "JSON", value_parser = parse_json_array)]
    pub guardrails_tolerations: Option<serde_json::Value>,
}

/// The data-plane Envoy's flags, the same for `tare install` and `tare upgrade`.
#[derive(Debug, Args)]
pub struct EnvoyFlags {
    /// HA-safe Envoy defaults (HPA minReplicas 2, PDB minAvailable 1); --ha=false for one replica (lab installs).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true", help_heading = "Main")]
    pub ha: bool,
    /// Seconds Envoy waits for in-flight LLM streams to finish before it is killed.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        help_heading = "Main"
    )]
    pub drain_timeout_seconds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeploymentMode {
    Enterprise,
    Saas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedisType {
    Cluster,
    Hosted,
}

impl DeploymentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentMode::Enterprise => "enterprise",
            DeploymentMode::Saas => "saas",
        }
    }
}

impl RedisType {
    pub fn as_str(self) -> &'static str {
        match self {
            RedisType::Cluster => "cluster",
            RedisType::Hosted => "hosted",
        }
    }
}

impl InstallArgs {
    /// The pull secret the release references, if any.
    pub fn pull_secret_name(&self) -> Option<&str> {
        match (&self.image_pull_secret_name, self.image_pull_secret_stdin) {
            (Some(name), _) => Some(name),
            (None, true) => Some(DEFAULT_PULL_SECRET_NAME),
            (None, false) => None,
        }
    }

    /// Refuses flag combinations and values the install reference forbids,
    /// before anything reads stdin or touches a cluster or registry.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_combinations()?;
        self.validate_values()
    }

    fn validate_combinations(&self) -> Result<(), String> {
        if self.crds_only {
            let incompatible = [
                ("--sync-only", self.sync_only),
                ("--image-sync", self.image_sync.is_some()),
                ("--image-pull-secret-stdin", self.image_pull_secret_stdin),
                ("--print-helm-values", self.print_helm_values),
                ("--print-resources", self.print_resources),
                ("--print-images", self.print_images),
            ];
            if let Some((flag, _)) = incompatible.iter().find(|(_, set)| *set) {
                return Err(format!("--crds-only cannot be combined with {flag}"));
            }
        }
        let print_modes: Vec<&str> = [
            ("--print-helm-values", self.print_helm_values),
            ("--print-resources", self.print_resources),
            ("--print-images", self.print_images),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(flag, _)| *flag)
        .collect();
        if let [first, second, ..] = print_modes[..] {
            return Err(format!(
                "{first} and {second} both write to stdout: use one at a time"
            ));
        }
        if self.sync_only && self.image_sync.is_none() {
            return Err("--sync-only requires --image-sync <REG> (the registry to copy to)".into());
        }
        let oci_chart = self
            .chart_path
            .as_deref()
            .is_some_and(|path| path.starts_with("oci://"));
        if self.insecure_registry && self.image_sync.is_none() && !oci_chart {
            return Err(
                "--insecure-registry requires --image-sync <REG> or an oci:// --chart-path (it only affects registries)"
                    .into(),
            );
        }
        if !self.enable_guardrails {
            let guardrails_flags = [
                ("--guardrails-config", self.guardrails_config.is_some()),
                (
                    "--guardrails-node-selector",
                    !self.guardrails_node_selector.is_empty(),
                ),
                ("--guardrails-affinity", self.guardrails_affinity.is_some()),
                (
                    "--guardrails-tolerations",
                    self.guardrails_tolerations.is_some(),
                ),
            ];
            if let Some((flag, _)) = guardrails_flags.iter().find(|(_, set)| *set) {
                return Err(format!("{flag} requires --enable-guardrails"));
            }
        }
        if self.image_pull_secret_stdin && self.guardrails_config.as_deref() == Some("-") {
            return Err(
                "--image-pull-secret-stdin and --guardrails-config - both read stdin: \
                        pass the guardrails config as a file"
                    .into(),
            );
        }
        validate_chart_flags(
            self.chart_path.as_deref(),
            self.chart_version.is_some(),
            self.ca_file.is_some(),
        )
    }

    fn validate_values(&self) -> Result<(), String> {
        if let Some(url) = &self.serve_url {
            validate_url("--serve-url", url)?;
        }
        validate_release_name(&self.release_name)?;
        validate_dns_label("--system-namespace", &self.system_namespace)?;
        validate_dns_label("--dataplane-namespace", &self.dataplane_namespace)?;
        if self.system_namespace == self.dataplane_namespace {
            return Err("--system-namespace and --dataplane-namespace must differ".into());
        }
        if let Some(name) = &self.image_pull_secret_name {
            validate_dns_subdomain("--image-pull-secret-name", name)?;
        }
        for (flag, registry) in [
            ("--image-sync", &self.image_sync),
            ("--image-registry", &self.image_registry),
        ] {
            if let Some(registry) = registry {
                validate_registry(flag, registry)?;
            }
        }
        if let Some(tag) = &self.image_tag {
            validate_image_tag(tag)?;
        }
        Ok(())
    }
}

/// The hidden chart-source flags of install and upgrade: a version for an
/// oci:// chart only (a URL names its own), a CA bundle for a URL only.
pub(super) fn validate_chart_flags(
    chart_path: Option<&str>,
    chart_version: bool,
    ca_file: bool,
) -> Result<(), String> {
    let oci = chart_path.is_some_and(|path| path.starts_with("oci://"));
    let url =
        chart_path.is_some_and(|path| path.starts_with("https://") || path.starts_with("http://"));
    if oci && !chart_version {
        return Err("--chart-path with an oci:// reference requires --chart-version".into());
    }
    if chart_version && chart_path.is_none() {
        return Err(
            "--chart-version requires --chart-path (the embedded chart has one version)".into(),
        );
    }
    if chart_version && url {
        return Err(
            "--chart-version is for an oci:// --chart-path: an https:// URL names its chart's version"
                .into(),
        );
    }
    if ca_file && !url {
        return Err(
            "--ca-file requires an https:// --chart-path (it names the chart server's CA)".into(),
        );
    }
    Ok(())
}

pub(super) fn validate_url(flag: &str, url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{flag} \"{url}\" must start with https:// (or http://)"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("{flag} \"{url}\" has no host name"));
    }
    Ok(())
}

/// Helm's rule for release names: a DNS subdomain of at most 53 characters.
pub(super) fn validate_release_name(name: &str) -> Result<(), String> {
    if name.len() > 53 {
        return Err(format!(
            "--release-name \"{name}\" is longer than 53 characters"
        ));
    }
    validate_dns_subdomain("--release-name", name)
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

pub(super) fn validate_dns_label(flag: &str, name: &str) -> Result<(), String> {
    if is_dns_label(name) {
        Ok(())
    } else {
        Err(format!(
            "{flag} \"{name}\" is not a valid name (lower-case letters, digits and '-', at most 63)"
        ))
    }
}

fn validate_dns_subdomain(flag: &str, name: &str) -> Result<(), String> {
    if name.len() <= 253 && name.split('.').all(is_dns_label) {
        Ok(())
    } else {
        Err(format!(
            "{flag} \"{name}\" is not a valid name (lower-case letters, digits, '-' and '.')"
        ))
    }
}

/// A registry host with an optional port and path prefix, e.g. `gcr.io/acme/tars`.
pub(super) fn validate_registry(flag: &str, registry: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{flag} \"{registry}\" is not a registry: {why}"));
    if registry.contains("://") {
        return bad("give the host without a scheme, e.g. registry.example.com/team");
    }
    let host = registry.split('/').next().unwrap_or_default();
    let (name, port) = host.split_once(':').unwrap_or((host, ""));
    if name.is_empty()
        || !name.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    {
        return bad("the host name is malformed");
    }
    if !port.is_empty() && port.parse::<u16>().is_err() {
        return bad("the port is not a number");
    }
    let path_ok = registry.split('/').skip(1).all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    });
    if !path_ok {
        return bad("path parts must be lower-case letters, digits, '.', '_' or '-'");
    }
    Ok(())
}

/// OCI tag grammar: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub(super) fn validate_image_tag(tag: &str) -> Result<(), String> {
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "--image-tag \"{tag}\" is not a valid image tag (letters, digits, '.', '_', '-'; at most 128)"
        ))
    }
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("\"{text}\" is not key=value")),
    }
}

fn parse_json_object(text: &str) -> Result<serde_json::Value, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err("expected a JSON object {...}".into())
    }
}

fn parse_json_array(text: &str) -> Result<serde_json::Value, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if value.is_array() {
        Ok(value)
    } else {
        Err("expected a JSON array [...]".into())
    }
}

const INSTALL_EXAMPLES: &str = "\
Examples:
  # Install with the embedded chart
  tare install identity.json --serve-url https://proxy.acme.com --wait

  # Mirror images to a private registry, create a pull secret, install from it
  echo \"user:password\" | tare install identity.json --serve-url https://proxy.acme.com \\
      --image-sync myregistry.example.com --image-pull-secret-stdin --wait

  # GitOps: print the values, the images, or the namespace and pull-secret manifests
  tare install identity.json --serve-url https://proxy.acme.com --print-helm-values
  tare install identity.json --image-sync myregistry.example.com --print-images

  # A cluster admin applies the CRDs; a namespaced operator does the rest
  tare install identity.json --crds-only

All progress goes to stderr; only the --print-* modes write to stdout.";

/// Runs `tare install`: validate every flag first, then act.
pub fn run(args: &InstallArgs) -> anyhow::Result<ExitCode> {
    args.validate().map_err(UsageError)?;
    crate::tars::install::run(args)
}
