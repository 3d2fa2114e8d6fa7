//! The data-plane chart embedded in the binary, packed by build.rs from
//! `chart/` with its version stamped.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use flate2::read::GzDecoder;

/// The chart as a Helm package (`serve-helm/...` inside a gzipped tar).
pub const CHART_TGZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/chart.tgz"));

/// Every file of the embedded chart as (path inside the chart, content), in archive order.
pub fn files() -> Result<Vec<(String, Vec<u8>)>> {
    let mut archive = tar::Archive::new(GzDecoder::new(CHART_TGZ));
    let mut files = Vec::new();
    for entry in archive.entries().context("reading the embedded chart")? {
        let mut entry = entry.context("reading the embedded chart")?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let relative = path
            .split_once('/')
            .map(|(_, rest)| rest.to_string())
            .context("embedded chart entries live under the chart's name")?;
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        files.push((relative, content));
    }
    Ok(files)
}

/// Writes the embedded chart to `destination`: a `.tgz` file as `helm package`
/// makes it, or a directory (which must not exist or be empty) to unpack into.
pub fn export(destination: &Path) -> Result<()> {
    let is_archive = destination
        .extension()
        .is_some_and(|ext| ext == "tgz" || ext == "gz");
    if is_archive {
        return std::fs::write(destination, CHART_TGZ)
            .with_context(|| format!("cannot write {}", destination.display()));
    }
    if destination.exists() && destination.read_dir()?.next().is_some() {
        bail!(
            "{} is not empty: export into a new directory, or name a .tgz file",
            destination.display()
        );
    }
    for (relative, content) in files()? {
        let path = destination.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, content)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_chart_carries_the_stamped_version() {
        let files = files().unwrap();
        let (_, chart_yaml) = files.iter().find(|(path, _)| path == "Chart.yaml").unwrap();
        let chart_yaml = String::from_utf8(chart_yaml.clone()).unwrap();
        let expected = format!("\nversion: {}\n", crate::version::chart_version());
        assert!(chart_yaml.contains(&expected), "{chart_yaml}");
    }

    #[test]
    fn the_embedded_chart_holds_templates_crds_and_the_subchart() {
        let paths: Vec<String> = files().unwrap().into_iter().map(|(p, _)| p).collect();
        for expected in ["values.yaml", "values.schema.json", "templates/NOTES.txt"] {
            assert!(paths.iter().any(|p| p == expected), "{expected} missing");
        }
        assert!(paths.iter().any(|p| p.starts_with("crds/")));
        assert!(
            paths
                .iter()
                .any(|p| p.starts_with("charts/ai-gateway-crds/templates/"))
        );
    }

    #[test]
    fn export_refuses_a_directory_with_content() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "x").unwrap();
        let error = export(dir.path()).unwrap_err().to_string();
        assert!(error.ends_with("is not empty: export into a new directory, or name a .tgz file"));
    }
}
