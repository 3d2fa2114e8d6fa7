//! Template-facing objects: `.Files`, `.Capabilities`, and value conversions
//! between the values tree ([`Node`]) and template values ([`Value`]).

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use bytes::Bytes;

use super::glob::Glob;
use super::model::Contents;
use crate::template::{Func, Map, MapKind, Object, Ty, Value, string_from_bytes, to_json_node};
use crate::yaml::{self, Node};

/// A values node as templates see it. Maps become `map[string]interface {}`
/// (`top` gives the named `common.Values` type); `--set` integers are `int64`.
pub(crate) fn node_to_value(node: &Node, kind: MapKind) -> Value {
    match node {
        Node::Null => Value::Nil,
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i) => Value::Int64(*i),
        Node::Float(f) => Value::Float(*f),
        Node::Str(s) => Value::str(s),
        Node::Seq(items) => Value::list(
            items
                .iter()
                .map(|i| node_to_value(i, MapKind::Any))
                .collect(),
        ),
        Node::Map(entries) => {
            let map: BTreeMap<String, Value> = entries
                .iter()
                .map(|(k, v)| (k.clone(), node_to_value(v, MapKind::Any)))
                .collect();
            Value::Map(Map::from_entries(kind, map))
        }
    }
}

/// Helm's `toYaml`: `sigs.k8s.io/yaml.Marshal`, final newline trimmed; `""` on error.
pub(crate) fn to_yaml_string(value: &Value) -> Result<String, String> {
    let node = to_json_node(value)?;
    let text = yaml::to_yaml(&node).map_err(|e| e.to_string())?;
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

/// `.Files`: the chart's non-template files, read when a template first
/// asks for one.
pub(crate) struct Files {
    files: Rc<BTreeMap<String, Contents>>,
}

/// A file's bytes, or the message a template function fails with.
fn read(contents: &Contents) -> Result<Bytes, String> {
    contents.bytes().map_err(|e| e.message().to_string())
}

impl Files {
    pub(crate) fn new(files: BTreeMap<String, Contents>) -> Files {
        Files {
            files: Rc::new(files),
        }
    }

    /// The file's text; empty when there is no such file.
    fn text(&self, name: &str) -> Result<String, String> {
        match self.files.get(name) {
            Some(contents) => Ok(string_from_bytes(&read(contents)?)),
            None => Ok(String::new()),
        }
    }

    fn as_map(&self, encode: impl Fn(&[u8]) -> String) -> Result<String, String> {
        if self.files.is_empty() {
            return Ok(String::new());
        }
        let mut map = BTreeMap::new();
        for (name, contents) in self.files.iter() {
            let base = name.rsplit('/').next().unwrap_or(name).to_string();
            map.insert(base, Value::from(encode(&read(contents)?)));
        }
        Ok(to_yaml_string(&Value::Map(Map::from_entries(MapKind::Any, map))).unwrap_or_default())
    }
}

impl Object for Files {
    fn type_name(&self) -> String {
        "engine.files".into()
    }

    fn method(&self, name: &str) -> Option<Func> {
        let files = self.files.clone();
        let this = Files { files };
        Some(match name {
            "Get" | "GetBytes" => Func::new(&[Ty::Str], move |_, args| {
                Ok(Value::from(this.text(args[0].as_str().unwrap_or(""))?))
            }),
            "Lines" => Func::new(&[Ty::Str], move |_, args| {
                let name = args[0].as_str().unwrap_or("");
                let Some(contents) = this.files.get(name) else {
                    return Ok(Value::list(Vec::new()));
                };
                let text = string_from_bytes(&read(contents)?);
                let text = text.strip_suffix('\n').unwrap_or(&text);
                Ok(Value::list(text.split('\n').map(Value::from).collect()))
            }),
            "Glob" => Func::new(&[Ty::Str], move |_, args| {
                let pattern = args[0].as_str().unwrap_or("");
                let glob = Glob::new(pattern).or_else(|| Glob::new("**"));
                let selected: BTreeMap<String, Contents> = this
                    .files
                    .iter()
                    .filter(|(name, _)| glob.as_ref().is_some_and(|g| g.matches(name)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(Value::Object(Rc::new(Files::new(selected))))
            }),
            "AsConfig" => Func::new(&[], move |_, _| {
                Ok(Value::from(this.as_map(string_from_bytes)?))
            }),
            "AsSecrets" => Func::new(&[], move |_, _| {
                Ok(Value::from(this.as_map(|d| {
                    base64::engine::general_purpose::STANDARD.encode(d)
                })?))
            }),
            _ => return None,
        })
    }

    /// Printing `.Files` itself shows every file (one that cannot be read
    /// as empty: printing has no way to fail).
    fn underlying(&self) -> Option<Value> {
        let map: BTreeMap<String, Value> = self
            .files
            .iter()
            .map(|(k, v)| {
                let bytes = read(v).unwrap_or_default();
                (k.clone(), Value::from(string_from_bytes(&bytes)))
            })
            .collect();
        Some(Value::Map(Map::from_entries(MapKind::Any, map)))
    }
}

/// `.Capabilities.KubeVersion`.
pub(crate) struct KubeVersion {
    pub(crate) version: String,
    pub(crate) major: String,
    pub(crate) minor: String,
}

impl KubeVersion {
    /// helm v4's `ParseKubeVersion`: a `v` is added when missing.
    pub(crate) fn parse(text: &str) -> Option<KubeVersion> {
        let version = if text.starts_with('v') {
            text.to_string()
        } else {
            format!("v{text}")
        };
        super::semver::Version::parse(&version)?;
        let core = version[1..]
            .split(['-', '+'])
            .next()
            .unwrap_or("")
            .to_string();
        let mut parts = core.split('.');
        let major = parts.next().unwrap_or("0").parse::<u64>().ok()?.to_string();
        let minor = parts.next().unwrap_or("0").parse::<u64>().ok()?.to_string();
        Some(KubeVersion {
            version,
            major,
            minor,
        })
    }

    /// `String()`: the version without pre-release or build metadata.
    pub(crate) fn string(&self) -> String {
        self.version
            .split(['-', '+'])
            .next()
            .unwrap_or(&self.version)
            .to_string()
    }
}

impl Object for KubeVersion {
    /// `Capabilities` holds it by value.
    fn type_name(&self) -> String {
        "common.KubeVersion".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Version" | "GitVersion" => Value::from(self.version.as_str()),
            "Major" => Value::from(self.major.as_str()),
            "Minor" => Value::from(self.minor.as_str()),
            _ => return None,
        })
    }

    fn method(&self, name: &str) -> Option<Func> {
        let text = self.string();
        match name {
            "String" => Some(Func::new(&[], move |_, _| Ok(Value::from(text.as_str())))),
            _ => None,
        }
    }

    fn pointer_stringer(&self) -> Option<String> {
        Some(self.string())
    }

    fn struct_fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Version".into(), Value::from(self.version.as_str())),
            ("normalizedVersion".into(), Value::from(self.string())),
            ("Major".into(), Value::from(self.major.as_str())),
            ("Minor".into(), Value::from(self.minor.as_str())),
        ]
    }

    fn json_fields(&self) -> Vec<(String, Value)> {
        let mut fields = self.struct_fields();
        fields.retain(|(name, _)| name != "normalizedVersion");
        fields
    }
}

