//! `.helmignore`: Helm's ignore rules over Go's `filepath.Match`.

/// Go's `path/filepath.Match` with `/` as the separator. A malformed pattern
/// matches nothing (Go returns an error, which Helm's callers treat as no match).
pub(crate) fn go_match(pattern: &str, name: &str) -> bool {
    match_from(pattern.as_bytes(), name.as_bytes()).unwrap_or(false)
}

/// Whether the pattern is well-formed (Go's `ErrBadPattern` otherwise).
pub(crate) fn go_pattern_ok(pattern: &str) -> bool {
    match_from(pattern.as_bytes(), b"abc").is_some()
}

fn match_from(pattern: &[u8], name: &[u8]) -> Option<bool> {
    let (mut p, mut n) = (0usize, 0usize);
    // Backtracking point for the last `*`: (pattern index after it, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    star = Some((p, n));
                    continue;
                }
                b'?' if n < name.len() && name[n] != b'/' => {
                    let len = utf8_len(name[n]);
                    p += 1;
                    n += len;
                    continue;
                }
                b'[' => {
                    let (matched, next) = match_class(pattern, p, name.get(n..)?)?;
                    if n < name.len() && matched.is_some() {
                        n += matched.unwrap_or(1);
                        p = next;
                        continue;
                    }
                }
                b'\\' => {
                    let c = *pattern.get(p + 1)?;
                    if n < name.len() && name[n] == c {
                        p += 2;
                        n += 1;
                        continue;
                    }
                }
                c if c != b'?' && c != b'[' && n < name.len() && name[n] == c => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        } else if n == name.len() {
            return Some(true);
        }
        // Mismatch: let the last star swallow one more (non-separator) byte.
        match star {
            Some((sp, sn)) if sn < name.len() && name[sn] != b'/' => {
                star = Some((sp, sn + 1));
                p = sp;
                n = sn + 1;
            }
            _ => {
                // Go still reports a malformed rest of the pattern as an error.
                return if pattern_rest_ok(&pattern[p.min(pattern.len())..]) {
                    Some(false)
                } else {
                    None
                };
            }
        }
    }
}

fn pattern_rest_ok(rest: &[u8]) -> bool {
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'\\' => {
                if i + 1 >= rest.len() {
                    return false;
                }
                i += 2;
            }
            b'[' => match rest[i..].iter().position(|&c| c == b']') {
                Some(end) if end > 1 => i += end + 1,
                _ => return false,
            },
            _ => i += 1,
        }
    }
    true
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn decode_char(bytes: &[u8]) -> Option<(char, usize)> {
    let len = utf8_len(*bytes.first()?).min(bytes.len());
    let s = std::str::from_utf8(&bytes[..len]).ok()?;
    s.chars().next().map(|c| (c, len))
}

/// A `[...]` class at `pattern[start]` against the next character of `name`:
/// `(Some(len) when it matches, index after the class)`; `None` when malformed.
fn match_class(pattern: &[u8], start: usize, name: &[u8]) -> Option<(Option<usize>, usize)> {
    let mut i = start + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let current = decode_char(name);
    let mut matched = false;
    let mut first = true;
    loop {
        let c = *pattern.get(i)?;
        if c == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        let (lo, len) = class_char(pattern, i)?;
        i += len;
        let mut hi = lo;
        if pattern.get(i) == Some(&b'-') && pattern.get(i + 1) != Some(&b']') {
            let (h, len) = class_char(pattern, i + 1)?;
            hi = h;
            i += 1 + len;
        }
        if let Some((ch, _)) = current
            && lo <= ch
            && ch <= hi
        {
            matched = true;
        }
    }
    let ok = match current {
        Some((ch, len)) if ch != '/' && matched != negate => Some(len),
        _ => None,
    };
    Some((ok, i))
}

fn class_char(pattern: &[u8], i: usize) -> Option<(char, usize)> {
    match pattern.get(i)? {
        b'\\' => decode_char(&pattern[i + 1..]).map(|(c, l)| (c, l + 1)),
        b'-' | b']' if i > 0 && pattern[i - 1] != b'[' && pattern[i - 1] != b'^' => None,
        _ => decode_char(&pattern[i..]),
    }
}

struct Rule {
    negate: bool,
    must_dir: bool,
    pattern: String,
    kind: RuleKind,
}

enum RuleKind {
    /// `/x`: matched against the whole path, without the slash.
    Rooted,
    /// Contains a `/`: matched against the whole path.
    Path,
    /// Matched against the base name.
    Base,
}

/// Parsed `.helmignore` rules, with Helm's built-in `templates/.?*`.
pub(crate) struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    pub(crate) fn parse(text: &str) -> Result<Rules, String> {
        let mut rules = Rules { rules: Vec::new() };
        for line in text.lines() {
            rules.add(line)?;
        }
        rules.add("templates/.?*")?;
        Ok(rules)
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        if !go_pattern_ok(rule) {
            return Err("syntax error in pattern".into());
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule = &rule[..rule.len() - 1];
        }
        let kind = if rule.starts_with('/') {
            rule = &rule[1..];
            RuleKind::Rooted
        } else if rule.contains('/') {
            RuleKind::Path
        } else {
            RuleKind::Base
        };
        self.rules.push(Rule {
            negate,
            must_dir,
            pattern: rule.to_string(),
            kind,
        });
        Ok(())
    }

    /// Whether `path` (relative, `/`-separated) is ignored.
    pub(crate) fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for rule in &self.rules {
            let matches = || match rule.kind {
                RuleKind::Rooted | RuleKind::Path => go_match(&rule.pattern, path),
                RuleKind::Base => {
                    let base = path.rsplit('/').next().unwrap_or(path);
                    go_match(&rule.pattern, base)
                }
            };
            if rule.negate {
                if rule.must_dir && !is_dir {
                    return true;
                }
                if !matches() {
                    return true;
                }
                continue;
            }
            if rule.must_dir && !is_dir {
                continue;
            }
            if matches() {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_follows_filepath_match() {
        assert!(go_match("*.txt", "a.txt"));
        assert!(!go_match("*.txt", "d/a.txt"));
        assert!(go_match("d/*.txt", "d/a.txt"));
        assert!(go_match("a?c", "abc"));
        assert!(go_match("[a-c]x", "bx"));
        assert!(!go_match("[^a-c]x", "bx"));
        assert!(go_match(".?*", ".git"));
        assert!(!go_match(".?*", "."));
        assert!(go_match("\\*", "*"));
    }

    #[test]
    fn helmignore_rules() {
        let rules = Rules::parse("# comment\n*.bak\nfiles/ignored.txt\n/secret-dir/\n").unwrap();
        assert!(rules.ignore("files/backup.bak", false));
        assert!(rules.ignore("files/ignored.txt", false));
        assert!(rules.ignore("secret-dir", true));
        assert!(!rules.ignore("secret-dir", false));
        assert!(rules.ignore("templates/.hidden", false));
        assert!(!rules.ignore("templates/a.yaml", false));
    }
}
