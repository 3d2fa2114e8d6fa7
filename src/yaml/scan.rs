//! YAML text → tokens, the way libyaml's scanner (as ported in yaml.v2)
//! produces them, including its quirks and its error messages.
//!
//! yaml.v2 is what Helm reads values, `fromYaml` arguments and rendered
//! manifests with, so everything that decides whether a document is accepted
//! follows it exactly: simple keys (at most 1024 characters, on one line),
//! the indentation stack, tabs, YAML 1.1 line breaks (NEL, LS and PS are line
//! breaks too) and the order in which tokens are fetched. The order matters
//! because the parser stops after the first document: what lies beyond it is
//! only scanned as far as libyaml would have scanned it.
//!
//! Scalars borrow the input where the text is the value (plain and quoted
//! scalars on one line without escapes) and are built only when folding or
//! escapes change them.

use std::borrow::Cow;
use std::collections::VecDeque;

use super::reader::Reader;

/// A position: characters from the start, 0-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Mark {
    pub index: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum TokenKind<'a> {
    StreamStart,
    StreamEnd,
    VersionDirective {
        major: u8,
        minor: u8,
    },
    TagDirective {
        handle: String,
        prefix: String,
    },
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias(&'a str),
    Anchor(&'a str),
    /// `handle` is empty for a verbatim tag (`!<…>`).
    Tag {
        handle: String,
        suffix: String,
    },
    Scalar {
        value: Cow<'a, str>,
        style: ScalarStyle,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token<'a> {
    pub kind: TokenKind<'a>,
    pub start: Mark,
}

/// Who found a problem; yaml.v2 numbers the line differently for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    Reader,
    Scanner,
    Parser,
}

/// A problem as libyaml records it. [`YamlError::message`] words it the
/// way yaml.v2 reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct YamlError {
    pub stage: Stage,
    pub problem: String,
    pub problem_mark: Mark,
    pub context_mark: Mark,
}

impl YamlError {
    pub fn scanner(context_mark: Mark, problem: impl Into<String>, problem_mark: Mark) -> Self {
        YamlError {
            stage: Stage::Scanner,
            problem: problem.into(),
            problem_mark,
            context_mark,
        }
    }

    /// `yaml: line N: problem`: the problem's line (1-based for the
    /// scanner, 0-based for the parser, as yaml.v2 counts), else the
    /// context's; no line when both are on the first.
    pub fn message(&self) -> String {
        let line = if self.problem_mark.line != 0 {
            self.problem_mark.line + usize::from(self.stage == Stage::Scanner)
        } else {
            self.context_mark.line
        };
        if line == 0 {
            format!("yaml: {}", self.problem)
        } else {
            format!("yaml: line {line}: {}", self.problem)
        }
    }
}

type Scan<T = ()> = Result<T, YamlError>;

/// libyaml's limits on flow nesting and indentation levels.
const MAX_FLOW_LEVEL: usize = 10_000;
const MAX_INDENTS: usize = 10_000;

/// A place where a simple (implicit) key may start.
#[derive(Clone, Copy, Debug, Default)]
struct SimpleKey {
    possible: bool,
    required: bool,
    token_number: usize,
    mark: Mark,
}

pub(super) struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Byte offset of the next character.
    pos: usize,
    mark: Mark,
    reader: Reader,
    tokens: VecDeque<Token<'a>>,
    /// Tokens handed to the parser so far.
    tokens_parsed: usize,
    token_available: bool,
    stream_start_produced: bool,
    indent: isize,
    indents: Vec<isize>,
    simple_key_allowed: bool,
    /// One slot per flow level (and one for the block context).
    simple_keys: Vec<SimpleKey>,
    /// yaml.v2's `simple_keys_by_tok`: token number → slot. Entries are
    /// dropped as libyaml drops them; ones it leaves behind are pruned once
    /// the parser is past their token, when they can no longer be asked for.
    keys_by_token: Vec<(usize, usize)>,
    flow_level: usize,
}

/// An ASCII character that continues a plain scalar whatever follows it.
fn is_plain_ordinary(b: u8, flow: bool) -> bool {
    b.is_ascii()
        && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':')
        && !(flow && matches!(b, b',' | b'?' | b'[' | b']' | b'{' | b'}'))
}

/// An ASCII character that is itself in a quoted scalar's value.
fn is_quoted_ordinary(b: u8, quote: u8) -> bool {
    let escape = quote == b'"' && b == b'\\';
    b.is_ascii() && !matches!(b, b' ' | b'\t' | b'\r' | b'\n') && b != quote && !escape
}

