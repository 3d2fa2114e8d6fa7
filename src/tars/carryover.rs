//! `tare upgrade`'s carryover: the operator-supplied values of the installed
//! release that survive an upgrade, with the CLI flags that override them.
//!
//! The release's `config` is what `helm get values` prints: only what was
//! given at install time. The carried paths are the upgrade reference's table;
//! everything else is regenerated from the upgrade's flags and the new chart.

use serde_json::{Map, Value, json};

use crate::cli::UpgradeArgs;
use crate::tars::identity::Identity;
use crate::tars::values::{ChartSettings, DEFAULT_REGISTRY};

/// The values paths the upgrade carries forward, in the reference's order.
pub const CARRIED_PATHS: [&str; 9] = [
    "global.imageRegistry",
    "global.customer",
    "global.environment",
    "global.deploymentMode",
    "global.serveUrl",
    "global.imagePullSecretName",
    "otelCollector.enabled",
    "otelCollector.exporters.otlp.endpoint",
    "otelCollector.exporters.otlp.headers.Authorization",
];

/// Where the data plane's namespace was put at install time: not in the
/// reference's table, but moving it on upgrade would orphan every workload.
const DATAPLANE_NAMESPACE_PATH: &str = "global.dataplaneNamespace";
const DEFAULT_DATAPLANE_NAMESPACE: &str = "tars-dataplane";

/// The carried values of an installed release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Carryover {
    pub image_registry: Option<String>,
    pub customer: Option<String>,
    pub environment: Option<String>,
    pub deployment_mode: Option<String>,
    pub serve_url: Option<String>,
    pub image_pull_secret_name: Option<String>,
    pub otel_enabled: Option<bool>,
    pub otel_endpoint: Option<String>,
    pub otel_authorization: Option<String>,
    pub dataplane_namespace: Option<String>,
}

impl Carryover {
    /// Reads the carried paths out of a release's user-supplied values.
    pub fn from_config(config: &Map<String, Value>) -> Carryover {
        let text = |path: &str| lookup(config, path).and_then(scalar_text);
        Carryover {
            image_registry: text(CARRIED_PATHS[0]),
            customer: text(CARRIED_PATHS[1]),
            environment: text(CARRIED_PATHS[2]),
            deployment_mode: text(CARRIED_PATHS[3]),
            serve_url: text(CARRIED_PATHS[4]),
            image_pull_secret_name: text(CARRIED_PATHS[5]),
            otel_enabled: lookup(config, CARRIED_PATHS[6]).and_then(Value::as_bool),
            otel_endpoint: text(CARRIED_PATHS[7]),
            otel_authorization: text(CARRIED_PATHS[8]),
            dataplane_namespace: text(DATAPLANE_NAMESPACE_PATH),
        }
    }

    /// The CLI flags laid over the carried values: flags win.
    pub fn overridden_by(&self, args: &UpgradeArgs) -> Carryover {
        let pick =
            |flag: &Option<String>, carried: &Option<String>| flag.clone().or(carried.clone());
        Carryover {
            image_registry: pick(&args.image_registry, &self.image_registry),
            customer: pick(&args.customer, &self.customer),
            environment: pick(&args.environment, &self.environment),
            deployment_mode: args
                .deployment_mode
                .map(|mode| mode.as_str().to_string())
                .or(self.deployment_mode.clone()),
            serve_url: pick(&args.serve_url, &self.serve_url),
            image_pull_secret_name: self.image_pull_secret_name.clone(),
            otel_enabled: args.enable_otel_collector.or(self.otel_enabled),
            otel_endpoint: pick(&args.otel_collector_endpoint, &self.otel_endpoint),
            otel_authorization: pick(&args.otel_exporter_auth_headers, &self.otel_authorization),
            dataplane_namespace: pick(&args.dataplane_namespace, &self.dataplane_namespace),
        }
    }

