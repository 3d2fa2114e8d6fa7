//! Go `regexp` functions. Go's RE2 syntax is close to the `regex` crate's;
//! replacement templates (`$1`, `${name}`) follow the same rules in both.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use regex::Regex;

use super::{Ty, Value, appended_strings, def, i, s, strings_value};
use crate::template::Funcs;
use crate::template::TypedList;
use crate::template::string_from_bytes;

thread_local! {
    // Shared, not cloned: a cloned `Regex` starts with an empty match cache.
    static CACHE: RefCell<HashMap<String, Rc<Regex>>> = RefCell::new(HashMap::new());
}

/// `regexp.Compile`, with Go's error text.
fn compile(expr: &str) -> Result<Rc<Regex>, String> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(expr).cloned()) {
        return Ok(re);
    }
    let translated = translate(expr).map_err(|code| format!("error parsing regexp: {code}"))?;
    let re = Rc::new(Regex::new(&translated).map_err(|e| go_error(expr, &e))?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 256 {
            c.clear();
        }
        c.insert(expr.to_string(), re.clone());
    });
    Ok(re)
}

/// Go's RE2 dialect in the `regex` crate's: `\d`, `\w`, `\s` and `\b` are
/// ASCII-only in Go, `\Q…\E` quotes, a `{` that doesn't start a repeat is a
/// literal, and Go's own checks on repeats come first (Go's error text).
fn translate(expr: &str) -> Result<String, String> {
    let mut out = String::with_capacity(expr.len() + 16);
    let mut in_class = false;
    // The repetition operator just written, for Go's nested-repeat check.
    let mut last_rep: Option<(String, bool)> = None;
    let mut rest = expr;
    while let Some(c) = rest.chars().next() {
        let mut next_rep = None;
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' => {
                let Some(next) = rest.chars().next() else {
                    out.push(c);
                    break;
                };
                rest = &rest[next.len_utf8()..];
                if matches!(next, 'p' | 'P' | 'x') && rest.starts_with('{') {
                    let end = rest.find('}').map_or(rest.len(), |k| k + 1);
                    out.push(c);
                    out.push(next);
                    out.push_str(&rest[..end]);
                    rest = &rest[end..];
                    continue;
                }
                if next == 'Q' && !in_class {
                    let (quoted, after) = rest.split_once("\\E").unwrap_or((rest, ""));
                    out.push_str(&regex::escape(quoted));
                    rest = after;
                    continue;
                }
                let (set, negated) = match next {
                    'd' => ("0-9", false),
                    'D' => ("0-9", true),
                    'w' => ("0-9A-Za-z_", false),
                    'W' => ("0-9A-Za-z_", true),
                    's' => ("\\t\\n\\f\\r ", false),
                    'S' => ("\\t\\n\\f\\r ", true),
                    'b' | 'B' if !in_class => {
                        out.push_str(&format!("(?-u:\\{next})"));
                        continue;
                    }
                    _ => {
                        out.push(c);
                        out.push(next);
                        continue;
                    }
                };
                match (in_class, negated) {
                    (false, false) => out.push_str(&format!("[{set}]")),
                    (false, true) | (true, true) => out.push_str(&format!("[^{set}]")),
                    (true, false) => out.push_str(set),
                }
                // Go reads a `-` right after a class escape as a literal (`[\w-.]`).
                if in_class && let Some(r) = rest.strip_prefix('-') {
                    out.push_str("\\-");
                    rest = r;
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if let Some(r) = rest.strip_prefix('^') {
                    out.push('^');
                    rest = r;
                }
                if let Some(r) = rest.strip_prefix(']') {
                    out.push_str("\\]");
                    rest = r;
                }
            }
            '[' if in_class && rest.starts_with(':') => {
                let end = rest.find(']').map_or(rest.len(), |k| k + 1);
                out.push(c);
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '*' | '+' | '?' if !in_class => {
                match &last_rep {
                    Some((prev, false)) if c == '?' => {
                        next_rep = Some((format!("{prev}?"), true));
                    }
                    Some((prev, _)) => {
                        return Err(format!("invalid nested repetition operator: `{prev}{c}`"));
                    }
                    None => next_rep = Some((c.to_string(), false)),
                }
                out.push(c);
            }
            '{' if !in_class => match repeat_len(rest) {
                Some(len) => {
                    let op = format!("{{{}", &rest[..len]);
                    let body = &rest[..len - 1];
                    let (min, max) = match body.split_once(',') {
                        Some((a, "")) => (a, a),
                        Some((a, b)) => (a, b),
                        None => (body, body),
                    };
                    let (min, max) = (min.parse::<u32>().ok(), max.parse::<u32>().ok());
                    let bad = match (min, max) {
                        (Some(a), Some(b)) => a > 1000 || b > 1000 || a > b,
                        _ => true,
                    };
                    if bad {
                        return Err(format!("invalid repeat count: `{op}`"));
                    }
                    if let Some((prev, _)) = &last_rep {
                        return Err(format!("invalid nested repetition operator: `{prev}{op}`"));
                    }
                    out.push_str(&op);
                    rest = &rest[len..];
                    next_rep = Some((op, false));
                }
                None => out.push_str("\\{"),
            },
            _ => out.push(c),
        }
        last_rep = next_rep;
    }
    Ok(out)
}

