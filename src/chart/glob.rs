//! `gobwas/glob` patterns with `/` as separator, as `.Files.Glob` uses them:
//! `*` (within a path segment), `**` (across segments), `?`, `[...]`, `[!...]`,
//! `{a,b}` and `\` escapes.

#[derive(Clone, Debug)]
enum Token {
    Char(char),
    /// `*`: any run of non-separator characters.
    Any,
    /// `**`: any run of characters.
    Super,
    /// `?`: one non-separator character.
    Single,
    Class {
        negate: bool,
        ranges: Vec<(char, char)>,
    },
    Alt(Vec<Vec<Token>>),
}

/// A compiled glob.
#[derive(Clone, Debug)]
pub(crate) struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    /// Compiles `pattern`; `None` when it is malformed (gobwas returns an error,
    /// which Helm turns into an empty result).
    pub(crate) fn new(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let tokens = parse(&chars, &mut pos, false)?;
        (pos == chars.len()).then_some(Glob { tokens })
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        match_tokens(&self.tokens, &chars)
    }
}

fn parse(chars: &[char], pos: &mut usize, in_alt: bool) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    while *pos < chars.len() {
        let c = chars[*pos];
        match c {
            '*' => {
                if chars.get(*pos + 1) == Some(&'*') {
                    *pos += 2;
                    tokens.push(Token::Super);
                } else {
                    *pos += 1;
                    tokens.push(Token::Any);
                }
            }
            '?' => {
                *pos += 1;
                tokens.push(Token::Single);
            }
            '\\' => {
                let escaped = *chars.get(*pos + 1)?;
                *pos += 2;
                tokens.push(Token::Char(escaped));
            }
            '[' => {
                *pos += 1;
                let negate = chars.get(*pos) == Some(&'!');
                if negate {
                    *pos += 1;
                }
                let mut ranges = Vec::new();
                loop {
                    let lo = *chars.get(*pos)?;
                    if lo == ']' {
                        *pos += 1;
                        break;
                    }
                    if chars.get(*pos + 1) == Some(&'-')
                        && chars.get(*pos + 2).is_some_and(|&h| h != ']')
                    {
                        ranges.push((lo, chars[*pos + 2]));
                        *pos += 3;
                    } else {
                        ranges.push((lo, lo));
                        *pos += 1;
                    }
                }
                tokens.push(Token::Class { negate, ranges });
            }
            '{' => {
                *pos += 1;
                let mut alternatives = Vec::new();
                loop {
                    alternatives.push(parse(chars, pos, true)?);
                    match chars.get(*pos)? {
                        ',' => *pos += 1,
                        '}' => {
                            *pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                tokens.push(Token::Alt(alternatives));
            }
            ',' | '}' if in_alt => return Some(tokens),
            _ => {
                *pos += 1;
                tokens.push(Token::Char(c));
            }
        }
    }
    if in_alt { None } else { Some(tokens) }
}

fn match_tokens(tokens: &[Token], text: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return text.is_empty();
    };
    match first {
        Token::Char(c) => text.first() == Some(c) && match_tokens(rest, &text[1..]),
        Token::Single => text.first().is_some_and(|&c| c != '/') && match_tokens(rest, &text[1..]),
        Token::Class { negate, ranges } => text.first().is_some_and(|&c| {
            let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
            inside != *negate && match_tokens(rest, &text[1..])
        }),
        Token::Any => {
            for i in 0..=text.len() {
                if match_tokens(rest, &text[i..]) {
                    return true;
                }
                if i < text.len() && text[i] == '/' {
                    return false;
                }
            }
            false
        }
        Token::Super => (0..=text.len()).any(|i| match_tokens(rest, &text[i..])),
        Token::Alt(alternatives) => alternatives.iter().any(|alt| {
            let mut joined = alt.clone();
            joined.extend_from_slice(rest);
            match_tokens(&joined, text)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p).is_some_and(|g| g.matches(t))
    }

    #[test]
    fn globs_follow_gobwas() {
        assert!(m("files/*.json", "files/a.json"));
        assert!(!m("files/*", "files/sub/c.txt"));
        assert!(m("files/**", "files/sub/deeper/d.yaml"));
        assert!(m("files/{a,b}.json", "files/b.json"));
        assert!(!m("files/{a,b}.json", "files/c.json"));
        assert!(m("**", "x/y"));
        assert!(m("f?le", "file"));
        assert!(m("[!a]x", "bx"));
    }
}
