//! The verdict of one check and of the whole data plane.

use serde::Serialize;

/// Ordered from best to worst, so the data plane's health is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Health {
    #[serde(rename = "OK")]
    Ok,
    Warning,
    Broken,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "OK",
            Health::Warning => "Warning",
            Health::Broken => "Broken",
        }
    }
}

/// One line of the report: what was checked, the verdict, why, and (for
/// `--verbose`) what was looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Health,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl Check {
    pub fn new(name: &'static str, status: Health, reason: impl Into<String>) -> Check {
        Check {
            name,
            status,
            reason: reason.into(),
            details: Vec::new(),
        }
    }

    pub fn with_details(mut self, details: Vec<String>) -> Check {
        self.details = details;
        self
    }
}

/// The verdicts of a set of findings: the worst one wins, and the reason
/// lists every finding that is not OK (or says all is well).
pub fn combine(name: &'static str, findings: Vec<(Health, String)>, all_ok: &str) -> Check {
    let status = findings
        .iter()
        .map(|(health, _)| *health)
        .max()
        .unwrap_or(Health::Ok);
    let problems: Vec<&str> = findings
        .iter()
        .filter(|(health, _)| *health != Health::Ok)
        .map(|(_, text)| text.as_str())
        .collect();
    let reason = if problems.is_empty() {
        all_ok.to_string()
    } else {
        problems.join("; ")
    };
    let details = findings
        .into_iter()
        .map(|(health, text)| format!("{}: {text}", health.as_str()))
        .collect();
    Check::new(name, status, reason).with_details(details)
}

/// Counts of Broken (errors) and Warning checks.
pub fn tally(checks: &[Check]) -> (usize, usize) {
    let count = |health| checks.iter().filter(|c| c.status == health).count();
    (count(Health::Broken), count(Health::Warning))
}

/// The data plane's overall health: its worst check.
pub fn overall(checks: &[Check]) -> Health {
    checks.iter().map(|c| c.status).max().unwrap_or(Health::Ok)
}
