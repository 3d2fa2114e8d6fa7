//! `tare doctor`: checks an installed data plane, prints the verdicts and
//! uploads them to the management plane as a health report; and `tare doctor
//! forward-events`, the in-cluster side of install events.

mod checks;
mod cluster;
mod conditions;
mod health;
mod report;

pub use cluster::Cluster;
pub use health::{Check, Health};
pub use report::{ReportFormat, health_report, render_text};

use anyhow::Result;

use crate::tars::identity::Identity;

/// Runs every check against the data plane in `cluster`.
pub async fn examine(cluster: &Cluster, identity: &Identity) -> Vec<Check> {
    checks::run_all(cluster, identity).await
}

/// Counts of Broken and Warning checks, and the overall verdict.
pub fn summary(checks: &[Check]) -> (usize, usize, Health) {
    let (errors, warnings) = health::tally(checks);
    (errors, warnings, health::overall(checks))
}

/// Polls the release for changes made without tare, then forwards the
/// outbox: what the chart's tare-doctor CronJob runs every few minutes.
pub async fn forward_events(
    client: &kube::Client,
    namespace: &str,
    release: &str,
    identity: &Identity,
) -> Result<crate::events::Forwarded> {
    let polled = crate::events::poll_release(client, namespace, release).await?;
    if polled > 0 {
        eprintln!("release {namespace}/{release}: {polled} new revision(s) recorded as events");
    }
    let mp = crate::mp::ManagementPlane::for_identity(identity)?;
    let outbox = crate::events::Outbox::new(client, namespace);
    crate::events::forward_events(&outbox, &mp, &identity.workspace_id).await
}
