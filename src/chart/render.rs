//! The rendering driver: dependencies and values, then one template set for
//! the whole chart tree, executed file by file as Helm's engine does.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use bytes::Bytes;

use super::Error;
use super::files::{Capabilities, DEFAULT_API_VERSIONS, Files, KubeVersion, node_to_value};
use super::functions::{self, WARN_END, WARN_START};
use super::model::{Chart, Contents, Dependency, Maintainer, Metadata};
use super::output::{self, Rendered};
use super::schema;
use super::semver;
use super::values::{coalesce_values_for, process_dependencies};
use crate::template::{Funcs, Map, MapKind, MissingKey, Source, TemplateError, TemplateSet, Value};
use crate::yaml::Node;

/// Stack for the rendering thread: deep `include` recursion runs on the native stack.
const RENDER_STACK: usize = 1 << 30;

/// How a chart is rendered: the release, the cluster it pretends to target.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub release_name: String,
    pub namespace: String,
    /// `.Release.Revision` (1 on install).
    pub revision: i64,
    /// `.Release.IsUpgrade` (and not `IsInstall`).
    pub is_upgrade: bool,
    /// `--kube-version`; helm v4's offline default is v1.35.0.
    pub kube_version: Option<String>,
    /// `--api-versions`, added to the default set.
    pub api_versions: Vec<String>,
    pub skip_schema_validation: bool,
    /// Join every chart's NOTES.txt (`--render-subchart-notes`).
    pub render_subchart_notes: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_upgrade: false,
            kube_version: None,
            api_versions: Vec::new(),
            skip_schema_validation: false,
            render_subchart_notes: false,
        }
    }
}

/// Renders `chart` with the user-supplied values (helm's `config`): processes
/// dependencies, coalesces and validates values, renders every template and
/// sorts the result into manifests, hooks, CRDs and notes. The chart is taken
/// by value because dependency processing prunes it.
pub fn render(
    chart: Chart,
    user_values: &Node,
    options: &RenderOptions,
) -> Result<Rendered, Error> {
    let user_values = user_values.clone();
    let options = options.clone();
    let (reply, outcome) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("tare-render".into())
        .stack_size(RENDER_STACK)
        .spawn(move || {
            let mut leftovers = Leftovers::default();
            let rendered = render_on_thread(chart, &user_values, &options, &mut leftovers);
            // The caller may have gone: then nobody needs the result.
            let _ = reply.send(rendered);
            // Freeing must not delay the caller, which would otherwise
            // wait for this thread's time slice to end to be woken.
            run_at_idle_priority();
            drop(leftovers);
        })
        .map_err(|e| Error::new(format!("cannot start the rendering thread: {e}")))?;
    outcome
        .recv()
        .unwrap_or_else(|_| Err(Error::new("rendering template failed: internal error")))
}

/// What a render is done with but has not freed yet. Freeing a chart's
/// values and parsed templates costs a tenth of a render, so the render
/// thread frees them after handing its result over, while the caller goes
/// on (and a process that exits first never pays for it).
#[derive(Default)]
struct Leftovers(Vec<Box<dyn std::any::Any>>);

impl Leftovers {
    fn keep<T: 'static>(&mut self, thing: T) {
        self.0.push(Box::new(thing));
    }
}

/// Lowers the calling thread to the scheduler's idle class: it runs only
/// when a CPU has nothing else to do.
fn run_at_idle_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: sets the calling thread's own scheduling policy from a valid,
    // fully initialised parameter block.
    unsafe {
        let idle = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &idle);
    }
}

