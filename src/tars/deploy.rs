//! The cluster half of `tare install`: CRDs (tare's, outside the release),
//! namespaces and Secrets, then the release itself through the release engine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures::stream::{self, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kube::api::{ListParams, ObjectMeta};
use kube::{Api, Client};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::action::chart_record::{chart_record, config_of};
use crate::action::deploy::{
    DEPLOY_OPERATION, DeployOptions, DeployRequest, Deployed, Operation, deploy_under_lease,
    history_of,
};
use crate::action::hooks::record_hook;
use crate::chart::{self, Chart, RenderOptions, Rendered};
use crate::chart_source::ChartSource;
use crate::cli::InstallArgs;
use crate::kube::{Access, Applier, OperationLease, Readiness, connect, readiness, wait_ready};
use crate::manifest::{Manifest, parse_stream};
use crate::release::{Release, SecretStore, Status};
use crate::yaml::node_from_json;

/// Field manager of what tare owns outside releases (CRDs, namespaces, Secrets).
pub const TARE_FIELD_MANAGER: &str = "tare";

/// Everything `tare install` writes besides the release, already built.
pub struct ClusterInputs {
    pub values: Value,
    pub resources: Vec<Value>,
}

/// How the data-plane release is deployed, whichever command deploys it.
#[derive(Debug, Clone)]
pub struct ReleasePlan {
    pub release_name: String,
    pub system_namespace: String,
    /// A chart directory, .tgz, oci:// reference or https:// URL instead of the embedded chart.
    pub chart_path: Option<String>,
    /// The version of an oci:// chart.
    pub chart_version: Option<String>,
    /// Extra CA bundle (PEM) for an https:// chart URL.
    pub ca_file: Option<PathBuf>,
    /// Plain HTTP to a non-loopback chart registry.
    pub insecure_registry: bool,
    pub wait: bool,
    pub timeout: Duration,
    pub atomic: bool,
    pub history_max: usize,
    pub take_ownership: bool,
}

impl ReleasePlan {
    fn for_install(args: &InstallArgs) -> ReleasePlan {
        ReleasePlan {
            release_name: args.release_name.clone(),
            system_namespace: args.system_namespace.clone(),
            chart_path: args.chart_path.clone(),
            chart_version: args.chart_version.clone(),
            ca_file: args.ca_file.clone(),
            insecure_registry: args.insecure_registry,
            wait: args.wait,
            timeout: args.timeout,
            atomic: true,
            history_max: args.history_max,
            take_ownership: args.take_ownership,
        }
    }
}

/// Runs the cluster phases of `tare install`.
pub fn install(args: &InstallArgs, inputs: ClusterInputs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(install_async(args, inputs))
}

