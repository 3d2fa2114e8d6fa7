//! YAML text → [`Node`], as `sigs.k8s.io/yaml.Unmarshal` into `interface{}`.
//!
//! The steps mirror Go's:
//! 1. yaml.v2 parses the *first* document of the stream into a node graph
//!    (later documents are scanned only as far as libyaml looks ahead),
//!    registering anchors as it goes;
//! 2. it decodes the graph, expanding aliases and merge keys and resolving
//!    plain scalars with YAML 1.1 rules; sigs.k8s.io/yaml turns every map
//!    key into a string (`1` → `"1"`, `yes` → `"true"`, `1.5` → `"1.5"` via
//!    float32 text) and fails on `null` or huge integer keys;
//! 3. encoding/json writes the result (NaN and ±Inf fail here) and reads it
//!    back, which is where numbers get their final type (see [`Numbers`]).
//!
//! Tokens and events come from [`super::parse`], libyaml's algorithm with
//! yaml.v2's error messages.

use std::borrow::Cow;
use std::collections::HashMap;

use super::emit::with_big_stack;
use super::gonum::{Layout, format_float, json_float};
use super::goval::{self, GoValues};
use super::parse::{Event, Parser};
use super::resolve::{Resolved, resolve_plain};
use super::{Error, MAX_DEPTH, Node, Numbers};

const CORE: &str = "tag:yaml.org,2002:";

/// How deep the decoded tree (aliases expanded) may nest. Go has no such
/// limit, but a deeper tree would overflow the stack of whoever walks or
/// drops it; no real document comes near.
const DECODE_DEPTH: usize = MAX_DEPTH;

/// Parses the first YAML document of `text` the way Helm reads values files
/// and `fromYaml` arguments. An empty stream (or one with only comments)
/// gives [`Node::Null`].
///
/// Errors carry Go's full text, e.g.
/// `error converting YAML to JSON: yaml: line 1: did not find expected key`.
pub fn load(text: &str, numbers: Numbers) -> Result<Node, Error> {
    let graph = parse_first_document(text).map_err(wrap)?;
    decode(&graph, numbers, None)
}

/// [`load`], keeping only the top-level keys of a mapping that `wanted`
/// accepts: it fails exactly when `load` fails, but builds only what it
/// keeps (Helm reads a rendered manifest whole to find its kind and name).
pub fn load_top_level(
    text: &str,
    numbers: Numbers,
    wanted: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Node, Error> {
    let graph = parse_first_document(text).map_err(wrap)?;
    let Some(root) = graph.root else {
        return Ok(Node::Null);
    };
    let decodes = with_big_stack(needs_big_stack(&graph), || {
        let mut check = Decoder::new(&graph, Check);
        let decoded = check.node(root).is_ok();
        Ok(decoded && !check.bad_key && !check.non_finite)
    })?;
    if !decodes {
        // The whole decode words the error (or finds none: a NaN key is
        // a string by then).
        return decode(&graph, numbers, None).map(|node| match node {
            Node::Map(entries) => {
                Node::Map(entries.into_iter().filter(|(k, _)| wanted(k)).collect())
            }
            other => other,
        });
    }
    decode(&graph, numbers, Some(wanted))
}

/// Aliases can nest expansions deeper than the text; such documents (and
/// deep ones) are decoded on a thread with room for the recursion.
fn needs_big_stack(graph: &Graph) -> bool {
    graph.deepest > 200 || graph.has_aliases
}

/// Decodes the graph into a [`Node`]; with `wanted`, only those top-level
/// keys of a mapping (the document was checked whole before).
fn decode(graph: &Graph, numbers: Numbers, wanted: Wanted) -> Result<Node, Error> {
    let Some(root) = graph.root else {
        return Ok(Node::Null);
    };
    let (node, non_finite) = with_big_stack(needs_big_stack(graph), || {
        let mut decoder = Decoder::new(graph, Tree { numbers });
        let node = match (&graph.nodes[root], wanted) {
            (Raw::Map(_), Some(_)) => {
                decoder.budget = false;
                let mut map = MapBuilder::default();
                decoder.map_into(root, &mut map, wanted).map_err(wrap)?;
                Node::Map(map.entries)
            }
            _ => decoder.node(root).map_err(wrap)?,
        };
        if decoder.bad_key {
            // What Go's whole value says about its keys.
            let value = Decoder::new(graph, GoValues).node(root).map_err(wrap)?;
            if let Some(message) = goval::unsupported_key(&value) {
                return Err(wrap(message));
            }
        }
        Ok((node, decoder.non_finite))
    })?;
    if non_finite && let Some(bad) = first_non_finite(&node) {
        return Err(wrap(format!(
            "json: unsupported value: {}",
            format_float(bad, Layout::General, false)
        )));
    }
    Ok(node)
}

fn wrap(message: String) -> Error {
    Error::new(format!("error converting YAML to JSON: {message}"))
}

// ---------------------------------------------------------------------------
// Stage 1: events → node graph.

enum Raw<'a> {
    Scalar {
        value: Cow<'a, str>,
        /// Plain style without a tag (libyaml's "plain implicit"): the only
        /// case that is resolved by content, and the only `<<` that merges.
        implicit: bool,
        /// The long form of an explicit tag (`tag:yaml.org,2002:int`, `!foo`);
        /// boxed, since one node is kept per scalar and tags are rare.
        tag: Option<Box<str>>,
    },
    Seq(Subtree),
    /// Keys and values, alternating.
    Map(Subtree),
    Alias {
        target: usize,
        name: &'a str,
    },
}

