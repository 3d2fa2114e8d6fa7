//! Chart hooks, run as Helm runs them: per event, by weight then name; the
//! previous run's object deleted first (`before-hook-creation`, the default);
//! Jobs and Pods waited on; `hook-succeeded` / `hook-failed` deletions after.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::kube::{Applier, wait_ready};
use crate::manifest::{Manifest, parse_stream};

/// One hook object and when it runs.
#[derive(Debug, Clone)]
pub struct HookRun {
    pub events: Vec<String>,
    pub weight: i64,
    pub delete_policies: Vec<String>,
    pub manifest: Manifest,
}

impl HookRun {
    /// From a rendered chart's hook.
    pub fn from_chart(hook: &crate::chart::Hook) -> Result<HookRun> {
        let text = format!("---\n# Source: {}\n{}\n", hook.source, hook.content);
        let manifest = parse_stream(&text)?
            .into_iter()
            .next()
            .with_context(|| format!("hook {} is empty", hook.source))?;
        Ok(HookRun {
            events: hook.events.clone(),
            weight: hook.weight,
            delete_policies: hook.delete_policies.clone(),
            manifest,
        })
    }

    fn has_policy(&self, policy: &str) -> bool {
        if self.delete_policies.is_empty() {
            return policy == "before-hook-creation";
        }
        self.delete_policies.iter().any(|p| p == policy)
    }

    /// CRDs created by hooks are never deleted, as in Helm.
    fn deletable(&self) -> bool {
        self.manifest.kind() != "CustomResourceDefinition"
    }
}

/// Runs the hooks of `event` (e.g. `pre-install`).
pub async fn run_hooks(
    applier: &Applier,
    hooks: &[HookRun],
    event: &str,
    namespace: &str,
    timeout: Duration,
) -> Result<()> {
    let mut selected: Vec<&HookRun> = hooks
        .iter()
        .filter(|h| h.events.iter().any(|e| e == event))
        .collect();
    selected.sort_by(|a, b| {
        a.weight
            .cmp(&b.weight)
            .then_with(|| a.manifest.name().cmp(b.manifest.name()))
    });
    for (done, hook) in selected.iter().enumerate() {
        if hook.has_policy("before-hook-creation") && hook.deletable() {
            delete_and_wait_gone(applier, &hook.manifest, namespace, timeout).await?;
        }
        eprintln!("running {event} hook {}", hook.manifest.describe());
        let outcome = run_one(applier, hook, namespace, timeout).await;
        if let Err(error) = outcome {
            if hook.has_policy("hook-failed") && hook.deletable() {
                applier.delete(&hook.manifest, namespace).await?;
            }
            for earlier in selected[..done]
                .iter()
                .filter(|h| h.has_policy("hook-succeeded") && h.deletable())
            {
                applier.delete(&earlier.manifest, namespace).await?;
            }
            return Err(anyhow!(
                "{event} hook {} failed: {error:#}",
                hook.manifest.describe()
            ));
        }
    }
    for hook in selected
        .iter()
        .rev()
        .filter(|h| h.has_policy("hook-succeeded") && h.deletable())
    {
        applier.delete(&hook.manifest, namespace).await?;
    }
    Ok(())
}

async fn run_one(
    applier: &Applier,
    hook: &HookRun,
    namespace: &str,
    timeout: Duration,
) -> Result<()> {
    applier.apply(&hook.manifest, namespace).await?;
    if matches!(hook.manifest.kind(), "Job" | "Pod") {
        wait_ready(
            applier,
            std::slice::from_ref(&hook.manifest),
            namespace,
            timeout,
        )
        .await?;
    }
    Ok(())
}

async fn delete_and_wait_gone(
    applier: &Applier,
    manifest: &Manifest,
    namespace: &str,
    timeout: Duration,
) -> Result<()> {
    applier.delete(manifest, namespace).await?;
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
