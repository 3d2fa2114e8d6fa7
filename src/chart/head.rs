//! What Helm reads of a rendered manifest to sort it and find its hooks:
//! `SimpleHead` (apiVersion, kind, metadata.name, metadata.annotations),
//! decoded as `sigs.k8s.io/yaml.Unmarshal` decodes into that Go struct.
//!
//! That is not a plain YAML read. sigs.k8s.io/yaml turns numbers and
//! booleans into text where the Go field is a string (`kind: 5` is kind
//! "5"), encoding/json matches field names ignoring case (`Kind:` is the
//! kind), reads the object's keys in sorted order (the last of `Kind` and
//! `kind` wins) and keeps the first type error while it goes on. A document
//! that is not a mapping (a list, a bare word) is an error.

use std::collections::BTreeMap;

use crate::yaml::{self, Error, Layout, Node, Numbers, format_float};

/// The decoded head. Absent or `null` fields are empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Head {
    pub api_version: String,
    pub kind: String,
    pub metadata: Option<Metadata>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Metadata {
    pub name: String,
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Head {
    /// An annotation's value, if the manifest has it.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        let annotations = self.metadata.as_ref()?.annotations.as_ref()?;
        annotations.get(key).map(String::as_str)
    }

    pub fn name(&self) -> &str {
        self.metadata.as_ref().map_or("", |m| m.name.as_str())
    }
}

/// Reads the head of one rendered document; fails as Helm's `YAML parse
/// error` would (the caller adds the file name).
pub(crate) fn read(document: &str) -> Result<Head, Error> {
    let root = yaml::load_top_level(document, Numbers::Yaml, &|key| {
        ["apiVersion", "kind", "metadata"]
            .iter()
            .any(|field| key.eq_ignore_ascii_case(field))
    })?;
    let mut decoder = Decoder::default();
    let head = match root {
        Node::Null => Head::default(),
        Node::Map(entries) => decoder.head(entries),
        other => {
            decoder.mismatch(&other, "Go value of type util.SimpleHead");
            Head::default()
        }
    };
    match decoder.first_error {
        Some(problem) => Err(Error::new(format!(
            "error unmarshaling JSON: while decoding JSON: json: {problem}"
        ))),
        None => Ok(head),
    }
}

/// encoding/json's decoding: assignments go on after a type error; the
/// first error is the one reported. Its field names are the struct type's
/// name (none for the anonymous metadata struct) and the field's path.
#[derive(Default)]
struct Decoder {
    first_error: Option<String>,
}

const METADATA_TYPE: &str = "struct { Name string \"json:\\\"name\\\"\"; \
     Annotations map[string]string \"json:\\\"annotations\\\"\" }";

impl Decoder {
    fn head(&mut self, entries: Vec<(String, Node)>) -> Head {
        let mut head = Head::default();
        for (key, value) in in_json_order(entries) {
            if key.eq_ignore_ascii_case("apiVersion") {
                self.string_into(&mut head.api_version, value, "SimpleHead.apiVersion");
            } else if key.eq_ignore_ascii_case("kind") {
                self.string_into(&mut head.kind, value, "SimpleHead.kind");
            } else if key.eq_ignore_ascii_case("metadata") {
                self.metadata_into(&mut head.metadata, value);
            }
        }
        head
    }

    fn metadata_into(&mut self, metadata: &mut Option<Metadata>, value: Node) {
        let entries = match value {
            // null sets the pointer to nil.
            Node::Null => return *metadata = None,
            Node::Map(entries) => entries,
            other => {
                let target = format!("Go struct field SimpleHead.metadata of type {METADATA_TYPE}");
                return self.mismatch(&other, &target);
            }
        };
        // A second `metadata` object fills in the struct the first made.
        let metadata = metadata.get_or_insert_with(Metadata::default);
        for (key, value) in in_json_order(entries) {
            if key.eq_ignore_ascii_case("name") {
                self.string_into(&mut metadata.name, value, ".metadata.name");
            } else if key.eq_ignore_ascii_case("annotations") {
                self.annotations_into(&mut metadata.annotations, value);
            }
        }
    }

