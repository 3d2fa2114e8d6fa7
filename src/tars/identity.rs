//! The identity file: who this data plane is, issued by the management plane.
//!
//! ```json
//! {
//!   "credentialType": "dataplane-credential",
//!   "workspaceId": "ws-0123",
//!   "customer": "acme",
//!   "managementPlaneUrl": "https://mp.example.com",
//!   "token": "<JWT>"
//! }
//! ```
//!
//! The token authenticates to the management plane and the source registry. It
//! never appears in output: `Debug` redacts it and errors never quote it.

use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// What every error about the file tells the operator to do.
const GET_A_NEW_ONE: &str = "download a new identity file from the management plane";

/// Credential types the management plane issues: the current name and the
/// older "service account" name of the same file.
pub const CREDENTIAL_TYPES: [&str; 2] = ["dataplane-credential", "service-account"];

/// A loaded and validated identity.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    pub credential_type: String,
    pub workspace_id: String,
    pub customer: String,
    pub management_plane_url: String,
    token: String,
    /// The token's `exp` claim, seconds since the Unix epoch.
    pub expires_at: Option<i64>,
}

impl Identity {
    /// Reads, parses and validates an identity file.
    pub fn load(path: &Path) -> Result<Identity, IdentityError> {
        let text = std::fs::read_to_string(path).map_err(|e| IdentityError {
            message: format!("cannot read identity file {}: {e}", path.display()),
        })?;
        Identity::parse(&text, unix_now()).map_err(|e| IdentityError {
            message: format!("identity file {}: {}", path.display(), e.message),
        })
    }

    /// Parses and validates the JSON text of an identity file at time `now`.
    pub fn parse(text: &str, now: i64) -> Result<Identity, IdentityError> {
        let raw: RawIdentity = serde_json::from_str(text).map_err(|e| {
            let what = if e.is_data() {
                "has a wrong field"
            } else {
                "is not valid JSON"
            };
            IdentityError::new(format!(
                "{what} (line {}, column {}): {}; {GET_A_NEW_ONE}",
                e.line(),
                e.column(),
                describe_json_error(&e)
            ))
        })?;
        let identity = Identity {
            credential_type: required(raw.credential_type, "credentialType")?,
            workspace_id: required(raw.workspace_id, "workspaceId")?,
            customer: required(raw.customer, "customer")?,
            management_plane_url: required(raw.management_plane_url, "managementPlaneUrl")?,
            token: required(raw.token, "token")?,
            expires_at: None,
        };
        identity.validated(now)
    }

    /// Checks the contents once every field is known to be present.
    fn validated(mut self, now: i64) -> Result<Identity, IdentityError> {
        if !CREDENTIAL_TYPES.contains(&self.credential_type.as_str()) {
            return Err(IdentityError::new(format!(
                "credentialType is \"{}\", expected \"{}\" or \"{}\"; {GET_A_NEW_ONE}",
                self.credential_type, CREDENTIAL_TYPES[0], CREDENTIAL_TYPES[1]
            )));
        }
        let url = &self.management_plane_url;
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(IdentityError::new(format!(
                "managementPlaneUrl \"{url}\" is not an http(s) URL; {GET_A_NEW_ONE}"
            )));
        }
        self.expires_at = token_expiry(&self.token)?;
        if let Some(exp) = self.expires_at.filter(|&exp| exp <= now) {
            return Err(IdentityError::new(format!(
                "the token expired at {}; {GET_A_NEW_ONE}",
                format_utc(exp)
            )));
        }
        Ok(self)
    }

    /// The bearer token, for the few places that authenticate with it.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("credential_type", &self.credential_type)
            .field("workspace_id", &self.workspace_id)
            .field("customer", &self.customer)
            .field("management_plane_url", &self.management_plane_url)
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// One line that says what is wrong with the identity file and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityError {
    message: String,
}

