//! Chart hooks, run as Helm runs them: per event, by weight then name; the
//! previous run's object deleted first (`before-hook-creation`, the default);
//! Jobs and Pods waited on; `hook-succeeded` / `hook-failed` deletions after.
//! Each run is written into the hook's `last_run`, and the hooks are stored in
//! the release record, so `helm get hooks`, `helm rollback` and `helm
//! uninstall` see and run them as they would for a release helm made.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::kube::{Applier, wait_ready};
use crate::manifest::{Manifest, parse_stream};
use crate::release::{GoTime, Hook, HookExecution};

/// `HookExecution.phase` values, as Helm writes them.
const RUNNING: &str = "Running";
const SUCCEEDED: &str = "Succeeded";
const FAILED: &str = "Failed";

/// A rendered chart's hook as the release record stores it (never run yet).
pub fn record_hook(hook: &crate::chart::Hook) -> Hook {
    Hook {
        name: hook.name.clone(),
        kind: hook.kind.clone(),
        path: hook.source.clone(),
        manifest: hook.content.clone(),
        events: hook.events.clone(),
        weight: hook.weight,
        delete_policies: hook.delete_policies.clone(),
        ..Default::default()
    }
}

/// A stored hook with its object parsed, ready to run.
struct HookRun<'a> {
    hook: &'a mut Hook,
    manifest: Manifest,
}

impl HookRun<'_> {
    fn has_policy(&self, policy: &str) -> bool {
        if self.hook.delete_policies.is_empty() {
            return policy == "before-hook-creation";
        }
        self.hook.delete_policies.iter().any(|p| p == policy)
    }

    /// CRDs created by hooks are never deleted, as in Helm.
    fn deletable(&self) -> bool {
        self.manifest.kind() != "CustomResourceDefinition"
    }
}

/// Runs the hooks of `event` (e.g. `pre-install`), recording each run.
pub async fn run_hooks(
    applier: &Applier,
    hooks: &mut [Hook],
    event: &str,
    namespace: &str,
    timeout: Duration,
) -> Result<()> {
    let mut selected: Vec<HookRun> = hooks
        .iter_mut()
        .filter(|h| h.events.iter().any(|e| e == event))
        .map(|hook| {
            let text = format!("---\n# Source: {}\n{}\n", hook.path, hook.manifest);
            let manifest = parse_stream(&text)?
                .into_iter()
                .next()
                .with_context(|| format!("hook {} is empty", hook.path))?;
            Ok(HookRun { hook, manifest })
        })
        .collect::<Result<_>>()?;
    selected.sort_by(|a, b| {
        a.hook
            .weight
            .cmp(&b.hook.weight)
            .then_with(|| a.manifest.name().cmp(b.manifest.name()))
    });
    for done in 0..selected.len() {
        let run = &mut selected[done];
        if run.has_policy("before-hook-creation") && run.deletable() {
            delete_and_wait_gone(applier, &run.manifest, namespace, timeout).await?;
        }
        eprintln!("running {event} hook {}", run.manifest.describe());
        run.hook.last_run = HookExecution {
            started_at: Some(GoTime::now()),
            phase: RUNNING.into(),
            ..Default::default()
        };
        let outcome = run_one(applier, &run.manifest, namespace, timeout).await;
        run.hook.last_run.completed_at = Some(GoTime::now());
        run.hook.last_run.phase = if outcome.is_ok() { SUCCEEDED } else { FAILED }.into();
        if let Err(error) = outcome {
            let run = &selected[done];
            if run.has_policy("hook-failed") && run.deletable() {
                applier.delete(&run.manifest, namespace).await?;
            }
            for earlier in selected[..done]
                .iter()
                .filter(|r| r.has_policy("hook-succeeded") && r.deletable())
            {
                applier.delete(&earlier.manifest, namespace).await?;
            }
            return Err(anyhow!(
                "{event} hook {} failed: {error:#}",
                run.manifest.describe()
            ));
        }
    }
    // Finished hooks depend on nothing any more: delete them all at once.
    let deletions = selected
        .iter()
        .filter(|r| r.has_policy("hook-succeeded") && r.deletable())
        .map(|run| applier.delete(&run.manifest, namespace));
    futures::future::try_join_all(deletions).await?;
    Ok(())
}

async fn run_one(
    applier: &Applier,
    manifest: &Manifest,
    namespace: &str,
    timeout: Duration,
) -> Result<()> {
    applier.apply(manifest, namespace).await?;
    if matches!(manifest.kind(), "Job" | "Pod") {
        wait_ready(applier, std::slice::from_ref(manifest), namespace, timeout).await?;
    }
    Ok(())
}

async fn delete_and_wait_gone(
    applier: &Applier,
    manifest: &Manifest,
    namespace: &str,
    timeout: Duration,
) -> Result<()> {
    if !applier.delete(manifest, namespace).await? {
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    while applier.get(manifest, namespace).await?.is_some() {
        if tokio::time::Instant::now() >= deadline {
            return Err(anyhow!(
                "{} from the previous run is still being deleted",
                manifest.describe()
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}
