//! Stamps the binary with the git commit it was built from, so that
//! `tare --version` tells operators exactly which build they run, and stamps
//! the embedded chart's version: `<base>-rc.<commit count>+<commit>`, SemVer
//! with the counter in the prerelease so versions order, the commit in the
//! build metadata.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    // Untracked files do not make a build dirty; changes to tracked ones do.
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    let stamp = if dirty {
        format!("{commit}-dirty")
    } else {
        commit.clone()
    };
    println!("cargo:rustc-env=TARE_GIT_COMMIT={stamp}");

    let count = git(&["rev-list", "--count", "HEAD"]).unwrap_or_else(|| "0".into());
    let chart_yaml = std::fs::read_to_string("chart/Chart.yaml").expect("chart/Chart.yaml");
    let base = chart_base_version(&chart_yaml);
    let short = commit.get(..7).unwrap_or(&commit);
    let dirty_mark = if dirty { ".dirty" } else { "" };
    println!("cargo:rustc-env=TARE_CHART_VERSION={base}-rc.{count}+{short}{dirty_mark}");

    for path in [
        ".git/HEAD",
        ".git/index",
        ".git/refs/heads",
        "chart/Chart.yaml",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}

/// `version: 0.1.0-dev` → `0.1.0`: the release part of the chart's placeholder version.
fn chart_base_version(chart_yaml: &str) -> String {
    let line = chart_yaml
        .lines()
        .find_map(|line| line.strip_prefix("version:"))
        .expect("chart/Chart.yaml has a version");
    let version = line.trim().trim_matches('"');
    version
        .split(['-', '+'])
        .next()
        .unwrap_or(version)
        .to_string()
}
