//! Server-side apply of rendered manifests: one object, or a whole set in
//! Helm's kind order, stage by stage, objects of a stage concurrently.

use std::sync::Arc;

use anyhow::{Context, Result};
use futures::stream::{self, StreamExt, TryStreamExt};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use super::resolve::{Resolved, Resolver};
use crate::manifest::{Manifest, sort_for_install, stages};

/// Objects of one kind applied at the same time.
const STAGE_CONCURRENCY: usize = 8;

/// Applies objects for one operation; cheap to share between tasks.
#[derive(Clone)]
pub struct Applier {
    client: Client,
    resolver: Arc<Resolver>,
    field_manager: String,
    /// Take over fields another manager owns (SSA `force`).
    force: bool,
}

/// Where an object lives once its kind's scope is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

impl Applier {
    pub fn new(client: Client, field_manager: &str, force: bool) -> Applier {
        Applier {
            resolver: Arc::new(Resolver::new(client.clone())),
            client,
            field_manager: field_manager.to_string(),
            force,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn field_manager(&self) -> &str {
        &self.field_manager
    }

    /// The API for `manifest`'s kind, and its reference with the namespace
    /// settled: `default_namespace` when namespaced and unset, none when cluster-scoped.
    pub async fn locate(
        &self,
        manifest: &Manifest,
        default_namespace: &str,
    ) -> Result<(Api<DynamicObject>, ObjectRef)> {
        let Resolved {
            resource,
            namespaced,
        } = self
            .resolver
            .resolve(manifest.api_version(), manifest.kind())
            .await?;
        let namespace = namespaced.then(|| {
            manifest
                .namespace()
                .unwrap_or(default_namespace)
                .to_string()
        });
        let api = match &namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        };
        let reference = ObjectRef {
            api_version: manifest.api_version().to_string(),
            kind: manifest.kind().to_string(),
            namespace,
            name: manifest.name().to_string(),
        };
        Ok((api, reference))
    }

    /// Server-side applies one object and returns what the server stored.
    pub async fn apply(
        &self,
        manifest: &Manifest,
        default_namespace: &str,
    ) -> Result<DynamicObject> {
        let (api, reference) = self.locate(manifest, default_namespace).await?;
        let mut body = manifest.object.clone();
        match &reference.namespace {
            Some(ns) => body["metadata"]["namespace"] = Value::String(ns.clone()),
            None => {
                if let Some(metadata) = body["metadata"].as_object_mut() {
                    metadata.remove("namespace");
                }
            }
        }
        let mut params = PatchParams::apply(&self.field_manager);
        params.force = self.force;
        api.patch(&reference.name, &params, &Patch::Apply(&body))
            .await
            .map_err(|e| describe_api_error(e, &reference))
            .with_context(|| format!("applying {reference} (from {})", manifest.source))
    }

    /// Applies everything in Helm's install order: one kind per stage, the
    /// objects of a stage concurrently, each stage finished before the next.
    pub async fn apply_all(
        &self,
        manifests: &[Manifest],
        default_namespace: &str,
    ) -> Result<Vec<DynamicObject>> {
        let mut ordered = manifests.to_vec();
        sort_for_install(&mut ordered);
        let mut applied = Vec::with_capacity(ordered.len());
        for stage in stages(&ordered) {
            let results: Vec<DynamicObject> = stream::iter(stage)
                .map(|manifest| self.apply(manifest, default_namespace))
                .buffered(STAGE_CONCURRENCY)
                .try_collect()
                .await?;
            applied.extend(results);
        }
        Ok(applied)
    }

    /// Reads the live object, if it exists.
    pub async fn get(
        &self,
        manifest: &Manifest,
        default_namespace: &str,
    ) -> Result<Option<DynamicObject>> {
        let (api, reference) = self.locate(manifest, default_namespace).await?;
        api.get_opt(&reference.name)
            .await
            .map_err(|e| describe_api_error(e, &reference))
            .with_context(|| format!("reading {reference}"))
    }

    /// Removes every finalizer of a live object, so that a deletion blocked on
    /// a controller that is gone can finish.
    pub async fn clear_finalizers(
        &self,
        manifest: &Manifest,
        default_namespace: &str,
    ) -> Result<()> {
        let (api, reference) = self.locate(manifest, default_namespace).await?;
        let patch = serde_json::json!({ "metadata": { "finalizers": null } });
        match api
            .patch(
                &reference.name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(describe_api_error(error, &reference))
                .with_context(|| format!("clearing the finalizers of {reference}")),
        }
    }

    /// Deletes an object (background propagation); a missing one is fine.
    /// Returns whether it still exists, waiting for finalizers.
    pub async fn delete(&self, manifest: &Manifest, default_namespace: &str) -> Result<bool> {
        let (api, reference) = self.locate(manifest, default_namespace).await?;
        match api
            .delete(&reference.name, &DeleteParams::background())
            .await
        {
            Ok(deleted) => Ok(deleted.is_left()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
            Err(error) => Err(describe_api_error(error, &reference))
                .with_context(|| format!("deleting {reference}")),
        }
    }
}

/// Turns the API server's refusals into sentences an operator can act on.
fn describe_api_error(error: kube::Error, reference: &ObjectRef) -> anyhow::Error {
    match &error {
        kube::Error::Api(status) if status.code == 403 => anyhow::anyhow!(
            "forbidden: your credentials may not change {reference} ({}); ask a cluster admin for the RBAC rights, or run tare install --crds-only as one first for cluster-scoped objects",
            status.message
        ),
        kube::Error::Api(status) if status.code == 409 => anyhow::anyhow!(
            "conflict on {reference}: {} (another field manager owns these fields)",
            status.message
        ),
        kube::Error::Api(status) => {
            anyhow::anyhow!("{} ({} {})", status.message, status.code, status.reason)
        }
        _ => anyhow::Error::new(error),
    }
}
