//! `tare upgrade`, in the five phases of the upgrade reference: preflight,
//! discover the release and carry its values forward, HA preflight, CRDs,
//! then the atomic upgrade of the release.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kube::Client;

use crate::action::deploy::Deployed;
use crate::cli::UpgradeArgs;
use crate::kube::{Applier, connect};
use crate::release::{NotFound, Release, SecretStore, Status};
use crate::tars::carryover::{Carryover, not_carried};
use crate::tars::deploy::{
    ReleasePlan, TARE_FIELD_MANAGER, chart_crds, deploy_release, hold_release_lease, load_chart,
    release_values, upsert_crds, warn_without_metrics_server,
};
use crate::tars::identity::Identity;
use crate::tars::preflight::{
    HaState, cluster_reachable, envoy_ha_state, single_replica_refusal, upgrade_permitted,
};
use crate::tars::values::chart_values;

const PHASES: usize = 5;

fn phase(number: usize, name: &str) {
    eprintln!("[{number}/{PHASES}] {name}");
}

/// Runs `tare upgrade` with validated flags.
pub fn run(args: &UpgradeArgs) -> Result<ExitCode> {
    let identity = Identity::load(&args.identity_file)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(upgrade(args, &identity))
}

async fn upgrade(args: &UpgradeArgs, identity: &Identity) -> Result<ExitCode> {
    let client = connect(&args.cluster).await?;
    let namespace = &args.system_namespace;

    phase(1, "Preflight (cluster and permissions)");
    if args.skip_preflight {
        eprintln!("skipped (--skip-preflight / TARE_SKIP_PREFLIGHT)");
    } else {
        cluster_reachable(&client).await?;
        upgrade_permitted(&client, namespace).await?;
        if args.envoy.ha {
            warn_without_metrics_server(&client).await;
        }
    }

    phase(2, "Discover existing release");
    let installed = installed_release(&client, args).await?;
    check_workspace(&installed, identity)?;
    eprintln!(
        "release {} found in {namespace} (revision {}, {}, {})",
        args.release_name,
        installed.version,
        installed.chart_label(),
        installed.status().as_str()
    );
    let carried = Carryover::from_config(&installed.config);
    eprintln!("carried forward: {}", carried.summary());
    let effective = carried.overridden_by(args);
    if effective != carried {
        eprintln!("with flags: {}", effective.summary());
    }
    let values = chart_values(&effective.chart_settings(args, identity), identity);
    let dropped = not_carried(&installed.config, &release_values(&values));
    if !dropped.is_empty() {
        eprintln!(
            "not carried forward (the new chart's defaults or flags apply): {}",
            dropped.join(", ")
        );
    }

    phase(3, "HA preflight");
    ha_preflight(&client, args).await?;

    let plan = ReleasePlan {
        release_name: args.release_name.clone(),
        system_namespace: namespace.clone(),
        chart_path: args.chart_path.clone(),
        chart_version: args.chart_version.clone(),
        ca_file: args.ca_file.clone(),
        insecure_registry: args.insecure_registry,
        wait: true,
        timeout: args.timeout,
        atomic: !args.no_atomic,
        history_max: args.history_max,
        take_ownership: args.take_ownership,
    };
    let chart = load_chart(&plan).await?;
    match &plan.chart_path {
        Some(path) => eprintln!("Using chart {path}"),
        None => eprintln!("Using embedded chart"),
    }

    phase(4, "Apply / update CRDs");
    let applier = Applier::new(client.clone(), TARE_FIELD_MANAGER, true);
    let crds = chart_crds(&chart, &values, &plan)?;
    let counts = upsert_crds(&applier, &crds, &plan).await?;
    eprintln!("{counts}");

    phase(5, "Helm upgrade");
    let work = deploy_release(&client, &chart, &values, &plan);
    let deployed = hold_release_lease(&client, &plan, work).await?;
    report(args, &deployed);
    Ok(ExitCode::SUCCESS)
}

/// The newest revision of the release; an upgrade needs one that is installed.
async fn installed_release(client: &Client, args: &UpgradeArgs) -> Result<Release> {
    let store = SecretStore::new(client.clone(), args.system_namespace.clone());
    let refusal = || {
        format!(
            "no release \"{}\" in namespace {}: tare upgrade only upgrades an installed data plane; install it with: tare install {}",
            args.release_name,
            args.system_namespace,
            args.identity_file.display()
        )
    };
    match store.last(&args.release_name).await {
        Ok(last) if last.status() == Status::Uninstalled => {
            bail!("{} (it was uninstalled)", refusal())
        }
        Ok(last) => Ok(last),
        Err(error) if error.downcast_ref::<NotFound>().is_some() => bail!("{}", refusal()),
        Err(error) => Err(error),
    }
}

/// An identity of another workspace would re-point this data plane.
fn check_workspace(installed: &Release, identity: &Identity) -> Result<()> {
    let installed_workspace = installed.config["global"]["workspaceId"].as_str();
    match installed_workspace {
        Some(workspace) if workspace != identity.workspace_id => bail!(
            "the identity file is for workspace {} but release {} belongs to workspace {workspace}: use that workspace's identity file",
            identity.workspace_id,
            installed.name
        ),
        _ => Ok(()),
    }
}

async fn ha_preflight(client: &Client, args: &UpgradeArgs) -> Result<()> {
    match envoy_ha_state(client, &args.system_namespace).await {
        HaState::Ha(floor) => eprintln!("EnvoyProxy minReplicas={floor} (HA)"),
        HaState::SingleReplica(floor) if args.allow_downtime => eprintln!(
            "warning: EnvoyProxy minReplicas={floor}: upgrading with downtime (--allow-downtime); in-flight LLM streams will be dropped"
        ),
        HaState::SingleReplica(floor) => bail!(
            "{}",
            single_replica_refusal(floor, &args.identity_file.display().to_string())
        ),
        HaState::Unknown(why) => eprintln!(
            "warning: HA preflight skipped ({why}); verify that the data plane runs at least 2 Envoy replicas"
        ),
    }
    Ok(())
}

fn report(args: &UpgradeArgs, deployed: &Deployed) {
    let release = &args.release_name;
    let namespace = &args.system_namespace;
    if deployed.unchanged {
        eprintln!(
            "Release \"{release}\" is up to date at revision {} (nothing changed; its objects were re-applied)",
            deployed.release.version
        );
    } else {
        eprintln!(
            "Release \"{release}\" upgraded: revision {}",
            deployed.release.version
        );
    }
    let dataplane_namespace = deployed.release.config["global"]["dataplaneNamespace"]
        .as_str()
        .unwrap_or("tars-dataplane");
    eprintln!("Upgrade completed.");
    eprintln!();
    eprintln!("Rollback (if needed):");
    eprintln!(
        "tare rollback -n {namespace} --release-name {release}   (or: helm rollback {release} -n {namespace})"
    );
    eprintln!("Inspect:");
    eprintln!("kubectl get pods -n {namespace}");
    eprintln!("kubectl get pods -n {dataplane_namespace}");
}
