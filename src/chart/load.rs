//! Loading a chart from a directory or a `.tgz`, as Helm's `loader` does.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;

use super::Error;
use super::ignore::Rules;
use super::model::{Chart, Contents, Dependency, File, ImportValue, Maintainer, Metadata};
use super::semver::Version;
use super::values::load_values;
use crate::yaml::{self, Node, Numbers};

/// Loads a chart directory or a chart archive (`.tgz`).
pub fn load(path: &Path) -> Result<Chart, Error> {
    let meta = std::fs::metadata(path)
        .map_err(|_| Error::new(format!("path {:?} not found", path.display().to_string())))?;
    if meta.is_dir() {
        load_dir(path)
    } else {
        let data = std::fs::read(path)
            .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
        load_archive(&data)
    }
}

/// Loads a chart directory, honouring `.helmignore`.
pub fn load_dir(dir: &Path) -> Result<Chart, Error> {
    let rules = match std::fs::read_to_string(dir.join(".helmignore")) {
        Ok(text) => Rules::parse(&text).map_err(Error::new)?,
        Err(_) => Rules::parse("").map_err(Error::new)?,
    };
    let mut files = Vec::new();
    walk(dir, "", &rules, &mut files)?;
    load_files(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    rules: &Rules,
    out: &mut Vec<File<Contents>>,
) -> Result<(), Error> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", dir.display())))?;
    let mut entries: Vec<_> = read.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = entry.path();
        // The directory listing knows most types; symlinks are followed, as
        // Helm's walker does.
        let file_type = match entry.file_type() {
            Ok(t) if !t.is_symlink() => t,
            _ => match std::fs::metadata(&path) {
                Ok(meta) => meta.file_type(),
                Err(_) => continue,
            },
        };
        if file_type.is_dir() {
            if rules.ignore(&rel, true) {
                continue;
            }
            walk(&path, &rel, rules, out)?;
        } else {
            if rules.ignore(&rel, false) {
                continue;
            }
            if !file_type.is_file() {
                return Err(Error::new(format!(
                    "cannot load irregular file {} as it has file mode type bits set",
                    path.display()
                )));
            }
            let data = Contents::on_disk(path, &rel);
            out.push(File { name: rel, data });
        }
    }
    Ok(())
}

/// Files at least this large are mapped rather than copied (large CRDs and
/// values files); most templates are smaller.
const MAP_AT: u64 = 64 << 10;

/// A chart file's bytes: read into memory, or mapped when large (no copy,
/// and pages nothing reads are never loaded).
pub(super) fn read_file(path: &Path) -> std::io::Result<Bytes> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len >= MAP_AT {
        // SAFETY: the mapping is read-only and private to this process; a
        // chart being rewritten while it is rendered is outside what tare
        // (or helm) can render consistently anyway.
        let map = unsafe { memmap2::MmapOptions::new().len(len as usize).map(&file)? };
        return Ok(Bytes::from_owner(map));
    }
    // Exactly the size just read: `read_to_end` would ask for it again.
    let mut data = vec![0; len as usize];
    file.read_exact(&mut data)?;
    Ok(Bytes::from(data))
}

