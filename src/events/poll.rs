//! Releases changed without tare (raw helm, Argo CD, Flux): the poller reads
//! the Helm release Secrets and writes an event for each revision it has not
//! reported yet, with `source: tare-doctor-poll` and no operator.
//!
//! The bookmark (last reported revision per release) lives in the
//! `tare-doctor-state` ConfigMap next to the events: the CronJob's pod has no
//! disk that outlives it, helm's own Secrets are not ours to annotate, and
//! tare install moves the same bookmark so its revisions are not reported twice.

use anyhow::Result;
use kube::Client;

use super::outbox::Outbox;
use super::{Source, report};
use crate::release::{NotFound, Release, SecretStore};

/// Reports the new revisions of `release`; returns how many. Without a
/// bookmark only the newest revision is reported (the release as it stands,
/// not its whole past). A revision still `pending-*` stops the scan: it is
/// reported once its operation has finished.
pub async fn poll_release(client: &Client, namespace: &str, release: &str) -> Result<usize> {
    let store = SecretStore::new(client.clone(), namespace);
    let history = match store.history(release).await {
        Ok(history) => history,
        Err(error) if error.downcast_ref::<NotFound>().is_some() => return Ok(0),
        Err(error) => return Err(error),
    };
    let outbox = Outbox::new(client, namespace);
    let newest = history.last().map_or(0, |r| r.version);
    // A bookmark past the newest revision means the release was deleted and
    // installed again: start over.
    let bookmark = outbox
        .last_reported(release)
        .await?
        .filter(|&seen| seen <= newest);
    let new: Vec<&Release> = history
        .iter()
        .filter(|r| match bookmark {
            Some(seen) => r.version > seen,
            None => r.version == newest,
        })
        .take_while(|r| !r.status().is_pending())
        .collect();
    report(&outbox, &history, &new, Source::DoctorPoll, "").await?;
    Ok(new.len())
}
