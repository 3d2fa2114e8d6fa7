//! `semver` and `semverCompare`: Masterminds/semver v3.4.0 (as Helm v4.1.4
//! links it), with its loose version parsing and constraint rules.

use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::LazyLock;

// regex-lite: these small expressions are compiled on every run, and the
// full regex crate took 4M instructions (about a millisecond) to build them.
use regex_lite::Regex;

use super::{Func, Ty, Value, def, s};
use crate::template::Funcs;
use crate::template::value::Object;

pub(super) fn register(f: &mut Funcs) {
    def(f, "semver", &[Ty::Str], |a| {
        Ok(Version::parse(s(&a[0]))?.into_value(true))
    });
    def(f, "semverCompare", &[Ty::Str, Ty::Str], |a| {
        let c = Constraints::parse(s(&a[0]))?;
        let v = Version::parse(s(&a[1]))?;
        Ok(Value::Bool(c.check(&v)))
    });
}

const INVALID: &str = "invalid semantic version";

static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
    )
    .unwrap_or_else(|e| panic!("{e}"))
});

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

/// Go's `\s` is ASCII (`[\t\n\f\r ]`), regex-lite's adds `\v`: spell it out.
fn re(text: String) -> Regex {
    Regex::new(&text.replace(r"\s", r"[\t\n\f\r ]")).unwrap_or_else(|e| panic!("{e}"))
}

static CONSTRAINT: LazyLock<Regex> = LazyLock::new(|| re(format!(r"^\s*({OPS})\s*({CV})\s*$")));
static RANGE: LazyLock<Regex> = LazyLock::new(|| re(format!(r"\s*({CV})\s+-\s+({CV})\s*")));
static FIND: LazyLock<Regex> = LazyLock::new(|| re(format!(r"({OPS})\s*({CV})")));
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    re(format!(
        r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
    ))
});

#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

fn parse_segment(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing {}: value out of range",
            crate::template::gofmt::quote(text)
        )
    })
}

const ALLOWED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