fn render_on_thread(
    mut chart: Chart,
    user: &Node,
    options: &RenderOptions,
    leftovers: &mut Leftovers,
) -> Result<Rendered, Error> {
    process_dependencies(&mut chart, user)?;
    let kube_version = match &options.kube_version {
        Some(text) => KubeVersion::parse(text)
            .ok_or_else(|| Error::new(format!("invalid kube version {text:?}")))?,
        None => KubeVersion::parse("v1.35.0").unwrap_or(KubeVersion {
            version: "v1.35.0".into(),
            major: "1".into(),
            minor: "35".into(),
        }),
    };
    let mut api_versions: Vec<String> =
        DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect();
    api_versions.extend(options.api_versions.iter().cloned());
    // Values first, as helm reports their errors before the templates'. (A
    // second thread for them was slower: both threads allocate throughout,
    // and contend for the one malloc arena.)
    let values = checked_values(&chart, user, options.skip_schema_validation)?;
    if !chart.metadata.kube_version.is_empty()
        && !semver::compatible(&chart.metadata.kube_version, &kube_version.string())
    {
        return Err(Error::new(format!(
            "chart requires kubeVersion: {} which is incompatible with Kubernetes {}",
            chart.metadata.kube_version,
            kube_version.string()
        )));
    }
    let caps = Value::Object(Rc::new(Capabilities {
        kube_version: Rc::new(kube_version),
        api_versions: Rc::new(api_versions),
    }));
    let release = Value::Map(Map::from_entries(
        MapKind::Any,
        BTreeMap::from([
            (
                "Name".to_string(),
                Value::from(options.release_name.as_str()),
            ),
            (
                "Namespace".to_string(),
                Value::from(options.namespace.as_str()),
            ),
            ("IsUpgrade".to_string(), Value::Bool(options.is_upgrade)),
            ("IsInstall".to_string(), Value::Bool(!options.is_upgrade)),
            ("Revision".to_string(), Value::Int(options.revision)),
            ("Service".to_string(), Value::from("Helm")),
        ]),
    ));
    let (set, names) = parse_templates(&chart)?;
    let rendered = render_templates(&set, &names, &chart, &values, &release, &caps)?;
    leftovers.keep(set);
    let built = output::build(&chart, rendered, options.render_subchart_notes);
    leftovers.keep(chart);
    leftovers.keep(values);
    built
}

/// Helm's values for the chart: coalesced, and checked against the charts'
/// schemas unless told not to.
fn checked_values(chart: &Chart, user: &Node, skip_schema: bool) -> Result<Node, Error> {
    let values = coalesce_values_for(chart, user)?;
    if !skip_schema {
        schema::validate_chart(chart, &values).map_err(|e| {
            Error::new(format!(
                "values don't meet the specifications of the schema(s) in the following chart(s):\n{e}"
            ))
        })?;
    }
    Ok(values)
}

/// What a template is executed with.
struct Renderable {
    data: Map,
    base_path: String,
}

/// A list field of `.Chart`: helm v4 always passes a list, empty when unset.
fn strings(list: &[String]) -> Value {
    Value::list(list.iter().map(|s| Value::from(s.as_str())).collect())
}

fn any_map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(Map::from_entries(
        MapKind::Any,
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    ))
}

fn maintainer_value(m: &Maintainer) -> Value {
    any_map(vec![
        ("Name", Value::from(m.name.as_str())),
        ("Email", Value::from(m.email.as_str())),
        ("URL", Value::from(m.url.as_str())),
    ])
}

/// One of `.Chart.Dependencies`; `import-values` strings become their
/// `{child: exports.<name>, parent: .}` form, as helm v4 shows them.
fn dependency_value(d: &Dependency) -> Value {
    let imports = d
        .import_values
        .iter()
        .map(|iv| match iv {
            super::ImportValue::Export(s) => Value::from(s.as_str()),
            super::ImportValue::Map { child, parent } => any_map(vec![
                ("child", Value::from(child.as_str())),
                ("parent", Value::from(parent.as_str())),
            ]),
        })
        .collect();
    any_map(vec![
        ("Name", Value::from(d.name.as_str())),
        ("Version", Value::from(d.version.as_str())),
        ("Repository", Value::from(d.repository.as_str())),
        ("Condition", Value::from(d.condition.as_str())),
        ("Tags", strings(&d.tags)),
        ("Enabled", Value::Bool(d.enabled)),
        ("ImportValues", Value::list(imports)),
        ("Alias", Value::from(d.alias.as_str())),
    ])
}

