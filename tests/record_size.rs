//! The embedded chart's release record stays far below the 1 MiB Secret limit,
//! because CRDs are tare's and not part of the release. Prints the figure.

use serde_json::json;
use tare::action::chart_record::{chart_record, config_of};
use tare::chart::{self, RenderOptions};
use tare::release::{Release, codec};
use tare::yaml::node_from_json;

#[test]
fn the_embedded_charts_release_record_is_far_below_the_secret_limit() {
    let chart = chart::load_archive(tare::tars::chart::CHART_TGZ).unwrap();
    let values = node_from_json(&json!({ "ai-gateway-crds": { "enabled": false } }));
    let options = RenderOptions {
        release_name: "tars".into(),
        namespace: "tars-system".into(),
        revision: 1,
        ..Default::default()
    };
    let rendered = chart::render(chart.clone(), &values, &options).unwrap();
    let record = Release {
        name: "tars".into(),
        namespace: "tars-system".into(),
        version: 1,
        chart: Some(chart_record(&chart).unwrap()),
        config: config_of(&values),
        manifest: rendered.manifest_text(false),
        ..Default::default()
    };

    let encoded = codec::encode(&record).unwrap();
    println!(
        "embedded chart release record: {} bytes (manifest {} bytes)",
        encoded.len(),
        record.manifest.len()
    );
    assert!(
        !record.manifest.contains("kind: CustomResourceDefinition"),
        "CRDs are not in the release"
    );
    assert!(
        encoded.len() < 256 * 1024,
        "{} bytes: a quarter of the 1 MiB limit at most",
        encoded.len()
    );
}