/// The length of `n}`, `n,}` or `n,m}` at the start of `text` (after a `{`).
fn repeat_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let n = digits(0);
    if n == 0 {
        return None;
    }
    let mut k = n;
    if b.get(k) == Some(&b',') {
        k += 1 + digits(k + 1);
    }
    (b.get(k) == Some(&b'}')).then_some(k + 1)
}

/// The part of the pattern the `regex` crate's error points at.
fn error_span(text: &str, expr: &str) -> String {
    for line in text.lines() {
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && trimmed.chars().all(|c| c == '^') {
            let start = (line.len() - trimmed.len()).saturating_sub(4);
            return expr.chars().skip(start).take(trimmed.len()).collect();
        }
    }
    String::new()
}

/// Go's wording for the usual syntax errors.
fn go_error(expr: &str, e: &regex::Error) -> String {
    let text = e.to_string();
    let code = if text.contains("unclosed group") {
        format!("missing closing ): `{expr}`")
    } else if text.contains("unopened group") {
        format!("unexpected ): `{expr}`")
    } else if text.contains("unclosed character class") {
        let from = expr.rfind('[').unwrap_or(0);
        format!("missing closing ]: `{}`", &expr[from..])
    } else if text.contains("repetition operator missing expression") {
        let op = expr.chars().find(|c| "*+?".contains(*c)).unwrap_or('*');
        format!("missing argument to repetition operator: `{op}`")
    } else if text.contains("flag") {
        let from = expr.rfind("(?").unwrap_or(0);
        let flags = expr
            .get(from + 2..)
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .count();
        let shown = expr.get(from..from + 2 + flags).unwrap_or(expr);
        format!("invalid or unsupported Perl syntax: `{shown}`")
    } else if text.contains("Unicode property") {
        let from = expr.find("\\p{").or_else(|| expr.find("\\P{")).unwrap_or(0);
        let end = expr[from..].find('}').map_or(expr.len(), |k| from + k + 1);
        format!("invalid character class range: `{}`", &expr[from..end])
    } else if text.contains("backreference") {
        format!("invalid escape sequence: `{}`", error_span(&text, expr))
    } else if text.contains("escape") && text.contains("incomplete") {
        "trailing backslash at end of expression: ``".to_string()
    } else if text.contains("escape") {
        format!("invalid escape sequence: `{}`", error_span(&text, expr))
    } else if text.contains("range") || text.contains("class") {
        format!(
            "invalid character class range: `{}`",
            error_span(&text, expr)
        )
    } else if text.contains("capture group name") {
        let open = if expr.contains("(?P<") { "(?P<" } else { "(?<" };
        let from = expr.find(open).unwrap_or(0);
        let end = expr[from..].find('>').map_or(expr.len(), |k| from + k + 1);
        format!("invalid named capture: `{}`", &expr[from..end])
    } else {
        format!("invalid or unsupported Perl syntax: `{expr}`")
    };
    format!("error parsing regexp: {code}")
}

