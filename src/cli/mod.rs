//! Command-line surface: clap definitions and dispatch only.
//!
//! Each command lives in its own module and owns its flags; this file only
//! wires them together and turns errors into one line on stderr and an exit code:
//! 2 for a usage error (bad flags or combinations), 1 for anything that failed.

mod commands;
mod deferred;
mod doctor;
mod duration;
mod install;
mod template;
mod upgrade;

use std::fmt;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

pub use commands::{
    ChartCommand, ChartExportArgs, GetCommand, GetValuesArgs, HistoryArgs, ReleaseTarget,
    RollbackArgs, StatusArgs, UninstallArgs,
};
pub use deferred::Deferred;
pub use doctor::{DoctorArgs, DoctorCommand, ForwardEventsArgs};
pub use duration::parse_go_duration;
pub use install::{DEFAULT_PULL_SECRET_NAME, DeploymentMode, InstallArgs, RedisType};
pub use template::{TemplateArgs, render as render_template};
pub use upgrade::UpgradeArgs;

/// Install and upgrade the TARS data plane, with no helm and no kubectl on the machine.
///
/// tare renders its embedded Helm chart in process, stores releases in Helm's own
/// format (so `helm history`, `helm rollback` and `helm upgrade` keep working), applies
/// objects with server-side apply, waits for readiness and rolls back on failure.
#[derive(Debug, Parser)]
#[command(name = "tare", version = crate::version::long_version(), propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install the data plane (or upgrade it in place when it is already installed).
    Install(Box<Deferred<InstallArgs>>),
    /// Upgrade an installed data plane, carrying forward the values it was installed with.
    Upgrade(Deferred<UpgradeArgs>),
    /// Render a chart locally and print the manifests, exactly as `helm template` would.
    Template(Deferred<TemplateArgs>),
    /// Show the revisions of a release.
    History(Deferred<HistoryArgs>),
    /// Show the status of a release.
    Status(Deferred<StatusArgs>),
    /// Read data of a release.
    #[command(subcommand)]
    Get(GetCommand),
    /// Roll a release back to an earlier revision.
    Rollback(Deferred<RollbackArgs>),
    /// Remove a release and the objects it owns.
    Uninstall(Deferred<UninstallArgs>),
    /// Check the health of an installed data plane and report it to the management plane.
    Doctor(Deferred<DoctorArgs>),
    /// Work with the chart embedded in tare.
    #[command(subcommand)]
    Chart(ChartCommand),
}

/// A mistake in how tare was called: exit code 2, like clap's own errors.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit code for usage errors.
const EXIT_USAGE: u8 = 2;

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(error) if error.is::<UsageError>() => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Install(args) => install::run(&args),
        Command::Upgrade(args) => upgrade::run(&args),
        Command::Template(args) => template::run(&args),
        Command::Chart(ChartCommand::Export(args)) => {
            crate::tars::chart::export(&args.destination)?;
            eprintln!(
                "wrote chart serve-helm {} to {}",
                crate::version::chart_version(),
                args.destination.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::History(args) => {
            let args = &args;
            read_release(&args.cluster, &args.target, |store| async move {
                let name = &args.target.release_name;
                crate::action::history::run(&store, name, args.max, args.output).await
            })
        }
        Command::Status(args) => {
            let args = &args;
            read_release(&args.cluster, &args.target, |store| async move {
                let name = &args.target.release_name;
                let client = store.client().clone();
                crate::action::status::run(&client, &store, name, args.revision, args.output).await
            })
        }
        Command::Get(GetCommand::Values(args)) => {
            let args = &args;
            read_release(&args.cluster, &args.target, |store| async move {
                let name = &args.target.release_name;
                crate::action::get_values::run(&store, name, args.revision, args.all, args.output)
                    .await
            })
        }
        Command::Rollback(args) => rollback(&args),
        Command::Uninstall(args) => uninstall(&args),
        Command::Doctor(args) => doctor::run(&args),
    }
}

/// `tare rollback`: a new revision from an earlier one, as `helm rollback` writes it.
fn rollback(args: &RollbackArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let release = runtime.block_on(async {
        let client = crate::kube::connect(&args.cluster).await?;
        let request = crate::action::rollback::RollbackRequest {
            release: args.target.release_name.clone(),
            namespace: args.target.namespace.clone(),
            revision: args.revision,
        };
        let how = crate::action::apply_release::Transition {
            wait: args.wait,
            timeout: args.timeout,
            from_client_side: false,
        };
        crate::action::rollback::rollback(&client, &request, how).await
    })?;
    let description = release
        .info
        .as_ref()
        .map(|i| i.description.as_str())
        .unwrap_or_default();
    eprintln!(
        "Rollback was a success: release \"{}\" is at revision {} ({description})",
        release.name, release.version
    );
    Ok(ExitCode::SUCCESS)
}

/// `tare uninstall`: the release's objects and records removed, as `helm uninstall` does.
fn uninstall(args: &UninstallArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let kept = runtime.block_on(async {
        let client = crate::kube::connect(&args.cluster).await?;
        let request = crate::action::uninstall::UninstallRequest {
            release: args.target.release_name.clone(),
            namespace: args.target.namespace.clone(),
            keep_history: args.keep_history,
            wait: args.wait,
            timeout: args.timeout,
            clear_finalizers: args.clear_finalizers,
        };
        crate::action::uninstall::uninstall(&client, &request).await
    })?;
    if !kept.is_empty() {
        eprintln!("These resources were kept due to the resource policy:");
        for object in &kept {
            eprintln!("[{object}]");
        }
    }
    eprintln!("release \"{}\" uninstalled", args.target.release_name);
    Ok(ExitCode::SUCCESS)
}

/// Runs a read-only release command on a runtime of its own and prints what it returns.
fn read_release<F, Fut>(
    cluster: &crate::kube::ClusterOptions,
    target: &ReleaseTarget,
    action: F,
) -> anyhow::Result<ExitCode>
where
    F: FnOnce(crate::release::SecretStore) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let printed = runtime.block_on(async {
        let client = crate::kube::connect(cluster).await?;
        action(crate::release::SecretStore::new(client, &target.namespace)).await
    })?;
    print!("{printed}");
    Ok(ExitCode::SUCCESS)
}
