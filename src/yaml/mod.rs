//! YAML as Go's sigs.k8s.io/yaml + yaml.v2 read and write it (the way Helm does).
//!
//! Helm never handles YAML directly: it goes through `sigs.k8s.io/yaml`, which
//! converts YAML to JSON (and back) around Go's `encoding/json`. This module
//! reproduces that stack byte for byte:
//!
//! * [`load`] reads YAML text like `yaml.Unmarshal` into `interface{}`: YAML
//!   1.1 scalars (`yes` is `true`, `0755` is 493), merge keys, aliases, keys
//!   turned into strings. [`Numbers`] picks how numbers come out.
//! * [`to_yaml`] is `toYaml`: Go value → JSON → yaml.v2's emitter, with its
//!   natural key order, quoting rules and 80-column folding.
//!   [`to_yaml_pretty`] is `toYamlPretty` (go-yaml v3, indented sequences,
//!   no folding).
//! * [`to_json`], [`to_pretty_json`], [`to_raw_json`] are `toJson`,
//!   `toPrettyJson`, `toRawJson` (Go's `encoding/json`), and [`from_json`]
//!   reads JSON like `json.Unmarshal` into `interface{}`.
//! * [`load_as`] and [`from_json_as`] decode into a typed Go target (a map
//!   for values files, `fromYaml` and `fromJson`; a slice for the `…Array`
//!   variants) with Go's error when the document is of another kind.
//! * [`split_manifests`] cuts a rendered template into documents as Helm's
//!   `releaseutil.SplitManifests` does.
//!
//! All of them work on [`Node`], a small neutral document tree.

mod emit;
mod gonum;
mod goval;
mod json;
mod load;
mod parse;
mod reader;
mod resolve;
mod scan;
mod serde_json_bridge;
mod split;
mod utf8;

#[cfg(test)]
mod tests;

pub use emit::{to_yaml, to_yaml_pretty};
pub(crate) use gonum::{Layout, format_float};
pub use json::{GoJson, from_json, to_json, to_pretty_json, to_raw_json};
pub use load::{load, load_top_level};
pub use serde_json_bridge::{json_from_node, node_from_json};
pub use split::{split_manifests, split_manifests_owned};
pub use utf8::check_utf8;

use std::fmt;

/// A document tree with the value kinds Go ends up with after a JSON round trip.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// `null` / Go `nil`.
    Null,
    Bool(bool),
    /// An integer (Go `int64`).
    Int(i64),
    /// A float (Go `float64`). May be NaN or infinite only if built by hand:
    /// the JSON-based writers then fail, as Go's do.
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// A map from string keys. The loader keeps the document's key order (a
    /// repeated key keeps its first position and its last value); the writers
    /// sort keys as Go does, so order never matters for output. Keys should
    /// be unique; if one repeats, the last entry wins, like a Go map.
    Map(Vec<(String, Node)>),
}

/// How [`load`] and [`from_json`] type numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// Every number becomes [`Node::Float`], as in Helm's values
    /// (`yaml.Unmarshal` / `json.Unmarshal` into `interface{}`). Large
    /// integers lose precision: 12345678901234567890 becomes
    /// 1.2345678901234567e19.
    Float64,
    /// A number whose JSON text is an integer that fits in `i64` becomes
    /// [`Node::Int`]; anything else becomes [`Node::Float`]. That is what
    /// Kubernetes' decoders make of a manifest (YAML → JSON → int64 where
    /// possible). Note that through JSON a YAML `1.0` is the integer `1`.
    Int64,
    /// Numbers as yaml.v2 types them, before any JSON: integers that fit
    /// in `i64` are [`Node::Int`], others and floats [`Node::Float`] (what
    /// sigs.k8s.io/yaml turns into text where a Go string is the target).
    /// [`from_json`] reads JSON as with [`Numbers::Int64`].
    Yaml,
}

/// An error, worded exactly as the Go code Helm calls words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
        }
    }

    /// The message, e.g. `error converting YAML to JSON: yaml: line 3: mapping
    /// values are not allowed in this context`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The Go value a document is decoded into, for [`load_as`] and
/// [`from_json_as`]. The string is the Go type's name as Go prints it in
/// errors: `common.Values` (Helm's values files), `map[string]interface {}`
/// (`fromYaml`, `fromJson`), `[]interface {}` (`fromYamlArray`,
/// `fromJsonArray`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    Map(&'a str),
    Seq(&'a str),
}

/// `sigs.k8s.io/yaml.Unmarshal` into a map or slice: [`load`], then Go's
/// complaint if the document is another kind, e.g. `error unmarshaling
/// JSON: while decoding JSON: json: cannot unmarshal array into Go value of
/// type common.Values`. A `null` or empty document gives [`Node::Null`]
/// (Go leaves the target empty).
pub fn load_as(text: &str, numbers: Numbers, target: Target) -> Result<Node, Error> {
    let node = load(text, numbers)?;
    match mismatch(&node, target) {
        Some(problem) => Err(Error::new(format!(
            "error unmarshaling JSON: while decoding JSON: {problem}"
        ))),
        None => Ok(node),
    }
}

/// `json.Unmarshal` into a map or slice: [`from_json`], then Go's complaint
/// if the value is another kind (`json: cannot unmarshal string into Go
/// value of type map[string]interface {}`). `null` gives [`Node::Null`].
pub fn from_json_as(text: &str, numbers: Numbers, target: Target) -> Result<Node, Error> {
    let node = from_json(text, numbers)?;
    match mismatch(&node, target) {
        Some(problem) => Err(Error::new(problem)),
        None => Ok(node),
    }
}

fn mismatch(node: &Node, target: Target) -> Option<String> {
    let kind = match node {
        Node::Null => return None,
        Node::Map(_) if matches!(target, Target::Map(_)) => return None,
        Node::Seq(_) if matches!(target, Target::Seq(_)) => return None,
        Node::Bool(_) => "bool",
        Node::Int(_) | Node::Float(_) => "number",
        Node::Str(_) => "string",
        Node::Seq(_) => "array",
        Node::Map(_) => "object",
    };
    let (Target::Map(go_type) | Target::Seq(go_type)) = target;
    Some(format!(
        "json: cannot unmarshal {kind} into Go value of type {go_type}"
    ))
}

/// Nesting deeper than this is refused (yaml.v2's and encoding/json's limit).
pub(crate) const MAX_DEPTH: usize = 10_000;
