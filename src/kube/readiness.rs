//! Is this object ready? Pure functions over the live object, kind by kind,
//! following what Helm's `--wait` checks, plus custom resources' own conditions.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Still progressing; the text says what is missing.
    Pending(String),
    /// Will not become ready without a change; the text says why.
    Failed(String),
}

/// The readiness of a live object of `kind`.
pub fn readiness(kind: &str, object: &Value) -> Readiness {
    let status = &object["status"];
    if let Some(pending) = generation_lag(object) {
        return pending;
    }
    match kind {
        "Deployment" => deployment(object, status),
        "StatefulSet" => stateful_set(object, status),
        "DaemonSet" => daemon_set(status),
        "ReplicaSet" | "ReplicationController" => replicas_ready(object, status),
        "Job" => job(object, status),
        "Pod" => pod(status),
        "PersistentVolumeClaim" => match status["phase"].as_str() {
            Some("Bound") => Readiness::Ready,
            phase => Readiness::Pending(format!("claim is {}", phase.unwrap_or("Pending"))),
        },
        "Service" => service(object, status),
        "CustomResourceDefinition" => condition_gate(status, "Established", "not established yet"),
        "APIService" => condition_gate(status, "Available", "not available yet"),
        _ => custom_resource(status),
    }
}

/// The controller has not seen the newest spec yet.
fn generation_lag(object: &Value) -> Option<Readiness> {
    let generation = object["metadata"]["generation"].as_i64()?;
    let observed = object["status"]["observedGeneration"].as_i64()?;
    (observed < generation)
        .then(|| Readiness::Pending("waiting for the controller to observe the change".into()))
}

fn int(value: &Value) -> i64 {
    value.as_i64().unwrap_or(0)
}

fn desired_replicas(object: &Value) -> i64 {
    object["spec"]["replicas"].as_i64().unwrap_or(1)
}

/// `maxUnavailable` as a count: an integer, or a percentage of `replicas` rounded down.
fn max_unavailable(value: &Value, replicas: i64) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<i64>().ok())
            .map_or(0, |percent| replicas * percent / 100),
        _ => 0,
    }
}

/// As `kubectl rollout status`: every replica updated, no old replica left,
/// and the updated ones available (within `maxUnavailable`).
fn deployment(object: &Value, status: &Value) -> Readiness {
    if let Some(failed) = condition_with(status, "Progressing", "False") {
        let reason = failed["reason"].as_str().unwrap_or_default();
        let message = failed["message"].as_str().unwrap_or_default();
        return Readiness::Failed(format!("rollout failed ({reason}): {message}"));
    }
    if object["spec"]["paused"].as_bool() == Some(true) {
        return Readiness::Ready;
    }
    let replicas = desired_replicas(object);
    let strategy = &object["spec"]["strategy"];
    let unavailable_allowed = if strategy["type"].as_str() == Some("Recreate") {
        0
    } else {
        let value = &strategy["rollingUpdate"]["maxUnavailable"];
        if value.is_null() {
            replicas / 4
        } else {
            max_unavailable(value, replicas)
        }
    };
    let updated = int(&status["updatedReplicas"]);
    let total = int(&status["replicas"]);
    let available = int(&status["availableReplicas"]);
    let needed = (replicas - unavailable_allowed).max(0).min(updated);
    if updated < replicas {
        Readiness::Pending(format!("{updated}/{replicas} replicas updated"))
    } else if total > updated {
        Readiness::Pending(format!(
            "{} old replicas pending termination",
            total - updated
        ))
    } else if available < needed {
        Readiness::Pending(format!("{available}/{replicas} replicas available"))
    } else {
        Readiness::Ready
    }
}

fn stateful_set(object: &Value, status: &Value) -> Readiness {
    let replicas = desired_replicas(object);
    let partition = int(&object["spec"]["updateStrategy"]["rollingUpdate"]["partition"]);
    let updated = int(&status["updatedReplicas"]);
    let ready = int(&status["readyReplicas"]);
    if updated < replicas - partition {
        return Readiness::Pending(format!("{updated}/{replicas} replicas updated"));
    }
    if ready < replicas {
        return Readiness::Pending(format!("{ready}/{replicas} replicas ready"));
    }
    if partition == 0 && status["currentRevision"] != status["updateRevision"] {
        return Readiness::Pending("rolling out the new revision".into());
    }
    Readiness::Ready
}

