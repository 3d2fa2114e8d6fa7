//! `urlParse` and `urlJoin`: Go's `net/url` parsing and printing.

use super::{Ty, Value, as_map, def, kind_name, s};
use crate::template::value::Map;
use crate::template::{Funcs, gofmt};

pub(super) fn register(f: &mut Funcs) {
    def(f, "urlParse", &[Ty::Str], |a| {
        let raw = s(&a[0]);
        let u = parse(raw)
            .map_err(|e| format!("unable to parse url: parse {}: {e}", gofmt::quote(raw)))?;
        let m = Map::default();
        m.insert("scheme", u.scheme.clone().into());
        m.insert("host", u.host.clone().into());
        m.insert("hostname", hostname(&u.host).into());
        m.insert("path", u.path.clone().into());
        m.insert("query", u.query.clone().into());
        m.insert("opaque", u.opaque.clone().into());
        m.insert("fragment", u.fragment.clone().into());
        m.insert(
            "userinfo",
            u.user
                .as_ref()
                .map(userinfo_string)
                .unwrap_or_default()
                .into(),
        );
        Ok(Value::Map(m))
    });
    def(f, "urlJoin", &[Ty::Map], |a| {
        let d = as_map(&a[0]).unwrap_or_default();
        let get = |k: &str| -> Result<String, String> {
            match d.get(k) {
                None => Ok(String::new()),
                Some(Value::Str(v)) => Ok(v.to_string()),
                Some(Value::Nil) => Err(super::NIL_DEREF.into()),
                Some(other) => Err(format!(
                    "unable to parse {k} key, must be of type string, but {} found",
                    kind_name(&other)
                )),
            }
        };
        let mut u = Url {
            scheme: get("scheme")?,
            host: get("host")?,
            path: get("path")?,
            query: get("query")?,
            opaque: get("opaque")?,
            fragment: get("fragment")?,
            ..Url::default()
        };
        let info = get("userinfo")?;
        if !info.is_empty() {
            let tmp = parse(&format!("proto://{info}@host"))
                .map_err(|e| format!("unable to parse userinfo in dict: {e}"))?;
            u.user = tmp.user;
        }
        Ok(to_string(&u).into())
    });
}

#[derive(Default)]
struct Url {
    scheme: String,
    opaque: String,
    user: Option<(String, Option<String>)>,
    host: String,
    path: String,
    force_query: bool,
    query: String,
    fragment: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Enc {
    Path,
    Host,
    User,
    Fragment,
}

fn should_escape(c: u8, mode: Enc) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Enc::Host && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Enc::User => matches!(c, b'@' | b'/' | b'?' | b':'),
                Enc::Path => c == b'?',
                Enc::Fragment => false,
                Enc::Host => true,
            };
        }
        _ => {}
    }
    !(mode == Enc::Fragment && matches!(c, b'!' | b'(' | b')' | b'*'))
}

