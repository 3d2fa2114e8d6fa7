//! A loaded chart as a release record stores it (the top-level chart only:
//! Helm does not store subcharts in the record).

use crate::chart::{self, Chart};
use crate::release::{ChartFile, ChartRecord, Maintainer, Metadata};
use crate::yaml::{Node, json_from_node};

pub fn chart_record(chart: &Chart) -> Result<ChartRecord, chart::Error> {
    let record = |name: &str, data: &[u8]| ChartFile {
        name: name.to_string(),
        data: data.to_vec(),
        ..Default::default()
    };
    let templates = chart.templates.iter().map(|f| record(&f.name, &f.data));
    let files = chart
        .files
        .iter()
        .map(|f| Ok(record(&f.name, &f.data.bytes()?)))
        .collect::<Result<_, chart::Error>>()?;
    let values = match json_from_node(chart.values.clone()) {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    };
    Ok(ChartRecord {
        metadata: Some(metadata(chart)),
        templates: Some(templates.collect()),
        values,
        schema: chart.schema.as_ref().map(|s| s.to_vec()),
        files: Some(files),
        ..Default::default()
    })
}

fn metadata(chart: &Chart) -> Metadata {
    let m = &chart.metadata;
    Metadata {
        name: m.name.clone(),
        home: m.home.clone(),
        sources: m.sources.clone().unwrap_or_default(),
        version: m.version.clone(),
        description: m.description.clone(),
        keywords: m.keywords.clone().unwrap_or_default(),
        maintainers: m
            .maintainers
            .iter()
            .flatten()
            .map(|x| Maintainer {
                name: x.name.clone(),
                email: x.email.clone(),
                url: x.url.clone(),
                ..Default::default()
            })
            .collect(),
        icon: m.icon.clone(),
        api_version: m.api_version.clone(),
        condition: m.condition.clone(),
        tags: m.tags.clone(),
        app_version: m.app_version.clone(),
        deprecated: m.deprecated,
        annotations: m
            .annotations
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        kube_version: m.kube_version.clone(),
        chart_type: m.chart_type.clone(),
        ..Default::default()
    }
}

/// Values as the record's `config` holds them.
pub fn config_of(values: &Node) -> crate::release::Values {
    match json_from_node(values.clone()) {
        serde_json::Value::Object(map) => map,
        _ => Default::default(),
    }
}
