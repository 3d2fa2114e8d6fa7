//! Helm's stored release record (`helm.sh/helm/v{3,4}/pkg/release`) as serde
//! types, with Helm's JSON key names and `omitempty` rules.
//!
//! Fields are declared in Go's field order, so a record serializes in the
//! order Helm writes it. Keys tare does not know (from newer helm versions)
//! are kept in `extra` maps and written back, so a record helm wrote survives
//! a decode/encode round trip through tare unchanged (as a JSON value).
//!
//! Times stay the strings Helm wrote ([`GoTime`]): v3 writes `""` for a zero
//! time where v4 leaves the key out, and both shapes are kept as they are.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// `apply_method` when tare (or helm v4) used server-side apply.
pub const APPLY_METHOD_SSA: &str = "ssa";
/// `apply_method` for client-side apply (also what an empty value means).
pub const APPLY_METHOD_CSA: &str = "csa";

/// A JSON object as Go's `map[string]interface{}` holds it.
pub type Values = Map<String, Value>;

/// One revision of a release: what `sh.helm.release.v1.<name>.v<revision>` holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Info>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartRecord>,
    /// The user-supplied values (`-f`, `--set`, …), not merged with the chart's.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Map::is_empty"
    )]
    pub config: Values,
    /// The rendered non-hook manifests.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hooks: Vec<Hook>,
    /// The revision, from 1.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Helm v4: [`APPLY_METHOD_SSA`] or [`APPLY_METHOD_CSA`]; empty means client-side.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub apply_method: String,
    /// Custom labels of the Secret (Helm's `--labels`): never in the JSON.
    /// Reading fills them with the Secret's labels minus the system ones.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// Keys this version of tare does not know, written back as they were.
    #[serde(flatten)]
    pub extra: Values,
}

impl Release {
    /// The status, `unknown` when the record has no `info`.
    pub fn status(&self) -> Status {
        self.info
            .as_ref()
            .map_or(Status::Unknown, |info| info.status)
    }

    /// Sets status and description, as Helm's `SetStatus` does.
    pub fn set_status(&mut self, status: Status, description: impl Into<String>) {
        let info = self.info.get_or_insert_with(Info::default);
        info.status = status;
        info.description = description.into();
    }

    /// Marks a revision replaced by a newer one; its description stays, as in Helm.
    pub fn supersede(&mut self) {
        self.info.get_or_insert_with(Info::default).status = Status::Superseded;
    }

    /// The chart's metadata, if the record has one (Helm prints `MISSING` otherwise).
    pub fn metadata(&self) -> Option<&Metadata> {
        self.chart.as_ref()?.metadata.as_ref()
    }

    /// `<chart name>-<chart version>`, as `helm history` and `helm list` print it.
    pub fn chart_label(&self) -> String {
        match self.metadata() {
            Some(metadata) => format!("{}-{}", metadata.name, metadata.version),
            None => "MISSING".to_string(),
        }
    }

    /// The chart's appVersion, as `helm history` prints it.
    pub fn app_version(&self) -> String {
        match self.metadata() {
            Some(metadata) => metadata.app_version.clone(),
            None => "MISSING".to_string(),
        }
    }

    /// True when this revision was applied with server-side apply.
    pub fn server_side_applied(&self) -> bool {
        self.apply_method == APPLY_METHOD_SSA
    }
}

/// `Release.info`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_deployed: Option<GoTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deployed: Option<GoTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<GoTime>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub status: Status,
    /// The rendered `NOTES.txt`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Other keys, e.g. `resources` (which Helm never stores).
    #[serde(flatten)]
    pub extra: Values,
}

impl Info {
    /// Drops zero times (v3 writes them as `""`), as helm v4 prints a record.
    pub fn without_zero_times(mut self) -> Info {
        for time in [
            &mut self.first_deployed,
            &mut self.last_deployed,
            &mut self.deleted,
        ] {
            if time.as_ref().is_some_and(GoTime::is_zero) {
                *time = None;
            }
        }
        self
    }
}