    fn annotations_into(
        &mut self,
        annotations: &mut Option<BTreeMap<String, String>>,
        value: Node,
    ) {
        const FIELD: &str = ".metadata.annotations";
        let entries = match value {
            Node::Null => return *annotations = None,
            Node::Map(entries) => entries,
            other => {
                return self.mismatch(
                    &other,
                    &format!("Go struct field {FIELD} of type map[string]string"),
                );
            }
        };
        let annotations = annotations.get_or_insert_with(BTreeMap::new);
        for (key, value) in in_json_order(entries) {
            // Each value is decoded into a fresh string (null gives "").
            let mut text = String::new();
            self.string_into(&mut text, value, FIELD);
            annotations.insert(key, text);
        }
    }

    /// A string field: scalars become text as sigs.k8s.io/yaml writes
    /// them; `null` leaves the field as it is.
    fn string_into(&mut self, field: &mut String, value: Node, name: &str) {
        *field = match value {
            Node::Null => return,
            Node::Str(text) => text,
            Node::Int(i) => i.to_string(),
            Node::Float(f) => format_float(f, Layout::General, true),
            Node::Bool(b) => b.to_string(),
            other => {
                return self.mismatch(&other, &format!("Go struct field {name} of type string"));
            }
        };
    }

    fn mismatch(&mut self, value: &Node, target: &str) {
        let kind = match value {
            Node::Null => "null",
            Node::Bool(_) => "bool",
            Node::Int(_) | Node::Float(_) => "number",
            Node::Str(_) => "string",
            Node::Seq(_) => "array",
            Node::Map(_) => "object",
        };
        self.first_error
            .get_or_insert_with(|| format!("cannot unmarshal {kind} into {target}"));
    }
}

/// A map's entries in the order encoding/json meets them: sigs.k8s.io/yaml
/// writes Go maps, whose keys json.Marshal sorts.
fn in_json_order(mut entries: Vec<(String, Node)>) -> Vec<(String, Node)> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(document: &str) -> String {
        read(document).expect_err("an error").message().to_string()
    }

    #[test]
    fn a_manifest_head() {
        let head =
            read("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: b\n")
                .expect("reads");
        assert_eq!(
            (head.api_version.as_str(), head.kind.as_str(), head.name()),
            ("v1", "Pod", "p")
        );
        assert_eq!(head.annotation("a"), Some("b"));
        assert_eq!(head.annotation("c"), None);
    }

    #[test]
    fn scalars_become_text_where_go_wants_a_string() {
        let head =
            read("kind: 5\nmetadata:\n  name: true\n  annotations:\n    w: 1e7\n    x: 1.5\n")
                .expect("reads");
        assert_eq!((head.kind.as_str(), head.name()), ("5", "true"));
        assert_eq!(head.annotation("w"), Some("1e+07"));
        assert_eq!(head.annotation("x"), Some("1.5"));
    }

    #[test]
    fn field_names_ignore_case_and_the_last_in_sorted_order_wins() {
        let head = read("kind: Pod\nKind: Service\nMETADATA:\n  Name: web\n").expect("reads");
        assert_eq!((head.kind.as_str(), head.name()), ("Pod", "web"));
    }

    #[test]
    fn documents_that_are_not_mappings_fail() {
        assert_eq!(
            error("- a\n- b\n"),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type util.SimpleHead"
        );
        assert!(error("hello").contains("cannot unmarshal string into Go value"));
        assert!(error("metadata: 7").contains(
            "cannot unmarshal number into Go struct field SimpleHead.metadata of type struct { Name string"
        ));
        assert!(error("metadata:\n  annotations:\n    a: [1]\n").contains(
            "cannot unmarshal array into Go struct field .metadata.annotations of type string"
        ));
        assert_eq!(read("# nothing\n").expect("null is empty"), Head::default());
    }
}
