//! Type conversions: `atoi`, `int`, `int64`, `float64`, `toString`,
//! `toStrings`, `toDecimal`, and the `cast` helpers the other families share.

use super::{Ty, Value, def, f64_to_i64, s, strings_value, strval};
use crate::template::Funcs;

pub(super) fn register(f: &mut Funcs) {
    def(f, "atoi", &[Ty::Str], |a| {
        Ok(Value::Int(parse_int(s(&a[0]), 10).unwrap_or(0)))
    });
    def(f, "int", &[Ty::Any], |a| Ok(Value::Int(to_int64(&a[0]))));
    def(f, "int64", &[Ty::Any], |a| {
        Ok(Value::Int64(to_int64(&a[0])))
    });
    def(f, "float64", &[Ty::Any], |a| {
        Ok(Value::Float(to_float64(&a[0])))
    });
    def(f, "toString", &[Ty::Any], |a| Ok(strval(&a[0]).into()));
    def(f, "toStrings", &[Ty::Any], |a| {
        Ok(strings_value(to_strings(&a[0])))
    });
    def(f, "toDecimal", &[Ty::Any], |a| {
        let text = super::sprint1(&a[0]);
        Ok(Value::Int64(parse_int_base(&text, 8, false).unwrap_or(0)))
    });
}

/// Sprig's `strslice`: a list's non-nil elements as strings, a scalar as a
/// one-element list, nil as an empty one.
pub(super) fn to_strings(v: &Value) -> Vec<String> {
    if let Some(items) = super::as_list(v) {
        return items.iter().filter(|x| !x.is_nil()).map(strval).collect();
    }
    if v.is_nil() {
        return Vec::new();
    }
    vec![strval(v)]
}

/// `cast.ToInt64` (and `cast.ToInt`, which is the same on 64-bit Go), errors
/// read as 0.
pub(super) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => f64_to_i64(*f),
        Value::Str(s) => parse_int(trim_zero_decimal(s), 0).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// `cast.ToFloat64`, errors read as 0.
pub(super) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Str(s) => parse_float(s).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// cast's `trimZeroDecimal`: `"5.00"` → `"5"`.
fn trim_zero_decimal(s: &str) -> &str {
    let mut found_zero = false;
    for (i, b) in s.bytes().enumerate().rev() {
        match b {
            b'.' if found_zero => return &s[..i],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// `strconv.ParseInt(s, base, 64)` for base 0 (prefixes and underscores) or 10.
pub(super) fn parse_int(s: &str, base: u32) -> Option<i64> {
    parse_int_base(s, base, true)
}

/// `strconv.ParseInt`; `base == 0` reads Go's prefixes.
pub(super) fn parse_int_base(s: &str, base: u32, allow_prefix: bool) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits, underscores) = if base == 0 && allow_prefix {
        let lower = body.get(..2).map(|p| p.to_ascii_lowercase());
        match lower.as_deref() {
            Some("0x") => (16, &body[2..], true),
            Some("0b") => (2, &body[2..], true),
            Some("0o") => (8, &body[2..], true),
            _ if body.len() > 1 && body.starts_with('0') => (8, &body[1..], true),
            _ => (10, body, true),
        }
    } else {
        (if base == 0 { 10 } else { base }, body, false)
    };
    if digits.is_empty() {
        return None;
    }
    if underscores {
        let b = digits.as_bytes();
        let bad = b.windows(2).any(|w| w == b"__")
            || b.last() == Some(&b'_')
            || (b.first() == Some(&b'_') && radix == 10);
        if bad {
            return None;
        }
    } else if digits.contains('_') {
        return None;
    }
    let mut acc: u64 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = c.to_digit(radix)?;
        acc = acc
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(d))?;
    }
    if neg {
        if acc > 1u64 << 63 {
            return None;
        }
        Some((acc as i64).wrapping_neg())
    } else {
        i64::try_from(acc).ok()
    }
}

/// `strconv.ParseFloat(s, 64)`, without hexadecimal forms.
pub(super) fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') || s.is_empty() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let literal_inf = matches!(body, "inf" | "infinity");
    if body == "nan" && lower != "nan" {
        return None;
    }
    let f: f64 = lower.parse().ok()?;
    if f.is_infinite() && !literal_inf {
        return None;
    }
    Some(f)
}
