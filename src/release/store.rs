//! Release records in Secrets, read and written exactly as Helm's Secret
//! driver and `pkg/storage` do, so helm v3 and v4 see tare's revisions and
//! tare sees theirs.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Context, Result, bail};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ListParams, ObjectMeta, PostParams};
use kube::{Api, Client};

use super::codec;
use super::model::{Release, Status};

/// `type` of every release Secret.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// The key of the record in the Secret's data.
const DATA_KEY: &str = "release";
/// Labels Helm sets itself; `--labels` may not use them.
pub const SYSTEM_LABELS: [&str; 6] = [
    "name",
    "owner",
    "status",
    "version",
    "createdAt",
    "modifiedAt",
];

/// The most a Secret's data may hold (the API server refuses more).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// `sh.helm.release.v1.<name>.v<revision>`.
pub fn secret_name(release: &str, revision: u32) -> String {
    format!("sh.helm.release.v1.{release}.v{revision}")
}

/// A lookup that found nothing. Callers tell the cases apart with
/// `error.downcast_ref::<NotFound>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// No revision at all (Helm: `release: not found`).
    Release { name: String, namespace: String },
    /// Revisions exist but none is deployed (Helm: `"<name>" has no deployed releases`).
    Deployed { name: String, namespace: String },
    /// That revision does not exist (Helm: `release: not found`).
    Revision {
        name: String,
        namespace: String,
        revision: u32,
    },
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotFound::Release { name, namespace } => write!(
                f,
                "no release named \"{name}\" in namespace \"{namespace}\"; install it first with \
                 tare install (or pass the namespace that holds it with --system-namespace)"
            ),
            NotFound::Deployed { name, namespace } => write!(
                f,
                "release \"{name}\" in namespace \"{namespace}\" has no deployed revision; \
                 see `tare history` and install it again"
            ),
            NotFound::Revision {
                name,
                namespace,
                revision,
            } => write!(
                f,
                "release \"{name}\" in namespace \"{namespace}\" has no revision {revision}; \
                 `tare history` lists the revisions it has"
            ),
        }
    }
}

impl std::error::Error for NotFound {}

/// The release records of one namespace.
#[derive(Clone)]
pub struct SecretStore {
    client: Client,
    namespace: String,
}