/// A release status, written as Helm's strings (`pending-upgrade`, …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    #[default]
    Unknown,
    Deployed,
    Uninstalled,
    Superseded,
    Failed,
    Uninstalling,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Unknown,
        Status::Deployed,
        Status::Uninstalled,
        Status::Superseded,
        Status::Failed,
        Status::Uninstalling,
        Status::PendingInstall,
        Status::PendingUpgrade,
        Status::PendingRollback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }

    /// One of the `pending-*` statuses: an operation is (or was left) in progress.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }

    /// Parses Helm's string for a status.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hook of the release (`Release.hooks[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Template path, e.g. `mychart/templates/job.yaml`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// `pre-install`, `post-upgrade`, `test`, …
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub events: Vec<String>,
    #[serde(default)]
    pub last_run: HookExecution,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight: i64,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub delete_policies: Vec<String>,
    /// helm v3.18+ and v4.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub output_log_policies: Vec<String>,
    #[serde(flatten)]
    pub extra: Values,
}

/// `Hook.last_run`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HookExecution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<GoTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<GoTime>,
    /// `Unknown`, `Running`, `Succeeded`, `Failed` or empty (never run).
    #[serde(default)]
    pub phase: String,
    #[serde(flatten)]
    pub extra: Values,
}

impl HookExecution {
    /// Drops zero times (v3 writes them as `""`), as helm v4 prints a record.
    pub fn without_zero_times(mut self) -> HookExecution {
        for time in [&mut self.started_at, &mut self.completed_at] {
            if time.as_ref().is_some_and(GoTime::is_zero) {
                *time = None;
            }
        }
        self
    }
}

/// `Release.chart`: the top-level chart as Helm stores it (no subcharts).
///
/// The keys without `omitempty` in Go are always written, as `null` when unset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartRecord {
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub lock: Option<Lock>,
    /// Every file under `templates/`.
    #[serde(default)]
    pub templates: Option<Vec<ChartFile>>,
    /// The chart's default values (after import-values processing).
    #[serde(default)]
    pub values: Option<Values>,
    /// The raw bytes of `values.schema.json`.
    #[serde(default, with = "base64_option")]
    pub schema: Option<Vec<u8>>,
    /// helm v4 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schemamodtime: Option<GoTime>,
    /// Every other file of the chart (README, `crds/`, `files/`, …).
    #[serde(default)]
    pub files: Option<Vec<ChartFile>>,
    /// helm v4 only: mtime of Chart.yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modtime: Option<GoTime>,
    #[serde(flatten)]
    pub extra: Values,
}

/// A chart file: `{"name": "templates/x.yaml", "data": "<base64>"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartFile {
    #[serde(default)]
    pub name: String,
    #[serde(default, with = "base64_bytes")]
    pub data: Vec<u8>,
    /// helm v4 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modtime: Option<GoTime>,
    #[serde(flatten)]
    pub extra: Values,
}

/// `Chart.yaml` as Helm stores it (every key `omitempty`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub maintainers: Vec<Maintainer>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    #[serde(
        rename = "apiVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
    #[serde(
        rename = "appVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub app_version: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    #[serde(
        rename = "kubeVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub kube_version: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dependencies: Vec<Dependency>,
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub chart_type: String,
    #[serde(flatten)]
    pub extra: Values,
}

/// `Metadata.maintainers[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Maintainer {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(flatten)]
    pub extra: Values,
}

/// `Metadata.dependencies[]` and `Lock.dependencies[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Always written, even when empty.
    #[serde(default)]
    pub repository: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled: bool,
    #[serde(
        rename = "import-values",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
    #[serde(flatten)]
    pub extra: Values,
}

/// `Chart.lock` (every key always written).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    #[serde(default)]
    pub generated: GoTime,
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub dependencies: Option<Vec<Dependency>>,
    #[serde(flatten)]
    pub extra: Values,
}

/// A Go `time.Time` as Helm wrote it: RFC 3339 with nanoseconds and the
/// writer's UTC offset (`2024-05-02T10:11:12.123456789+02:00`), or `""` for
/// the zero time in v3 records. Kept verbatim so records round-trip.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GoTime(String);

impl GoTime {
    /// The current time, as Go's `time.Now()` marshals in UTC.
    pub fn now() -> GoTime {
        GoTime::from_timestamp(jiff::Timestamp::now())
    }

