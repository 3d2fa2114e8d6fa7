//! Stamps the binary with the git commit it was built from, so that
//! `tare --version` tells operators exactly which build they run, and stamps
//! the embedded chart's version: `<base>-rc.<commit count>+<commit>`, SemVer
//! with the counter in the prerelease so versions order, the commit in the
//! build metadata.

use std::io::Write;
use std::path::{Path, PathBuf};
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
    let chart_version = format!("{base}-rc.{count}+{short}{dirty_mark}");
    println!("cargo:rustc-env=TARE_CHART_VERSION={chart_version}");
    package_chart(Path::new("chart"), &chart_version);
    println!("cargo:rerun-if-changed=chart");
    link_position_dependent();

    for path in [
        ".git/HEAD",
        ".git/index",
        ".git/refs/heads",
        "chart/Chart.yaml",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}

/// Links the `tare` binary at a fixed address (not PIE) on Linux: a PIE's
/// loader patches its pointer tables at every start, faulting in their
/// pages, a visible share of a small chart's render. (Helm's binary is not PIE
/// either.) Only the binaries: proc macros must stay position-independent.
fn link_position_dependent() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
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

/// Packs `chart/` into `$OUT_DIR/chart.tgz` the way `helm package` lays it out
/// (`<name>/...`), with the stamped version in Chart.yaml. The archive is
/// deterministic: sorted paths, zero times and owners, fixed modes, so the
/// same commit always embeds the same bytes.
fn package_chart(dir: &Path, version: &str) {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("chart.tgz");
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort();
    let encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut archive = tar::Builder::new(encoder);
    for path in files {
        let relative = path.strip_prefix(dir).expect("inside chart/");
        let mut content = std::fs::read(&path).expect("read chart file");
        if relative == Path::new("Chart.yaml") {
            content = stamp_version(
                &String::from_utf8(content).expect("UTF-8 Chart.yaml"),
                version,
            )
            .into_bytes();
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        let name = Path::new("serve-helm").join(relative);
        archive
            .append_data(&mut header, name, content.as_slice())
            .expect("append to chart archive");
    }
    let gz = archive
        .into_inner()
        .expect("finish tar")
        .finish()
        .expect("finish gzip");
    std::fs::File::create(&out)
        .and_then(|mut f| f.write_all(&gz))
        .expect("write chart.tgz");
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read chart dir") {
        let path = entry.expect("chart dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let editor_leftover = [".swp", ".bak", ".tmp", ".orig", "~", ".DS_Store"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        if path.is_dir() {
            collect_files(&path, files);
        } else if !editor_leftover {
            files.push(path);
        }
    }
}

/// Replaces the placeholder `version:` line of Chart.yaml.
fn stamp_version(chart_yaml: &str, version: &str) -> String {
    chart_yaml
        .lines()
        .map(|line| {
            if line.starts_with("version:") {
                format!("version: {version}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}
