//! Where a chart comes from, as `helm template` and `helm install` take it:
//! a directory, a `.tgz`, an `oci://` reference (pulled at a version), or an
//! `https://` (or `http://`) URL of a `.tgz`. The one place that turns such a
//! reference into a loaded chart.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http::header::{LOCATION, USER_AGENT};
use http::{Request, Uri};
use http_body_util::{BodyExt, Empty, Limited};

use crate::chart::{self, Chart};
use crate::https::{HttpClient, root_cause, tls_cause};

/// Charts larger than this are refused rather than held in memory.
pub const MAX_CHART_BYTES: usize = 64 << 20;
/// Redirects followed, as Go's HTTP client (and so helm) follows them.
const MAX_REDIRECTS: usize = 10;
/// A whole download, redirects included, may take this long.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// The flag naming an extra CA bundle, in `template`, `install` and `upgrade`.
const CA_FILE_FLAG: &str = "--ca-file";

/// A chart reference and what fetching it may need.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChartSource<'a> {
    /// A directory, a `.tgz`, `oci://host/path/name` or `https://…/name-1.2.3.tgz`.
    pub reference: &'a str,
    /// The version of an `oci://` chart (a URL names its own).
    pub version: Option<&'a str>,
    /// Plain HTTP to a non-loopback registry of an `oci://` chart.
    pub plain_http: bool,
    /// A PEM bundle of CAs trusted, besides the system's, for a chart URL.
    pub ca_file: Option<&'a Path>,
}

impl ChartSource<'_> {
    pub fn is_oci(&self) -> bool {
        self.reference.starts_with("oci://")
    }

    pub fn is_url(&self) -> bool {
        self.reference.starts_with("https://") || self.reference.starts_with("http://")
    }

    /// Loads the chart. Errors of a local chart keep helm's wording (a
    /// [`chart::Error`] inside the `anyhow::Error`); those of a remote one
    /// name where it came from.
    pub async fn load(&self) -> Result<Chart> {
        if self.ca_file.is_some() && !self.is_url() {
            bail!(
                "{CA_FILE_FLAG} is for https:// chart URLs, not {}",
                self.reference
            );
        }
        if self.is_url() {
            let package = download(self.reference, self.ca_file).await?;
            let chart = load_package(self.reference, &package)?;
            eprintln!(
                "Downloaded {} ({} KiB)",
                self.reference,
                package.len().div_ceil(1024)
            );
            return Ok(chart);
        }
        if self.is_oci() {
            let Some(version) = self.version else {
                bail!("{}: an oci:// chart needs a version", self.reference);
            };
            let package = crate::oci::pull_chart(self.reference, version, self.plain_http).await?;
            return load_package(self.reference, &package);
        }
        Ok(chart::load(Path::new(self.reference))?)
    }

    /// [`ChartSource::load`] outside async code: a local chart is read
    /// directly, a remote one on a runtime started for it.
    pub fn load_blocking(&self) -> Result<Chart> {
        if !self.is_oci() && !self.is_url() && self.ca_file.is_none() {
            return Ok(chart::load(Path::new(self.reference))?);
        }
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?
            .block_on(self.load())
    }
}

/// A downloaded or pulled `.tgz`, refused in one line when it is none.
fn load_package(origin: &str, package: &[u8]) -> Result<Chart> {
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    if !package.starts_with(&GZIP_MAGIC) {
        bail!("{origin} is not a chart archive: the content is not gzip (a .tgz is expected)");
    }
    chart::load_archive(package).map_err(|e| anyhow!("{origin}: {}", e.one_line()))
}

/// GETs `url`, following redirects.
async fn download(url: &str, ca_file: Option<&Path>) -> Result<Bytes> {
    let client = HttpClient::with_ca_file(ca_file, CA_FILE_FLAG)?;
    tokio::time::timeout(DOWNLOAD_TIMEOUT, fetch(&client, url))
        .await
        .map_err(|_| anyhow!("cannot download {url}: no answer within {DOWNLOAD_TIMEOUT:?}"))?
}

