//! The management plane as tare talks to it: HTTPS and JSON, the identity's
//! JWT as bearer token, a timeout per attempt and retries on 5xx and
//! connection failures.
//!
//! Calls (the README's "Management plane, events and doctor" has the bodies):
//! - `POST <mp>/configurator.v1.ConfiguratorService/SetDataplaneURL` (Connect
//!   unary call with JSON: `{"workspaceId", "url"}`);
//! - `POST <mp>/v1/dataplane-events`: one install event;
//! - `POST <mp>/v1/dataplane-status`: the doctor's health report, answered
//!   with `{"bundleId"}`.

mod client;
mod credentials;

pub use client::ManagementPlane;
pub use credentials::{identity_from_cluster, identity_from_dir};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::tars::identity::Identity;

/// Path of `ConfiguratorService.SetDataplaneURL`.
pub const SET_DATAPLANE_URL: &str = "/configurator.v1.ConfiguratorService/SetDataplaneURL";
/// Path install events are forwarded to.
pub const EVENTS: &str = "/v1/dataplane-events";
/// Path the doctor's health report goes to.
pub const DATAPLANE_STATUS: &str = "/v1/dataplane-status";

/// How the management plane took a call that could be repeated later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// 2xx: done.
    Accepted,
    /// 4xx: the same payload would be refused again.
    Rejected(String),
    /// 5xx or no answer (after retries): worth another try later.
    Unavailable(String),
}

/// Registers the data plane's customer-facing URL for the identity's
/// workspace (`tare install --serve-url`), on a runtime of its own. Runs
/// before anything is applied, so a failure leaves the cluster untouched.
pub fn register_dataplane_url(identity: &Identity, url: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(set_dataplane_url(identity, url))
}

/// `ConfiguratorService.SetDataplaneURL` for the identity's workspace, with
/// progress on stderr and a one-line error.
pub async fn set_dataplane_url(identity: &Identity, url: &str) -> Result<()> {
    let mp = ManagementPlane::for_identity(identity)?;
    eprintln!(
        "Registering {url} with the management plane for workspace {}...",
        identity.workspace_id
    );
    let body = json!({ "workspaceId": identity.workspace_id, "url": url });
    let reply = mp.post(SET_DATAPLANE_URL, &body).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot register --serve-url with the management plane {}: {e:#}; nothing was installed",
            mp.base_url()
        )
    })?;
    if !reply.is_success() {
        bail!(
            "the management plane {} refused --serve-url {url} ({}); nothing was installed",
            mp.base_url(),
            reply.summary()
        );
    }
    eprintln!("Data plane URL registered");
    Ok(())
}

/// Forwards one install event.
pub async fn send_event(mp: &ManagementPlane, event: &Value) -> Delivery {
    match mp.post(EVENTS, event).await {
        Err(error) => Delivery::Unavailable(format!("{error:#}")),
        Ok(reply) if reply.is_success() => Delivery::Accepted,
        Ok(reply) if reply.status >= 500 => Delivery::Unavailable(reply.summary()),
        Ok(reply) => Delivery::Rejected(reply.summary()),
    }
}

/// Uploads the doctor's health report; returns the bundle id the management
/// plane gave it.
pub async fn send_health_report(mp: &ManagementPlane, report: &Value) -> Result<String> {
    let reply = mp.post(DATAPLANE_STATUS, report).await?;
    if !reply.is_success() {
        bail!("refused ({})", reply.summary());
    }
    match reply.body["bundleId"].as_str() {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => bail!("accepted, but the answer has no bundleId"),
    }
}
