//! YAML text → [`Node`], as `sigs.k8s.io/yaml.Unmarshal` into `interface{}`.
//!
//! The steps mirror Go's:
//! 1. yaml.v2 parses the *first* document of the stream into a node graph
//!    (later documents are not even parsed), expanding aliases and merge
//!    keys, resolving plain scalars with YAML 1.1 rules;
//! 2. sigs.k8s.io/yaml turns every map key into a string (`1` → `"1"`,
//!    `yes` → `"true"`, `1.5` → `"1.5"` via float32 text) and fails on `null`
//!    or huge integer keys;
//! 3. encoding/json writes the result (NaN and ±Inf fail here) and reads it
//!    back, which is where numbers get their final type (see [`Numbers`]).
//!
//! Tokenising is done by `saphyr-parser`; its error messages mostly share
//! libyaml's wording, and are mapped to yaml.v2's `yaml: line N: …` form.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use super::emit::with_big_stack;
use super::gonum::{Layout, format_float, json_float};
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // libyaml reads U+0085 (NEL) as a line break, exactly like `\n`; saphyr,
    // following YAML 1.2, does not. (One character for one, so character
    // positions stay the same.)
    let with_breaks;
    let text = if text.contains('\u{85}') {
        with_breaks = text.replace('\u{85}', "\n");
        with_breaks.as_str()
    } else {
        text
    };
    let (graph, source) = parse_first_document(text).map_err(wrap)?;
    let text = source.as_str();
    let Some(root) = graph.root else {
        return Ok(Node::Null);
    };
    // Aliases can nest expansions deeper than the text; decode such
    // documents (and deep ones) on a thread with room for the recursion.
    let deep = graph.deepest > 200 || graph.has_aliases;
    let node = with_big_stack(deep, || {
        let mut decoder = Decoder {
            graph: &graph,
            text,
            numbers,
            expanding: Vec::new(),
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            depth: 0,
            key_error: None,
        };
        let node = decoder.node(root).map_err(wrap)?;
        match decoder.key_error {
            Some(message) => Err(wrap(message)),
            None => Ok(node),
        }
    })?;
    if let Some(bad) = first_non_finite(&node) {
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

enum Raw {
    Scalar {
        value: String,
        /// Plain style without a tag (libyaml's "plain implicit"): the only
        /// case that is resolved by content, and the only `<<` that merges.
        implicit: bool,
        /// The long form of an explicit tag (`tag:yaml.org,2002:int`, `!foo`).
        tag: Option<String>,
    },
    Seq(Vec<usize>),
    /// Keys and values, alternating.
    Map(Vec<usize>),
    Alias {
        target: usize,
        /// Character index of the `*name` token, to name it in messages.
        at: usize,
    },
}

struct Graph {
    nodes: Vec<Raw>,
    root: Option<usize>,
    /// The deepest nesting of collections in the text.
    deepest: usize,
    /// Where the first document ends (1-based line); later lines are not
    /// read by yaml.v2.
    last_line: usize,
    has_aliases: bool,
}

/// Parses the first document, returning the graph and the text it was
/// parsed from.
///
/// Where libyaml is laxer than saphyr, the text is adjusted (without
/// changing its meaning or its line numbers) and parsed again:
/// * a tab right after `key:` (before a plain scalar) becomes a space;
/// * continuation lines of a quoted scalar get more indentation (libyaml
///   ignores it, saphyr wants it; it is folded away either way).
fn parse_first_document(text: &str) -> Result<(Graph, String), String> {
    const MAX_RETRIES: usize = 4096;
    check_characters(text)?;
    check_directives(text)?;
    let mut source = text.to_string();
    for _ in 0..MAX_RETRIES {
        match parse_events(&source) {
            Err(Failure::TabAfterColon(char_index)) => {
                source = untab_before(&source, char_index).ok_or_else(|| {
                    "yaml: found character that cannot start any token".to_string()
                })?;
            }
            Err(Failure::ShallowQuoted(char_index)) => {
                source = indent_quoted(&source, char_index).ok_or_else(|| {
                    // No closing quote: libyaml reads to the end of the text.
                    scanner_message(
                        source.matches('\n').count(),
                        "found unexpected end of stream",
                    )
                })?;
            }
            Err(Failure::EndsAt(char_index)) => {
                let end = CharOffsets::new(&source).byte(char_index);
                if end >= source.len() {
                    return Err("yaml: did not find expected <document start>".into());
                }
                source.truncate(end);
            }
            Err(Failure::Message(message)) => return Err(message),
            Ok((graph, layout)) => {
                if source.contains('\t') {
                    check_tabs(&source, &layout, graph.last_line)?;
                }
                return Ok((graph, source));
            }
        }
    }
    Err("yaml: found character that cannot start any token".into())
}

enum Failure {
    /// saphyr refused a tab right after a `:` value indicator.
    TabAfterColon(usize),
    /// A bare top-level scalar is followed by junk at this character, which
    /// yaml.v2 never reads.
    EndsAt(usize),
    /// saphyr refused a quoted scalar (starting at this character) whose
    /// continuation lines are not indented enough.
    ShallowQuoted(usize),
    Message(String),
}

/// Where things are, for the tab checks: per event, its first and last line
/// and what it is.
struct Placed {
    first_line: usize,
    last_line: usize,
    /// Column of the first character (a block scalar's content indent).
    column: usize,
    kind: Placement,
}

#[derive(PartialEq, Eq)]
enum Placement {
    Plain,
    /// Quoted scalars and flow collections: tabs inside are content or
    /// separation, never indentation.
    Inline,
    Block,
    Other,
}

fn parse_events(text: &str) -> Result<(Graph, Vec<Placed>), Failure> {
    let mut graph = Graph {
        nodes: Vec::new(),
        root: None,
        deepest: 0,
        last_line: usize::MAX,
        has_aliases: false,
    };
    let mut layout: Vec<Placed> = Vec::new();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    // Open collections: node index and, for flow ones, their layout slot.
    let mut open: Vec<(usize, Option<usize>)> = Vec::new();
    let mut offsets = CharOffsets::new(text);
    // Where the last event ended (a character index).
    let mut last_end = 0;
    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(item) => item,
            Err(e) if e.info() == "':' must be followed by a valid YAML whitespace" => {
                return Err(Failure::TabAfterColon(e.marker().index()));
            }
            Err(e) if e.info() == "invalid indentation in quoted scalar" => {
                return Err(Failure::ShallowQuoted(e.marker().index()));
            }
            // yaml.v2 stops reading once the root node is complete, so
            // what follows it cannot fail the document.
            Err(e) if graph.root.is_some() && open.is_empty() && is_after_root(e.info()) => break,
            // The same before the root scalar's event: read the text up to
            // the problem only.
            Err(e)
                if open.is_empty()
                    && is_after_root(e.info())
                    && content_before(text, offsets.byte(e.marker().index())) =>
            {
                return Err(Failure::EndsAt(e.marker().index()));
            }
            Err(e) => {
                let within = match open.last() {
                    None => Within::Nothing,
                    Some(&(index, flow)) => match (&graph.nodes[index], flow.is_some()) {
                        (Raw::Seq(_), true) => Within::FlowSeq,
                        (Raw::Seq(_), false) => Within::BlockSeq,
                        (_, true) => Within::FlowMap,
                        (_, false) => Within::BlockMap,
                    },
                };
                // The token libyaml would have complained about: after a
                // key, what trails the value; elsewhere, the next token.
                let after_key = open.last().is_some_and(|&(index, _)| {
                    matches!(&graph.nodes[index], Raw::Map(children) if children.len() % 2 == 1)
                });
                let from = if after_key && e.info().contains("invalid trailing content") {
                    e.marker().index()
                } else {
                    last_end
                };
                let next_token = next_token_after(text, &mut offsets, from);
                let problem = Problem {
                    within,
                    after_key,
                    next_token,
                };
                return Err(Failure::Message(scan_error(text, &e, problem)));
            }
        };
        last_end = span.end.index();
        let first_line = span.start.line();
        let (raw, anchor) = match event {
            Event::DocumentEnd | Event::StreamEnd => {
                graph.last_line = span.start.line();
                break;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((_, Some(slot))) = open.pop() {
                    layout[slot].last_line = span.end.line();
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                // go-yaml's parser wants a key before `:` in a block mapping;
                // saphyr reads `: x` as an empty key.
                let at_key = open.last().is_some_and(|&(index, flow)| {
                    flow.is_none()
                        && matches!(&graph.nodes[index], Raw::Map(children) if children.len() % 2 == 0)
                });
                if at_key
                    && value.is_empty()
                    && tag.is_none()
                    && offsets.char_at(span.start.index()) == Some(':')
                    && !after_question_mark(text, offsets.byte(span.start.index()))
                {
                    let line0 = first_line.saturating_sub(1);
                    let at = if line0 == 0 {
                        String::new()
                    } else {
                        format!("line {line0}: ")
                    };
                    return Err(Failure::Message(format!(
                        "yaml: {at}did not find expected key"
                    )));
                }
                let kind = match style {
                    ScalarStyle::Plain => Placement::Plain,
                    ScalarStyle::Literal | ScalarStyle::Folded => Placement::Block,
                    _ => Placement::Inline,
                };
                if style == ScalarStyle::DoubleQuoted && value.contains('/') {
                    check_escapes(text, &mut offsets, span.start.index(), span.end.index())
                        .map_err(Failure::Message)?;
                }
                layout.push(Placed {
                    first_line,
                    last_line: span.end.line(),
                    column: span.start.col(),
                    kind,
                });
                let mut value = value.into_owned();
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && ends_at_eof_without_break(text, &mut offsets, span.end.index())
                {
                    // libyaml keeps only line breaks it has read; the last
                    // line of the file has none.
                    if value.ends_with('\n') {
                        value.pop();
                    }
                }
                let tag = tag.map(|t| long_tag(&t.handle, &t.suffix));
                let implicit =
                    style == ScalarStyle::Plain && tag.as_deref().is_none_or(|t| t == "!");
                let raw = Raw::Scalar {
                    value,
                    implicit,
                    tag,
                };
                (raw, anchor)
            }
            Event::SequenceStart(anchor, _) => (Raw::Seq(Vec::new()), anchor),
            Event::MappingStart(anchor, _) => (Raw::Map(Vec::new()), anchor),
            Event::Alias(id) => {
                graph.has_aliases = true;
                layout.push(Placed {
                    first_line,
                    last_line: first_line,
                    column: span.start.col(),
                    kind: Placement::Other,
                });
                let target = *anchors.get(&id).ok_or_else(|| {
                    Failure::Message(format!(
                        "yaml: unknown anchor '{}' referenced",
                        name_at(text, span.start.index())
                    ))
                })?;
                let raw = Raw::Alias {
                    target,
                    at: span.start.index(),
                };
                (raw, 0)
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => continue,
        };
        let opens = matches!(raw, Raw::Seq(_) | Raw::Map(_));
        let index = graph.nodes.len();
        graph.nodes.push(raw);
        if anchor > 0 {
            anchors.insert(anchor, index);
        }
        match open.last() {
            Some(&(parent, _)) => match &mut graph.nodes[parent] {
                Raw::Seq(children) | Raw::Map(children) => children.push(index),
                Raw::Scalar { .. } | Raw::Alias { .. } => {}
            },
            None => graph.root = Some(index),
        }
        if opens {
            let flow = matches!(offsets.char_at(span.start.index()), Some('[' | '{'));
            let slot = layout.len();
            layout.push(Placed {
                first_line,
                last_line: first_line,
                column: span.start.col(),
                kind: if flow {
                    Placement::Inline
                } else {
                    Placement::Other
                },
            });
            open.push((index, flow.then_some(slot)));
            graph.deepest = graph.deepest.max(open.len());
            if open.len() > MAX_DEPTH {
                return Err(Failure::Message(format!(
                    "yaml: line {first_line}: exceeded max depth of {MAX_DEPTH}"
                )));
            }
        }
    }
    Ok((graph, layout))
}

/// Character index → byte offset, computed once when first needed.
struct CharOffsets<'a> {
    text: &'a str,
    starts: Option<Vec<usize>>,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> CharOffsets<'a> {
        CharOffsets { text, starts: None }
    }

    fn byte(&mut self, char_index: usize) -> usize {
        let text = self.text;
        let starts = self
            .starts
            .get_or_insert_with(|| text.char_indices().map(|(b, _)| b).collect());
        starts.get(char_index).copied().unwrap_or(text.len())
    }

    fn char_at(&mut self, char_index: usize) -> Option<char> {
        let at = self.byte(char_index);
        self.text[at..].chars().next()
    }
}