async fn install_async(args: &InstallArgs, inputs: ClusterInputs) -> Result<ExitCode> {
    let client = connect(&args.cluster).await?;
    let plan = ReleasePlan::for_install(args);
    let chart = load_chart(&plan).await?;
    let tare_applier = Applier::new(client.clone(), TARE_FIELD_MANAGER, true);

    let crds = chart_crds(&chart, &inputs.values, &plan)?;
    if crds.is_empty() {
        eprintln!("The chart has no CRDs");
    } else if may_change_crds(&client).await? {
        eprintln!(
            "Applying {} CRDs (server-side apply, not part of the release)...",
            crds.len()
        );
        let counts = upsert_crds(&tare_applier, &crds, &plan).await?;
        eprintln!("CRDs established ({counts})");
    } else if args.crds_only {
        bail!(
            "these credentials may not apply CRDs (patch customresourcedefinitions.apiextensions.k8s.io): run --crds-only as a cluster admin"
        );
    } else {
        require_served(&client, &crds, &args.identity_file).await?;
    }
    if args.crds_only {
        eprintln!("--crds-only: done; run tare install again without it to install the data plane");
        return Ok(ExitCode::SUCCESS);
    }

    eprintln!("Installing TARS dataplane...");
    eprintln!("release: {}", args.release_name);
    eprintln!("system namespace: {}", args.system_namespace);
    eprintln!("dataplane namespace: {}", args.dataplane_namespace);
    if args.envoy.ha {
        warn_without_metrics_server(&client).await;
    }
    eprintln!("Creating Kubernetes namespaces and secrets...");
    let (namespaces, secrets): (Vec<Value>, Vec<Value>) = inputs
        .resources
        .into_iter()
        .partition(|object| object["kind"] == "Namespace");
    let system_namespace = args.system_namespace.as_str();
    create_namespaces(&tare_applier, &namespaces).await?;
    // Everything written in the system namespace is written under the
    // release's operation Lease: two installs never interleave.
    let work = async {
        apply_secrets(&tare_applier, &secrets, system_namespace).await?;
        deploy_release(&client, &chart, &inputs.values, &plan).await
    };
    let deployed = hold_release_lease(&client, &plan, work).await?;
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

/// Runs `work` under the release's operation Lease (see [`OperationLease::hold`]).
pub async fn hold_release_lease<T>(
    client: &Client,
    plan: &ReleasePlan,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    let (namespace, release) = (&plan.system_namespace, &plan.release_name);
    OperationLease::hold(client, namespace, release, DEPLOY_OPERATION, work).await
}

/// Renders the chart without its CRDs (they are tare's) and installs or
/// upgrades the release with it. The caller holds the release's operation
/// Lease ([`hold_release_lease`]).
pub async fn deploy_release(
    client: &Client,
    chart: &Chart,
    values: &Value,
    plan: &ReleasePlan,
) -> Result<Deployed> {
    let user_values = node_from_json(&release_values(values));
    // Read once: a consistent list can wait ~100 ms for the API server's cache.
    let store = SecretStore::new(client.clone(), plan.system_namespace.clone());
    let history = history_of(&store, &plan.release_name).await?;
    let (revision, is_upgrade) = next_revision(&history);
    let options = render_options(plan, revision, is_upgrade);
    let rendered =
        chart::render(chart.clone(), &user_values, &options).map_err(|e| anyhow!(e.one_line()))?;
    let request = DeployRequest {
        release: plan.release_name.clone(),
        namespace: plan.system_namespace.clone(),
        chart: chart_record(chart).map_err(|e| anyhow!(e.one_line()))?,
        config: config_of(&user_values),
        manifest: rendered.manifest_text(false),
        notes: rendered.notes.clone(),
        hooks: rendered.hooks.iter().map(record_hook).collect(),
    };
    let deploy_options = DeployOptions {
        wait: plan.wait,
        timeout: plan.timeout,
        atomic: plan.atomic,
        take_ownership: plan.take_ownership,
        history_max: plan.history_max,
    };
    eprintln!(
        "Deploying the release{}...",
        if plan.wait {
            " and waiting for it to be ready"
        } else {
            ""
        }
    );
    let outcome = deploy_under_lease(client, request, &deploy_options, history).await;
    let (namespace, release) = (&plan.system_namespace, &plan.release_name);
    crate::events::record_deploy(client, namespace, release, revision - 1).await;
    outcome
}

/// The values the release is deployed with: the CRD subchart is off, since
/// tare applies the CRDs itself.
pub fn release_values(values: &Value) -> Value {
    let mut release_values = values.clone();
    release_values["ai-gateway-crds"] = json!({ "enabled": false });
    release_values
}

/// The embedded chart, or the one `--chart-path` names (see [`ChartSource`]),
/// its errors on one line.
pub async fn load_chart(plan: &ReleasePlan) -> Result<Chart> {
    let Some(path) = &plan.chart_path else {
        return chart::load_archive(crate::tars::chart::CHART_TGZ)
            .map_err(|e| anyhow!(e.one_line()));
    };
    let source = ChartSource {
        reference: path,
        version: plan.chart_version.as_deref(),
        plain_http: plan.insecure_registry,
        ca_file: plan.ca_file.as_deref(),
    };
    if source.is_oci() && source.version.is_none() {
        bail!("--chart-path {path} needs --chart-version");
    }
    source
        .load()
        .await
        .map_err(|error| match error.downcast::<chart::Error>() {
            Ok(chart_error) => anyhow!(chart_error.one_line()),
            Err(error) => error,
        })
}

fn render_options(plan: &ReleasePlan, revision: u32, is_upgrade: bool) -> RenderOptions {
    RenderOptions {
        release_name: plan.release_name.clone(),
        namespace: plan.system_namespace.clone(),
        revision: i64::from(revision),
        is_upgrade,
        ..Default::default()
    }
}

/// The chart's CRDs: its `crds/` files and the AI gateway CRD subchart's templates.
pub fn chart_crds(chart: &Chart, values: &Value, plan: &ReleasePlan) -> Result<Vec<Manifest>> {
    let mut with_crds = values.clone();
    with_crds["ai-gateway-crds"] = json!({ "enabled": true });
    let rendered: Rendered = chart::render(
        chart.clone(),
        &node_from_json(&with_crds),
        &render_options(plan, 1, false),
    )
    .map_err(|e| anyhow!(e.one_line()))?;
    let mut crds = Vec::new();
    for crd in &rendered.crds {
        crds.extend(parse_stream(&format!(
            "---\n# Source: {}\n{}\n",
            crd.source,
            crd.content()
        ))?);
    }
    crds.extend(
        parse_stream(&rendered.manifest_text(false))?
            .into_iter()
            .filter(|m| m.kind() == "CustomResourceDefinition"),
    );
    Ok(crds)
}

/// What applying the CRDs did, as `tare upgrade` reports it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CrdCounts {
    pub created: usize,
    pub updated: usize,
    pub skipped: usize,
}

