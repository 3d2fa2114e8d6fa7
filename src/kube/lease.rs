//! One operation at a time per release: a Lease held while tare changes a
//! release and renewed in the background. A Lease whose holder stopped renewing
//! (killed with -9, machine gone) expires, so the next command can proceed; on
//! the same machine a dead holder is recognised at once.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::json;
use tokio::task::JoinHandle;

/// How long a Lease stays valid without renewal.
pub const LEASE_DURATION: Duration = Duration::from_secs(15);
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// A held operation Lease; dropping it stops renewal (the Lease then expires),
/// `release` deletes it at once.
pub struct OperationLease {
    api: Api<Lease>,
    name: String,
    renewer: JoinHandle<()>,
}

/// The Lease's name for a release.
pub fn lease_name(release: &str) -> String {
    format!("tare-operation.{release}")
}

impl OperationLease {
    /// Takes the Lease for `release`, or fails at once when another live
    /// operation holds it. `operation` (install, upgrade, ...) is recorded for messages.
    pub async fn acquire(
        client: &Client,
        namespace: &str,
        release: &str,
        operation: &str,
    ) -> Result<OperationLease> {
        let api: Api<Lease> = Api::namespaced(client.clone(), namespace);
        let name = lease_name(release);
        let holder = format!("{operation}/{}/{}", hostname(), std::process::id());
        let lease = new_lease(&name, &holder);
        match api.create(&PostParams::default(), &lease).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {
                take_over_if_expired(&api, &name, &holder).await?;
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot create Lease {namespace}/{name}"));
            }
        }
        let renewer = tokio::spawn(renew_forever(api.clone(), name.clone()));
        Ok(OperationLease { api, name, renewer })
    }

    /// Runs `work` holding the Lease for `release`, which is released whatever
    /// the outcome; the work's error comes first.
    pub async fn hold<T>(
        client: &Client,
        namespace: &str,
        release: &str,
        operation: &str,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let lease = OperationLease::acquire(client, namespace, release, operation).await?;
        let result = work.await;
        let released = lease.release().await;
        let value = result?;
        released?;
        Ok(value)
    }

    /// Ends the operation: stops renewing and deletes the Lease.
    pub async fn release(self) -> Result<()> {
        self.renewer.abort();
        match self.api.delete(&self.name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(error).context("cannot delete the operation Lease"),
        }
    }
}

impl Drop for OperationLease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

fn new_lease(name: &str, holder: &str) -> Lease {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": { "app.kubernetes.io/managed-by": "tare" } },
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": LEASE_DURATION.as_secs(),
            "acquireTime": MicroTime(Timestamp::now()),
            "renewTime": MicroTime(Timestamp::now()),
        }
    }))
    .expect("a Lease literal is valid")
}

/// An existing Lease blocks us unless its holder stopped renewing it.
async fn take_over_if_expired(api: &Api<Lease>, name: &str, holder: &str) -> Result<()> {
    let current = api
        .get(name)
        .await
        .context("cannot read the operation Lease")?;
    let spec = current.spec.clone().unwrap_or_default();
    let renewed = spec
        .renew_time
        .map(|t| t.0)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let duration = Duration::from_secs(spec.lease_duration_seconds.unwrap_or(15).max(0) as u64);
    let other = spec.holder_identity.unwrap_or_default();
    if Timestamp::now() < renewed + duration && !died_on_this_machine(&other) {
        // The holder is `operation/host/pid`, and operations may contain '/'.
        let what = other
            .rsplitn(3, '/')
            .nth(2)
            .unwrap_or("install/upgrade/rollback");
        bail!(
            "another operation ({what}) is in progress on this release (held by {other}); wait for it to finish, or retry in {}s if it died",
            duration.as_secs()
        );
    }
    let mut replacement = new_lease(name, holder);
    replacement.metadata.resource_version = current.metadata.resource_version;
    api.replace(name, &PostParams::default(), &replacement)
        .await
        .map(|_| ())
        .map_err(|error| match error {
            kube::Error::Api(status) if status.code == 409 => {
                anyhow::anyhow!(
                    "another operation took this release's Lease at the same moment; retry"
                )
            }
            other => {
                anyhow::Error::new(other).context("cannot take over the expired operation Lease")
            }
        })
}

async fn renew_forever(api: Api<Lease>, name: String) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let patch = json!({ "spec": { "renewTime": MicroTime(Timestamp::now()) } });
        // A failed renewal is retried at the next tick; the Lease outlives two misses.
        let _ = api
            .patch(
                &name,
                &kube::api::PatchParams::default(),
                &kube::api::Patch::Merge(&patch),
            )
            .await;
    }
}

/// A holder `operation/host/pid` on this very machine whose process is gone
/// (killed, crashed) cannot renew: no need to wait for its Lease to expire.
fn died_on_this_machine(holder: &str) -> bool {
    let mut parts = holder.rsplitn(3, '/');
    let (Some(pid), Some(host)) = (parts.next(), parts.next()) else {
        return false;
    };
    host == hostname()
        && pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into())
}
