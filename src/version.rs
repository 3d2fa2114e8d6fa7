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

/// The extra chart tag for release builds: `v<crate version>`. A release is a
/// plain `X.Y.Z` crate version built from a clean tree; a prerelease or build
/// part (`0.2.0-dev`, `1.0.0-rc.1`) or a `-dirty` commit marks a dev build,
/// which gets no extra tag, so that tag always names the chart a release shipped.
pub fn release_tag() -> Option<String> {
    release_tag_of(env!("CARGO_PKG_VERSION"), env!("TARE_GIT_COMMIT"))
}

fn release_tag_of(version: &str, commit: &str) -> Option<String> {
    let plain = version.split('.').count() == 3
        && version
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    let clean = !commit.ends_with("-dirty") && commit != "unknown";
    (plain && clean).then(|| format!("v{version}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_builds_of_plain_versions_get_a_release_tag() {
        assert_eq!(
            release_tag_of("1.2.3", "1a2b3c4d5e6f").as_deref(),
            Some("v1.2.3")
        );
        assert_eq!(release_tag_of("1.2.3", "1a2b3c4d5e6f-dirty"), None);
        assert_eq!(release_tag_of("1.2.3-dev", "1a2b3c4d5e6f"), None);
        assert_eq!(release_tag_of("1.2.3-rc.1", "1a2b3c4d5e6f"), None);
        assert_eq!(release_tag_of("1.2.3", "unknown"), None);
    }
}
