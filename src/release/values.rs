//! `helm get values --all`: the stored chart's defaults coalesced with the
//! stored user values, as helm v4's `CoalesceValues` computes them.
//!
//! Stored charts carry no subcharts, so only the top-level rules apply:
//! user values win, maps merge, and a user `null` deletes a chart default.

use serde_json::Value;

use super::model::{Release, Values};

/// `CoalesceValues(release.chart, release.config)`.
pub fn computed_values(release: &Release) -> Values {
    let mut dest = release.config.clone();
    let defaults = release
        .chart
        .as_ref()
        .and_then(|chart| chart.values.clone())
        .unwrap_or_default();
    for (key, default) in defaults {
        match dest.get_mut(&key) {
            None => {
                dest.insert(key, default);
            }
            Some(Value::Null) => {
                dest.remove(&key);
            }
            Some(Value::Object(user)) => {
                if let Value::Object(default) = default {
                    coalesce_tables(user, default);
                }
            }
            Some(_) => {}
        }
    }
    dest
}

/// helm v4's `coalesceTablesFullKey` with merge off: `dst` wins.
fn coalesce_tables(dst: &mut Values, mut src: Values) {
    let src_non_nil: Vec<String> = src
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, _)| key.clone())
        .collect();
    for (key, value) in dst.iter() {
        if value.is_null() {
            src.insert(key.clone(), Value::Null);
        }
    }
    for (key, value) in src {
        match dst.get_mut(&key) {
            Some(Value::Null) if src_non_nil.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, value);
            }
            Some(Value::Object(inner)) => {
                if let Value::Object(value) = value {
                    coalesce_tables(inner, value);
                }
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::release::model::ChartRecord;

    fn release(defaults: Value, config: Value) -> Release {
        Release {
            chart: Some(ChartRecord {
                values: serde_json::from_value(defaults).unwrap(),
                ..ChartRecord::default()
            }),
            config: serde_json::from_value(config).unwrap(),
            ..Release::default()
        }
    }

    #[test]
    fn user_values_win_and_maps_merge() {
        let r = release(
            json!({"a": 1, "m": {"x": 1, "y": {"z": 2}}, "l": [1], "s": "d", "gone": 1}),
            json!({"a": 2, "m": {"y": {"w": 3}}, "l": [2], "s": {"t": 1}, "gone": null, "extra": null}),
        );
        assert_eq!(
            Value::Object(computed_values(&r)),
            json!({"a": 2, "m": {"x": 1, "y": {"z": 2, "w": 3}}, "l": [2], "s": {"t": 1}, "extra": null})
        );
    }

    #[test]
    fn nested_nulls_follow_helm_v4() {
        let r = release(
            json!({"n": {"nn": null, "d": 1, "keep": 2}}),
            json!({"n": {"nn": null, "d": null, "new": null}}),
        );
        assert_eq!(
            Value::Object(computed_values(&r)),
            json!({"n": {"nn": null, "keep": 2, "new": null}})
        );
    }

    #[test]
    fn no_chart_values_gives_the_user_values() {
        let r = release(json!(null), json!({"a": 1}));
        assert_eq!(Value::Object(computed_values(&r)), json!({"a": 1}));
        assert_eq!(computed_values(&Release::default()), Values::new());
    }
}
