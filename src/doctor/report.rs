//! The doctor's output: the text the guide shows, or JSON for machines; the
//! same JSON (plus who sent it) is the health report uploaded to the
//! management plane.

use serde_json::{Value, json};

use super::health::{Check, overall, tally};
use crate::tars::identity::Identity;

/// `-o` of `tare doctor`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    #[default]
    Text,
    Json,
}

/// The text report: every check with its verdict, the reason unless OK (or
/// always with `verbose`, with what was looked at), then the totals.
pub fn render_text(checks: &[Check], verbose: bool) -> String {
    let mut out = String::from("CHECKS PERFORMED:\n");
    for check in checks {
        out.push_str(&format!("- {}: {}", check.name, check.status.as_str()));
        if verbose || check.status != super::Health::Ok {
            out.push_str(&format!(" ({})", check.reason));
        }
        out.push('\n');
        if verbose {
            for detail in &check.details {
                out.push_str(&format!("    {detail}\n"));
            }
        }
    }
    let (errors, warnings) = tally(checks);
    out.push_str(&format!(
        "Status: {}\n{errors} errors, {warnings} warnings\n",
        overall(checks).as_str()
    ));
    out
}

/// The health report: the verdicts with the workspace, the versions and the
/// time; `-o json` prints exactly this.
pub fn health_report(checks: &[Check], identity: &Identity, release: &Value) -> Value {
    let (errors, warnings) = tally(checks);
    json!({
        "workspace_id": identity.workspace_id,
        "customer": identity.customer,
        "tare_version": env!("CARGO_PKG_VERSION"),
        "generated_at": crate::release::GoTime::now().as_str(),
        "release": release,
        "status": overall(checks),
        "errors": errors,
        "warnings": warnings,
        "checks": checks,
    })
}