/// `.Capabilities.APIVersions`: a list of `group/version` strings with `Has`.
pub(crate) struct ApiVersions(pub(crate) Rc<Vec<String>>);

impl Object for ApiVersions {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }

    fn method(&self, name: &str) -> Option<Func> {
        let list = self.0.clone();
        match name {
            "Has" => Some(Func::new(&[Ty::Str], move |_, args| {
                let wanted = args[0].as_str().unwrap_or("");
                Ok(Value::Bool(list.iter().any(|v| v == wanted)))
            })),
            _ => None,
        }
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::list(
            self.0.iter().map(|s| Value::from(s.as_str())).collect(),
        ))
    }
}

/// `.Capabilities.HelmVersion`.
pub(crate) struct HelmVersion;

/// helm v4.1.4's release build: (Go field, JSON name, value).
const HELM_VERSION: [(&str, &str, &str); 5] = [
    ("Version", "version", "v4.1.4"),
    (
        "GitCommit",
        "git_commit",
        "05fa37973dc9e42b76e1d2883494c87174b6074f",
    ),
    ("GitTreeState", "git_tree_state", "clean"),
    ("GoVersion", "go_version", "go1.25.9"),
    ("KubeClientVersion", "kube_client_version", "v1.35"),
];

impl Object for HelmVersion {
    fn type_name(&self) -> String {
        "version.BuildInfo".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        HELM_VERSION
            .iter()
            .find(|(field, _, _)| *field == name)
            .map(|(_, _, v)| Value::from(*v))
    }

    fn struct_fields(&self) -> Vec<(String, Value)> {
        HELM_VERSION
            .iter()
            .map(|(field, _, v)| (field.to_string(), Value::from(*v)))
            .collect()
    }

    fn json_fields(&self) -> Vec<(String, Value)> {
        HELM_VERSION
            .iter()
            .map(|(_, json, v)| (json.to_string(), Value::from(*v)))
            .collect()
    }
}

/// `.Capabilities`.
pub(crate) struct Capabilities {
    pub(crate) kube_version: Rc<KubeVersion>,
    pub(crate) api_versions: Rc<Vec<String>>,
}

impl Object for Capabilities {
    fn type_name(&self) -> String {
        "*common.Capabilities".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "KubeVersion" => Value::Object(self.kube_version.clone()),
            "APIVersions" => Value::Object(Rc::new(ApiVersions(self.api_versions.clone()))),
            "HelmVersion" => Value::Object(Rc::new(HelmVersion)),
            _ => return None,
        })
    }

    fn struct_fields(&self) -> Vec<(String, Value)> {
        ["KubeVersion", "APIVersions", "HelmVersion"]
            .iter()
            .filter_map(|f| self.field(f).map(|v| (f.to_string(), v)))
            .collect()
    }

    fn is_pointer(&self) -> bool {
        true
    }
}

/// helm v4.1.4's default API versions, in its order (client-go's scheme
/// registration order, then apiextensions).
pub(crate) const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];
