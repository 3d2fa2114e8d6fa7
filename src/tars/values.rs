//! Flags + identity → the Helm values of the data-plane chart.
//!
//! This is the one place that knows which values path each `tare install` flag
//! sets (the table in the README mirrors it). The result holds no secret: the
//! identity token and registry passwords reach the cluster as Secrets that tare
//! writes itself, never through values (values end up in release records,
//! `helm get values` and GitOps repositories).

use serde_json::{Map, Value, json};

use crate::cli::InstallArgs;
use crate::tars::identity::Identity;

/// The registry images come from when no flag or `REGISTRY_URL` says otherwise.
pub const DEFAULT_REGISTRY: &str = "registry.tetrate.ai";

/// Guardrails scheduling from `--guardrails-config` (natural Kubernetes YAML).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct GuardrailsScheduling {
    pub node_selector: Option<Value>,
    pub affinity: Option<Value>,
    pub tolerations: Option<Value>,
}

/// Where images come from and where the cluster pulls them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registries {
    /// Registry the images are copied from (only meaningful with `--image-sync`).
    pub source: String,
    /// Registry the cluster pulls from: `global.imageRegistry`.
    pub pull: String,
}

impl Registries {
    /// Applies the install reference's priority rules; `registry_url_env` is `REGISTRY_URL`.
    pub fn resolve(args: &InstallArgs, registry_url_env: Option<&str>) -> Registries {
        let configured = args
            .image_registry
            .as_deref()
            .or(registry_url_env.filter(|s| !s.is_empty()))
            .unwrap_or(DEFAULT_REGISTRY)
            .to_string();
        match &args.image_sync {
            Some(destination) => Registries {
                source: configured,
                pull: destination.clone(),
            },
            None => Registries {
                source: configured.clone(),
                pull: configured,
            },
        }
    }
}

/// Everything the chart's values are generated from, whichever command
/// gathered it: `tare install` from its flags, `tare upgrade` from its flags
/// over the values carried forward from the installed release.
#[derive(Debug, Clone)]
pub struct ChartSettings {
    pub serve_url: Option<String>,
    /// Registry the cluster pulls from (`global.imageRegistry`).
    pub image_registry: String,
    pub image_tag: Option<String>,
    pub customer: String,
    pub environment: Option<String>,
    pub deployment_mode: String,
    pub image_pull_secret_name: Option<String>,
    pub dataplane_namespace: String,
    pub ha: bool,
    pub drain_timeout_seconds: u32,
    pub redis_type: String,
    pub rate_limiting: bool,
    /// The `guardrails` values map (`enabled` and scheduling).
    pub guardrails: Value,
    /// The `otelCollector` values `tare upgrade` sets or carries forward.
    pub otel_collector: Option<Value>,
}

impl ChartSettings {
    /// The settings of `tare install`'s flags.
    pub fn for_install(
        args: &InstallArgs,
        identity: &Identity,
        registries: &Registries,
        guardrails: &GuardrailsScheduling,
    ) -> ChartSettings {
        ChartSettings {
            serve_url: args.serve_url.clone(),
            image_registry: registries.pull.clone(),
            image_tag: args.image_tag.clone(),
            customer: args.customer.clone().unwrap_or(identity.customer.clone()),
            environment: args.environment.clone(),
            deployment_mode: args.deployment_mode.as_str().to_string(),
            image_pull_secret_name: args.pull_secret_name().map(str::to_string),
            dataplane_namespace: args.dataplane_namespace.clone(),
            ha: args.envoy.ha,
            drain_timeout_seconds: args.envoy.drain_timeout_seconds,
            redis_type: args.redis_type.as_str().to_string(),
            rate_limiting: args.rate_limiting,
            guardrails: guardrails_values(args, guardrails),
            otel_collector: None,
        }
    }
}

/// The values `tare install` hands to the chart.
pub fn install_values(
    args: &InstallArgs,
    identity: &Identity,
    registries: &Registries,
    guardrails: &GuardrailsScheduling,
) -> Value {
    chart_values(
        &ChartSettings::for_install(args, identity, registries, guardrails),
        identity,
    )
}

