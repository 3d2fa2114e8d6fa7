//! What can go wrong talking to a registry, sorted by what the operator (or
//! the retry loop) should do about it.

use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401 after presenting the credentials we have: they are missing or wrong.
    Unauthorized,
    /// 403: the credentials are valid but may not do this.
    Denied,
    /// 404 for a manifest, blob or repository.
    NotFound,
    /// The TLS handshake failed (often: the registry speaks plain HTTP).
    Tls,
    /// The connection failed or broke off: worth retrying.
    Transport,
    /// 429 or 5xx: worth retrying, after `Retry-After` when the registry said so.
    Busy(Option<Duration>),
    /// Anything else: a protocol violation, a digest mismatch, an unexpected status.
    Other,
}

/// Which end of a copy an operation talked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Source,
    Destination,
}

/// One failed registry operation, described without any credential.
#[derive(Debug, Clone)]
pub struct RegistryError {
    pub kind: ErrorKind,
    pub message: String,
    /// Set by the copy engine, which knows which registry it asked.
    pub side: Option<Side>,
}

impl RegistryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        RegistryError {
            kind,
            message: message.into(),
            side: None,
        }
    }

    /// The same error, marked as coming from `side`.
    pub fn at(mut self, side: Side) -> Self {
        self.side = Some(side);
        self
    }

    /// Whether trying the same operation again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Transport | ErrorKind::Busy(_))
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RegistryError {}

/// The kind of failure an HTTP status means.
pub fn kind_of_status(status: u16, retry_after: Option<Duration>) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Denied,
        404 => ErrorKind::NotFound,
        408 | 429 | 500..=599 => ErrorKind::Busy(retry_after),
        _ => ErrorKind::Other,
    }
}

/// Whether a transport error comes from TLS (a bad certificate, or a peer
/// that does not speak TLS at all).
pub fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    // rustls's own errors, or the connector's word for a handshake that
    // broke off (a plain-HTTP server answering and hanging up).
    crate::https::tls_cause(error).is_some()
        || std::iter::successors(Some(error), |e| e.source())
            .any(|e| e.to_string().contains("tls handshake"))
}

/// The message of a distribution error body (`{"errors":[{"message":...}]}`),
/// or a short excerpt of whatever the registry sent.
pub fn describe_body(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    if let Ok(parsed) = serde_json::from_slice::<Errors>(body) {
        let parts: Vec<String> = parsed
            .errors
            .into_iter()
            .map(|e| match (e.code, e.message) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (code, message) => code.or(message).unwrap_or_default(),
            })
            .collect();
        return parts.join("; ");
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_sort_into_what_to_do() {
        assert_eq!(kind_of_status(401, None), ErrorKind::Unauthorized);
        assert_eq!(kind_of_status(404, None), ErrorKind::NotFound);
        assert!(RegistryError::new(kind_of_status(503, None), "x").is_retryable());
        assert!(RegistryError::new(kind_of_status(429, None), "x").is_retryable());
        assert!(!RegistryError::new(kind_of_status(400, None), "x").is_retryable());
    }

    #[test]
    fn distribution_error_bodies_are_summarised() {
        let body =
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(describe_body(body), "MANIFEST_UNKNOWN: manifest unknown");
        assert_eq!(describe_body(b"  plain text \n"), "plain text");
    }
}
