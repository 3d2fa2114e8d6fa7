//! Registry credentials: where they come from (the identity, docker's config and
//! credential helpers) and how a registry asks for them (`WWW-Authenticate`).
//!
//! Nothing here prints or formats a secret: `Debug` redacts, errors name the
//! source of a credential and never its value.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

/// What tare presents to one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Anonymous,
    /// User name and password (or token used as a password).
    Basic {
        username: String,
        password: String,
    },
    /// An OAuth2 refresh token from `docker login` (`identitytoken`), traded
    /// for access tokens at the registry's token endpoint.
    IdentityToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credentials::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

impl Credentials {
    /// The `Authorization` value for basic auth, when these credentials have one.
    pub fn basic_header(&self) -> Option<String> {
        match self {
            Credentials::Basic { username, password } => Some(format!(
                "Basic {}",
                STANDARD.encode(format!("{username}:{password}"))
            )),
            _ => None,
        }
    }
}

/// Credentials for a registry plus a phrase saying where they came from, for
/// error messages ("docker config /root/.docker/config.json").
#[derive(Debug, Clone)]
pub struct RegistryLogin {
    pub credentials: Credentials,
    pub origin: String,
}

/// How a registry wants to be authenticated, from its `/v2/` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// The registry answered without asking for anything.
    None,
    Basic,
    /// The distribution token flow: get a token from `realm` for a scope.
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl Challenge {
    /// Parses a `WWW-Authenticate` header value.
    pub fn parse(header: &str) -> Option<Challenge> {
        let (scheme, params) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = auth_params(params);
        let get = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        Some(Challenge::Bearer {
            realm: get("realm")?,
            service: get("service"),
        })
    }
}

/// `key="value", key2=value2` pairs; commas inside quotes belong to the value.
fn auth_params(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (value, remainder) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (
                    quoted[..end].to_string(),
                    quoted.get(end + 1..).unwrap_or(""),
                )
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            }
        };
        pairs.push((key, value));
        rest = remainder.trim_start().trim_start_matches(',');
    }
    pairs
}

/// Docker's client configuration: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => std::env::var_os("HOME").map(|home| Path::new(&home).join(".docker/config.json")),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// The login docker would use for `registry` (`host[:port]`): a credential
/// helper named for it, an `auths` entry, then the default credential store;
/// anonymous when none has one.
pub fn docker_login(registry: &str) -> Result<RegistryLogin> {
    match docker_config_path() {
        Some(path) => docker_login_from(&path, registry),
        None => Ok(anonymous()),
    }
}

fn docker_login_from(path: &Path, registry: &str) -> Result<RegistryLogin> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(anonymous()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let config: DockerConfig = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid docker config JSON", path.display()))?;
    let origin = format!("docker config {}", path.display());
    if let Some(helper) = config.cred_helpers.get(registry) {
        return from_helper(helper, registry, &origin);
    }
    let entry = config
        .auths
        .iter()
        .find(|(key, _)| auth_key_host(key) == registry);
    if let Some((key, entry)) = entry {
        let credentials = entry_credentials(entry)
            .with_context(|| format!("{origin}: the auths entry for {key} is malformed"))?;
        // With a credential store, docker leaves only an empty marker in `auths`.
        if credentials != Credentials::Anonymous {
            return Ok(RegistryLogin {
                credentials,
                origin,
            });
        }
    }
    match &config.creds_store {
        Some(store) => from_helper(store, registry, &origin),
        None => Ok(anonymous()),
    }
}

fn anonymous() -> RegistryLogin {
    RegistryLogin {
        credentials: Credentials::Anonymous,
        origin: "no docker login".into(),
    }
}

/// `https://host/v1/` and `host` both name `host` in `auths`.
fn auth_key_host(key: &str) -> &str {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    without_scheme.split('/').next().unwrap_or_default()
}