/// Loads a gzipped chart archive. The first path component (the chart's
/// directory) is stripped from every entry.
pub fn load_archive(data: &[u8]) -> Result<Chart, Error> {
    let raw = gunzip(data)?;
    // Entries are read from memory: seeking skips what is not read, and a
    // file's data is a slice of `raw`, not a copy.
    let mut archive = tar::Archive::new(std::io::Cursor::new(&raw[..]));
    let entries = archive
        .entries_with_seek()
        .map_err(|e| Error::new(format!("{e}")))?;
    let mut files: Vec<File<Contents>> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::new(format!("{e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| Error::new(format!("{e}")))?
            .to_string_lossy()
            .replace('\\', "/");
        let Some((_, rest)) = path.split_once('/') else {
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        if rest.split('/').any(|part| part == "..") {
            return Err(Error::new(
                "chart illegally contains content outside the base directory",
            ));
        }
        let start = usize::try_from(entry.raw_file_position()).unwrap_or(usize::MAX);
        let end = usize::try_from(entry.size())
            .ok()
            .and_then(|size| start.checked_add(size))
            .filter(|&end| end <= raw.len())
            .ok_or_else(|| Error::new("unexpected EOF in chart archive"))?;
        let name = rest.to_string();
        // A later entry with the same name replaces the earlier one.
        files.retain(|f| f.name != name);
        files.push(File {
            name,
            data: Contents::InMemory(strip_bom(raw.slice(start..end))),
        });
    }
    if files.is_empty() {
        return Err(Error::new("no files in chart archive"));
    }
    load_files(files)
}

/// The archive's content, read in one go into a buffer of the size its gzip
/// trailer gives (bounded by deflate's best ratio, so a lying trailer cannot
/// reserve more than a real stream could fill).
fn gunzip(data: &[u8]) -> Result<Bytes, Error> {
    const DEFLATE_MAX_RATIO: usize = 1032;
    let trailer = data.len().checked_sub(4).map_or(0, |at| {
        u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
    });
    let hint = (trailer as usize).min(data.len().saturating_mul(DEFLATE_MAX_RATIO));
    let mut raw = Vec::with_capacity(hint);
    flate2::bufread::GzDecoder::new(data)
        .read_to_end(&mut raw)
        .map_err(|e| Error::new(format!("{e}")))?;
    Ok(Bytes::from(raw))
}

pub(super) fn strip_bom(data: Bytes) -> Bytes {
    if data.starts_with(b"\xEF\xBB\xBF") {
        data.slice(3..)
    } else {
        data
    }
}

/// Builds a chart from its files (names relative to the chart root).
pub(crate) fn load_files(files: Vec<File<Contents>>) -> Result<Chart, Error> {
    let mut metadata: Option<Metadata> = None;
    let mut chart = Chart {
        metadata: Metadata::default(),
        templates: Vec::new(),
        values: Node::Map(Vec::new()),
        schema: None,
        files: Vec::new(),
        dependencies: Vec::new(),
    };
    let mut subcharts: BTreeMap<String, Vec<File<Contents>>> = BTreeMap::new();
    for file in files {
        let File { name, data } = file;
        match name.as_str() {
            "Chart.yaml" => {
                let data = data.bytes()?;
                let text = super::text_of(&data);
                let md = parse_metadata(&text)
                    .map_err(|e| Error::new(format!("cannot load Chart.yaml: {e}")))?;
                let deps = metadata.take().map(|m| m.dependencies).unwrap_or_default();
                let mut md = md;
                if md.dependencies.is_empty() {
                    md.dependencies = deps;
                }
                metadata = Some(md);
            }
            "Chart.lock" | "requirements.lock" => {
                if name == "requirements.lock"
                    && metadata.as_ref().is_none_or(|m| m.api_version == "v1")
                {
                    chart.files.push(File { name, data });
                }
            }
            "values.yaml" => {
                chart.values = load_values(&super::text_of(&data.bytes()?))
                    .map_err(|e| Error::new(format!("cannot load values.yaml: {e}")))?;
            }
            "values.schema.json" => chart.schema = Some(data.bytes()?),
            "requirements.yaml" => {
                let bytes = data.bytes()?;
                let text = super::text_of(&bytes);
                let node = yaml::load(&text, Numbers::Float64)
                    .map_err(|e| Error::new(format!("cannot load requirements.yaml: {e}")))?;
                let deps = parse_dependencies(get(&node, "dependencies"))
                    .map_err(|e| Error::new(format!("cannot load requirements.yaml: {e}")))?;
                let md = metadata.get_or_insert_with(Metadata::default);
                md.dependencies = deps;
                if md.api_version == "v1" {
                    chart.files.push(File { name, data });
                }
            }
            _ if name.starts_with("templates/") => {
                let data = data.bytes()?;
                chart.templates.push(File { name, data });
            }
            _ if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(File { name, data });
                    continue;
                }
                let rest = &name["charts/".len()..];
                let key = rest.split('/').next().unwrap_or(rest).to_string();
                subcharts.entry(key).or_default().push(File {
                    name: rest.to_string(),
                    data,
                });
            }
            _ => chart.files.push(File { name, data }),
        }
    }
    let Some(metadata) = metadata else {
        return Err(Error::new("Chart.yaml file is missing"));
    };
    chart.metadata = metadata;
    validate(&chart.metadata).map_err(|e| Error::new(format!("validation: {e}")))?;
    for (key, files) in subcharts {
        if key.starts_with('_') || key.starts_with('.') {
            continue;
        }
        let loaded = if key.ends_with(".tgz") {
            match files.iter().find(|f| f.name == key) {
                Some(file) => file.data.bytes().and_then(|data| load_archive(&data)),
                None => continue,
            }
        } else {
            let inner: Vec<File<Contents>> = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rest) = f.name.split_once('/')?;
                    Some(File {
                        name: rest.to_string(),
                        data: f.data,
                    })
                })
                .collect();
            load_files(inner)
        };
        let sub = loaded.map_err(|e| {
            Error::new(format!(
                "error unpacking subchart {key} in {}: {e}",
                chart.metadata.name
            ))
        })?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