impl SecretStore {
    /// The store of `namespace` (the release namespace: helm's `-n`).
    pub fn new(client: Client, namespace: impl Into<String>) -> SecretStore {
        SecretStore {
            client,
            namespace: namespace.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn api(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn qualified(&self, secret: &str) -> String {
        format!("{}/{secret}", self.namespace)
    }

    /// Every revision of `name`, oldest first. [`NotFound::Release`] when none.
    ///
    /// A record that does not decode is an error naming its Secret (helm
    /// skips such records silently; tare would rather not miscount revisions).
    pub async fn history(&self, name: &str) -> Result<Vec<Release>> {
        let releases = self
            .query(&format!("name={name},owner=helm"))
            .await
            .with_context(|| format!("cannot read the history of release \"{name}\""))?;
        if releases.is_empty() {
            return Err(NotFound::Release {
                name: name.to_string(),
                namespace: self.namespace.clone(),
            }
            .into());
        }
        Ok(releases)
    }

    /// The revision with the highest number (Helm's `Last`).
    pub async fn last(&self, name: &str) -> Result<Release> {
        let mut history = self.history(name).await?;
        Ok(history.pop().expect("history is never empty"))
    }

    /// The highest revision whose Secret is labelled `status=deployed`
    /// (Helm's `Deployed`). [`NotFound::Deployed`] when there is none.
    pub async fn deployed(&self, name: &str) -> Result<Release> {
        let mut deployed = self
            .query(&format!("name={name},owner=helm,status=deployed"))
            .await
            .with_context(|| format!("cannot read the deployed revision of release \"{name}\""))?;
        deployed.pop().ok_or_else(|| {
            NotFound::Deployed {
                name: name.to_string(),
                namespace: self.namespace.clone(),
            }
            .into()
        })
    }

    /// One revision. [`NotFound::Revision`] when it does not exist.
    pub async fn get(&self, name: &str, revision: u32) -> Result<Release> {
        let secret_name = secret_name(name, revision);
        let secret = self
            .api()
            .get_opt(&secret_name)
            .await
            .with_context(|| format!("cannot read {}", self.qualified(&secret_name)))?
            .ok_or_else(|| NotFound::Revision {
                name: name.to_string(),
                namespace: self.namespace.clone(),
                revision,
            })?;
        self.decode(&secret)
    }

    /// Every release record in the namespace (`owner=helm`), grouped by
    /// release name and ordered by revision.
    pub async fn list(&self) -> Result<Vec<Release>> {
        let mut releases = self
            .query("owner=helm")
            .await
            .context("cannot list the release records")?;
        releases.sort_by(|a, b| a.name.cmp(&b.name).then(a.version.cmp(&b.version)));
        Ok(releases)
    }

    /// Writes a new revision (POST, so a concurrent writer of the same
    /// revision fails instead of overwriting it). Labels: the release's
    /// custom labels, `createdAt`, and `name`/`owner`/`status`/`version`.
    pub async fn create(&self, release: &Release) -> Result<()> {
        let secret = self.secret_for(release, "createdAt")?;
        let name = secret.metadata.name.clone().unwrap_or_default();
        match self.api().create(&PostParams::default(), &secret).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Err(anyhow::anyhow!(
                "revision {} of release \"{}\" already exists ({}): another tare or helm \
                 is changing this release; wait for it and retry",
                release.version,
                release.name,
                self.qualified(&name)
            )),
            Err(error) => {
                Err(error).with_context(|| format!("cannot create {}", self.qualified(&name)))
            }
        }
    }

    /// Rewrites an existing revision (an unconditional PUT, as Helm does),
    /// with `modifiedAt` instead of `createdAt` and the status label in step
    /// with the record.
    pub async fn update(&self, release: &Release) -> Result<()> {
        let secret = self.secret_for(release, "modifiedAt")?;
        let name = secret.metadata.name.clone().unwrap_or_default();
        self.api()
            .replace(&name, &PostParams::default(), &secret)
            .await
            .with_context(|| format!("cannot update {}", self.qualified(&name)))?;
        Ok(())
    }

    /// Deletes one revision; a revision that is already gone is not an error.
    pub async fn delete(&self, name: &str, revision: u32) -> Result<()> {
        let secret_name = secret_name(name, revision);
        match self
            .api()
            .delete(&secret_name, &DeleteParams::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(error)
                .with_context(|| format!("cannot delete {}", self.qualified(&secret_name))),
        }
    }

    /// Makes room for one more revision under `--history-max max_history`,
    /// as Helm does before it creates a revision: deletes the oldest
    /// revisions of `history` (the release's, oldest first, as the caller
    /// holding the operation Lease read it) until `max_history - 1` remain,
    /// never the newest deployed one. `0` means unlimited. Returns the
    /// deleted revision numbers.
    pub async fn prune(
        &self,
        name: &str,
        history: &[Release],
        max_history: usize,
    ) -> Result<Vec<u32>> {
        if max_history == 0 {
            return Ok(Vec::new());
        }
        let keep = max_history - 1;
        let newest_deployed = history
            .iter()
            .rev()
            .find(|r| r.status() == Status::Deployed)
            .map(|r| r.version);
        let doomed = revisions_to_prune(history, keep, newest_deployed);
        let mut errors = Vec::new();
        for &revision in &doomed {
            if let Err(error) = self.delete(name, revision).await {
                errors.push(error);
            }
        }
        match errors.len() {
            0 => Ok(doomed),
            1 => Err(errors.remove(0)),
            n => Err(errors.remove(0).context(format!(
                "{n} old revisions of release \"{name}\" could not be deleted; the first error follows"
            ))),
        }
    }

    async fn query(&self, selector: &str) -> Result<Vec<Release>> {
        let secrets = self
            .api()
            .list(&ListParams::default().labels(selector))
            .await
            .with_context(|| {
                format!(
                    "cannot list Secrets labelled {selector} in namespace \"{}\"",
                    self.namespace
                )
            })?;
        let mut releases = secrets
            .items
            .iter()
            .map(|secret| self.decode(secret))
            .collect::<Result<Vec<_>>>()?;
        releases.sort_by_key(|release| release.version);
        Ok(releases)
    }

    fn decode(&self, secret: &Secret) -> Result<Release> {
        let secret_name = self.qualified(secret.metadata.name.as_deref().unwrap_or_default());
        let data = secret
            .data
            .as_ref()
            .and_then(|data| data.get(DATA_KEY))
            .with_context(|| {
                format!("release record {secret_name} has no data.release; delete or restore it")
            })?;
        let mut release = codec::decode(&data.0, &secret_name)
            .context("delete or restore this Secret, then retry")?;
        release.labels = secret
            .metadata
            .labels
            .iter()
            .flatten()
            .filter(|(key, _)| !SYSTEM_LABELS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Ok(release)
    }

    fn secret_for(&self, release: &Release, time_label: &str) -> Result<Secret> {
        let name = secret_name(&release.name, release.version);
        let mut labels: BTreeMap<String, String> = release
            .labels
            .iter()
            .filter(|(key, _)| !SYSTEM_LABELS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        labels.insert(
            time_label.to_string(),
            jiff::Timestamp::now().as_second().to_string(),
        );
        labels.insert("name".into(), release.name.clone());
        labels.insert("owner".into(), "helm".into());
        labels.insert("status".into(), release.status().as_str().into());
        labels.insert("version".into(), release.version.to_string());
        let data = codec::encode(release)
            .with_context(|| format!("cannot encode {}", self.qualified(&name)))?;
        if data.len() > MAX_RECORD_BYTES {
            bail!(
                "release record {} would hold {} bytes, more than the {MAX_RECORD_BYTES} a Secret \
                 may: the chart's files, the values and the rendered manifests are stored in every \
                 revision; make them smaller (large files outside templates/ are stored too)",
                self.qualified(&name),
                data.len()
            );
        }
        Ok(Secret {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(self.namespace.clone()),
                labels: Some(labels),
                ..ObjectMeta::default()
            },
            type_: Some(SECRET_TYPE.to_string()),
            data: Some(BTreeMap::from([(DATA_KEY.to_string(), ByteString(data))])),
            ..Secret::default()
        })
    }
}

/// Helm's `removeLeastRecent`: oldest first, skipping the newest deployed
/// revision, until `keep` remain.
fn revisions_to_prune(history: &[Release], keep: usize, newest_deployed: Option<u32>) -> Vec<u32> {
    let mut doomed = Vec::new();
    if history.len() <= keep {
        return doomed;
    }
    for release in history {
        if history.len() - doomed.len() == keep {
            break;
        }
        if Some(release.version) != newest_deployed {
            doomed.push(release.version);
        }
    }
    doomed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(statuses: &[Status]) -> Vec<Release> {
        statuses
            .iter()
            .enumerate()
            .map(|(i, &status)| {
                let mut release = Release {
                    name: "r".into(),
                    version: i as u32 + 1,
                    ..Release::default()
                };
                release.set_status(status, "");
                release
            })
            .collect()
    }

    #[test]
    fn pruning_keeps_the_newest_deployed_revision() {
        use Status::*;
        let h = history(&[Superseded, Deployed, Failed, Failed, Failed]);
        assert_eq!(revisions_to_prune(&h, 2, Some(2)), vec![1, 3, 4]);
        assert_eq!(revisions_to_prune(&h, 3, Some(2)), vec![1, 3]);
        assert_eq!(revisions_to_prune(&h, 5, Some(2)), Vec::<u32>::new());
        assert_eq!(revisions_to_prune(&h, 0, Some(2)), vec![1, 3, 4, 5]);
        assert_eq!(revisions_to_prune(&h, 2, None), vec![1, 2, 3]);
    }

    #[test]
    fn secret_names_follow_helm() {
        assert_eq!(secret_name("tars", 12), "sh.helm.release.v1.tars.v12");
    }
}
