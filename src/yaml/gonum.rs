//! Go's `strconv` number text, as far as YAML and JSON need it.
//!
//! Go prints floats from the *shortest* decimal digits that read back to the
//! same value, then lays them out in one of three styles (`'e'`, `'f'`, `'g'`).
//! Rust's `{:e}` formatting also yields the shortest round-trip digits, so we
//! take the digits from it and only redo the layout.

/// Shortest round-trip decimal digits of a finite, non-zero float:
/// `value = 0.DIGITS × 10^point`.
struct Digits {
    negative: bool,
    digits: String,
    point: i32,
}

fn digits_of(text: &str) -> Digits {
    // `text` is Rust's `{:e}` output, e.g. `-1.2345e-7` or `5e0`.
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    Digits {
        negative,
        digits,
        point: exponent + 1,
    }
}

fn float_digits(value: f64, single: bool) -> Digits {
    if single {
        digits_of(&format!("{:e}", value as f32))
    } else {
        digits_of(&format!("{value:e}"))
    }
}

/// The layouts of Go's `strconv.FormatFloat`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `d.ddde±dd`
    Exponent,
    /// `ddd.ddd`
    Fixed,
    /// `'g'`: exponent form when the exponent is < -4 or ≥ 6 (shortest mode).
    General,
}

/// `strconv.FormatFloat(value, layout, -1, 64 or 32)`.
///
/// Non-finite values print as Go does: `+Inf`, `-Inf`, `NaN`.
pub(crate) fn format_float(value: f64, layout: Layout, single: bool) -> String {
    // Go formats float32(value): out of range is infinite, tiny is zero.
    let value = if single { value as f32 as f64 } else { value };
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if value == 0.0 {
        let sign = if value.is_sign_negative() { "-" } else { "" };
        return match layout {
            Layout::Exponent => format!("{sign}0e+00"),
            Layout::Fixed | Layout::General => format!("{sign}0"),
        };
    }
    let d = float_digits(value, single);
    let exponent_form = match layout {
        Layout::Exponent => true,
        Layout::Fixed => false,
        Layout::General => {
            let exp = d.point - 1;
            !(-4..6).contains(&exp)
        }
    };
    let mut out = String::new();
    if d.negative {
        out.push('-');
    }
    if exponent_form {
        let (first, rest) = d.digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let exp = d.point - 1;
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
    } else if d.point <= 0 {
        out.push_str("0.");
        for _ in 0..(-d.point) {
            out.push('0');
        }
        out.push_str(&d.digits);
    } else {
        let point = d.point as usize;
        if d.digits.len() <= point {
            out.push_str(&d.digits);
            for _ in d.digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&d.digits[..point]);
            out.push('.');
            out.push_str(&d.digits[point..]);
        }
    }
    out
}

/// How Go's `encoding/json` writes a float64 (callers reject NaN and ±Inf).
///
/// Plain digits unless the magnitude is below 1e-6 or at least 1e21; the
/// exponent form then drops a leading zero from a negative exponent
/// (`1e-07` becomes `1e-7`), but keeps `1e+21`.
pub(crate) fn json_float(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        let text = format_float(value, Layout::Exponent, false);
        if let Some((mantissa, exponent)) = text.split_once("e-0") {
            return format!("{mantissa}e-{exponent}");
        }
        text
    } else {
        format_float(value, Layout::Fixed, false)
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)`: optional sign, then `0x`, `0o`,
/// `0b` or a leading `0` (octal) prefix, or decimal. Underscores are not
/// handled here (the YAML resolver strips them first).
pub(crate) fn parse_int_base0(text: &str) -> Option<i64> {
    let (negative, body) = split_sign(text);
    let magnitude = parse_unsigned_base0(body)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(text, 0, 64)`: like [`parse_int_base0`], no sign.
pub(crate) fn parse_uint_base0(text: &str) -> Option<u64> {
    parse_unsigned_base0(text)
}

fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix('+') {
        (false, rest)
    } else {
        (false, text)
    }
}