/// `.Chart` as helm v4 passes it: the metadata's Go field names, all present.
fn chart_value(md: &Metadata, is_root: bool) -> Value {
    let maintainers = md.maintainers.as_deref().unwrap_or_default();
    let annotations = Value::Map(match &md.annotations {
        Some(entries) => Map::from_entries(
            MapKind::Any,
            entries
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        ),
        None => Map::nil(MapKind::Any),
    });
    any_map(vec![
        ("Name", Value::from(md.name.as_str())),
        ("Home", Value::from(md.home.as_str())),
        (
            "Sources",
            strings(md.sources.as_deref().unwrap_or_default()),
        ),
        ("Version", Value::from(md.version.as_str())),
        ("Description", Value::from(md.description.as_str())),
        (
            "Keywords",
            strings(md.keywords.as_deref().unwrap_or_default()),
        ),
        (
            "Maintainers",
            Value::list(maintainers.iter().map(maintainer_value).collect()),
        ),
        ("Icon", Value::from(md.icon.as_str())),
        ("APIVersion", Value::from(md.api_version.as_str())),
        ("Condition", Value::from(md.condition.as_str())),
        ("Tags", Value::from(md.tags.as_str())),
        ("AppVersion", Value::from(md.app_version.as_str())),
        ("Deprecated", Value::Bool(md.deprecated)),
        ("Annotations", annotations),
        ("KubeVersion", Value::from(md.kube_version.as_str())),
        (
            "Dependencies",
            Value::list(md.dependencies.iter().map(dependency_value).collect()),
        ),
        ("Type", Value::from(md.chart_type.as_str())),
        ("IsRoot", Value::Bool(is_root)),
    ])
}

/// Helm's `recAllTpls`: every template of the tree with the data it runs with.
fn collect(
    chart: &Chart,
    full_path: &str,
    values: Value,
    release: &Value,
    caps: &Value,
    is_root: bool,
    out: &mut BTreeMap<String, Renderable>,
) -> Map {
    let files: BTreeMap<String, Contents> = chart
        .files
        .iter()
        .map(|f| (f.name.clone(), f.data.clone()))
        .collect();
    let subcharts = Map::new(MapKind::Any);
    let data = Map::from_entries(
        MapKind::HelmValues,
        BTreeMap::from([
            ("Chart".to_string(), chart_value(&chart.metadata, is_root)),
            (
                "Files".to_string(),
                Value::Object(Rc::new(Files::new(files))),
            ),
            ("Release".to_string(), release.clone()),
            ("Capabilities".to_string(), caps.clone()),
            ("Values".to_string(), values.clone()),
            ("Subcharts".to_string(), Value::Map(subcharts.clone())),
        ]),
    );
    for sub in &chart.dependencies {
        let sub_values = match &values {
            Value::Map(m) => match m.get(sub.name()) {
                Some(Value::Map(inner)) => Value::Map(Map::from_entries(
                    MapKind::HelmValues,
                    inner.snapshot().into_iter().collect(),
                )),
                _ => Value::Map(Map::new(MapKind::HelmValues)),
            },
            _ => Value::Map(Map::new(MapKind::HelmValues)),
        };
        let sub_path = format!("{full_path}/charts/{}", sub.name());
        let sub_data = collect(sub, &sub_path, sub_values, release, caps, false, out);
        subcharts.insert(sub.name(), Value::Map(sub_data));
    }
    for template in templates_of(chart) {
        out.insert(
            format!("{full_path}/{}", template.name),
            Renderable {
                data: data.clone(),
                base_path: format!("{full_path}/templates"),
            },
        );
    }
    data
}

