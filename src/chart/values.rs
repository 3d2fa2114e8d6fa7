//! Values as Helm builds them: files and `--set` flags into the user map,
//! coalescing with chart defaults (globals, subcharts), and dependency
//! processing (conditions, tags, aliases, import-values).

use std::path::PathBuf;

use super::Error;
use super::model::{Chart, ImportValue};
use super::semver;
use super::strvals::{self, Mode};
use crate::yaml::{self, Node, Numbers, Target};

/// Where user values come from, as on helm's command line.
#[derive(Clone, Debug, Default)]
pub struct ValueOptions {
    /// `-f/--values`, in order.
    pub value_files: Vec<PathBuf>,
    /// `--set`.
    pub values: Vec<String>,
    /// `--set-string`.
    pub string_values: Vec<String>,
    /// `--set-json`.
    pub json_values: Vec<String>,
    /// `--set-file`.
    pub file_values: Vec<String>,
    /// `--set-literal`.
    pub literal_values: Vec<String>,
}

impl ValueOptions {
    /// The user-supplied values map (helm's `MergeValues`): files, then
    /// `--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal`.
    pub fn user_values(&self) -> Result<Node, Error> {
        let mut base = Node::Map(Vec::new());
        for path in &self.value_files {
            let text = std::fs::read(path)
                .map_err(|e| Error::new(format!("open {}: {}", path.display(), io_reason(&e))))?;
            let current = load_values(&super::text_of(&text))
                .map_err(|e| Error::new(format!("failed to parse {}: {e}", path.display())))?;
            base = merge_maps(base, current);
        }
        let no_file = |_: &str| Ok(String::new());
        for value in &self.json_values {
            let trimmed = value.trim();
            if trimmed.starts_with('{') {
                let node = yaml::from_json_as(
                    trimmed,
                    Numbers::Float64,
                    Target::Map("map[string]interface {}"),
                )
                .map_err(|_| Error::new(format!("failed parsing --set-json data JSON: {value}")))?;
                base = merge_maps(base, node);
            } else {
                strvals::parse_into(value, &mut base, Mode::Json, &no_file)
                    .map_err(|_| Error::new(format!("failed parsing --set-json data {value}")))?;
            }
        }
        for value in &self.values {
            strvals::parse_into(value, &mut base, Mode::Typed, &no_file)
                .map_err(|e| Error::new(format!("failed parsing --set data: {e}")))?;
        }
        for value in &self.string_values {
            strvals::parse_into(value, &mut base, Mode::String, &no_file)
                .map_err(|e| Error::new(format!("failed parsing --set-string data: {e}")))?;
        }
        let read_file = |path: &str| {
            std::fs::read(path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| format!("open {path}: {}", io_reason(&e)))
        };
        for value in &self.file_values {
            strvals::parse_into(value, &mut base, Mode::File, &read_file)
                .map_err(|e| Error::new(format!("failed parsing --set-file data: {e}")))?;
        }
        for value in &self.literal_values {
            strvals::parse_literal_into(value, &mut base)
                .map_err(|e| Error::new(format!("failed parsing --set-literal data: {e}")))?;
        }
        Ok(base)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A values document stream (v4: every `---` document, deep-merged in order).
pub(crate) fn load_values(text: &str) -> Result<Node, String> {
    let mut values = Node::Map(Vec::new());
    for doc in yaml_documents(text)? {
        let node = yaml::load_as(
            doc,
            Numbers::Float64,
            Target::Map("map[string]interface {}"),
        )
        .map_err(|e| format!("cannot unmarshal yaml document: {e}"))?;
        let node = if matches!(node, Node::Null) {
            Node::Map(Vec::new())
        } else {
            node
        };
        values = merge_maps(values, node);
    }
    Ok(values)
}

/// Kubernetes' `YAMLReader`: documents separated by lines starting with `---`,
/// as slices of `text`.
fn yaml_documents(text: &str) -> Result<Vec<&str>, String> {
    let bytes = text.as_bytes();
    let mut docs = Vec::new();
    let mut doc_start = 0;
    // A fast search for `---`; only those at the start of a line separate.
    let separators =
        memchr::memmem::find_iter(bytes, "---").filter(|&at| at == 0 || bytes[at - 1] == b'\n');
    for at in separators {
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(text.len(), |n| at + n + 1);
        let line = &text[at..line_end];
        let trimmed = line[3..].trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            return Err(format!(
                "error reading yaml document: yaml: line: invalid document separator: {}",
                line.trim_end()
            ));
        }
        if at > doc_start {
            docs.push(&text[doc_start..at]);
        }
        doc_start = line_end;
    }
    if doc_start < text.len() {
        docs.push(&text[doc_start..]);
    }
    Ok(docs)
}

// ----- map helpers ---------------------------------------------------------

pub(crate) fn entries(node: &Node) -> &[(String, Node)] {
    match node {
        Node::Map(entries) => entries,
        _ => &[],
    }
}

pub(crate) fn lookup<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    entries(node).iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn lookup_mut<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match node {
        Node::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn insert(node: &mut Node, key: &str, value: Node) {
    let entries = strvals::map_entries(node);
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key.to_string(), value)),
    }
}

