//! Tokens of Go's template language, produced on demand for the parser.
//!
//! Errors are tokens too, and the parser reports the line of the last token it
//! pulled, so the lexer emits exactly the token sequence Go's lexer emits.

use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::gofmt::{in_table, is_print};
use super::unicode_tables;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ItemType {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords; everything after `Keyword` prints as `<word>` in errors.
    Keyword,
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

/// A token: its text in the input, or nothing for an error (whose message
/// the lexer keeps, see [`Lexer::error_message`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Item<'s> {
    pub typ: ItemType,
    pub pos: usize,
    pub val: &'s str,
    pub line: usize,
}

impl Item<'_> {
    /// How Go's parser names a token in "unexpected …" errors (errors print
    /// their message instead).
    pub fn describe(&self) -> String {
        match self.typ {
            ItemType::Eof => "EOF".into(),
            t if t > ItemType::Keyword => format!("<{}>", self.val),
            _ if self.val.len() > 10 => {
                // Go's `%.10q`: quote the first ten runes.
                let head: String = self.val.chars().take(10).collect();
                format!("{}...", super::gofmt::quote(&head))
            }
            _ => super::gofmt::quote(self.val),
        }
    }
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
/// A trim marker is `-` plus one space character.
const TRIM_MARKER_LEN: usize = 2;

// Built once: text between actions is long, and std's `find` is slow on it.
static LEFT_DELIM_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(LEFT_DELIM));
static RIGHT_COMMENT_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(RIGHT_COMMENT));

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
}

pub(super) struct Lexer<'s> {
    input: &'s str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    inside_action: bool,
    /// The message of the error token, which ends the scan.
    error: String,
    /// `break`/`continue` are keywords unless a function by that name exists.
    pub break_ok: bool,
    pub continue_ok: bool,
}

/// What a state step does next: another state, or hand an item to the parser.
enum Step<'s> {
    Go(State),
    Emit(Item<'s>),
}

impl<'s> Lexer<'s> {
    pub fn new(input: &'s str) -> Lexer<'s> {
        Lexer {
            input,
            pos: 0,
            start: 0,
            at_eof: false,
            paren_depth: 0,
            line: 1,
            start_line: 1,
            inside_action: false,
            error: String::new(),
            break_ok: true,
            continue_ok: true,
        }
    }

    /// The message of the error token, once one was emitted.
    pub fn error_message(&self) -> &str {
        &self.error
    }

    pub fn next_item(&mut self) -> Item<'s> {
        let mut state = if self.inside_action {
            State::InsideAction
        } else {
            State::Text
        };
        loop {
            match self.step(state) {
                Step::Go(next) => state = next,
                Step::Emit(item) => return item,
            }
        }
    }

