//! The parts of Masterminds/semver v3 that chart loading needs: loose version
//! parsing (chart versions, `kubeVersion` checks) and constraint checking
//! (`kubeVersion`, dependency version ranges).

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<String>,
}

fn valid_ident_list(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl Version {
    /// `semver.NewVersion`: `v?MAJOR(.MINOR(.PATCH)?)?(-PRE)?(+META)?`.
    pub(crate) fn parse(text: &str) -> Option<Version> {
        let s = text.strip_prefix('v').unwrap_or(text);
        let (rest, meta) = match s.split_once('+') {
            Some((r, m)) => (r, Some(m)),
            None => (s, None),
        };
        if meta.is_some_and(|m| !valid_ident_list(m)) {
            return None;
        }
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        if pre.is_some_and(|p| !valid_ident_list(p)) {
            return None;
        }
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut numbers = [0u64; 3];
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            numbers[i] = part.parse().ok()?;
        }
        Some(Version {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            pre: pre
                .map(|p| p.split('.').map(str::to_string).collect())
                .unwrap_or_default(),
        })
    }

    fn cmp_pre(&self, other: &Version) -> Ordering {
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let ord = match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                _ => a.cmp(b),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }

    fn cmp(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| self.cmp_pre(other))
    }
}

/// One comparison, with how many version parts the constraint named (the
/// rest are wildcards).
#[derive(Debug)]
struct Term {
    op: String,
    version: Version,
    /// 0 for `*`, 1 for `1` or `1.x`, 2 for `1.2`, 3 for `1.2.3`.
    parts: usize,
}

/// A constraint: `||`-separated groups of comma- or space-separated terms.
#[derive(Debug)]
pub(crate) struct Constraint {
    groups: Vec<Vec<Term>>,
}

impl Constraint {
    pub(crate) fn parse(text: &str) -> Option<Constraint> {
        let mut groups = Vec::new();
        for group in text.split("||") {
            let mut terms = Vec::new();
            let normalized = group.replace(',', " ");
            let words: Vec<&str> = normalized.split_whitespace().collect();
            let mut i = 0;
            while i < words.len() {
                // Hyphen range: `A - B`.
                if words.get(i + 1) == Some(&"-") && i + 2 < words.len() {
                    terms.push(parse_term(&format!(">={}", words[i]))?);
                    terms.push(parse_term(&format!("<={}", words[i + 2]))?);
                    i += 3;
                    continue;
                }
                let mut word = words[i].to_string();
                // An operator written apart from its version: `>= 1.2`.
                if word.bytes().all(|b| b"<>=!~^".contains(&b)) && i + 1 < words.len() {
                    word.push_str(words[i + 1]);
                    i += 1;
                }
                terms.push(parse_term(&word)?);
                i += 1;
            }
            if terms.is_empty() {
                terms.push(parse_term("*")?);
            }
            groups.push(terms);
        }
        Some(Constraint { groups })
    }

    pub(crate) fn check(&self, v: &Version) -> bool {
        self.groups.iter().any(|g| g.iter().all(|t| t.check(v)))
    }
}

fn parse_term(word: &str) -> Option<Term> {
    let op_len = word.bytes().take_while(|b| b"<>=!~^".contains(b)).count();
    let (op, rest) = word.split_at(op_len);
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    let (core, suffix) = match rest.find(['-', '+']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let mut parts = 0;
    let mut numbers = Vec::new();
    for (i, part) in core.split('.').enumerate() {
        if i > 2 {
            return None;
        }
        if matches!(part, "x" | "X" | "*") {
            break;
        }
        numbers.push(part);
        parts += 1;
    }
    let mut text = numbers.join(".");
    if text.is_empty() {
        text = "0".into();
    }
    let version = Version::parse(&format!("{text}{suffix}"))?;
    let op = match op {
        "=>" => ">=",
        "=<" => "<=",
        "~>" => "~",
        "==" => "=",
        other => other,
    };
    if !matches!(op, "" | "=" | "!=" | ">" | "<" | ">=" | "<=" | "~" | "^") {
        return None;
    }
    Some(Term {
        op: op.to_string(),
        version,
        parts,
    })
}

impl Term {
    fn check(&self, v: &Version) -> bool {
        // Pre-releases only satisfy constraints that mention one.
        if !v.pre.is_empty() && self.version.pre.is_empty() {
            return false;
        }
        let c = &self.version;
        let ord = v.cmp(c);
        let prefix_equal = |n: usize| {
            (n < 1 || v.major == c.major)
                && (n < 2 || v.minor == c.minor)
                && (n < 3 || v.patch == c.patch)
        };
        match self.op.as_str() {
            "" | "=" => {
                if self.parts < 3 {
                    prefix_equal(self.parts)
                } else {
                    ord == Ordering::Equal
                }
            }
            "!=" => {
                if self.parts < 3 {
                    !prefix_equal(self.parts)
                } else {
                    ord != Ordering::Equal
                }
            }
            ">" => {
                if self.parts < 3 && self.parts > 0 {
                    !prefix_equal(self.parts) && ord == Ordering::Greater
                } else {
                    ord == Ordering::Greater
                }
            }
            ">=" => ord != Ordering::Less,
            "<" => ord == Ordering::Less,
            "<=" => {
                if self.parts < 3 {
                    ord != Ordering::Greater || prefix_equal(self.parts)
                } else {
                    ord != Ordering::Greater
                }
            }
            "~" => {
                ord != Ordering::Less
                    && match self.parts {
                        0 => true,
                        1 => v.major == c.major,
                        _ => v.major == c.major && v.minor == c.minor,
                    }
            }
            "^" => {
                ord != Ordering::Less
                    && if c.major > 0 || self.parts < 2 {
                        v.major == c.major
                    } else if c.minor > 0 || self.parts < 3 {
                        v.major == 0 && v.minor == c.minor
                    } else {
                        v.major == 0 && v.minor == 0 && v.patch == c.patch
                    }
            }
            _ => false,
        }
    }
}

/// Helm's `IsCompatibleRange`: whether `version` satisfies `constraint`.
pub(crate) fn compatible(constraint: &str, version: &str) -> bool {
    match (Constraint::parse(constraint), Version::parse(version)) {
        (Some(c), Some(v)) => c.check(&v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_follow_masterminds() {
        assert!(compatible(">=1.20.0-0", "v1.35.0"));
        assert!(!compatible(">=1.20.0-0", "v1.19.0"));
        assert!(compatible("^1.2.0", "1.9.0"));
        assert!(!compatible("^1.2.0", "2.0.0"));
        assert!(compatible("~1.2.0", "1.2.9"));
        assert!(compatible("1.x", "1.4.0"));
        assert!(compatible("*", "3.0.0"));
        assert!(!compatible("*", "3.0.0-rc1"));
        assert!(compatible(">= 1.2, < 2", "1.5.0"));
        assert!(compatible("1.0.0 - 2.0.0", "2.0.0"));
        assert!(compatible("<1 || >=3", "3.1.0"));
        assert!(Version::parse("1.2.3-beta.1+meta").is_some());
        assert!(Version::parse("1.2").is_some());
        assert!(Version::parse("x.y").is_none());
    }
}
