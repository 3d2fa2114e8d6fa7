//! Install events: what tare install / upgrade (and, for changes made without
//! tare, the doctor's poller) tell the management plane about each Helm
//! revision. They wait in ConfigMaps (the outbox) until `tare doctor
//! forward-events` delivers them, so an unreachable management plane never
//! slows down or fails an install.

mod event;
mod forward;
mod outbox;
mod poll;

pub use forward::{Forwarded, forward_events};
pub use outbox::Outbox;
pub use poll::poll_release;

use event::{InstallEvent, Source};

use anyhow::Result;
use kube::Client;

use crate::release::{NotFound, Release, SecretStore};

/// Writes an event for each revision `tare install` / `tare upgrade` just
/// wrote (those after `previous_revision`, 0 for none): the operation, and
/// after a failed atomic upgrade also its rollback. Call it whatever the
/// outcome; failing to write only warns and never changes the exit code.
pub async fn record_deploy(
    client: &Client,
    namespace: &str,
    release: &str,
    previous_revision: u32,
) {
    if let Err(error) = record(client, namespace, release, previous_revision).await {
        eprintln!(
            "warning: the install event was not recorded for the management plane: {error:#}"
        );
    }
}

async fn record(client: &Client, namespace: &str, release: &str, previous: u32) -> Result<()> {
    let store = SecretStore::new(client.clone(), namespace);
    let history = match store.history(release).await {
        Ok(history) => history,
        Err(error) if error.downcast_ref::<NotFound>().is_some() => return Ok(()),
        Err(error) => return Err(error),
    };
    // A revision left pending (tare was interrupted) is the poller's to
    // report once it has settled.
    let new: Vec<&Release> = history
        .iter()
        .filter(|r| r.version > previous)
        .take_while(|r| !r.status().is_pending())
        .collect();
    let outbox = Outbox::new(client, namespace);
    report(&outbox, &history, &new, Source::Cli, &operator()).await
}

/// Writes one event per revision of `new` (ascending) and moves the bookmark
/// past each, so the poller does not report them a second time.
async fn report(
    outbox: &Outbox,
    history: &[Release],
    new: &[&Release],
    source: Source,
    operator: &str,
) -> Result<()> {
    for revision in new {
        outbox
            .put(&InstallEvent::for_revision(
                history, revision, source, operator,
            ))
            .await?;
        outbox
            .set_last_reported(&revision.name, revision.version)
            .await?;
    }
    Ok(())
}

/// Who runs tare: `TARE_OPERATOR` when set (CI can name the pipeline), else
/// the login name.
fn operator() -> String {
    ["TARE_OPERATOR", "USER", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
}
