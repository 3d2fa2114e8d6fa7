//! Go's `encoding/json` for [`Node`]: Helm's `toJson`, Sprig's
//! `toPrettyJson` / `toRawJson`, and `json.Unmarshal` for `fromJson`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::emit::{with_big_stack, with_stack_for};
use super::gonum::{Layout, format_float, json_float};
use super::{Error, MAX_DEPTH, Node, Numbers};

/// `toJson`: `json.Marshal`. Keys sorted by bytes, `<`, `>` and `&` written
/// as `\u003c`, `\u003e`, `\u0026`, U+2028/U+2029 escaped, floats as Go
/// writes them (`1000000`, `1e+21`, `1e-7`). NaN and ±Inf fail
/// (`json: unsupported value: NaN`); Helm's `toJson` then gives `""`.
pub fn to_json(node: &Node) -> Result<String, Error> {
    GoJson::Compact.encode(node, true)
}

/// `toPrettyJson`: `json.MarshalIndent(v, "", "  ")`.
pub fn to_pretty_json(node: &Node) -> Result<String, Error> {
    GoJson::Pretty.encode(node, true)
}

/// `toRawJson`: like [`to_json`] but without HTML escaping (a `json.Encoder`
/// with `SetEscapeHTML(false)`, trailing newline removed).
pub fn to_raw_json(node: &Node) -> Result<String, Error> {
    GoJson::Raw.encode(node, true)
}

/// The JSON forms templates write ([`to_json`], [`to_pretty_json`],
/// [`to_raw_json`]), for documents built from Go values: [`GoJson::write`]
/// keeps map entries in the order given, as Go's maps arrive sorted and its
/// structs keep their fields' declaration order.
#[derive(Clone, Copy, Debug)]
pub enum GoJson {
    Compact,
    Pretty,
    Raw,
}

impl GoJson {
    pub fn write(self, node: &Node) -> Result<String, Error> {
        self.encode(node, false)
    }

    fn encode(self, node: &Node, sort_keys: bool) -> Result<String, Error> {
        with_stack_for(node, || {
            let mut encoder = Encoder {
                out: String::new(),
                escape_html: !matches!(self, GoJson::Raw),
                indent: matches!(self, GoJson::Pretty).then_some("  "),
                sort_keys,
            };
            encoder.value(node, 0)?;
            Ok(encoder.out)
        })
    }
}

struct Encoder<'a> {
    out: String,
    escape_html: bool,
    indent: Option<&'a str>,
    /// Sorted and de-duplicated like a Go map (nodes from the loader), or as given.
    sort_keys: bool,
}

impl Encoder<'_> {
    fn newline(&mut self, level: usize) {
        if let Some(indent) = self.indent {
            self.out.push('\n');
            for _ in 0..level {
                self.out.push_str(indent);
            }
        }
    }

    fn value(&mut self, node: &Node, level: usize) -> Result<(), Error> {
        match node {
            Node::Null => self.out.push_str("null"),
            Node::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Node::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Node::Float(f) => {
                if !f.is_finite() {
                    return Err(Error::new(format!(
                        "json: unsupported value: {}",
                        format_float(*f, Layout::General, false)
                    )));
                }
                self.out.push_str(&json_float(*f));
            }
            Node::Str(s) => self.string(s),
            Node::Seq(items) => {
                if items.is_empty() {
                    self.out.push_str("[]");
                    return Ok(());
                }
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(level + 1);
                    self.value(item, level + 1)?;
                }
                self.newline(level);
                self.out.push(']');
            }
            Node::Map(entries) => {
                if entries.is_empty() {
                    self.out.push_str("{}");
                    return Ok(());
                }
                self.out.push('{');
                let entries: Vec<(&String, &Node)> = if self.sort_keys {
                    sorted_unique(entries)
                } else {
                    entries.iter().map(|(k, v)| (k, v)).collect()
                };
                for (i, (key, value)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(level + 1);
                    self.string(key);
                    self.out.push(':');
                    if self.indent.is_some() {
                        self.out.push(' ');
                    }
                    self.value(value, level + 1)?;
                }
                self.newline(level);
                self.out.push('}');
            }
        }
        Ok(())
    }

    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\x08' => self.out.push_str("\\b"),
                '\x0c' => self.out.push_str("\\f"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '<' | '>' | '&' if self.escape_html => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                '\u{2028}' | '\u{2029}' => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c if c < ' ' => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                // A byte of broken UTF-8, as Go's encoder writes it.
                c if crate::template::is_raw_byte(c) => self.out.push_str("\\ufffd"),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

/// Map entries in Go's JSON order (byte order); a repeated key keeps its
/// last value.
fn sorted_unique(entries: &[(String, Node)]) -> Vec<(&String, &Node)> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    for (i, (key, _)) in entries.iter().enumerate() {
        last.insert(key, i);
    }
    let mut out: Vec<(&String, &Node)> = entries
        .iter()
        .enumerate()
        .filter(|(i, (key, _))| last.get(key.as_str()) == Some(i))
        .map(|(_, (k, v))| (k, v))
        .collect();
    out.sort_by(|a, b| a.0.cmp(b.0));
    out
}

