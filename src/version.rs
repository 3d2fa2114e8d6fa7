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
