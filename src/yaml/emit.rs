//! [`Node`] → YAML text, as Helm's `toYaml` (sigs.k8s.io/yaml `Marshal`).
//!
//! Go first writes the value as JSON, reads that JSON back with yaml.v2 and
//! hands the result to yaml.v2's emitter (a port of libyaml's). So:
//!
//! * numbers are what yaml.v2 makes of Go's JSON number text: a float64 `1e6`
//!   is written `1000000`, `1e21` stays `1e+21`, `0.000001` becomes `1e-06`;
//! * strings go through a YAML double-quoted scalar on the way, so a raw
//!   U+0085 (NEL) is folded like a line break, and characters YAML forbids
//!   (DEL, C1 controls, U+FFFE, U+FFFF) make the whole call fail;
//! * keys are sorted in yaml.v2's "natural" order ([`natural_less`]);
//! * the emitter below replays libyaml's state machine for the block styles
//!   Go uses: column tracking, `- ` and `key: ` indicators, quoting choice,
//!   block scalars and folding at 80 columns.

use super::gonum::{Layout, format_float, json_float};
use super::resolve::{Resolved, is_base60_float, resolve_plain};
use super::{Error, MAX_DEPTH, Node};

/// Helm's `toYaml`, before Helm trims the final newline: the text
/// sigs.k8s.io/yaml's `Marshal` produces for `node` (always ending in `\n`).
///
/// Fails where Go fails: NaN or infinite floats (`error marshaling into JSON:
/// json: unsupported value: NaN`), characters YAML cannot carry, and nesting
/// deeper than 10000 levels. Helm's `toYaml` turns any failure into `""`.
pub fn to_yaml(node: &Node) -> Result<String, Error> {
    // yaml.v2 decodes the whole (short) JSON text before parsing it, so a
    // forbidden character anywhere wins over any other problem.
    if has_forbidden_characters(node) {
        return Err(Error::new("yaml: control characters are not allowed"));
    }
    let mut emitter = Emitter::new(Flavor::V2);
    with_stack_for(node, || {
        let tree = Tree::from_node(node, 0)?;
        emitter.document(&tree);
        Ok(())
    })?;
    Ok(emitter.out)
}

/// Helm's `toYamlPretty`, before Helm trims the final newline: go-yaml v3's
/// encoder with `SetIndent(2)`, straight from the Go values (no JSON round
/// trip).
///
/// Compared with [`to_yaml`]: sequences are indented under their key, long
/// lines are never folded, floats keep Go's `%v` text (`1e+06`), NaN and
/// infinities print as `.nan` / `.inf`, tabs allow block scalars, and key
/// order follows go-yaml v3's slightly different comparison. Fails only on
/// nesting deeper than 10000 levels.
pub fn to_yaml_pretty(node: &Node) -> Result<String, Error> {
    let mut emitter = Emitter::new(Flavor::V3);
    with_stack_for(node, || {
        let tree = Tree::from_value(node, 0)?;
        emitter.document(&tree);
        Ok(())
    })?;
    Ok(emitter.out)
}

/// Runs `work` on a thread with a large stack when `node` is deeply nested,
/// so that recursion over the tree cannot overflow the caller's stack.
pub(crate) fn with_stack_for<T: Send>(
    node: &Node,
    work: impl FnOnce() -> Result<T, Error> + Send,
) -> Result<T, Error> {
    with_big_stack(depth(node) > 256, work)
}

/// Runs `work` on a thread with a 256 MiB stack if `deep`, else right here.
pub(crate) fn with_big_stack<T: Send>(
    deep: bool,
    work: impl FnOnce() -> Result<T, Error> + Send,
) -> Result<T, Error> {
    if !deep {
        return work();
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(scope, work)
            .map_err(|e| Error::new(format!("cannot start a worker thread: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(Error::new("internal error in the YAML/JSON code")))
    })
}

/// Nesting depth, computed without recursion.
pub(crate) fn depth(node: &Node) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(node, 1usize)];
    while let Some((node, level)) = stack.pop() {
        deepest = deepest.max(level);
        match node {
            Node::Seq(items) => stack.extend(items.iter().map(|n| (n, level + 1))),
            Node::Map(entries) => stack.extend(entries.iter().map(|(_, n)| (n, level + 1))),
            _ => {}
        }
    }
    deepest
}

