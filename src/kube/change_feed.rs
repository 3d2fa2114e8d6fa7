//! Wakes a wait as soon as one of the objects it waits for changes: one
//! watch per kind and namespace, so readiness is seen the moment the API
//! server records it rather than at the next poll.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};
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
        let watches = groups
            .into_values()
            .map(|(api, names)| tokio::spawn(watch(api, names, changed.clone())))
            .collect();
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

/// Signals every change to one of `names` until the watch ends. It starts
/// from the collection's current version, so only new changes wake the wait.
async fn watch(api: Api<DynamicObject>, names: BTreeSet<String>, changed: Arc<Notify>) {
    let Ok(list) = api.list_metadata(&ListParams::default().limit(1)).await else {
        return;
    };
    let version = list.metadata.resource_version.unwrap_or_default();
    let Ok(events) = api.watch(&WatchParams::default(), &version).await else {
        return;
    };
    let mut events = events.boxed();
    while let Ok(Some(event)) = events.try_next().await {
        let object = match &event {
            WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => o,
            WatchEvent::Bookmark(_) | WatchEvent::Error(_) => continue,
        };
        if object
            .metadata
            .name
            .as_ref()
            .is_some_and(|n| names.contains(n))
        {
            changed.notify_one();
        }
    }
}
