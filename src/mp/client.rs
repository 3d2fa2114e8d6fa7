//! The management plane's client: JSON calls over the shared HTTPS client
//! (`crate::https`), trusting, for private deployments and tests, the CA
//! bundle named by `TARE_MP_CA_FILE` too.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::https::{HttpClient, root_cause};
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
    http: HttpClient<Full<Bytes>>,
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
        Ok(ManagementPlane {
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http: HttpClient::with_ca_file(ca_file, CA_FILE_ENV)?,
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
            Ok(Err(error)) => Err(anyhow!("POST {url}: {}", root_cause(error.as_ref()))),
            Err(_) => bail!("POST {url}: no answer within {ATTEMPT_TIMEOUT:?}"),
        }
    }
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
            format!("{error:#}").contains("TARE_MP_CA_FILE"),
            "{error:#}"
        );
    }
}