/// Where a collection's nodes are: the parser emits a subtree contiguously,
/// so its children are the nodes after it up to `end`, each followed by its
/// own subtree (no list of children to allocate per collection).
#[derive(Clone, Copy, Default)]
struct Subtree {
    end: usize,
    /// Direct children.
    count: usize,
}

struct Graph<'a> {
    nodes: Vec<Raw<'a>>,
    root: Option<usize>,
    /// The deepest nesting of collections in the text.
    deepest: usize,
    has_aliases: bool,
}

impl Graph<'_> {
    /// The direct children of collection `index`, in order.
    fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let end = match &self.nodes[index] {
            Raw::Seq(tree) | Raw::Map(tree) => tree.end,
            Raw::Scalar { .. } | Raw::Alias { .. } => index + 1,
        };
        let first = Some(index + 1).filter(|&child| child < end);
        std::iter::successors(first, move |&child| {
            Some(self.subtree_end(child)).filter(|&next| next < end)
        })
    }

    /// The first node after `index`'s subtree.
    fn subtree_end(&self, index: usize) -> usize {
        match &self.nodes[index] {
            Raw::Seq(tree) | Raw::Map(tree) => tree.end,
            Raw::Scalar { .. } | Raw::Alias { .. } => index + 1,
        }
    }
}

/// Parses the first document into a graph, as yaml.v2's parser does: the
/// root node, then the end of the document (which makes libyaml scan what
/// follows the root as far as it needs to).
fn parse_first_document(text: &str) -> Result<Graph<'_>, String> {
    // yaml.v2 reads an empty input as a line break; the reader drops a
    // byte order mark.
    let (text, skipped) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None if text.is_empty() => ("\n", 0),
        None => (text, 0),
    };
    let mut parser = Parser::new(text, skipped);
    let mut graph = Graph {
        // Rendered manifests run 15-40 bytes a node: one regrowth at most
        // for dense ones, without doubling the memory for sparse ones.
        nodes: Vec::with_capacity(text.len() / 24),
        root: None,
        deepest: 0,
        has_aliases: false,
    };
    let mut next = || parser.next_event().map_err(|e| e.message());
    next()?; // STREAM-START
    if next()? == Event::StreamEnd {
        return Ok(graph);
    }
    // Inside the document now.
    let mut anchors: HashMap<&str, usize> = HashMap::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        let (raw, anchor) = match next()? {
            Event::SequenceEnd | Event::MappingEnd => {
                let end = graph.nodes.len();
                if let Some(closed) = open.pop()
                    && let Raw::Seq(tree) | Raw::Map(tree) = &mut graph.nodes[closed]
                {
                    tree.end = end;
                }
                if open.is_empty() {
                    break;
                }
                continue;
            }
            Event::Scalar {
                anchor,
                tag,
                value,
                plain_implicit,
            } => {
                let raw = Raw::Scalar {
                    value,
                    implicit: plain_implicit,
                    tag: tag.map(String::into_boxed_str),
                };
                (raw, anchor)
            }
            Event::SequenceStart { anchor } => (Raw::Seq(Subtree::default()), anchor),
            Event::MappingStart { anchor } => (Raw::Map(Subtree::default()), anchor),
            Event::Alias(name) => {
                graph.has_aliases = true;
                let target = *anchors
                    .get(name)
                    .ok_or_else(|| format!("yaml: unknown anchor '{name}' referenced"))?;
                (Raw::Alias { target, name }, None)
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {
                unreachable!("only node events come inside a document")
            }
        };
        let opens = matches!(raw, Raw::Seq(_) | Raw::Map(_));
        let index = graph.nodes.len();
        graph.nodes.push(raw);
        if let Some(anchor) = anchor {
            anchors.insert(anchor, index);
        }
        match open.last() {
            Some(&parent) => match &mut graph.nodes[parent] {
                Raw::Seq(tree) | Raw::Map(tree) => tree.count += 1,
                Raw::Scalar { .. } | Raw::Alias { .. } => {}
            },
            None => graph.root = Some(index),
        }
        if opens {
            open.push(index);
            graph.deepest = graph.deepest.max(open.len());
            if open.len() > MAX_DEPTH {
                return Err(format!("yaml: exceeded max depth of {MAX_DEPTH}"));
            }
        } else if open.is_empty() {
            break;
        }
    }
    // DOCUMENT-END: the scanner looks past the root node.
    next()?;
    Ok(graph)
}