impl std::fmt::Display for CrdCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} skipped",
            self.created, self.updated, self.skipped
        )
    }
}

/// Server-side applies the CRDs and waits until they are Established. A CRD
/// counts as skipped when the apply left it untouched (same resourceVersion).
pub async fn upsert_crds(
    applier: &Applier,
    crds: &[Manifest],
    plan: &ReleasePlan,
) -> Result<CrdCounts> {
    if crds.is_empty() {
        return Ok(CrdCounts::default());
    }
    let namespace = plan.system_namespace.as_str();
    // One metadata-only list instead of a GET per CRD.
    let existing: HashMap<String, ObjectMeta> =
        Api::<CustomResourceDefinition>::all(applier.client().clone())
            .list_metadata(&ListParams::default())
            .await
            .context("listing the cluster's CRDs")?
            .items
            .into_iter()
            .filter_map(|crd| Some((crd.metadata.name.clone()?, crd.metadata)))
            .collect();
    let applied: Vec<(CrdOutcome, bool)> = stream::iter(crds)
        .map(|crd| async {
            let (stamped, digest) = with_applied_digest(crd)?;
            let before = existing.get(crd.name());
            if before.is_some_and(|meta| is_unchanged_crd(meta, &digest, applier.field_manager())) {
                return anyhow::Ok((CrdOutcome::Skipped, true));
            }
            let after = applier.apply(&stamped, namespace).await?;
            let outcome = match before {
                None => CrdOutcome::Created,
                Some(meta) if meta.resource_version == after.metadata.resource_version => {
                    CrdOutcome::Skipped
                }
                Some(_) => CrdOutcome::Updated,
            };
            let established =
                readiness("CustomResourceDefinition", &after.data) == Readiness::Ready;
            anyhow::Ok((outcome, established))
        })
        .buffered(8)
        .try_collect()
        .await?;
    // Only CRDs the apply did not already return Established are waited on.
    let pending: Vec<Manifest> = crds
        .iter()
        .zip(&applied)
        .filter(|(_, (_, established))| !established)
        .map(|(crd, _)| crd.clone())
        .collect();
    wait_ready(applier, &pending, namespace, plan.timeout).await?;
    let mut counts = CrdCounts::default();
    for (outcome, _) in applied {
        match outcome {
            CrdOutcome::Created => counts.created += 1,
            CrdOutcome::Updated => counts.updated += 1,
            CrdOutcome::Skipped => counts.skipped += 1,
        }
    }
    Ok(counts)
}

/// The annotation that records which rendering of a CRD tare applied last.
const CRD_DIGEST_ANNOTATION: &str = "tare.tetrate.ai/applied-sha256";

/// The CRD with the digest of its rendering in an annotation, and the digest.
fn with_applied_digest(crd: &Manifest) -> Result<(Manifest, String)> {
    let digest = format!("{:x}", Sha256::digest(serde_json::to_vec(&crd.object)?));
    let mut object = crd.object.clone();
    object["metadata"]["annotations"][CRD_DIGEST_ANNOTATION] = json!(digest);
    Ok((Manifest::new(crd.source.clone(), object)?, digest))
}

/// A live CRD that tare applied from this same rendering and that nobody
/// changed since: only tare manages its fields (controllers write status
/// only). Such a CRD is not sent again: CRDs are large and there are many.
fn is_unchanged_crd(live: &ObjectMeta, digest: &str, field_manager: &str) -> bool {
    let recorded = live
        .annotations
        .as_ref()
        .and_then(|a| a.get(CRD_DIGEST_ANNOTATION));
    let only_ours = live.managed_fields.iter().flatten().all(|entry| {
        entry.manager.as_deref() == Some(field_manager)
            || entry.subresource.as_deref() == Some("status")
    });
    recorded.is_some_and(|d| d == digest) && only_ours
}

enum CrdOutcome {
    Created,
    Updated,
    Skipped,
}