fn daemon_set(status: &Value) -> Readiness {
    let desired = int(&status["desiredNumberScheduled"]);
    let updated = int(&status["updatedNumberScheduled"]);
    let available = int(&status["numberAvailable"]);
    if updated < desired {
        Readiness::Pending(format!("{updated}/{desired} pods updated"))
    } else if available < desired {
        Readiness::Pending(format!("{available}/{desired} pods available"))
    } else {
        Readiness::Ready
    }
}

fn replicas_ready(object: &Value, status: &Value) -> Readiness {
    let replicas = desired_replicas(object);
    let ready = int(&status["readyReplicas"]);
    if ready < replicas {
        Readiness::Pending(format!("{ready}/{replicas} replicas ready"))
    } else {
        Readiness::Ready
    }
}

fn job(object: &Value, status: &Value) -> Readiness {
    if let Some(failed) = condition_with(status, "Failed", "True") {
        return Readiness::Failed(format!(
            "job failed: {}",
            failed["message"].as_str().unwrap_or_default()
        ));
    }
    let completions = object["spec"]["completions"].as_i64().unwrap_or(1);
    let succeeded = int(&status["succeeded"]);
    if succeeded >= completions {
        Readiness::Ready
    } else {
        Readiness::Pending(format!("{succeeded}/{completions} completions"))
    }
}

fn pod(status: &Value) -> Readiness {
    match status["phase"].as_str() {
        Some("Succeeded") => Readiness::Ready,
        Some("Failed") => Readiness::Failed(format!(
            "pod failed: {}",
            status["message"].as_str().unwrap_or_default()
        )),
        _ if condition_with(status, "Ready", "True").is_some() => Readiness::Ready,
        phase => Readiness::Pending(format!("pod is {}", phase.unwrap_or("Pending"))),
    }
}

fn service(object: &Value, status: &Value) -> Readiness {
    let is_load_balancer = object["spec"]["type"].as_str() == Some("LoadBalancer");
    let has_external_ips = object["spec"]["externalIPs"]
        .as_array()
        .is_some_and(|ips| !ips.is_empty());
    let has_ingress = status["loadBalancer"]["ingress"]
        .as_array()
        .is_some_and(|i| !i.is_empty());
    if is_load_balancer && !has_external_ips && !has_ingress {
        Readiness::Pending("waiting for a load balancer address".into())
    } else {
        Readiness::Ready
    }
}

fn condition_gate(status: &Value, condition: &str, pending: &str) -> Readiness {
    if condition_with(status, condition, "True").is_some() {
        Readiness::Ready
    } else {
        Readiness::Pending(pending.into())
    }
}

/// Custom resources: a `Ready` condition must be True; an `Accepted` condition
/// that is False is a definite rejection. Resources whose controller reports
/// neither count as ready, as with Helm's own wait.
fn custom_resource(status: &Value) -> Readiness {
    if let Some(rejected) = condition_with(status, "Accepted", "False") {
        return Readiness::Failed(format!(
            "not accepted ({}): {}",
            rejected["reason"].as_str().unwrap_or_default(),
            rejected["message"].as_str().unwrap_or_default()
        ));
    }
    match find_condition(status, "Ready") {
        Some(ready) if ready["status"] != "True" => Readiness::Pending(format!(
            "Ready is {} ({})",
            ready["status"].as_str().unwrap_or("Unknown"),
            ready["reason"].as_str().unwrap_or_default()
        )),
        _ => Readiness::Ready,
    }
}

