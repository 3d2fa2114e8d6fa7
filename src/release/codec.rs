//! `data.release` of a release Secret: base64(gzip(json)), as Helm's
//! `pkg/storage/driver/util.go` writes and reads it.
//!
//! The bytes here are the Secret's data *value* (Kubernetes adds its own
//! base64 layer on the wire, which the client removes).

use std::io::{Read as _, Write as _};

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::gojson;
use super::model::Release;

/// The first bytes of a gzip stream (magic and the deflate method).
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// JSON (as Go marshals it) → gzip → standard base64. Helm compresses at the
/// best level; the default level is three times faster for 2-3% more bytes.
pub fn encode(release: &Release) -> Result<Vec<u8>> {
    let json = gojson::to_vec(release)?;
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(&json)
        .context("cannot compress the release record")?;
    let compressed = gzip
        .finish()
        .context("cannot compress the release record")?;
    Ok(STANDARD.encode(compressed).into_bytes())
}

/// The record's JSON text: base64-decodes, then gunzips when the bytes start
/// with the gzip magic (older records are plain JSON). `secret` names the
/// object in errors.
pub fn decode_json(data: &[u8], secret: &str) -> Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(data.trim_ascii())
        .with_context(|| format!("release record {secret}: data.release is not base64"))?;
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    let mut json = Vec::new();
    GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut json)
        .with_context(|| format!("release record {secret}: data.release is not valid gzip"))?;
    Ok(json)
}

/// Decodes a record; `secret` names the object in errors.
pub fn decode(data: &[u8], secret: &str) -> Result<Release> {
    let json = decode_json(data, secret)?;
    serde_json::from_slice(&json)
        .with_context(|| format!("release record {secret}: data.release is not a Helm release"))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::release::model::Status;

    fn sample() -> Value {
        json!({"name": "r", "info": {"first_deployed": "2026-01-01T00:00:00Z",
               "last_deployed": "2026-01-01T00:00:00Z", "description": "Install complete",
               "status": "deployed"},
               "config": {"a": "<b>"}, "manifest": "---\nx: 1\n", "version": 1, "namespace": "ns"})
    }

    #[test]
    fn encodes_as_helm_does_and_decodes_back() {
        let release: Release = serde_json::from_value(sample()).unwrap();
        let data = encode(&release).unwrap();
        assert!(data.starts_with(b"H4sI"), "gzip magic in base64");
        let json = decode_json(&data, "ns/s").unwrap();
        assert!(
            String::from_utf8(json.clone())
                .unwrap()
                .contains("\"config\":{\"a\":\"\\u003cb\\u003e\"}")
        );
        assert_eq!(serde_json::from_slice::<Value>(&json).unwrap(), sample());
        let back = decode(&data, "ns/s").unwrap();
        assert_eq!(back, release);
        assert_eq!(back.status(), Status::Deployed);
    }

    #[test]
    fn reads_plain_json_records() {
        let data = STANDARD.encode(sample().to_string());
        let release = decode(data.as_bytes(), "ns/s").unwrap();
        assert_eq!(release.version, 1);
    }

    #[test]
    fn errors_name_the_secret() {
        let error = decode(b"not base64!", "ns/sh.helm.release.v1.r.v1").unwrap_err();
        assert!(format!("{error:#}").contains("ns/sh.helm.release.v1.r.v1"));
        let error = decode(STANDARD.encode([0x1f, 0x8b, 0x08, 0]).as_bytes(), "ns/x").unwrap_err();
        assert!(format!("{error:#}").contains("not valid gzip"));
        let error = decode(STANDARD.encode("[1]").as_bytes(), "ns/x").unwrap_err();
        assert!(format!("{error:#}").contains("ns/x: data.release is not a Helm release"));
    }
}