/// saphyr problems with what follows a complete root node, which libyaml
/// only sees as the start of a next document it never reads.
fn is_after_root(info: &str) -> bool {
    [
        "comment intercepting the multiline text",
        "invalid trailing content",
        "misplaced bracket",
    ]
    .iter()
    .any(|known| info.contains(known))
}

/// Whether a scalar ending at `char_index` runs into the end of a text
/// that has no final line break.
fn ends_at_eof_without_break(text: &str, offsets: &mut CharOffsets, char_index: usize) -> bool {
    !text.ends_with(['\n', '\r']) && offsets.byte(char_index) >= text.len()
}

/// `text` with the tabs in the blank run before `char_index` made spaces.
fn untab_before(text: &str, char_index: usize) -> Option<String> {
    let at = CharOffsets::new(text).byte(char_index);
    let before = &text[..at];
    let run_start = before.trim_end_matches([' ', '\t']).len();
    if !before[run_start..].contains('\t') {
        return None;
    }
    let mut fixed = String::with_capacity(text.len());
    fixed.push_str(&text[..run_start]);
    fixed.push_str(&before[run_start..].replace('\t', " "));
    fixed.push_str(&text[at..]);
    Some(fixed)
}

/// `text` with the continuation lines of the quoted scalar starting at
/// `char_index` indented past its first column. `None` if it never closes.
fn indent_quoted(text: &str, char_index: usize) -> Option<String> {
    let start = CharOffsets::new(text).byte(char_index);
    let end = closing_quote(text, start)?;
    let column = text[..start]
        .chars()
        .rev()
        .take_while(|c| *c != '\n')
        .count();
    let padding = format!("\n{}", " ".repeat(column + 1));
    let mut fixed = String::with_capacity(text.len() + 64);
    fixed.push_str(&text[..start]);
    fixed.push_str(&text[start..end].replace('\n', &padding));
    fixed.push_str(&text[end..]);
    Some(fixed)
}