/// `!!int` for messages.
fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(CORE) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Stage 2: node graph → Node, with yaml.v2's decoding rules.

/// A decoded scalar, typed as yaml.v2 types it.
pub(super) enum Scalar<'g> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Cow<'g, str>),
    /// A `!!binary` scalar's bytes, which need not be UTF-8.
    Bytes(Vec<u8>),
}

/// What a decoding pass makes of the graph: [`Tree`] builds the [`Node`];
/// [`Check`] builds nothing and only finds out whether decoding succeeds;
/// [`GoValues`] builds yaml.v2's own value.
pub(super) trait Build<'g> {
    type Out;
    type Map: Default;
    fn scalar(&mut self, scalar: Scalar<'g>) -> Self::Out;
    fn seq(&mut self, items: Vec<Self::Out>) -> Self::Out;
    /// One key and value; `text` is the key as JSON has it (`None` for a
    /// key JSON cannot hold).
    fn insert(
        &mut self,
        map: &mut Self::Map,
        text: Option<Cow<'g, str>>,
        key: Self::Out,
        value: Self::Out,
    );
    fn map(&mut self, map: Self::Map) -> Self::Out;
}

struct Tree {
    numbers: Numbers,
}

impl<'g> Build<'g> for Tree {
    type Out = Node;
    type Map = MapBuilder;

    fn scalar(&mut self, scalar: Scalar<'g>) -> Node {
        match scalar {
            Scalar::Null => Node::Null,
            Scalar::Bool(b) => Node::Bool(b),
            Scalar::Str(s) => Node::Str(s.into_owned()),
            // encoding/json writes each byte of broken UTF-8 as U+FFFD.
            Scalar::Bytes(bytes) => Node::Str(go_lossy_utf8(&bytes)),
            Scalar::Uint(u) => Node::Float(u as f64),
            Scalar::Int(i) => match self.numbers {
                Numbers::Float64 => Node::Float(i as f64),
                Numbers::Int64 | Numbers::Yaml => Node::Int(i),
            },
            Scalar::Float(f) => match self.numbers {
                Numbers::Float64 | Numbers::Yaml => Node::Float(f),
                Numbers::Int64 => json_number(f),
            },
        }
    }

    fn seq(&mut self, items: Vec<Node>) -> Node {
        Node::Seq(items)
    }

    fn insert(&mut self, map: &mut MapBuilder, text: Option<Cow<'g, str>>, _: Node, value: Node) {
        if let Some(text) = text {
            map.insert(text.into_owned(), value);
        }
    }

    fn map(&mut self, map: MapBuilder) -> Node {
        Node::Map(map.entries)
    }
}

/// Decoding without building: every check of [`Tree`]'s pass, no
/// allocation. Messages are left to a [`Tree`] pass over the same graph.
struct Check;

impl<'g> Build<'g> for Check {
    type Out = ();
    type Map = ();

