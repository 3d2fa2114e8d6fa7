//! Image references (`host[:port]/path/name[:tag][@digest]`) and digests.

use std::fmt;

use anyhow::{Result, bail};
use sha2::{Digest as _, Sha256};

/// A content digest; only `sha256:<64 hex>` is accepted, the one algorithm
/// registries and our verification agree on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    pub fn parse(text: &str) -> Result<Digest> {
        let hex = text.strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            bail!("\"{text}\" is not a sha256 digest");
        }
        Ok(Digest(text.to_string()))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hasher(Sha256::new_with_prefix(bytes))
    }

    /// The digest of everything fed to `hasher`.
    pub fn from_hasher(hasher: Sha256) -> Digest {
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Digest(format!("sha256:{hex}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an image lives: registry host, repository, and a tag and/or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host` or `host:port`.
    pub registry: String,
    /// Path inside the registry, e.g. `acme/tars/valet`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl Reference {
    /// Parses a fully qualified reference; the first path part is always the
    /// registry (tare's references always name it).
    pub fn parse(text: &str) -> Result<Reference> {
        let Some((registry, rest)) = text.split_once('/') else {
            bail!("image reference \"{text}\" has no registry host");
        };
        let (name, digest) = match rest.split_once('@') {
            Some((name, digest)) => (name, Some(Digest::parse(digest)?)),
            None => (rest, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match name[last_slash..].rfind(':') {
            Some(colon) => {
                let split = last_slash + colon;
                (&name[..split], Some(name[split + 1..].to_string()))
            }
            None => (name, None),
        };
        if registry.is_empty() || repository.is_empty() || tag.as_deref() == Some("") {
            bail!("image reference \"{text}\" is malformed");
        }
        if tag.is_none() && digest.is_none() {
            bail!("image reference \"{text}\" has neither a tag nor a digest");
        }
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// What to ask the registry for: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => unreachable!("parse requires a tag or a digest"),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Whether `registry` (`host[:port]`) is this machine, where plain HTTP is safe.
pub fn is_loopback(registry: &str) -> bool {
    if let Ok(ip) = registry.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    let host = match registry.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => registry.rsplit_once(':').map_or(registry, |(host, _)| host),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_reference_splits_into_registry_repository_and_tag() {
        let r = Reference::parse("127.0.0.1:5000/acme/tars/valet:v0.1.0").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "acme/tars/valet");
        assert_eq!(r.tag.as_deref(), Some("v0.1.0"));
        assert_eq!(r.to_string(), "127.0.0.1:5000/acme/tars/valet:v0.1.0");
    }

    #[test]
    fn a_digest_pins_the_reference() {
        let r = Reference::parse(&format!("reg.example/redis@{D}")).unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_reference(), D);
        let both = Reference::parse(&format!("reg.example/redis:7@{D}")).unwrap();
        assert_eq!(both.manifest_reference(), D);
    }

    #[test]
    fn malformed_references_and_digests_are_refused() {
        for bad in ["valet:v1", "reg.example/valet", "reg.example/valet:"] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse("md5:0123").is_err());
    }

    #[test]
    fn the_digest_of_bytes_is_their_sha256() {
        assert_eq!(
            Digest::of(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn only_this_machine_counts_as_loopback() {
        for local in [
            "127.0.0.1:5000",
            "localhost",
            "localhost:80",
            "[::1]:5000",
            "::1",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in [
            "registry.example.com",
            "10.0.0.1:5000",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }
}