/// libyaml (YAML 1.1) has no `\/` escape in double-quoted scalars.
fn check_escapes(
    text: &str,
    offsets: &mut CharOffsets,
    start: usize,
    end: usize,
) -> Result<(), String> {
    let (from, to) = (offsets.byte(start), offsets.byte(end));
    let Some(raw) = text.get(from..to) else {
        return Ok(());
    };
    let mut chars = raw.char_indices();
    while let Some((_, c)) = chars.next() {
        if c != '\\' {
            continue;
        }
        if let Some((at, '/')) = chars.next() {
            let line0 = text[..from + at].matches('\n').count();
            return Err(scanner_message(line0, "found unknown escape character"));
        }
    }
    Ok(())
}

/// yaml.v2's wording for a scanner problem on 0-based line `line0`.
fn scanner_message(line0: usize, problem: &str) -> String {
    if line0 == 0 {
        format!("yaml: {problem}")
    } else {
        format!("yaml: line {}: {problem}", line0 + 1)
    }
}

/// libyaml only allows `%YAML` and `%TAG` directives, and no `...` before
/// the first document.
fn check_directives(text: &str) -> Result<(), String> {
    for (line0, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed == "..." || trimmed.starts_with("... ") || trimmed.starts_with("...\t") {
            // A document end marker before any document.
            let at = if line0 == 0 {
                String::new()
            } else {
                format!("line {line0}: ")
            };
            return Err(format!("yaml: {at}did not find expected node content"));
        }
        let Some(directive) = trimmed.strip_prefix('%') else {
            return Ok(());
        };
        let name: String = directive
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        if name != "YAML" && name != "TAG" {
            return Err(scanner_message(line0, "found unknown directive name"));
        }
    }
    Ok(())
}