// ---------------------------------------------------------------------------
// The value as yaml.v2 sees it after the JSON round trip.

enum Tree {
    /// A non-string scalar, already in its final text (`null`, `true`, `12`).
    Plain(String),
    Str(String),
    Seq(Vec<Tree>),
    /// Sorted in yaml.v2's order.
    Map(Vec<(String, Tree)>),
}

impl Tree {
    fn from_node(node: &Node, level: usize) -> Result<Tree, Error> {
        if level >= MAX_DEPTH && matches!(node, Node::Seq(_) | Node::Map(_)) {
            return Err(Error::new(format!(
                "yaml: line 1: exceeded max depth of {MAX_DEPTH}"
            )));
        }
        Ok(match node {
            Node::Null => Tree::Plain("null".into()),
            Node::Bool(b) => Tree::Plain(b.to_string()),
            Node::Int(i) => Tree::Plain(i.to_string()),
            Node::Float(f) => Tree::Plain(number_text(*f)?),
            Node::Str(s) => Tree::Str(through_json(s)?),
            Node::Seq(items) => Tree::Seq(
                items
                    .iter()
                    .map(|n| Tree::from_node(n, level + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Map(entries) => {
                // JSON writes keys in byte order; yaml.v2 reads them into a map
                // (a repeated key keeps the last value) and sorts naturally.
                let mut by_json: Vec<&(String, Node)> = entries.iter().collect();
                by_json.sort_by(|a, b| a.0.cmp(&b.0));
                let mut map: Vec<(String, Tree)> = Vec::with_capacity(by_json.len());
                for (key, value) in by_json {
                    if key.contains('\u{85}') {
                        // A line break inside a flow-mapping key of the JSON.
                        return Err(Error::new("yaml: line 1: did not find expected ',' or '}'"));
                    }
                    let key = through_json(key)?;
                    let value = Tree::from_node(value, level + 1)?;
                    // Sorted, so a repeated key is the previous one.
                    match map.last_mut() {
                        Some(last) if last.0 == key => last.1 = value,
                        _ => map.push((key, value)),
                    }
                }
                sort_by_less(&mut map, |a, b| natural_less(&a.0, &b.0));
                Tree::Map(map)
            }
        })
    }
}

impl Tree {
    /// The tree go-yaml v3 builds from Go values directly.
    fn from_value(node: &Node, level: usize) -> Result<Tree, Error> {
        if level >= MAX_DEPTH && matches!(node, Node::Seq(_) | Node::Map(_)) {
            return Err(Error::new(format!("exceeded max depth of {MAX_DEPTH}")));
        }
        Ok(match node {
            Node::Null => Tree::Plain("null".into()),
            Node::Bool(b) => Tree::Plain(b.to_string()),
            Node::Int(i) => Tree::Plain(i.to_string()),
            Node::Float(f) => {
                Tree::Plain(match format_float(*f, Layout::General, false).as_str() {
                    "+Inf" => ".inf".into(),
                    "-Inf" => "-.inf".into(),
                    "NaN" => ".nan".into(),
                    text => text.into(),
                })
            }
            Node::Str(s) => Tree::Str(s.clone()),
            Node::Seq(items) => Tree::Seq(
                items
                    .iter()
                    .map(|n| Tree::from_value(n, level + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Map(entries) => {
                let mut by_key: Vec<&(String, Node)> = entries.iter().collect();
                by_key.sort_by(|a, b| a.0.cmp(&b.0));
                let mut map: Vec<(String, Tree)> = Vec::with_capacity(by_key.len());
                for (key, value) in by_key {
                    let value = Tree::from_value(value, level + 1)?;
                    match map.last_mut() {
                        Some(last) if last.0 == *key => last.1 = value,
                        _ => map.push((key.clone(), value)),
                    }
                }
                sort_by_less(&mut map, |a, b| natural_less_v3(&a.0, &b.0));
                Tree::Map(map)
            }
        })
    }
}

/// A float64 → Go JSON number text → what yaml.v2 reads from it → its text.
fn number_text(f: f64) -> Result<String, Error> {
    if !f.is_finite() {
        return Err(Error::new(format!(
            "error marshaling into JSON: json: unsupported value: {}",
            format_float(f, Layout::General, false)
        )));
    }
    let json = json_float(f);
    Ok(match resolve_plain(&json) {
        Resolved::Int(i) => i.to_string(),
        Resolved::Uint(u) => u.to_string(),
        Resolved::Float(x) => format_float(x, Layout::General, false),
        _ => json,
    })
}

/// Characters that encoding/json writes raw but YAML's reader refuses: DEL,
/// the C1 controls except NEL, U+FFFE and U+FFFF (checked without recursion).
fn has_forbidden_characters(node: &Node) -> bool {
    let forbidden =
        |c: char| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node {
            Node::Str(s) if s.chars().any(forbidden) => return true,
            Node::Seq(items) => stack.extend(items),
            Node::Map(entries) => {
                for (key, value) in entries {
                    if key.chars().any(forbidden) {
                        return true;
                    }
                    stack.push(value);
                }
            }
            _ => {}
        }
    }
    false
}

/// A string after encoding/json wrote it and yaml.v2 read it back.
fn through_json(s: &str) -> Result<String, Error> {
    // encoding/json writes each byte of broken UTF-8 as U+FFFD.
    let s = &*crate::template::replace_raw_bytes(s);
    if !s.contains('\u{85}') {
        return Ok(s.to_string());
    }
    // Inside a double-quoted scalar a raw NEL is a line break, and line
    // breaks fold: a single break becomes a space, several keep all but the
    // first as `\n`; spaces around the breaks are dropped.
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ' ' && c != '\u{85}' {
            out.push(c);
            continue;
        }
        let mut run = String::from(c);
        while let Some(&next) = chars.peek() {
            if next != ' ' && next != '\u{85}' {
                break;
            }
            run.push(next);
            chars.next();
        }
        let breaks = run.matches('\u{85}').count();
        match breaks {
            0 => out.push_str(&run),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Key order.

/// yaml.v2's `keyList.Less` on two string keys: runs of digits compare as
/// numbers, letters sort before non-letters, otherwise code points.
pub(crate) fn natural_less(a: &str, b: &str) -> bool {
    natural_less_as(a, b, Flavor::V2)
}

/// go-yaml v3's variant: after a common run of digits, a letter sorts
/// before a non-letter.
fn natural_less_v3(a: &str, b: &str) -> bool {
    natural_less_as(a, b, Flavor::V3)
}

fn natural_less_as(a: &str, b: &str, flavor: Flavor) -> bool {
    if a.is_ascii() && b.is_ascii() {
        natural_less_in(a.as_bytes(), b.as_bytes(), flavor)
    } else {
        let ar: Vec<char> = a.chars().collect();
        let br: Vec<char> = b.chars().collect();
        natural_less_in(&ar, &br, flavor)
    }
}

fn natural_less_in<T: Copy + Into<char>>(ar: &[T], br: &[T], flavor: Flavor) -> bool {
    let at = |s: &[T], i: usize| -> char { s[i].into() };
    let mut i = 0;
    let mut after_digit = false;
    while i < ar.len() && i < br.len() {
        let (ac, bc) = (at(ar, i), at(br, i));
        if ac == bc {
            after_digit = is_go_digit(ac);
            i += 1;
            continue;
        }
        let al = ac.is_alphabetic();
        let bl = bc.is_alphabetic();
        if al && bl {
            return ac < bc;
        }
        if al || bl {
            return if flavor == Flavor::V3 && after_digit {
                al
            } else {
                bl
            };
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ac == '0' || bc == '0' {
            // A zero inside a longer number (not a leading one) counts as
            // having a value already.
            let mut j = i;
            while j > 0 && is_go_digit(at(ar, j - 1)) {
                j -= 1;
                if at(ar, j) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_go_digit(at(ar, ai)) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(at(ar, ai)));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_go_digit(at(br, bi)) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(at(br, bi)));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ac < bc;
    }
    ar.len() < br.len()
}

/// Go's `unicode.IsDigit`: ASCII digits, and decimal digits beyond Latin-1.
fn is_go_digit(c: char) -> bool {
    c.is_ascii_digit() || (c > '\u{ff}' && c.is_numeric())
}

/// `rune - '0'`, as Go computes it even for non-ASCII digits.
fn digit_value(c: char) -> i64 {
    i64::from(c as u32) - i64::from(b'0')
}

/// Sorts with a comparison that may be inconsistent (never panics).
///
/// Where yaml.v2's key comparison is a proper order, any correct sort gives
/// Go's result. Where it is not (some digit-heavy key sets), Go's own output
/// depends on its random map iteration order, so no order is "the" one; a
/// stable merge sort keeps ours deterministic.
fn sort_by_less<T>(items: &mut Vec<T>, less: impl Fn(&T, &T) -> bool) {
    let mut taken: Vec<Option<T>> = items.drain(..).map(Some).collect();
    let mut order: Vec<usize> = (0..taken.len()).collect();
    merge_sort(
        &mut order,
        &|&a: &usize, &b: &usize| match (&taken[a], &taken[b]) {
            (Some(x), Some(y)) => less(x, y),
            _ => false,
        },
    );
    items.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// A stable bottom-up merge sort of indices, with one scratch buffer.
fn merge_sort(v: &mut [usize], less: &dyn Fn(&usize, &usize) -> bool) {
    let n = v.len();
    let mut scratch = v.to_vec();
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                if less(&v[j], &v[i]) {
                    scratch[k] = v[j];
                    j += 1;
                } else {
                    scratch[k] = v[i];
                    i += 1;
                }
                k += 1;
            }
            scratch[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
            k += mid - i;
            scratch[k..k + (end - j)].copy_from_slice(&v[j..end]);
            start = end;
        }
        v.copy_from_slice(&scratch);
        width *= 2;
    }
}

// ---------------------------------------------------------------------------
// The emitter.

const BEST_INDENT: i32 = 2;

/// Which go-yaml writes: v2 (through sigs.k8s.io/yaml, for `toYaml`) or v3
/// (`toYamlPretty`). v3's emitter is v2's with a few changes, kept here as
/// switches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    V2,
    V3,
}

impl Flavor {
    /// Lines longer than this fold at a space (v3 never folds).
    fn best_width(self) -> usize {
        match self {
            Flavor::V2 => 80,
            Flavor::V3 => usize::MAX,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// Where a node sits (libyaml's context flags).
#[derive(Clone, Copy, Default)]
struct Context {
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    flavor: Flavor,
    out: String,
    column: usize,
    /// The last thing written was whitespace (so an indicator needs no space).
    whitespace: bool,
    /// Only indentation has been written on this line so far.
    indention: bool,
    indent: i32,
    indents: Vec<i32>,
}

/// What libyaml's scalar analysis found.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// libyaml's `is_printable` (4-byte characters are not "printable").
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

fn analyze(value: &str, flavor: Flavor) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let mut tabs = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let followed_by_whitespace = next.is_none_or(is_blank);
        let last = i + 1 == chars.len();
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' if followed_by_whitespace => block_indicators = true,
                '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' && flavor == Flavor::V3 {
            // v3 lets tabs into block scalars, not into plain or quoted ones.
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tabs || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

impl Emitter {
    fn new(flavor: Flavor) -> Emitter {
        Emitter {
            flavor,
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            indent: -1,
            indents: Vec::new(),
        }
    }

    fn document(&mut self, tree: &Tree) {
        self.node(tree, Context::default());
        // Document end: finish the last line.
        self.write_indent();
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        if self.flavor == Flavor::V3 {
            self.indention = true;
        }
    }

    /// Copies a line break character from the value.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
            if self.flavor == Flavor::V3 {
                self.indention = true;
            }
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        if self.flavor == Flavor::V2 {
            self.indention = true;
        }
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn decrease_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn node(&mut self, tree: &Tree, context: Context) {
        match tree {
            Tree::Plain(text) => self.scalar(text, Style::Plain, context),
            Tree::Str(text) => {
                let style = if text.contains('\n') {
                    Style::Literal
                } else if resolve_plain(text) == Resolved::Str && !is_base60_float(text) {
                    Style::Plain
                } else {
                    Style::Double
                };
                self.scalar(text, style, context);
            }
            Tree::Seq(items) if items.is_empty() => self.empty_collection("[", "]"),
            Tree::Map(entries) if entries.is_empty() => self.empty_collection("{", "}"),
            Tree::Seq(items) => {
                // v2 writes a sequence under a key at the key's column.
                let indentless = self.flavor == Flavor::V2 && context.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Context::default());
                }
                self.decrease_indent();
            }
            Tree::Map(entries) => {
                self.increase_indent(false, false);
                for (key, value) in entries {
                    self.write_indent();
                    let key_context = Context {
                        mapping: true,
                        simple_key: true,
                    };
                    let value_context = Context {
                        mapping: true,
                        simple_key: false,
                    };
                    if key.len() <= 128 && !analyze(key, self.flavor).multiline {
                        self.node(&Tree::Str(key.clone()), key_context);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.node(&Tree::Str(key.clone()), value_context);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(value, value_context);
                }
                self.decrease_indent();
            }
        }
    }

    fn empty_collection(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.decrease_indent();
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, value: &str, requested: Style, context: Context) {
        let analysis = analyze(value, self.flavor);
        let mut style = requested;
        if context.simple_key && analysis.multiline {
            style = Style::Double;
        }
        if style == Style::Plain
            && (!analysis.block_plain_allowed || (value.is_empty() && context.simple_key))
        {
            style = Style::Single;
        }
        if style == Style::Single && !analysis.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!analysis.block_allowed || context.simple_key) {
            style = Style::Double;
        }
        let allow_breaks = !context.simple_key;
        self.increase_indent(true, false);
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::Single => self.write_single(value, allow_breaks),
            Style::Double => self.write_double(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.decrease_indent();
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = value.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > self.flavor.best_width()
                    && !next_is_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > self.flavor.best_width()
                    && i > 0
                    && i + 1 < chars.len()
                    && !next_is_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        // yaml.v2's BOM test looks at the start of the value instead of the
        // current character: after a leading BOM, everything is escaped.
        let escape_all = value.starts_with('\u{feff}');
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if escape_all || !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let short = match c {
                    '\0' => Some('0'),
                    '\x07' => Some('a'),
                    '\x08' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\x0b' => Some('v'),
                    '\x0c' => Some('f'),
                    '\r' => Some('r'),
                    '\x1b' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match short {
                    Some(letter) => self.put(letter),
                    None => {
                        let code = c as u32;
                        let (letter, width) = match code {
                            0..=0xff => ('x', 2),
                            0x100..=0xffff => ('u', 4),
                            _ => ('U', 8),
                        };
                        self.put(letter);
                        for digit in format!("{code:0width$X}").chars() {
                            self.put(digit);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.flavor.best_width()
                    && i > 0
                    && i + 1 < chars.len()
                {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        if chars.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = match chars.as_slice() {
            [] => Some("-"),
            [.., last] if !is_break(*last) => Some("-"),
            [_] => Some("+"),
            [.., before, _] if is_break(*before) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}