/// helm's `CheckDependencies` (run by `template` and `install` before
/// rendering): every dependency listed in `Chart.yaml` must be in `charts/`.
pub fn check_dependencies(chart: &Chart) -> Result<(), Error> {
    let missing: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|req| !chart.dependencies.iter().any(|d| d.name() == req.name))
        .map(|req| req.name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::new(format!(
        "an error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
        missing.join(", ")
    )))
}

fn validate(md: &Metadata) -> Result<(), String> {
    if md.api_version.is_empty() {
        return Err("chart.metadata.apiVersion is required".into());
    }
    if md.name.is_empty() {
        return Err("chart.metadata.name is required".into());
    }
    if md.name.contains('/') || md.name.contains('\\') || md.name == "." || md.name == ".." {
        return Err(format!("chart.metadata.name {:?} is invalid", md.name));
    }
    if md.version.is_empty() {
        return Err("chart.metadata.version is required".into());
    }
    if Version::parse(&md.version).is_none() {
        return Err(format!(
            "chart.metadata.version {:?} is invalid",
            md.version
        ));
    }
    if !matches!(md.chart_type.as_str(), "" | "application" | "library") {
        return Err("chart.metadata.type must be application or library".into());
    }
    let mut seen = Vec::new();
    for dep in &md.dependencies {
        if dep.name.is_empty() {
            return Err("dependencies must have a name".into());
        }
        if !dep.alias.is_empty()
            && !dep
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "dependency {:?} has disallowed characters in the alias",
                dep.name
            ));
        }
        let key = if dep.alias.is_empty() {
            &dep.name
        } else {
            &dep.alias
        };
        if seen.contains(&key) {
            return Err(format!(
                "more than one dependency with name or alias {key:?}"
            ));
        }
        seen.push(key);
    }
    Ok(())
}

pub(crate) fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match node {
        Node::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// A scalar as `sigs.k8s.io/yaml` decodes it into a Go string field.
fn scalar_string(node: Option<&Node>, field: &str) -> Result<String, String> {
    Ok(match node {
        None | Some(Node::Null) => String::new(),
        Some(Node::Str(s)) => s.clone(),
        Some(Node::Bool(b)) => b.to_string(),
        Some(Node::Int(i)) => i.to_string(),
        Some(Node::Float(f)) => super::go_float(*f),
        Some(Node::Seq(_)) => return Err(unmarshal_error("array", field, "string")),
        Some(Node::Map(_)) => return Err(unmarshal_error("object", field, "string")),
    })
}

fn unmarshal_error(kind: &str, field: &str, ty: &str) -> String {
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go struct field {field} of type {ty}"
    )
}

fn string_list(node: Option<&Node>, field: &str) -> Result<Option<Vec<String>>, String> {
    match node {
        None | Some(Node::Null) => Ok(None),
        Some(Node::Seq(items)) => items
            .iter()
            .map(|item| scalar_string(Some(item), field))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(unmarshal_error("string", field, "[]string")),
    }
}

