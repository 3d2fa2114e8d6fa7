//! The copy engine: an image (manifest or whole index) goes from the source to
//! the destination by digest, children before parents, so a manifest present
//! at the destination always means everything under it is there too. That is
//! what makes a re-run after an interruption copy only what is missing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, try_join_all};
use http_body_util::BodyExt;
use serde::Deserialize;
use tokio::sync::{OnceCell, Semaphore};

use super::client::{Body, Manifest, Registry, Upload};
use super::error::{ErrorKind, RegistryError, Side};
use super::progress::{BlobOutcome, Progress, Tally};
use super::reference::{Digest, Reference};
use super::retry::with_retries;
use super::verify::Verified;

/// How a whole image went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageOutcome {
    /// The destination tag already pointed at the source's digest.
    UpToDate,
    Copied,
}

/// A content descriptor inside a manifest or index.
#[derive(Debug, Deserialize)]
struct Descriptor {
    digest: String,
    size: u64,
}

/// The parts of a manifest or index the copy follows.
#[derive(Debug, Deserialize)]
struct Links {
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// Copies images from one registry to another, sharing blob transfers.
pub struct Copier {
    source: Arc<Registry>,
    destination: Arc<Registry>,
    /// Bounds the blobs streamed at once, across all images.
    transfers: Semaphore,
    /// Each blob's first destination repository in this run: later images
    /// wait for it, then mount from there instead of copying again.
    homes: Ledger<Digest, String>,
    /// The blobs placed in other repositories than their home, by mount or copy.
    mounts: Ledger<(Digest, String), ()>,
    progress: Arc<Progress>,
}

/// A failed copy, with the operation that failed.
type Result<T> = std::result::Result<T, RegistryError>;

impl Copier {
    pub fn new(
        source: Arc<Registry>,
        destination: Arc<Registry>,
        parallel_blobs: usize,
        progress: Arc<Progress>,
    ) -> Copier {
        Copier {
            source,
            destination,
            transfers: Semaphore::new(parallel_blobs),
            homes: Mutex::new(HashMap::new()),
            mounts: Mutex::new(HashMap::new()),
            progress,
        }
    }

    /// Copies `from` (tag or digest) to `to` (same tag) with every manifest
    /// and blob under it; the destination ends with the source's digest.
    pub async fn copy_image(
        &self,
        from: &Reference,
        to: &Reference,
        tally: &Tally,
    ) -> Result<ImageOutcome> {
        let reference = from.manifest_reference();
        let top = with_retries(|| self.source.manifest(&from.repository, &reference))
            .await
            .map_err(|e| e.at(Side::Source))?;
        let target = to.tag.clone().unwrap_or_else(|| top.digest.to_string());
        let existing = with_retries(|| self.destination.manifest_digest(&to.repository, &target))
            .await
            .map_err(|e| e.at(Side::Destination))?;
        if existing.as_ref() == Some(&top.digest) {
            return Ok(ImageOutcome::UpToDate);
        }
        self.copy_children(&from.repository, &to.repository, &top, tally)
            .await?;
        with_retries(|| self.destination.put_manifest(&to.repository, &target, &top))
            .await
            .map_err(|e| e.at(Side::Destination))?;
        Ok(ImageOutcome::Copied)
    }

