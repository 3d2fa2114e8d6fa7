//! The HTTP(S) client every outbound call of tare shares (management plane,
//! registries, chart URLs): hyper and rustls with ring, as kube already builds
//! them, trusting the system's roots plus an optional extra CA bundle (added to
//! the roots; verification is never turned off).

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use http::Request;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A TCP connection attempt may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Plain HTTP costs nothing to set up; the TLS client loads the system's
/// trust roots (hundreds of files) on first use only, so loopback servers
/// spoken to over plain HTTP never pay for it.
pub struct HttpClient<B> {
    plain: Client<HttpConnector, B>,
    tls: OnceLock<Client<HttpsConnector<HttpConnector>, B>>,
    /// The extra CA bundle's certificates, read (and checked) up front.
    extra_roots: RootCertStore,
}

impl<B> HttpClient<B>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// A client trusting the system's roots only.
    pub fn new() -> HttpClient<B> {
        HttpClient {
            plain: Client::builder(TokioExecutor::new()).build(connector()),
            tls: OnceLock::new(),
            extra_roots: RootCertStore::empty(),
        }
    }

    /// A client that also trusts the CA certificates of the PEM file
    /// `ca_file`; `named_by` (a flag or variable) says where it came from
    /// in errors.
    pub fn with_ca_file(ca_file: Option<&Path>, named_by: &str) -> Result<HttpClient<B>> {
        let mut client = HttpClient::new();
        if let Some(path) = ca_file {
            client.extra_roots = read_ca_file(path, named_by)?;
        }
        Ok(client)
    }

    /// Sends `request` over TLS or plain HTTP, as its URL's scheme says.
    pub fn request(&self, request: Request<B>) -> ResponseFuture {
        if request.uri().scheme_str() == Some("https") {
            self.tls
                .get_or_init(|| tls_client(&self.extra_roots))
                .request(request)
        } else {
            self.plain.request(request)
        }
    }
}

impl<B> Default for HttpClient<B>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn default() -> Self {
        HttpClient::new()
    }
}

/// TCP with Nagle's algorithm off, as Go's clients have it: small requests
/// otherwise wait for the peer's delayed ACK (~40 ms) on every new connection.
fn connector() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
    connector
}

fn tls_client<B>(extra_roots: &RootCertStore) -> Client<HttpsConnector<HttpConnector>, B>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped, as every rustls client does;
    // a missing root then shows up as a certificate error naming the server.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    roots.roots.extend(extra_roots.roots.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports rustls's default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .wrap_connector(connector());
    Client::builder(TokioExecutor::new()).build(https)
}

/// The certificates of a PEM CA bundle; a file without any is refused rather
/// than silently trusting nothing more.
fn read_ca_file(path: &Path, named_by: &str) -> Result<RootCertStore> {
    let certificates: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read {named_by} {}", path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{named_by} {} is not a PEM file", path.display()))?;
    if certificates.is_empty() {
        bail!(
            "{named_by} {} holds no certificate: point it at a PEM CA bundle",
            path.display()
        );
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .with_context(|| format!("{named_by} {}: unusable certificate", path.display()))?;
    }
    Ok(roots)
}

/// The rustls error behind a failed request, if TLS is what failed.
pub fn tls_cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // An io::Error's source() skips the error it wraps (it goes straight
        // to that error's own source), and the connector nests them.
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as _),
            None => error.source(),
        };
    }
    None
}

/// The deepest cause: hyper's outer errors only say "client error (Connect)".
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::Full;

    use super::*;

    type FullBody = Full<Bytes>;

    #[test]
    fn a_ca_file_without_certificates_is_refused_rather_than_ignored() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate\n").unwrap();
        let error = HttpClient::<FullBody>::with_ca_file(Some(file.path()), "--ca-file")
            .err()
            .unwrap();
        assert_eq!(
            format!("{error:#}"),
            format!(
                "--ca-file {} holds no certificate: point it at a PEM CA bundle",
                file.path().display()
            )
        );
    }

    #[test]
    fn a_missing_ca_file_is_named_with_where_it_came_from() {
        let error =
            HttpClient::<FullBody>::with_ca_file(Some(Path::new("/nonexistent/ca.pem")), "X_CA")
                .err()
                .unwrap();
        assert!(
            format!("{error:#}").starts_with("cannot read X_CA /nonexistent/ca.pem"),
            "{error:#}"
        );
    }
}
