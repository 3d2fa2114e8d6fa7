//! From rendered files to what Helm installs and prints: documents split and
//! sorted by kind, hooks apart, CRDs, notes; and `helm template`'s output.

use std::borrow::Cow;
use std::collections::BTreeMap;

use bytes::Bytes;

use super::Error;
use super::head;
use super::ignore::go_match;
use super::model::Chart;
use crate::template;
use crate::yaml;

/// One rendered, non-hook document.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The template it came from (`chart/templates/x.yaml`).
    pub source: String,
    /// The document text, trimmed.
    pub content: String,
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// A document with a `helm.sh/hook` annotation.
#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    pub source: String,
    pub content: String,
    pub kind: String,
    pub name: String,
    /// Normalised event names (`pre-install`, `test`, …).
    pub events: Vec<String>,
    pub weight: i64,
    /// As annotated (empty means Helm's default, `before-hook-creation`).
    pub delete_policies: Vec<String>,
}

/// A file from a `crds/` directory (not templated).
#[derive(Clone, Debug, PartialEq)]
pub struct Crd {
    /// `chart/crds/x.yaml` or `chart/charts/sub/crds/x.yaml`.
    pub source: String,
    /// The file's bytes, shared with the chart (most renderings never
    /// print them).
    data: Bytes,
}

impl Crd {
    /// The file as text (broken UTF-8 as U+FFFD).
    pub fn content(&self) -> Cow<'_, str> {
        super::text_of(&self.data)
    }
}

/// A rendered chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    /// Non-hook documents in Helm's install order.
    pub manifests: Vec<Manifest>,
    /// Hooks, sorted by kind (Helm sorts by weight when running them).
    pub hooks: Vec<Hook>,
    pub crds: Vec<Crd>,
    /// The root chart's NOTES.txt, rendered.
    pub notes: String,
}

/// What `helm template` prints besides the manifests.
#[derive(Clone, Debug, Default)]
pub struct PrintOptions {
    pub include_crds: bool,
    pub no_hooks: bool,
    pub skip_tests: bool,
    /// `--show-only` patterns (paths relative to the chart, e.g. `templates/x.yaml`).
    pub show_only: Vec<String>,
}

fn hook_event(name: &str) -> Option<&'static str> {
    Some(match name {
        "pre-install" => "pre-install",
        "post-install" => "post-install",
        "pre-delete" => "pre-delete",
        "post-delete" => "post-delete",
        "pre-upgrade" => "pre-upgrade",
        "post-upgrade" => "post-upgrade",
        "pre-rollback" => "pre-rollback",
        "post-rollback" => "post-rollback",
        "test" | "test-success" => "test",
        _ => return None,
    })
}

/// Helm's `SortManifests` on the rendered files, plus notes and CRDs.
pub(crate) fn build(
    chart: &Chart,
    mut files: BTreeMap<String, String>,
    subchart_notes: bool,
) -> Result<Rendered, Error> {
    let root_notes = format!("{}/templates/NOTES.txt", chart.name());
    let mut notes = String::new();
    let note_names: Vec<String> = files
        .keys()
        .filter(|k| k.ends_with("NOTES.txt"))
        .cloned()
        .collect();
    for name in note_names {
        if let Some(text) = files.remove(&name)
            && (subchart_notes || name == root_notes)
        {
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(&text);
        }
    }
    let documents: Vec<(String, String)> = files
        .into_iter()
        .filter(|(path, content)| {
            let base = path.rsplit('/').next().unwrap_or(path);
            !base.starts_with('_') && !content.trim().is_empty()
        })
        .flat_map(|(path, content)| {
            yaml::split_manifests_owned(content)
                .into_iter()
                .map(move |doc| (path.clone(), doc))
        })
        .collect();
    let heads = read_heads(&documents);
    let mut manifests = Vec::new();
    let mut hooks = Vec::new();
    for ((path, doc), head) in documents.into_iter().zip(heads) {
        let head = head.map_err(|e| Error::new(format!("YAML parse error on {path}: {e}")))?;
        let Some(hook_types) = head.annotation("helm.sh/hook") else {
            manifests.push(Manifest {
                source: path,
                content: doc,
                name: head.name().to_string(),
                api_version: head.api_version,
                kind: head.kind,
            });
            continue;
        };
        let annotation = |key: &str| head.annotation(key).unwrap_or_default();
        let mut events = Vec::new();
        let mut unknown = false;
        for event in hook_types.split(',') {
            match hook_event(&event.trim().to_lowercase()) {
                Some(e) => events.push(e.to_string()),
                None => {
                    unknown = true;
                    break;
                }
            }
        }
        if unknown {
            continue;
        }
        let delete_policies = annotation("helm.sh/hook-delete-policy")
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        hooks.push(Hook {
            source: path,
            name: head.name().to_string(),
            kind: head.kind.clone(),
            content: doc,
            events,
            weight: go_atoi(annotation("helm.sh/hook-weight")),
            delete_policies,
        });
    }
    manifests.sort_by(|a, b| {
        crate::manifest::install_rank(&a.kind).cmp(&crate::manifest::install_rank(&b.kind))
    });
    hooks.sort_by(|a, b| {
        crate::manifest::install_rank(&a.kind).cmp(&crate::manifest::install_rank(&b.kind))
    });
    let mut crds = Vec::new();
    collect_crds(chart, chart.name(), &mut crds)?;
    Ok(Rendered {
        manifests,
        hooks,
        crds,
        notes,
    })
}

