//! The HTTPS client: hyper and rustls as kube already uses them, the system's
//! trust roots plus, for private deployments and tests, the CA bundle named
//! by `TARE_MP_CA_FILE` (added to the roots; verification is never turned off).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

use crate::tars::identity::Identity;

/// Names a PEM file of extra CA certificates trusted for the management plane.
pub const CA_FILE_ENV: &str = "TARE_MP_CA_FILE";

/// One attempt may take this long, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per call; only 5xx answers and connection failures are retried.
const ATTEMPTS: u32 = 3;
/// Pause before the first retry, doubled before each next one.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A management plane endpoint with the identity's credentials.
pub struct ManagementPlane {
    base_url: String,
    token: String,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// The final answer to a call.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// The JSON body, `Null` when empty or not JSON.
    pub body: Value,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `403 Forbidden: <message>`: the status and the server's own message
    /// (Connect's `message`, or `error`), for one-line errors.
    pub fn summary(&self) -> String {
        let reason = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let message = ["message", "error"]
            .iter()
            .find_map(|key| self.body[key].as_str())
            .unwrap_or("");
        match message {
            "" => format!("HTTP {} {reason}", self.status),
            _ => format!("HTTP {} {reason}: {message}", self.status),
        }
    }
}

impl ManagementPlane {
    /// The management plane named by the identity, trusting `TARE_MP_CA_FILE` too.
    pub fn for_identity(identity: &Identity) -> Result<ManagementPlane> {
        let ca_file = std::env::var_os(CA_FILE_ENV);
        ManagementPlane::new(
            &identity.management_plane_url,
            identity.token(),
            ca_file.as_deref().map(Path::new),
        )
    }

    pub fn new(base_url: &str, token: &str, ca_file: Option<&Path>) -> Result<ManagementPlane> {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?
        .with_root_certificates(trust_roots(ca_file)?)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(ManagementPlane {
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POSTs `body` as JSON to `path`, retrying 5xx answers and connection
    /// failures. `Err` only when no attempt got an answer.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Reply> {
        let payload = Bytes::from(serde_json::to_vec(body)?);
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(path, payload.clone()).await;
            let retry = match &outcome {
                Ok(reply) => reply.status >= 500,
                Err(_) => true,
            };
            if !retry || attempt == ATTEMPTS {
                return outcome;
            }
            tokio::time::sleep(backoff).await;
            backoff *= 2;
            attempt += 1;
        }
    }

    async fn attempt(&self, path: &str, payload: Bytes) -> Result<Reply> {
        let url = format!("{}{path}", self.base_url);
        let request = Request::builder()
            .method(Method::POST)
            .uri(&url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(
                header::USER_AGENT,
                format!("tare/{}", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(payload))
            .with_context(|| format!("invalid management plane URL {url}"))?;
        let exchange = async {
            let response = self.http.request(request).await?;
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await?.to_bytes();
            anyhow::Ok(Reply {
                status,
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            })
        };
        match tokio::time::timeout(ATTEMPT_TIMEOUT, exchange).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(error)) => Err(anyhow!("POST {url}: {}", root_cause(&error))),
            Err(_) => bail!("POST {url}: no answer within {ATTEMPT_TIMEOUT:?}"),
        }
    }
}

/// The deepest cause: hyper's outer errors only say "client error (Connect)".
fn root_cause(error: &anyhow::Error) -> String {
    let mut source: &dyn std::error::Error = error.as_ref();
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// The platform's trust roots plus the certificates of `ca_file`.
fn trust_roots(ca_file: Option<&Path>) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped, as every rustls client does;
    // a missing root then shows up as a certificate error naming the server.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let certificates: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("cannot read {CA_FILE_ENV} {}", path.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("{CA_FILE_ENV} {} is not a PEM file", path.display()))?;
        if certificates.is_empty() {
            bail!(
                "{CA_FILE_ENV} {} holds no certificate: point it at a PEM CA bundle",
                path.display()
            );
        }
        for certificate in certificates {
            roots.add(certificate).with_context(|| {
                format!("{CA_FILE_ENV} {}: unusable certificate", path.display())
            })?;
        }
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_reply_summary_quotes_the_servers_message() {
        let reply = Reply {
            status: 403,
            body: json!({ "code": "permission_denied", "message": "read-only workspace" }),
        };
        assert_eq!(reply.summary(), "HTTP 403 Forbidden: read-only workspace");
        let bare = Reply {
            status: 502,
            body: Value::Null,
        };
        assert_eq!(bare.summary(), "HTTP 502 Bad Gateway");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_rather_than_ignored() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate\n").unwrap();
        let error = ManagementPlane::new("https://mp", "t", Some(file.path()))
            .err()
            .unwrap();
        assert!(
            format!("{error:#}").contains("holds no certificate"),
            "{error:#}"
        );
    }
}
