//! `--image-sync`: copies the chart's pinned images from the source registry
//! to the operator's registry and pushes the embedded chart there as an OCI
//! artifact. Decides credentials and wording; the copying is `crate::oci`.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;

use crate::oci::{
    self, Credentials, ErrorKind, HelmChart, Reference, Registry, RegistryLogin, Side, SyncFailure,
    SyncPlan, docker_login, is_loopback,
};
use crate::tars::chart::{CHART_TGZ, files};
use crate::tars::documents::from_yaml;
use crate::tars::identity::Identity;
use crate::tars::images::{CHART_REPOSITORY, chart_reference};
use crate::tars::values::Registries;

/// What the sync needs from `tare install`.
pub struct ImageSync<'a> {
    /// (source, destination) reference of every image the install uses.
    pub images: Vec<(String, String)>,
    pub registries: &'a Registries,
    pub identity: &'a Identity,
    pub identity_file: &'a Path,
    /// `--insecure-registry`: plain HTTP to non-loopback registries too.
    pub insecure: bool,
}

/// Copies the images and pushes the chart; progress and the summary go to stderr.
pub fn run(sync: &ImageSync) -> Result<()> {
    if sync.registries.source == sync.registries.pull {
        bail!(
            "--image-sync {} is also the source registry: copy from another one (--image-registry, then REGISTRY_URL)",
            sync.registries.pull
        );
    }
    let plan = plan(sync)?;
    let source_host = registry_host(&sync.registries.source);
    let destination_host = registry_host(&sync.registries.pull);
    // A `docker login` for the source wins (mirror to mirror); else the identity.
    let docker_source_login = docker_login(source_host)?;
    let uses_identity = docker_source_login.credentials == Credentials::Anonymous;
    let source_login = if uses_identity {
        identity_login(sync)
    } else {
        docker_source_login
    };
    let destination_login = docker_login(destination_host)?;
    let source = Registry::new(
        source_host,
        plain_http(source_host, sync.insecure),
        source_login,
    );
    let destination = Registry::new(
        destination_host,
        plain_http(destination_host, sync.insecure),
        destination_login,
    );
    eprintln!(
        "Syncing images {} → {}",
        sync.registries.source, sync.registries.pull
    );
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let outcome = runtime.block_on(oci::sync(&plan, source.clone(), destination.clone()));
    match outcome {
        Ok(summary) => {
            eprintln!("Image sync complete: {summary}.");
            Ok(())
        }
        Err(failure) => Err(explain(failure, &source, &destination, uses_identity, sync)),
    }
}

fn plan(sync: &ImageSync) -> Result<SyncPlan> {
    let images = sync
        .images
        .iter()
        .map(|(from, to)| Ok((Reference::parse(from)?, Reference::parse(to)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut tags = vec![crate::version::chart_oci_tag()];
    tags.extend(crate::version::release_tag());
    Ok(SyncPlan {
        images,
        chart: Some((
            embedded_chart()?,
            Reference::parse(&chart_reference(&sync.registries.pull))?,
            tags,
        )),
    })
}

/// The embedded chart as Helm pushes it: Chart.yaml as JSON for the config.
fn embedded_chart() -> Result<HelmChart> {
    let (_, chart_yaml) = files()?
        .into_iter()
        .find(|(path, _)| path == "Chart.yaml")
        .context("the embedded chart has no Chart.yaml")?;
    let chart_yaml = String::from_utf8(chart_yaml).context("Chart.yaml is not UTF-8")?;
    let metadata = from_yaml(&chart_yaml, "the embedded Chart.yaml")?;
    Ok(HelmChart {
        name: CHART_REPOSITORY.to_string(),
        version: crate::version::chart_version().to_string(),
        metadata: Bytes::from(serde_json::to_vec(&metadata)?),
        package: Bytes::from_static(CHART_TGZ),
    })
}

/// `gcr.io/acme/tars` → `gcr.io`.
fn registry_host(registry: &str) -> &str {
    registry.split('/').next().unwrap_or(registry)
}

fn plain_http(host: &str, insecure: bool) -> bool {
    insecure || is_loopback(host)
}

/// The identity's token as the password, its workspace id as the user name:
/// registries that ask for basic auth get it directly, token-flow registries
/// at their realm.
fn identity_login(sync: &ImageSync) -> RegistryLogin {
    RegistryLogin {
        credentials: Credentials::Basic {
            username: sync.identity.workspace_id.clone(),
            password: sync.identity.token().to_string(),
        },
        origin: format!(
            "the token of identity file {}",
            sync.identity_file.display()
        ),
    }
}

/// One line that names the image and the registry and says what to do.
fn explain(
    failure: SyncFailure,
    source: &Registry,
    destination: &Registry,
    source_uses_identity: bool,
    sync: &ImageSync,
) -> anyhow::Error {
    let SyncFailure { image, error } = failure;
    let side = error.side.unwrap_or(Side::Destination);
    let registry = match side {
        Side::Source => source,
        Side::Destination => destination,
    };
    let role = match side {
        Side::Source => "source",
        Side::Destination => "destination",
    };
    let host = &registry.host;
    let what_to_do = match (&error.kind, side) {
        (ErrorKind::Unauthorized | ErrorKind::Denied, _) => {
            let origin = registry
                .credentials_origin()
                .unwrap_or("anonymous access (no docker login for it)");
            let fix = match side {
                Side::Source if source_uses_identity => {
                    "regenerate the credential (Dashboard → System → Settings → Data plane → \
                     Credentials), download the new identity file and retry"
                        .to_string()
                }
                Side::Source => {
                    format!("run docker login {host} with credentials that may pull, and retry")
                }
                Side::Destination => {
                    format!("run docker login {host} with credentials that may push, and retry")
                }
            };
            format!("the {role} registry {host} did not accept {origin}: {fix}")
        }
        (ErrorKind::NotFound, Side::Source) => format!(
            "the {role} registry {host} has no such image: check that {} is the right source \
             (--image-registry, then REGISTRY_URL) and that --image-tag names a published tag",
            sync.registries.source
        ),
        (ErrorKind::Tls, _) => format!(
            "TLS with the {role} registry {host} failed: if it serves plain HTTP, pass --insecure-registry; \
             otherwise install its CA certificate in the system trust store"
        ),
        (ErrorKind::Transport | ErrorKind::Busy(_), _) => format!(
            "the {role} registry {host} is unreachable or overloaded: check the network and retry \
             (a re-run copies only what is missing)"
        ),
        _ => format!("the {role} registry {host} refused it"),
    };
    anyhow!(
        "image sync failed for {image}: {what_to_do} ({})",
        error.message
    )
}