fn is_blank_byte(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_alpha_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn utf8_width(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn hex_value(b: u8) -> u32 {
    match b {
        b'0'..=b'9' => u32::from(b - b'0'),
        b'a'..=b'f' => u32::from(b - b'a' + 10),
        _ => u32::from(b - b'A' + 10),
    }
}

impl<'a> Scanner<'a> {
    /// `text` without its byte order mark, if it had one (`skipped` bytes).
    pub fn new(text: &'a str, skipped: usize) -> Scanner<'a> {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            mark: Mark::default(),
            reader: Reader::new(text, skipped),
            tokens: VecDeque::new(),
            tokens_parsed: 0,
            token_available: false,
            stream_start_produced: false,
            indent: -1,
            indents: Vec::new(),
            simple_key_allowed: false,
            simple_keys: Vec::new(),
            keys_by_token: Vec::new(),
            flow_level: 0,
        }
    }

    // -- The parser's side ------------------------------------------------

    /// The next token, fetching as many as libyaml would to know it.
    pub fn peek(&mut self) -> Scan<&Token<'a>> {
        if !self.token_available {
            self.fetch_more_tokens()?;
        }
        Ok(&self.tokens[0])
    }

    /// Consumes the token [`Scanner::peek`] returned.
    pub fn skip_token(&mut self) -> Option<Token<'a>> {
        self.token_available = false;
        self.tokens_parsed += 1;
        self.tokens.pop_front()
    }

    // -- Characters --------------------------------------------------------

    /// The byte `k` bytes ahead, 0 past the end (libyaml's NUL).
    #[inline]
    fn at(&self, k: usize) -> u8 {
        self.bytes.get(self.pos + k).copied().unwrap_or(0)
    }

    #[inline]
    fn is_z(&self, k: usize) -> bool {
        self.pos + k >= self.bytes.len()
    }

    #[inline]
    fn is_blank(&self, k: usize) -> bool {
        is_blank_byte(self.at(k))
    }

    /// A line break starting `k` bytes ahead: CR, LF, NEL, LS or PS.
    #[inline]
    fn is_break(&self, k: usize) -> bool {
        match self.at(k) {
            b'\r' | b'\n' => true,
            0xc2 => self.at(k + 1) == 0x85,
            0xe2 => self.at(k + 1) == 0x80 && matches!(self.at(k + 2), 0xa8 | 0xa9),
            _ => false,
        }
    }

    #[inline]
    fn is_breakz(&self, k: usize) -> bool {
        self.is_z(k) || self.is_break(k)
    }

    #[inline]
    fn is_blankz(&self, k: usize) -> bool {
        self.is_blank(k) || self.is_breakz(k)
    }

    /// Makes sure `n` characters are available, as libyaml's reader does;
    /// that is where a control character further on is noticed.
    #[inline]
    fn cache(&mut self, n: usize) -> Scan {
        self.reader.cache(self.text, self.pos, self.mark.index, n)
    }

    /// The length of the run of bytes from here that `accept` takes, where
    /// the reader cannot fail; else 0, and the caller goes character by
    /// character so that the reader sees every request.
    #[inline]
    fn run(&self, accept: impl Fn(u8) -> bool) -> usize {
        if !self.reader.is_clean() {
            return 0;
        }
        self.bytes[self.pos..]
            .iter()
            .position(|&b| !accept(b))
            .unwrap_or(self.bytes.len() - self.pos)
    }

    /// Moves past `len` bytes of text on the current line.
    #[inline]
    fn advance(&mut self, len: usize) {
        let run = &self.bytes[self.pos..self.pos + len];
        // Characters, not bytes: UTF-8 continuation bytes do not count.
        let chars = run.iter().filter(|&&b| b & 0xc0 != 0x80).count();
        self.pos += len;
        self.mark.index += chars;
        self.mark.column += chars;
    }

    /// Moves past the rest of the line (before its break or the end).
    fn skip_to_line_end(&mut self) -> Scan {
        // The first byte of every line break but CR and LF is 0xC2 or 0xE2.
        let len = self.run(|b| !matches!(b, b'\n' | b'\r' | 0xc2 | 0xe2));
        self.advance(len);
        while !self.is_breakz(0) {
            self.skip();
            self.cache(1)?;
        }
        Ok(())
    }

    /// Moves past one character (past the end, libyaml steps over the NUL
    /// it pads its buffer with).
    #[inline]
    fn skip(&mut self) {
        if !self.is_z(0) {
            self.pos += utf8_width(self.at(0));
        }
        self.mark.index += 1;
        self.mark.column += 1;
    }

    /// Moves past a line break (CR LF counts as one).
    fn skip_line(&mut self) {
        if self.at(0) == b'\r' && self.at(1) == b'\n' {
            self.pos += 2;
            self.mark.index += 2;
        } else if self.is_break(0) {
            self.pos += utf8_width(self.at(0));
            self.mark.index += 1;
        } else {
            return;
        }
        self.mark.column = 0;
        self.mark.line += 1;
    }

    /// Copies a line break into `out` as libyaml normalises it (CR, LF,
    /// CR LF and NEL become LF; LS and PS stay) and moves past it.
    fn read_line(&mut self, out: &mut String) {
        match self.at(0) {
            b'\r' if self.at(1) == b'\n' => {
                out.push('\n');
                self.pos += 2;
                self.mark.index += 2;
            }
            b'\r' | b'\n' => {
                out.push('\n');
                self.pos += 1;
                self.mark.index += 1;
            }
            0xc2 if self.at(1) == 0x85 => {
                out.push('\n');
                self.pos += 2;
                self.mark.index += 1;
            }
            0xe2 if self.is_break(0) => {
                out.push_str(&self.text[self.pos..self.pos + 3]);
                self.pos += 3;
                self.mark.index += 1;
            }
            _ => return,
        }
        self.mark.column = 0;
        self.mark.line += 1;
    }

    fn error<T>(&self, context_mark: Mark, problem: &str) -> Scan<T> {
        Err(YamlError::scanner(context_mark, problem, self.mark))
    }

    // -- The token queue ---------------------------------------------------

    fn fetch_more_tokens(&mut self) -> Scan {
        loop {
            if !self.tokens.is_empty() {
                // Fetch on while the head token may still become a key.
                let slot = self.slot_of_token(self.tokens_parsed);
                match slot {
                    None => break,
                    Some(slot) if !self.simple_key_is_valid(slot)? => break,
                    Some(_) => {}
                }
            }
            self.fetch_next_token()?;
        }
        self.token_available = true;
        Ok(())
    }

    fn slot_of_token(&mut self, token_number: usize) -> Option<usize> {
        let parsed = self.tokens_parsed;
        self.keys_by_token.retain(|&(number, _)| number >= parsed);
        self.keys_by_token
            .iter()
            .find(|(number, _)| *number == token_number)
            .map(|&(_, slot)| slot)
    }

    fn forget_token(&mut self, token_number: usize) {
        self.keys_by_token
            .retain(|(number, _)| *number != token_number);
    }

    /// Queues `token`; `at` places it that many tokens after the head
    /// instead of at the end (for keys found late). A key whose tokens the
    /// parser has already taken has no place left: like libyaml, it goes at
    /// the end (`at` is `None`).
    fn insert_token(&mut self, at: Option<usize>, kind: TokenKind<'a>, start: Mark) {
        let token = Token { kind, start };
        match at {
            Some(at) => self.tokens.insert(at, token),
            None => self.tokens.push_back(token),
        }
    }

    fn push_token(&mut self, kind: TokenKind<'a>, start: Mark) {
        self.insert_token(None, kind, start);
    }

    fn fetch_next_token(&mut self) -> Scan {
        self.cache(1)?;
        if !self.stream_start_produced {
            self.fetch_stream_start();
            return Ok(());
        }
        self.scan_to_next_token()?;
        self.unroll_indent(self.mark.column as isize);
        self.cache(4)?;
        if self.is_z(0) {
            return self.fetch_stream_end();
        }
        let column0 = self.mark.column == 0;
        let c = self.at(0);
        if column0 && c == b'%' {
            return self.fetch_directive();
        }
        if column0 && self.at_document_indicator(b'-') {
            return self.fetch_document_indicator(TokenKind::DocumentStart);
        }
        if column0 && self.at_document_indicator(b'.') {
            return self.fetch_document_indicator(TokenKind::DocumentEnd);
        }
        let flow = self.flow_level > 0;
        match c {
            b'[' => return self.fetch_flow_collection_start(TokenKind::FlowSequenceStart),
            b'{' => return self.fetch_flow_collection_start(TokenKind::FlowMappingStart),
            b']' => return self.fetch_flow_collection_end(TokenKind::FlowSequenceEnd),
            b'}' => return self.fetch_flow_collection_end(TokenKind::FlowMappingEnd),
            b',' => return self.fetch_flow_entry(),
            b'-' if self.is_blankz(1) => return self.fetch_block_entry(),
            b'?' if flow || self.is_blankz(1) => return self.fetch_key(),
            b':' if flow || self.is_blankz(1) => return self.fetch_value(),
            b'*' => return self.fetch_possible_key(|s| s.scan_anchor(true)),
            b'&' => return self.fetch_possible_key(|s| s.scan_anchor(false)),
            b'!' => return self.fetch_possible_key(Self::scan_tag),
            b'|' if !flow => return self.fetch_block_scalar(true),
            b'>' if !flow => return self.fetch_block_scalar(false),
            b'\'' => return self.fetch_possible_key(|s| s.scan_flow_scalar(true)),
            b'"' => return self.fetch_possible_key(|s| s.scan_flow_scalar(false)),
            _ => {}
        }
        let indicator = matches!(
            c,
            b'-' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        );
        if !(self.is_blankz(0) || indicator)
            || (c == b'-' && !self.is_blank(1))
            || (!flow && matches!(c, b'?' | b':') && !self.is_blankz(1))
        {
            return self.fetch_possible_key(Self::scan_plain_scalar);
        }
        self.error(self.mark, "found character that cannot start any token")
    }

    /// `---` or `...` followed by a blank or the end.
    fn at_document_indicator(&self, c: u8) -> bool {
        self.at(0) == c && self.at(1) == c && self.at(2) == c && self.is_blankz(3)
    }

    // -- Simple keys -------------------------------------------------------

    /// Whether the key in `slot` can still be a key here: one line, at most
    /// 1024 characters. A required key that cannot is an error.
    fn simple_key_is_valid(&mut self, slot: usize) -> Scan<bool> {
        let key = self.simple_keys[slot];
        if !key.possible {
            return Ok(false);
        }
        if key.mark.line < self.mark.line || key.mark.index + 1024 < self.mark.index {
            if key.required {
                return self.error(key.mark, "could not find expected ':'");
            }
            self.simple_keys[slot].possible = false;
            return Ok(false);
        }
        Ok(true)
    }

    fn save_simple_key(&mut self) -> Scan {
        let required = self.flow_level == 0 && self.indent == self.mark.column as isize;
        if self.simple_key_allowed {
            let key = SimpleKey {
                possible: true,
                required,
                token_number: self.tokens_parsed + self.tokens.len(),
                mark: self.mark,
            };
            self.remove_simple_key()?;
            let slot = self.simple_keys.len() - 1;
            self.simple_keys[slot] = key;
            self.forget_token(key.token_number);
            self.keys_by_token.push((key.token_number, slot));
        }
        Ok(())
    }

    fn remove_simple_key(&mut self) -> Scan {
        let slot = self.simple_keys.len() - 1;
        let key = self.simple_keys[slot];
        if key.possible {
            if key.required {
                return self.error(key.mark, "could not find expected ':'");
            }
            self.simple_keys[slot].possible = false;
            self.forget_token(key.token_number);
        }
        Ok(())
    }

    fn increase_flow_level(&mut self) -> Scan {
        self.simple_keys.push(SimpleKey {
            token_number: self.tokens_parsed + self.tokens.len(),
            mark: self.mark,
            ..SimpleKey::default()
        });
        self.flow_level += 1;
        if self.flow_level > MAX_FLOW_LEVEL {
            let mark = self.simple_keys[self.simple_keys.len() - 1].mark;
            return self.error(mark, &format!("exceeded max depth of {MAX_FLOW_LEVEL}"));
        }
        Ok(())
    }

    fn decrease_flow_level(&mut self) {
        if self.flow_level > 0 {
            self.flow_level -= 1;
            if let Some(key) = self.simple_keys.pop() {
                self.forget_token(key.token_number);
            }
        }
    }

    // -- Indentation -------------------------------------------------------

    /// Opens a block collection at `column` if it is deeper than the current
    /// indentation; `number` is the token number to insert its start before.
    fn roll_indent(
        &mut self,
        column: usize,
        number: Option<usize>,
        kind: TokenKind<'a>,
        mark: Mark,
    ) -> Scan {
        if self.flow_level > 0 || self.indent >= column as isize {
            return Ok(());
        }
        self.indents.push(self.indent);
        self.indent = column as isize;
        if self.indents.len() > MAX_INDENTS {
            let key_mark = self.simple_keys[self.simple_keys.len() - 1].mark;
            return self.error(key_mark, &format!("exceeded max depth of {MAX_INDENTS}"));
        }
        let at = number.and_then(|n| n.checked_sub(self.tokens_parsed));
        self.insert_token(at, kind, mark);
        Ok(())
    }

    /// Closes block collections indented deeper than `column`.
    fn unroll_indent(&mut self, column: isize) {
        if self.flow_level > 0 {
            return;
        }
        while self.indent > column {
            self.push_token(TokenKind::BlockEnd, self.mark);
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    // -- Fetchers ----------------------------------------------------------

    fn fetch_stream_start(&mut self) {
        self.indent = -1;
        self.simple_keys.push(SimpleKey::default());
        self.simple_key_allowed = true;
        self.stream_start_produced = true;
        self.push_token(TokenKind::StreamStart, self.mark);
    }

    fn fetch_stream_end(&mut self) -> Scan {
        // Force a new line.
        if self.mark.column != 0 {
            self.mark.column = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.push_token(TokenKind::StreamEnd, self.mark);
        Ok(())
    }

    fn fetch_directive(&mut self) -> Scan {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_directive()?;
        self.tokens.push_back(token);
        Ok(())
    }

    fn fetch_document_indicator(&mut self, kind: TokenKind<'a>) -> Scan {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        self.push_token(kind, start);
        Ok(())
    }

    fn fetch_flow_collection_start(&mut self, kind: TokenKind<'a>) -> Scan {
        self.save_simple_key()?;
        self.increase_flow_level()?;
        self.simple_key_allowed = true;
        self.push_single(kind);
        Ok(())
    }

    fn fetch_flow_collection_end(&mut self, kind: TokenKind<'a>) -> Scan {
        self.remove_simple_key()?;
        self.decrease_flow_level();
        self.simple_key_allowed = false;
        self.push_single(kind);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Scan {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        self.push_single(TokenKind::FlowEntry);
        Ok(())
    }

    /// In block context, an indicator here may open a block collection at
    /// its column; where no key could start, `problem` is the error.
    fn open_block_collection_here(&mut self, kind: TokenKind<'a>, problem: &str) -> Scan {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return self.error(self.mark, problem);
            }
            self.roll_indent(self.mark.column, None, kind, self.mark)?;
        }
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Scan {
        self.open_block_collection_here(
            TokenKind::BlockSequenceStart,
            "block sequence entries are not allowed in this context",
        )?;
        // In a flow collection the parser reports the misplaced '-'.
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        self.push_single(TokenKind::BlockEntry);
        Ok(())
    }

    fn fetch_key(&mut self) -> Scan {
        self.open_block_collection_here(
            TokenKind::BlockMappingStart,
            "mapping keys are not allowed in this context",
        )?;
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        self.push_single(TokenKind::Key);
        Ok(())
    }

    fn fetch_value(&mut self) -> Scan {
        let slot = self.simple_keys.len() - 1;
        if self.simple_key_is_valid(slot)? {
            // The ':' ends a simple key: put a KEY token before it.
            let key = self.simple_keys[slot];
            let at = key.token_number.checked_sub(self.tokens_parsed);
            self.insert_token(at, TokenKind::Key, key.mark);
            self.roll_indent(
                key.mark.column,
                Some(key.token_number),
                TokenKind::BlockMappingStart,
                key.mark,
            )?;
            self.simple_keys[slot].possible = false;
            self.forget_token(key.token_number);
            self.simple_key_allowed = false;
        } else {
            // The ':' follows a complex key ('?').
            self.open_block_collection_here(
                TokenKind::BlockMappingStart,
                "mapping values are not allowed in this context",
            )?;
            self.simple_key_allowed = self.flow_level == 0;
        }
        self.push_single(TokenKind::Value);
        Ok(())
    }

    /// Queues a one-character token and moves past it.
    fn push_single(&mut self, kind: TokenKind<'a>) {
        let start = self.mark;
        self.skip();
        self.push_token(kind, start);
    }

    fn fetch_block_scalar(&mut self, literal: bool) -> Scan {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let token = self.scan_block_scalar(literal)?;
        self.tokens.push_back(token);
        Ok(())
    }

    /// Anchors, aliases, tags, flow and plain scalars: each may start a
    /// simple key, and no other key can start right after it.
    fn fetch_possible_key(&mut self, scan: impl FnOnce(&mut Self) -> Scan<Token<'a>>) -> Scan {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = scan(self)?;
        self.tokens.push_back(token);
        Ok(())
    }

    // -- Scanners ----------------------------------------------------------

    /// Skips blanks, comments and line breaks up to the next token.
    fn scan_to_next_token(&mut self) -> Scan {
        loop {
            self.cache(1)?;
            if self.mark.column == 0 && self.reader.buffer_starts_with_bom(self.text) {
                // libyaml checks its buffer's start, not the position.
                self.skip();
            }
            self.cache(1)?;
            // Tabs separate tokens in flow collections and after a token on
            // a line, never as indentation.
            let tabs = self.flow_level > 0 || !self.simple_key_allowed;
            let blanks = self.run(|b| b == b' ' || (tabs && b == b'\t'));
            self.advance(blanks);
            while self.at(0) == b' ' || (tabs && self.at(0) == b'\t') {
                self.skip();
                self.cache(1)?;
            }
            if self.at(0) == b'#' {
                self.skip_to_line_end()?;
            }
            if !self.is_break(0) {
                return Ok(());
            }
            self.cache(2)?;
            self.skip_line();
            if self.flow_level == 0 {
                self.simple_key_allowed = true;
            }
        }
    }

    /// Skips blanks, then a comment, to the end of the line.
    fn skip_blanks_and_comment(&mut self) -> Scan {
        self.skip_blanks()?;
        if self.at(0) == b'#' {
            self.skip_to_line_end()?;
        }
        Ok(())
    }

    fn scan_directive(&mut self) -> Scan<Token<'a>> {
        let start = self.mark;
        self.skip();
        let name = self.scan_directive_name(start)?;
        let kind = match name {
            "YAML" => {
                let (major, minor) = self.scan_version_directive_value(start)?;
                TokenKind::VersionDirective { major, minor }
            }
            "TAG" => {
                let (handle, prefix) = self.scan_tag_directive_value(start)?;
                TokenKind::TagDirective { handle, prefix }
            }
            _ => return self.error(start, "found unknown directive name"),
        };
        self.skip_blanks_and_comment()?;
        if !self.is_breakz(0) {
            return self.error(start, "did not find expected comment or line break");
        }
        if self.is_break(0) {
            self.cache(2)?;
            self.skip_line();
        }
        Ok(Token { kind, start })
    }

    fn scan_directive_name(&mut self, start: Mark) -> Scan<&'a str> {
        self.cache(1)?;
        let from = self.pos;
        while is_alpha_byte(self.at(0)) {
            self.skip();
            self.cache(1)?;
        }
        if from == self.pos {
            return self.error(start, "could not find expected directive name");
        }
        if !self.is_blankz(0) {
            return self.error(start, "found unexpected non-alphabetical character");
        }
        Ok(&self.text[from..self.pos])
    }

    fn skip_blanks(&mut self) -> Scan {
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        Ok(())
    }

    fn scan_version_directive_value(&mut self, start: Mark) -> Scan<(u8, u8)> {
        self.skip_blanks()?;
        let major = self.scan_version_directive_number(start)?;
        if self.at(0) != b'.' {
            return self.error(start, "did not find expected digit or '.' character");
        }
        self.skip();
        let minor = self.scan_version_directive_number(start)?;
        Ok((major, minor))
    }

    fn scan_version_directive_number(&mut self, start: Mark) -> Scan<u8> {
        self.cache(1)?;
        let (mut value, mut length) = (0u8, 0);
        while self.at(0).is_ascii_digit() {
            length += 1;
            if length > 2 {
                return self.error(start, "found extremely long version number");
            }
            value = value * 10 + (self.at(0) - b'0');
            self.skip();
            self.cache(1)?;
        }
        if length == 0 {
            return self.error(start, "did not find expected version number");
        }
        Ok(value)
    }

    fn scan_tag_directive_value(&mut self, start: Mark) -> Scan<(String, String)> {
        self.skip_blanks()?;
        let handle = self.scan_tag_handle(true, start)?;
        self.cache(1)?;
        if !self.is_blank(0) {
            return self.error(start, "did not find expected whitespace");
        }
        self.skip_blanks()?;
        let prefix = self.scan_tag_uri(None, start)?;
        self.cache(1)?;
        if !self.is_blankz(0) {
            return self.error(start, "did not find expected whitespace or line break");
        }
        Ok((handle, prefix))
    }

    fn scan_anchor(&mut self, alias: bool) -> Scan<Token<'a>> {
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        let from = self.pos;
        while is_alpha_byte(self.at(0)) {
            self.skip();
            self.cache(1)?;
        }
        let name = &self.text[from..self.pos];
        // An anchor ends at a blank or at one of ? : , ] } % @ `.
        let ends_well = self.is_blankz(0)
            || matches!(
                self.at(0),
                b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`'
            );
        if name.is_empty() || !ends_well {
            return self.error(
                start,
                "did not find expected alphabetic or numeric character",
            );
        }
        let kind = if alias {
            TokenKind::Alias(name)
        } else {
            TokenKind::Anchor(name)
        };
        Ok(Token { kind, start })
    }

    fn scan_tag(&mut self) -> Scan<Token<'a>> {
        let start = self.mark;
        self.cache(2)?;
        let (handle, suffix) = if self.at(1) == b'<' {
            // Verbatim: `!<uri>`.
            self.skip();
            self.skip();
            let suffix = self.scan_tag_uri(None, start)?;
            if self.at(0) != b'>' {
                return self.error(start, "did not find the expected '>'");
            }
            self.skip();
            (String::new(), suffix)
        } else {
            let handle = self.scan_tag_handle(false, start)?;
            if handle.len() > 1 && handle.ends_with('!') {
                let suffix = self.scan_tag_uri(None, start)?;
                (handle, suffix)
            } else {
                // Not a handle after all: `!suffix`, or the `!` tag alone.
                let suffix = self.scan_tag_uri(Some(&handle), start)?;
                if suffix.is_empty() {
                    (String::new(), "!".to_string())
                } else {
                    ("!".to_string(), suffix)
                }
            }
        };
        self.cache(1)?;
        if !self.is_blankz(0) {
            return self.error(start, "did not find expected whitespace or line break");
        }
        Ok(Token {
            kind: TokenKind::Tag { handle, suffix },
            start,
        })
    }

    /// `!`, `!!` or `!name!` (a `%TAG` directive's handle must be one).
    fn scan_tag_handle(&mut self, directive: bool, start: Mark) -> Scan<String> {
        self.cache(1)?;
        if self.at(0) != b'!' {
            return self.error(start, "did not find expected '!'");
        }
        let from = self.pos;
        self.skip();
        self.cache(1)?;
        while is_alpha_byte(self.at(0)) {
            self.skip();
            self.cache(1)?;
        }
        if self.at(0) == b'!' {
            self.skip();
        } else if directive && self.pos - from != 1 {
            return self.error(start, "did not find expected '!'");
        }
        Ok(self.text[from..self.pos].to_string())
    }

    /// A tag's URI; `head` is a would-be handle that turned out to start it
    /// (its leading `!` is not part of the URI).
    fn scan_tag_uri(&mut self, head: Option<&str>, start: Mark) -> Scan<String> {
        let mut has_tag = head.is_some();
        let mut uri: Vec<u8> = head.map_or_else(Vec::new, |h| h.as_bytes()[1..].to_vec());
        self.cache(1)?;
        loop {
            let c = self.at(0);
            let allowed = is_alpha_byte(c)
                || matches!(
                    c,
                    b';' | b'/'
                        | b'?'
                        | b':'
                        | b'@'
                        | b'&'
                        | b'='
                        | b'+'
                        | b'$'
                        | b','
                        | b'.'
                        | b'!'
                        | b'~'
                        | b'*'
                        | b'\''
                        | b'('
                        | b')'
                        | b'['
                        | b']'
                        | b'%'
                );
            if !allowed {
                break;
            }
            if c == b'%' {
                self.scan_uri_escapes(start, &mut uri)?;
            } else {
                uri.push(c);
                self.skip();
            }
            self.cache(1)?;
            has_tag = true;
        }
        if !has_tag {
            return self.error(start, "did not find expected tag URI");
        }
        // Escapes may spell broken UTF-8; Go keeps the bytes, we cannot.
        Ok(String::from_utf8(uri)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// `%XX` escapes spelling one UTF-8 character.
    fn scan_uri_escapes(&mut self, start: Mark, out: &mut Vec<u8>) -> Scan {
        let mut remaining = None;
        while remaining != Some(0) {
            self.cache(3)?;
            if !(self.at(0) == b'%'
                && self.at(1).is_ascii_hexdigit()
                && self.at(2).is_ascii_hexdigit())
            {
                return self.error(start, "did not find URI escaped octet");
            }
            let octet = (hex_value(self.at(1)) << 4 | hex_value(self.at(2))) as u8;
            match remaining {
                None => {
                    let width = match octet {
                        0x00..=0x7f => 1,
                        _ if octet & 0xe0 == 0xc0 => 2,
                        _ if octet & 0xf0 == 0xe0 => 3,
                        _ if octet & 0xf8 == 0xf0 => 4,
                        _ => return self.error(start, "found an incorrect leading UTF-8 octet"),
                    };
                    remaining = Some(width);
                }
                Some(_) if octet & 0xc0 != 0x80 => {
                    return self.error(start, "found an incorrect trailing UTF-8 octet");
                }
                Some(_) => {}
            }
            out.push(octet);
            self.skip();
            self.skip();
            self.skip();
            remaining = remaining.map(|n| n - 1);
        }
        Ok(())
    }

    fn scan_block_scalar(&mut self, literal: bool) -> Scan<Token<'a>> {
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        // Chomping (+/-) and indentation (1-9) indicators, in either order.
        let mut chomping = Chomping::Clip;
        let mut increment = 0usize;
        if let Some(c) = Chomping::of(self.at(0)) {
            chomping = c;
            self.skip();
            self.cache(1)?;
            if self.at(0).is_ascii_digit() {
                increment = self.scan_indentation_indicator(start)?;
            }
        } else if self.at(0).is_ascii_digit() {
            increment = self.scan_indentation_indicator(start)?;
            self.cache(1)?;
            if let Some(c) = Chomping::of(self.at(0)) {
                chomping = c;
                self.skip();
            }
        }
        self.skip_blanks_and_comment()?;
        if !self.is_breakz(0) {
            return self.error(start, "did not find expected comment or line break");
        }
        if self.is_break(0) {
            self.cache(2)?;
            self.skip_line();
        }
        let mut indent = match increment {
            0 => 0,
            n if self.indent >= 0 => self.indent as usize + n,
            n => n,
        };
        let mut value = String::new();
        let mut leading_break = String::new();
        let mut trailing_breaks = String::new();
        self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start)?;
        self.cache(1)?;
        let mut leading_blank = false;
        while self.mark.column == indent && !self.is_z(0) {
            // At the start of a non-empty line.
            let trailing_blank = self.is_blank(0);
            if !literal && !leading_blank && !trailing_blank && leading_break.starts_with('\n') {
                // Fold the line break into a space.
                if trailing_breaks.is_empty() {
                    value.push(' ');
                }
            } else {
                value.push_str(&leading_break);
            }
            leading_break.clear();
            value.push_str(&trailing_breaks);
            trailing_breaks.clear();
            leading_blank = self.is_blank(0);
            let line_start = self.pos;
            self.skip_to_line_end()?;
            value.push_str(&self.text[line_start..self.pos]);
            self.cache(2)?;
            self.read_line(&mut leading_break);
            self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start)?;
        }
        if chomping != Chomping::Strip {
            value.push_str(&leading_break);
        }
        if chomping == Chomping::Keep {
            value.push_str(&trailing_breaks);
        }
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        Ok(Token {
            kind: TokenKind::Scalar {
                value: Cow::Owned(value),
                style,
            },
            start,
        })
    }

    fn scan_indentation_indicator(&mut self, start: Mark) -> Scan<usize> {
        if self.at(0) == b'0' {
            return self.error(start, "found an indentation indicator equal to 0");
        }
        let increment = usize::from(self.at(0) - b'0');
        self.skip();
        Ok(increment)
    }

    /// Skips indentation and empty lines of a block scalar, collecting the
    /// line breaks; settles the indentation on the first content line if
    /// no indicator gave it.
    fn scan_block_scalar_breaks(
        &mut self,
        indent: &mut usize,
        breaks: &mut String,
        start: Mark,
    ) -> Scan {
        let mut max_indent = 0;
        loop {
            self.cache(1)?;
            while (*indent == 0 || self.mark.column < *indent) && self.at(0) == b' ' {
                self.skip();
                self.cache(1)?;
            }
            max_indent = max_indent.max(self.mark.column);
            if (*indent == 0 || self.mark.column < *indent) && self.at(0) == b'\t' {
                return self.error(
                    start,
                    "found a tab character where an indentation space is expected",
                );
            }
            if !self.is_break(0) {
                break;
            }
            self.cache(2)?;
            self.read_line(breaks);
        }
        if *indent == 0 {
            *indent = max_indent.max((self.indent + 1) as usize).max(1);
        }
        Ok(())
    }

    fn scan_flow_scalar(&mut self, single: bool) -> Scan<Token<'a>> {
        let start = self.mark;
        let quote = if single { b'\'' } else { b'"' };
        self.skip();
        let mut value = Value::new(self.text, self.pos);
        let mut leading_break = String::new();
        let mut trailing_breaks = String::new();
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && (self.at_document_indicator(b'-') || self.at_document_indicator(b'.'))
            {
                return self.error(start, "found unexpected document indicator");
            }
            if self.is_z(0) {
                return self.error(start, "found unexpected end of stream");
            }
            let mut leading_blanks = false;
            while !self.is_blankz(0) {
                let len = self.run(|b| is_quoted_ordinary(b, quote));
                if len > 0 {
                    self.advance(len);
                    value.extend_to(self.pos);
                    continue;
                }
                let c = self.at(0);
                if single && c == b'\'' && self.at(1) == b'\'' {
                    // An escaped single quote.
                    value.own().push('\'');
                    self.skip();
                    self.skip();
                    value.restart(self.pos);
                } else if c == quote {
                    break;
                } else if !single && c == b'\\' && self.is_break(1) {
                    // An escaped line break: the words join without a space.
                    value.own();
                    self.cache(3)?;
                    self.skip();
                    self.skip_line();
                    leading_blanks = true;
                    break;
                } else if !single && c == b'\\' {
                    self.scan_escape(start, value.own())?;
                    value.restart(self.pos);
                } else {
                    self.skip();
                    value.extend_to(self.pos);
                }
                self.cache(2)?;
            }
            self.cache(1)?;
            if self.at(0) == quote {
                break;
            }
            leading_blanks = self.skip_scalar_blanks(
                leading_blanks,
                &mut leading_break,
                &mut trailing_breaks,
                None,
            )?;
            if leading_blanks {
                fold_breaks(value.own(), &leading_break, &trailing_breaks);
                leading_break.clear();
                trailing_breaks.clear();
                value.restart(self.pos);
            } else {
                // Blanks inside a line are kept: they are still the text.
                value.extend_to(self.pos);
            }
        }
        self.skip();
        let style = if single {
            ScalarStyle::SingleQuoted
        } else {
            ScalarStyle::DoubleQuoted
        };
        Ok(Token {
            kind: TokenKind::Scalar {
                value: value.finish(),
                style,
            },
            start,
        })
    }

    /// Skips the blanks and line breaks between a scalar's words. Returns
    /// whether a line break was among them; the first one goes to
    /// `leading_break`, the others to `trailing_breaks`. A plain scalar
    /// passes its indentation: a tab in it is an error.
    fn skip_scalar_blanks(
        &mut self,
        mut leading_blanks: bool,
        leading_break: &mut String,
        trailing_breaks: &mut String,
        plain: Option<(Mark, isize)>,
    ) -> Scan<bool> {
        while self.is_blank(0) || self.is_break(0) {
            let spaces = self.run(|b| b == b' ');
            if spaces > 0 {
                self.advance(spaces);
                continue;
            }
            if self.is_blank(0) {
                if let Some((start, indent)) = plain
                    && leading_blanks
                    && (self.mark.column as isize) < indent
                    && self.at(0) == b'\t'
                {
                    return self.error(start, "found a tab character that violates indentation");
                }
                self.skip();
            } else {
                self.cache(2)?;
                if leading_blanks {
                    self.read_line(trailing_breaks);
                } else {
                    self.read_line(leading_break);
                    leading_blanks = true;
                }
            }
            self.cache(1)?;
        }
        Ok(leading_blanks)
    }

    /// One `\` escape of a double-quoted scalar, appended to `out`.
    fn scan_escape(&mut self, start: Mark, out: &mut String) -> Scan {
        let code_length = match self.at(1) {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            other => {
                let c = match other {
                    b'0' => '\0',
                    b'a' => '\x07',
                    b'b' => '\x08',
                    b't' | b'\t' => '\t',
                    b'n' => '\n',
                    b'v' => '\x0b',
                    b'f' => '\x0c',
                    b'r' => '\r',
                    b'e' => '\x1b',
                    b' ' => ' ',
                    b'"' => '"',
                    b'\'' => '\'',
                    b'\\' => '\\',
                    b'N' => '\u{85}',
                    b'_' => '\u{a0}',
                    b'L' => '\u{2028}',
                    b'P' => '\u{2029}',
                    _ => return self.error(start, "found unknown escape character"),
                };
                out.push(c);
                0
            }
        };
        self.skip();
        self.skip();
        if code_length == 0 {
            return Ok(());
        }
        self.cache(code_length)?;
        let mut code = 0u32;
        for k in 0..code_length {
            if !self.at(k).is_ascii_hexdigit() {
                return self.error(start, "did not find expected hexdecimal number");
            }
            code = (code << 4) + hex_value(self.at(k));
        }
        let Some(c) = char::from_u32(code) else {
            return self.error(start, "found invalid Unicode character escape code");
        };
        out.push(c);
        for _ in 0..code_length {
            self.skip();
        }
        Ok(())
    }

    fn scan_plain_scalar(&mut self) -> Scan<Token<'a>> {
        let indent = self.indent + 1;
        let start = self.mark;
        let flow = self.flow_level > 0;
        let mut value = Value::new(self.text, self.pos);
        let mut leading_break = String::new();
        let mut trailing_breaks = String::new();
        let mut leading_blanks = false;
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && (self.at_document_indicator(b'-') || self.at_document_indicator(b'.'))
            {
                break;
            }
            if self.at(0) == b'#' {
                break;
            }
            while !self.is_blankz(0) {
                if !leading_blanks {
                    // Ordinary characters need no checks one by one.
                    let len = self.run(|b| is_plain_ordinary(b, flow));
                    if len > 0 {
                        self.advance(len);
                        value.extend_to(self.pos);
                        continue;
                    }
                }
                let c = self.at(0);
                if (c == b':' && self.is_blankz(1))
                    || (flow && matches!(c, b',' | b'?' | b'[' | b']' | b'{' | b'}'))
                {
                    break;
                }
                if leading_blanks {
                    fold_breaks(value.own(), &leading_break, &trailing_breaks);
                    leading_break.clear();
                    trailing_breaks.clear();
                    leading_blanks = false;
                    value.restart(self.pos);
                }
                // Blanks before the character on its line are the text.
                self.skip();
                value.extend_to(self.pos);
                self.cache(2)?;
            }
            if !(self.is_blank(0) || self.is_break(0)) {
                break;
            }
            self.cache(1)?;
            leading_blanks = self.skip_scalar_blanks(
                leading_blanks,
                &mut leading_break,
                &mut trailing_breaks,
                Some((start, indent)),
            )?;
            if !flow && (self.mark.column as isize) < indent {
                break;
            }
        }
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(Token {
            kind: TokenKind::Scalar {
                value: value.finish(),
                style: ScalarStyle::Plain,
            },
            start,
        })
    }
}

/// A block scalar's chomping indicator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomping {
    /// `-`: no final line break.
    Strip,
    /// None: one final line break.
    Clip,
    /// `+`: every final line break.
    Keep,
}

impl Chomping {
    fn of(c: u8) -> Option<Chomping> {
        match c {
            b'-' => Some(Chomping::Strip),
            b'+' => Some(Chomping::Keep),
            _ => None,
        }
    }
}

/// libyaml's folding of the line breaks between two words: one line break
/// becomes a space, more keep all but the first; LS and PS are kept.
fn fold_breaks(out: &mut String, leading_break: &str, trailing_breaks: &str) {
    if leading_break.starts_with('\n') {
        if trailing_breaks.is_empty() {
            out.push(' ');
        } else {
            out.push_str(trailing_breaks);
        }
    } else {
        out.push_str(leading_break);
        out.push_str(trailing_breaks);
    }
}

/// A scalar's value while it is scanned: what was built so far (only once
/// folding or an escape made the value differ from the text) followed by a
/// run of the text.
struct Value<'a> {
    text: &'a str,
    built: Option<String>,
    run_start: usize,
    run_end: usize,
}

impl<'a> Value<'a> {
    fn new(text: &'a str, at: usize) -> Value<'a> {
        Value {
            text,
            built: None,
            run_start: at,
            run_end: at,
        }
    }

    /// The run of text now ends at `at`.
    fn extend_to(&mut self, at: usize) {
        self.run_end = at;
    }

    /// The built value, with the run so far appended, to add to.
    fn own(&mut self) -> &mut String {
        let run = &self.text[self.run_start..self.run_end];
        self.run_start = self.run_end;
        let built = self.built.get_or_insert_with(String::new);
        built.push_str(run);
        built
    }

    /// A new run of text starts at `at`.
    fn restart(&mut self, at: usize) {
        self.run_start = at;
        self.run_end = at;
    }

    fn finish(self) -> Cow<'a, str> {
        let run = &self.text[self.run_start..self.run_end];
        match self.built {
            Some(mut built) => {
                built.push_str(run);
                Cow::Owned(built)
            }
            None => Cow::Borrowed(run),
        }
    }
}