    fn scalar(&mut self, _: Scalar<'g>) {}
    fn seq(&mut self, _: Vec<()>) {}
    fn insert(&mut self, _: &mut (), _: Option<Cow<'g, str>>, _: (), _: ()) {}
    fn map(&mut self, _: ()) {}
}

struct Decoder<'g, 'a, B> {
    graph: &'g Graph<'a>,
    build: B,
    /// Alias nodes being expanded right now (to catch self-reference).
    expanding: Vec<usize>,
    /// Whether yaml.v2's alias-expansion budget applies (a pass over part of
    /// a document already checked whole does not count).
    budget: bool,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
    /// Collections being decoded right now (aliases included).
    depth: usize,
    /// Whether a key JSON cannot hold was met. What Go makes of it is
    /// decided on its own value ([`goval`]), once yaml.v2 found no problem.
    bad_key: bool,
    /// Whether a NaN or an infinity was decoded (JSON refuses them).
    non_finite: bool,
}

/// A map under construction: last value wins, first position kept. Small
/// maps are searched directly; an index is built once they grow.
#[derive(Default)]
struct MapBuilder {
    entries: Vec<(String, Node)>,
    index: Option<HashMap<String, usize>>,
}

impl MapBuilder {
    const DIRECT: usize = 16;

    fn insert(&mut self, key: String, value: Node) {
        if self.index.is_none() && self.entries.len() >= Self::DIRECT {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(at, (k, _))| (k.clone(), at))
                .collect();
            self.index = Some(index);
        }
        let found = match &self.index {
            Some(index) => index.get(&key).copied(),
            None => self.entries.iter().position(|(k, _)| *k == key),
        };
        match found {
            Some(at) => self.entries[at].1 = value,
            None => {
                if let Some(index) = &mut self.index {
                    index.insert(key.clone(), self.entries.len());
                }
                self.entries.push((key, value));
            }
        }
    }
}

/// Which keys of a mapping a pass decodes (`None`: all).
type Wanted<'w> = Option<&'w (dyn Fn(&str) -> bool + Sync)>;

impl<'g, 'a: 'g, B: Build<'g>> Decoder<'g, 'a, B> {
    fn new(graph: &'g Graph<'a>, build: B) -> Self {
        Decoder {
            graph,
            build,
            expanding: Vec::new(),
            budget: true,
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            depth: 0,
            bad_key: false,
            non_finite: false,
        }
    }

