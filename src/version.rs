//! The version string operators see: crate version plus the git commit.

/// `0.1.0 (commit 1a2b3c4d5e6f)`, with `-dirty` when built from a modified tree.
pub fn long_version() -> &'static str {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (commit ",
        env!("TARE_GIT_COMMIT"),
        ")"
    )
}

/// The embedded chart's version, e.g. `0.1.0-rc.12+1a2b3c4`.
pub fn chart_version() -> &'static str {
    env!("TARE_CHART_VERSION")
}

/// The chart version as an OCI tag: tags cannot hold `+`, so it becomes `_`.
pub fn chart_oci_tag() -> String {
    chart_version().replace('+', "_")
}
