//! One operation at a time per release, and a dead operation does not block
//! the next one forever.

mod common;

use common::{TestNamespace, admin_client};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};
use serde_json::json;
use tare::kube::{OperationLease, lease_name};

#[tokio::test]
async fn a_second_operation_fails_at_once_while_the_first_holds_the_lease() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "lease-busy").await;
    let first = OperationLease::acquire(&client, &ns.name, "tars", "upgrade")
        .await
        .unwrap();

    let error = OperationLease::acquire(&client, &ns.name, "tars", "install")
        .await
        .err()
        .expect("the second operation is refused")
        .to_string();
    assert!(
        error.starts_with("another operation (upgrade) is in progress on this release"),
        "{error}"
    );

    first.release().await.unwrap();
    let again = OperationLease::acquire(&client, &ns.name, "tars", "install")
        .await
        .unwrap();
    again.release().await.unwrap();
    ns.delete().await;
}

#[tokio::test]
async fn a_lease_left_by_a_killed_process_is_taken_over_once_expired() {
    let client = admin_client().await;
    let ns = TestNamespace::create(&client, "lease-stale").await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns.name);
    let stale: Lease = serde_json::from_value(json!({
        "metadata": { "name": lease_name("tars") },
        "spec": { "holderIdentity": "upgrade/dead-host/1", "leaseDurationSeconds": 15,
                  "renewTime": "2020-01-01T00:00:00.000000Z" }
    }))
    .unwrap();
    leases.create(&PostParams::default(), &stale).await.unwrap();

    let lease = OperationLease::acquire(&client, &ns.name, "tars", "upgrade")
        .await
        .unwrap();
    let holder = leases
        .get(&lease_name("tars"))
        .await
        .unwrap()
        .spec
        .unwrap()
        .holder_identity
        .unwrap();
    assert!(
        holder.starts_with("upgrade/") && !holder.contains("dead-host"),
        "{holder}"
    );
    lease.release().await.unwrap();
    ns.delete().await;
}
