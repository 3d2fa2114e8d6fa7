//! `tare history`: the revisions of a release, printed as `helm history` prints them.

use anyhow::Result;
use serde::Serialize;

use super::output::{self, OutputFormat, Table};
use crate::release::{GoTime, Release, SecretStore};

/// helm's default for `--max`.
pub const DEFAULT_MAX: usize = 256;

/// One line of `helm history` (`releaseInfo` in helm's `pkg/cmd/history.go`).
#[derive(Debug, Serialize)]
struct Revision {
    revision: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<GoTime>,
    status: String,
    chart: String,
    app_version: String,
    description: String,
}

/// Reads the history of `name` and prints its newest `max` revisions.
pub async fn run(
    store: &SecretStore,
    name: &str,
    max: usize,
    format: OutputFormat,
) -> Result<String> {
    let history = store.history(name).await?;
    render(&history, max, format)
}

/// The output of `helm history` (v4) for these revisions (oldest first).
pub fn render(history: &[Release], max: usize, format: OutputFormat) -> Result<String> {
    let newest = &history[history.len().saturating_sub(max)..];
    let revisions: Vec<Revision> = newest.iter().map(revision).collect();
    match format {
        OutputFormat::Json => output::json(&revisions),
        OutputFormat::Yaml => output::yaml(&revisions),
        OutputFormat::Table => {
            let mut table = Table::default();
            table.add_row([
                "REVISION",
                "UPDATED",
                "STATUS",
                "CHART",
                "APP VERSION",
                "DESCRIPTION",
            ]);
            for r in &revisions {
                let updated = match &r.updated {
                    Some(time) => time.ansic()?,
                    None => GoTime::default().ansic()?,
                };
                table.add_row([
                    r.revision.to_string(),
                    updated,
                    r.status.clone(),
                    r.chart.clone(),
                    r.app_version.clone(),
                    r.description.clone(),
                ]);
            }
            Ok(table.render())
        }
    }
}

fn revision(release: &Release) -> Revision {
    let info = release
        .info
        .clone()
        .unwrap_or_default()
        .without_zero_times();
    Revision {
        revision: release.version,
        updated: info.last_deployed,
        status: info.status.to_string(),
        chart: release.chart_label(),
        app_version: release.app_version(),
        description: info.description,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn history() -> Vec<Release> {
        serde_json::from_value(json!([
            {"name": "r", "version": 1, "chart": {"metadata": {"name": "c", "version": "1.0", "appVersion": "2"}},
             "info": {"last_deployed": "2026-11-21T05:48:27.863397554Z", "deleted": "", "status": "superseded",
                      "description": "Install complete"}},
            {"name": "r", "version": 2,
             "info": {"last_deployed": "", "status": "failed", "description": "Upgrade \"r\" failed: <x>"}}
        ]))
        .unwrap()
    }

    #[test]
    fn prints_the_three_formats() {
        assert_eq!(
            render(&history(), 256, OutputFormat::Table).unwrap(),
            "REVISION\tUPDATED                 \tSTATUS    \tCHART  \tAPP VERSION\tDESCRIPTION            \n\
             1       \tSat Nov 21 05:48:27 2026\tsuperseded\tc-1.0  \t2          \tInstall complete       \n\
             2       \tMon Jan  1 00:00:00 0001\tfailed    \tMISSING\tMISSING    \tUpgrade \"r\" failed: <x>\n"
        );
        assert_eq!(
            render(&history(), 1, OutputFormat::Json).unwrap(),
            "[{\"revision\":2,\"status\":\"failed\",\"chart\":\"MISSING\",\"app_version\":\"MISSING\",\
             \"description\":\"Upgrade \\\"r\\\" failed: \\u003cx\\u003e\"}]\n"
        );
        assert_eq!(
            render(&history()[..1], 256, OutputFormat::Yaml).unwrap(),
            "- app_version: \"2\"\n  chart: c-1.0\n  description: Install complete\n  revision: 1\n  \
             status: superseded\n  updated: \"2026-11-21T05:48:27.863397554Z\"\n"
        );
    }
}
