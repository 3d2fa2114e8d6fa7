//! The chart model: what Helm's loader builds from a chart directory or archive.

use bytes::Bytes;

use crate::yaml::Node;

/// A file of a chart: its path inside the chart (`/`-separated) and its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub name: String,
    /// The contents, shared (not copied) by every user: subchart copies,
    /// `.Files`, release records.
    pub data: Bytes,
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
    pub files: Vec<File>,
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
    pub fn crd_files(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|f| {
            let lower = f.name.to_ascii_lowercase();
            lower.starts_with("crds/")
                && (lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json"))
        })
    }
}