/// The templates of `chart` that take part in a render: a library chart's
/// only define (its `_` partials).
fn templates_of(chart: &Chart) -> impl Iterator<Item = &super::model::File> {
    chart.templates.iter().filter(|template| {
        let base = template.name.rsplit('/').next().unwrap_or(&template.name);
        !chart.is_library() || base.starts_with('_')
    })
}

/// The text of every template of the chart and its subcharts, by full name
/// (`<chart>/charts/<subchart>/templates/<file>`).
fn template_texts(chart: &Chart, full_path: &str, out: &mut BTreeMap<String, Source>) {
    for sub in &chart.dependencies {
        template_texts(sub, &format!("{full_path}/charts/{}", sub.name()), out);
    }
    for template in templates_of(chart) {
        out.insert(
            format!("{full_path}/{}", template.name),
            source_of(&template.data),
        );
    }
}

/// A template's text without a copy; invalid UTF-8 replaced as `text_of` does.
fn source_of(data: &Bytes) -> Source {
    Source::from_utf8(data.clone())
        .unwrap_or_else(|_| Source::from(super::text_of(data).into_owned()))
}

/// Every template parsed into one set, in helm's order, and their names.
fn parse_templates(chart: &Chart) -> Result<(TemplateSet, Vec<String>), Error> {
    let mut texts = BTreeMap::new();
    template_texts(chart, chart.name(), &mut texts);
    let mut funcs = Funcs::new();
    crate::template::register_sprig(&mut funcs);
    // Helm removes these two from Sprig's map.
    funcs.remove("env");
    funcs.remove("expandenv");
    functions::register(&mut funcs);
    let mut set = TemplateSet::new("gotpl", funcs);
    set.set_missing_key(MissingKey::Zero);
    let mut names: Vec<String> = texts.keys().cloned().collect();
    sort_templates(&mut names);
    for name in &names {
        set.parse(name, texts[name].clone())
            .map_err(|e| parse_error(&e))?;
    }
    Ok((set, names))
}

/// Helm's parse-order: deeper paths first, then reverse lexicographic.
fn sort_templates(names: &mut [String]) {
    names.sort_by(|a, b| {
        let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
        cb.cmp(&ca).then_with(|| b.cmp(a))
    });
}

fn parse_error(err: &TemplateError) -> Error {
    let text = err.to_string();
    let tokens: Vec<&str> = text.split(": ").collect();
    if tokens.len() < 2 {
        return Error::new(format!("parse error: {text}"));
    }
    Error::new(format!(
        "parse error at ({}): {}",
        tokens[1],
        tokens[tokens.len() - 1]
    ))
}

/// helm v4's wording of execution errors: `fail`/`required` messages as
/// `execution error at (…)`, else the error chain reformatted one block per
/// template error (see [`traced`]), or Go's one-line text when it can't be.
pub(crate) fn exec_error(filename: &str, err: &TemplateError) -> Error {
    let text = err.to_string();
    if let (Some(start), Some(end)) = (text.find(WARN_START), text.rfind(WARN_END)) {
        let message = &text[start + WARN_START.len()..end.max(start + WARN_START.len())];
        let location = text.split(": ").nth(1).unwrap_or(filename);
        return Error::new(format!("execution error at ({location}): {message}"));
    }
    match err {
        TemplateError::Exec { .. } => Error::new(traced(&text).unwrap_or(text)),
        _ => Error::new(text),
    }
}

/// One template error of a chain, as helm's `TraceableError` prints it.
#[derive(PartialEq)]
struct Trace<'a> {
    location: &'a str,
    executing: Option<(&'a str, &'a str)>,
    message: &'a str,
}

impl fmt::Display for Trace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.location.is_empty() {
            write!(f, "{}\n  ", self.location)?;
        }
        if let Some((template, context)) = self.executing {
            write!(f, "executing \"{template}\" at <{context}>:\n    ")?;
        }
        if !self.message.is_empty() {
            writeln!(f, "{}", self.message)?;
        }
        Ok(())
    }
}

