//! apiVersion + kind → the API endpoint, with a cache. Each group-version's
//! resource list is fetched once, even when many objects ask at the same
//! time. Kinds whose CRD was just created may take a moment to be served,
//! so a miss is retried briefly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList;
use kube::Client;
use kube::discovery::ApiResource;

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
    /// (apiVersion, kind) → resource, for every kind of the fetched lists.
    cache: Mutex<HashMap<(String, String), Resolved>>,
    /// One lock per apiVersion, so concurrent lookups wait for one fetch.
    fetches: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Resolver {
    pub fn new(client: Client) -> Resolver {
        Resolver {
            client,
            cache: Mutex::new(HashMap::new()),
            fetches: Mutex::new(HashMap::new()),
        }
    }

    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Resolved> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(found) = self.cached(&key) {
            return Ok(found);
        }
        let fetch = self.fetch_lock(api_version);
        let _turn = fetch.lock().await;
        let deadline = tokio::time::Instant::now() + NEW_KIND_GRACE;
        loop {
            // Another lookup may have fetched this group-version meanwhile.
            if let Some(found) = self.cached(&key) {
                return Ok(found);
            }
            match self.list(api_version).await {
                Ok(list) => self.remember(&list),
                Err(error) if !is_not_served(&error) => {
                    bail!("cannot look up kind {kind} in {api_version}: {error}")
                }
                Err(_) => {}
            }
            if let Some(found) = self.cached(&key) {
                return Ok(found);
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "the cluster does not serve kind {kind} in {api_version}: is its CustomResourceDefinition installed?"
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    fn cached(&self, key: &(String, String)) -> Option<Resolved> {
        self.cache.lock().expect("resolver cache").get(key).cloned()
    }

    fn fetch_lock(&self, api_version: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.fetches
            .lock()
            .expect("resolver fetches")
            .entry(api_version.to_string())
            .or_default()
            .clone()
    }

    async fn list(&self, api_version: &str) -> kube::Result<APIResourceList> {
        match api_version.split_once('/') {
            Some(_) => self.client.list_api_group_resources(api_version).await,
            None => self.client.list_core_api_resources(api_version).await,
        }
    }

    /// Caches every kind of a group-version (subresources such as
    /// `deployments/status` are not kinds of their own).
    fn remember(&self, list: &APIResourceList) {
        let (group, version) = match list.group_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", list.group_version.as_str()),
        };
        let mut cache = self.cache.lock().expect("resolver cache");
        for resource in list.resources.iter().filter(|r| !r.name.contains('/')) {
            let resolved = Resolved {
                resource: ApiResource {
                    group: group.to_string(),
                    version: version.to_string(),
                    api_version: list.group_version.clone(),
                    kind: resource.kind.clone(),
                    plural: resource.name.clone(),
                },
                namespaced: resource.namespaced,
            };
            cache.insert(
                (list.group_version.clone(), resource.kind.clone()),
                resolved,
            );
        }
    }
}

fn is_not_served(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => status.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}
