//! Install or upgrade a release from rendered manifests, as `helm upgrade
//! --install` does, writing the same revision records in the same order, with
//! server-side apply, waiting, and rollback on failure.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use kube::Client;

use super::apply_release::{Transition, check_adoption, remove, transition};
use super::hooks::run_hooks;
use super::interrupt::unless_interrupted;
use super::rollback::{RollbackRequest, rollback_locked};
use crate::kube::{Applier, OperationLease, ReleaseOwner};
use crate::manifest::parse_stream;
use crate::release::{
    APPLY_METHOD_SSA, ChartRecord, GoTime, Hook, Info, NotFound, Release, SecretStore, Status,
    Values,
};

/// The field manager of release objects: Helm's own, so that `helm upgrade`
/// and `helm rollback` continue from tare's revisions without conflicts.
pub const RELEASE_FIELD_MANAGER: &str = "helm";

/// What to deploy: a rendered chart and the values the user gave.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub release: String,
    pub namespace: String,
    pub chart: ChartRecord,
    /// User-supplied values only (what `helm get values` shows).
    pub config: Values,
    /// The rendered non-hook manifests, as Helm stores them (`---`, `# Source:`, document).
    pub manifest: String,
    pub notes: String,
    /// Hooks of the rendered chart, as the record stores them.
    pub hooks: Vec<Hook>,
}

#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub wait: bool,
    pub timeout: Duration,
    /// Roll back (upgrade) or remove everything (install) when it fails.
    pub atomic: bool,
    pub take_ownership: bool,
    /// Revisions kept (`--history-max`); 0 keeps all.
    pub history_max: usize,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            wait: true,
            timeout: Duration::from_secs(300),
            atomic: true,
            take_ownership: false,
            history_max: 10,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Install,
    Upgrade,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Install => "install",
            Operation::Upgrade => "upgrade",
        }
    }
}

/// A finished deployment: the new deployed revision and what it replaced.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub operation: Operation,
    pub release: Release,
    pub previous: Option<Release>,
    /// Nothing changed since the deployed revision: its objects were
    /// re-applied (repairing drift) but no revision was written and no hook ran.
    pub unchanged: bool,
}

/// Installs the release, or upgrades it when it exists. One operation per
/// release at a time: a second one fails at once.
pub async fn deploy(
    client: &Client,
    request: DeployRequest,
    options: &DeployOptions,
) -> Result<Deployed> {
    let (namespace, release) = (request.namespace.clone(), request.release.clone());
    let work = async {
        let store = SecretStore::new(client.clone(), namespace.clone());
        let history = history_of(&store, &release).await?;
        deploy_under_lease(client, request, options, history).await
    };
    OperationLease::hold(client, &namespace, &release, DEPLOY_OPERATION, work).await
}

/// What the operation Lease names a deployment.
pub const DEPLOY_OPERATION: &str = "install/upgrade";

