//! Remove a release and the objects it owns, as `helm uninstall` does: the
//! record goes `uninstalling`, objects are deleted in Helm's uninstall order
//! (those with `helm.sh/resource-policy: keep` stay), then the records are
//! purged, or kept as `uninstalled` with `--keep-history`. The release's
//! pre- and post-delete hooks run around the deletion.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use kube::Client;

use super::apply_release::remove;
use super::deploy::{RELEASE_FIELD_MANAGER, history_of, settle_interrupted};
use super::hooks::run_hooks;
use crate::kube::{Applier, OperationLease};
use crate::manifest::{Manifest, parse_stream};
use crate::release::{GoTime, NotFound, SecretStore, Status};

#[derive(Debug, Clone)]
pub struct UninstallRequest {
    pub release: String,
    pub namespace: String,
    pub keep_history: bool,
    /// Wait until the deleted objects are gone.
    pub wait: bool,
    pub timeout: Duration,
    /// Remove the finalizers of objects left terminating (their controller is
    /// usually gone with the release); implies waiting.
    pub clear_finalizers: bool,
}

/// Uninstalls under the release's operation Lease; returns the objects kept by policy.
pub async fn uninstall(client: &Client, request: &UninstallRequest) -> Result<Vec<String>> {
    let work = uninstall_locked(client, request);
    OperationLease::hold(
        client,
        &request.namespace,
        &request.release,
        "uninstall",
        work,
    )
    .await
}

async fn uninstall_locked(client: &Client, request: &UninstallRequest) -> Result<Vec<String>> {
    let name = &request.release;
    let store = SecretStore::new(client.clone(), request.namespace.clone());
    let history = settle_interrupted(&store, history_of(&store, name).await?).await?;
    let Some(mut last) = history.last().cloned() else {
        return Err(NotFound::Release {
            name: name.clone(),
            namespace: request.namespace.clone(),
        }
        .into());
    };
    if last.status() == Status::Uninstalled {
        if request.keep_history {
            bail!("the release named \"{name}\" is already deleted");
        }
        purge(&store, name, &history).await?;
        return Ok(Vec::new());
    }
    last.set_status(
        Status::Uninstalling,
        "Deletion in progress (or silently failed)",
    );
    if let Some(info) = last.info.as_mut() {
        info.deleted = Some(GoTime::now());
    }
    store.update(&last).await?;

    let applier = Applier::new(client.clone(), RELEASE_FIELD_MANAGER, false);
    let manifests = parse_stream(&last.manifest).context("the release's manifests")?;
    let namespace = request.namespace.as_str();
    run_hooks(
        &applier,
        &mut last.hooks,
        "pre-delete",
        namespace,
        request.timeout,
    )
    .await?;
    let kept = remove(&applier, &manifests, namespace).await?;
    if request.wait || request.clear_finalizers {
        wait_gone(&applier, &manifests, request).await?;
    }
    run_hooks(
        &applier,
        &mut last.hooks,
        "post-delete",
        namespace,
        request.timeout,
    )
    .await?;

    last.set_status(Status::Uninstalled, "Uninstallation complete");
    if request.keep_history {
        store.update(&last).await?;
        for mut deployed in history
            .into_iter()
            .filter(|r| r.status() == Status::Deployed && r.version != last.version)
        {
            deployed.supersede();
            store.update(&deployed).await?;
        }
    } else {
        purge(&store, name, &history).await?;
    }
    Ok(kept)
}

async fn purge(store: &SecretStore, name: &str, history: &[crate::release::Release]) -> Result<()> {
    for release in history {
        store.delete(name, release.version).await?;
    }
    Ok(())
}

/// Waits until every deleted object is gone; names the ones that are not
/// (usually held by a finalizer whose controller is gone), or clears their
/// finalizers when asked to.
async fn wait_gone(
    applier: &Applier,
    manifests: &[Manifest],
    request: &UninstallRequest,
) -> Result<()> {
    let namespace = request.namespace.as_str();
    let deadline = tokio::time::Instant::now() + request.timeout;
    let mut cleared = HashSet::new();
    loop {
        let mut remaining = Vec::new();
        for manifest in manifests.iter().filter(|m| !m.is_kept()) {
            let Some(live) = applier.get(manifest, namespace).await? else {
                continue;
            };
            let held = live.metadata.deletion_timestamp.is_some()
                && live
                    .metadata
                    .finalizers
                    .as_ref()
                    .is_some_and(|f| !f.is_empty());
            if held && request.clear_finalizers && cleared.insert(manifest.describe()) {
                let finalizers = live.metadata.finalizers.unwrap_or_default().join(", ");
                applier.clear_finalizers(manifest, namespace).await?;
                eprintln!(
                    "cleared finalizers ({finalizers}) of {}",
                    manifest.describe()
                );
            }
            remaining.push(manifest.describe());
        }
        if remaining.is_empty() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "timed out waiting for deletion of: {} (objects held by finalizers wait for their controller; --clear-finalizers removes them)",
                remaining.join(", ")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