    /// Counts one decode step and enforces yaml.v2's alias-expansion budget.
    fn count(&mut self) -> Result<(), String> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.budget
            && self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err("yaml: document contains excessive aliasing".into());
        }
        Ok(())
    }

    fn node(&mut self, index: usize) -> Result<B::Out, String> {
        self.count()?;
        let graph = self.graph;
        match &graph.nodes[index] {
            Raw::Alias { target, name } => {
                self.enter_alias(index, name)?;
                let result = self.node(*target);
                self.leave_alias();
                result
            }
            Raw::Scalar {
                value,
                implicit,
                tag,
            } => {
                let scalar = scalar(value, *implicit, tag.as_deref())?;
                self.non_finite |= matches!(scalar, Scalar::Float(f) if !f.is_finite());
                Ok(self.build.scalar(scalar))
            }
            Raw::Seq(tree) => {
                self.descend()?;
                let mut items = Vec::with_capacity(tree.count);
                for child in graph.children(index) {
                    items.push(self.node(child)?);
                }
                self.depth -= 1;
                Ok(self.build.seq(items))
            }
            Raw::Map(_) => {
                self.descend()?;
                let mut map = B::Map::default();
                self.map_into(index, &mut map, None)?;
                self.depth -= 1;
                Ok(self.build.map(map))
            }
        }
    }

    /// Enters a collection. Expanded aliases may nest far deeper than the
    /// text; past [`DECODE_DEPTH`] we give up.
    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > DECODE_DEPTH {
            return Err(format!("yaml: exceeded max depth of {DECODE_DEPTH}"));
        }
        Ok(())
    }

    fn enter_alias(&mut self, index: usize, name: &str) -> Result<(), String> {
        if self.expanding.contains(&index) {
            return Err(format!("yaml: anchor '{name}' value contains itself"));
        }
        if self.expanding.len() >= MAX_DEPTH {
            return Err(format!("yaml: exceeded max depth of {MAX_DEPTH}"));
        }
        self.expanding.push(index);
        self.alias_depth += 1;
        Ok(())
    }

    fn leave_alias(&mut self) {
        self.expanding.pop();
        self.alias_depth -= 1;
    }

    /// Decodes mapping `index` (already counted) into `out`, only the
    /// `wanted` keys if given.
    fn map_into(&mut self, index: usize, out: &mut B::Map, wanted: Wanted) -> Result<(), String> {
        let graph = self.graph;
        if !matches!(graph.nodes[index], Raw::Map(_)) {
            return Ok(());
        }
        let mut children = graph.children(index);
        while let (Some(key), Some(value)) = (children.next(), children.next()) {
            if self.is_merge_key(key) {
                self.merge(value, out, wanted)?;
                continue;
            }
            let key_out = self.node(key)?;
            let Some(key_text) = self.key_string(key) else {
                let key = Decoder::new(self.graph, GoValues).node(key)?;
                return Err(format!("yaml: invalid map key: {}", goval::sharp_v(&key)));
            };
            if let (Some(wanted), Some(text)) = (wanted, &key_text)
                && !wanted(text)
            {
                continue;
            }
            self.bad_key |= key_text.is_none();
            let value_out = self.node(value)?;
            self.build.insert(out, key_text, key_out, value_out);
        }
        Ok(())
    }

    fn is_merge_key(&self, index: usize) -> bool {
        match &self.graph.nodes[index] {
            Raw::Scalar {
                value,
                implicit,
                tag,
            } => value == "<<" && (*implicit || tag.as_deref() == Some("tag:yaml.org,2002:merge")),
            _ => false,
        }
    }

    fn merge(&mut self, index: usize, out: &mut B::Map, wanted: Wanted) -> Result<(), String> {
        const WANT_MAP: &str = "yaml: map merge requires map or sequence of maps as the value";
        let graph = self.graph;
        match &graph.nodes[index] {
            Raw::Map(_) => {
                self.count()?;
                self.map_into(index, out, wanted)
            }
            Raw::Alias { .. } => self.merge_alias(index, out, wanted, WANT_MAP),
            Raw::Seq(_) => {
                let items: Vec<usize> = graph.children(index).collect();
                for &item in items.iter().rev() {
                    match &graph.nodes[item] {
                        Raw::Map(_) => {
                            self.count()?;
                            self.map_into(item, out, wanted)?;
                        }
                        Raw::Alias { .. } => self.merge_alias(item, out, wanted, WANT_MAP)?,
                        _ => return Err(WANT_MAP.into()),
                    }
                }
                Ok(())
            }
            Raw::Scalar { .. } => Err(WANT_MAP.into()),
        }
    }

    fn merge_alias(
        &mut self,
        index: usize,
        out: &mut B::Map,
        wanted: Wanted,
        want: &str,
    ) -> Result<(), String> {
        let Raw::Alias { target, name } = self.graph.nodes[index] else {
            return Err(want.into());
        };
        if !matches!(self.graph.nodes[target], Raw::Map(_)) {
            return Err(want.into());
        }
        self.count()?;
        self.enter_alias(index, name)?;
        let result = self
            .count()
            .and_then(|()| self.map_into(target, out, wanted));
        self.leave_alias();
        result
    }

    /// sigs.k8s.io/yaml's key conversion of key `index`: `None` for a
    /// collection, `Some(None)` for a key JSON cannot hold (null, uint64).
    fn key_string(&self, index: usize) -> Option<Option<Cow<'g, str>>> {
        Some(match self.key_scalar(index)? {
            Scalar::Uint(_) | Scalar::Null => None,
            Scalar::Float(f) => Some(match format_float(f, Layout::General, true).as_str() {
                "+Inf" => Cow::Borrowed(".inf"),
                "-Inf" => Cow::Borrowed("-.inf"),
                "NaN" => Cow::Borrowed(".nan"),
                other => Cow::Owned(other.to_string()),
            }),
            Scalar::Int(i) => Some(Cow::Owned(i.to_string())),
            Scalar::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            Scalar::Str(s) => Some(s),
            Scalar::Bytes(bytes) => Some(Cow::Owned(go_lossy_utf8(&bytes))),
        })
    }

    /// The yaml.v2-typed value of a scalar key (following aliases); `None`
    /// for a collection. (The key itself was decoded without error.)
    fn key_scalar(&self, mut index: usize) -> Option<Scalar<'g>> {
        let graph = self.graph;
        for _ in 0..=MAX_DEPTH {
            match &graph.nodes[index] {
                Raw::Alias { target, .. } => index = *target,
                Raw::Scalar {
                    value,
                    implicit,
                    tag,
                } => return scalar(value, *implicit, tag.as_deref()).ok(),
                _ => return None,
            }
        }
        None
    }
}