/// [`deploy`] for a caller that already holds the release's operation Lease
/// (see [`OperationLease::hold`]), because it writes more than the release,
/// and has read the release's `history` under it ([`history_of`]).
pub async fn deploy_under_lease(
    client: &Client,
    request: DeployRequest,
    options: &DeployOptions,
    history: Vec<Release>,
) -> Result<Deployed> {
    let store = SecretStore::new(client.clone(), request.namespace.clone());
    let history = settle_interrupted(&store, history).await?;
    let operation = match history.last() {
        None => Operation::Install,
        Some(last) if last.status() == Status::Uninstalled => Operation::Install,
        Some(_) => Operation::Upgrade,
    };
    let current = current_release(&history).cloned();
    let owner = ReleaseOwner {
        name: &request.release,
        namespace: &request.namespace,
    };
    let applier = Applier::new(client.clone(), RELEASE_FIELD_MANAGER, false);
    let targets = parse_stream(&request.manifest).context("the rendered manifests")?;
    let previous = match &current {
        Some(current) => {
            parse_stream(&current.manifest).context("the current revision's manifests")?
        }
        None => Vec::new(),
    };
    let adoption_operation = if operation == Operation::Install {
        "install"
    } else {
        "update"
    };
    check_adoption(
        &applier,
        &targets,
        &previous,
        owner,
        adoption_operation,
        options.take_ownership,
    )
    .await?;

    if let Some(current) = current
        .as_ref()
        .filter(|c| is_unchanged(c, history.last(), &request))
    {
        let how = Transition {
            wait: options.wait,
            timeout: options.timeout,
            from_client_side: !current.server_side_applied(),
        };
        unless_interrupted(transition(&applier, &targets, &previous, owner, how)).await?;
        return Ok(Deployed {
            operation,
            release: current.clone(),
            previous: None,
            unchanged: true,
        });
    }

    let version = history.last().map_or(1, |r| r.version + 1);
    let mut record = new_record(&request, version, operation, current.as_ref());
    store
        .prune(&request.release, &history, options.history_max)
        .await?;
    store.create(&record).await?;

    let how = Transition {
        wait: options.wait,
        timeout: options.timeout,
        from_client_side: current.as_ref().is_some_and(|c| !c.server_side_applied()),
    };
    let event = operation.as_str();
    let hooks = &mut record.hooks;
    let steps = async {
        run_hooks(
            &applier,
            hooks,
            &format!("pre-{event}"),
            &request.namespace,
            options.timeout,
        )
        .await?;
        transition(&applier, &targets, &previous, owner, how).await?;
        run_hooks(
            &applier,
            hooks,
            &format!("post-{event}"),
            &request.namespace,
            options.timeout,
        )
        .await
    };
    let outcome = unless_interrupted(steps).await;
    match outcome {
        Ok(()) => {
            let mut replaced = current.clone();
            if let Some(replaced) = replaced
                .as_mut()
                .filter(|_| operation == Operation::Upgrade)
            {
                replaced.supersede();
                store.update(replaced).await?;
            }
            let done = if operation == Operation::Install {
                "Install complete"
            } else {
                "Upgrade complete"
            };
            record.set_status(Status::Deployed, done);
            store.update(&record).await?;
            Ok(Deployed {
                operation,
                release: record,
                previous: replaced,
                unchanged: false,
            })
        }
        Err(error) => {
            let error = format!("{error:#}");
            let description = match operation {
                Operation::Install => format!("Release \"{}\" failed: {error}", request.release),
                Operation::Upgrade => format!("Upgrade \"{}\" failed: {error}", request.release),
            };
            record.set_status(Status::Failed, description);
            store.update(&record).await?;
            if !options.atomic {
                return Err(anyhow!(
                    "{} of release \"{}\" failed: {error}",
                    operation.as_str(),
                    request.release
                ));
            }
            Err(undo(
                &store, &applier, &request, operation, &history, &record, options, &error,
            )
            .await)
        }
    }
}

/// Atomic failure handling: an install is removed entirely, an upgrade is
/// rolled back to the newest good revision. Returns the error to report.
#[allow(clippy::too_many_arguments)]
async fn undo(
    store: &SecretStore,
    applier: &Applier,
    request: &DeployRequest,
    operation: Operation,
    history: &[Release],
    failed: &Release,
    options: &DeployOptions,
    error: &str,
) -> anyhow::Error {
    let name = &request.release;
    match operation {
        Operation::Install => {
            let cleanup = async {
                let created = parse_stream(&failed.manifest)?;
                remove(applier, &created, &request.namespace).await?;
                for revision in history.iter().map(|r| r.version).chain([failed.version]) {
                    store.delete(name, revision).await?;
                }
                anyhow::Ok(())
            };
            match cleanup.await {
                Ok(()) => anyhow!(
                    "release {name} failed, and has been uninstalled due to rollback-on-failure being set: {error}"
                ),
                Err(cleanup_error) => anyhow!(
                    "release {name} failed: {error}; removing what it created also failed: {cleanup_error:#}"
                ),
            }
        }
        Operation::Upgrade => {
            let Some(good) = history
                .iter()
                .rev()
                .find(|r| matches!(r.status(), Status::Superseded | Status::Deployed))
            else {
                return anyhow!(
                    "release {name} failed: {error}; unable to find a previously successful release to roll back to"
                );
            };
            let rollback = RollbackRequest {
                release: name.clone(),
                namespace: request.namespace.clone(),
                revision: Some(good.version),
            };
            let how = Transition {
                wait: true,
                timeout: options.timeout,
                from_client_side: false,
            };
            match rollback_locked(store, applier.client(), &rollback, how).await {
                Ok(_) => anyhow!(
                    "release {name} failed, and has been rolled back due to rollback-on-failure being set: {error}"
                ),
                Err(rollback_error) => anyhow!(
                    "release {name} failed: {error}; the rollback to revision {} also failed: {rollback_error:#}",
                    good.version
                ),
            }
        }
    }
}