// ---------------------------------------------------------------------------
// Parsing.

/// `json.Unmarshal` into `interface{}` (what `fromJson` and `fromJsonArray`
/// start from). Errors use Go's words, e.g. `invalid character '}' looking
/// for beginning of object key string` or `unexpected end of JSON input`.
///
/// With [`Numbers::Float64`] every number is a float64, as in Go; with
/// [`Numbers::Int64`] integral numbers that fit become [`Node::Int`].
pub fn from_json(text: &str, numbers: Numbers) -> Result<Node, Error> {
    let bytes = text.as_bytes();
    // Go checks the whole text first, so a syntax error anywhere wins over a
    // number that does not fit.
    check_syntax(bytes)?;
    with_big_stack(max_bracket_depth(bytes) > 256, || {
        let mut parser = Reader {
            bytes,
            at: 0,
            numbers,
        };
        parser.value()
    })
}

fn max_bracket_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Go's `quoteChar`: the offending byte, read as a Latin-1 character.
fn quote_char(b: u8) -> String {
    match b {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        _ => {
            let c = char::from(b);
            let shown = match c {
                '\x07' => "\\a".to_string(),
                '\x08' => "\\b".to_string(),
                '\x0c' => "\\f".to_string(),
                '\n' => "\\n".to_string(),
                '\r' => "\\r".to_string(),
                '\t' => "\\t".to_string(),
                '\x0b' => "\\v".to_string(),
                '\\' => "\\\\".to_string(),
                c if (c as u32) < 0x20 || c == '\x7f' => format!("\\x{:02x}", c as u32),
                c if (0x80..=0xa0).contains(&(c as u32)) || c == '\u{ad}' => {
                    format!("\\u{:04x}", c as u32)
                }
                c => c.to_string(),
            };
            format!("'{shown}'")
        }
    }
}

fn syntax(b: u8, context: &str) -> Error {
    Error::new(format!("invalid character {} {context}", quote_char(b)))
}