    /// A timestamp in UTC, RFC 3339 with up to nine fractional digits and no
    /// trailing zeros (Go's `RFC3339Nano`).
    pub fn from_timestamp(timestamp: jiff::Timestamp) -> GoTime {
        let utc = timestamp.to_zoned(jiff::tz::TimeZone::UTC);
        let mut text = utc.strftime("%Y-%m-%dT%H:%M:%S").to_string();
        let nanos = utc.subsec_nanosecond();
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            text.push('.');
            text.push_str(digits.trim_end_matches('0'));
        }
        text.push('Z');
        GoTime(text)
    }

    /// The text as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Go's zero time: `""` (v3) or `0001-01-01T00:00:00Z`.
    pub fn is_zero(&self) -> bool {
        self.0.is_empty() || self.0 == "0001-01-01T00:00:00Z"
    }

    /// The instant, for comparisons and ages.
    pub fn timestamp(&self) -> Result<jiff::Timestamp> {
        self.0
            .parse()
            .with_context(|| format!("\"{}\" is not an RFC 3339 time", self.0))
    }

    /// Go's `Format(time.ANSIC)` (`Mon Jan _2 15:04:05 2006`) of the wall
    /// clock in the offset the time was written with, as helm prints
    /// `UPDATED` and `LAST DEPLOYED`.
    pub fn ansic(&self) -> Result<String> {
        let text = &self.0;
        if self.is_zero() {
            return Ok("Mon Jan  1 00:00:00 0001".to_string());
        }
        let Some(wall) = text.get(..19) else {
            bail!("\"{text}\" is not an RFC 3339 time");
        };
        let wall: jiff::civil::DateTime = wall
            .parse()
            .with_context(|| format!("\"{text}\" is not an RFC 3339 time"))?;
        Ok(wall.strftime("%a %b %e %H:%M:%S %Y").to_string())
    }
}

impl From<String> for GoTime {
    fn from(text: String) -> GoTime {
        GoTime(text)
    }
}

impl fmt::Display for GoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Go decodes `null` into a map or slice as empty; serde would refuse it.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Go's `[]byte` in JSON: standard base64 with padding.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => STANDARD.decode(text).map_err(D::Error::custom),
            None => Ok(Vec::new()),
        }
    }
}

/// A Go `[]byte` that may be nil (`null`).
mod base64_option {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_str(&STANDARD.encode(bytes)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| STANDARD.decode(text).map_err(D::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn statuses_print_as_helm_strings() {
        let strings: Vec<String> = Status::ALL.iter().map(Status::to_string).collect();
        assert_eq!(
            strings,
            [
                "unknown",
                "deployed",
                "uninstalled",
                "superseded",
                "failed",
                "uninstalling",
                "pending-install",
                "pending-upgrade",
                "pending-rollback"
            ]
        );
        for status in Status::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.as_str())
            );
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert!(Status::PendingRollback.is_pending());
        assert!(!Status::Failed.is_pending());
    }

    #[test]
    fn a_v3_record_round_trips_with_its_empty_times_and_nulls() {
        let record = json!({
            "name": "r",
            "info": {"first_deployed": "2024-05-02T10:11:12.123456789+02:00",
                     "last_deployed": "2024-05-02T10:11:12.5+02:00", "deleted": "",
                     "description": "Install complete", "status": "deployed", "notes": "hi"},
            "chart": {"metadata": {"name": "c", "version": "1.0.0", "apiVersion": "v2",
                                   "dependencies": [{"name": "d", "repository": "", "enabled": true,
                                                     "import-values": [{"child": "a", "parent": "b"}]}]},
                      "lock": null, "templates": [{"name": "templates/a.yaml", "data": "YQ=="}],
                      "values": null, "schema": null, "files": null},
            "config": {"a": {"b": [1, 2.5, null]}},
            "manifest": "---\n",
            "hooks": [{"name": "h", "kind": "Job", "path": "c/templates/h.yaml", "manifest": "x",
                       "events": ["test"], "last_run": {"started_at": "", "completed_at": "", "phase": ""},
                       "weight": -5, "delete_policies": ["before-hook-creation"]}],
            "version": 3,
            "namespace": "ns"
        });
        let release: Release = serde_json::from_value(record.clone()).unwrap();
        assert_eq!(release.status(), Status::Deployed);
        assert_eq!(release.chart_label(), "c-1.0.0");
        assert_eq!(release.hooks[0].weight, -5);
        assert_eq!(
            release.chart.as_ref().unwrap().templates.as_ref().unwrap()[0].data,
            b"a"
        );
        assert_eq!(serde_json::to_value(&release).unwrap(), record);
    }

