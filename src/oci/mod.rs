//! Copying images and charts between OCI registries: what `--image-sync` does.
//!
//! `sync` copies every image of a plan by digest (whole indexes, every
//! platform) and pushes a Helm chart as an OCI artifact. The pieces:
//! `reference` (names and digests), `auth` (credentials and challenges),
//! `client` (one registry over the distribution API), `copy` (the engine),
//! `verify` (hashing while streaming), `retry`, `progress`, `helm_chart`.

pub mod auth;
mod client;
mod copy;
pub mod error;
mod helm_chart;
mod progress;
pub mod reference;
mod retry;
mod verify;

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};

pub use auth::{Credentials, RegistryLogin, docker_login};
pub use client::Registry;
pub use copy::ImageOutcome;
pub use error::{ErrorKind, RegistryError, Side};
pub use helm_chart::{CONFIG_MEDIA_TYPE, CONTENT_MEDIA_TYPE, HelmChart, pull_chart};
pub use reference::{Digest, Reference, is_loopback};

use copy::Copier;
use progress::{Progress, Tally};

/// Images copied at once; each streams its blobs through the shared slots.
const PARALLEL_IMAGES: usize = 4;
/// Blobs streamed at once across all images.
const PARALLEL_BLOBS: usize = 8;

/// What to put in the destination.
pub struct SyncPlan {
    /// (source, destination) pairs; each destination keeps its source's tag.
    pub images: Vec<(Reference, Reference)>,
    /// A chart to push: the artifact, its repository and its tags.
    pub chart: Option<(HelmChart, Reference, Vec<String>)>,
}

/// The first failure of a sync, with the image it happened to.
#[derive(Debug)]
pub struct SyncFailure {
    /// `source → destination`, or the chart reference.
    pub image: String,
    pub error: RegistryError,
}

/// Copies everything in `plan` from `source` to `destination`, printing
/// progress on stderr. Returns the closing summary line.
pub async fn sync(
    plan: &SyncPlan,
    source: Arc<Registry>,
    destination: Arc<Registry>,
) -> Result<String, SyncFailure> {
    let progress = Arc::new(Progress::new(
        plan.images.len() + usize::from(plan.chart.is_some()),
    ));
    let ticker = tokio::spawn({
        let progress = progress.clone();
        async move {
            loop {
                tokio::time::sleep(Progress::TICK).await;
                progress.tick();
            }
        }
    });
    let copier = Copier::new(
        source,
        destination.clone(),
        PARALLEL_BLOBS,
        progress.clone(),
    );
    let images = futures::stream::iter(&plan.images)
        .map(|(from, to)| copy_one(&copier, &progress, from, to))
        .buffer_unordered(PARALLEL_IMAGES)
        .try_collect::<Vec<()>>();
    let outcome = match images.await {
        Ok(_) => match &plan.chart {
            Some((chart, to, tags)) => push_one(&destination, &progress, chart, to, tags).await,
            None => Ok(()),
        },
        Err(failure) => Err(failure),
    };
    ticker.abort();
    progress.finish();
    outcome.map(|()| progress.summary())
}

async fn copy_one(
    copier: &Copier,
    progress: &Progress,
    from: &Reference,
    to: &Reference,
) -> Result<(), SyncFailure> {
    let tally = Tally::default();
    let outcome = copier
        .copy_image(from, to, &tally)
        .await
        .map_err(|error| SyncFailure {
            image: format!("{from} → {to}"),
            error,
        })?;
    progress.image_done(outcome == ImageOutcome::UpToDate);
    progress.say(&match outcome {
        ImageOutcome::UpToDate => format!("  {to}: up to date"),
        ImageOutcome::Copied => format!("  copied {from} → {to}: {}", tally.describe()),
    });
    Ok(())
}

async fn push_one(
    destination: &Registry,
    progress: &Progress,
    chart: &HelmChart,
    to: &Reference,
    tags: &[String],
) -> Result<(), SyncFailure> {
    let tally = Tally::default();
    let outcome = helm_chart::push_chart(destination, &to.repository, tags, chart, &tally)
        .await
        .map_err(|error| SyncFailure {
            image: to.to_string(),
            error: error.at(Side::Destination),
        })?;
    progress.totals.absorb(&tally);
    progress.image_done(outcome == ImageOutcome::UpToDate);
    let tags = tags.join(", ");
    progress.say(&match outcome {
        ImageOutcome::UpToDate => format!(
            "  chart {}/{} ({tags}): up to date",
            to.registry, to.repository
        ),
        ImageOutcome::Copied => format!(
            "  pushed chart {}/{} ({tags}): {}",
            to.registry,
            to.repository,
            tally.describe()
        ),
    });
    Ok(())
}
