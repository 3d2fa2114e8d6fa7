//! `tare status`: the state of a release, printed as `helm status` (v4)
//! prints it, with the live objects of its manifest.

use anyhow::Result;
use kube::Client;
use serde_json::Value;

use super::output::{self, OutputFormat};
use super::resources::{self, Resources};
use crate::release::{Release, SecretStore};

/// Reads the release (the newest revision, or `revision`), looks up its
/// objects in the cluster and prints it.
pub async fn run(
    client: &Client,
    store: &SecretStore,
    name: &str,
    revision: Option<u32>,
    format: OutputFormat,
) -> Result<String> {
    let release = match revision {
        Some(revision) => store.get(name, revision).await?,
        None => store.last(name).await?,
    };
    let namespace = if release.namespace.is_empty() {
        store.namespace()
    } else {
        &release.namespace
    };
    let resources = match format {
        OutputFormat::Table => resources::tables(client, &release.manifest, namespace).await?,
        OutputFormat::Json | OutputFormat::Yaml => {
            resources::objects(client, &release.manifest, namespace).await?
        }
    };
    render(&release, &resources, format)
}

/// The output of `helm status` (v4) for one revision and its objects.
pub fn render(release: &Release, resources: &Resources, format: OutputFormat) -> Result<String> {
    match format {
        OutputFormat::Json => output::json(&printed_record(release, resources)),
        OutputFormat::Yaml => output::yaml(&printed_record(release, resources)),
        OutputFormat::Table => table(release, resources),
    }
}

/// The record as helm v4 re-marshals it for `-o json|yaml`: no chart, zero
/// times left out, the live objects under `info.resources`.
fn printed_record(release: &Release, resources: &Resources) -> Release {
    let mut printed = release.clone();
    printed.chart = None;
    printed.extra.clear();
    if let Some(info) = printed.info.take() {
        let mut info = info.without_zero_times();
        info.extra.clear();
        if let Resources::Objects(objects) = resources
            && !objects.is_empty()
        {
            info.extra.insert(
                "resources".into(),
                Value::Object(
                    objects
                        .iter()
                        .map(|(key, list)| (key.clone(), Value::Array(list.clone())))
                        .collect(),
                ),
            );
        }
        printed.info = Some(info);
    }
    for hook in &mut printed.hooks {
        hook.extra.clear();
        hook.last_run = std::mem::take(&mut hook.last_run).without_zero_times();
        hook.last_run.extra.clear();
    }
    printed
}

fn table(release: &Release, resources: &Resources) -> Result<String> {
    let info = release.info.clone().unwrap_or_default();
    let mut out = format!("NAME: {}\n", release.name);
    if let Some(time) = info.last_deployed.as_ref().filter(|t| !t.is_zero()) {
        out.push_str(&format!("LAST DEPLOYED: {}\n", time.ansic()?));
    }
    out.push_str(&format!("NAMESPACE: {}\n", release.namespace));
    out.push_str(&format!("STATUS: {}\n", info.status));
    out.push_str(&format!("REVISION: {}\n", release.version));
    out.push_str(&format!("DESCRIPTION: {}\n", info.description));
    if let Resources::Tables(tables) = resources
        && !tables.is_empty()
    {
        out.push_str("RESOURCES:\n");
        for (key, printed) in tables {
            out.push_str(&format!("==> {key}\n{printed}\n"));
        }
        out.push('\n');
    }
    let tests: Vec<_> = release
        .hooks
        .iter()
        .filter(|hook| hook.events.iter().any(|event| event == "test"))
        .collect();
    if tests.is_empty() {
        out.push_str("TEST SUITE: None\n");
    }
    for hook in tests {
        let run = &hook.last_run;
        let Some(started) = run.started_at.as_ref().filter(|t| !t.is_zero()) else {
            continue;
        };
        let completed = run.completed_at.clone().unwrap_or_default();
        out.push_str(&format!(
            "TEST SUITE:     {}\nLast Started:   {}\nLast Completed: {}\nPhase:          {}\n",
            hook.name,
            started.ansic()?,
            completed.ansic()?,
            run.phase
        ));
    }
    if info.description.eq_ignore_ascii_case("Dry run complete") {
        out.push_str("HOOKS:\n");
        for hook in &release.hooks {
            out.push_str(&format!(
                "---\n# Source: {}\n{}\n",
                hook.path, hook.manifest
            ));
        }
        out.push_str(&format!("MANIFEST:\n{}\n", release.manifest));
    }
    if !info.notes.is_empty() {
        out.push_str(&format!("NOTES:\n{}\n", info.notes.trim()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn release() -> Release {
        serde_json::from_value(json!({
            "name": "r", "namespace": "ns", "version": 2,
            "info": {"first_deployed": "2026-11-21T05:48:27Z", "last_deployed": "2026-11-21T05:48:30.5Z",
                     "deleted": "", "status": "deployed", "description": "Upgrade complete",
                     "notes": "\n  Hello\n\n"},
            "chart": {"metadata": {"name": "c"}},
            "hooks": [{"name": "t", "events": ["test"],
                       "last_run": {"started_at": "2026-11-21T05:49:00Z",
                                    "completed_at": "2026-11-21T05:49:01Z", "phase": "Succeeded"}},
                      {"name": "u", "events": ["test"], "last_run": {"started_at": "", "completed_at": "", "phase": ""}}]
        }))
        .unwrap()
    }

    #[test]
    fn the_table_matches_helm_v4() {
        let tables = Resources::Tables(BTreeMap::from([(
            "v1/ConfigMap".to_string(),
            "NAME   DATA   AGE\nr      2      1s\n".to_string(),
        )]));
        assert_eq!(
            render(&release(), &tables, OutputFormat::Table).unwrap(),
            "NAME: r\nLAST DEPLOYED: Sat Nov 21 05:48:30 2026\nNAMESPACE: ns\nSTATUS: deployed\n\
             REVISION: 2\nDESCRIPTION: Upgrade complete\nRESOURCES:\n==> v1/ConfigMap\n\
             NAME   DATA   AGE\nr      2      1s\n\n\n\
             TEST SUITE:     t\nLast Started:   Sat Nov 21 05:49:00 2026\n\
             Last Completed: Sat Nov 21 05:49:01 2026\nPhase:          Succeeded\nNOTES:\nHello\n"
        );
    }

    #[test]
    fn json_leaves_out_the_chart_and_zero_times() {
        let objects = Resources::Objects(BTreeMap::from([(
            "v1/ConfigMap".to_string(),
            vec![json!({"kind": "ConfigMap"})],
        )]));
        let printed: Value =
            serde_json::from_str(&render(&release(), &objects, OutputFormat::Json).unwrap())
                .unwrap();
        assert!(printed.get("chart").is_none());
        assert!(printed["info"].get("deleted").is_none());
        assert_eq!(
            printed["info"]["resources"]["v1/ConfigMap"][0]["kind"],
            "ConfigMap"
        );
        assert_eq!(printed["hooks"][1]["last_run"], json!({"phase": ""}));
    }
}