fn entry_credentials(entry: &AuthEntry) -> Result<Credentials> {
    if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Credentials::IdentityToken(token.clone()));
    }
    if let Some(encoded) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .context("\"auth\" is not base64 of user:password")?;
        let (username, password) = decoded
            .split_once(':')
            .context("\"auth\" is not base64 of user:password")?;
        return Ok(Credentials::Basic {
            username: username.to_string(),
            password: password.to_string(),
        });
    }
    match (&entry.username, &entry.password) {
        (Some(username), Some(password)) => Ok(Credentials::Basic {
            username: username.clone(),
            password: password.clone(),
        }),
        _ => Ok(Credentials::Anonymous),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Asks `docker-credential-<helper> get` for `registry`'s credentials.
fn from_helper(helper: &str, registry: &str, origin: &str) -> Result<RegistryLogin> {
    let program = format!("docker-credential-{helper}");
    let origin = format!("credential helper {program} ({origin})");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program}, named in the docker config for {registry}: install it or fix the config"))?;
    child
        .stdin
        .take()
        .context("helper stdin")?
        .write_all(registry.as_bytes())
        .with_context(|| format!("cannot talk to {program}"))?;
    let output = child
        .wait_with_output()
        .with_context(|| format!("cannot run {program}"))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).to_lowercase();
        if said.contains("credentials not found") {
            return Ok(anonymous());
        }
        bail!("{program} get failed for {registry}: run docker login {registry} and retry");
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{program} get answered something that is not its JSON"))?;
    // Docker's convention: the user name `<token>` marks an identity token.
    let credentials = if answer.username == "<token>" {
        Credentials::IdentityToken(answer.secret)
    } else {
        Credentials::Basic {
            username: answer.username,
            password: answer.secret,
        }
    };
    Ok(RegistryLogin {
        credentials,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_challenge_names_its_realm_and_service() {
        let header = r#"Bearer realm="https://auth.example/token,x",service="registry.example",scope="repository:a:pull""#;
        assert_eq!(
            Challenge::parse(header),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token,x".into(),
                service: Some("registry.example".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="tare-test""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn auths_keys_match_with_or_without_scheme_and_path() {
        assert_eq!(
            auth_key_host("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(auth_key_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn an_auths_entry_decodes_to_basic_credentials_or_an_identity_token() {
        let basic = AuthEntry {
            auth: Some(STANDARD.encode("me:s3cr:et")),
            ..AuthEntry::default()
        };
        assert_eq!(
            entry_credentials(&basic).unwrap(),
            Credentials::Basic {
                username: "me".into(),
                password: "s3cr:et".into()
            }
        );
        let token = AuthEntry {
            identitytoken: Some("refresh".into()),
            ..AuthEntry::default()
        };
        assert_eq!(
            entry_credentials(&token).unwrap(),
            Credentials::IdentityToken("refresh".into())
        );
    }

    fn login_with_config(config: &str, registry: &str) -> RegistryLogin {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, config).unwrap();
        docker_login_from(&path, registry).unwrap()
    }

    #[test]
    fn the_auths_entry_of_the_registry_host_is_used() {
        let auth = STANDARD.encode("me:pw");
        let config = format!(
            r#"{{"auths":{{"other:5000":{{}},"https://reg.example:5000":{{"auth":"{auth}"}}}}}}"#
        );
        let login = login_with_config(&config, "reg.example:5000");
        assert_eq!(
            login.credentials.basic_header(),
            Some(format!("Basic {auth}"))
        );
        assert!(
            login.origin.starts_with("docker config "),
            "{}",
            login.origin
        );
        let other = login_with_config(&config, "other:5000");
        assert_eq!(other.credentials, Credentials::Anonymous);
    }

    #[test]
    fn an_empty_auths_marker_defers_to_the_credential_store() {
        let config = r#"{"auths":{"reg.example":{}},"credsStore":"tare-missing-helper"}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, config).unwrap();
        let error = docker_login_from(&path, "reg.example")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot run docker-credential-tare-missing-helper"),
            "{error}"
        );
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let basic = Credentials::Basic {
            username: "me".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{basic:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credentials::IdentityToken("t0k".into())).contains("t0k"));
    }
}