fn parse_metadata(text: &str) -> Result<Metadata, String> {
    let node = yaml::load(text, Numbers::Float64).map_err(|e| e.to_string())?;
    if !matches!(node, Node::Map(_) | Node::Null) {
        return Err(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type chart.Metadata"
                .into(),
        );
    }
    let s = |key: &str, field: &str| scalar_string(get(&node, key), field);
    let maintainers = match get(&node, "maintainers") {
        None | Some(Node::Null) => None,
        Some(Node::Seq(items)) => Some(
            items
                .iter()
                .map(|m| {
                    Ok(Maintainer {
                        name: scalar_string(get(m, "name"), "Maintainer.name")?,
                        email: scalar_string(get(m, "email"), "Maintainer.email")?,
                        url: scalar_string(get(m, "url"), "Maintainer.url")?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?,
        ),
        Some(_) => {
            return Err(unmarshal_error(
                "object",
                "Metadata.maintainers",
                "[]*chart.Maintainer",
            ));
        }
    };
    let annotations = match get(&node, "annotations") {
        None | Some(Node::Null) => None,
        Some(Node::Map(entries)) => {
            let mut out: Vec<(String, String)> = Vec::new();
            for (k, v) in entries {
                let v = scalar_string(Some(v), "Metadata.annotations")?;
                out.retain(|(old, _)| old != k);
                out.push((k.clone(), v));
            }
            Some(out)
        }
        Some(_) => {
            return Err(unmarshal_error(
                "array",
                "Metadata.annotations",
                "map[string]string",
            ));
        }
    };
    let deprecated = match get(&node, "deprecated") {
        None | Some(Node::Null) => false,
        Some(Node::Bool(b)) => *b,
        Some(_) => return Err(unmarshal_error("string", "Metadata.deprecated", "bool")),
    };
    let mut api_version = s("apiVersion", "Metadata.apiVersion")?;
    if api_version.is_empty() {
        api_version = "v1".into();
    }
    Ok(Metadata {
        name: s("name", "Metadata.name")?,
        home: s("home", "Metadata.home")?,
        sources: string_list(get(&node, "sources"), "Metadata.sources")?,
        version: s("version", "Metadata.version")?,
        description: s("description", "Metadata.description")?,
        keywords: string_list(get(&node, "keywords"), "Metadata.keywords")?,
        maintainers,
        icon: s("icon", "Metadata.icon")?,
        api_version,
        condition: s("condition", "Metadata.condition")?,
        tags: s("tags", "Metadata.tags")?,
        app_version: s("appVersion", "Metadata.appVersion")?,
        deprecated,
        annotations,
        kube_version: s("kubeVersion", "Metadata.kubeVersion")?,
        dependencies: parse_dependencies(get(&node, "dependencies"))?,
        chart_type: s("type", "Metadata.type")?,
    })
}

fn parse_dependencies(node: Option<&Node>) -> Result<Vec<Dependency>, String> {
    let items = match node {
        None | Some(Node::Null) => return Ok(Vec::new()),
        Some(Node::Seq(items)) => items,
        Some(_) => {
            return Err(unmarshal_error(
                "object",
                "Metadata.dependencies",
                "[]*chart.Dependency",
            ));
        }
    };
    let mut deps = Vec::new();
    for item in items {
        let s = |key: &str| scalar_string(get(item, key), &format!("Dependency.{key}"));
        let import_values = match get(item, "import-values") {
            None | Some(Node::Null) => Vec::new(),
            Some(Node::Seq(entries)) => entries
                .iter()
                .filter_map(|entry| match entry {
                    Node::Map(_) => Some(ImportValue::Map {
                        child: scalar_string(get(entry, "child"), "child").unwrap_or_default(),
                        parent: scalar_string(get(entry, "parent"), "parent").unwrap_or_default(),
                    }),
                    Node::Str(s) => Some(ImportValue::Export(s.clone())),
                    _ => None,
                })
                .collect(),
            Some(_) => Vec::new(),
        };
        deps.push(Dependency {
            name: s("name")?,
            version: s("version")?,
            repository: s("repository")?,
            condition: s("condition")?,
            tags: string_list(get(item, "tags"), "Dependency.tags")?.unwrap_or_default(),
            enabled: matches!(get(item, "enabled"), Some(Node::Bool(true))),
            import_values,
            alias: s("alias")?,
        });
    }
    Ok(deps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_yaml_scalars_decode_into_strings() {
        let md = parse_metadata("apiVersion: v2\nname: off\nversion: 1.0.0\nappVersion: 1.10\n")
            .unwrap();
        assert_eq!(md.name, "false");
        assert_eq!(md.app_version, "1.1");
    }

    #[test]
    fn missing_fields_fail_validation() {
        let err = load_files(vec![File {
            name: "Chart.yaml".into(),
            data: Contents::InMemory(Bytes::from_static(b"apiVersion: v2\nname: x\n")),
        }])
        .unwrap_err();
        assert_eq!(
            err.message(),
            "validation: chart.metadata.version is required"
        );
    }

    #[test]
    fn files_outside_templates_are_read_when_first_used() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0.0\n");
        write("templates/cm.yaml", "kind: ConfigMap\n");
        write("config/a.txt", "as loaded");
        write("config/b.txt", "as loaded");
        let chart = load_dir(dir.path()).unwrap();
        assert_eq!(&chart.templates[0].data[..], b"kind: ConfigMap\n");
        write("config/a.txt", "\u{feff}changed after loading");
        std::fs::remove_file(dir.path().join("config/b.txt")).unwrap();
        let [a, b] = [0, 1].map(|i| chart.files[i].data.bytes());
        assert_eq!(&a.unwrap()[..], b"changed after loading");
        assert!(
            b.unwrap_err()
                .message()
                .starts_with("error reading config/b.txt: ")
        );
    }

    #[test]
    fn large_and_small_files_load_with_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let small = b"small".to_vec();
        let large: Vec<u8> = (0..MAP_AT + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("small.txt"), &small).unwrap();
        std::fs::write(dir.path().join("large.txt"), &large).unwrap();
        assert_eq!(read_file(&dir.path().join("small.txt")).unwrap(), small);
        assert_eq!(read_file(&dir.path().join("large.txt")).unwrap(), large);
    }
}