async fn fetch(client: &HttpClient<Empty<Bytes>>, url: &str) -> Result<Bytes> {
    let mut target: Uri = url
        .parse()
        .ok()
        .filter(|uri: &Uri| uri.host().is_some())
        .ok_or_else(|| anyhow!("{url} is not a valid URL"))?;
    for _ in 0..=MAX_REDIRECTS {
        let request = Request::get(target.clone())
            .header(USER_AGENT, format!("tare/{}", env!("CARGO_PKG_VERSION")))
            .body(Empty::new())
            .with_context(|| format!("{url} is not a valid URL"))?;
        let response = client
            .request(request)
            .await
            .map_err(|error| request_failure(url, &target, &error))?;
        let status = response.status();
        if status.is_redirection()
            && let Some(location) = response.headers().get(LOCATION)
        {
            let location = location.to_str().unwrap_or_default();
            target = resolve(&target, location)
                .ok_or_else(|| anyhow!("cannot download {url}: bad redirect to {location:?}"))?;
            continue;
        }
        if !status.is_success() {
            let reason = status.canonical_reason().unwrap_or_default();
            bail!("cannot download {url}: HTTP {} {reason}", status.as_u16());
        }
        let body = Limited::new(response.into_body(), MAX_CHART_BYTES)
            .collect()
            .await
            .map_err(|e| anyhow!("cannot download {url}: {}", root_cause(e.as_ref())))?;
        return Ok(body.to_bytes());
    }
    bail!("cannot download {url}: more than {MAX_REDIRECTS} redirects")
}

/// One line for a request that got no answer, naming the host whose
/// certificate was refused when TLS is what failed.
fn request_failure(
    url: &str,
    target: &Uri,
    error: &(dyn std::error::Error + 'static),
) -> anyhow::Error {
    let host = target.host().unwrap_or_default();
    match tls_cause(error) {
        Some(rustls::Error::InvalidCertificate(why)) => anyhow!(
            "cannot download {url}: the certificate of {host} is not trusted ({why:?}); \
             give its CA bundle with {CA_FILE_FLAG}"
        ),
        Some(tls) => anyhow!("cannot download {url}: TLS with {host} failed: {tls}"),
        None => anyhow!("cannot download {url}: {}", root_cause(error)),
    }
}

/// Where a `Location` header points, relative to the URL that sent it.
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    if location.contains("://") {
        return location.parse().ok();
    }
    let path = if location.starts_with('/') {
        location.to_string()
    } else {
        let directory = base.path().rsplit_once('/').map_or("", |(dir, _)| dir);
        format!("{directory}/{location}")
    };
    Uri::builder()
        .scheme(base.scheme()?.clone())
        .authority(base.authority()?.clone())
        .path_and_query(path)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    #[test]
    fn redirects_resolve_against_the_url_that_sent_them() {
        let base = uri("https://charts.example.com/stable/podinfo-6.0.0.tgz");
        assert_eq!(
            resolve(&base, "https://cdn.example.net/x.tgz?sig=1"),
            Some(uri("https://cdn.example.net/x.tgz?sig=1"))
        );
        assert_eq!(
            resolve(&base, "/archive/podinfo.tgz"),
            Some(uri("https://charts.example.com/archive/podinfo.tgz"))
        );
        assert_eq!(
            resolve(&base, "podinfo-6.0.1.tgz"),
            Some(uri("https://charts.example.com/stable/podinfo-6.0.1.tgz"))
        );
    }

    #[test]
    fn bytes_that_are_not_gzip_are_not_a_chart() {
        let error = load_package("https://x/c.tgz", b"<html>nope</html>").unwrap_err();
        assert_eq!(
            error.to_string(),
            "https://x/c.tgz is not a chart archive: the content is not gzip (a .tgz is expected)"
        );
    }

    #[test]
    fn a_ca_file_is_refused_for_a_chart_that_is_not_a_url() {
        let source = ChartSource {
            reference: "./chart",
            ca_file: Some(Path::new("ca.pem")),
            ..ChartSource::default()
        };
        let error = source.load_blocking().unwrap_err();
        assert_eq!(
            error.to_string(),
            "--ca-file is for https:// chart URLs, not ./chart"
        );
    }
}