fn remove(node: &mut Node, key: &str) {
    if let Node::Map(entries) = node {
        entries.retain(|(k, _)| k != key);
    }
}

fn is_table(node: &Node) -> bool {
    matches!(node, Node::Map(_))
}

/// Helm's `MergeMaps`: maps merge recursively, anything else in `b` replaces.
pub(crate) fn merge_maps(mut a: Node, b: Node) -> Node {
    let Node::Map(b_entries) = b else {
        return a;
    };
    for (k, v) in b_entries {
        if is_table(&v)
            && let Some(existing) = lookup_mut(&mut a, &k)
            && is_table(existing)
        {
            let old = std::mem::replace(existing, Node::Null);
            *existing = merge_maps(old, v);
            continue;
        }
        insert(&mut a, &k, v);
    }
    a
}

/// `coalesceTablesFullKey`: `dst` wins; `src` fills in. With `merge` false a
/// `null` in `dst` deletes the key `src` would have filled.
fn coalesce_tables(dst: &mut Node, src: &Node, merge: bool) {
    if !is_table(dst) {
        return;
    }
    for (key, val) in entries(src) {
        match lookup_mut(dst, key) {
            None => insert(dst, key, val.clone()),
            Some(Node::Null) => {
                if !merge && !matches!(val, Node::Null) {
                    remove(dst, key);
                }
            }
            Some(dv) => {
                if is_table(val) && is_table(dv) {
                    coalesce_tables(dv, val, merge);
                }
            }
        }
    }
}

/// `coalesceValues`: the chart's defaults into `v` (user values win).
fn coalesce_values(chart: &Chart, v: &mut Node, merge: bool) {
    for (key, val) in entries(&chart.values) {
        match lookup_mut(v, key) {
            None => insert(v, key, val.clone()),
            Some(Node::Null) if !merge => remove(v, key),
            Some(dest) => {
                if is_table(dest) && is_table(val) {
                    let child_merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    coalesce_tables(dest, val, child_merge);
                }
            }
        }
    }
}

fn coalesce_globals(dest: &mut Node, src: &Node) {
    let mut dg = match lookup(dest, "global") {
        None => Node::Map(Vec::new()),
        Some(g @ Node::Map(_)) => g.clone(),
        Some(_) => return,
    };
    let sg = match lookup(src, "global") {
        None => return insert(dest, "global", dg),
        Some(g @ Node::Map(_)) => g.clone(),
        Some(_) => return,
    };
    for (key, val) in entries(&sg) {
        if is_table(val) {
            let mut vv = val.clone();
            match lookup(&dg, key) {
                None => insert(&mut dg, key, vv),
                Some(destv @ Node::Map(_)) => {
                    coalesce_tables(&mut vv, destv, true);
                    insert(&mut dg, key, vv);
                }
                Some(_) => {}
            }
        } else if lookup(&dg, key).is_some_and(is_table) {
            // A table is never replaced by a scalar.
        } else {
            insert(&mut dg, key, val.clone());
        }
    }
    insert(dest, "global", dg);
}

fn coalesce(chart: &Chart, dest: &mut Node, merge: bool) -> Result<(), Error> {
    coalesce_values(chart, dest, merge);
    for sub in &chart.dependencies {
        let name = sub.name();
        match lookup(dest, name) {
            None => insert(dest, name, Node::Map(Vec::new())),
            Some(Node::Map(_)) => {}
            Some(other) => {
                return Err(Error::new(format!(
                    "type mismatch on {name}: %!t({}={})",
                    go_kind(other),
                    short(other)
                )));
            }
        }
        let parent_snapshot = Node::Map(vec![(
            "global".to_string(),
            lookup(dest, "global")
                .cloned()
                .unwrap_or(Node::Map(Vec::new())),
        )]);
        let has_global = lookup(dest, "global").is_some();
        let Some(sub_values) = lookup_mut(dest, name) else {
            continue;
        };
        if has_global {
            coalesce_globals(sub_values, &parent_snapshot);
        } else {
            coalesce_globals(sub_values, &Node::Map(Vec::new()));
        }
        coalesce(sub, sub_values, merge)?;
    }
    Ok(())
}

