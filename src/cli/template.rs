//! `tare template`: render a chart locally, printing what `helm template` prints.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::chart::{self, PrintOptions, RenderOptions, ValueOptions};
use crate::chart_source::ChartSource;

#[derive(Debug, Args)]
#[command(
    // `--version` is the chart's version here, as in `helm template`.
    disable_version_flag = true,
    after_help = "Examples:\n  tare template tars ./chart -f values.yaml --set global.customer=acme\n  \
                  tare template tars oci://registry.example.com/charts/serve-helm --version 1.2.3\n  \
                  tare template tars https://charts.example.com/serve-helm-1.2.3.tgz --ca-file ca.pem"
)]
pub struct TemplateArgs {
    /// Release name, then the chart (a directory, a .tgz, an oci:// reference or an https:// URL
    /// of a .tgz). With one
    /// argument it is the chart and the release is called `release-name`.
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
    /// Version of an oci:// chart (its tag, with `+` written as `_`).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Speak plain HTTP to the chart's registry (loopback registries always do).
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// CA bundle (PEM) trusted, besides the system's, for an https:// chart URL.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
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

/// Renders and prints; chart errors are joined into one line.
pub fn run(args: &TemplateArgs) -> anyhow::Result<ExitCode> {
    let printed = render(args).map_err(|error| match error.downcast_ref::<chart::Error>() {
        Some(chart_error) => anyhow::anyhow!(chart_error.one_line()),
        None => error,
    })?;
    print!("{printed}");
    Ok(ExitCode::SUCCESS)
}

/// What `tare template` prints for these arguments. Chart errors keep helm
/// v4's wording (some span several lines), as the compatibility tests compare.
pub fn render(args: &TemplateArgs) -> anyhow::Result<String> {
    let (release, chart_ref) = args.release_and_chart();
    let chart = load_chart(chart_ref, args)?;
    chart::check_dependencies(&chart)?;
    let values = ValueOptions {
        value_files: args.values.clone(),
        values: args.set.clone(),
        string_values: args.set_string.clone(),
        json_values: args.set_json.clone(),
        file_values: args.set_file.clone(),
        literal_values: args.set_literal.clone(),
    }
    .user_values()?;
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
    let rendered = chart::render(chart, &values, &options)?;
    let printed = rendered.helm_template_output(&PrintOptions {
        include_crds: args.include_crds,
        no_hooks: args.no_hooks,
        skip_tests: args.skip_tests,
        show_only: args.show_only.clone(),
    })?;
    Ok(printed)
}

/// The chart argument, loaded wherever it is (see [`ChartSource`]).
fn load_chart(chart_ref: &str, args: &TemplateArgs) -> anyhow::Result<chart::Chart> {
    let source = ChartSource {
        reference: chart_ref,
        version: args.version.as_deref(),
        plain_http: args.plain_http,
        ca_file: args.ca_file.as_deref(),
    };
    if source.is_oci() && source.version.is_none() {
        anyhow::bail!("{chart_ref}: give the chart version with --version");
    }
    source.load_blocking()
}
