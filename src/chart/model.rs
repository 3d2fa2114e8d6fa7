//! The chart model: what Helm's loader builds from a chart directory or archive.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::Error;
use crate::yaml::Node;

/// A file of a chart: its path inside the chart (`/`-separated) and its
/// contents: bytes for templates, [`Contents`] for the files `.Files` sees.
#[derive(Clone, Debug, PartialEq)]
pub struct File<D = Bytes> {
    pub name: String,
    /// Shared (not copied) by every user: subchart copies, `.Files`,
    /// release records.
    pub data: D,
}

/// A chart file's bytes, read when first asked for. Files from an archive
/// are in memory from the start; a directory chart's files are read from
/// disk when used: templates and chart metadata at load, the rest (CI
/// values, tests, changelogs, examples, which most renders never look at)
/// only when a template or a release record asks for them.
#[derive(Clone)]
pub enum Contents {
    InMemory(Bytes),
    OnDisk(Arc<OnDisk>),
}

/// A file of a directory chart, and what reading it gave once read.
pub struct OnDisk {
    path: PathBuf,
    /// The name in errors: the file's path inside the chart.
    name: String,
    read: OnceLock<Result<Bytes, String>>,
}

impl Contents {
    /// The file at `path`, known as `name` in the chart, not read yet.
    pub fn on_disk(path: PathBuf, name: &str) -> Contents {
        Contents::OnDisk(Arc::new(OnDisk {
            path,
            name: name.to_string(),
            read: OnceLock::new(),
        }))
    }

    /// The bytes, read the first time (without a leading UTF-8 byte-order
    /// mark, which the loader strips from every chart file).
    pub fn bytes(&self) -> Result<Bytes, Error> {
        match self {
            Contents::InMemory(bytes) => Ok(bytes.clone()),
            Contents::OnDisk(file) => file
                .read
                .get_or_init(|| {
                    super::load::read_file(&file.path)
                        .map(super::load::strip_bom)
                        .map_err(|e| format!("error reading {}: {e}", file.name))
                })
                .clone()
                .map_err(Error::new),
        }
    }
}

impl std::fmt::Debug for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contents::InMemory(bytes) => write!(f, "{bytes:?}"),
            Contents::OnDisk(file) => match file.read.get() {
                Some(Ok(bytes)) => write!(f, "{bytes:?}"),
                Some(Err(error)) => write!(f, "({error})"),
                None => write!(f, "(not read yet: {})", file.name),
            },
        }
    }
}

/// Equal bytes; files that cannot be read are never equal.
impl PartialEq for Contents {
    fn eq(&self, other: &Contents) -> bool {
        matches!((self.bytes(), other.bytes()), (Ok(a), Ok(b)) if a == b)
    }
}

/// A maintainer entry of `Chart.yaml`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// How a child value is imported into its parent (`import-values`).
#[derive(Clone, Debug, PartialEq)]
pub enum ImportValue {
    /// The string form: `exports.<name>` merged at the parent's root.
    Export(String),
    /// The map form: `{child: a.b, parent: x.y}`.
    Map { child: String, parent: String },
}

/// One `dependencies` entry (from `Chart.yaml`, or `requirements.yaml` for v1 charts).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub import_values: Vec<ImportValue>,
    pub alias: String,
}

/// `Chart.yaml`, with Helm's (Go) field names in mind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub home: String,
    pub sources: Option<Vec<String>>,
    pub version: String,
    pub description: String,
    pub keywords: Option<Vec<String>>,
    pub maintainers: Option<Vec<Maintainer>>,
    pub icon: String,
    pub api_version: String,
    pub condition: String,
    pub tags: String,
    pub app_version: String,
    pub deprecated: bool,
    pub annotations: Option<Vec<(String, String)>>,
    pub kube_version: String,
    pub dependencies: Vec<Dependency>,
    pub chart_type: String,
}

/// A loaded chart and, recursively, its subcharts.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub metadata: Metadata,
    /// Files under `templates/`, in path order.
    pub templates: Vec<File>,
    /// `values.yaml` (a map; empty when absent).
    pub values: Node,
    /// `values.schema.json`, when present.
    pub schema: Option<Bytes>,
    /// Every other file (what templates see as `.Files`), `crds/` included.
    pub files: Vec<File<Contents>>,
    /// Subcharts from `charts/`, by name.
    pub dependencies: Vec<Chart>,
}

impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether this is a library chart (`type: library`): only its partials count.
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type == "library"
    }

    /// The chart's CRD files: `crds/**` with a `.yaml`, `.yml` or `.json` extension.
    pub fn crd_files(&self) -> impl Iterator<Item = &File<Contents>> {
        self.files.iter().filter(|f| {
            let lower = f.name.to_ascii_lowercase();
            lower.starts_with("crds/")
                && (lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json"))
        })
    }
}