/// The chart's values for these settings and identity.
pub fn chart_values(settings: &ChartSettings, identity: &Identity) -> Value {
    let mut global = Map::new();
    insert_some(&mut global, "serveUrl", settings.serve_url.as_deref());
    global.insert("imageRegistry".into(), json!(settings.image_registry));
    insert_some(&mut global, "imageTag", settings.image_tag.as_deref());
    global.insert("customer".into(), json!(settings.customer));
    insert_some(&mut global, "environment", settings.environment.as_deref());
    global.insert("deploymentMode".into(), json!(settings.deployment_mode));
    insert_some(
        &mut global,
        "imagePullSecretName",
        settings.image_pull_secret_name.as_deref(),
    );
    global.insert("workspaceId".into(), json!(identity.workspace_id));
    global.insert(
        "dataplaneNamespace".into(),
        json!(settings.dataplane_namespace),
    );

    let mut values = json!({
        "global": global,
        "identity": {
            // tare writes the tars-identity Secret (the token) itself.
            "createSecret": false,
            "credentialType": identity.credential_type,
            "managementPlaneUrl": identity.management_plane_url,
        },
        "ha": { "enabled": settings.ha },
        "envoy": { "drainTimeoutSeconds": settings.drain_timeout_seconds },
        "redis": { "type": settings.redis_type },
        "rateLimiting": { "enabled": settings.rate_limiting },
        "guardrails": settings.guardrails,
    });
    if let Some(otel) = &settings.otel_collector {
        values["otelCollector"] = otel.clone();
    }
    values
}

/// Explicit flags win over the config file, field by field.
fn guardrails_values(args: &InstallArgs, config: &GuardrailsScheduling) -> Value {
    let mut guardrails = Map::new();
    guardrails.insert("enabled".into(), json!(args.enable_guardrails));
    if !args.enable_guardrails {
        return Value::Object(guardrails);
    }
    let node_selector = (!args.guardrails_node_selector.is_empty())
        .then(|| {
            let pairs = args.guardrails_node_selector.iter();
            Value::Object(pairs.map(|(k, v)| (k.clone(), json!(v))).collect())
        })
        .or_else(|| config.node_selector.clone());
    let fields = [
        ("nodeSelector", node_selector),
        (
            "affinity",
            args.guardrails_affinity
                .clone()
                .or_else(|| config.affinity.clone()),
        ),
        (
            "tolerations",
            args.guardrails_tolerations
                .clone()
                .or_else(|| config.tolerations.clone()),
        ),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            guardrails.insert(key.into(), value);
        }
    }
    Value::Object(guardrails)
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        map.insert(key.into(), json!(value));
    }
}