    /// Everything `manifest` refers to: platform manifests of an index (each
    /// with its own blobs), or the config and layers of an image manifest.
    fn copy_children<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        manifest: &'a Manifest,
        tally: &'a Tally,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let links: Links = serde_json::from_slice(&manifest.bytes).map_err(|e| {
                RegistryError::new(
                    ErrorKind::Other,
                    format!(
                        "manifest {} of {from} is not valid JSON: {e}",
                        manifest.digest
                    ),
                )
            })?;
            let children = links
                .manifests
                .iter()
                .map(|child| self.copy_child(from, to, child, tally));
            try_join_all(children).await?;
            let blobs = links.config.iter().chain(&links.layers);
            try_join_all(blobs.map(|blob| self.copy_blob(from, to, blob, tally))).await?;
            Ok(())
        })
    }

    /// One platform manifest of an index, pushed by digest after its blobs.
    async fn copy_child(
        &self,
        from: &str,
        to: &str,
        child: &Descriptor,
        tally: &Tally,
    ) -> Result<()> {
        let digest = parse_digest(&child.digest)?;
        let present = with_retries(|| self.destination.manifest_digest(to, digest.as_str()))
            .await
            .map_err(|e| e.at(Side::Destination))?;
        if present.is_some() {
            return Ok(());
        }
        let manifest = with_retries(|| self.source.manifest(from, digest.as_str()))
            .await
            .map_err(|e| e.at(Side::Source))?;
        self.copy_children(from, to, &manifest, tally).await?;
        with_retries(|| {
            self.destination
                .put_manifest(to, digest.as_str(), &manifest)
        })
        .await
        .map_err(|e| e.at(Side::Destination))
    }

    /// One blob, copied once per run: the first image to need it streams it
    /// (or finds it present); others mount it from there.
    async fn copy_blob(
        &self,
        from: &str,
        to: &str,
        blob: &Descriptor,
        tally: &Tally,
    ) -> Result<()> {
        let digest = parse_digest(&blob.digest)?;
        let mut outcome = None;
        let home_cell = ledger_cell(&self.homes, digest.clone());
        let home = home_cell
            .get_or_try_init(|| async {
                outcome = Some(self.transfer(from, to, &digest, blob.size, None).await?);
                Ok::<_, RegistryError>(to.to_string())
            })
            .await?;
        if outcome.is_none() && home != to {
            // Once per repository: registries race on concurrent mounts of
            // one blob into one repository (distribution's filesystem driver
            // briefly shows the link empty).
            ledger_cell(&self.mounts, (digest.clone(), to.to_string()))
                .get_or_try_init(|| async {
                    outcome = Some(
                        self.transfer(from, to, &digest, blob.size, Some(home))
                            .await?,
                    );
                    Ok::<_, RegistryError>(())
                })
                .await?;
        }
        let outcome = outcome.unwrap_or(BlobOutcome::Present);
        tally.record(outcome, blob.size);
        self.progress.totals.record(outcome, blob.size);
        Ok(())
    }

    /// Gets `digest` into `to`: nothing if it is there, a mount from
    /// `mount_from` when the registry agrees, else a verified stream.
    async fn transfer(
        &self,
        from: &str,
        to: &str,
        digest: &Digest,
        size: u64,
        mount_from: Option<&str>,
    ) -> Result<BlobOutcome> {
        let _slot = self
            .transfers
            .acquire()
            .await
            .expect("the semaphore is never closed");
        with_retries(|| async {
            let at_destination = |e: RegistryError| e.at(Side::Destination);
            if self
                .destination
                .has_blob(to, digest)
                .await
                .map_err(at_destination)?
            {
                return Ok(BlobOutcome::Present);
            }
            let mount = mount_from.map(|home| (digest, home));
            let location = match self
                .destination
                .start_upload(to, mount)
                .await
                .map_err(at_destination)?
            {
                Upload::Mounted => return Ok(BlobOutcome::Mounted),
                Upload::Open { location } => location,
            };
            let content = self
                .source
                .blob(from, digest)
                .await
                .map_err(|e| e.at(Side::Source))?;
            let progress = self.progress.clone();
            let count = Arc::new(move |n| progress.streamed(n));
            let body: Body = Verified::new(content, digest.clone(), size, count).boxed();
            self.destination
                .finish_upload(to, &location, digest, size, body)
                .await
                .map_err(at_destination)?;
            Ok(BlobOutcome::Copied)
        })
        .await
    }
}

/// Work done at most once per key; late comers wait for the first one's result.
type Ledger<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

fn ledger_cell<K: Eq + Hash, V>(ledger: &Ledger<K, V>, key: K) -> Arc<OnceCell<V>> {
    let mut cells = ledger.lock().expect("blob ledger lock");
    cells.entry(key).or_default().clone()
}

fn parse_digest(text: &str) -> Result<Digest> {
    Digest::parse(text).map_err(|e| RegistryError::new(ErrorKind::Other, e.to_string()))
}