/// Tabs where libyaml expects indentation. (saphyr, following YAML 1.2,
/// accepts some of them.)
fn check_tabs(text: &str, layout: &[Placed], last_line: usize) -> Result<(), String> {
    let lines: Vec<&str> = text.lines().take(last_line).collect();
    // 1-based line number → first column holding a tab in its indentation.
    let leading_tab = |number: usize| -> Option<usize> {
        let line = lines.get(number.checked_sub(1)?)?;
        line.chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .position(|c| c == '\t')
    };
    let mut protected = std::collections::HashSet::new();
    for placed in layout {
        match placed.kind {
            Placement::Block => {
                // Content lines, and the line that ends the scalar, are
                // read as indentation first: a tab there is refused.
                for number in placed.first_line + 1..=placed.last_line + 1 {
                    if leading_tab(number).is_some_and(|column| column < placed.column) {
                        return Err(scanner_message(
                            number - 1,
                            "found a tab character where an indentation space is expected",
                        ));
                    }
                }
                protected.extend(placed.first_line..=placed.last_line);
            }
            Placement::Plain => {
                for number in placed.first_line + 1..=placed.last_line {
                    if leading_tab(number) == Some(0) {
                        return Err(scanner_message(
                            number - 1,
                            "found a tab character that violates indentation",
                        ));
                    }
                }
                protected.extend(placed.first_line + 1..=placed.last_line);
            }
            Placement::Inline => protected.extend(placed.first_line + 1..=placed.last_line),
            Placement::Other => {}
        }
    }
    for (line0, line) in lines.iter().enumerate() {
        let number = line0 + 1;
        if !line.contains('\t') || protected.contains(&number) {
            continue;
        }
        // Leading blanks, and blanks after `- ` / `? ` indicators.
        let mut column = 0;
        let mut tab_column = None;
        let mut after_indicator = false;
        let chars: Vec<char> = line.chars().collect();
        while column < chars.len() {
            match chars[column] {
                ' ' => column += 1,
                '\t' => {
                    tab_column.get_or_insert(column);
                    column += 1;
                }
                '-' | '?'
                    if chars
                        .get(column + 1)
                        .is_none_or(|c| *c == ' ' || *c == '\t') =>
                {
                    after_indicator = true;
                    column += 1;
                }
                _ => break,
            }
        }
        let Some(tab_column) = tab_column else {
            continue;
        };
        let rest = &chars[column..];
        let empty = rest.is_empty() || rest[0] == '#';
        if after_indicator && !empty {
            return Err(scanner_message(
                line0,
                "found character that cannot start any token",
            ));
        }
        let previous_is_plain = layout
            .iter()
            .rev()
            .find(|p| p.first_line < number)
            .is_some_and(|p| p.kind == Placement::Plain);
        if previous_is_plain {
            if tab_column == 0 {
                return Err(scanner_message(
                    line0,
                    "found a tab character that violates indentation",
                ));
            }
        } else if !empty || tab_column == 0 {
            return Err(scanner_message(
                line0,
                "found character that cannot start any token",
            ));
        }
    }
    Ok(())
}

