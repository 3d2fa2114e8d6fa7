//! One install event: what happened to one Helm revision, as the dashboard's
//! deployment history shows it. Built from the release record itself, so the
//! CLI and the doctor's poller describe a revision the same way.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use crate::release::{Release, Status};

/// Who wrote an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `tare install` / `tare upgrade`, right after the operation.
    Cli,
    /// The doctor's poller, for revisions written without tare (raw helm, GitOps).
    DoctorPoll,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cli => "tare-cli",
            Source::DoctorPoll => "tare-doctor-poll",
        }
    }
}

/// The fields of an event, in the ConfigMap (strings) and on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallEvent {
    pub release: String,
    pub namespace: String,
    /// `install`, `upgrade` or `rollback`.
    pub operation: &'static str,
    /// `success` or `failed`.
    pub status: &'static str,
    pub helm_revision: u32,
    /// Chart version of the revision before, empty for an install.
    pub from_version: String,
    pub to_version: String,
    pub tare_version: String,
    /// The operator who ran tare; empty when the change did not come from the
    /// CLI, and for the automatic rollback of a failed upgrade.
    pub operator: String,
    pub source: Source,
    /// When the revision was deployed (RFC 3339).
    pub time: String,
    /// The revision's description when it failed.
    pub error_summary: String,
}

/// Helm's description of a revision written by `helm rollback` (and by an
/// atomic upgrade's automatic rollback).
const ROLLBACK_PREFIX: &str = "Rollback to ";

impl InstallEvent {
    /// The event for `revision`, with `history` (every revision of the
    /// release) giving the version it came from.
    pub fn for_revision(
        history: &[Release],
        revision: &Release,
        source: Source,
        operator: &str,
    ) -> InstallEvent {
        let description = revision
            .info
            .as_ref()
            .map(|info| info.description.as_str())
            .unwrap_or_default();
        let previous = history
            .iter()
            .filter(|r| r.version < revision.version)
            .max_by_key(|r| r.version);
        let operation = if description.starts_with(ROLLBACK_PREFIX) {
            "rollback"
        } else if previous.is_none_or(|p| p.status() == Status::Uninstalled) {
            "install"
        } else {
            "upgrade"
        };
        let failed = revision.status() == Status::Failed;
        InstallEvent {
            release: revision.name.clone(),
            namespace: revision.namespace.clone(),
            operation,
            status: if failed { "failed" } else { "success" },
            helm_revision: revision.version,
            from_version: match operation {
                "install" => String::new(),
                _ => previous.map(chart_version).unwrap_or_default(),
            },
            to_version: chart_version(revision),
            tare_version: env!("CARGO_PKG_VERSION").to_string(),
            // A rollback is the system's doing, never the operator's.
            operator: match operation {
                "rollback" => String::new(),
                _ => operator.to_string(),
            },
            source,
            time: deployed_at(revision),
            error_summary: if failed {
                description.to_string()
            } else {
                String::new()
            },
        }
    }

    /// The JSON object sent to the management plane.
    pub fn to_json(&self) -> Value {
        json!({
            "release": self.release,
            "namespace": self.namespace,
            "operation": self.operation,
            "status": self.status,
            "helm_revision": self.helm_revision,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "tare_version": self.tare_version,
            "operator": self.operator,
            "source": self.source.as_str(),
            "time": self.time,
            "error_summary": self.error_summary,
        })
    }

    /// The ConfigMap `data`: the JSON fields as strings.
    pub fn to_data(&self) -> BTreeMap<String, String> {
        let Value::Object(fields) = self.to_json() else {
            unreachable!("to_json builds an object")
        };
        fields
            .into_iter()
            .map(|(key, value)| match value {
                Value::String(text) => (key, text),
                other => (key, other.to_string()),
            })
            .collect()
    }
}

/// The JSON payload of a ConfigMap's `data`, with `helm_revision` a number
/// again. Fields tare does not know are forwarded as they are.
pub fn payload_from_data(data: &BTreeMap<String, String>) -> Result<Value> {
    let mut payload = Map::new();
    for (key, value) in data {
        let value = if key == "helm_revision" {
            json!(
                value
                    .parse::<u64>()
                    .with_context(|| format!("helm_revision \"{value}\" is not a number"))?
            )
        } else {
            json!(value)
        };
        payload.insert(key.clone(), value);
    }
    Ok(Value::Object(payload))
}

fn chart_version(release: &Release) -> String {
    release
        .metadata()
        .map(|m| m.version.clone())
        .unwrap_or_default()
}

fn deployed_at(release: &Release) -> String {
    release
        .info
        .as_ref()
        .and_then(|info| info.last_deployed.as_ref())
        .filter(|time| !time.is_zero())
        .map(|time| time.as_str().to_string())
        .unwrap_or_else(|| crate::release::GoTime::now().as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{ChartRecord, Info, Metadata};

    fn revision(version: u32, status: Status, description: &str, chart: &str) -> Release {
        Release {
            name: "tars".into(),
            namespace: "tars-system".into(),
            version,
            info: Some(Info {
                status,
                description: description.into(),
                ..Default::default()
            }),
            chart: Some(ChartRecord {
                metadata: Some(Metadata {
                    name: "serve-helm".into(),
                    version: chart.into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_failed_atomic_upgrade_is_a_failed_upgrade_then_a_rollback_nobody_is_blamed_for() {
        let history = vec![
            revision(1, Status::Superseded, "Install complete", "1.0.0"),
            revision(
                2,
                Status::Failed,
                "Upgrade \"tars\" failed: timed out",
                "1.1.0",
            ),
            revision(3, Status::Deployed, "Rollback to 1", "1.0.0"),
        ];
        let upgrade = InstallEvent::for_revision(&history, &history[1], Source::Cli, "alice");
        assert_eq!(
            (upgrade.operation, upgrade.status, upgrade.operator.as_str()),
            ("upgrade", "failed", "alice")
        );
        assert_eq!(upgrade.error_summary, "Upgrade \"tars\" failed: timed out");
        assert_eq!(
            (upgrade.from_version.as_str(), upgrade.to_version.as_str()),
            ("1.0.0", "1.1.0")
        );
        let rollback = InstallEvent::for_revision(&history, &history[2], Source::Cli, "alice");
        assert_eq!(
            (
                rollback.operation,
                rollback.status,
                rollback.operator.as_str()
            ),
            ("rollback", "success", "")
        );
        assert_eq!(rollback.helm_revision, 3);
    }

    #[test]
    fn the_first_revision_is_an_install_with_no_from_version() {
        let history = vec![revision(1, Status::Deployed, "Install complete", "1.0.0")];
        let event = InstallEvent::for_revision(&history, &history[0], Source::DoctorPoll, "");
        assert_eq!(
            (event.operation, event.from_version.as_str()),
            ("install", "")
        );
        assert_eq!(event.to_json()["source"], "tare-doctor-poll");
    }

    #[test]
    fn configmap_data_round_trips_to_the_wire_payload() {
        let history = vec![revision(1, Status::Deployed, "Install complete", "1.0.0")];
        let event = InstallEvent::for_revision(&history, &history[0], Source::Cli, "bob");
        let data = event.to_data();
        assert_eq!(data["helm_revision"], "1");
        assert_eq!(payload_from_data(&data).unwrap(), event.to_json());
    }
}