    fn step(&mut self, state: State) -> Step<'s> {
        match state {
            State::Text => self.lex_text(),
            State::LeftDelim => self.lex_left_delim(),
            State::Comment => self.lex_comment(),
            State::RightDelim => self.lex_right_delim(),
            State::InsideAction => self.lex_inside_action(),
            State::Space => self.lex_space(),
            State::Identifier => self.lex_identifier(),
            State::Field => self.lex_field_or_variable(ItemType::Field),
            State::Variable => self.lex_variable(),
            State::Char => self.lex_char(),
            State::Number => self.lex_number(),
            State::Quote => self.lex_quote(),
            State::RawQuote => self.lex_raw_quote(),
        }
    }

    fn rest(&self) -> &'s str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        let Some(c) = self.peek() else {
            self.at_eof = true;
            return None;
        };
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        match self.input.as_bytes().get(self.pos) {
            Some(&b) if b.is_ascii() => Some(b as char),
            Some(_) => self.rest().chars().next(),
            None => None,
        }
    }

    fn backup(&mut self) {
        if !self.at_eof && self.pos > 0 {
            let c = match self.input.as_bytes()[self.pos - 1] {
                b if b.is_ascii() => b as char,
                _ => match self.input[..self.pos].chars().next_back() {
                    Some(c) => c,
                    None => return,
                },
            };
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    /// Newlines in `input[from..to]`, for the line count of skipped text.
    fn newlines(&self, from: usize, to: usize) -> usize {
        memchr::memchr_iter(b'\n', &self.input.as_bytes()[from..to]).count()
    }

    fn this_item(&mut self, typ: ItemType) -> Item<'s> {
        let item = Item {
            typ,
            pos: self.start,
            val: &self.input[self.start..self.pos],
            line: self.start_line,
        };
        self.start = self.pos;
        self.start_line = self.line;
        item
    }

    fn emit(&mut self, typ: ItemType) -> Step<'s> {
        Step::Emit(self.this_item(typ))
    }

    fn ignore(&mut self) {
        self.line += self.newlines(self.start, self.pos);
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while matches!(self.next(), Some(c) if valid.contains(c)) {}
        self.backup();
    }

    /// An error token ends the scan: the input is dropped so EOF follows.
    fn error(&mut self, msg: String) -> Step<'s> {
        let item = Item {
            typ: ItemType::Error,
            pos: self.start,
            val: "",
            line: self.start_line,
        };
        self.error = msg;
        self.start = 0;
        self.pos = 0;
        self.input = &self.input[..0];
        Step::Emit(item)
    }

    fn lex_text(&mut self) -> Step<'s> {
        if let Some(x) = LEFT_DELIM_FINDER.find(self.rest().as_bytes()) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT_DELIM.len();
                let trim = if has_left_trim_marker(&self.input[delim_end..]) {
                    right_trim_length(&self.input[self.start..self.pos])
                } else {
                    0
                };
                self.pos -= trim;
                self.line += self.newlines(self.start, self.pos);
                let item = self.this_item(ItemType::Text);
                self.pos += trim;
                self.ignore();
                if !item.val.is_empty() {
                    return Step::Emit(item);
                }
            }
            return Step::Go(State::LeftDelim);
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += self.newlines(self.start, self.pos);
            return self.emit(ItemType::Text);
        }
        self.emit(ItemType::Eof)
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM) {
            return (true, true);
        }
        (rest.starts_with(RIGHT_DELIM), false)
    }

    fn lex_left_delim(&mut self) -> Step<'s> {
        self.pos += LEFT_DELIM.len();
        let trim = has_left_trim_marker(self.rest());
        let after_marker = if trim { TRIM_MARKER_LEN } else { 0 };
        if self.input[self.pos + after_marker..].starts_with(LEFT_COMMENT) {
            self.pos += after_marker;
            self.ignore();
            return Step::Go(State::Comment);
        }
        let item = self.this_item(ItemType::LeftDelim);
        self.inside_action = true;
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        Step::Emit(item)
    }

    fn lex_comment(&mut self) -> Step<'s> {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = RIGHT_COMMENT_FINDER.find(self.rest().as_bytes()) else {
            return self.error("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        self.line += self.newlines(self.start, self.pos);
        // Comments are dropped (Go emits them only in ParseComments mode).
        self.start = self.pos;
        self.start_line = self.line;
        if trim {
            self.pos += TRIM_MARKER_LEN;
        }
        self.pos += RIGHT_DELIM.len();
        if trim {
            self.pos += left_trim_length(self.rest());
        }
        self.ignore();
        Step::Go(State::Text)
    }

    fn lex_right_delim(&mut self) -> Step<'s> {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += TRIM_MARKER_LEN;
            self.ignore();
        }
        self.pos += RIGHT_DELIM.len();
        let item = self.this_item(ItemType::RightDelim);
        if trim {
            self.pos += left_trim_length(self.rest());
            self.ignore();
        }
        self.inside_action = false;
        Step::Emit(item)
    }

    fn lex_inside_action(&mut self) -> Step<'s> {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return Step::Go(State::RightDelim);
            }
            return self.error("unclosed left paren".into());
        }
        let Some(r) = self.next() else {
            return self.error("unclosed action".into());
        };
        match r {
            _ if is_space(r) => {
                self.backup();
                Step::Go(State::Space)
            }
            '=' => self.emit(ItemType::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.error("expected :=".into());
                }
                self.emit(ItemType::Declare)
            }
            '|' => self.emit(ItemType::Pipe),
            '"' => Step::Go(State::Quote),
            '`' => Step::Go(State::RawQuote),
            '$' => Step::Go(State::Variable),
            '\'' => Step::Go(State::Char),
            '.' if !self.rest().is_empty()
                && !self.rest().starts_with(|c: char| c.is_ascii_digit()) =>
            {
                Step::Go(State::Field)
            }
            '.' | '+' | '-' | '0'..='9' => {
                self.backup();
                Step::Go(State::Number)
            }
            _ if is_alphanumeric(r) => {
                self.backup();
                Step::Go(State::Identifier)
            }
            '(' => {
                self.paren_depth += 1;
                self.emit(ItemType::LeftParen)
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.error("unexpected right paren".into());
                }
                self.emit(ItemType::RightParen)
            }
            _ if r.is_ascii() && is_print(r) => self.emit(ItemType::Char),
            _ => self.error(format!("unrecognized character in action: {}", sharp_u(r))),
        }
    }

    fn lex_space(&mut self) -> Step<'s> {
        let mut num_spaces = 0;
        while self.peek().is_some_and(is_space) {
            self.next();
            num_spaces += 1;
        }
        // A space that begins " -}}" belongs to the delimiter.
        let before = &self.input[self.pos - 1..];
        if has_right_trim_marker(before) && before[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM) {
            self.backup();
            if num_spaces == 1 {
                return Step::Go(State::RightDelim);
            }
        }
        self.emit(ItemType::Space)
    }

    fn lex_identifier(&mut self) -> Step<'s> {
        let r = self.skip_alphanumeric();
        let word = &self.input[self.start..self.pos];
        if !self.at_terminator() {
            return self.error(format!("bad character {}", sharp_u_opt(r)));
        }
        let typ = match keyword(word) {
            Some(ItemType::Break) if !self.break_ok => ItemType::Identifier,
            Some(ItemType::Continue) if !self.continue_ok => ItemType::Identifier,
            Some(k) => k,
            None if word.starts_with('.') => ItemType::Field,
            None if word == "true" || word == "false" => ItemType::Bool,
            None => ItemType::Identifier,
        };
        self.emit(typ)
    }

    /// Go's loop of `next` over letters, digits and `_`, then `backup`: skips
    /// them and returns the rune after (`None` at the end of the input).
    fn skip_alphanumeric(&mut self) -> Option<char> {
        loop {
            match self.input.as_bytes().get(self.pos) {
                Some(&b) if b.is_ascii_alphanumeric() || b == b'_' => self.pos += 1,
                Some(&b) if b.is_ascii() => return Some(b as char),
                Some(_) => match self.peek() {
                    Some(r) if is_alphanumeric(r) => self.pos += r.len_utf8(),
                    r => return r,
                },
                None => {
                    self.at_eof = true;
                    return None;
                }
            }
        }
    }

    fn lex_variable(&mut self) -> Step<'s> {
        if self.at_terminator() {
            return self.emit(ItemType::Variable);
        }
        self.lex_field_or_variable(ItemType::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: ItemType) -> Step<'s> {
        if self.at_terminator() {
            return self.emit(if typ == ItemType::Variable {
                ItemType::Variable
            } else {
                ItemType::Dot
            });
        }
        let r = self.skip_alphanumeric();
        if !self.at_terminator() {
            return self.error(format!("bad character {}", sharp_u_opt(r)));
        }
        self.emit(typ)
    }

    fn at_terminator(&mut self) -> bool {
        match self.peek() {
            None => true,
            Some(r) if is_space(r) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with(RIGHT_DELIM),
        }
    }

    fn lex_char(&mut self) -> Step<'s> {
        loop {
            match self.next() {
                Some('\\') => {
                    if matches!(self.next(), None | Some('\n')) {
                        return self.error("unterminated character constant".into());
                    }
                }
                None | Some('\n') => {
                    return self.error("unterminated character constant".into());
                }
                Some('\'') => return self.emit(ItemType::CharConstant),
                Some(_) => {}
            }
        }
    }

    fn lex_number(&mut self) -> Step<'s> {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            return self.error(format!("bad number syntax: {}", super::gofmt::quote(&text)));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                return self.error(format!("bad number syntax: {}", super::gofmt::quote(&text)));
            }
            return self.emit(ItemType::Complex);
        }
        self.emit(ItemType::Number)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alphanumeric) {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Step<'s> {
        loop {
            // Only a backslash, a newline or the closing quote matter.
            let rest = self.rest().as_bytes();
            let Some(i) = memchr::memchr3(b'\\', b'\n', b'"', rest) else {
                return self.error("unterminated quoted string".into());
            };
            self.pos += i + 1;
            match rest[i] {
                b'"' => return self.emit(ItemType::String),
                b'\\' if !matches!(self.next(), None | Some('\n')) => {}
                _ => return self.error("unterminated quoted string".into()),
            }
        }
    }

    fn lex_raw_quote(&mut self) -> Step<'s> {
        let Some(i) = memchr::memchr(b'`', self.rest().as_bytes()) else {
            return self.error("unterminated raw quoted string".into());
        };
        self.line += self.newlines(self.pos, self.pos + i);
        self.pos += i + 1;
        self.emit(ItemType::RawString)
    }
}

