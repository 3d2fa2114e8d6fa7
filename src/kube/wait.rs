//! Waiting until applied objects are ready, with live status on stderr, an
//! exact deadline, and a fast failure when pods cannot start.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Result, bail};
use futures::stream::{self, StreamExt};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::apply::{Applier, ObjectRef};
use super::change_feed::ChangeFeed;
use super::readiness::{Readiness, readiness};
use crate::manifest::Manifest;

/// Pod states that no amount of waiting fixes.
const FATAL_WAITING_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "InvalidImageName",
];

/// How long a pod may stay unschedulable before the wait gives up on it.
const UNSCHEDULABLE_GRACE: Duration = Duration::from_secs(30);

/// Polling, behind the change feed, starts fast and slows down gently.
const FIRST_POLL: Duration = Duration::from_millis(50);
const MAX_POLL: Duration = Duration::from_millis(1000);

/// Waits until every manifest's live object is ready, or fails with the reason.
pub async fn wait_ready(
    applier: &Applier,
    manifests: &[Manifest],
    default_namespace: &str,
    timeout: Duration,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    let started = Timestamp::now();
    let mut pending: Vec<&Manifest> = manifests.iter().collect();
    let mut last_report = String::new();
    let mut poll = FIRST_POLL;
    let mut feed: Option<ChangeFeed> = None;
    while !pending.is_empty() {
        let checks: Vec<(usize, ObjectRef, Readiness)> = stream::iter(pending.iter().enumerate())
            .map(|(i, m)| async move {
                let (reference, state) = check(applier, m, default_namespace, started).await;
                (i, reference, state)
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let mut still: BTreeMap<usize, String> = BTreeMap::new();
        for (i, reference, state) in checks {
            match state {
                Readiness::Ready => {}
                Readiness::Pending(why) => {
                    still.insert(i, format!("{reference} ({why})"));
                }
                Readiness::Failed(why) => bail!("{reference} will not become ready: {why}"),
            }
        }
        pending = still.keys().map(|&i| pending[i]).collect();
        if pending.is_empty() {
            break;
        }
        // Watched from the first round on, and only what is still pending:
        // most objects are ready at once and need no watch.
        let feed = match &mut feed {
            Some(feed) => feed,
            None => feed.insert(ChangeFeed::start(applier, &pending, default_namespace).await),
        };
        let report = summarize(still.values());
        if report != last_report {
            eprintln!("waiting for {} object(s): {report}", pending.len());
            last_report = report;
        }
        if tokio::time::Instant::now() + poll > deadline {
            bail!(
                "timed out after {} waiting for: {last_report}",
                humantime(timeout)
            );
        }
        // A change wakes the wait at once; the poll is the fallback (a watch
        // that could not start) and the clock for pod failure checks.
        tokio::select! {
            () = feed.changed() => {}
            () = tokio::time::sleep(poll) => poll = (poll * 5 / 4).min(MAX_POLL),
        }
    }
    Ok(())
}

/// One object's readiness, with its pods inspected when it is still pending.
async fn check(
    applier: &Applier,
    manifest: &Manifest,
    default_namespace: &str,
    started: Timestamp,
) -> (ObjectRef, Readiness) {
    let (api, reference) = match applier.locate(manifest, default_namespace).await {
        Ok(found) => found,
        Err(error) => {
            return (
                fallback_ref(manifest),
                Readiness::Failed(format!("{error:#}")),
            );
        }
    };
    let live = match api.get_opt(&reference.name).await {
        Ok(Some(object)) => serde_json::to_value(object).unwrap_or_default(),
        Ok(None) => return (reference, Readiness::Failed("it no longer exists".into())),
        Err(error) => {
            return (
                reference,
                Readiness::Pending(format!("cannot read it yet: {error}")),
            );
        }
    };
    let state = readiness(manifest.kind(), &live);
    if !matches!(state, Readiness::Pending(_)) {
        return (reference, state);
    }
    // Until the controller has seen the newest spec, its pods say nothing
    // about it. Jobs report no observedGeneration: their pods always count.
    let observed = match live["status"]["observedGeneration"].as_i64() {
        Some(observed) => observed >= live["metadata"]["generation"].as_i64().unwrap_or(0),
        None => manifest.kind() == "Job",
    };
    let selector = match (observed, manifest.kind()) {
        (false, _) => None,
        (true, "Deployment") => match &reference.namespace {
            Some(namespace) => current_replica_set_selector(applier, namespace, &live).await,
            None => None,
        },
        (true, kind) => pod_selector(kind, &live),
    };
    let pods = match (&reference.namespace, selector) {
        (Some(namespace), Some(selector)) => {
            inspect_pods(applier, namespace, &selector, started).await
        }
        _ => PodReport::default(),
    };
    if let Some(problem) = pods.problem {
        return (reference, Readiness::Failed(problem));
    }
    // The Job controller batches pod updates for a second before it counts
    // them in the Job's status; the pods themselves say it sooner.
    if manifest.kind() == "Job" && pods.succeeded >= job_completions(&live) {
        return (reference, Readiness::Ready);
    }
    (reference, state)
}

/// How many pods of a Job must succeed (distinct indexes for an Indexed Job).
fn job_completions(live: &Value) -> usize {
    live["spec"]["completions"]
        .as_u64()
        .map_or(1, |n| n as usize)
}

/// Label selector for the pods of a workload's current revision.
fn pod_selector(kind: &str, live: &Value) -> Option<String> {
    let labels = live["spec"]["selector"]["matchLabels"].as_object()?;
    let mut parts: Vec<String> = labels
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    if kind == "StatefulSet" {
        if let Some(revision) = live["status"]["updateRevision"].as_str() {
            parts.push(format!("controller-revision-hash={revision}"));
        }
    } else if !matches!(kind, "DaemonSet" | "ReplicaSet" | "Job") {
        return None;
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// A Deployment's pods of its newest ReplicaSet only: during a rollout or a
/// rollback, pods of other revisions may be failing on their way out.
async fn current_replica_set_selector(
    applier: &Applier,
    namespace: &str,
    live: &Value,
) -> Option<String> {
    let base = pod_selector("ReplicaSet", live)?;
    let uid = live["metadata"]["uid"].as_str()?;
    let sets: Api<ReplicaSet> = Api::namespaced(applier.client().clone(), namespace);
    let list = sets.list(&ListParams::default().labels(&base)).await.ok()?;
    let revision = |set: &ReplicaSet| {
        set.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deployment.kubernetes.io/revision"))
            .and_then(|r| r.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let newest = list
        .items
        .iter()
        .filter(|set| {
            set.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid)
        })
        .max_by_key(|set| revision(set))?;
    let hash = newest.metadata.labels.as_ref()?.get("pod-template-hash")?;
    Some(format!("{base},pod-template-hash={hash}"))
}

/// What the pods of a pending workload say.
#[derive(Default)]
struct PodReport {
    /// The first pod (created since the wait began, or of the current
    /// revision) that cannot start, described with its recent events.
    problem: Option<String>,
    /// Pods that ran to completion (for an Indexed Job, distinct indexes).
    succeeded: usize,
}

async fn inspect_pods(
    applier: &Applier,
    namespace: &str,
    selector: &str,
    started: Timestamp,
) -> PodReport {
    let pods: Api<Pod> = Api::namespaced(applier.client().clone(), namespace);
    let Ok(list) = pods.list(&ListParams::default().labels(selector)).await else {
        return PodReport::default();
    };
    let mut completed = BTreeSet::new();
    for pod in &list.items {
        if pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded") {
            let index = pod
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("batch.kubernetes.io/job-completion-index"));
            completed.insert(
                index
                    .cloned()
                    .unwrap_or_else(|| pod.metadata.name.clone().unwrap_or_default()),
            );
        }
    }
    let mut report = PodReport {
        problem: None,
        succeeded: completed.len(),
    };
    for pod in list.items {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let recent = pod
            .metadata
            .creation_timestamp
            .as_ref()
            .is_none_or(|t| t.0 >= started - Duration::from_secs(5));
        let is_current_revision = selector.contains("controller-revision-hash=")
            || selector.contains("pod-template-hash=");
        if pod.metadata.deletion_timestamp.is_some() || !(recent || is_current_revision) {
            continue;
        }
        if let Some(problem) = pod_problem(&pod) {
            let events = recent_events(applier, namespace, &name).await;
            report.problem = Some(format!("pod {name}: {problem}{events}"));
            break;
        }
    }
    report
}

fn pod_problem(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    let containers = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for container in containers {
        let Some(waiting) = container.state.as_ref().and_then(|s| s.waiting.as_ref()) else {
            continue;
        };
        let reason = waiting.reason.as_deref().unwrap_or_default();
        if FATAL_WAITING_REASONS.contains(&reason) {
            let message = waiting.message.as_deref().unwrap_or_default();
            return Some(format!(
                "container {} is in {reason}: {message}",
                container.name
            ));
        }
    }
    let unschedulable = status.conditions.iter().flatten().find(|c| {
        c.type_ == "PodScheduled"
            && c.status == "False"
            && c.reason.as_deref() == Some("Unschedulable")
    })?;
    let since = unschedulable.last_transition_time.as_ref()?.0;
    (Timestamp::now() >= since + UNSCHEDULABLE_GRACE).then(|| {
        format!(
            "unschedulable for over {}s: {}",
            UNSCHEDULABLE_GRACE.as_secs(),
            unschedulable.message.as_deref().unwrap_or_default()
        )
    })
}

/// The pod's last three events, one per line, for the error message.
async fn recent_events(applier: &Applier, namespace: &str, pod: &str) -> String {
    let events: Api<Event> = Api::namespaced(applier.client().clone(), namespace);
    let selector = format!("involvedObject.kind=Pod,involvedObject.name={pod}");
    let Ok(list) = events.list(&ListParams::default().fields(&selector)).await else {
        return String::new();
    };
    let mut items = list.items;
    items.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
    items
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|e| {
            format!(
                "\n  event: {} {}: {}",
                e.type_.as_deref().unwrap_or_default(),
                e.reason.as_deref().unwrap_or_default(),
                e.message.as_deref().unwrap_or_default()
            )
        })
        .collect()
}

fn fallback_ref(manifest: &Manifest) -> ObjectRef {
    ObjectRef {
        api_version: manifest.api_version().to_string(),
        kind: manifest.kind().to_string(),
        namespace: manifest.namespace().map(str::to_string),
        name: manifest.name().to_string(),
    }
}

/// The pending objects for a status line: the first three, then a count.
fn summarize<'a>(pending: impl ExactSizeIterator<Item = &'a String>) -> String {
    let total = pending.len();
    let mut shown: Vec<&str> = pending.take(3).map(String::as_str).collect();
    let more = format!("and {} more", total.saturating_sub(3));
    if total > 3 {
        shown.push(&more);
    }
    shown.join(", ")
}

/// `5m`, `90s`, `1m30s`: durations the way operators typed them.
fn humantime(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}
