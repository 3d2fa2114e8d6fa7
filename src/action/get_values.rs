//! `tare get values [--all]`: the values of a release, printed as
//! `helm get values` prints them.

use anyhow::Result;
use serde_json::Value;

use super::output::{self, OutputFormat};
use crate::release::{Release, SecretStore, computed_values};

/// Reads the release (the newest revision, or `revision`) and prints its
/// user-supplied values, or with `all` the values coalesced with the chart's.
pub async fn run(
    store: &SecretStore,
    name: &str,
    revision: Option<u32>,
    all: bool,
    format: OutputFormat,
) -> Result<String> {
    let release = match revision {
        Some(revision) => store.get(name, revision).await?,
        None => store.last(name).await?,
    };
    render(&release, all, format)
}

/// The output of `helm get values` (v4) for one revision.
pub fn render(release: &Release, all: bool, format: OutputFormat) -> Result<String> {
    let values = if all {
        Value::Object(computed_values(release))
    } else if release.config.is_empty() {
        // Go's nil map: helm prints `null`.
        Value::Null
    } else {
        Value::Object(release.config.clone())
    };
    match format {
        OutputFormat::Json => output::json(&values),
        OutputFormat::Yaml => output::yaml(&values),
        OutputFormat::Table => {
            let header = if all {
                "COMPUTED VALUES:\n"
            } else {
                "USER-SUPPLIED VALUES:\n"
            };
            Ok(format!("{header}{}", output::yaml(&values)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn prints_user_and_computed_values() {
        let release: Release = serde_json::from_value(json!({
            "chart": {"values": {"a": 1, "m": {"x": "y"}}},
            "config": {"m": {"z": 1.5}}
        }))
        .unwrap();
        assert_eq!(
            render(&release, false, OutputFormat::Table).unwrap(),
            "USER-SUPPLIED VALUES:\nm:\n  z: 1.5\n"
        );
        assert_eq!(
            render(&release, true, OutputFormat::Table).unwrap(),
            "COMPUTED VALUES:\na: 1\nm:\n  x: \"y\"\n  z: 1.5\n"
        );
        assert_eq!(
            render(&release, true, OutputFormat::Json).unwrap(),
            "{\"a\":1,\"m\":{\"x\":\"y\",\"z\":1.5}}\n"
        );
        assert_eq!(
            render(&Release::default(), false, OutputFormat::Yaml).unwrap(),
            "null\n"
        );
        assert_eq!(
            render(&Release::default(), true, OutputFormat::Json).unwrap(),
            "{}\n"
        );
    }
}