fn long_tag(handle: &str, suffix: &str) -> String {
    format!("{handle}{suffix}")
}

/// `!!int` for messages.
fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(CORE) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

/// yaml.v2's reader accepts only YAML's printable characters.
fn check_characters(text: &str) -> Result<(), String> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    };
    if text.chars().all(allowed) {
        Ok(())
    } else {
        Err("yaml: control characters are not allowed".into())
    }
}

/// The anchor name of the `*name` / `&name` token at a character index.
fn name_at(text: &str, char_index: usize) -> String {
    text.chars()
        .skip(char_index)
        .skip_while(|&c| c == '*' || c == '&')
        .take_while(|&c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .collect()
}

/// Turns a saphyr-parser error into yaml.v2's words.
///
/// yaml.v2 prints `line N: ` only when the (0-based) problem line is not the
/// first one; scanner problems are shown 1-based, parser problems 0-based
/// (so one less than the real line). We follow that where the libyaml
/// message is known.
/// The innermost open collection when a problem is found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    Nothing,
    BlockMap,
    BlockSeq,
    FlowMap,
    FlowSeq,
}

/// Whether anything but blanks, comments and `---` precedes byte `at`.
fn content_before(text: &str, at: usize) -> bool {
    text.get(..at).unwrap_or_default().lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#') && line != "---"
    })
}

/// Whether the text before byte `at` (skipping blanks, line breaks and
/// comments) ends with a `?` explicit-key indicator.
fn after_question_mark(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or_default();
    for line in before.rsplit('\n') {
        // Drop a comment (a `#` after a blank or at the start).
        let content = match line
            .find(" #")
            .or_else(|| line.starts_with('#').then_some(0))
        {
            Some(hash) => &line[..hash],
            None => line,
        };
        let content = content.trim_end_matches([' ', '\t', '\r']);
        if !content.is_empty() {
            return content.ends_with('?')
                && content[..content.len() - 1]
                    .chars()
                    .last()
                    .is_none_or(|c| c == ' ' || c == '\t' || c == '-');
        }
    }
    false
}

/// The token after the last event, as libyaml would scan it next.
#[derive(Clone, Copy)]
enum NextToken {
    /// A quoted scalar that never closes.
    Unterminated,
    /// Something starting on this 0-based line.
    At(usize),
    Unknown,
}

/// Finds the next token after character `from`: skips blanks, line breaks
/// and comments.
fn next_token_after(text: &str, offsets: &mut CharOffsets, from: usize) -> NextToken {
    let start = offsets.byte(from);
    let Some(rest) = text.get(start..) else {
        return NextToken::Unknown;
    };
    let mut in_comment = false;
    for (at, c) in rest.char_indices() {
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            ' ' | '\t' | '\r' => {}
            '#' => in_comment = true,
            _ => {
                let here = start + at;
                let line0 = text[..here].matches('\n').count();
                if (c == '"' || c == '\'') && closing_quote(text, here).is_none() {
                    return NextToken::Unterminated;
                }
                return NextToken::At(line0);
            }
        }
    }
    NextToken::Unknown
}

