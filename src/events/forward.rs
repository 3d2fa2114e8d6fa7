//! Delivering the outbox: each event ConfigMap is POSTed to the management
//! plane and deleted when it was accepted (2xx) or refused (4xx: the same
//! payload would be refused again); on a 5xx or no answer it stays for the
//! next run.

use anyhow::Result;
use serde_json::Value;

use super::event::payload_from_data;
use super::outbox::Outbox;
use crate::mp::{Delivery, ManagementPlane, send_event};

/// What one run did with the outbox.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Forwarded {
    pub delivered: usize,
    pub dropped: usize,
    pub kept: usize,
}

/// Forwards every pending event of the outbox, tagged with `workspace_id`.
pub async fn forward_events(
    outbox: &Outbox,
    mp: &ManagementPlane,
    workspace_id: &str,
) -> Result<Forwarded> {
    let mut forwarded = Forwarded::default();
    for config_map in outbox.pending().await? {
        let name = config_map.metadata.name.clone().unwrap_or_default();
        let data = config_map.data.unwrap_or_default();
        let mut payload = match payload_from_data(&data) {
            Ok(payload) => payload,
            Err(error) => {
                eprintln!("dropped event {name}: {error:#}");
                outbox.remove(&name).await?;
                forwarded.dropped += 1;
                continue;
            }
        };
        payload["workspace_id"] = Value::from(workspace_id);
        match send_event(mp, &payload).await {
            Delivery::Accepted => {
                outbox.remove(&name).await?;
                eprintln!("forwarded event {name}");
                forwarded.delivered += 1;
            }
            Delivery::Rejected(reason) => {
                outbox.remove(&name).await?;
                eprintln!("dropped event {name}: the management plane refused it ({reason})");
                forwarded.dropped += 1;
            }
            Delivery::Unavailable(reason) => {
                eprintln!("kept event {name} for the next run: {reason}");
                forwarded.kept += 1;
            }
        }
    }
    Ok(forwarded)
}