/// Merges `overlay` over `base` the way Helm merges values files: maps merge
/// key by key, anything else in `overlay` replaces what `base` had.
pub fn merge_over(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => merge_over(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn install_args(flags: &[&str]) -> InstallArgs {
        let argv = ["tare", "install", "identity.json"].iter().chain(flags);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Install(args) => args.0,
            other => panic!("parsed as {other:?}"),
        }
    }

    fn identity() -> Identity {
        let text = r#"{"credentialType":"dataplane-credential","workspaceId":"ws-1",
            "customer":"acme","managementPlaneUrl":"https://mp.example.test",
            "token":"eyJhbGciOiJub25lIn0.e30.c2ln"}"#;
        Identity::parse(text, 0).unwrap()
    }

    fn values_for(flags: &[&str]) -> Value {
        let args = install_args(flags);
        let registries = Registries::resolve(&args, None);
        install_values(
            &args,
            &identity(),
            &registries,
            &GuardrailsScheduling::default(),
        )
    }

    #[test]
    fn defaults_fill_the_global_values_from_the_identity() {
        let values = values_for(&[]);
        assert_eq!(
            values["global"],
            json!({
                "imageRegistry": "registry.tetrate.ai",
                "customer": "acme",
                "deploymentMode": "enterprise",
                "workspaceId": "ws-1",
                "dataplaneNamespace": "tars-dataplane",
            })
        );
        assert_eq!(values["ha"], json!({ "enabled": true }));
        assert_eq!(values["envoy"], json!({ "drainTimeoutSeconds": 300 }));
        assert_eq!(values["redis"], json!({ "type": "cluster" }));
        assert_eq!(values["rateLimiting"], json!({ "enabled": true }));
        assert_eq!(values["guardrails"], json!({ "enabled": false }));
    }

    #[test]
    fn each_flag_sets_its_values_path() {
        let values = values_for(&[
            "--serve-url",
            "https://proxy.acme.com",
            "--image-tag",
            "v9",
            "--customer",
            "globex",
            "--environment",
            "prod",
            "--deployment-mode",
            "saas",
            "--ha=false",
            "--drain-timeout-seconds",
            "60",
            "--redis-type",
            "hosted",
            "--rate-limiting=false",
            "--image-pull-secret-name",
            "pull",
        ]);
        let global = &values["global"];
        assert_eq!(global["serveUrl"], "https://proxy.acme.com");
        assert_eq!(global["imageTag"], "v9");
        assert_eq!(global["customer"], "globex");
        assert_eq!(global["environment"], "prod");
        assert_eq!(global["deploymentMode"], "saas");
        assert_eq!(global["imagePullSecretName"], "pull");
        assert_eq!(values["ha"]["enabled"], false);
        assert_eq!(values["envoy"]["drainTimeoutSeconds"], 60);
        assert_eq!(values["redis"]["type"], "hosted");
        assert_eq!(values["rateLimiting"]["enabled"], false);
    }

    #[test]
    fn values_never_carry_the_token() {
        let text = values_for(&["--serve-url", "https://proxy.acme.com"]).to_string();
        assert!(!text.contains("eyJhbGciOiJub25lIn0"), "{text}");
    }

    #[test]
    fn the_pull_secret_is_referenced_when_created_from_stdin() {
        let values = values_for(&["--image-pull-secret-stdin"]);
        assert_eq!(
            values["global"]["imagePullSecretName"],
            "tars-image-pull-secret"
        );
    }

    #[test]
    fn image_sync_makes_the_cluster_pull_from_the_destination() {
        let args = install_args(&["--image-sync", "mirror.example.com/tars"]);
        let registries = Registries::resolve(&args, Some("env.example.com"));
        assert_eq!(registries.source, "env.example.com");
        assert_eq!(registries.pull, "mirror.example.com/tars");

        let args = install_args(&[
            "--image-sync",
            "b.example.com",
            "--image-registry",
            "a.example.com",
        ]);
        let registries = Registries::resolve(&args, Some("env.example.com"));
        assert_eq!(
            (registries.source.as_str(), registries.pull.as_str()),
            ("a.example.com", "b.example.com")
        );
    }

    #[test]
    fn without_image_sync_the_registry_flag_then_env_then_default_is_pulled_from() {
        let args = install_args(&["--image-registry", "a.example.com"]);
        assert_eq!(
            Registries::resolve(&args, Some("env.example.com")).pull,
            "a.example.com"
        );
        let args = install_args(&[]);
        assert_eq!(
            Registries::resolve(&args, Some("env.example.com")).pull,
            "env.example.com"
        );
        assert_eq!(Registries::resolve(&args, Some("")).pull, DEFAULT_REGISTRY);
    }

    #[test]
    fn guardrails_flags_override_the_config_file_field_by_field() {
        let args = install_args(&[
            "--enable-guardrails",
            "--guardrails-node-selector",
            "pool=gpu",
            "--guardrails-tolerations",
            r#"[{"key":"big","operator":"Exists"}]"#,
        ]);
        let config = GuardrailsScheduling {
            node_selector: Some(json!({ "pool": "cpu" })),
            affinity: Some(json!({ "nodeAffinity": {} })),
            tolerations: None,
        };
        let registries = Registries::resolve(&args, None);
        let values = install_values(&args, &identity(), &registries, &config);
        assert_eq!(
            values["guardrails"],
            json!({
                "enabled": true,
                "nodeSelector": { "pool": "gpu" },
                "affinity": { "nodeAffinity": {} },
                "tolerations": [{ "key": "big", "operator": "Exists" }],
            })
        );
    }

    #[test]
    fn merge_over_merges_maps_and_replaces_everything_else() {
        let mut base = json!({ "a": { "b": 1, "c": [1, 2] }, "d": "x" });
        merge_over(
            &mut base,
            json!({ "a": { "c": [3], "e": null }, "f": true }),
        );
        assert_eq!(
            base,
            json!({ "a": { "b": 1, "c": [3], "e": null }, "d": "x", "f": true })
        );
    }
}
