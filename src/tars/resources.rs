//! The objects tare writes outside the release: the namespaces and the image
//! pull secret. `--print-resources` prints them; `tare install` applies them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::tars::identity::Identity;

/// Registry credentials read from stdin (`user:password`). Never printed by
/// `Debug`, never part of an error.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryCredentials {
    pub username: String,
    password: String,
}

impl RegistryCredentials {
    /// Parses the first line of stdin: `user:password` (the password may contain ':').
    pub fn parse(text: &str) -> Result<RegistryCredentials, String> {
        let line = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('\r');
        match line.split_once(':') {
            Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                Ok(RegistryCredentials {
                    username: user.to_string(),
                    password: password.to_string(),
                })
            }
            _ => {
                Err("--image-pull-secret-stdin expects one line \"user:password\" on stdin".into())
            }
        }
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

impl std::fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RegistryCredentials {{ username: {:?}, password: <redacted> }}",
            self.username
        )
    }
}

/// Name of the Secret holding the identity token (the chart mounts it).
pub const IDENTITY_SECRET: &str = "tars-identity";

/// The identity token as the Secret the chart's workloads mount.
pub fn identity_secret(namespace: &str, identity: &Identity) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": IDENTITY_SECRET,
            "namespace": namespace,
            "labels": { "app.kubernetes.io/part-of": "tars", "app.kubernetes.io/component": "identity" },
        },
        "type": "Opaque",
        "data": { "token": STANDARD.encode(identity.token()) },
    })
}

pub fn namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": name },
    })
}

/// A `kubernetes.io/dockerconfigjson` Secret for `registry` (host, optionally
/// with a path: the auth entry is keyed by the host, as container runtimes look it up).
pub fn pull_secret(
    name: &str,
    namespace: &str,
    registry: &str,
    creds: &RegistryCredentials,
) -> Value {
    let host = registry.split('/').next().unwrap_or(registry);
    let auth = STANDARD.encode(format!("{}:{}", creds.username, creds.password));
    let config = json!({
        "auths": {
            host: { "username": creds.username, "password": creds.password, "auth": auth }
        }
    });
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": { "name": name, "namespace": namespace },
        "type": "kubernetes.io/dockerconfigjson",
        "data": { ".dockerconfigjson": STANDARD.encode(config.to_string()) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_user_colon_password_and_the_password_may_hold_colons() {
        let creds = RegistryCredentials::parse("robot:pa:ss\n").unwrap();
        assert_eq!(
            (creds.username.as_str(), creds.password()),
            ("robot", "pa:ss")
        );
        assert!(RegistryCredentials::parse("no-colon").is_err());
        assert!(RegistryCredentials::parse(":pw").is_err());
        assert!(RegistryCredentials::parse("").is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let creds = RegistryCredentials::parse("robot:hunter2").unwrap();
        assert!(!format!("{creds:?}").contains("hunter2"));
    }

    #[test]
    fn the_pull_secret_holds_a_docker_config_for_the_registry_host() {
        let creds = RegistryCredentials::parse("robot:hunter2").unwrap();
        let secret = pull_secret(
            "pull",
            "tars-system",
            "mirror.example.com:5000/team",
            &creds,
        );
        assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
        assert_eq!(
            secret["metadata"],
            json!({ "name": "pull", "namespace": "tars-system" })
        );
        let encoded = secret["data"][".dockerconfigjson"].as_str().unwrap();
        let config: Value = serde_json::from_slice(&STANDARD.decode(encoded).unwrap()).unwrap();
        assert_eq!(
            config,
            json!({ "auths": { "mirror.example.com:5000": {
                "username": "robot", "password": "hunter2", "auth": "cm9ib3Q6aHVudGVyMg=="
            } } })
        );
    }
}
