//! `tare doctor`: the health check an operator runs, and `tare doctor
//! forward-events`, which the chart's tare-doctor CronJob runs in the cluster.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::doctor::{Cluster, Health, ReportFormat, examine, health_report, render_text, summary};
use crate::kube::ClusterOptions;
use crate::mp::{DATAPLANE_STATUS, ManagementPlane, send_health_report};
use crate::release::SecretStore;
use crate::tars::identity::Identity;

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  tare doctor identity.json --verbose\n  tare doctor identity.json -o json\n\n\
    Exit code 1 when a check is Broken or the health report was not accepted.\n\
    Set TARE_MP_CA_FILE to a PEM bundle to trust a private management plane CA."
)]
pub struct DoctorArgs {
    #[command(subcommand)]
    pub command: Option<DoctorCommand>,
    /// Identity file issued by the management plane.
    #[arg(required = true)]
    pub identity_file: Option<PathBuf>,
    /// Show the reason and what was looked at for every check, not only the failing ones.
    #[arg(long)]
    pub verbose: bool,
    /// Output format: the text report, or the health report as JSON.
    #[arg(long, short = 'o', value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Namespace of the controllers, the identity and the release records.
    #[arg(long, default_value = "tars-system")]
    pub system_namespace: String,
    /// Namespace of the Gateway, the proxy and the routes.
    #[arg(long, default_value = "tars-dataplane")]
    pub dataplane_namespace: String,
    /// Name of the Helm release, named in the health report.
    #[arg(long, default_value = "tars")]
    pub release_name: String,
    #[command(flatten)]
    pub cluster: ClusterOptions,
}

#[derive(Debug, Subcommand)]
pub enum DoctorCommand {
    /// Report Helm revisions made without tare and forward the install events to the
    /// management plane (what the chart's tare-doctor CronJob runs).
    #[command(
        after_help = "Events accepted (2xx) or refused (4xx) are deleted; on a 5xx or no answer they\n\
        stay for the next run and the exit code is 1."
    )]
    ForwardEvents(ForwardEventsArgs),
}

#[derive(Debug, Args)]
pub struct ForwardEventsArgs {
    /// Name of the Helm release to watch.
    #[arg(long, alias = "release-name", default_value = "tars")]
    pub release: String,
    /// Namespace of the release records and of the event ConfigMaps.
    #[arg(long, default_value = "tars-system")]
    pub system_namespace: String,
    /// The data plane namespace (events live in the system namespace; accepted
    /// because the chart passes it).
    #[arg(long, hide = true)]
    pub dataplane_namespace: Option<String>,
    /// Directory with the mounted identity (the tars-identity Secret and ConfigMap).
    #[arg(long, conflicts_with = "identity_file")]
    pub identity_dir: Option<PathBuf>,
    /// Identity file instead; without either, the identity is read from the cluster.
    #[arg(long)]
    pub identity_file: Option<PathBuf>,
    #[command(flatten)]
    pub cluster: ClusterOptions,
}

pub fn run(args: &DoctorArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match &args.command {
        Some(DoctorCommand::ForwardEvents(forward)) => runtime.block_on(forward_events(forward)),
        None => runtime.block_on(check(args)),
    }
}

async fn check(args: &DoctorArgs) -> Result<ExitCode> {
    let path = args.identity_file.as_ref().expect("clap requires it");
    let identity = Identity::load(path)?;
    let cluster = Cluster {
        client: crate::kube::connect(&args.cluster).await?,
        system_namespace: args.system_namespace.clone(),
        dataplane_namespace: args.dataplane_namespace.clone(),
    };
    let checks = examine(&cluster, &identity).await;
    let release = release_summary(&cluster, &args.release_name).await;
    let report = health_report(&checks, &identity, &release);
    match args.output {
        ReportFormat::Text => print!("{}", render_text(&checks, args.verbose)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    let mp = ManagementPlane::for_identity(&identity)?;
    eprint!(
        "Sending health report to {}{DATAPLANE_STATUS}... ",
        mp.base_url()
    );
    let delivered = match send_health_report(&mp, &report).await {
        Ok(bundle) => {
            eprintln!("OK (bundle {bundle})");
            true
        }
        Err(error) => {
            eprintln!("FAILED: {error:#}");
            false
        }
    };
    let (_, _, health) = summary(&checks);
    Ok(if health == Health::Broken || !delivered {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The release as the report names it; `null` when it cannot be read.
async fn release_summary(cluster: &Cluster, name: &str) -> Value {
    let store = SecretStore::new(cluster.client.clone(), &cluster.system_namespace);
    match store.last(name).await {
        Ok(release) => json!({
            "name": release.name,
            "namespace": release.namespace,
            "revision": release.version,
            "status": release.status().as_str(),
            "chart": release.chart_label(),
        }),
        Err(_) => Value::Null,
    }
}

async fn forward_events(args: &ForwardEventsArgs) -> Result<ExitCode> {
    let local = match (&args.identity_dir, &args.identity_file) {
        (Some(dir), _) => Some(crate::mp::identity_from_dir(dir)?),
        (None, Some(file)) => Some(Identity::load(file)?),
        (None, None) => None,
    };
    let client = crate::kube::connect(&args.cluster).await?;
    let identity = match local {
        Some(identity) => identity,
        None => crate::mp::identity_from_cluster(&client, &args.system_namespace).await?,
    };
    let forwarded =
        crate::doctor::forward_events(&client, &args.system_namespace, &args.release, &identity)
            .await?;
    eprintln!(
        "install events: {} forwarded, {} dropped, {} kept for the next run",
        forwarded.delivered, forwarded.dropped, forwarded.kept
    );
    Ok(if forwarded.kept > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// The chart's tare-doctor CronJob runs exactly this command line.
    #[test]
    fn the_chart_cronjob_command_line_parses() {
        let cronjob = include_str!("../../chart/templates/doctor/cronjob.yaml");
        let mut line = vec!["tare", "doctor", "forward-events"];
        let flags = [
            "--release={{ .Release.Name }}",
            "--system-namespace={{ include \"tars.systemNamespace\" . }}",
            "--dataplane-namespace={{ include \"tars.dataplaneNamespace\" . }}",
            "--identity-dir=/var/run/tars/identity",
        ];
        for flag in flags {
            assert!(cronjob.contains(&format!("- {flag}")), "{flag}");
            line.push(flag);
        }
        assert!(
            cronjob.contains("- tare\n                - doctor\n                - forward-events")
        );
        let cli = Cli::try_parse_from(line).unwrap();
        let Command::Doctor(args) = cli.command else {
            panic!("not doctor")
        };
        let Some(DoctorCommand::ForwardEvents(forward)) = args.0.command else {
            panic!("not forward-events")
        };
        assert_eq!(
            forward.identity_dir,
            Some(PathBuf::from("/var/run/tars/identity"))
        );
    }

    #[test]
    fn doctor_needs_an_identity_file_unless_forwarding_events() {
        assert!(Cli::try_parse_from(["tare", "doctor"]).is_err());
        assert!(Cli::try_parse_from(["tare", "doctor", "forward-events"]).is_ok());
        let cli = Cli::try_parse_from(["tare", "doctor", "id.json", "-o", "json"]).unwrap();
        let Command::Doctor(args) = cli.command else {
            panic!("not doctor")
        };
        assert_eq!(args.identity_file, Some(PathBuf::from("id.json")));
        assert_eq!(args.output, ReportFormat::Json);
    }
}