/// Applies the namespaces at once; a namespaced operator, who may not
/// change namespaces, needs them to exist already.
async fn create_namespaces(applier: &Applier, namespaces: &[Value]) -> Result<()> {
    let namespaces_access = Access {
        verb: "patch",
        group: "",
        resource: "namespaces",
        namespace: None,
    };
    let may_change_namespaces = namespaces_access.allowed(applier.client()).await?;
    let outcomes = namespaces.iter().map(|object| async move {
        let manifest = Manifest::new("tare", object.clone())?;
        if !may_change_namespaces {
            return require_namespace(applier.client(), manifest.name()).await;
        }
        applier.apply(&manifest, "").await?;
        eprintln!("namespace {}: ok", manifest.name());
        Ok(())
    });
    futures::future::try_join_all(outcomes).await?;
    Ok(())
}

/// Applies the identity and pull secrets at once.
async fn apply_secrets(applier: &Applier, secrets: &[Value], namespace: &str) -> Result<()> {
    let outcomes = secrets.iter().map(|object| async move {
        let manifest = Manifest::new("tare", object.clone())?;
        applier.apply(&manifest, namespace).await?;
        eprintln!("secret {}: ok", manifest.name());
        anyhow::Ok(())
    });
    futures::future::try_join_all(outcomes).await?;
    Ok(())
}

/// A namespaced operator cannot create namespaces: they must exist already.
async fn require_namespace(client: &Client, name: &str) -> Result<()> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    match namespaces
        .get_opt(name)
        .await
        .with_context(|| format!("reading namespace {name}"))?
    {
        Some(_) => {
            eprintln!(
                "namespace {name}: exists (left as is: these credentials may not change namespaces)"
            );
            Ok(())
        }
        None => bail!(
            "namespace {name} does not exist and these credentials may not create namespaces: ask a cluster admin to create it"
        ),
    }
}

async fn may_change_crds(client: &Client) -> Result<bool> {
    let access = Access {
        verb: "patch",
        group: "apiextensions.k8s.io",
        resource: "customresourcedefinitions",
        namespace: None,
    };
    access.allowed(client).await
}

/// Credentials that may not apply CRDs can still install when a cluster admin
/// applied them (`--crds-only`): every CRD's kind must be served already.
async fn require_served(client: &Client, crds: &[Manifest], identity_file: &Path) -> Result<()> {
    let mut missing = Vec::new();
    for crd in crds {
        if !crd_served(client, &crd.object).await? {
            missing.push(crd.name().to_string());
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} of the chart's CRDs are not installed ({}) and these credentials may not apply CRDs: ask a cluster admin to run tare install {} --crds-only first",
            missing.len(),
            missing.join(", "),
            identity_file.display()
        );
    }
    eprintln!(
        "CRDs: all {} served (these credentials may not change CRDs; a cluster admin applies them with --crds-only)",
        crds.len()
    );
    Ok(())
}

/// Whether the cluster serves the CRD's kind in its storage version (discovery
/// is readable by every authenticated user, unlike the CRD objects).
async fn crd_served(client: &Client, crd: &Value) -> Result<bool> {
    let spec = &crd["spec"];
    let kind = spec["names"]["kind"].as_str().unwrap_or_default();
    let versions = spec["versions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some(version) = versions
        .iter()
        .find(|v| v["storage"] == true)
        .and_then(|v| v["name"].as_str())
    else {
        return Ok(false);
    };
    let group_version = format!("{}/{version}", spec["group"].as_str().unwrap_or_default());
    match client.list_api_group_resources(&group_version).await {
        Ok(list) => Ok(list.resources.iter().any(|r| r.kind == kind)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(error) => Err(error).with_context(|| format!("discovering {group_version}")),
    }
}

/// Revision and upgrade flag the release will be rendered with.
fn next_revision(history: &[Release]) -> (u32, bool) {
    match history.last() {
        Some(last) => (last.version + 1, last.status() != Status::Uninstalled),
        None => (1, false),
    }
}

/// HA needs metrics for the HPA to scale past its floor; without metrics-server
/// the floor still holds, so this only warns.
pub async fn warn_without_metrics_server(client: &Client) {
    let services: Api<APIService> = Api::all(client.clone());
    if let Ok(None) = services.get_opt("v1beta1.metrics.k8s.io").await {
        eprintln!(
            "warning: the cluster has no metrics.k8s.io APIService (metrics-server absent): the HA floor of 2 Envoy replicas applies, but the HPA cannot scale beyond it"
        );
    }
}
