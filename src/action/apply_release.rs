//! Moving the cluster from one release manifest to another: ownership checks,
//! server-side apply of the target, deletion of what the target dropped, and
//! the wait. Install, upgrade and rollback all go through here.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Result, bail};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::kube::{
    Applier, ReleaseOwner, adopt_client_side_fields, adoption_problem, wait_ready, with_ownership,
};
use crate::manifest::{Manifest, sort_for_uninstall};

/// Identity of an object across revisions: group, kind, namespace, name.
type ObjectKey = (String, String, String, String);

fn key(manifest: &Manifest, default_namespace: &str) -> ObjectKey {
    let group = manifest
        .api_version()
        .rsplit_once('/')
        .map_or("", |(g, _)| g);
    (
        group.to_string(),
        manifest.kind().to_string(),
        manifest
            .namespace()
            .unwrap_or(default_namespace)
            .to_string(),
        manifest.name().to_string(),
    )
}

/// Refuses, before anything changes, to take over objects that exist but
/// belong to no release or to another one (unless `take_ownership`).
pub async fn check_adoption(
    applier: &Applier,
    targets: &[Manifest],
    previous: &[Manifest],
    owner: ReleaseOwner<'_>,
    operation: &str,
    take_ownership: bool,
) -> Result<()> {
    if take_ownership {
        return Ok(());
    }
    let known: HashSet<ObjectKey> = previous.iter().map(|m| key(m, owner.namespace)).collect();
    let new_objects = targets
        .iter()
        .filter(|t| !known.contains(&key(t, owner.namespace)));
    // The live objects are read concurrently: a fresh install checks every object.
    let problems: Vec<Option<String>> = stream::iter(new_objects)
        .map(|target| async move {
            let Some(live) = applier.get(target, owner.namespace).await? else {
                return Ok(None);
            };
            let live = serde_json::to_value(&live)?;
            anyhow::Ok(adoption_problem(&live, owner, operation))
        })
        .buffered(ADOPTION_CHECKS_AT_ONCE)
        .try_collect()
        .await?;
    if let Some(problem) = problems.into_iter().flatten().next() {
        bail!("{problem} (pass --take-ownership to adopt it anyway)");
    }
    Ok(())
}

/// Live objects read at the same time by the adoption check.
const ADOPTION_CHECKS_AT_ONCE: usize = 16;

/// How one transition is carried out.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub wait: bool,
    pub timeout: Duration,
    /// The objects were last applied client-side (helm v3, or v4 without
    /// server-side apply): move that ownership to server-side apply first.
    pub from_client_side: bool,
}

/// Applies `targets` (with ownership metadata), deletes objects of `previous`
/// that `targets` no longer has (unless kept by resource policy), then waits.
pub async fn transition(
    applier: &Applier,
    targets: &[Manifest],
    previous: &[Manifest],
    owner: ReleaseOwner<'_>,
    how: Transition,
) -> Result<()> {
    if how.from_client_side {
        for target in targets {
            adopt_client_side_fields(applier, target, owner.namespace, applier.field_manager())
                .await?;
        }
    }
    let stamped: Vec<Manifest> = targets.iter().map(|m| with_ownership(m, owner)).collect();
    applier.apply_all(&stamped, owner.namespace).await?;

    let wanted: HashSet<ObjectKey> = targets.iter().map(|m| key(m, owner.namespace)).collect();
    let mut dropped: Vec<Manifest> = previous
        .iter()
        .filter(|m| !wanted.contains(&key(m, owner.namespace)) && !m.is_kept())
        .cloned()
        .collect();
    sort_for_uninstall(&mut dropped);
    for manifest in &dropped {
        applier.delete(manifest, owner.namespace).await?;
    }
    if how.wait {
        wait_ready(applier, targets, owner.namespace, how.timeout).await?;
    }
    Ok(())
}

/// Deletes a release's objects in Helm's uninstall order; returns the kept ones.
pub async fn remove(
    applier: &Applier,
    manifests: &[Manifest],
    namespace: &str,
) -> Result<Vec<String>> {
    let mut ordered = manifests.to_vec();
    sort_for_uninstall(&mut ordered);
    let mut kept = Vec::new();
    for manifest in &ordered {
        if manifest.is_kept() {
            kept.push(manifest.describe());
        } else {
            applier.delete(manifest, namespace).await?;
        }
    }
    Ok(kept)
}
