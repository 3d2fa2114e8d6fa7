//! The pinned images of the embedded chart and where they are copied to.
//!
//! The chart lists every image it uses under `images` in its values (even the
//! ones passed only as arguments or written into custom resources), so the list
//! is derived from values alone: the same values that render the chart.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::yaml::{self, Node, Numbers};

/// The chart as an OCI artifact is mirrored under this repository name.
pub const CHART_REPOSITORY: &str = "serve-helm";

/// Images used only when a feature is on: image key → (values path, value that enables it).
const CONDITIONAL: &[(&str, &str, &str)] = &[
    ("llmGuardApi", "guardrails.enabled", "true"),
    ("envoyDm", "guardrails.enabled", "true"),
    ("ratelimit", "rateLimiting.enabled", "true"),
    ("redis", "redis.type", "cluster"),
    ("otelCollector", "otelCollector.enabled", "true"),
];

/// One image of the chart, before any registry or tag override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartImage {
    pub key: String,
    pub repository: String,
    pub tag: String,
    /// TARS's own images follow `global.imageTag`; third-party ones keep their pin.
    pub own: bool,
}

impl ChartImage {
    /// `<registry>/<repository>:<tag>`, with `--image-tag` applied to own images.
    pub fn reference(&self, registry: &str, tag_override: Option<&str>) -> String {
        let tag = tag_override.filter(|_| self.own).unwrap_or(&self.tag);
        format!("{registry}/{}:{tag}", self.repository)
    }
}

/// The images `values` (user values over the chart defaults) make the chart use,
/// in the order the chart lists them.
pub fn chart_images(user_values: &Value) -> Result<Vec<ChartImage>> {
    let defaults = yaml::load(&embedded_values()?, Numbers::Int64)
        .map_err(|e| anyhow!("embedded chart values: {}", e.message()))?;
    let Some(Node::Map(images)) = map_get(&defaults, "images") else {
        bail!("the embedded chart's values have no images map");
    };
    let mut result = Vec::new();
    for (key, image) in images {
        let field = |name: &str| match map_get(image, name) {
            Some(Node::Str(s)) => Ok(s.clone()),
            _ => Err(anyhow!(
                "images.{key}.{name} is missing in the chart's values"
            )),
        };
        let image = ChartImage {
            key: key.clone(),
            repository: field("repository")?,
            tag: field("tag")?,
            own: matches!(map_get(image, "own"), Some(Node::Bool(true))),
        };
        if is_enabled(&image.key, user_values, &defaults)
            .with_context(|| format!("deciding whether image {key} is used"))?
        {
            result.push(image);
        }
    }
    Ok(result)
}

fn is_enabled(key: &str, user_values: &Value, defaults: &Node) -> Result<bool> {
    let Some((_, path, enabling)) = CONDITIONAL.iter().find(|(k, _, _)| *k == key) else {
        return Ok(true);
    };
    let user = path.split('.').try_fold(user_values, |v, part| v.get(part));
    let value = match user {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => match path
            .split('.')
            .try_fold(defaults, |node, part| map_get(node, part))
        {
            Some(Node::Str(s)) => s.clone(),
            Some(Node::Bool(b)) => b.to_string(),
            _ => bail!("the chart has no default for {path}"),
        },
    };
    Ok(value == *enabling)
}

/// The embedded chart's own default values.
fn embedded_values() -> Result<String> {
    let (_, content) = crate::tars::chart::files()?
        .into_iter()
        .find(|(path, _)| path == "values.yaml")
        .context("the embedded chart has no values.yaml")?;
    String::from_utf8(content).context("the embedded chart's values.yaml is not UTF-8")
}

fn map_get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match node {
        Node::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// The chart artifact's reference in `registry`.
pub fn chart_reference(registry: &str) -> String {
    format!(
        "{registry}/{CHART_REPOSITORY}:{}",
        crate::version::chart_oci_tag()
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keys(values: Value) -> Vec<String> {
        chart_images(&values)
            .unwrap()
            .into_iter()
            .map(|i| i.key)
            .collect()
    }

    #[test]
    fn defaults_use_redis_and_rate_limiting_but_not_guardrails_or_otel() {
        let keys = keys(json!({}));
        assert!(keys.contains(&"redis".to_string()));
        assert!(keys.contains(&"ratelimit".to_string()));
        assert!(!keys.contains(&"llmGuardApi".to_string()));
        assert!(!keys.contains(&"otelCollector".to_string()));
    }

    #[test]
    fn features_switch_their_images_on_and_off() {
        let keys = keys(json!({
            "guardrails": { "enabled": true }, "redis": { "type": "hosted" },
            "rateLimiting": { "enabled": false }, "otelCollector": { "enabled": true },
        }));
        assert!(keys.contains(&"llmGuardApi".to_string()) && keys.contains(&"envoyDm".to_string()));
        assert!(keys.contains(&"otelCollector".to_string()));
        assert!(!keys.contains(&"redis".to_string()) && !keys.contains(&"ratelimit".to_string()));
    }

    #[test]
    fn the_tag_override_applies_to_own_images_only() {
        let own = ChartImage {
            key: "c".into(),
            repository: "valet".into(),
            tag: "v1".into(),
            own: true,
        };
        let third = ChartImage {
            own: false,
            repository: "redis".into(),
            ..own.clone()
        };
        assert_eq!(own.reference("r.example", Some("v2")), "r.example/valet:v2");
        assert_eq!(
            third.reference("r.example", Some("v2")),
            "r.example/redis:v1"
        );
    }

    #[test]
    fn the_chart_reference_uses_an_oci_safe_tag() {
        let reference = chart_reference("mirror.example.com/tars");
        assert!(
            reference.starts_with("mirror.example.com/tars/serve-helm:0.1.0-rc."),
            "{reference}"
        );
        assert!(!reference.contains('+'));
    }
}
