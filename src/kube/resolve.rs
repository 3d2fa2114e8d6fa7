//! apiVersion + kind → the API endpoint, with a cache. Kinds whose CRD was
//! just created may take a moment to be served, so a miss is retried briefly.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Result, bail};
use kube::Client;
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope, pinned_kind};

/// How long to keep asking for a kind that is not served (yet).
const NEW_KIND_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Resolved {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// Resolves kinds to API resources; shared by every object of an operation.
pub struct Resolver {
    client: Client,
    cache: Mutex<HashMap<(String, String), Resolved>>,
}

impl Resolver {
    pub fn new(client: Client) -> Resolver {
        Resolver {
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Resolved> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(found) = self.cache.lock().expect("resolver cache").get(&key) {
            return Ok(found.clone());
        }
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let deadline = tokio::time::Instant::now() + NEW_KIND_GRACE;
        let (resource, capabilities): (ApiResource, ApiCapabilities) = loop {
            match pinned_kind(&self.client, &gvk).await {
                Ok(found) => break found,
                Err(error) if tokio::time::Instant::now() < deadline && is_not_served(&error) => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(error) if is_not_served(&error) => bail!(
                    "the cluster does not serve kind {kind} in {api_version}: is its CustomResourceDefinition installed?"
                ),
                Err(error) => bail!("cannot look up kind {kind} in {api_version}: {error}"),
            }
        };
        let resolved = Resolved {
            resource,
            namespaced: capabilities.scope == Scope::Namespaced,
        };
        self.cache
            .lock()
            .expect("resolver cache")
            .insert(key, resolved.clone());
        Ok(resolved)
    }
}

fn is_not_served(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => status.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}
