//! `base`, `dir`, `clean`, `ext`, `isAbs` (Go's `path`) and their `os…`
//! twins (`path/filepath`, the same on Unix).

use super::{Ty, Value, def, s};
use crate::template::Funcs;

pub(super) fn register(f: &mut Funcs) {
    for (plain, os) in [
        ("base", "osBase"),
        ("dir", "osDir"),
        ("clean", "osClean"),
        ("ext", "osExt"),
    ] {
        let imp: fn(&str) -> String = match plain {
            "base" => base,
            "dir" => dir,
            "clean" => clean,
            _ => ext,
        };
        for name in [plain, os] {
            def(f, name, &[Ty::Str], move |a| Ok(imp(s(&a[0])).into()));
        }
    }
    for name in ["isAbs", "osIsAbs"] {
        def(f, name, &[Ty::Str], |a| {
            Ok(Value::Bool(s(&a[0]).starts_with('/')))
        });
    }
}

fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let p = p.trim_end_matches('/');
    if p.is_empty() {
        return "/".into();
    }
    p.rsplit('/').next().unwrap_or(p).to_string()
}

fn dir(p: &str) -> String {
    let cut = p.rfind('/').map_or(0, |i| i + 1);
    clean(&p[..cut])
}

fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return p[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}

/// `path.Clean`.
pub(super) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}