fn go_kind(node: &Node) -> &'static str {
    match node {
        Node::Str(_) => "string",
        Node::Bool(_) => "bool",
        Node::Int(_) => "int64",
        Node::Float(_) => "float64",
        Node::Seq(_) => "[]interface {}",
        _ => "<nil>",
    }
}

fn short(node: &Node) -> String {
    match node {
        Node::Str(s) => s.clone(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => super::go_float(*f),
        _ => String::new(),
    }
}

/// Helm's `CoalesceValues(chart, user)`: the values templates see.
pub(crate) fn coalesce_values_for(chart: &Chart, user: &Node) -> Result<Node, Error> {
    let mut dest = match user {
        Node::Map(_) => user.clone(),
        _ => Node::Map(Vec::new()),
    };
    coalesce(chart, &mut dest, false)?;
    Ok(dest)
}

/// Helm's `MergeValues(chart, user)`: like coalescing, keeping `null`s.
fn merge_values_for(chart: &Chart, user: &Node) -> Result<Node, Error> {
    let mut dest = match user {
        Node::Map(_) => user.clone(),
        _ => Node::Map(Vec::new()),
    };
    coalesce(chart, &mut dest, true)?;
    Ok(dest)
}

// ----- dependencies --------------------------------------------------------

/// The value at a dotted path, if every step is a map.
fn path_value<'n>(node: &'n Node, path: &str) -> Option<&'n Node> {
    let mut current = node;
    for part in path.split('.') {
        current = lookup(current, part)?;
    }
    Some(current)
}

/// Helm's `ProcessDependenciesWithMerge`: drops disabled subcharts and
/// applies aliases (`enabled`), then imports values bottom-up.
pub(crate) fn process_dependencies(chart: &mut Chart, user: &Node) -> Result<(), Error> {
    process_enabled(chart, user, "")?;
    process_imports(chart)
}

fn process_enabled(chart: &mut Chart, v: &Node, path: &str) -> Result<(), Error> {
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    // Subcharts move into place; one that several requirements name (under
    // different aliases) is copied for all but its last use.
    let mut existing: Vec<Option<Chart>> = std::mem::take(&mut chart.dependencies)
        .into_iter()
        .map(Some)
        .collect();
    let found: Vec<Option<usize>> = chart
        .metadata
        .dependencies
        .iter()
        .map(|req| {
            existing.iter().position(|c| {
                c.as_ref().is_some_and(|c| {
                    c.name() == req.name && version_matches(&req.version, &c.metadata.version)
                })
            })
        })
        .collect();
    let mut uses = vec![0usize; existing.len()];
    for at in found.iter().flatten() {
        uses[*at] += 1;
    }
    // Subcharts no requirement names come first, as they were.
    let mut deps: Vec<Chart> = existing
        .iter_mut()
        .zip(&uses)
        .filter(|(_, uses)| **uses == 0)
        .filter_map(|(slot, _)| slot.take())
        .collect();
    for (req, at) in chart.metadata.dependencies.iter_mut().zip(found) {
        if let Some(at) = at {
            uses[at] -= 1;
            let mut sub = if uses[at] == 0 {
                existing[at].take()
            } else {
                existing[at].clone()
            }
            .expect("a subchart is taken only at its last use");
            if !req.alias.is_empty() {
                sub.metadata.name = req.alias.clone();
            }
            deps.push(sub);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
        req.enabled = true;
    }
    chart.dependencies = deps;
    let cvals = coalesce_values_for(chart, v)?;
    // Tags, then conditions (which override tags).
    let tags = lookup(&cvals, "tags");
    for req in &mut chart.metadata.dependencies {
        let mut has_true = false;
        let mut has_false = false;
        for tag in &req.tags {
            match tags.and_then(|t| lookup(t, tag)) {
                Some(Node::Bool(true)) => has_true = true,
                Some(Node::Bool(false)) => has_false = true,
                _ => {}
            }
        }
        if !has_true && has_false {
            req.enabled = false;
        }
    }
    for req in &mut chart.metadata.dependencies {
        for condition in req.condition.split(',') {
            let condition = condition.trim();
            if condition.is_empty() {
                continue;
            }
            if let Some(Node::Bool(b)) = path_value(&cvals, &format!("{path}{condition}")) {
                req.enabled = *b;
                break;
            }
        }
    }
    let disabled: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !d.enabled)
        .map(|d| d.name.clone())
        .collect();
    chart
        .dependencies
        .retain(|c| !disabled.iter().any(|n| n == c.name()));
    chart
        .metadata
        .dependencies
        .retain(|d| !disabled.contains(&d.name));
    for sub in &mut chart.dependencies {
        let subpath = format!("{path}{}.", sub.name());
        process_enabled(sub, &cvals, &subpath)?;
    }
    Ok(())
}

