//! Go `regexp` functions. Go's RE2 syntax is close to the `regex` crate's;
//! replacement templates (`$1`, `${name}`) follow the same rules in both.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

use super::strings::lossy;
use super::{Ty, Value, def, i, s, strings_value};
use crate::template::Funcs;

thread_local! {
    static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// `regexp.Compile`, with Go's error text.
fn compile(expr: &str) -> Result<Regex, String> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(expr).cloned()) {
        return Ok(re);
    }
    let re = Regex::new(expr).map_err(|e| go_error(expr, &e))?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 256 {
            c.clear();
        }
        c.insert(expr.to_string(), re.clone());
    });
    Ok(re)
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
    } else {
        format!("invalid or unsupported Perl syntax: `{expr}`")
    };
    format!("error parsing regexp: {code}")
}

/// `regexp.MustCompile`'s panic.
fn must_compile(expr: &str) -> Result<Regex, String> {
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
        Ok(plain(&must_compile(s(&a[0]))?, &a))
    });
    let must = format!("must{}{}", name[..1].to_uppercase(), &name[1..]);
    def(f, &must, params, move |a| Ok(imp(&compile(s(&a[0]))?, &a)));
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
        strings_value(if n < 0 {
            found.collect::<Vec<_>>()
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
        strings_value(split(re, s(&a[0]), s(&a[1]), i(&a[2])))
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

/// `(*Regexp).Split`.
fn split(re: &Regex, expr: &str, text: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
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
            out.push(lossy(&b[beg..end]));
        }
        beg = m.end();
    }
    if end != b.len() {
        out.push(lossy(&b[beg..]));
    }
    out
}