impl IdentityError {
    fn new(message: String) -> Self {
        IdentityError { message }
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IdentityError {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawIdentity {
    credential_type: Option<String>,
    workspace_id: Option<String>,
    customer: Option<String>,
    management_plane_url: Option<String>,
    token: Option<String>,
}

fn required(field: Option<String>, name: &str) -> Result<String, IdentityError> {
    match field {
        Some(value) if !value.trim().is_empty() => Ok(value),
        Some(_) => Err(IdentityError::new(format!(
            "\"{name}\" is empty; {GET_A_NEW_ONE}"
        ))),
        None => Err(IdentityError::new(format!(
            "\"{name}\" is missing; {GET_A_NEW_ONE}"
        ))),
    }
}

/// serde_json quotes offending input in some messages; an identity file's
/// content may be a token, so only the kind of error is kept.
fn describe_json_error(error: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match error.classify() {
        Category::Io => "read error",
        Category::Syntax => "syntax error",
        Category::Data => "a field has the wrong type (fields are strings)",
        Category::Eof => "the file ends too early",
    }
}

/// Checks the token's shape and reads its `exp` claim. The signature is the
/// management plane's business; a malformed token is caught here, early.
fn token_expiry(token: &str) -> Result<Option<i64>, IdentityError> {
    let malformed = |why: &str| {
        IdentityError::new(format!(
            "the token is not a valid JWT ({why}); {GET_A_NEW_ONE}"
        ))
    };
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(malformed("expected three dot-separated parts"));
    }
    let payload = URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .map_err(|_| malformed("the payload is not base64url"))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| malformed("the payload is not JSON"))?;
    match claims.get("exp") {
        None => Ok(None),
        Some(exp) => exp
            .as_i64()
            .or_else(|| exp.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| malformed("the exp claim is not a number")),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn format_utc(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| format!("{seconds} (Unix time)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn jwt(claims: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    fn identity_json(token: &str) -> String {
        serde_json::json!({
            "credentialType": "service-account",
            "workspaceId": "ws-0123",
            "customer": "acme",
            "managementPlaneUrl": "https://mp.example.test",
            "token": token,
        })
        .to_string()
    }

    fn error_of(text: &str) -> String {
        Identity::parse(text, NOW).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_identity_is_loaded_with_its_expiry() {
        let identity = Identity::parse(&identity_json(&jwt(r#"{"exp":1900000000}"#)), NOW).unwrap();
        assert_eq!(identity.workspace_id, "ws-0123");
        assert_eq!(identity.customer, "acme");
        assert_eq!(identity.expires_at, Some(1_900_000_000));
    }

    #[test]
    fn a_token_without_exp_never_expires() {
        let identity = Identity::parse(&identity_json(&jwt(r#"{"sub":"sa"}"#)), NOW).unwrap();
        assert_eq!(identity.expires_at, None);
    }

    #[test]
    fn an_expired_token_says_when_and_what_to_do() {
        let error = error_of(&identity_json(&jwt(r#"{"exp":1700000000}"#)));
        assert_eq!(
            error,
            "the token expired at 2023-11-14T22:13:20Z; download a new identity file from the management plane"
        );
    }

    #[test]
    fn a_token_that_is_not_a_jwt_is_refused_without_quoting_it() {
        let error = error_of(&identity_json("s3cr3t-not-a-jwt"));
        assert!(
            error.starts_with("the token is not a valid JWT (expected three"),
            "{error}"
        );
        assert!(!error.contains("s3cr3t"));
        let error = error_of(&identity_json("a.!!!.c"));
        assert!(error.contains("payload is not base64url"), "{error}");
    }

    #[test]
    fn a_missing_or_empty_field_is_named() {
        let error = error_of(
            r#"{"credentialType":"service-account","customer":"acme","managementPlaneUrl":"https://x","token":"a.b.c"}"#,
        );
        assert_eq!(
            error,
            "\"workspaceId\" is missing; download a new identity file from the management plane"
        );
        let text = identity_json(&jwt("{}")).replace("\"acme\"", "\"  \"");
        assert!(error_of(&text).starts_with("\"customer\" is empty"));
    }

    #[test]
    fn invalid_json_gives_the_position_but_not_the_content() {
        let error = error_of("{\"token\": \"s3cr3t\",,}");
        assert!(
            error.starts_with("is not valid JSON (line 1, column 20): syntax error"),
            "{error}"
        );
        assert!(!error.contains("s3cr3t"));
    }

    #[test]
    fn an_unknown_credential_type_is_refused() {
        let text = identity_json(&jwt("{}")).replace("service-account", "user");
        assert!(error_of(&text).starts_with("credentialType is \"user\""));
    }

    #[test]
    fn debug_output_redacts_the_token() {
        let token = jwt(r#"{"sub":"very-secret"}"#);
        let identity = Identity::parse(&identity_json(&token), NOW).unwrap();
        let debug = format!("{identity:?}");
        assert!(debug.contains("<redacted>"));
        assert!(!debug.contains(&token));
    }

    #[test]
    fn an_unreadable_file_is_named() {
        let error = Identity::load(Path::new("/nonexistent/identity.json")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read identity file /nonexistent/identity.json: ")
        );
    }
}
