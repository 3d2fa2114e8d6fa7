//! Helm's `strvals`: the `--set` family's `a.b[0].c=v,x={1,2}` syntax.

use crate::yaml::{self, Node, Numbers};

/// How a value's text becomes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `--set`: typed (`true`, `null`, int64, else string).
    Typed,
    /// `--set-string`.
    String,
    /// `--set-json`: every value is JSON.
    Json,
    /// `--set-file`: the value is a path whose content becomes a string.
    File,
}

const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Why a line did not parse; `Eof` ends the line normally.
enum Stop {
    Eof,
    Err(String),
}

type Res<T> = Result<T, Stop>;

fn err<T>(message: impl Into<String>) -> Res<T> {
    Err(Stop::Err(message.into()))
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    mode: Mode,
    read_file: &'a dyn Fn(&str) -> Result<String, String>,
}

/// Parses one `--set`-style argument into `data` (a map).
pub(crate) fn parse_into(
    text: &str,
    data: &mut Node,
    mode: Mode,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        mode,
        read_file,
    };
    loop {
        match parser.key(data, 0) {
            Ok(()) => continue,
            Err(Stop::Eof) => return Ok(()),
            Err(Stop::Err(e)) => return Err(e),
        }
    }
}

/// `--set-literal`: the value is everything after the first `=` of the key.
pub(crate) fn parse_literal_into(text: &str, data: &mut Node) -> Result<(), String> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        mode: Mode::String,
        read_file: &|_| Ok(String::new()),
    };
    match parser.literal_key(data, 0) {
        Ok(()) | Err(Stop::Eof) => Ok(()),
        Err(Stop::Err(e)) => Err(e),
    }
}

pub(crate) fn map_entries(node: &mut Node) -> &mut Vec<(String, Node)> {
    if !matches!(node, Node::Map(_)) {
        *node = Node::Map(Vec::new());
    }
    match node {
        Node::Map(entries) => entries,
        _ => unreachable!("just made a map"),
    }
}

fn set(data: &mut Node, key: &str, value: Node) {
    if key.is_empty() {
        return;
    }
    let entries = map_entries(data);
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key.to_string(), value)),
    }
}

fn get<'n>(data: &'n Node, key: &str) -> Option<&'n Node> {
    match data {
        Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn kind_name(node: &Node) -> &'static str {
    match node {
        Node::Null => "nil",
        Node::Bool(_) => "bool",
        Node::Int(_) => "int64",
        Node::Float(_) => "float64",
        Node::Str(_) => "string",
        Node::Seq(_) => "[]interface {}",
        Node::Map(_) => "map[string]interface {}",
    }
}

fn set_index(list: &mut Vec<Node>, index: i64, value: Node) -> Res<()> {
    if index < 0 {
        return err(format!("negative {index} index not allowed"));
    }
    let index = usize::try_from(index).unwrap_or(usize::MAX);
    if index > 65_536 {
        return err(format!(
            "error processing index {index}: runtime error: makeslice: len out of range"
        ));
    }
    if list.len() <= index {
        list.resize(index + 1, Node::Null);
    }
    list[index] = value;
    Ok(())
}

/// Go's `strvals.typedVal`.
fn typed_val(text: &str, as_string: bool) -> Node {
    if as_string {
        return Node::Str(text.to_string());
    }
    if text.eq_ignore_ascii_case("true") {
        return Node::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Node::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Node::Null;
    }
    if text == "0" {
        return Node::Int(0);
    }
    if !text.is_empty() && !text.starts_with('0') {
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(i) = text.parse::<i64>()
        {
            return Node::Int(i);
        }
    }
    Node::Str(text.to_string())
}

