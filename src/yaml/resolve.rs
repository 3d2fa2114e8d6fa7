//! YAML 1.1 resolution of untagged plain scalars, the way yaml.v2 does it.
//!
//! The loader uses it to type plain scalars; the emitter uses it to decide
//! whether a string must be quoted to stay a string.

use super::gonum::{parse_float, parse_int_base0, parse_uint_base0};

/// What a plain scalar means under yaml.v2's rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    /// Too big for i64 but fits u64.
    Uint(u64),
    Float(f64),
    /// Looks like a timestamp; yaml.v2 hands it over as the original string.
    Timestamp,
    Str,
}

/// Resolves untagged plain text.
pub(crate) fn resolve_plain(text: &str) -> Resolved {
    let first = match text.bytes().next() {
        None => return Resolved::Null,
        Some(b) => b,
    };
    match first {
        b'+' | b'-' | b'0'..=b'9' => {
            if let Some(word) = word(text) {
                return word;
            }
            resolve_number(text)
        }
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            word(text).unwrap_or(Resolved::Str)
        }
        b'.' => word(text)
            .or_else(|| parse_float(text).map(Resolved::Float))
            .unwrap_or(Resolved::Str),
        _ => Resolved::Str,
    }
}

/// The fixed words of yaml.v2's table.
fn word(text: &str) -> Option<Resolved> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Text starting with a sign or a digit: timestamp, int, uint or float.
fn resolve_number(text: &str) -> Resolved {
    if is_timestamp(text) {
        return Resolved::Timestamp;
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_int_base0(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = parse_uint_base0(&plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_float_syntax(&plain)
        && let Some(f) = parse_float(&plain)
    {
        return Resolved::Float(f);
    }
    // What Go's base-0 parsing refused after `0b`: a signed binary number
    // (`0b-1` is -1), or an unsigned one too big for int64.
    if let Some(binary) = plain.strip_prefix("0b") {
        if let Ok(i) = i64::from_str_radix(binary, 2) {
            return Resolved::Int(i);
        }
        if !binary.starts_with(['+', '-'])
            && let Ok(u) = u64::from_str_radix(binary, 2)
        {
            return Resolved::Uint(u);
        }
    }
    Resolved::Str
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float_syntax(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// yaml.v2 also quotes sexagesimal numbers such as `1:20` or `190:20:30.15`
/// when writing (`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`),
/// although it reads them back as strings.
pub(crate) fn is_base60_float(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// yaml.v2 recognises timestamps with Go's `time.Parse` and these layouts:
/// `2006-1-2T15:4:5.999999999Z07:00` (also with a lower-case `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub(crate) fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut c = Cursor { b, i: 5 };
    let year: u32 = b[..4].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    let Some(month) = c.number() else {
        return false;
    };
    if !c.eat(b'-') {
        return false;
    }
    let Some(day) = c.number() else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if c.done() {
        return true;
    }
    let zoned = match c.next() {
        Some(b'T' | b't') => true,
        Some(b' ') => false,
        _ => return false,
    };
    let time_ok = matches!(c.number(), Some(h) if h < 24)
        && c.eat(b':')
        && matches!(c.number(), Some(m) if m < 60)
        && c.eat(b':')
        && matches!(c.number(), Some(s) if s < 60);
    if !time_ok {
        return false;
    }
    // Optional fraction: `.` or `,` then digits.
    if matches!(c.peek(), Some(b'.' | b','))
        && matches!(c.peek_at(1), Some(d) if d.is_ascii_digit())
    {
        c.i += 1;
        while matches!(c.peek(), Some(d) if d.is_ascii_digit()) {
            c.i += 1;
        }
    }
    if !zoned {
        return c.done();
    }
    if c.eat(b'Z') {
        return c.done();
    }
    // ±hh:mm
    let rest = &b[c.i..];
    rest.len() == 6
        && (rest[0] == b'+' || rest[0] == b'-')
        && rest[1].is_ascii_digit()
        && rest[2].is_ascii_digit()
        && rest[3] == b':'
        && rest[4].is_ascii_digit()
        && rest[5].is_ascii_digit()
        && (rest[1] - b'0') * 10 + (rest[2] - b'0') <= 24
        && (rest[4] - b'0') * 10 + (rest[5] - b'0') <= 60
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.b.get(self.i + offset).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }
    fn eat(&mut self, want: u8) -> bool {
        if self.peek() == Some(want) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    /// One or two digits (Go's non-fixed `getnum`).
    fn number(&mut self) -> Option<u32> {
        let first = self.peek().filter(u8::is_ascii_digit)?;
        self.i += 1;
        let mut n = u32::from(first - b'0');
        if let Some(second) = self.peek().filter(u8::is_ascii_digit) {
            self.i += 1;
            n = n * 10 + u32::from(second - b'0');
        }
        Some(n)
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_words() {
        assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
        assert_eq!(resolve_plain("Off"), Resolved::Bool(false));
        assert_eq!(resolve_plain("yES"), Resolved::Str);
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain(""), Resolved::Null);
        // `<<` merges only as a key; as a value it is text.
        assert_eq!(resolve_plain("<<"), Resolved::Str);
    }

    #[test]
    fn numbers_follow_go_strconv() {
        assert_eq!(resolve_plain("0755"), Resolved::Int(493));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0));
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Resolved::Uint(u64::MAX)
        );
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("0x1p-2"), Resolved::Str);
        assert_eq!(resolve_plain("1:20"), Resolved::Str);
        // After base 0 fails, `0b` tries a signed binary number.
        assert_eq!(resolve_plain("0b-1"), Resolved::Int(-1));
        assert_eq!(resolve_plain("0b+1_0"), Resolved::Int(2));
        assert_eq!(resolve_plain("-0b-1"), Resolved::Str);
    }

    #[test]
    fn timestamps_and_sexagesimals() {
        assert!(is_timestamp("2024-01-01"));
        assert!(is_timestamp("2024-1-2"));
        assert!(is_timestamp("2001-12-14t21:59:43.10-05:00"));
        assert!(is_timestamp("2001-12-14 21:59:43.10"));
        assert!(!is_timestamp("2023-02-29"));
        assert!(!is_timestamp("2001-12-14 21:59:43.10 -5"));
        assert!(is_base60_float("190:20:30"));
        assert!(is_base60_float("1:20"));
        assert!(!is_base60_float("1:60"));
    }
}
