//! A Helm chart package pushed as an OCI artifact the way `helm push` lays it
//! out: the chart metadata as config, the `.tgz` as the one layer, both with
//! Helm's media types, so `helm pull oci://…` takes it.

use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::json;

use super::client::{Manifest, Registry, Upload, bytes_body};
use super::copy::ImageOutcome;
use super::error::RegistryError;
use super::progress::{BlobOutcome, Tally};
use super::reference::Digest;
use super::retry::with_retries;
use crate::chart_source::MAX_CHART_BYTES;

pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
pub const CONTENT_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// A packaged chart and its metadata.
pub struct HelmChart {
    pub name: String,
    pub version: String,
    /// Chart.yaml as JSON: Helm's artifact config.
    pub metadata: Bytes,
    /// The `.tgz` package.
    pub package: Bytes,
}

impl HelmChart {
    /// The artifact manifest. No creation time goes in, so the same chart
    /// always gives the same digest and a re-push is a no-op.
    fn manifest(&self) -> Manifest {
        let descriptor = |media_type: &str, bytes: &Bytes| json!({ "mediaType": media_type, "digest": Digest::of(bytes).as_str(), "size": bytes.len() });
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": descriptor(CONFIG_MEDIA_TYPE, &self.metadata),
            "layers": [descriptor(CONTENT_MEDIA_TYPE, &self.package)],
            "annotations": {
                "org.opencontainers.image.title": self.name,
                "org.opencontainers.image.version": self.version,
            },
        });
        let bytes = Bytes::from(serde_json::to_vec(&manifest).expect("a JSON value serialises"));
        Manifest {
            digest: Digest::of(&bytes),
            bytes,
            media_type: MANIFEST_MEDIA_TYPE.into(),
        }
    }
}

/// Pushes `chart` to `repository` under every tag in `tags`.
pub async fn push_chart(
    registry: &Registry,
    repository: &str,
    tags: &[String],
    chart: &HelmChart,
    tally: &Tally,
) -> Result<ImageOutcome, RegistryError> {
    let manifest = chart.manifest();
    let mut stale = Vec::new();
    for tag in tags {
        if with_retries(|| registry.manifest_digest(repository, tag)).await?
            != Some(manifest.digest.clone())
        {
            stale.push(tag);
        }
    }
    if stale.is_empty() {
        return Ok(ImageOutcome::UpToDate);
    }
    for blob in [&chart.metadata, &chart.package] {
        let outcome = with_retries(|| upload(registry, repository, blob.clone())).await?;
        tally.record(outcome, blob.len() as u64);
    }
    for tag in stale {
        with_retries(|| registry.put_manifest(repository, tag, &manifest)).await?;
    }
    Ok(ImageOutcome::Copied)
}

async fn upload(
    registry: &Registry,
    repository: &str,
    content: Bytes,
) -> Result<BlobOutcome, RegistryError> {
    let digest = Digest::of(&content);
    if registry.has_blob(repository, &digest).await? {
        return Ok(BlobOutcome::Present);
    }
    if let Upload::Open { location } = registry.start_upload(repository, None).await? {
        let size = content.len() as u64;
        registry
            .finish_upload(repository, &location, &digest, size, bytes_body(content))
            .await?;
    }
    Ok(BlobOutcome::Copied)
}

/// `oci://host/path/name` at `version`, as `helm pull` fetches it: the
/// artifact's chart layer, digest-checked. The tag is the version with `+`
/// written as `_`, as `helm push` tags it.
pub async fn pull_chart(
    oci_reference: &str,
    version: &str,
    insecure: bool,
) -> anyhow::Result<Bytes> {
    use anyhow::{Context, bail};

    let Some(path) = oci_reference.strip_prefix("oci://") else {
        bail!("{oci_reference} is not an oci:// reference");
    };
    let Some((host, repository)) = path.split_once('/') else {
        bail!("{oci_reference} names no repository (expected oci://host/path/chart)");
    };
    let login = super::auth::docker_login(host)?;
    let plain_http = insecure || super::reference::is_loopback(host);
    let registry = Registry::new(host, plain_http, login);
    let tag = version.replace('+', "_");
    let manifest = registry.manifest(repository, &tag).await?;
    let parsed: serde_json::Value = serde_json::from_slice(&manifest.bytes)
        .with_context(|| format!("{oci_reference}:{tag}: the manifest is not JSON"))?;
    let layers = parsed["layers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some(layer) = layers.iter().find(|l| l["mediaType"] == CONTENT_MEDIA_TYPE) else {
        bail!("{oci_reference}:{tag} is not a Helm chart (no {CONTENT_MEDIA_TYPE} layer)");
    };
    let digest = Digest::parse(layer["digest"].as_str().unwrap_or_default())?;
    let body = registry.blob(repository, &digest).await?;
    let package = http_body_util::Limited::new(body, MAX_CHART_BYTES)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("reading {oci_reference}:{tag}: {e}"))?
        .to_bytes();
    if Digest::of(&package) != digest {
        bail!("{oci_reference}:{tag}: the chart layer does not match its digest {digest}");
    }
    Ok(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> HelmChart {
        HelmChart {
            name: "serve-helm".into(),
            version: "0.1.0-rc.1+abc".into(),
            metadata: Bytes::from_static(br#"{"name":"serve-helm"}"#),
            package: Bytes::from_static(b"tgz"),
        }
    }

    #[test]
    fn the_manifest_carries_helm_media_types_and_the_version() {
        let manifest: serde_json::Value =
            serde_json::from_slice(&chart().manifest().bytes).unwrap();
        assert_eq!(manifest["config"]["mediaType"], CONFIG_MEDIA_TYPE);
        assert_eq!(manifest["layers"][0]["mediaType"], CONTENT_MEDIA_TYPE);
        assert_eq!(manifest["layers"][0]["size"], 3);
        assert_eq!(
            manifest["annotations"]["org.opencontainers.image.version"],
            "0.1.0-rc.1+abc"
        );
    }

    #[test]
    fn the_same_chart_always_gives_the_same_digest() {
        assert_eq!(chart().manifest().digest, chart().manifest().digest);
    }
}