impl Parser<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads until one of `stop` (consumed); `\` escapes the next character.
    /// `Err(Eof)`-like outcome is reported as `None` for the stop character.
    fn until(&mut self, stop: &[char], escapes: bool) -> (String, Option<char>) {
        let mut out = String::new();
        while let Some(c) = self.next() {
            if stop.contains(&c) {
                return (out, Some(c));
            }
            if escapes && c == '\\' {
                match self.next() {
                    Some(n) => out.push(n),
                    None => return (out, None),
                }
                continue;
            }
            out.push(c);
        }
        (out, None)
    }

    fn reader(&self, text: &str) -> Res<Node> {
        match self.mode {
            Mode::File => (self.read_file)(text).map(Node::Str).map_err(Stop::Err),
            Mode::String => Ok(typed_val(text, true)),
            _ => Ok(typed_val(text, false)),
        }
    }

    fn key(&mut self, data: &mut Node, level: usize) -> Res<()> {
        let (k, last) = self.until(&['=', '[', ',', '.'], true);
        match last {
            None => {
                if k.is_empty() {
                    Err(Stop::Eof)
                } else {
                    err(format!("key {k:?} has no value"))
                }
            }
            Some('[') => {
                let index = self.key_index()?;
                let mut list = match get(data, &k) {
                    None => Vec::new(),
                    Some(Node::Seq(items)) => items.clone(),
                    Some(other) => {
                        return err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                            kind_name(other)
                        ));
                    }
                };
                let result = self.list_item(&mut list, index, level);
                set(data, &k, Node::Seq(list));
                result
            }
            Some('=') => {
                if self.mode == Mode::Json {
                    if self.empty_val() {
                        set(data, &k, Node::Null);
                        return Ok(());
                    }
                    let value = self.json_value()?;
                    set(data, &k, value);
                    self.empty_val();
                    return Ok(());
                }
                match self.val_list() {
                    Ok(list) => {
                        set(data, &k, Node::Seq(list));
                        Ok(())
                    }
                    Err(ListErr::Eof) => {
                        set(data, &k, Node::Str(String::new()));
                        Err(Stop::Eof)
                    }
                    Err(ListErr::NotList) => {
                        let (text, last) = self.until(&[','], true);
                        let value = self.reader(&text)?;
                        set(data, &k, value);
                        if last.is_none() {
                            Err(Stop::Eof)
                        } else {
                            Ok(())
                        }
                    }
                    Err(ListErr::Other(e)) => err(e),
                }
            }
            Some(',') => {
                set(data, &k, Node::Str(String::new()));
                err(format!("key {k:?} has no value (cannot end with ,)"))
            }
            _ => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    ));
                }
                let mut inner = match get(data, &k) {
                    None => Node::Map(Vec::new()),
                    Some(m @ Node::Map(_)) => m.clone(),
                    Some(other) => {
                        return err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                            kind_name(other)
                        ));
                    }
                };
                let result = self.key(&mut inner, level);
                let empty = matches!(&inner, Node::Map(e) if e.is_empty());
                if result.is_ok() && empty {
                    return err(format!("key map {k:?} has no value"));
                }
                if !empty {
                    set(data, &k, inner);
                }
                result
            }
        }
    }

    fn key_index(&mut self) -> Res<i64> {
        let (text, last) = self.until(&[']'], true);
        if last.is_none() {
            return Err(Stop::Eof);
        }
        text.parse::<i64>().map_err(|_| {
            Stop::Err(format!(
                "error parsing index: strconv.Atoi: parsing {text:?}: invalid syntax"
            ))
        })
    }

    fn list_item(&mut self, list: &mut Vec<Node>, index: i64, level: usize) -> Res<()> {
        if index < 0 {
            return err(format!("negative {index} index not allowed"));
        }
        let (k, last) = self.until(&['[', '.', '='], true);
        if !k.is_empty() {
            return err(format!("unexpected data at end of array index: {k:?}"));
        }
        let slot = usize::try_from(index).unwrap_or(usize::MAX);
        match last {
            None => Err(Stop::Eof),
            Some('=') => {
                if self.mode == Mode::Json {
                    if self.empty_val() {
                        return set_index(list, index, Node::Null);
                    }
                    let value = self.json_value()?;
                    set_index(list, index, value)?;
                    self.empty_val();
                    return Ok(());
                }
                match self.val_list() {
                    Ok(items) => set_index(list, index, Node::Seq(items)),
                    Err(ListErr::Eof) => {
                        set_index(list, index, Node::Str(String::new()))?;
                        Err(Stop::Eof)
                    }
                    Err(ListErr::NotList) => {
                        let (text, last) = self.until(&[','], true);
                        let value = self.reader(&text)?;
                        set_index(list, index, value)?;
                        if last.is_none() {
                            Err(Stop::Eof)
                        } else {
                            Ok(())
                        }
                    }
                    Err(ListErr::Other(e)) => err(e),
                }
            }
            Some('[') => {
                let next = self.key_index()?;
                let mut inner = match list.get(slot) {
                    Some(Node::Seq(items)) => items.clone(),
                    Some(Node::Null) | None => Vec::new(),
                    Some(other) => {
                        return err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                            kind_name(other)
                        ));
                    }
                };
                let result = self.list_item(&mut inner, next, level);
                match result {
                    Err(Stop::Err(e)) => err(e),
                    other => {
                        set_index(list, index, Node::Seq(inner))?;
                        other
                    }
                }
            }
            _ => {
                let mut inner = match list.get(slot) {
                    Some(m @ Node::Map(_)) => m.clone(),
                    _ => Node::Map(Vec::new()),
                };
                let result = self.key(&mut inner, level);
                match result {
                    Err(Stop::Err(e)) => err(e),
                    other => {
                        set_index(list, index, inner)?;
                        other
                    }
                }
            }
        }
    }

    /// Skips blanks up to a comma (consumed) or the end: whether the value is empty.
    fn empty_val(&mut self) -> bool {
        while let Some(&c) = self.chars.get(self.pos) {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }

    /// One JSON value from the rest of the input (Go's `json.Decoder.Decode`).
    fn json_value(&mut self) -> Res<Node> {
        let rest: String = self.chars[self.pos..].iter().collect();
        let end = json_value_end(&rest)
            .ok_or_else(|| Stop::Err("unexpected end of JSON input".into()))?;
        let node = yaml::from_json(&rest[..end], Numbers::Float64)
            .map_err(|e| Stop::Err(e.to_string()))?;
        self.pos += rest[..end].chars().count();
        Ok(node)
    }

    fn val_list(&mut self) -> Result<Vec<Node>, ListErr> {
        match self.chars.get(self.pos) {
            None => return Err(ListErr::Eof),
            Some('{') => self.pos += 1,
            Some(_) => return Err(ListErr::NotList),
        }
        let mut list = Vec::new();
        loop {
            let (text, last) = self.until(&[',', '}'], true);
            match last {
                None => return Err(ListErr::Other("list must terminate with '}'".into())),
                Some('}') => {
                    if self.chars.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    let value = self.reader(&text).map_err(|e| match e {
                        Stop::Err(e) => ListErr::Other(e),
                        Stop::Eof => ListErr::Eof,
                    })?;
                    list.push(value);
                    return Ok(list);
                }
                _ => {
                    let value = self.reader(&text).map_err(|e| match e {
                        Stop::Err(e) => ListErr::Other(e),
                        Stop::Eof => ListErr::Eof,
                    })?;
                    list.push(value);
                }
            }
        }
    }

    fn literal_key(&mut self, data: &mut Node, level: usize) -> Res<()> {
        let (k, last) = self.until(&['=', '[', '.'], false);
        match last {
            None => {
                if k.is_empty() {
                    Err(Stop::Eof)
                } else {
                    err(format!("key {k:?} has no value"))
                }
            }
            Some('=') => {
                let value: String = self.chars[self.pos..].iter().collect();
                self.pos = self.chars.len();
                set(data, &k, Node::Str(value));
                Ok(())
            }
            Some('.') => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    ));
                }
                let mut inner = match get(data, &k) {
                    Some(m @ Node::Map(_)) => m.clone(),
                    None => Node::Map(Vec::new()),
                    Some(other) => {
                        return err(format!(
                            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                            kind_name(other)
                        ));
                    }
                };
                let result = self.literal_key(&mut inner, level);
                let empty = matches!(&inner, Node::Map(e) if e.is_empty());
                if result.is_ok() && empty {
                    return err(format!("key map {k:?} has no value"));
                }
                if !empty {
                    set(data, &k, inner);
                }
                result
            }
            _ => {
                let (text, last) = self.until(&[']'], false);
                if last.is_none() {
                    return Err(Stop::Eof);
                }
                let index: i64 = text.parse().map_err(|_| {
                    Stop::Err(format!(
                        "error parsing index: strconv.Atoi: parsing {text:?}: invalid syntax"
                    ))
                })?;
                let mut list = match get(data, &k) {
                    Some(Node::Seq(items)) => items.clone(),
                    _ => Vec::new(),
                };
                let result = self.literal_list_item(&mut list, index, level);
                set(data, &k, Node::Seq(list));
                result
            }
        }
    }

    fn literal_list_item(&mut self, list: &mut Vec<Node>, index: i64, level: usize) -> Res<()> {
        if index < 0 {
            return err(format!("negative {index} index not allowed"));
        }
        let (k, last) = self.until(&['[', '.', '='], false);
        if !k.is_empty() {
            return err(format!("unexpected data at end of array index: {k:?}"));
        }
        match last {
            Some('=') => {
                let value: String = self.chars[self.pos..].iter().collect();
                self.pos = self.chars.len();
                set_index(list, index, Node::Str(value))
            }
            Some('.') => {
                let slot = usize::try_from(index).unwrap_or(usize::MAX);
                let mut inner = match list.get(slot) {
                    Some(m @ Node::Map(_)) => m.clone(),
                    _ => Node::Map(Vec::new()),
                };
                let result = self.literal_key(&mut inner, level);
                set_index(list, index, inner)?;
                result
            }
            Some('[') => {
                let (text, _) = self.until(&[']'], false);
                let next: i64 = text.parse().map_err(|_| {
                    Stop::Err(format!(
                        "error parsing index: strconv.Atoi: parsing {text:?}: invalid syntax"
                    ))
                })?;
                let slot = usize::try_from(index).unwrap_or(usize::MAX);
                let mut inner = match list.get(slot) {
                    Some(Node::Seq(items)) => items.clone(),
                    _ => Vec::new(),
                };
                let result = self.literal_list_item(&mut inner, next, level);
                set_index(list, index, Node::Seq(inner))?;
                result
            }
            _ => Err(Stop::Eof),
        }
    }
}

enum ListErr {
    Eof,
    NotList,
    Other(String),
}

/// The byte length of the first JSON value in `text` (leading blanks included).
fn json_value_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = *bytes.get(i)?;
    match start {
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut in_string = false;
            while i < bytes.len() {
                let b = bytes[i];
                if in_string {
                    if b == b'\\' {
                        i += 1;
                    } else if b == b'"' {
                        in_string = false;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(i + 1);
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            None
        }
        b'"' => {
            i += 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 1,
                    b'"' => return Some(i + 1),
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            while i < bytes.len()
                && !matches!(bytes[i], b',' | b' ' | b'\t' | b'\n' | b'\r' | b'}' | b']')
            {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, mode: Mode) -> Node {
        let mut data = Node::Map(Vec::new());
        parse_into(text, &mut data, mode, &|_| Ok(String::new())).unwrap();
        data
    }

    #[test]
    fn set_syntax_and_types() {
        let node = parse(
            "a.b=1,c=true,d=007,e=1.5,f[1]=x,g={1,two},h\\.i=null",
            Mode::Typed,
        );
        let expected = Node::Map(vec![
            ("a".into(), Node::Map(vec![("b".into(), Node::Int(1))])),
            ("c".into(), Node::Bool(true)),
            ("d".into(), Node::Str("007".into())),
            ("e".into(), Node::Str("1.5".into())),
            (
                "f".into(),
                Node::Seq(vec![Node::Null, Node::Str("x".into())]),
            ),
            (
                "g".into(),
                Node::Seq(vec![Node::Int(1), Node::Str("two".into())]),
            ),
            ("h.i".into(), Node::Null),
        ]);
        assert_eq!(node, expected);
    }

    #[test]
    fn set_json_and_literal() {
        let node = parse("a={\"x\":[1,2]},b=3", Mode::Json);
        assert_eq!(
            node,
            Node::Map(vec![
                (
                    "a".into(),
                    Node::Map(vec![(
                        "x".into(),
                        Node::Seq(vec![Node::Float(1.0), Node::Float(2.0)])
                    )])
                ),
                ("b".into(), Node::Float(3.0)),
            ])
        );
        let mut data = Node::Map(Vec::new());
        parse_literal_into("a.b=x,y=z", &mut data).unwrap();
        assert_eq!(
            data,
            Node::Map(vec![(
                "a".into(),
                Node::Map(vec![("b".into(), Node::Str("x,y=z".into()))])
            )])
        );
    }

    #[test]
    fn errors() {
        let mut data = Node::Map(Vec::new());
        let e = parse_into("a", &mut data, Mode::Typed, &|_| Ok(String::new())).unwrap_err();
        assert_eq!(e, "key \"a\" has no value");
    }
}
