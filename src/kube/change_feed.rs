//! Wakes a wait as soon as one of the objects it waits for changes: one
//! watch per kind and namespace, so readiness is seen the moment the API
//! server records it rather than at the next poll.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, WatchEvent, WatchParams};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::apply::Applier;
use crate::manifest::Manifest;

/// One watch per kind (`apiVersion/kind`) and namespace.
type WatchKey = (String, Option<String>);

pub struct ChangeFeed {
    changed: Arc<Notify>,
    watches: Vec<JoinHandle<()>>,
}

impl ChangeFeed {
    /// Starts watching the kinds and namespaces of `manifests`. A watch that
    /// cannot start or ends simply stops waking: the caller still polls.
    pub async fn start(
        applier: &Applier,
        manifests: &[&Manifest],
        default_namespace: &str,
    ) -> ChangeFeed {
        let changed = Arc::new(Notify::new());
        let mut groups: BTreeMap<WatchKey, (Api<DynamicObject>, BTreeSet<String>)> =
            BTreeMap::new();
        for manifest in manifests {
            let Ok((api, reference)) = applier.locate(manifest, default_namespace).await else {
                continue;
            };
            let key = (
                format!("{}/{}", reference.api_version, reference.kind),
                reference.namespace,
            );
            groups
                .entry(key)
                .or_insert_with(|| (api, BTreeSet::new()))
                .1
                .insert(reference.name);
        }
        let mut watches: Vec<JoinHandle<()>> = groups
            .into_values()
            .map(|(api, names)| tokio::spawn(watch(api, Some(names), changed.clone())))
            .collect();
        // A Job is done when its pods are: watch those too.
        for (namespace, jobs) in jobs_by_namespace(manifests, default_namespace) {
            let pods: Api<DynamicObject> = Api::namespaced_with(
                applier.client().clone(),
                &namespace,
                &ApiResource::erase::<Pod>(&()),
            );
            let selector = format!("batch.kubernetes.io/job-name in ({})", jobs.join(","));
            let params = WatchParams::default().labels(&selector);
            watches.push(tokio::spawn(watch_with(
                pods,
                params,
                None,
                changed.clone(),
            )));
        }
        ChangeFeed { changed, watches }
    }

    /// Returns when a watched object changed since the last call.
    pub async fn changed(&self) {
        self.changed.notified().await
    }
}

impl Drop for ChangeFeed {
    fn drop(&mut self) {
        for watch in &self.watches {
            watch.abort();
        }
    }
}

/// The Jobs among `manifests`, by namespace.
fn jobs_by_namespace(
    manifests: &[&Manifest],
    default_namespace: &str,
) -> BTreeMap<String, Vec<String>> {
    let mut jobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for job in manifests.iter().filter(|m| m.kind() == "Job") {
        let namespace = job.namespace().unwrap_or(default_namespace).to_string();
        jobs.entry(namespace)
            .or_default()
            .push(job.name().to_string());
    }
    jobs
}

/// Signals every change to one of `names` until the watch ends.
async fn watch(api: Api<DynamicObject>, names: Option<BTreeSet<String>>, changed: Arc<Notify>) {
    watch_with(api, WatchParams::default(), names, changed).await
}

/// Signals every change the watch reports (to one of `names`, when given)
/// until it ends. It starts from the collection's current version, so only
/// new changes wake the wait.
async fn watch_with(
    api: Api<DynamicObject>,
    params: WatchParams,
    names: Option<BTreeSet<String>>,
    changed: Arc<Notify>,
) {
    let list_params = ListParams {
        label_selector: params.label_selector.clone(),
        ..ListParams::default()
    }
    .limit(1);
    let Ok(list) = api.list_metadata(&list_params).await else {
        return;
    };
    let version = list.metadata.resource_version.unwrap_or_default();
    let Ok(events) = api.watch(&params, &version).await else {
        return;
    };
    let mut events = events.boxed();
    while let Ok(Some(event)) = events.try_next().await {
        let object = match &event {
            WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => o,
            WatchEvent::Bookmark(_) | WatchEvent::Error(_) => continue,
        };
        let watched = match (&names, &object.metadata.name) {
            (None, _) => true,
            (Some(names), Some(name)) => names.contains(name),
            (Some(_), None) => false,
        };
        if watched {
            changed.notify_one();
        }
    }
}
