//! The in-cluster outbox: one ConfigMap per event in the system namespace,
//! labelled `tars.io/component=install-event`, deleted once forwarded; and the
//! poller's bookmark, the last revision reported per release.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::event::InstallEvent;

/// Label (key=value) of every event ConfigMap.
pub const EVENT_LABEL: (&str, &str) = ("tars.io/component", "install-event");
/// ConfigMap holding the last reported revision of each release.
pub const STATE_CONFIGMAP: &str = "tare-doctor-state";

/// The event ConfigMaps of one namespace.
pub struct Outbox {
    api: Api<ConfigMap>,
    namespace: String,
}

impl Outbox {
    pub fn new(client: &Client, namespace: &str) -> Outbox {
        Outbox {
            api: Api::namespaced(client.clone(), namespace),
            namespace: namespace.to_string(),
        }
    }

    /// Writes the event; one that is already there (same release, revision,
    /// operation and time) is left as it is. The time keeps a reinstalled
    /// release's revision 1 apart from an undelivered event of the old one.
    pub async fn put(&self, event: &InstallEvent) -> Result<()> {
        let time_digest = Sha256::digest(event.time.as_bytes());
        let name = format!(
            "install-event-{}-v{}-{}-{:02x}{:02x}{:02x}{:02x}",
            event.release,
            event.helm_revision,
            event.operation,
            time_digest[0],
            time_digest[1],
            time_digest[2],
            time_digest[3]
        );
        let config_map: ConfigMap = serde_json::from_value(json!({
            "metadata": {
                "name": name,
                "labels": {
                    EVENT_LABEL.0: EVENT_LABEL.1,
                    "tars.io/release": event.release,
                    "tars.io/operation": event.operation,
                },
            },
            "data": event.to_data(),
        }))?;
        match self.api.create(&PostParams::default(), &config_map).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            Err(error) => Err(error)
                .with_context(|| format!("cannot write ConfigMap {}/{name}", self.namespace)),
        }
    }

    /// Every event waiting to be forwarded, oldest first.
    pub async fn pending(&self) -> Result<Vec<ConfigMap>> {
        let selector = format!("{}={}", EVENT_LABEL.0, EVENT_LABEL.1);
        let mut events = self
            .api
            .list(&ListParams::default().labels(&selector))
            .await
            .with_context(|| format!("cannot list the install events in {}", self.namespace))?
            .items;
        events.sort_by(|a, b| {
            (&a.metadata.creation_timestamp, &a.metadata.name)
                .cmp(&(&b.metadata.creation_timestamp, &b.metadata.name))
        });
        Ok(events)
    }

    pub async fn remove(&self, name: &str) -> Result<()> {
        match self.api.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(error)
                .with_context(|| format!("cannot delete ConfigMap {}/{name}", self.namespace)),
        }
    }

    /// The last revision of `release` already reported, if any.
    pub async fn last_reported(&self, release: &str) -> Result<Option<u32>> {
        let state = self.api.get_opt(STATE_CONFIGMAP).await.with_context(|| {
            format!("cannot read ConfigMap {}/{STATE_CONFIGMAP}", self.namespace)
        })?;
        Ok(state
            .and_then(|cm| cm.data)
            .and_then(|data| data.get(&state_key(release))?.parse().ok()))
    }

    /// Records `revision` as the last reported one of `release` (a merge
    /// patch, so other releases' bookmarks stay).
    pub async fn set_last_reported(&self, release: &str, revision: u32) -> Result<()> {
        let data = BTreeMap::from([(state_key(release), revision.to_string())]);
        let patch = json!({ "data": data });
        let context = || {
            format!(
                "cannot update ConfigMap {}/{STATE_CONFIGMAP}",
                self.namespace
            )
        };
        match self
            .api
            .patch(
                STATE_CONFIGMAP,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => {
                let created: ConfigMap = serde_json::from_value(json!({
                    "metadata": { "name": STATE_CONFIGMAP },
                    "data": data,
                }))?;
                self.api
                    .create(&PostParams::default(), &created)
                    .await
                    .with_context(context)?;
                Ok(())
            }
            Err(error) => Err(error).with_context(context),
        }
    }
}

fn state_key(release: &str) -> String {
    format!("{release}.last-reported-revision")
}