/// Reads every document's head as Helm does, on two threads when there is
/// much to read (each document stands alone; results keep their order, so
/// the first failure reported is the first in Helm's order).
fn read_heads(documents: &[(String, String)]) -> Vec<Result<head::Head, yaml::Error>> {
    /// Below this many bytes a second thread costs more than it saves.
    const PARALLEL_FROM: usize = 64 << 10;
    let read = |doc: &String| {
        if template::has_raw_bytes(doc) {
            yaml::check_utf8(&template::string_bytes(doc))?;
        }
        head::read(doc)
    };
    let total: usize = documents.iter().map(|(_, doc)| doc.len()).sum();
    if total < PARALLEL_FROM {
        return documents.iter().map(|(_, doc)| read(doc)).collect();
    }
    // Split where half the bytes are on each side.
    let mut sum = 0;
    let middle = documents
        .iter()
        .position(|(_, doc)| {
            sum += doc.len();
            sum * 2 >= total
        })
        .map_or(documents.len(), |at| at + 1);
    let (first, second) = documents.split_at(middle);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().map(|(_, doc)| read(doc)).collect::<Vec<_>>());
        let mut heads: Vec<_> = first.iter().map(|(_, doc)| read(doc)).collect();
        match other.join() {
            Ok(rest) => heads.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        heads
    })
}

/// Go's `strconv.Atoi`, 0 on error.
fn go_atoi(text: &str) -> i64 {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    text.parse().unwrap_or(0)
}

fn collect_crds(chart: &Chart, full_path: &str, out: &mut Vec<Crd>) -> Result<(), Error> {
    for file in chart.crd_files() {
        out.push(Crd {
            source: format!("{full_path}/{}", file.name),
            data: file.data.bytes()?,
        });
    }
    for sub in &chart.dependencies {
        collect_crds(sub, &format!("{full_path}/charts/{}", sub.name()), out)?;
    }
    Ok(())
}

impl Rendered {
    /// The stored release manifest: `---\n# Source: <path>\n<doc>\n` per document.
    pub fn manifest_text(&self, include_crds: bool) -> String {
        let crds = self.crds.iter().filter(|_| include_crds);
        let size: usize = crds
            .clone()
            .map(|c| c.source.len() + c.data.len() + 16)
            .sum::<usize>()
            + self
                .manifests
                .iter()
                .map(|m| m.source.len() + m.content.len() + 16)
                .sum::<usize>();
        let mut out = String::with_capacity(size);
        for crd in crds {
            push_document(&mut out, &crd.source, &crd.content());
        }
        for m in &self.manifests {
            push_document(&mut out, &m.source, &m.content);
        }
        out
    }

    /// Exactly what `helm template` prints on stdout.
    pub fn helm_template_output(&self, options: &PrintOptions) -> Result<String, Error> {
        let mut out = self.manifest_text(options.include_crds);
        trim_in_place(&mut out);
        out.push('\n');
        if !options.no_hooks {
            for hook in &self.hooks {
                if options.skip_tests && hook.events.iter().any(|e| e == "test") {
                    continue;
                }
                push_document(&mut out, &hook.source, &hook.content);
            }
        }
        if options.show_only.is_empty() {
            return Ok(out);
        }
        let documents = yaml::split_manifests(&out);
        let mut shown = String::new();
        for pattern in &options.show_only {
            let pattern = pattern.replace('\\', "/");
            let mut missing = true;
            for doc in &documents {
                let Some(path) = source_path(doc) else {
                    continue;
                };
                if !go_match(&pattern, path) {
                    continue;
                }
                shown.push_str(&format!("---\n{doc}\n"));
                missing = false;
            }
            if missing {
                return Err(Error::new(format!(
                    "could not find template {pattern} in chart"
                )));
            }
        }
        Ok(shown)
    }
}

/// Appends one document as helm prints it, under its `# Source:` line.
fn push_document(out: &mut String, source: &str, content: &str) {
    for part in ["---\n# Source: ", source, "\n", content, "\n"] {
        out.push_str(part);
    }
}

/// `str::trim` without a copy of what stays.
fn trim_in_place(text: &mut String) {
    let end = text.trim_end().len();
    text.truncate(end);
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
}

/// The path after the chart name in a document's `# Source: <chart>/<path>` line
/// (Go's regexp `# Source: [^/]+/(.+)`: the first match anywhere).
fn source_path(doc: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(at) = doc[from..].find("# Source: ") {
        let start = from + at + "# Source: ".len();
        let rest = &doc[start..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let line = &rest[..line_end];
        if let Some(slash) = line.find('/')
            && slash > 0
            && slash + 1 < line.len()
        {
            return Some(&line[slash + 1..]);
        }
        from = start;
    }
    None
}
