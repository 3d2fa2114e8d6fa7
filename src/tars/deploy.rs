//! The cluster half of `tare install`: CRDs (tare's, outside the release),
//! namespaces and Secrets, then the release itself through the release engine.

use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::action::chart_record::{chart_record, config_of};
use crate::action::deploy::{DeployOptions, DeployRequest, Operation, deploy};
use crate::action::hooks::HookRun;
use crate::chart::{self, Chart, RenderOptions, Rendered};
use crate::cli::InstallArgs;
use crate::kube::{Applier, ClusterOptions, connect, wait_ready};
use crate::manifest::{Manifest, parse_stream};
use crate::release::{NotFound, SecretStore, Status};
use crate::yaml::node_from_json;

/// Field manager of what tare owns outside releases (CRDs, namespaces, Secrets).
pub const TARE_FIELD_MANAGER: &str = "tare";

/// Everything `tare install` writes besides the release, already built.
pub struct ClusterInputs {
    pub values: Value,
    pub resources: Vec<Value>,
}

/// Runs the cluster phases of `tare install`.
pub fn install(args: &InstallArgs, inputs: ClusterInputs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(install_async(args, inputs))
}

async fn install_async(args: &InstallArgs, inputs: ClusterInputs) -> Result<ExitCode> {
    let client = connect(&ClusterOptions::default()).await?;
    let chart = load_chart(args)?;
    let tare_applier = Applier::new(client.clone(), TARE_FIELD_MANAGER, true);

    let crds = chart_crds(&chart, &inputs.values, args)?;
    eprintln!(
        "Applying {} CRDs (server-side apply, not part of the release)...",
        crds.len()
    );
    tare_applier
        .apply_all(&crds, &args.system_namespace)
        .await?;
    wait_ready(&tare_applier, &crds, &args.system_namespace, args.timeout).await?;
    eprintln!("CRDs established");
    if args.crds_only {
        eprintln!("--crds-only: done; run tare install again without it to install the data plane");
        return Ok(ExitCode::SUCCESS);
    }

    eprintln!("Installing TARS dataplane...");
    eprintln!("release: {}", args.release_name);
    eprintln!("system namespace: {}", args.system_namespace);
    eprintln!("dataplane namespace: {}", args.dataplane_namespace);
    warn_without_metrics_server(&client, args).await;
    apply_resources(&tare_applier, &inputs.resources, &args.system_namespace).await?;

    let mut release_values = inputs.values.clone();
    release_values["ai-gateway-crds"] = json!({ "enabled": false });
    let user_values = node_from_json(&release_values);
    let (revision, is_upgrade) = next_revision(&client, args).await?;
    let options = render_options(args, revision, is_upgrade);
    let rendered =
        chart::render(&chart, &user_values, &options).map_err(|e| anyhow!("{}", e.message()))?;
    let request = DeployRequest {
        release: args.release_name.clone(),
        namespace: args.system_namespace.clone(),
        chart: chart_record(&chart),
        config: config_of(&user_values),
        manifest: rendered.manifest_text(false),
        notes: rendered.notes.clone(),
        hooks: rendered
            .hooks
            .iter()
            .map(HookRun::from_chart)
            .collect::<Result<_>>()?,
    };
    let deploy_options = DeployOptions {
        wait: args.wait,
        timeout: args.timeout,
        atomic: true,
        take_ownership: false,
        history_max: 10,
    };
    eprintln!(
        "Deploying the release{}...",
        if args.wait {
            " and waiting for it to be ready"
        } else {
            ""
        }
    );
    let outcome = deploy(&client, request, &deploy_options).await;
    let release = &args.release_name;
    crate::events::record_deploy(&client, &args.system_namespace, release, revision - 1).await;
    let deployed = outcome?;
    let verb = match (deployed.operation, deployed.unchanged) {
        (_, true) => "is up to date (nothing changed; its objects were re-applied)",
        (Operation::Install, false) => "installed",
        (Operation::Upgrade, false) => "upgraded",
    };
    eprintln!(
        "Release \"{}\" {verb}: revision {}",
        args.release_name, deployed.release.version
    );
    eprintln!("Installation complete.");
    eprintln!("Next steps:");
    eprintln!("  tare doctor {}", args.identity_file.display());
    eprintln!(
        "  tare history -n {} --release-name {}",
        args.system_namespace, args.release_name
    );
    eprintln!("  kubectl get pods -n {}", args.system_namespace);
    Ok(ExitCode::SUCCESS)
}

fn load_chart(args: &InstallArgs) -> Result<Chart> {
    let chart = match &args.chart_path {
        Some(path) => chart::load(std::path::Path::new(path)),
        None => chart::load_archive(crate::tars::chart::CHART_TGZ),
    };
    chart.map_err(|e| anyhow!("{}", e.message()))
}

fn render_options(args: &InstallArgs, revision: u32, is_upgrade: bool) -> RenderOptions {
    RenderOptions {
        release_name: args.release_name.clone(),
        namespace: args.system_namespace.clone(),
        revision: i64::from(revision),
        is_upgrade,
        ..Default::default()
    }
}

/// The chart's CRDs: its `crds/` files and the AI gateway CRD subchart's templates.
fn chart_crds(chart: &Chart, values: &Value, args: &InstallArgs) -> Result<Vec<Manifest>> {
    let mut with_crds = values.clone();
    with_crds["ai-gateway-crds"] = json!({ "enabled": true });
    let rendered: Rendered = chart::render(
        chart,
        &node_from_json(&with_crds),
        &render_options(args, 1, false),
    )
    .map_err(|e| anyhow!("{}", e.message()))?;
    let mut crds = Vec::new();
    for crd in &rendered.crds {
        crds.extend(parse_stream(&format!(
            "---\n# Source: {}\n{}\n",
            crd.source, crd.content
        ))?);
    }
    crds.extend(
        parse_stream(&rendered.manifest_text(false))?
            .into_iter()
            .filter(|m| m.kind() == "CustomResourceDefinition"),
    );
    Ok(crds)
}

async fn apply_resources(applier: &Applier, resources: &[Value], namespace: &str) -> Result<()> {
    eprintln!("Creating Kubernetes namespaces and secrets...");
    for object in resources {
        let manifest = Manifest::new("tare", object.clone())?;
        applier.apply(&manifest, namespace).await?;
        eprintln!("{} {}: ok", manifest.kind().to_lowercase(), manifest.name());
    }
    Ok(())
}

/// Revision and upgrade flag the release will be rendered with.
async fn next_revision(client: &Client, args: &InstallArgs) -> Result<(u32, bool)> {
    let store = SecretStore::new(client.clone(), args.system_namespace.clone());
    match store.last(&args.release_name).await {
        Ok(last) => Ok((last.version + 1, last.status() != Status::Uninstalled)),
        Err(error) if error.downcast_ref::<NotFound>().is_some() => Ok((1, false)),
        Err(error) => Err(error),
    }
}

/// HA needs metrics for the HPA to scale past its floor; without metrics-server
/// the floor still holds, so this only warns.
async fn warn_without_metrics_server(client: &Client, args: &InstallArgs) {
    if !args.ha {
        return;
    }
    let services: Api<APIService> = Api::all(client.clone());
    if let Ok(None) = services.get_opt("v1beta1.metrics.k8s.io").await {
        eprintln!(
            "warning: the cluster has no metrics.k8s.io APIService (metrics-server absent): the HA floor of 2 Envoy replicas applies, but the HPA cannot scale beyond it"
        );
    }
}
