//! Reading controllers' status conditions, wherever the kind keeps them:
//! `status.conditions` (AI gateway kinds, RouteDeployment, Gateway),
//! `status.parents[].conditions` (routes) and `status.ancestors[].conditions`
//! (Gateway API and Envoy Gateway policies).

use serde_json::Value;

use super::health::Health;

/// Every condition of the object, from all three places.
fn conditions(object: &Value) -> Vec<&Value> {
    let status = &object["status"];
    let mut found: Vec<&Value> = status["conditions"]
        .as_array()
        .map(|list| list.iter().collect())
        .unwrap_or_default();
    for holders in ["parents", "ancestors"] {
        for holder in status[holders].as_array().into_iter().flatten() {
            found.extend(holder["conditions"].as_array().into_iter().flatten());
        }
    }
    found
}

/// Judges `object` by the condition types it must report `True`.
/// A `False`/`Unknown` one is Broken; one not reported at all is `missing`
/// (Warning where a controller should have written it by now).
pub fn judge(object: &Value, required: &[&str], missing: Health) -> (Health, String) {
    let found = conditions(object);
    let mut unreported = Vec::new();
    for wanted in required {
        let matching: Vec<&&Value> = found
            .iter()
            .filter(|c| c["type"].as_str() == Some(wanted))
            .collect();
        if let Some(bad) = matching
            .iter()
            .find(|c| c["status"].as_str() != Some("True"))
        {
            let reason = bad["reason"].as_str().unwrap_or_default();
            let message = bad["message"].as_str().unwrap_or_default();
            let status = bad["status"].as_str().unwrap_or("Unknown");
            return (
                Health::Broken,
                format!("{wanted}={status} ({reason}: {message})"),
            );
        }
        if matching.is_empty() {
            unreported.push(*wanted);
        }
    }
    if unreported.is_empty() {
        (Health::Ok, format!("{} True", required.join(", ")))
    } else {
        let which = unreported.join(", ");
        (missing, format!("no {which} condition reported yet"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_route_is_judged_by_the_conditions_of_every_parent() {
        let route = json!({"status": {"parents": [
            {"conditions": [{"type": "Accepted", "status": "True"}, {"type": "ResolvedRefs", "status": "True"}]},
            {"conditions": [{"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners", "message": "no listener"}]},
        ]}});
        let (health, reason) = judge(&route, &["Accepted", "ResolvedRefs"], Health::Warning);
        assert_eq!(health, Health::Broken);
        assert_eq!(
            reason,
            "Accepted=False (NotAllowedByListeners: no listener)"
        );
    }

    #[test]
    fn a_condition_not_reported_yet_gets_the_given_verdict() {
        let policy = json!({"status": {"ancestors": []}});
        assert_eq!(
            judge(&policy, &["Accepted"], Health::Warning).0,
            Health::Warning
        );
        assert_eq!(judge(&policy, &["Accepted"], Health::Ok).0, Health::Ok);
        let accepted = json!({"status": {"conditions": [{"type": "Accepted", "status": "True"}]}});
        assert_eq!(
            judge(&accepted, &["Accepted"], Health::Warning).0,
            Health::Ok
        );
    }
}