/// helm v4 walks Go's error chain (`errors.Unwrap`) and prints each template
/// error in it as a block, but keeps the original one-line text as soon as
/// one error in the chain is not a template error. In Go's chain only
/// `error calling <func>: <inner>` continues (text/template wraps a
/// function's error with `%w`), so the chain is rebuilt from the text: the
/// inner error of a failing `include` is the included template's own error
/// (or `no template …`), any other function's error is a plain error.
fn traced(text: &str) -> Option<String> {
    let mut traces: Vec<Trace> = Vec::new();
    let mut current = Some(text);
    while let Some(error) = current {
        let (trace, full_message) = parse_trace(error)?;
        if traces.last() != Some(&trace) {
            traces.push(trace);
        }
        current = full_message.and_then(wrapped_error);
    }
    let blocks: String = traces.iter().map(Trace::to_string).collect();
    Some(blocks.trim().to_string())
}

/// helm's `parseTemplateExecErrorString`: the trace, and the untrimmed
/// message of the executing form (whose wrapped error may follow).
fn parse_trace(error: &str) -> Option<(Trace<'_>, Option<&str>)> {
    let rest = error.strip_prefix("template: ")?;
    if rest.starts_with("no template ") {
        let trace = Trace {
            location: "",
            executing: None,
            message: error,
        };
        return Some((trace, None));
    }
    if let Some((location, after)) = rest.split_once(": executing ") {
        let quoted = after.strip_prefix('"')?;
        let (template, after) = quoted.split_once('"')?;
        let (context, message) = after.strip_prefix(" at <")?.split_once(">: ")?;
        let trace = Trace {
            location,
            executing: Some((template, context)),
            message: cut_chained(message),
        };
        return Some((trace, Some(message)));
    }
    let (location, message) = rest.rsplit_once(": ")?;
    let trace = Trace {
        location,
        executing: None,
        message: cut_chained(message),
    };
    Some((trace, None))
}

/// A message stops where a chained `template:` error starts.
fn cut_chained(message: &str) -> &str {
    message
        .find(" template:")
        .map_or(message, |at| &message[..at])
}

/// The error a function call wraps: `error calling <func>: <inner>`.
fn wrapped_error(message: &str) -> Option<&str> {
    let call = message.strip_prefix("error calling ")?;
    let (func, inner) = call.split_once(": ")?;
    (!func.contains(' ')).then_some(inner)
}

/// Helm's `strings.ReplaceAll(out, "<no value>", "")`. Most outputs have none,
/// and a fast search says so without copying them.
pub(crate) fn strip_no_value(out: String) -> String {
    const NO_VALUE: &str = "<no value>";
    if memchr::memmem::find(out.as_bytes(), NO_VALUE.as_bytes()).is_none() {
        return out;
    }
    out.replace(NO_VALUE, "")
}

/// Executes every template but the partials (`_*`), in parse order.
fn render_templates(
    set: &TemplateSet,
    names: &[String],
    chart: &Chart,
    values: &Node,
    release: &Value,
    caps: &Value,
) -> Result<BTreeMap<String, String>, Error> {
    let mut renderables = BTreeMap::new();
    let root_values = node_to_value(values, MapKind::HelmValues);
    collect(
        chart,
        chart.name(),
        root_values,
        release,
        caps,
        true,
        &mut renderables,
    );
    let mut rendered = BTreeMap::new();
    for name in names {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') {
            continue;
        }
        let r = &renderables[name];
        r.data.insert(
            "Template",
            any_map(vec![
                ("Name", Value::from(name.as_str())),
                ("BasePath", Value::from(r.base_path.as_str())),
            ]),
        );
        let out = set
            .execute(name, Value::Map(r.data.clone()))
            .map_err(|e| exec_error(name, &e))?;
        rendered.insert(name.clone(), strip_no_value(out));
    }
    Ok(rendered)
}