    /// The upgrade's chart settings: these values, the upgrade's own flags for
    /// what is not carried, and the defaults `tare install` would use.
    pub fn chart_settings(&self, args: &UpgradeArgs, identity: &Identity) -> ChartSettings {
        ChartSettings {
            serve_url: self.serve_url.clone(),
            image_registry: self
                .image_registry
                .clone()
                .unwrap_or(DEFAULT_REGISTRY.to_string()),
            image_tag: args.image_tag.clone(),
            customer: self.customer.clone().unwrap_or(identity.customer.clone()),
            environment: self.environment.clone(),
            deployment_mode: self
                .deployment_mode
                .clone()
                .unwrap_or("enterprise".to_string()),
            image_pull_secret_name: self.image_pull_secret_name.clone(),
            dataplane_namespace: self.dataplane_namespace(),
            ha: args.envoy.ha,
            drain_timeout_seconds: args.envoy.drain_timeout_seconds,
            redis_type: args.redis_type.as_str().to_string(),
            rate_limiting: !args.no_rate_limiting,
            guardrails: json!({ "enabled": false }),
            otel_collector: self.otel_collector_values(),
        }
    }

    pub fn dataplane_namespace(&self) -> String {
        self.dataplane_namespace
            .clone()
            .unwrap_or(DEFAULT_DATAPLANE_NAMESPACE.to_string())
    }

    /// Only the OTel fields that are set, so the chart's defaults fill the rest.
    fn otel_collector_values(&self) -> Option<Value> {
        let mut otel = json!({});
        if let Some(enabled) = self.otel_enabled {
            otel["enabled"] = json!(enabled);
        }
        if let Some(endpoint) = &self.otel_endpoint {
            otel["exporters"]["otlp"]["endpoint"] = json!(endpoint);
        }
        if let Some(authorization) = &self.otel_authorization {
            otel["exporters"]["otlp"]["headers"]["Authorization"] = json!(authorization);
        }
        (otel != json!({})).then_some(otel)
    }

    /// One line for the operator, as the upgrade reference prints it; the
    /// OTel Authorization header is a credential and only shows as set.
    pub fn summary(&self) -> String {
        let quoted = |value: &Option<String>| format!("{:?}", value.as_deref().unwrap_or(""));
        let mut line = format!(
            "registry={} customer={} env={} otel={}",
            quoted(&self.image_registry),
            quoted(&self.customer),
            quoted(&self.environment),
            self.otel_enabled.unwrap_or(false)
        );
        let optional = [
            ("mode", &self.deployment_mode),
            ("serve-url", &self.serve_url),
            ("pull-secret", &self.image_pull_secret_name),
            ("otel-endpoint", &self.otel_endpoint),
        ];
        for (name, value) in optional {
            if value.is_some() {
                line.push_str(&format!(" {name}={}", quoted(value)));
            }
        }
        if self.otel_authorization.is_some() {
            line.push_str(" otel-auth=\"****\"");
        }
        line
    }
}

/// Leaf paths of the installed values that the new values lack or set
/// differently: what the upgrade does not carry forward, for the operator.
pub fn not_carried(old: &Map<String, Value>, new: &Value) -> Vec<String> {
    let mut old_leaves = Vec::new();
    leaves(&Value::Object(old.clone()), String::new(), &mut old_leaves);
    old_leaves
        .into_iter()
        .filter(|(path, value)| lookup_value(new, path) != Some(value))
        .map(|(path, _)| path)
        .collect()
}

fn leaves(value: &Value, prefix: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves(child, path, out);
            }
        }
        _ => out.push((prefix, value.clone())),
    }
}

fn lookup<'a>(config: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (first, rest) = path.split_once('.').unwrap_or((path, ""));
    let value = config.get(first)?;
    if rest.is_empty() {
        return Some(value);
    }
    lookup(value.as_object()?, rest)
}

fn lookup_value<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    lookup(value.as_object()?, path)
}