fn escape(text: &str, mode: Enc) -> String {
    let mut out = String::with_capacity(text.len());
    for &c in text.as_bytes() {
        if should_escape(c, mode) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

fn unescape(text: &str, mode: Enc) -> Result<String, String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut k = 0;
    while k < b.len() {
        if b[k] == b'%' {
            let hex = b
                .get(k + 1..k + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(v) => {
                    out.push(v);
                    k += 3;
                    continue;
                }
                None => {
                    let bad = String::from_utf8_lossy(&b[k..(k + 3).min(b.len())]).into_owned();
                    return Err(format!("invalid URL escape {}", gofmt::quote(&bad)));
                }
            }
        }
        if mode == Enc::Host && b[k] < 0x80 && should_escape(b[k], Enc::Host) && b[k] != b'%' {
            let bad = String::from_utf8_lossy(&b[k..k + 1]).into_owned();
            return Err(format!(
                "invalid character {} in host name",
                gofmt::quote(&bad)
            ));
        }
        out.push(b[k]);
        k += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn split_scheme(raw: &str) -> Result<(String, &str), String> {
    for (k, c) in raw.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if k > 0 => {}
            ':' => {
                if k == 0 {
                    return Err("missing protocol scheme".into());
                }
                return Ok((raw[..k].to_ascii_lowercase(), &raw[k + 1..]));
            }
            _ => return Ok((String::new(), raw)),
        }
    }
    Ok((String::new(), raw))
}

/// `url.Parse`.
fn parse(raw: &str) -> Result<Url, String> {
    let (rest, frag) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    if rest.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut u = Url::default();
    if rest == "*" {
        u.path = "*".into();
    } else {
        let (scheme, mut rest) = split_scheme(rest)?;
        u.scheme = scheme;
        if rest.ends_with('?') && rest.matches('?').count() == 1 {
            u.force_query = true;
            rest = &rest[..rest.len() - 1];
        } else if let Some((r, q)) = rest.split_once('?') {
            u.query = q.to_string();
            rest = r;
        }
        if !rest.starts_with('/') {
            if !u.scheme.is_empty() {
                u.opaque = rest.to_string();
                return finish(u, frag);
            }
            let segment = rest.split('/').next().unwrap_or_default();
            if segment.contains(':') {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }
        if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let after = &rest[2..];
            let (authority, tail) = match after.find('/') {
                Some(p) => (&after[..p], &after[p..]),
                None => (after, ""),
            };
            parse_authority(&mut u, authority)?;
            rest = tail;
        }
        u.path = unescape(rest, Enc::Path)?;
    }
    finish(u, frag)
}

fn finish(mut u: Url, frag: Option<&str>) -> Result<Url, String> {
    if let Some(f) = frag {
        u.fragment = unescape(f, Enc::Fragment)?;
    }
    Ok(u)
}

fn parse_authority(u: &mut Url, authority: &str) -> Result<(), String> {
    let (info, host) = match authority.rfind('@') {
        Some(p) => (Some(&authority[..p]), &authority[p + 1..]),
        None => (None, authority),
    };
    if let Some(colon) = host.rfind(':').filter(|_| !host.starts_with('[')) {
        let port = &host[colon + 1..];
        if !port.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "invalid port {} after host",
                gofmt::quote(&host[colon..])
            ));
        }
    }
    u.host = unescape(host, Enc::Host)?;
    if let Some(info) = info {
        let ok = info
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c) || c >= 0x80);
        if !ok {
            return Err("net/url: invalid userinfo".into());
        }
        u.user = Some(match info.split_once(':') {
            Some((name, pass)) => (unescape(name, Enc::User)?, Some(unescape(pass, Enc::User)?)),
            None => (unescape(info, Enc::User)?, None),
        });
    }
    Ok(())
}

fn userinfo_string((name, pass): &(String, Option<String>)) -> String {
    let mut out = escape(name, Enc::User);
    if let Some(p) = pass {
        out.push(':');
        out.push_str(&escape(p, Enc::User));
    }
    out
}

fn hostname(host: &str) -> String {
    let (h, _) = match host.strip_prefix('[') {
        Some(inner) => match inner.find(']') {
            Some(p) => return inner[..p].to_string(),
            None => (host, ""),
        },
        None => match host.rfind(':') {
            Some(p) => (&host[..p], &host[p..]),
            None => (host, ""),
        },
    };
    h.to_string()
}

/// `(*url.URL).String`.
fn to_string(u: &Url) -> String {
    let mut out = String::new();
    if !u.scheme.is_empty() {
        out.push_str(&u.scheme);
        out.push(':');
    }
    if !u.opaque.is_empty() {
        out.push_str(&u.opaque);
    } else {
        if !u.scheme.is_empty() || !u.host.is_empty() || u.user.is_some() {
            if !u.host.is_empty() || !u.path.is_empty() || u.user.is_some() {
                out.push_str("//");
            }
            if let Some(user) = &u.user {
                out.push_str(&userinfo_string(user));
                out.push('@');
            }
            out.push_str(&escape(&u.host, Enc::Host));
        }
        let path = if u.path == "*" {
            "*".to_string()
        } else {
            escape(&u.path, Enc::Path)
        };
        if !path.is_empty() && !path.starts_with('/') && !u.host.is_empty() {
            out.push('/');
        }
        if out.is_empty() && path.split('/').next().is_some_and(|seg| seg.contains(':')) {
            out.push_str("./");
        }
        out.push_str(&path);
    }
    if u.force_query || !u.query.is_empty() {
        out.push('?');
        out.push_str(&u.query);
    }
    if !u.fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(&u.fragment, Enc::Fragment));
    }
    out
}
