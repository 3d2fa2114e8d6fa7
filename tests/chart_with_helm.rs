//! The embedded chart and the values tare prints work with the real helm: the
//! GitOps path (`--print-helm-values` + `tare chart export` + raw helm) renders
//! what the flags asked for. Real helm v4 is the oracle; tare never runs it itself.

mod common;

use std::path::Path;
use std::process::Command;

use common::required_env;

fn tare(args: &[&str], dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tare"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tare");
    assert!(
        output.status.success(),
        "tare {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Renders the exported chart with helm v4 and the values tare printed for
/// `flags`; also renders it with `tare template` and requires the two to be
/// byte-identical, so tare's own rendering of its chart is what helm makes of it.
fn helm_render(flags: &[&str], extra_helm_args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let identity = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/identity.json");
    let mut args = vec!["install", identity, "--print-helm-values"];
    args.extend_from_slice(flags);
    let values = tare(&args, dir.path());
    std::fs::write(dir.path().join("values.yaml"), values).unwrap();
    tare(&["chart", "export", "chart"], dir.path());

    let output = Command::new(required_env("HELM4"))
        .args([
            "template",
            "tars",
            "chart",
            "-n",
            "tars-system",
            "-f",
            "values.yaml",
        ])
        .args(extra_helm_args)
        .current_dir(dir.path())
        .output()
        .expect("run helm");
    assert!(
        output.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_serve_url_seeds_tars_config() {
    let manifests = helm_render(&["--serve-url", "https://proxy.acme.com"], &[]);
    assert!(manifests.contains("  proxy-url: \"https://proxy.acme.com\"\n"));
}

#[test]
fn ha_sets_the_envoy_hpa_floor_to_two_and_lab_installs_to_one() {
    let ha = helm_render(&[], &[]);
    assert!(ha.contains("minReplicas: 2"), "HA floor");
    assert!(ha.contains("drainTimeout: 300s"), "drain timeout");
    let lab = helm_render(&["--ha=false", "--drain-timeout-seconds", "30"], &[]);
    assert!(lab.contains("minReplicas: 1"), "single replica");
    assert!(lab.contains("drainTimeout: 30s"));
}

#[test]
fn the_mirror_registry_and_pull_secret_reach_every_pod() {
    let manifests = helm_render(
        &[
            "--image-sync",
            "mirror.example.com/tars",
            "--image-pull-secret-name",
            "acme-pull",
        ],
        &[],
    );
    let images: Vec<&str> = manifests
        .lines()
        .filter_map(|line| line.trim().strip_prefix("image: "))
        .collect();
    assert!(!images.is_empty());
    for image in images {
        assert!(
            image
                .trim_matches('"')
                .starts_with("mirror.example.com/tars/"),
            "{image}"
        );
    }
    assert!(manifests.contains("name: acme-pull"));
}

#[test]
fn guardrails_and_their_scheduling_are_rendered() {
    let manifests = helm_render(
        &[
            "--enable-guardrails",
            "--guardrails-config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/guardrails.yaml"),
        ],
        &[],
    );
    assert!(manifests.contains("llm-guard-api"));
    assert!(manifests.contains("node-type: gpu-large"));
}

#[test]
fn every_feature_renders_the_same_in_tare_and_helm() {
    let guardrails = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/guardrails.yaml");
    let extra = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/extra-values.yaml");
    helm_render(
        &[
            "--serve-url",
            "https://proxy.acme.com",
            "--image-sync",
            "mirror.example.com/tars",
            "--image-tag",
            "v9",
            "--image-pull-secret-name",
            "pull",
            "--redis-type",
            "hosted",
            "--helm-values",
            extra,
            "--enable-guardrails",
            "--guardrails-config",
            guardrails,
            "--rate-limiting=false",
            "--environment",
            "prod",
        ],
        &["--set", "redis.address=redis.example.test:6379"],
    );
    helm_render(&[], &["--include-crds"]);
}

#[test]
fn the_gitops_handoff_renders_no_crds_at_all() {
    let manifests = helm_render(
        &[],
        &["--skip-crds", "--set", "ai-gateway-crds.enabled=false"],
    );
    assert!(!manifests.contains("kind: CustomResourceDefinition"));
    assert!(manifests.contains("kind: EnvoyProxy"));
}