fn version_matches(constraint: &str, version: &str) -> bool {
    constraint.is_empty() || semver::compatible(constraint, version)
}

fn path_to_map(path: &str, data: Node) -> Node {
    if path == "." {
        return data;
    }
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    let mut node = data;
    for part in parts.iter().rev() {
        node = Node::Map(vec![(part.to_string(), node)]);
    }
    node
}

/// `MergeTables(dst, src)`: `dst` wins, `null`s kept.
fn merge_tables(mut dst: Node, src: &Node) -> Node {
    coalesce_tables(&mut dst, src, true);
    dst
}

fn process_imports(chart: &mut Chart) -> Result<(), Error> {
    for sub in &mut chart.dependencies {
        process_imports(sub)?;
    }
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = merge_values_for(chart, &Node::Map(Vec::new()))?;
    let mut b = Node::Map(Vec::new());
    for req in &mut chart.metadata.dependencies {
        let mut normalized = Vec::new();
        for iv in &req.import_values {
            let (child, parent) = match iv {
                ImportValue::Map { child, parent } => (child.clone(), parent.clone()),
                ImportValue::Export(name) => (format!("exports.{name}"), ".".to_string()),
            };
            normalized.push(ImportValue::Map {
                child: child.clone(),
                parent: parent.clone(),
            });
            let Some(table @ Node::Map(_)) = path_value(&cvals, &format!("{}.{child}", req.name))
            else {
                continue;
            };
            b = merge_tables(b, &path_to_map(&parent, table.clone()));
        }
        req.import_values = normalized;
    }
    chart.values = merge_tables(cvals, &b);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(text: &str) -> Node {
        yaml::load(text, Numbers::Float64).unwrap()
    }

    fn chart(values: &str, deps: Vec<Chart>) -> Chart {
        let mut c = Chart {
            metadata: Default::default(),
            templates: vec![],
            values: y(values),
            schema: None,
            files: vec![],
            dependencies: deps,
        };
        c.metadata.name = "top".into();
        c
    }

    #[test]
    fn nulls_delete_defaults_only() {
        let c = chart("a: 1\nb: {x: 1, y: 2}\nn: null\n", vec![]);
        let out = coalesce_values_for(&c, &y("a: null\nb: {x: null}\nz: null\n")).unwrap();
        assert_eq!(lookup(&out, "a"), None);
        assert_eq!(lookup(&out, "b"), Some(&y("y: 2")));
        assert_eq!(lookup(&out, "z"), Some(&Node::Null));
    }

    #[test]
    fn globals_reach_subcharts() {
        let mut sub = chart("global: {env: prod, own: 1}\nx: 1\n", vec![]);
        sub.metadata.name = "sub".into();
        let c = chart("global: {env: dev}\nsub: {x: 2}\n", vec![sub]);
        let out = coalesce_values_for(&c, &Node::Map(vec![])).unwrap();
        let s = lookup(&out, "sub").unwrap();
        assert_eq!(path_value(s, "global.env"), Some(&Node::Str("dev".into())));
        assert_eq!(path_value(s, "global.own"), Some(&Node::Float(1.0)));
        assert_eq!(lookup(s, "x"), Some(&Node::Float(2.0)));
        assert_eq!(path_value(&out, "global.own"), None);
    }

    #[test]
    fn multi_document_values_merge() {
        let v = load_values("a: 1\nb: {c: 1}\n---\nb: {d: 2}\n").unwrap();
        assert_eq!(path_value(&v, "b.d"), Some(&Node::Float(2.0)));
        assert_eq!(path_value(&v, "b.c"), Some(&Node::Float(1.0)));
    }

    #[test]
    fn documents_are_split_only_at_lines_starting_with_three_dashes() {
        let text = "---\na: x---y\n--- # comment\n\n---\r\nb: 1\n  ---\n---";
        assert_eq!(
            yaml_documents(text).unwrap(),
            ["a: x---y\n", "\n", "b: 1\n  ---\n"]
        );
        assert_eq!(
            yaml_documents("a: 1\n--- b\n").unwrap_err(),
            "error reading yaml document: yaml: line: invalid document separator: --- b"
        );
        assert_eq!(yaml_documents("a: 1").unwrap(), ["a: 1"]);
    }
}