/// The release's revisions, oldest first; none when it was never installed.
pub async fn history_of(store: &SecretStore, name: &str) -> Result<Vec<Release>> {
    match store.history(name).await {
        Ok(history) => Ok(history),
        Err(error) if error.downcast_ref::<NotFound>().is_some() => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}

/// The caller holds the operation Lease, so a `pending-*` last revision was
/// left by an operation that died (kill -9, lost machine): record it as failed
/// and carry on, instead of blocking the release forever.
pub(crate) async fn settle_interrupted(
    store: &SecretStore,
    mut history: Vec<Release>,
) -> Result<Vec<Release>> {
    if let Some(last) = history.last_mut().filter(|r| r.status().is_pending()) {
        let what = last
            .status()
            .as_str()
            .trim_start_matches("pending-")
            .to_string();
        eprintln!(
            "revision {} was left {} by an operation that stopped; marking it failed",
            last.version,
            last.status().as_str()
        );
        last.set_status(
            Status::Failed,
            format!("{what} interrupted: the process running it stopped before it finished"),
        );
        store.update(last).await?;
    }
    Ok(history)
}

/// The request would write a revision identical to the deployed last one:
/// same chart version, values and manifests (notes mention the revision
/// number, so they always differ and are not compared).
fn is_unchanged(current: &Release, last: Option<&Release>, request: &DeployRequest) -> bool {
    let chart_version = |chart: Option<&ChartRecord>| {
        chart
            .and_then(|c| c.metadata.as_ref())
            .map(|m| m.version.clone())
    };
    current.status() == Status::Deployed
        && last.is_some_and(|l| l.version == current.version)
        && current.manifest == request.manifest
        && current.config == request.config
        && chart_version(current.chart.as_ref()) == chart_version(Some(&request.chart))
}

/// Helm's "current" release for an upgrade: the last if deployed, else the
/// newest deployed, else the last if it failed or was superseded.
fn current_release(history: &[Release]) -> Option<&Release> {
    let last = history.last()?;
    if last.status() == Status::Deployed {
        return Some(last);
    }
    history
        .iter()
        .rev()
        .find(|r| r.status() == Status::Deployed)
        .or_else(|| matches!(last.status(), Status::Failed | Status::Superseded).then_some(last))
}

fn new_record(
    request: &DeployRequest,
    version: u32,
    operation: Operation,
    current: Option<&Release>,
) -> Release {
    let now = GoTime::now();
    let first_deployed = match (operation, current.and_then(|c| c.info.as_ref())) {
        (Operation::Upgrade, Some(info)) => {
            info.first_deployed.clone().or_else(|| Some(now.clone()))
        }
        _ => Some(now.clone()),
    };
    let (status, description) = match operation {
        Operation::Install => (Status::PendingInstall, "Initial install underway"),
        Operation::Upgrade => (Status::PendingUpgrade, "Preparing upgrade"),
    };
    Release {
        name: request.release.clone(),
        namespace: request.namespace.clone(),
        version,
        chart: Some(request.chart.clone()),
        config: request.config.clone(),
        manifest: request.manifest.clone(),
        hooks: request.hooks.clone(),
        apply_method: APPLY_METHOD_SSA.to_string(),
        info: Some(Info {
            first_deployed,
            last_deployed: Some(now),
            status,
            description: description.to_string(),
            notes: request.notes.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
