//! Roll a release back to an earlier revision, as `helm rollback` does: a new
//! revision copied from the target, applied from its stored manifest (nothing
//! is re-rendered) between the target's pre- and post-rollback hooks, every
//! other deployed revision superseded.

use anyhow::{Context, Result};
use kube::Client;

use super::apply_release::{Transition, transition};
use super::deploy::{RELEASE_FIELD_MANAGER, history_of, settle_interrupted};
use super::hooks::run_hooks;
use super::interrupt::unless_interrupted;
use crate::kube::{Applier, OperationLease, ReleaseOwner};
use crate::manifest::parse_stream;
use crate::release::{APPLY_METHOD_SSA, GoTime, Info, NotFound, Release, SecretStore, Status};

#[derive(Debug, Clone)]
pub struct RollbackRequest {
    pub release: String,
    pub namespace: String,
    /// The revision to go back to; the one before the last when `None`.
    pub revision: Option<u32>,
}

/// Rolls back under the release's operation Lease.
pub async fn rollback(
    client: &Client,
    request: &RollbackRequest,
    how: Transition,
) -> Result<Release> {
    let store = SecretStore::new(client.clone(), request.namespace.clone());
    let work = rollback_locked(&store, client, request, how);
    OperationLease::hold(
        client,
        &request.namespace,
        &request.release,
        "rollback",
        work,
    )
    .await
}

/// The rollback itself; the caller holds the Lease.
pub(crate) async fn rollback_locked(
    store: &SecretStore,
    client: &Client,
    request: &RollbackRequest,
    how: Transition,
) -> Result<Release> {
    let name = &request.release;
    let history = settle_interrupted(store, history_of(store, name).await?).await?;
    let current = history.last().cloned().ok_or_else(|| NotFound::Release {
        name: name.clone(),
        namespace: request.namespace.clone(),
    })?;
    let wanted = request
        .revision
        .filter(|&r| r > 0)
        .unwrap_or(current.version.saturating_sub(1));
    let target = history
        .iter()
        .find(|r| r.version == wanted)
        .cloned()
        .with_context(|| format!("release has no {wanted} version"))?;

    let mut record = rollback_record(&current, &target);
    store.create(&record).await?;

    let applier = Applier::new(client.clone(), RELEASE_FIELD_MANAGER, true);
    let owner = ReleaseOwner {
        name,
        namespace: &request.namespace,
    };
    let targets = parse_stream(&target.manifest).context("the target revision's manifests")?;
    let previous = parse_stream(&current.manifest).context("the current revision's manifests")?;
    let how = Transition {
        from_client_side: how.from_client_side || !current.server_side_applied(),
        ..how
    };
    let namespace = request.namespace.as_str();
    let hooks = &mut record.hooks;
    let steps = async {
        run_hooks(&applier, hooks, "pre-rollback", namespace, how.timeout).await?;
        transition(&applier, &targets, &previous, owner, how).await?;
        run_hooks(&applier, hooks, "post-rollback", namespace, how.timeout).await
    };
    if let Err(error) = unless_interrupted(steps).await {
        let description = format!("Rollback \"{name}\" failed: {error:#}");
        record.set_status(Status::Failed, description);
        store.update(&record).await?;
        return Err(error.context(format!(
            "rollback of release \"{name}\" to revision {wanted} failed"
        )));
    }
    for mut deployed in history
        .into_iter()
        .filter(|r| r.status() == Status::Deployed)
    {
        deployed.supersede();
        store.update(&deployed).await?;
    }
    let description = format!("Rollback to {wanted}");
    record.set_status(Status::Deployed, description);
    store.update(&record).await?;
    Ok(record)
}

/// The new revision: the target's chart, values, manifest and hooks, numbered after the last.
fn rollback_record(current: &Release, target: &Release) -> Release {
    let now = GoTime::now();
    let first_deployed = current.info.as_ref().and_then(|i| i.first_deployed.clone());
    let notes = target
        .info
        .as_ref()
        .map(|i| i.notes.clone())
        .unwrap_or_default();
    Release {
        name: current.name.clone(),
        namespace: current.namespace.clone(),
        version: current.version + 1,
        chart: target.chart.clone(),
        config: target.config.clone(),
        manifest: target.manifest.clone(),
        hooks: target.hooks.clone(),
        labels: target.labels.clone(),
        apply_method: APPLY_METHOD_SSA.to_string(),
        info: Some(Info {
            first_deployed,
            last_deployed: Some(now),
            status: Status::PendingRollback,
            description: format!("Rollback to {}", target.version),
            notes,
            ..Default::default()
        }),
        ..Default::default()
    }
}