fn find_condition<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn condition_with<'a>(status: &'a Value, kind: &str, value: &str) -> Option<&'a Value> {
    find_condition(status, kind).filter(|c| c["status"] == value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_deployment_is_ready_when_updated_and_available_within_max_unavailable() {
        let mut deployment = json!({
            "metadata": { "generation": 2 },
            "spec": { "replicas": 4, "strategy": { "rollingUpdate": { "maxUnavailable": "25%" } } },
            "status": { "observedGeneration": 2, "replicas": 4, "updatedReplicas": 4, "availableReplicas": 3 }
        });
        assert_eq!(readiness("Deployment", &deployment), Readiness::Ready);
        deployment["status"]["availableReplicas"] = json!(2);
        assert_eq!(
            readiness("Deployment", &deployment),
            Readiness::Pending("2/4 replicas available".into())
        );
        deployment["status"]["observedGeneration"] = json!(1);
        assert!(
            matches!(readiness("Deployment", &deployment), Readiness::Pending(p) if p.contains("observe"))
        );
    }

    #[test]
    fn a_rollout_with_old_replicas_left_is_pending() {
        let surging = json!({
            "spec": { "replicas": 1 },
            "status": { "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1 }
        });
        assert_eq!(
            readiness("Deployment", &surging),
            Readiness::Pending("1 old replicas pending termination".into())
        );
    }

    #[test]
    fn a_deployment_past_its_progress_deadline_has_failed() {
        let deployment = json!({
            "spec": { "replicas": 1 },
            "status": { "conditions": [{ "type": "Progressing", "status": "False",
                "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing." }] }
        });
        assert_eq!(
            readiness("Deployment", &deployment),
            Readiness::Failed("rollout failed (ProgressDeadlineExceeded): ReplicaSet \"web-1\" has timed out progressing.".into())
        );
    }

    #[test]
    fn a_stateful_set_needs_every_replica_ready_on_the_update_revision() {
        let mut set = json!({
            "spec": { "replicas": 2 },
            "status": { "updatedReplicas": 2, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "b" }
        });
        assert!(matches!(
            readiness("StatefulSet", &set),
            Readiness::Pending(_)
        ));
        set["status"]["currentRevision"] = json!("b");
        assert_eq!(readiness("StatefulSet", &set), Readiness::Ready);
    }

    #[test]
    fn jobs_complete_or_fail() {
        let done = json!({ "spec": {}, "status": { "succeeded": 1 } });
        assert_eq!(readiness("Job", &done), Readiness::Ready);
        let failed = json!({ "spec": {}, "status": { "conditions": [{ "type": "Failed", "status": "True", "message": "BackoffLimitExceeded" }] } });
        assert!(matches!(readiness("Job", &failed), Readiness::Failed(_)));
    }

    #[test]
    fn load_balancers_wait_for_an_address_and_claims_for_binding() {
        let lb = json!({ "spec": { "type": "LoadBalancer" }, "status": {} });
        assert!(matches!(readiness("Service", &lb), Readiness::Pending(_)));
        let cluster_ip = json!({ "spec": { "type": "ClusterIP" } });
        assert_eq!(readiness("Service", &cluster_ip), Readiness::Ready);
        assert_eq!(
            readiness(
                "PersistentVolumeClaim",
                &json!({ "status": { "phase": "Bound" } })
            ),
            Readiness::Ready
        );
    }

    #[test]
    fn custom_resources_follow_ready_and_fail_when_not_accepted() {
        let unreconciled = json!({ "status": { "conditions": [{ "type": "Accepted", "status": "Unknown", "reason": "Pending" }] } });
        assert_eq!(readiness("Gateway", &unreconciled), Readiness::Ready);
        let rejected = json!({ "status": { "conditions": [{ "type": "Accepted", "status": "False", "reason": "InvalidParameters", "message": "bad ref" }] } });
        assert_eq!(
            readiness("Gateway", &rejected),
            Readiness::Failed("not accepted (InvalidParameters): bad ref".into())
        );
        let not_ready = json!({ "status": { "conditions": [{ "type": "Ready", "status": "False", "reason": "Reconciling" }] } });
        assert_eq!(
            readiness("Widget", &not_ready),
            Readiness::Pending("Ready is False (Reconciling)".into())
        );
    }

    #[test]
    fn crds_wait_for_established() {
        let crd =
            json!({ "status": { "conditions": [{ "type": "Established", "status": "True" }] } });
        assert_eq!(
            readiness("CustomResourceDefinition", &crd),
            Readiness::Ready
        );
        assert!(matches!(
            readiness("CustomResourceDefinition", &json!({})),
            Readiness::Pending(_)
        ));
    }
}