fn validate_prerelease(p: &str) -> Result<(), String> {
    for part in p.split('.') {
        if part.is_empty() {
            return Err("invalid prerelease string".into());
        }
        if part.bytes().all(|c| c.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        } else if !part.chars().all(|c| ALLOWED.contains(c)) {
            return Err("invalid prerelease string".into());
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), String> {
    for part in m.split('.') {
        if part.is_empty() || !part.chars().all(|c| ALLOWED.contains(c)) {
            return Err("invalid metadata string".into());
        }
    }
    Ok(())
}

impl Version {
    /// `semver.NewVersion` (with `CoerceNewVersion`, the default).
    fn parse(v: &str) -> Result<Version, String> {
        let m = LOOSE.captures(v).ok_or(INVALID)?;
        let group = |k: usize| m.get(k).map_or("", |g| g.as_str());
        let seg = |k: usize| -> Result<u64, String> {
            match group(k) {
                "" => Ok(0),
                t => parse_segment(t.trim_start_matches('.')),
            }
        };
        let version = Version {
            major: parse_segment(group(1))?,
            minor: seg(2)?,
            patch: seg(3)?,
            pre: group(5).to_string(),
            metadata: group(8).to_string(),
            original: v.to_string(),
        };
        if !version.pre.is_empty() {
            validate_prerelease(&version.pre)?;
        }
        if !version.metadata.is_empty() {
            validate_metadata(&version.metadata)?;
        }
        Ok(version)
    }

    fn text(&self) -> String {
        let mut out = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            out.push('-');
            out.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            out.push('+');
            out.push_str(&self.metadata);
        }
        out
    }

    fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }

    /// The same version with a new `original`, as the `Inc…` methods make it.
    fn renamed(mut self, v_prefix: bool) -> Version {
        let prefix = if v_prefix { "v" } else { "" };
        self.original = format!("{prefix}{}", self.text());
        self
    }

    fn into_value(self, pointer: bool) -> Value {
        Value::Object(Rc::new(VersionObj { v: self, pointer }))
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let ap: Vec<&str> = a.split('.').collect();
    let bp: Vec<&str> = b.split('.').collect();
    for k in 0..ap.len().max(bp.len()) {
        let x = ap.get(k).copied().unwrap_or("");
        let y = bp.get(k).copied().unwrap_or("");
        let d = compare_pre_part(x, y);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(x), Ok(y)) => {
            if x > y {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

/// `*semver.Version` in templates: prints as `String()`, with its methods.
struct VersionObj {
    v: Version,
    pointer: bool,
}

/// A version passed back into a method (`.LessThan (semver "1.0")`).
fn version_arg(v: &Value) -> Result<Version, String> {
    match v {
        Value::Object(o) if o.type_name().ends_with("semver.Version") => {
            Version::parse(&o.stringer().unwrap_or_default())
        }
        other => Err(format!(
            "wrong type for value; expected *semver.Version; got {}",
            other.type_name()
        )),
    }
}

impl Object for VersionObj {
    fn type_name(&self) -> String {
        if self.pointer {
            "*semver.Version"
        } else {
            "semver.Version"
        }
        .into()
    }

    fn is_pointer(&self) -> bool {
        self.pointer
    }

    fn stringer(&self) -> Option<String> {
        Some(self.v.text())
    }

    /// `Version.MarshalJSON` writes the version's text.
    fn marshal_json(&self) -> Option<Value> {
        Some(self.v.text().into())
    }

    fn struct_fields(&self) -> Vec<(String, Value)> {
        vec![
            ("major".into(), Value::Int64(self.v.major as i64)),
            ("minor".into(), Value::Int64(self.v.minor as i64)),
            ("patch".into(), Value::Int64(self.v.patch as i64)),
            ("pre".into(), Value::str(&self.v.pre)),
            ("metadata".into(), Value::str(&self.v.metadata)),
            ("original".into(), Value::str(&self.v.original)),
        ]
    }

    fn method(&self, name: &str) -> Option<Func> {
        let v = self.v.clone();
        let v_prefix = v.original.starts_with('v');
        let value = |x: Value| -> Func { Func::new(&[], move |_, _| Ok(x.clone())) };
        let cmp = |pred: fn(Ordering) -> bool, v: Version| -> Func {
            Func::new(&[Ty::Any], move |_, a| {
                Ok(Value::Bool(pred(v.compare(&version_arg(&a[0])?))))
            })
        };
        // Methods with pointer receivers aren't there on a `semver.Version`
        // value (what the `Inc…` methods return).
        let pointer_only = [
            "Original",
            "Compare",
            "LessThan",
            "LessThanEqual",
            "GreaterThan",
            "GreaterThanEqual",
            "Equal",
        ];
        if !self.pointer && pointer_only.contains(&name) {
            return None;
        }
        Some(match name {
            "Major" => value(Value::Int64(v.major as i64)),
            "Minor" => value(Value::Int64(v.minor as i64)),
            "Patch" => value(Value::Int64(v.patch as i64)),
            "Prerelease" => value(Value::str(&v.pre)),
            "Metadata" => value(Value::str(&v.metadata)),
            "Original" => value(Value::str(&v.original)),
            "String" => value(Value::from(v.text())),
            "IncPatch" => {
                let mut n = v.clone();
                if n.pre.is_empty() {
                    n.patch = n.patch.wrapping_add(1);
                }
                n.pre.clear();
                n.metadata.clear();
                value(n.renamed(v_prefix).into_value(false))
            }
            "IncMinor" => {
                let mut n = v.clone();
                n.pre.clear();
                n.metadata.clear();
                n.patch = 0;
                n.minor = n.minor.wrapping_add(1);
                value(n.renamed(v_prefix).into_value(false))
            }
            "IncMajor" => {
                let mut n = v.clone();
                n.pre.clear();
                n.metadata.clear();
                n.patch = 0;
                n.minor = 0;
                n.major = n.major.wrapping_add(1);
                value(n.renamed(v_prefix).into_value(false))
            }
            "Compare" => Func::new(&[Ty::Any], move |_, a| {
                Ok(Value::Int(match v.compare(&version_arg(&a[0])?) {
                    Ordering::Less => -1,
                    Ordering::Equal => 0,
                    Ordering::Greater => 1,
                }))
            }),
            "LessThan" => cmp(Ordering::is_lt, v),
            "LessThanEqual" => cmp(Ordering::is_le, v),
            "GreaterThan" => cmp(Ordering::is_gt, v),
            "GreaterThanEqual" => cmp(Ordering::is_ge, v),
            "Equal" => cmp(Ordering::is_eq, v),
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

struct Constraint {
    op: Op,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

struct Constraints {
    ors: Vec<(Vec<Constraint>, bool)>,
}

fn is_x(t: &str) -> bool {
    matches!(t, "x" | "*" | "X")
}

/// semver's `rewriteRange`: `1 - 2` becomes `>= 1, <= 2`.
fn rewrite_range(text: &str) -> String {
    let mut out = text.to_string();
    for m in RANGE.captures_iter(text) {
        let whole = m.get(0).map_or("", |g| g.as_str());
        let from = m.get(1).map_or("", |g| g.as_str());
        let to = m.get(11).map_or("", |g| g.as_str());
        out = out.replacen(whole, &format!(">= {from}, <= {to} "), 1);
    }
    out
}

impl Constraints {
    /// `semver.NewConstraint`.
    fn parse(text: &str) -> Result<Constraints, String> {
        let text = rewrite_range(text);
        let mut ors = Vec::new();
        for part in text.split("||") {
            if !VALID.is_match(part) {
                return Err(format!("improper constraint: {part}"));
            }
            let found: Vec<&str> = FIND.find_iter(part).map(|m| m.as_str()).collect();
            let found = if found.is_empty() { vec![part] } else { found };
            let mut list = Vec::new();
            let mut has_pre = false;
            for c in found {
                let pc = parse_constraint(c)?;
                has_pre |= !pc.con.pre.is_empty();
                list.push(pc);
            }
            ors.push((list, has_pre));
        }
        Ok(Constraints { ors })
    }

    fn check(&self, v: &Version) -> bool {
        self.ors
            .iter()
            .any(|(list, pre)| list.iter().all(|c| c.check(v, *pre)))
    }
}

fn parse_constraint(c: &str) -> Result<Constraint, String> {
    if c.is_empty() {
        return Ok(Constraint {
            op: Op::TildeOrEqual,
            con: Version::parse("0.0.0")?,
            dirty: true,
            minor_dirty: false,
            patch_dirty: false,
        });
    }
    let m = CONSTRAINT
        .captures(c)
        .ok_or_else(|| format!("improper constraint: {c}"))?;
    let g = |k: usize| m.get(k).map_or("", |x| x.as_str());
    let op = match g(1) {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (major, minor, patch, pre) = (g(3), g(4), g(5), g(6));
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let ver = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        dirty = true;
        minor_dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        g(2).to_string()
    };
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        op,
        con,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == Ordering::Greater
                }
            }
            Op::Less => v.compare(c) == Ordering::Less,
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::Caret => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}