fn unexpected_end() -> Error {
    Error::new("unexpected end of JSON input")
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's JSON scanner, as a validator. At the end of input it feeds a space,
/// as Go does, so `tru` fails with "invalid character ' ' in literal true".
fn check_syntax(bytes: &[u8]) -> Result<(), Error> {
    #[derive(Clone, Copy)]
    enum Frame {
        Object,
        Array,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let at = |i: usize| bytes.get(i).copied().unwrap_or(b' ');
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && is_ws(bytes[*i]) {
            *i += 1;
        }
    };
    // Expecting a value.
    'value: loop {
        skip_ws(&mut i);
        if i >= bytes.len() {
            return Err(unexpected_end());
        }
        match bytes[i] {
            b'{' => {
                stack.push(Frame::Object);
                if stack.len() > MAX_DEPTH {
                    return Err(syntax(b'{', "exceeded max depth"));
                }
                i += 1;
                skip_ws(&mut i);
                match bytes.get(i) {
                    None => return Err(unexpected_end()),
                    Some(b'}') => {
                        stack.pop();
                        i += 1;
                    }
                    Some(b'"') => {
                        i = scan_string(bytes, i)?;
                        skip_ws(&mut i);
                        match bytes.get(i) {
                            None => return Err(unexpected_end()),
                            Some(b':') => {
                                i += 1;
                                continue 'value;
                            }
                            Some(&b) => return Err(syntax(b, "after object key")),
                        }
                    }
                    Some(&b) => {
                        return Err(syntax(b, "looking for beginning of object key string"));
                    }
                }
            }
            b'[' => {
                stack.push(Frame::Array);
                if stack.len() > MAX_DEPTH {
                    return Err(syntax(b'[', "exceeded max depth"));
                }
                i += 1;
                skip_ws(&mut i);
                match bytes.get(i) {
                    None => return Err(unexpected_end()),
                    Some(b']') => {
                        stack.pop();
                        i += 1;
                    }
                    Some(_) => continue 'value,
                }
            }
            b'"' => i = scan_string(bytes, i)?,
            b'-' | b'0'..=b'9' => i = scan_number(bytes, i)?,
            b't' => i = scan_literal(bytes, i, "true")?,
            b'f' => i = scan_literal(bytes, i, "false")?,
            b'n' => i = scan_literal(bytes, i, "null")?,
            b => return Err(syntax(b, "looking for beginning of value")),
        }
        // A value ended: close containers or move to the next element.
        loop {
            skip_ws(&mut i);
            match stack.last() {
                None => {
                    return if i >= bytes.len() {
                        Ok(())
                    } else {
                        Err(syntax(bytes[i], "after top-level value"))
                    };
                }
                Some(Frame::Array) => match at(i) {
                    b',' => {
                        i += 1;
                        continue 'value;
                    }
                    b']' => {
                        stack.pop();
                        i += 1;
                    }
                    _ if i >= bytes.len() => return Err(unexpected_end()),
                    b => return Err(syntax(b, "after array element")),
                },
                Some(Frame::Object) => match at(i) {
                    b',' => {
                        i += 1;
                        skip_ws(&mut i);
                        match bytes.get(i) {
                            None => return Err(unexpected_end()),
                            Some(b'"') => {
                                i = scan_string(bytes, i)?;
                                skip_ws(&mut i);
                                match bytes.get(i) {
                                    None => return Err(unexpected_end()),
                                    Some(b':') => {
                                        i += 1;
                                        continue 'value;
                                    }
                                    Some(&b) => return Err(syntax(b, "after object key")),
                                }
                            }
                            Some(&b) => {
                                return Err(syntax(
                                    b,
                                    "looking for beginning of object key string",
                                ));
                            }
                        }
                    }
                    b'}' => {
                        stack.pop();
                        i += 1;
                    }
                    _ if i >= bytes.len() => return Err(unexpected_end()),
                    b => return Err(syntax(b, "after object key:value pair")),
                },
            }
        }
    }
}

/// Validates a string starting at the quote; returns the index after it.
fn scan_string(bytes: &[u8], start: usize) -> Result<usize, Error> {
    let mut i = start + 1;
    loop {
        let Some(&b) = bytes.get(i) else {
            return Err(unexpected_end());
        };
        match b {
            b'"' => return Ok(i + 1),
            b'\\' => {
                // At the end Go's scanner is fed a space, as everywhere.
                let e = bytes.get(i + 1).copied().unwrap_or(b' ');
                match e {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        for k in 0..4 {
                            let h = bytes.get(i + 2 + k).copied().unwrap_or(b' ');
                            if !h.is_ascii_hexdigit() {
                                return Err(syntax(h, "in \\u hexadecimal character escape"));
                            }
                        }
                        i += 6;
                    }
                    _ => return Err(syntax(e, "in string escape code")),
                }
            }
            b if b < 0x20 => return Err(syntax(b, "in string literal")),
            _ => i += 1,
        }
    }
}

fn scan_number(bytes: &[u8], start: usize) -> Result<usize, Error> {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(b' ');
    let mut i = start;
    if at(i) == b'-' {
        i += 1;
        if !at(i).is_ascii_digit() {
            return Err(syntax(at(i), "in numeric literal"));
        }
    }
    if at(i) == b'0' {
        i += 1;
    } else {
        while at(i).is_ascii_digit() {
            i += 1;
        }
    }
    if at(i) == b'.' {
        i += 1;
        if !at(i).is_ascii_digit() {
            return Err(syntax(at(i), "after decimal point in numeric literal"));
        }
        while at(i).is_ascii_digit() {
            i += 1;
        }
    }
    if matches!(at(i), b'e' | b'E') {
        i += 1;
        if matches!(at(i), b'+' | b'-') {
            i += 1;
        }
        if !at(i).is_ascii_digit() {
            return Err(syntax(at(i), "in exponent of numeric literal"));
        }
        while at(i).is_ascii_digit() {
            i += 1;
        }
    }
    Ok(i.min(bytes.len()))
}