    #[test]
    fn v4_keys_and_unknown_keys_survive() {
        let record = json!({
            "name": "r",
            "info": {"first_deployed": "2026-01-01T00:00:00Z", "status": "superseded",
                     "resources": {"v1/ConfigMap": []}},
            "chart": {"metadata": {"name": "c"}, "lock": {"generated": "2026-01-01T00:00:00Z",
                      "digest": "sha256:x", "dependencies": null},
                      "templates": [], "values": {"a": 1}, "schema": "e30=",
                      "schemamodtime": "0001-01-01T00:00:00Z",
                      "files": [{"name": "README.md", "data": "", "modtime": "2026-01-01T00:00:00Z"}],
                      "modtime": "2026-01-01T00:00:00Z", "future": true},
            "hooks": [{"last_run": {"phase": "Succeeded", "duration": 3},
                       "output_log_policies": ["hook-failed"]}],
            "version": 1,
            "apply_method": "ssa",
            "future_key": {"x": [1]}
        });
        let release: Release = serde_json::from_value(record.clone()).unwrap();
        assert!(release.server_side_applied());
        assert_eq!(release.extra["future_key"], json!({"x": [1]}));
        assert_eq!(
            release.chart.as_ref().unwrap().schema.as_deref(),
            Some(&b"{}"[..])
        );
        assert_eq!(serde_json::to_value(&release).unwrap(), record);
    }

    #[test]
    fn a_new_record_leaves_out_what_go_omits() {
        let mut release = Release {
            name: "r".into(),
            version: 1,
            namespace: "ns".into(),
            chart: Some(ChartRecord::default()),
            ..Release::default()
        };
        release.set_status(Status::PendingInstall, "Initial install underway");
        assert_eq!(
            serde_json::to_value(&release).unwrap(),
            json!({"name": "r",
                   "info": {"description": "Initial install underway", "status": "pending-install"},
                   "chart": {"metadata": null, "lock": null, "templates": null, "values": null,
                             "schema": null, "files": null},
                   "version": 1, "namespace": "ns"})
        );
        assert_eq!(Release::default().chart_label(), "MISSING");
        assert_eq!(Release::default().app_version(), "MISSING");
    }

    #[test]
    fn times_print_as_go_prints_them() {
        let time = GoTime::from("2026-11-21T05:48:27.863397554Z".to_string());
        assert_eq!(time.ansic().unwrap(), "Sat Nov 21 05:48:27 2026");
        let time = GoTime::from("2024-05-02T23:11:12+02:00".to_string());
        assert_eq!(time.ansic().unwrap(), "Thu May  2 23:11:12 2024");
        assert!(GoTime::default().is_zero());
        assert_eq!(
            GoTime::default().ansic().unwrap(),
            "Mon Jan  1 00:00:00 0001"
        );
        let stamp: jiff::Timestamp = "2026-01-02T03:04:05.120Z".parse().unwrap();
        assert_eq!(
            GoTime::from_timestamp(stamp).as_str(),
            "2026-01-02T03:04:05.12Z"
        );
        let stamp: jiff::Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(
            GoTime::from_timestamp(stamp).as_str(),
            "2026-01-02T03:04:05Z"
        );
        assert!(GoTime::now().timestamp().is_ok());
        assert!(GoTime::from("nope".to_string()).ansic().is_err());
    }

    #[test]
    fn v4_printing_drops_v3_empty_times() {
        let info = Info {
            first_deployed: Some(GoTime::from("2026-01-01T00:00:00Z".to_string())),
            deleted: Some(GoTime::default()),
            ..Info::default()
        }
        .without_zero_times();
        assert!(info.deleted.is_none());
        assert!(info.first_deployed.is_some());
        let run = HookExecution {
            started_at: Some(GoTime::default()),
            ..HookExecution::default()
        }
        .without_zero_times();
        assert_eq!(serde_json::to_value(run).unwrap(), json!({"phase": ""}));
    }
}