fn parse_unsigned_base0(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let (radix, digits) = if bytes.len() >= 2 && bytes[0] == b'0' {
        match bytes[1].to_ascii_lowercase() {
            b'x' => (16, &text[2..]),
            b'o' => (8, &text[2..]),
            b'b' => (2, &text[2..]),
            _ => (8, &text[1..]),
        }
    } else {
        (10, text)
    };
    if digits.is_empty() {
        // "0" alone is fine; "0x" is not.
        return if text == "0" { Some(0) } else { None };
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Go's `strconv.ParseFloat(text, 64)` for decimal text (no hex floats, no
/// `Inf`/`NaN` words: YAML never passes those here). `_` is allowed only
/// between digits. Out-of-range values are an error, as in Go; underflow
/// quietly gives zero.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    if !underscores_ok(text) {
        return None;
    }
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let body = clean.strip_prefix(['+', '-']).unwrap_or(&clean);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits_ok(whole) || !digits_ok(fraction) {
        return None;
    }
    if let Some(exponent) = exponent {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if exponent.is_empty() || !digits_ok(exponent) {
            return None;
        }
    }
    let value: f64 = clean.parse().ok()?;
    value.is_finite().then_some(value)
}

/// Go's rule: an underscore must sit between two digits.
fn underscores_ok(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let mut previous_digit = false;
    let mut previous_underscore = false;
    for c in body.chars() {
        if c == '_' {
            if !previous_digit {
                return false;
            }
            previous_underscore = true;
            previous_digit = false;
        } else {
            if previous_underscore && !c.is_ascii_digit() {
                return false;
            }
            previous_digit = c.is_ascii_digit();
            previous_underscore = false;
        }
    }
    !previous_underscore
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_layout_switches_to_exponent_at_one_million() {
        let g = |v| format_float(v, Layout::General, false);
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(1e6), "1e+06");
        assert_eq!(g(1234567.5), "1.2345675e+06");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(1e100), "1e+100");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(1.2345678901234567e19), "1.2345678901234567e+19");
    }

    #[test]
    fn single_precision_general_layout_rounds_to_float32() {
        assert_eq!(
            format_float(1.234567890123, Layout::General, true),
            "1.2345679"
        );
        assert_eq!(format_float(0.1, Layout::General, true), "0.1");
        assert_eq!(format_float(1e10, Layout::General, true), "1e+10");
    }

    #[test]
    fn json_floats_use_plain_digits_between_1e_minus_6_and_1e21() {
        assert_eq!(json_float(1e6), "1000000");
        assert_eq!(json_float(1e20), "100000000000000000000");
        assert_eq!(json_float(1e21), "1e+21");
        assert_eq!(json_float(0.000001), "0.000001");
        assert_eq!(json_float(0.0000001), "1e-7");
        assert_eq!(json_float(1.2345e-10), "1.2345e-10");
        assert_eq!(json_float(-0.0), "-0");
        assert_eq!(json_float(12345678901234567890.0), "12345678901234567000");
    }

    #[test]
    fn base0_integers_follow_go_prefixes() {
        assert_eq!(parse_int_base0("0755"), Some(493));
        assert_eq!(parse_int_base0("0x1F"), Some(31));
        assert_eq!(parse_int_base0("0O17"), Some(15));
        assert_eq!(parse_int_base0("-0b11"), Some(-3));
        assert_eq!(parse_int_base0("+12"), Some(12));
        assert_eq!(parse_int_base0("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int_base0("9223372036854775808"), None);
        assert_eq!(parse_int_base0("08"), None);
        assert_eq!(parse_int_base0("0x"), None);
        assert_eq!(parse_uint_base0("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_uint_base0("+1"), None);
    }

    #[test]
    fn floats_reject_overflow_but_not_underflow() {
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("1e-400"), Some(0.0));
        assert_eq!(parse_float(".5_0"), Some(0.5));
        assert_eq!(parse_float("._5"), None);
        assert_eq!(parse_float("1."), Some(1.0));
        assert_eq!(parse_float("inf"), None);
    }
}
