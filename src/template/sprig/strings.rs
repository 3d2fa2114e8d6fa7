//! String functions: Go's `strings` package, goutils and xstrings as Sprig uses them.

use super::{Ty, Value, def, def_var, i, rand_index, s, sprint1, strings_value, strval};
use crate::template::value::{Map, MapKind};
use crate::template::{Funcs, gofmt, string_bytes, string_from_bytes};

pub(super) fn register(f: &mut Funcs) {
    def(f, "hello", &[], |_| Ok("Hello!".into()));
    def(f, "abbrev", &[Ty::Int, Ty::Str], |a| {
        let (w, t) = (i(&a[0]), s(&a[1]));
        Ok(if w < 4 {
            t.to_string()
        } else {
            abbreviate(t, 0, w)
        }
        .into())
    });
    def(f, "abbrevboth", &[Ty::Int, Ty::Int, Ty::Str], |a| {
        let (l, r, t) = (i(&a[0]), i(&a[1]), s(&a[2]));
        Ok(if r < 4 || l > 0 && r < 7 {
            t.to_string()
        } else {
            abbreviate(t, l, r)
        }
        .into())
    });
    def(f, "trunc", &[Ty::Int, Ty::Str], |a| {
        let (c, t) = (i(&a[0]), string_bytes(s(&a[1])));
        let t = &t[..];
        let len = t.len() as i64;
        let out = if c < 0 && len + c > 0 {
            &t[(len + c) as usize..]
        } else if c >= 0 && len > c {
            &t[..c as usize]
        } else {
            t
        };
        Ok(string_from_bytes(out).into())
    });
    def(f, "trim", &[Ty::Str], |a| {
        Ok(s(&a[0]).trim_matches(is_space).into())
    });
    def(f, "upper", &[Ty::Str], |a| {
        Ok(map_chars(s(&a[0]), go_upper).into())
    });
    def(f, "lower", &[Ty::Str], |a| {
        Ok(map_chars(s(&a[0]), go_lower).into())
    });
    def(f, "title", &[Ty::Str], |a| Ok(title(s(&a[0])).into()));
    def(f, "untitle", &[Ty::Str], |a| Ok(untitle(s(&a[0])).into()));
    def(f, "substr", &[Ty::Int, Ty::Int, Ty::Str], |a| {
        substring(i(&a[0]), i(&a[1]), s(&a[2])).map(Value::from)
    });
    def(f, "repeat", &[Ty::Int, Ty::Str], |a| {
        repeat(s(&a[1]), i(&a[0])).map(Value::from)
    });
    for name in ["trimall", "trimAll"] {
        def(f, name, &[Ty::Str, Ty::Str], |a| {
            let cut = s(&a[0]);
            Ok(s(&a[1]).trim_matches(|c| cut.contains(c)).into())
        });
    }
    def(f, "trimSuffix", &[Ty::Str, Ty::Str], |a| {
        let t = s(&a[1]);
        Ok(t.strip_suffix(s(&a[0])).unwrap_or(t).into())
    });
    def(f, "trimPrefix", &[Ty::Str, Ty::Str], |a| {
        let t = s(&a[1]);
        Ok(t.strip_prefix(s(&a[0])).unwrap_or(t).into())
    });
    def(f, "nospace", &[Ty::Str], |a| {
        Ok(delete_white_space(s(&a[0])).into())
    });
    def(f, "initials", &[Ty::Str], |a| Ok(initials(s(&a[0])).into()));
    def(
        f,
        "swapcase",
        &[Ty::Str],
        |a| Ok(swap_case(s(&a[0])).into()),
    );
    def(f, "shuffle", &[Ty::Str], |a| {
        let mut chars: Vec<char> = s(&a[0]).chars().collect();
        for k in (1..chars.len()).rev() {
            chars.swap(k, rand_index(k + 1));
        }
        Ok(chars.into_iter().collect::<String>().into())
    });
    def(f, "snakecase", &[Ty::Str], |a| {
        Ok(to_lower_case(s(&a[0]), '_').into())
    });
    def(f, "kebabcase", &[Ty::Str], |a| {
        Ok(to_lower_case(s(&a[0]), '-').into())
    });
    def(f, "camelcase", &[Ty::Str], |a| {
        Ok(pascal_case(s(&a[0])).into())
    });
    def(f, "wrap", &[Ty::Int, Ty::Str], |a| {
        Ok(wrap(s(&a[1]), i(&a[0]), "", false).into())
    });
    def(f, "wrapWith", &[Ty::Int, Ty::Str, Ty::Str], |a| {
        Ok(wrap(s(&a[2]), i(&a[0]), s(&a[1]), true).into())
    });
    def(f, "contains", &[Ty::Str, Ty::Str], |a| {
        Ok(Value::Bool(s(&a[1]).contains(s(&a[0]))))
    });
    def(f, "hasPrefix", &[Ty::Str, Ty::Str], |a| {
        Ok(Value::Bool(s(&a[1]).starts_with(s(&a[0]))))
    });
    def(f, "hasSuffix", &[Ty::Str, Ty::Str], |a| {
        Ok(Value::Bool(s(&a[1]).ends_with(s(&a[0]))))
    });
    def_var(f, "quote", &[], Ty::Any, |a| {
        let out: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| gofmt::quote(&strval(v)))
            .collect();
        Ok(out.join(" ").into())
    });
    def_var(f, "squote", &[], Ty::Any, |a| {
        let out: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", sprint1(v)))
            .collect();
        Ok(out.join(" ").into())
    });
    def_var(f, "cat", &[], Ty::Any, |a| {
        let out: Vec<String> = a.iter().filter(|v| !v.is_nil()).map(sprint1).collect();
        Ok(out.join(" ").into())
    });
    def(f, "indent", &[Ty::Int, Ty::Str], |a| {
        indent(i(&a[0]), s(&a[1])).map(Value::from)
    });
    def(f, "nindent", &[Ty::Int, Ty::Str], |a| {
        indent(i(&a[0]), s(&a[1])).map(|t| Value::from(format!("\n{t}")))
    });
    def(f, "replace", &[Ty::Str, Ty::Str, Ty::Str], |a| {
        Ok(go_replace(s(&a[2]), s(&a[0]), s(&a[1])).into())
    });
    def(f, "plural", &[Ty::Str, Ty::Str, Ty::Int], |a| {
        Ok(if i(&a[2]) == 1 {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    def(f, "join", &[Ty::Str, Ty::Any], |a| {
        Ok(super::conversion::to_strings(&a[1]).join(s(&a[0])).into())
    });
    def(f, "splitList", &[Ty::Str, Ty::Str], |a| {
        Ok(strings_value(split_n(s(&a[1]), s(&a[0]), -1)))
    });
    def(f, "split", &[Ty::Str, Ty::Str], |a| {
        Ok(numbered(split_n(s(&a[1]), s(&a[0]), -1)))
    });
    def(f, "splitn", &[Ty::Str, Ty::Int, Ty::Str], |a| {
        Ok(numbered(split_n(s(&a[2]), s(&a[0]), i(&a[1]))))
    });
}

/// Sprig's `split` result: a `map[string]string` keyed `_0`, `_1`, ….
fn numbered(parts: Vec<String>) -> Value {
    let m = Map::new(MapKind::Strings);
    for (n, p) in parts.into_iter().enumerate() {
        m.insert(format!("_{n}"), Value::from(p));
    }
    Value::Map(m)
}

/// `strings.SplitN` (`n < 0`: no limit).
pub(super) fn split_n(text: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<&str> = text
            .char_indices()
            .map(|(k, c)| &text[k..k + c.len_utf8()])
            .collect();
        if n > 0 && (n as usize) < chars.len() {
            let head = n as usize - 1;
            let mut out: Vec<String> = chars[..head].iter().map(|c| c.to_string()).collect();
            out.push(chars[head..].concat());
            return out;
        }
        return chars.into_iter().map(str::to_string).collect();
    }
    if n < 0 {
        text.split(sep).map(str::to_string).collect()
    } else {
        text.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

/// `strings.Replace(s, old, new, -1)`; an empty `old` matches between runes.
pub(super) fn go_replace(text: &str, old: &str, new: &str) -> String {
    if !old.is_empty() {
        return text.replace(old, new);
    }
    let mut out = String::with_capacity(text.len() * (new.len() + 1) + new.len());
    out.push_str(new);
    for c in text.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}

/// Go's upper bound on what `strings.Repeat` may build here (past it, Go would
/// run out of memory; refuse instead).
const MAX_REPEAT: usize = 1 << 30;

fn repeat(text: &str, count: i64) -> Result<String, String> {
    if count < 0 {
        return Err("strings: negative Repeat count".into());
    }
    match text.len().checked_mul(count as usize) {
        Some(n) if n <= MAX_REPEAT => Ok(text.repeat(count as usize)),
        _ => Err("strings: Repeat output length overflow".into()),
    }
}

fn indent(spaces: i64, text: &str) -> Result<String, String> {
    let pad = repeat(" ", spaces)?;
    Ok(format!("{pad}{}", text.replace('\n', &format!("\n{pad}"))))
}

/// Go's runtime panic for a bad slice expression.
fn bounds(desc: String) -> String {
    format!("runtime error: slice bounds out of range {desc}")
}

fn substring(start: i64, end: i64, text: &str) -> Result<String, String> {
    let b = &string_bytes(text)[..];
    let len = b.len() as i64;
    if start < 0 {
        if end < 0 {
            return Err(bounds(format!("[:{end}]")));
        }
        if end > len {
            return Err(bounds(format!("[:{end}] with length {len}")));
        }
        return Ok(string_from_bytes(&b[..end as usize]));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(bounds(format!("[{start}:{len}]")));
        }
        return Ok(string_from_bytes(&b[start as usize..]));
    }
    if start > end {
        return Err(bounds(format!("[{start}:{end}]")));
    }
    Ok(string_from_bytes(&b[start as usize..end as usize]))
}

/// goutils' `AbbreviateFull` (the width checks are done by the callers).
fn abbreviate(text: &str, offset: i64, max_width: i64) -> String {
    string_from_bytes(&abbreviate_bytes(&string_bytes(text), offset, max_width))
}

fn abbreviate_bytes(b: &[u8], offset: i64, max_width: i64) -> Vec<u8> {
    let len = b.len() as i64;
    if b.is_empty() || len <= max_width {
        return b.to_vec();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let mut out = Vec::with_capacity(max_width.max(0) as usize);
    if offset <= 4 {
        out.extend_from_slice(&b[..(max_width - 3) as usize]);
        out.extend_from_slice(b"...");
        return out;
    }
    if max_width < 7 {
        return out;
    }
    out.extend_from_slice(b"...");
    if offset + max_width - 3 < len {
        out.extend(abbreviate_bytes(&b[offset as usize..], 0, max_width - 3));
    } else {
        out.extend_from_slice(&b[(len - (max_width - 3)) as usize..]);
    }
    out
}

/// goutils' `WrapCustom`, on bytes as Go does it.
fn wrap(text: &str, width: i64, newline: &str, wrap_long: bool) -> String {
    if text.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline }.as_bytes();
    let width = width.max(1) as usize;
    let b = text.as_bytes();
    let len = b.len();
    let mut offset = 0;
    let mut out: Vec<u8> = Vec::with_capacity(len + 16);
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        let space = b[offset..end].iter().rposition(|c| *c == b' ');
        if let Some(p) = space {
            out.extend_from_slice(&b[offset..offset + p]);
            out.extend_from_slice(newline);
            offset += p + 1;
        } else if wrap_long {
            out.extend_from_slice(&b[offset..offset + width]);
            out.extend_from_slice(newline);
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|c| *c == b' ') {
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = len;
                }
                Some(p) => {
                    out.extend_from_slice(&b[offset..end + p]);
                    out.extend_from_slice(newline);
                    offset = end + p + 1;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    string_from_bytes(&out)
}

/// `unicode.IsSpace`.
pub(super) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c > '\u{ff}' && c.is_whitespace())
}

/// Go's simple case mappings: one rune to one rune.
fn single(mut it: impl Iterator<Item = char>, c: char) -> char {
    match (it.next(), it.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

pub(super) fn go_upper(c: char) -> char {
    single(c.to_uppercase(), c)
}

pub(super) fn go_lower(c: char) -> char {
    if c == 'İ' {
        return 'i';
    }
    single(c.to_lowercase(), c)
}

fn go_title(c: char) -> char {
    match c {
        'ǆ' | 'ǅ' | 'Ǆ' => 'ǅ',
        'ǉ' | 'ǈ' | 'Ǉ' => 'ǈ',
        'ǌ' | 'ǋ' | 'Ǌ' => 'ǋ',
        'ǳ' | 'ǲ' | 'Ǳ' => 'ǲ',
        _ => go_upper(c),
    }
}

fn is_title_case(c: char) -> bool {
    matches!(c, 'ǅ' | 'ǈ' | 'ǋ' | 'ǲ' | '\u{1f88}'..='\u{1f8f}' | '\u{1f98}'..='\u{1f9f}' | '\u{1fa8}'..='\u{1faf}' | '\u{1fbc}' | '\u{1fcc}' | '\u{1ffc}')
}

fn is_upper(c: char) -> bool {
    c.is_uppercase() && !is_title_case(c)
}

fn is_lower(c: char) -> bool {
    c.is_lowercase()
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

/// `unicode.IsPunct` (category P).
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation() && !"$+<=>^`|~".contains(c);
    }
    matches!(c as u32, 0xa1 | 0xa7 | 0xab | 0xb6 | 0xb7 | 0xbb | 0xbf | 0x2010..=0x2027 | 0x2030..=0x2043 | 0x2045..=0x2051 | 0x2053..=0x205e | 0x3001..=0x3003 | 0x3008..=0x3011 | 0x3014..=0x301f | 0xff01..=0xff03 | 0xff05..=0xff0a | 0xff0c..=0xff0f)
}

fn map_chars(text: &str, f: fn(char) -> char) -> String {
    text.chars().map(f).collect()
}

/// `strings.Title`.
fn title(text: &str) -> String {
    let mut prev = ' ';
    text.chars()
        .map(|c| {
            let sep = if prev.is_ascii() {
                !(prev.is_ascii_alphanumeric() || prev == '_')
            } else if is_letter(prev) || prev.is_numeric() {
                false
            } else {
                is_space(prev)
            };
            prev = c;
            if sep { go_title(c) } else { c }
        })
        .collect()
}

/// goutils' `Uncapitalize`.
fn untitle(text: &str) -> String {
    let mut next = true;
    text.chars()
        .map(|c| {
            if is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                go_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `SwapCase`.
fn swap_case(text: &str) -> String {
    let mut whitespace = true;
    text.chars()
        .map(|c| {
            if is_upper(c) || is_title_case(c) {
                whitespace = false;
                go_lower(c)
            } else if is_lower(c) {
                if whitespace {
                    whitespace = false;
                    go_title(c)
                } else {
                    go_upper(c)
                }
            } else {
                whitespace = is_space(c);
                c
            }
        })
        .collect()
}

/// Whether a byte, read as a rune the way goutils does, is a space.
fn byte_is_space(b: u8) -> bool {
    is_space(char::from(b))
}

/// goutils' `DeleteWhiteSpace`, which works on bytes.
fn delete_white_space(text: &str) -> String {
    if !text.bytes().any(byte_is_space) {
        return text.to_string();
    }
    text.bytes()
        .filter(|b| !byte_is_space(*b))
        .map(char::from)
        .collect()
}

/// goutils' `Initials`, which works on bytes.
fn initials(text: &str) -> String {
    let mut out = String::new();
    let mut gap = true;
    for b in text.bytes() {
        if byte_is_space(b) {
            gap = true;
        } else if gap {
            out.push(char::from(b));
            gap = false;
        }
    }
    out
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// xstrings' `ToPascalCase` (Sprig's `camelcase`).
fn pascal_case(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut first_upper = false;
    let mut r0 = '\0';
    let mut got = false;
    for c in chars.by_ref() {
        got = true;
        if !is_connector(c) {
            first_upper = is_upper(c);
            r0 = go_upper(c);
            break;
        }
        out.push(c);
        r0 = c;
    }
    if chars.peek().is_none() {
        if got {
            out.push(r0);
        }
        return out;
    }
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = is_upper(r0);
            r0 = go_upper(r0);
        } else {
            if first_upper {
                if is_upper(r0) {
                    r0 = go_lower(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alpha,
    Connector,
    Punct,
    Other,
}

/// xstrings' `isAlphabet`: letters other than CJK ideographs.
fn is_alphabet(c: char) -> bool {
    if !is_letter(c) {
        return false;
    }
    !matches!(c, '\u{4e00}'..='\u{9fcc}' | '\u{3400}'..='\u{4d85}' | '\u{20000}'..='\u{2b81d}')
}

/// xstrings' `nextWord`: the type and text of the next word, and the rest.
fn next_word(text: &str) -> (Word, &str, &str) {
    let Some(first) = text.chars().next() else {
        return (Word::Invalid, "", "");
    };
    let mut offset = first.len_utf8();
    let take_while = |offset: &mut usize, pred: &dyn Fn(char) -> bool| {
        for c in text[*offset..].chars() {
            if !pred(c) {
                break;
            }
            *offset += c.len_utf8();
        }
    };
    let wt = if first == '\u{fffd}' {
        Word::Invalid
    } else if is_connector(first) {
        take_while(&mut offset, &is_connector);
        Word::Connector
    } else if is_punct(first) {
        take_while(&mut offset, &is_punct);
        Word::Punct
    } else if is_upper(first) {
        match text[offset..].chars().next() {
            Some(c) if is_upper(c) => {
                let mut prev = c.len_utf8();
                offset += prev;
                let mut stop = None;
                for c in text[offset..].chars() {
                    if !is_upper(c) {
                        stop = Some(c);
                        break;
                    }
                    prev = c.len_utf8();
                    offset += prev;
                }
                if stop.is_some_and(is_alphabet) {
                    offset -= prev;
                }
            }
            Some(c) if is_alphabet(c) => {
                take_while(&mut offset, &|c| is_alphabet(c) && !is_upper(c));
            }
            _ => {}
        }
        Word::Upper
    } else if is_alphabet(first) {
        take_while(&mut offset, &|c| is_alphabet(c) && !is_upper(c));
        Word::Alpha
    } else if first.is_numeric() {
        take_while(&mut offset, &char::is_numeric);
        Word::Number
    } else {
        take_while(&mut offset, &|c| {
            !(is_connector(c) || is_alphabet(c) || c.is_numeric() || is_punct(c))
        });
        Word::Other
    };
    (wt, &text[..offset], &text[offset..])
}

fn lower_word(out: &mut String, wt: Word, word: &str, connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            out.push(connector);
        } else if is_upper(c) {
            out.push(go_lower(c));
        } else {
            out.push(c);
        }
    }
}

/// xstrings' `camelCaseToLowerCase` (`snakecase`, `kebabcase`).
fn to_lower_case(text: &str, connector: char) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let (mut wt, mut word, mut rest) = next_word(text);
    while !rest.is_empty() {
        if wt != Word::Connector {
            lower_word(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, rest) = next_word(rest);
        match prev {
            Word::Number => {
                while wt == Word::Alpha || wt == Word::Number {
                    lower_word(&mut out, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if !matches!(wt, Word::Invalid | Word::Punct | Word::Connector) {
                    out.push(connector);
                }
            }
            Word::Connector => lower_word(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let last = word;
                (wt, word, rest) = next_word(rest);
                if wt != Word::Alpha {
                    lower_word(&mut out, Word::Number, last, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                lower_word(&mut out, Word::Number, last, connector);
                while wt == Word::Alpha || wt == Word::Number {
                    lower_word(&mut out, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if !matches!(wt, Word::Invalid | Word::Connector | Word::Punct) {
                    out.push(connector);
                }
            }
        }
    }
    lower_word(&mut out, wt, word, connector);
    out
}