/// `regexp.MustCompile`'s panic.
fn must_compile(expr: &str) -> Result<Rc<Regex>, String> {
    compile(expr).map_err(|e| format!("regexp: Compile({}): {e}", go_backquote(expr)))
}

/// `strconv.Quote`-or-backquote, as `MustCompile` prints the pattern.
fn go_backquote(expr: &str) -> String {
    if expr.contains('`') {
        crate::template::gofmt::quote(expr)
    } else {
        format!("`{expr}`")
    }
}

/// Registers the panicking and the `must` variant of one function.
fn pair(
    f: &mut Funcs,
    name: &str,
    params: &[Ty],
    imp: impl Fn(&Regex, &[Value]) -> Value + Clone + 'static,
) {
    let plain = imp.clone();
    def(f, name, params, move |a| {
        Ok(plain(&*must_compile(s(&a[0]))?, &a))
    });
    let must = format!("must{}{}", name[..1].to_uppercase(), &name[1..]);
    def(f, &must, params, move |a| Ok(imp(&*compile(s(&a[0]))?, &a)));
}

pub(super) fn register(f: &mut Funcs) {
    def(f, "regexMatch", &[Ty::Str, Ty::Str], |a| {
        Ok(Value::Bool(
            compile(s(&a[0])).is_ok_and(|re| re.is_match(s(&a[1]))),
        ))
    });
    def(f, "mustRegexMatch", &[Ty::Str, Ty::Str], |a| {
        Ok(Value::Bool(compile(s(&a[0]))?.is_match(s(&a[1]))))
    });
    pair(f, "regexFindAll", &[Ty::Str, Ty::Str, Ty::Int], |re, a| {
        let n = i(&a[2]);
        let found = re.find_iter(s(&a[1])).map(|m| m.as_str().to_string());
        appended_strings(if n < 0 {
            found.collect()
        } else {
            found.take(n as usize).collect()
        })
    });
    pair(f, "regexFind", &[Ty::Str, Ty::Str], |re, a| {
        re.find(s(&a[1])).map_or("", |m| m.as_str()).into()
    });
    pair(
        f,
        "regexReplaceAll",
        &[Ty::Str, Ty::Str, Ty::Str],
        |re, a| re.replace_all(s(&a[1]), s(&a[2])).into_owned().into(),
    );
    pair(
        f,
        "regexReplaceAllLiteral",
        &[Ty::Str, Ty::Str, Ty::Str],
        |re, a| {
            re.replace_all(s(&a[1]), regex::NoExpand(s(&a[2])))
                .into_owned()
                .into()
        },
    );
    pair(f, "regexSplit", &[Ty::Str, Ty::Str, Ty::Int], |re, a| {
        let n = i(&a[2]);
        // Go's `Regexp.Split` returns nil for n == 0, a slice (maybe empty) otherwise.
        if n == 0 {
            return TypedList::nil("[]string");
        }
        strings_value(split(re, s(&a[0]), s(&a[1]), n))
    });
    def(f, "regexQuoteMeta", &[Ty::Str], |a| {
        let mut out = String::new();
        for c in s(&a[0]).chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(out.into())
    });
}

/// `(*Regexp).Split` for n != 0.
fn split(re: &Regex, expr: &str, text: &str, n: i64) -> Vec<String> {
    if !expr.is_empty() && text.is_empty() {
        return vec![String::new()];
    }
    let b = text.as_bytes();
    let matches = re
        .find_iter(text)
        .take(if n < 0 { usize::MAX } else { n as usize });
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(string_from_bytes(&b[beg..end]));
        }
        beg = m.end();
    }
    if end != b.len() {
        out.push(string_from_bytes(&b[beg..]));
    }
    out
}