/// The byte offset of the quote closing the scalar that opens at `start`.
fn closing_quote(text: &str, start: usize) -> Option<usize> {
    let quote = text[start..]
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')?;
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            '\'' if quote == '\'' && chars.peek().is_some_and(|(_, next)| *next == '\'') => {
                chars.next();
            }
            c if c == quote => return Some(start + 1 + at),
            _ => {}
        }
    }
    None
}

/// Where the parser was when saphyr gave up.
#[derive(Clone, Copy)]
struct Problem {
    within: Within,
    /// In a block mapping, right after a key (a value is expected).
    after_key: bool,
    next_token: NextToken,
}

fn scan_error(text: &str, error: &ScanError, problem: Problem) -> String {
    let Problem {
        within,
        after_key,
        next_token,
    } = problem;
    let info = strip_context(error.info());
    let mut line0 = error.marker().line().saturating_sub(1);
    // libyaml complains about a misplaced token where the token starts, and
    // first scans it whole: a quote that never closes runs to the end.
    if matches!(
        info,
        "did not find expected key"
            | "did not find expected '-' indicator"
            | "invalid trailing content after double-quoted scalar"
    ) {
        match next_token {
            NextToken::Unterminated => {
                return scanner_message(
                    text.matches('\n').count(),
                    "found unexpected end of stream",
                );
            }
            NextToken::At(line) => line0 = line,
            NextToken::Unknown => {}
        }
    }
    let parser_problem = |problem: &str| {
        if line0 == 0 {
            format!("yaml: {problem}")
        } else {
            format!("yaml: line {line0}: {problem}")
        }
    };
    // Where libyaml would stop with "expected the next item" instead.
    let expected_next = || match within {
        Within::BlockSeq => Some("did not find expected '-' indicator"),
        Within::BlockMap => Some("did not find expected key"),
        Within::FlowSeq => Some("did not find expected ',' or ']'"),
        Within::FlowMap => Some("did not find expected ',' or '}'"),
        Within::Nothing => None,
    };
    let at_end_of_text =
        || scanner_message(text.matches('\n').count(), "found unexpected end of stream");
    match info {
        "did not find expected key"
        | "did not find expected '-' indicator"
        | "did not find expected ',' or '}'"
        | "did not find expected node content" => parser_problem(info),
        "expected ',' or ']'" => parser_problem("did not find expected ',' or ']'"),
        "found unknown anchor" => {
            let name = name_at(text, error.marker().index());
            format!("yaml: unknown anchor '{name}' referenced")
        }
        // libyaml reads an unterminated quoted scalar to the end of the text.
        "found unexpected end of stream" | "invalid indentation in quoted scalar" => {
            at_end_of_text()
        }
        "simple key expect ':'" | "simple key expected" => {
            scanner_message(line0, "could not find expected ':'")
        }
        // libyaml stops at the tab itself, on a later line.
        "found a tab" => scanner_message(
            next_line_with_leading_tab(text, line0).unwrap_or(line0),
            "found a tab character that violates indentation",
        ),
        "did not find expected hexadecimal number" => {
            scanner_message(line0, "did not find expected hexdecimal number")
        }
        "tabs disallowed in this context"
        | "tabs disallowed within this context (block indentation)" => {
            scanner_message(line0, "found character that cannot start any token")
        }
        "a block scalar content cannot start with a tab" => scanner_message(
            line0 + 1,
            "found a tab character where an indentation space is expected",
        ),
        // saphyr stops at the comment; libyaml at the token on the next line.
        "comment intercepting the multiline text" => match expected_next() {
            Some(problem) => format!("yaml: line {}: {problem}", line0 + 1),
            None => scanner_message(line0, info),
        },
        // A stray `]` or `}`, or a block entry inside a flow collection:
        // libyaml finds no node where a value should be, or no next item.
        "misplaced bracket" | "\"-\" is only valid inside a block"
            if after_key
                || matches!(within, Within::FlowMap | Within::FlowSeq | Within::Nothing) =>
        {
            parser_problem("did not find expected node content")
        }
        "misplaced bracket"
        | "illegal placement of ':' indicator"
        | "wrongly indented line in block scalar"
        | "invalid trailing content after double-quoted scalar" => match expected_next() {
            Some(problem) => parser_problem(problem),
            None => scanner_message(line0, info),
        },
        _ if info.starts_with("unexpected character: ") => {
            scanner_message(line0, "found character that cannot start any token")
        }
        _ => scanner_message(line0, info),
    }
}