fn scan_literal(bytes: &[u8], start: usize, word: &str) -> Result<usize, Error> {
    for (k, want) in word.bytes().enumerate().skip(1) {
        let got = bytes.get(start + k).copied().unwrap_or(b' ');
        if got != want {
            return Err(syntax(
                got,
                &format!("in literal {word} (expecting {})", quote_char(want)),
            ));
        }
    }
    Ok(start + word.len())
}

/// Builds the tree from text already known to be valid.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    numbers: Numbers,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self.at < self.bytes.len() && is_ws(self.bytes[self.at]) {
            self.at += 1;
        }
    }

    fn peek(&self) -> u8 {
        self.bytes.get(self.at).copied().unwrap_or(b' ')
    }

    fn value(&mut self) -> Result<Node, Error> {
        self.skip_ws();
        match self.peek() {
            b'{' => {
                self.at += 1;
                let mut entries: Vec<(String, Node)> = Vec::new();
                let mut index: HashMap<String, usize> = HashMap::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        b'}' => {
                            self.at += 1;
                            return Ok(Node::Map(entries));
                        }
                        b',' => self.at += 1,
                        _ => {
                            let key = self.string();
                            self.skip_ws();
                            self.at += 1; // ':'
                            let value = self.value()?;
                            match index.get(&key) {
                                Some(&i) => entries[i].1 = value,
                                None => {
                                    index.insert(key.clone(), entries.len());
                                    entries.push((key, value));
                                }
                            }
                        }
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        b']' => {
                            self.at += 1;
                            return Ok(Node::Seq(items));
                        }
                        b',' => self.at += 1,
                        _ => items.push(self.value()?),
                    }
                }
            }
            b'"' => Ok(Node::Str(self.string())),
            b't' => {
                self.at += 4;
                Ok(Node::Bool(true))
            }
            b'f' => {
                self.at += 5;
                Ok(Node::Bool(false))
            }
            b'n' => {
                self.at += 4;
                Ok(Node::Null)
            }
            _ => self.number(),
        }
    }

    fn number(&mut self) -> Result<Node, Error> {
        let start = self.at;
        while self.at < self.bytes.len()
            && matches!(
                self.bytes[self.at],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.at += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.at]).unwrap_or("0");
        let value: f64 = text.parse().unwrap_or(f64::INFINITY);
        if !value.is_finite() {
            return Err(Error::new(format!(
                "json: cannot unmarshal number {text} into Go value of type float64"
            )));
        }
        Ok(match self.numbers {
            Numbers::Float64 => Node::Float(value),
            Numbers::Int64 | Numbers::Yaml => match text.parse::<i64>() {
                Ok(i) => Node::Int(i),
                Err(_) => Node::Float(value),
            },
        })
    }

    /// A string starting at its opening quote (already validated).
    fn string(&mut self) -> String {
        self.at += 1;
        let mut out: Vec<u8> = Vec::new();
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'"' => {
                    self.at += 1;
                    break;
                }
                b'\\' => {
                    let e = self.bytes.get(self.at + 1).copied().unwrap_or(b'"');
                    self.at += 2;
                    let c = match e {
                        b'b' => '\x08',
                        b'f' => '\x0c',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape(),
                        other => char::from(other),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }

    /// After `\u`: one code point, pairing surrogates; a lone surrogate is
    /// U+FFFD (and a following escape is read on its own).
    fn unicode_escape(&mut self) -> char {
        let Some(first) = self.hex4(self.at) else {
            return '\u{fffd}';
        };
        self.at += 4;
        if (0xd800..0xdc00).contains(&first)
            && self.bytes.get(self.at..self.at + 2) == Some(b"\\u")
            && let Some(second) = self.hex4(self.at + 2)
            && (0xdc00..0xe000).contains(&second)
        {
            self.at += 6;
            let code = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
            return char::from_u32(code).unwrap_or('\u{fffd}');
        }
        char::from_u32(first).unwrap_or('\u{fffd}')
    }
}