fn keyword(word: &str) -> Option<ItemType> {
    Some(match word {
        "." => ItemType::Dot,
        "block" => ItemType::Block,
        "break" => ItemType::Break,
        "continue" => ItemType::Continue,
        "define" => ItemType::Define,
        "else" => ItemType::Else,
        "end" => ItemType::End,
        "if" => ItemType::If,
        "range" => ItemType::Range,
        "nil" => ItemType::Nil,
        "template" => ItemType::Template,
        "with" => ItemType::With,
        _ => return None,
    })
}

fn is_space(r: char) -> bool {
    matches!(r, ' ' | '\t' | '\r' | '\n')
}

/// Go's letters and digits (Unicode categories L and Nd) plus `_`.
pub(super) fn is_alphanumeric(r: char) -> bool {
    r == '_'
        || r.is_ascii_alphanumeric()
        || (!r.is_ascii()
            && (in_table(unicode_tables::LETTER, r) || in_table(unicode_tables::DIGIT, r)))
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn right_trim_length(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_length(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

/// Go's `%#U`: `U+0021 '!'`.
fn sharp_u(r: char) -> String {
    if is_print(r) {
        format!("U+{:04X} '{r}'", r as u32)
    } else {
        format!("U+{:04X}", r as u32)
    }
}

/// `%#U` of a rune that may be EOF (Go's -1 prints as `U+FFFFFFFFFFFFFFFF`).
fn sharp_u_opt(r: Option<char>) -> String {
    r.map_or_else(|| "U+FFFFFFFFFFFFFFFF".into(), sharp_u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(ItemType, String)> {
        let mut l = Lexer::new(src);
        let mut out = vec![];
        loop {
            let i = l.next_item();
            let done = matches!(i.typ, ItemType::Eof | ItemType::Error);
            let val = if i.typ == ItemType::Error {
                l.error_message()
            } else {
                i.val
            };
            out.push((i.typ, val.to_string()));
            if done {
                return out;
            }
        }
    }

    #[test]
    fn text_and_actions() {
        use ItemType::*;
        let got = kinds("a {{ .x | f $y }}b");
        let want: Vec<(ItemType, &str)> = vec![
            (Text, "a "),
            (LeftDelim, "{{"),
            (Space, " "),
            (Field, ".x"),
            (Space, " "),
            (Pipe, "|"),
            (Space, " "),
            (Identifier, "f"),
            (Space, " "),
            (Variable, "$y"),
            (Space, " "),
            (RightDelim, "}}"),
            (Text, "b"),
            (Eof, ""),
        ];
        let want: Vec<_> = want.into_iter().map(|(t, v)| (t, v.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn strings_keep_escapes_and_line_counts() {
        let mut l = Lexer::new("{{ `a\nb` \"c\\\"d\" }}\n{{ e }}");
        let items: Vec<_> = std::iter::from_fn(|| {
            let i = l.next_item();
            (i.typ != ItemType::Eof).then_some((i.typ, i.val, i.line))
        })
        .collect();
        assert!(items.contains(&(ItemType::RawString, "`a\nb`", 1)));
        assert!(items.contains(&(ItemType::String, "\"c\\\"d\"", 2)));
        assert!(items.contains(&(ItemType::Identifier, "e", 3)));
    }

    #[test]
    fn trim_markers_need_a_space() {
        use ItemType::*;
        let got = kinds("a  {{- 3 -}}  b {{-3}}");
        let texts: Vec<_> = got
            .iter()
            .filter(|i| i.0 == Text)
            .map(|i| i.1.as_str())
            .collect();
        assert_eq!(texts, ["a", "b "]);
        assert!(got.contains(&(Number, "-3".into())));
    }

    #[test]
    fn numbers_in_every_go_form() {
        for n in [
            "0x1F", "0o17", "017", "0b101", "1_000", "1.5e3", "0x1p-2", ".5", "-7", "1i",
        ] {
            let got = kinds(&format!("{{{{{n}}}}}"));
            assert_eq!(got[1], (ItemType::Number, n.to_string()), "{n}");
        }
        assert_eq!(kinds("{{1+2i}}")[1].0, ItemType::Complex);
        assert_eq!(kinds("{{3x}}")[1].1, "bad number syntax: \"3x\"");
    }

    #[test]
    fn errors() {
        assert_eq!(
            kinds("{{/* x").last().map(|i| i.1.clone()),
            Some("unclosed comment".into())
        );
        assert_eq!(
            kinds("{{ \"a").last().map(|i| i.1.clone()),
            Some("unterminated quoted string".into())
        );
        assert_eq!(kinds("{{ # }}")[2], (ItemType::Char, "#".into()));
        assert_eq!(
            kinds("{{ \u{1} }}").last().map(|i| i.1.clone()),
            Some("unrecognized character in action: U+0001".into())
        );
        assert_eq!(
            kinds("{{ ) }}").last().map(|i| i.1.clone()),
            Some("unexpected right paren".into())
        );
        assert_eq!(
            kinds("{{ .a#b }}").last().map(|i| i.1.clone()),
            Some("bad character U+0023 '#'".into())
        );
    }
}