/// The first line at or after `line0` (0-based) indented with a tab.
fn next_line_with_leading_tab(text: &str, line0: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(line0)
        .find(|(_, line)| {
            line.chars()
                .take_while(|c| c.is_whitespace())
                .any(|c| c == '\t')
        })
        .map(|(number, _)| number)
}

/// libyaml keeps "while parsing …" as a separate context; yaml.v2 shows only
/// the problem.
fn strip_context(info: &str) -> &str {
    match info.split_once(", ") {
        Some((context, problem)) if context.starts_with("while ") => problem,
        _ => info,
    }
}

// ---------------------------------------------------------------------------
// Stage 2: node graph → Node, with yaml.v2's decoding rules.

/// A decoded scalar, typed as yaml.v2 types it.
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

struct Decoder<'a> {
    graph: &'a Graph,
    text: &'a str,
    numbers: Numbers,
    /// Alias nodes being expanded right now (to catch self-reference).
    expanding: Vec<usize>,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
    /// Collections being decoded right now (aliases included).
    depth: usize,
    /// The first key that JSON cannot represent. Reported only if yaml.v2
    /// itself found no problem, as in Go.
    key_error: Option<String>,
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

impl Decoder<'_> {
    /// Counts one decode step and enforces yaml.v2's alias-expansion budget.
    fn count(&mut self) -> Result<(), String> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err("yaml: document contains excessive aliasing".into());
        }
        Ok(())
    }

    fn node(&mut self, index: usize) -> Result<Node, String> {
        self.count()?;
        match &self.graph.nodes[index] {
            Raw::Alias { target, at } => {
                let (target, at) = (*target, *at);
                self.enter_alias(index, at)?;
                let result = self.node(target);
                self.leave_alias();
                result
            }
            Raw::Scalar {
                value,
                implicit,
                tag,
            } => Ok(self.to_node(scalar(value, *implicit, tag.as_deref())?)),
            Raw::Seq(children) => {
                self.descend()?;
                let mut items = Vec::with_capacity(children.len());
                for &child in children {
                    items.push(self.node(child)?);
                }
                self.depth -= 1;
                Ok(Node::Seq(items))
            }
            Raw::Map(_) => {
                self.descend()?;
                let mut map = MapBuilder::default();
                self.map_into(index, &mut map)?;
                self.depth -= 1;
                Ok(Node::Map(map.entries))
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

    fn enter_alias(&mut self, index: usize, at: usize) -> Result<(), String> {
        if self.expanding.contains(&index) {
            return Err(format!(
                "yaml: anchor '{}' value contains itself",
                name_at(self.text, at)
            ));
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

    /// Decodes mapping `index` (already counted) into `out`.
    fn map_into(&mut self, index: usize, out: &mut MapBuilder) -> Result<(), String> {
        let Raw::Map(children) = &self.graph.nodes[index] else {
            return Ok(());
        };
        for pair in children.chunks(2) {
            let [key, value] = *pair else { continue };
            if self.is_merge_key(key) {
                self.merge(value, out)?;
                continue;
            }
            let key_node = self.node(key)?;
            let key_text = match key_node {
                Node::Seq(_) | Node::Map(_) => {
                    return Err(format!("yaml: invalid map key: {}", go_sharp_v(&key_node)));
                }
                _ => self.key_string(key, &key_node),
            };
            let value_node = self.node(value)?;
            match key_text {
                Ok(text) => out.insert(text, value_node),
                Err(describe) => {
                    if self.key_error.is_none() {
                        self.key_error = Some(format!(
                            "{describe}, value: {}",
                            go_plus_sharp_v(&value_node)
                        ));
                    }
                }
            }
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

    fn merge(&mut self, index: usize, out: &mut MapBuilder) -> Result<(), String> {
        const WANT_MAP: &str = "yaml: map merge requires map or sequence of maps as the value";
        match &self.graph.nodes[index] {
            Raw::Map(_) => {
                self.count()?;
                self.map_into(index, out)
            }
            Raw::Alias { .. } => self.merge_alias(index, out, WANT_MAP),
            Raw::Seq(children) => {
                for &item in children.iter().rev() {
                    match &self.graph.nodes[item] {
                        Raw::Map(_) => {
                            self.count()?;
                            self.map_into(item, out)?;
                        }
                        Raw::Alias { .. } => self.merge_alias(item, out, WANT_MAP)?,
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
        out: &mut MapBuilder,
        want: &str,
    ) -> Result<(), String> {
        let Raw::Alias { target, at } = self.graph.nodes[index] else {
            return Err(want.into());
        };
        if !matches!(self.graph.nodes[target], Raw::Map(_)) {
            return Err(want.into());
        }
        self.count()?;
        self.enter_alias(index, at)?;
        let result = self.count().and_then(|()| self.map_into(target, out));
        self.leave_alias();
        result
    }

    /// sigs.k8s.io/yaml's key conversion. `Err` describes an unsupported key.
    fn key_string(&self, index: usize, key: &Node) -> Result<String, String> {
        let scalar = self.key_scalar(index);
        match scalar {
            Some(Scalar::Uint(u)) => {
                Err(format!("unsupported map key of type: uint64, key: {u:#x}"))
            }
            Some(Scalar::Float(f)) => Ok(match format_float(f, Layout::General, true).as_str() {
                "+Inf" => ".inf".into(),
                "-Inf" => "-.inf".into(),
                "NaN" => ".nan".into(),
                other => other.into(),
            }),
            Some(Scalar::Int(i)) => Ok(i.to_string()),
            Some(Scalar::Bool(b)) => Ok(b.to_string()),
            Some(Scalar::Str(s)) => Ok(s),
            Some(Scalar::Null) | None => match key {
                Node::Str(s) => Ok(s.clone()),
                _ => Err("unsupported map key of type: %!s(<nil>), key: <nil>".into()),
            },
        }
    }

    /// The yaml.v2-typed value of a scalar key (following aliases).
    fn key_scalar(&self, mut index: usize) -> Option<Scalar> {
        for _ in 0..=MAX_DEPTH {
            match &self.graph.nodes[index] {
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

    fn to_node(&self, scalar: Scalar) -> Node {
        match scalar {
            Scalar::Null => Node::Null,
            Scalar::Bool(b) => Node::Bool(b),
            Scalar::Str(s) => Node::Str(s),
            Scalar::Uint(u) => Node::Float(u as f64),
            Scalar::Int(i) => match self.numbers {
                Numbers::Float64 => Node::Float(i as f64),
                Numbers::Int64 => Node::Int(i),
            },
            Scalar::Float(f) => match self.numbers {
                Numbers::Float64 => Node::Float(f),
                Numbers::Int64 => json_number(f),
            },
        }
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
fn scalar(value: &str, implicit: bool, tag: Option<&str>) -> Result<Scalar, String> {
    if tag == Some("!") {
        // The non-specific tag: never resolved.
        return Ok(Scalar::Str(value.to_string()));
    }
    let Some(tag) = tag else {
        return Ok(if implicit {
            from_resolved(resolve_plain(value), value)
        } else {
            Scalar::Str(value.to_string())
        });
    };
    let Some(kind) = tag.strip_prefix(CORE) else {
        // Unknown tags keep the text.
        return Ok(Scalar::Str(value.to_string()));
    };
    match kind {
        "str" => Ok(Scalar::Str(value.to_string())),
        "binary" => decode_base64(value)
            .map(|bytes| Scalar::Str(go_lossy_utf8(&bytes)))
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
        _ => Ok(Scalar::Str(value.to_string())),
    }
}

fn from_resolved(resolved: Resolved, text: &str) -> Scalar {
    match resolved {
        Resolved::Null => Scalar::Null,
        Resolved::Bool(b) => Scalar::Bool(b),
        Resolved::Int(i) => Scalar::Int(i),
        Resolved::Uint(u) => Scalar::Uint(u),
        Resolved::Float(f) => Scalar::Float(f),
        Resolved::Timestamp | Resolved::Str => Scalar::Str(text.to_string()),
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

/// Go's `%#v` of a decoded yaml.v2 value (for `invalid map key` messages).
fn go_sharp_v(node: &Node) -> String {
    match node {
        Node::Seq(items) => {
            let inner: Vec<String> = items.iter().map(go_sharp_v_inner).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Node::Map(entries) => {
            let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let inner: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_sharp_v_inner(v)))
                .collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", inner.join(", "))
        }
        other => go_plus_sharp_v(other),
    }
}

fn go_sharp_v_inner(node: &Node) -> String {
    match node {
        Node::Null => "interface {}(nil)".into(),
        other => go_sharp_v(other),
    }
}

/// Go's `%+#v` of a value held in an `interface{}`.
fn go_plus_sharp_v(node: &Node) -> String {
    match node {
        Node::Null => "<nil>".into(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => format_float(*f, Layout::General, false),
        Node::Str(s) => go_quote(s),
        Node::Seq(_) | Node::Map(_) => go_sharp_v(node),
    }
}

/// Go's `strconv.Quote` for common text.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
