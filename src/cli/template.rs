//! `tare template`: render a chart locally, printing what `helm template` prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::chart::{self, PrintOptions, RenderOptions, ValueOptions};

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  tare template tars ./chart -f values.yaml --set global.customer=acme"
)]
pub struct TemplateArgs {
    /// Release name, then the chart (a directory or a .tgz). With one argument it
    /// is the chart and the release is called `release-name`.
    #[arg(required = true, num_args = 1..=2, value_name = "[NAME] CHART")]
    pub args: Vec<String>,
    /// Values files, merged in order.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Values on the command line (key1=val1,key2=val2; Helm's syntax).
    #[arg(long)]
    pub set: Vec<String>,
    /// Values that are always strings.
    #[arg(long = "set-string")]
    pub set_string: Vec<String>,
    /// Values as JSON (key=jsonval, or a JSON object).
    #[arg(long = "set-json")]
    pub set_json: Vec<String>,
    /// Values read from files (key=path).
    #[arg(long = "set-file")]
    pub set_file: Vec<String>,
    /// One value taken literally (key=value, commas and all).
    #[arg(long = "set-literal")]
    pub set_literal: Vec<String>,
    /// Namespace to render into.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Only print the output of these templates (e.g. templates/deployment.yaml).
    #[arg(long = "show-only", short = 's')]
    pub show_only: Vec<String>,
    /// Leave out test hooks.
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// Print the CRDs of crds/ directories before the manifests.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Leave out hooks.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Render as an upgrade (.Release.IsUpgrade).
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
    /// Kubernetes version for .Capabilities (default v1.35.0).
    #[arg(long = "kube-version")]
    pub kube_version: Option<String>,
    /// Extra API versions for .Capabilities.APIVersions.
    #[arg(long = "api-versions", short = 'a')]
    pub api_versions: Vec<String>,
    /// Skip values.schema.json validation.
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
    /// Render subcharts' NOTES.txt too (never printed by template).
    #[arg(long = "render-subchart-notes")]
    pub render_subchart_notes: bool,
}

impl TemplateArgs {
    fn release_and_chart(&self) -> (&str, &str) {
        match self.args.as_slice() {
            [chart] => ("release-name", chart),
            [release, chart, ..] => (release, chart),
            [] => ("release-name", ""),
        }
    }
}

/// Renders and prints; errors are one line (with helm's hint for render errors).
pub fn run(args: &TemplateArgs) -> anyhow::Result<ExitCode> {
    let (release, chart_ref) = args.release_and_chart();
    if chart_ref.starts_with("oci://")
        || chart_ref.starts_with("https://")
        || chart_ref.starts_with("http://")
    {
        anyhow::bail!(
            "loading charts from {chart_ref} is not supported yet: use a directory or a .tgz"
        );
    }
    let chart = chart::load(Path::new(chart_ref)).map_err(one_line)?;
    chart::check_dependencies(&chart).map_err(one_line)?;
    let values = ValueOptions {
        value_files: args.values.clone(),
        values: args.set.clone(),
        string_values: args.set_string.clone(),
        json_values: args.set_json.clone(),
        file_values: args.set_file.clone(),
        literal_values: args.set_literal.clone(),
    }
    .user_values()
    .map_err(one_line)?;
    let options = RenderOptions {
        release_name: release.to_string(),
        namespace: args.namespace.clone(),
        is_upgrade: args.is_upgrade,
        kube_version: args.kube_version.clone(),
        api_versions: args.api_versions.clone(),
        skip_schema_validation: args.skip_schema_validation,
        render_subchart_notes: args.render_subchart_notes,
        ..RenderOptions::default()
    };
    let rendered = chart::render(&chart, &values, &options).map_err(one_line)?;
    let printed = rendered
        .helm_template_output(&PrintOptions {
            include_crds: args.include_crds,
            no_hooks: args.no_hooks,
            skip_tests: args.skip_tests,
            show_only: args.show_only.clone(),
        })
        .map_err(one_line)?;
    print!("{printed}");
    Ok(ExitCode::SUCCESS)
}

fn one_line(error: chart::Error) -> anyhow::Error {
    anyhow::anyhow!(error.one_line())
}