/// Strings as they are; numbers and booleans as text (a YAML value file may
/// have typed `environment: 2024`).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn upgrade_args(flags: &[&str]) -> UpgradeArgs {
        let argv = ["tare", "upgrade", "identity.json"].iter().chain(flags);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Upgrade(args) => args.0,
            other => panic!("parsed as {other:?}"),
        }
    }

    fn installed_config() -> Map<String, Value> {
        let config = json!({
            "global": {
                "imageRegistry": "gcr.io/acme/tars",
                "customer": "acme",
                "deploymentMode": "saas",
                "serveUrl": "https://proxy.acme.com",
                "imagePullSecretName": "pull",
                "workspaceId": "ws-1",
                "dataplaneNamespace": "dp",
            },
            "otelCollector": {
                "enabled": true,
                "exporters": { "otlp": { "headers": { "Authorization": "Bearer s3cret" } } },
            },
            "guardrails": { "enabled": true },
            "ha": { "enabled": false },
        });
        config.as_object().unwrap().clone()
    }

    #[test]
    fn every_carried_path_is_read_from_the_installed_values() {
        let carried = Carryover::from_config(&installed_config());
        assert_eq!(carried.image_registry.as_deref(), Some("gcr.io/acme/tars"));
        assert_eq!(carried.customer.as_deref(), Some("acme"));
        assert_eq!(carried.environment, None);
        assert_eq!(carried.deployment_mode.as_deref(), Some("saas"));
        assert_eq!(carried.serve_url.as_deref(), Some("https://proxy.acme.com"));
        assert_eq!(carried.image_pull_secret_name.as_deref(), Some("pull"));
        assert_eq!(carried.otel_enabled, Some(true));
        assert_eq!(carried.otel_authorization.as_deref(), Some("Bearer s3cret"));
        assert_eq!(carried.dataplane_namespace(), "dp");
    }

    #[test]
    fn flags_override_what_is_carried() {
        let args = upgrade_args(&[
            "--image-registry",
            "newregistry.example.com",
            "--enable-otel-collector=false",
            "--environment",
            "prod",
        ]);
        let effective = Carryover::from_config(&installed_config()).overridden_by(&args);
        assert_eq!(
            effective.image_registry.as_deref(),
            Some("newregistry.example.com")
        );
        assert_eq!(effective.otel_enabled, Some(false));
        assert_eq!(effective.environment.as_deref(), Some("prod"));
        assert_eq!(effective.customer.as_deref(), Some("acme"));
    }

    #[test]
    fn the_summary_masks_the_otel_authorization_header() {
        let summary = Carryover::from_config(&installed_config()).summary();
        assert!(
            summary.starts_with(r#"registry="gcr.io/acme/tars" customer="acme" env="" otel=true"#),
            "{summary}"
        );
        assert!(!summary.contains("s3cret"), "{summary}");
        assert!(summary.contains("otel-auth=\"****\""), "{summary}");
    }

    #[test]
    fn only_the_set_otel_fields_reach_the_values() {
        let carried = Carryover {
            otel_endpoint: Some("otel.example.com:4317".into()),
            ..Carryover::default()
        };
        assert_eq!(
            carried.otel_collector_values(),
            Some(json!({ "exporters": { "otlp": { "endpoint": "otel.example.com:4317" } } }))
        );
        assert_eq!(Carryover::default().otel_collector_values(), None);
    }

    #[test]
    fn values_outside_the_carryover_are_reported_as_not_carried() {
        let new = json!({
            "global": { "imageRegistry": "gcr.io/acme/tars", "customer": "acme" },
            "guardrails": { "enabled": false },
            "ha": { "enabled": false },
        });
        let dropped = not_carried(&installed_config(), &new);
        assert!(
            dropped.contains(&"guardrails.enabled".to_string()),
            "{dropped:?}"
        );
        assert!(!dropped.contains(&"ha.enabled".to_string()), "{dropped:?}");
        assert!(
            !dropped.contains(&"global.customer".to_string()),
            "{dropped:?}"
        );
    }
}