/// A float after a trip through JSON text with "integers stay integers".
pub(crate) fn json_number(f: f64) -> Node {
    if f.is_finite()
        && let Ok(i) = json_float(f).parse::<i64>()
    {
        return Node::Int(i);
    }
    Node::Float(f)
}

fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// yaml.v2's scalar decoding into `interface{}`.
fn scalar<'g>(value: &'g str, implicit: bool, tag: Option<&str>) -> Result<Scalar<'g>, String> {
    let text = || Scalar::Str(Cow::Borrowed(value));
    if tag == Some("!") {
        // The non-specific tag: never resolved.
        return Ok(text());
    }
    let Some(tag) = tag else {
        return Ok(if implicit {
            from_resolved(resolve_plain(value), value)
        } else {
            text()
        });
    };
    let Some(kind) = tag.strip_prefix(CORE) else {
        // Unknown tags keep the text.
        return Ok(text());
    };
    match kind {
        "str" => Ok(text()),
        "binary" => decode_base64(value)
            .map(Scalar::Bytes)
            .ok_or_else(|| "yaml: !!binary value contains invalid base64 data".to_string()),
        "bool" | "int" | "float" | "null" | "timestamp" => {
            let resolved = resolve_plain(value);
            let actual = match resolved {
                Resolved::Null => "null",
                Resolved::Bool(_) => "bool",
                Resolved::Int(_) | Resolved::Uint(_) => "int",
                Resolved::Float(_) => "float",
                Resolved::Timestamp => "timestamp",
                Resolved::Str => "str",
            };
            if actual == kind {
                return Ok(from_resolved(resolved, value));
            }
            match (kind, resolved) {
                // Only untagged or !!timestamp scalars are tried as
                // timestamps; as anything else such text is a plain string.
                (_, Resolved::Timestamp) => Err(format!(
                    "yaml: cannot decode !!str `{value}` as a {}",
                    short_tag(tag)
                )),
                ("float", Resolved::Int(i)) => Ok(Scalar::Float(i as f64)),
                _ => Err(format!(
                    "yaml: cannot decode {} `{value}` as a {}",
                    short_tag(&format!("{CORE}{actual}")),
                    short_tag(tag)
                )),
            }
        }
        // !!map, !!seq, !!merge and others on a scalar: the text.
        _ => Ok(text()),
    }
}

fn from_resolved(resolved: Resolved, text: &str) -> Scalar<'_> {
    match resolved {
        Resolved::Null => Scalar::Null,
        Resolved::Bool(b) => Scalar::Bool(b),
        Resolved::Int(i) => Scalar::Int(i),
        Resolved::Uint(u) => Scalar::Uint(u),
        Resolved::Float(f) => Scalar::Float(f),
        Resolved::Timestamp | Resolved::Str => Scalar::Str(Cow::Borrowed(text)),
    }
}

/// Go's `base64.StdEncoding.DecodeString` (padding required; `\r` and `\n`
/// are skipped).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let sextet = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = text.bytes().filter(|&b| b != b'\r' && b != b'\n').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quads = clean.len() / 4;
    for (q, quad) in clean.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &b in &quad[..4 - pad] {
            n = (n << 6) | sextet(b)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Go rejects non-zero bits hidden in the padding.
        if pad == 2 && n & 0xffff != 0 || pad == 1 && n & 0xff != 0 {
            return None;
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Bytes → text the way encoding/json writes them: every byte that is not
/// part of valid UTF-8 becomes U+FFFD on its own.
pub(crate) fn go_lossy_utf8(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{fffd}');
                rest = &after[1..];
            }
        }
    }
    out
}

/// The first NaN or infinity in JSON (sorted-key) order.
fn first_non_finite(node: &Node) -> Option<f64> {
    match node {
        Node::Float(f) if !f.is_finite() => Some(*f),
        Node::Seq(items) => items.iter().find_map(first_non_finite),
        Node::Map(entries) => {
            let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            sorted.into_iter().find_map(|(_, v)| first_non_finite(v))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    /// A graph keeps a node per scalar and collection of every manifest it
    /// reads, so their size bounds a large chart's peak memory.
    #[test]
    fn graph_nodes_are_48_bytes() {
        assert_eq!(std::mem::size_of::<super::Raw<'_>>(), 48);
    }
}
