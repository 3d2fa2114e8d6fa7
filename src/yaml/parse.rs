//! Tokens → events, libyaml's parser state machine as yaml.v2 has it, with
//! its error messages and the tokens it looks at to produce each event.

use std::borrow::Cow;

use super::scan::{Mark, ScalarStyle, Scanner, Stage, Token, TokenKind, YamlError};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Event<'a> {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias(&'a str),
    Scalar {
        anchor: Option<&'a str>,
        /// The resolved tag (`tag:yaml.org,2002:int`, `!foo`, `!`).
        tag: Option<String>,
        value: Cow<'a, str>,
        /// Plain and untagged, or tagged `!`: resolved by its content.
        plain_implicit: bool,
    },
    SequenceStart {
        anchor: Option<&'a str>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<&'a str>,
    },
    MappingEnd,
}

type Parse<T> = Result<T, YamlError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

pub(super) struct Parser<'a> {
    scanner: Scanner<'a>,
    state: State,
    /// States to return to when the current node ends.
    states: Vec<State>,
    /// Where each open collection started, for error messages.
    marks: Vec<Mark>,
    /// `%TAG` handles and their prefixes, plus the defaults `!` and `!!`.
    tag_directives: Vec<(String, String)>,
}

fn parser_error<T>(context_mark: Mark, problem: &str, problem_mark: Mark) -> Parse<T> {
    Err(YamlError {
        stage: Stage::Parser,
        problem: problem.into(),
        problem_mark,
        context_mark,
    })
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str, skipped: usize) -> Parser<'a> {
        Parser {
            scanner: Scanner::new(text, skipped),
            state: State::StreamStart,
            states: Vec::new(),
            marks: Vec::new(),
            tag_directives: Vec::new(),
        }
    }

    /// The next event; `StreamEnd` again once the stream has ended.
    pub fn next_event(&mut self) -> Parse<Event<'a>> {
        if self.state == State::End {
            return Ok(Event::StreamEnd);
        }
        match self.state {
            State::StreamStart => self.stream_start(),
            State::ImplicitDocumentStart => self.document_start(true),
            State::DocumentStart => self.document_start(false),
            State::DocumentContent => self.document_content(),
            State::DocumentEnd => self.document_end(),
            State::BlockNode => self.node(true, false),
            State::BlockSequenceFirstEntry => self.block_sequence_entry(true),
            State::BlockSequenceEntry => self.block_sequence_entry(false),
            State::IndentlessSequenceEntry => self.indentless_sequence_entry(),
            State::BlockMappingFirstKey => self.block_mapping_key(true),
            State::BlockMappingKey => self.block_mapping_key(false),
            State::BlockMappingValue => self.block_mapping_value(),
            State::FlowSequenceFirstEntry => self.flow_sequence_entry(true),
            State::FlowSequenceEntry => self.flow_sequence_entry(false),
            State::FlowSequenceEntryMappingKey => self.flow_sequence_entry_mapping_key(),
            State::FlowSequenceEntryMappingValue => self.flow_sequence_entry_mapping_value(),
            State::FlowSequenceEntryMappingEnd => self.flow_sequence_entry_mapping_end(),
            State::FlowMappingFirstKey => self.flow_mapping_key(true),
            State::FlowMappingKey => self.flow_mapping_key(false),
            State::FlowMappingValue => self.flow_mapping_value(false),
            State::FlowMappingEmptyValue => self.flow_mapping_value(true),
            State::End => Ok(Event::StreamEnd),
        }
    }

    fn peek(&mut self) -> Parse<&Token<'a>> {
        self.scanner.peek()
    }

    /// The next token's kind and start, without its payload.
    fn peek_kind(&mut self) -> Parse<(Kind, Mark)> {
        let token = self.peek()?;
        Ok((Kind::of(&token.kind), token.start))
    }

    fn skip(&mut self) -> Token<'a> {
        self.scanner
            .skip_token()
            .expect("a token was peeked before it is skipped")
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn stream_start(&mut self) -> Parse<Event<'a>> {
        let (kind, start) = self.peek_kind()?;
        if kind != Kind::StreamStart {
            return parser_error(
                Mark::default(),
                "did not find expected <stream-start>",
                start,
            );
        }
        self.state = State::ImplicitDocumentStart;
        self.skip();
        Ok(Event::StreamStart)
    }

    fn document_start(&mut self, implicit: bool) -> Parse<Event<'a>> {
        let (mut kind, _) = self.peek_kind()?;
        if !implicit {
            while kind == Kind::DocumentEnd {
                self.skip();
                kind = self.peek_kind()?.0;
            }
        }
        let directive = matches!(kind, Kind::VersionDirective | Kind::TagDirective);
        if implicit && !directive && kind != Kind::DocumentStart && kind != Kind::StreamEnd {
            self.process_directives()?;
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            return Ok(Event::DocumentStart);
        }
        if kind == Kind::StreamEnd {
            self.state = State::End;
            self.skip();
            return Ok(Event::StreamEnd);
        }
        self.process_directives()?;
        let (kind, start) = self.peek_kind()?;
        if kind != Kind::DocumentStart {
            return parser_error(
                Mark::default(),
                "did not find expected <document start>",
                start,
            );
        }
        self.states.push(State::DocumentEnd);
        self.state = State::DocumentContent;
        self.skip();
        Ok(Event::DocumentStart)
    }

    fn document_content(&mut self) -> Parse<Event<'a>> {
        let (kind, _) = self.peek_kind()?;
        if matches!(
            kind,
            Kind::VersionDirective
                | Kind::TagDirective
                | Kind::DocumentStart
                | Kind::DocumentEnd
                | Kind::StreamEnd
        ) {
            self.pop_state();
            return Ok(empty_scalar());
        }
        self.node(true, false)
    }

    fn document_end(&mut self) -> Parse<Event<'a>> {
        let (kind, _) = self.peek_kind()?;
        if kind == Kind::DocumentEnd {
            self.skip();
        }
        self.tag_directives.clear();
        self.state = State::DocumentStart;
        Ok(Event::DocumentEnd)
    }

    fn node(&mut self, block: bool, indentless_sequence: bool) -> Parse<Event<'a>> {
        let (kind, start) = self.peek_kind()?;
        if kind == Kind::Alias {
            self.pop_state();
            let TokenKind::Alias(name) = self.skip().kind else {
                unreachable!("peeked an alias")
            };
            return Ok(Event::Alias(name));
        }
        let mut anchor = None;
        let mut tag_token = None;
        let mut kind = kind;
        if kind == Kind::Anchor {
            anchor = Some(self.take_anchor());
            kind = self.peek_kind()?.0;
            if kind == Kind::Tag {
                tag_token = Some(self.take_tag());
                kind = self.peek_kind()?.0;
            }
        } else if kind == Kind::Tag {
            tag_token = Some(self.take_tag());
            kind = self.peek_kind()?.0;
            if kind == Kind::Anchor {
                anchor = Some(self.take_anchor());
                kind = self.peek_kind()?.0;
            }
        }
        let tag = match tag_token {
            None => None,
            // A verbatim tag, or `!` alone.
            Some((handle, suffix, _)) if handle.is_empty() => Some(suffix),
            Some((handle, suffix, tag_mark)) => {
                match self.tag_directives.iter().find(|(h, _)| *h == handle) {
                    Some((_, prefix)) => Some(format!("{prefix}{suffix}")),
                    None => return parser_error(start, "found undefined tag handle", tag_mark),
                }
            }
        };
        if indentless_sequence && kind == Kind::BlockEntry {
            self.state = State::IndentlessSequenceEntry;
            return Ok(Event::SequenceStart { anchor });
        }
        match kind {
            Kind::Scalar => {
                self.pop_state();
                let TokenKind::Scalar { value, style } = self.skip().kind else {
                    unreachable!("peeked a scalar")
                };
                let plain_implicit =
                    (tag.is_none() && style == ScalarStyle::Plain) || tag.as_deref() == Some("!");
                return Ok(Event::Scalar {
                    anchor,
                    tag,
                    value,
                    plain_implicit,
                });
            }
            Kind::FlowSequenceStart => {
                self.state = State::FlowSequenceFirstEntry;
                return Ok(Event::SequenceStart { anchor });
            }
            Kind::FlowMappingStart => {
                self.state = State::FlowMappingFirstKey;
                return Ok(Event::MappingStart { anchor });
            }
            Kind::BlockSequenceStart if block => {
                self.state = State::BlockSequenceFirstEntry;
                return Ok(Event::SequenceStart { anchor });
            }
            Kind::BlockMappingStart if block => {
                self.state = State::BlockMappingFirstKey;
                return Ok(Event::MappingStart { anchor });
            }
            _ => {}
        }
        if anchor.is_some() || tag.is_some() {
            // An anchor or a tag without content: an empty scalar.
            self.pop_state();
            return Ok(Event::Scalar {
                anchor,
                plain_implicit: tag.is_none(),
                tag,
                value: Cow::Borrowed(""),
            });
        }
        let problem_mark = self.peek()?.start;
        parser_error(start, "did not find expected node content", problem_mark)
    }

    fn take_anchor(&mut self) -> &'a str {
        match self.skip().kind {
            TokenKind::Anchor(name) => name,
            _ => unreachable!("peeked an anchor"),
        }
    }

    fn take_tag(&mut self) -> (String, String, Mark) {
        let token = self.skip();
        match token.kind {
            TokenKind::Tag { handle, suffix } => (handle, suffix, token.start),
            _ => unreachable!("peeked a tag"),
        }
    }

    /// Consumes a collection's first token, remembering where it started.
    fn open_collection(&mut self) {
        let start = self.scanner.peek().map(|t| t.start).unwrap_or_default();
        self.marks.push(start);
        self.skip();
    }

    fn close_collection(&mut self) {
        self.pop_state();
        self.marks.pop();
    }

    /// The error at the end of a collection whose next item is missing.
    fn collection_error<T>(&mut self, problem: &str, problem_mark: Mark) -> Parse<T> {
        let context = self.marks.pop().unwrap_or_default();
        parser_error(context, problem, problem_mark)
    }

    fn block_sequence_entry(&mut self, first: bool) -> Parse<Event<'a>> {
        if first {
            self.open_collection();
        }
        let (kind, start) = self.peek_kind()?;
        match kind {
            Kind::BlockEntry => {
                self.skip();
                let ends = [Kind::BlockEntry, Kind::BlockEnd];
                self.node_or_empty(&ends, State::BlockSequenceEntry, true, false)
            }
            Kind::BlockEnd => {
                self.close_collection();
                self.skip();
                Ok(Event::SequenceEnd)
            }
            _ => self.collection_error("did not find expected '-' indicator", start),
        }
    }

    fn indentless_sequence_entry(&mut self) -> Parse<Event<'a>> {
        let (kind, _) = self.peek_kind()?;
        if kind != Kind::BlockEntry {
            self.pop_state();
            return Ok(Event::SequenceEnd);
        }
        self.skip();
        let ends = [Kind::BlockEntry, Kind::Key, Kind::Value, Kind::BlockEnd];
        self.node_or_empty(&ends, State::IndentlessSequenceEntry, true, false)
    }

    fn block_mapping_key(&mut self, first: bool) -> Parse<Event<'a>> {
        if first {
            self.open_collection();
        }
        let (kind, start) = self.peek_kind()?;
        match kind {
            Kind::Key => {
                self.skip();
                let ends = [Kind::Key, Kind::Value, Kind::BlockEnd];
                self.node_or_empty(&ends, State::BlockMappingValue, true, true)
            }
            Kind::BlockEnd => {
                self.close_collection();
                self.skip();
                Ok(Event::MappingEnd)
            }
            _ => self.collection_error("did not find expected key", start),
        }
    }

    fn block_mapping_value(&mut self) -> Parse<Event<'a>> {
        let (kind, _) = self.peek_kind()?;
        if kind != Kind::Value {
            self.state = State::BlockMappingKey;
            return Ok(empty_scalar());
        }
        self.skip();
        let ends = [Kind::Key, Kind::Value, Kind::BlockEnd];
        self.node_or_empty(&ends, State::BlockMappingKey, true, true)
    }

    fn flow_sequence_entry(&mut self, first: bool) -> Parse<Event<'a>> {
        if first {
            self.open_collection();
        }
        let (mut kind, start) = self.peek_kind()?;
        if kind != Kind::FlowSequenceEnd {
            if !first {
                if kind != Kind::FlowEntry {
                    return self.collection_error("did not find expected ',' or ']'", start);
                }
                self.skip();
                kind = self.peek_kind()?.0;
            }
            if kind == Kind::Key {
                // `[a: b]`: a single-pair mapping.
                self.state = State::FlowSequenceEntryMappingKey;
                self.skip();
                return Ok(Event::MappingStart { anchor: None });
            }
            if kind != Kind::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntry);
                return self.node(false, false);
            }
        }
        self.close_collection();
        self.skip();
        Ok(Event::SequenceEnd)
    }

    fn flow_sequence_entry_mapping_key(&mut self) -> Parse<Event<'a>> {
        let (kind, _) = self.peek_kind()?;
        if !matches!(kind, Kind::Value | Kind::FlowEntry | Kind::FlowSequenceEnd) {
            self.states.push(State::FlowSequenceEntryMappingValue);
            return self.node(false, false);
        }
        self.skip();
        self.state = State::FlowSequenceEntryMappingValue;
        Ok(empty_scalar())
    }

    fn flow_sequence_entry_mapping_value(&mut self) -> Parse<Event<'a>> {
        let (kind, _) = self.peek_kind()?;
        if kind != Kind::Value {
            self.state = State::FlowSequenceEntryMappingEnd;
            return Ok(empty_scalar());
        }
        self.skip();
        let ends = [Kind::FlowEntry, Kind::FlowSequenceEnd];
        self.node_or_empty(&ends, State::FlowSequenceEntryMappingEnd, false, false)
    }

    fn flow_sequence_entry_mapping_end(&mut self) -> Parse<Event<'a>> {
        self.peek()?;
        self.state = State::FlowSequenceEntry;
        Ok(Event::MappingEnd)
    }

    fn flow_mapping_key(&mut self, first: bool) -> Parse<Event<'a>> {
        if first {
            self.open_collection();
        }
        let (mut kind, start) = self.peek_kind()?;
        if kind != Kind::FlowMappingEnd {
            if !first {
                if kind != Kind::FlowEntry {
                    return self.collection_error("did not find expected ',' or '}'", start);
                }
                self.skip();
                kind = self.peek_kind()?.0;
            }
            if kind == Kind::Key {
                self.skip();
                let ends = [Kind::Value, Kind::FlowEntry, Kind::FlowMappingEnd];
                return self.node_or_empty(&ends, State::FlowMappingValue, false, false);
            }
            if kind != Kind::FlowMappingEnd {
                self.states.push(State::FlowMappingEmptyValue);
                return self.node(false, false);
            }
        }
        self.close_collection();
        self.skip();
        Ok(Event::MappingEnd)
    }

    fn flow_mapping_value(&mut self, empty: bool) -> Parse<Event<'a>> {
        let (kind, _) = self.peek_kind()?;
        if empty || kind != Kind::Value {
            self.state = State::FlowMappingKey;
            return Ok(empty_scalar());
        }
        self.skip();
        let ends = [Kind::FlowEntry, Kind::FlowMappingEnd];
        self.node_or_empty(&ends, State::FlowMappingKey, false, false)
    }

    /// The node that comes next, then state `then`; where the next token is
    /// one of `ends`, no node is written and an empty scalar stands for it.
    fn node_or_empty(
        &mut self,
        ends: &[Kind],
        then: State,
        block: bool,
        indentless_sequence: bool,
    ) -> Parse<Event<'a>> {
        let (next, _) = self.peek_kind()?;
        if ends.contains(&next) {
            self.state = then;
            return Ok(empty_scalar());
        }
        self.states.push(then);
        self.node(block, indentless_sequence)
    }

    /// `%YAML` and `%TAG` directives before a document, then the default
    /// tag handles.
    fn process_directives(&mut self) -> Parse<()> {
        let mut seen_version = false;
        loop {
            let token = self.peek()?;
            let start = token.start;
            match &token.kind {
                TokenKind::VersionDirective { major, minor } => {
                    if seen_version {
                        return parser_error(
                            Mark::default(),
                            "found duplicate %YAML directive",
                            start,
                        );
                    }
                    if (*major, *minor) != (1, 1) {
                        return parser_error(
                            Mark::default(),
                            "found incompatible YAML document",
                            start,
                        );
                    }
                    seen_version = true;
                }
                TokenKind::TagDirective { handle, prefix } => {
                    let (handle, prefix) = (handle.clone(), prefix.clone());
                    if self.tag_directives.iter().any(|(h, _)| *h == handle) {
                        return parser_error(
                            Mark::default(),
                            "found duplicate %TAG directive",
                            start,
                        );
                    }
                    self.tag_directives.push((handle, prefix));
                }
                _ => break,
            }
            self.skip();
        }
        for (handle, prefix) in [("!", "!"), ("!!", "tag:yaml.org,2002:")] {
            if !self.tag_directives.iter().any(|(h, _)| h == handle) {
                self.tag_directives.push((handle.into(), prefix.into()));
            }
        }
        Ok(())
    }
}

fn empty_scalar<'a>() -> Event<'a> {
    Event::Scalar {
        anchor: None,
        tag: None,
        value: Cow::Borrowed(""),
        plain_implicit: true,
    }
}

/// A token's kind without its payload, to decide on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    StreamStart,
    StreamEnd,
    VersionDirective,
    TagDirective,
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
    Alias,
    Anchor,
    Tag,
    Scalar,
}

impl Kind {
    fn of(kind: &TokenKind) -> Kind {
        match kind {
            TokenKind::StreamStart => Kind::StreamStart,
            TokenKind::StreamEnd => Kind::StreamEnd,
            TokenKind::VersionDirective { .. } => Kind::VersionDirective,
            TokenKind::TagDirective { .. } => Kind::TagDirective,
            TokenKind::DocumentStart => Kind::DocumentStart,
            TokenKind::DocumentEnd => Kind::DocumentEnd,
            TokenKind::BlockSequenceStart => Kind::BlockSequenceStart,
            TokenKind::BlockMappingStart => Kind::BlockMappingStart,
            TokenKind::BlockEnd => Kind::BlockEnd,
            TokenKind::FlowSequenceStart => Kind::FlowSequenceStart,
            TokenKind::FlowSequenceEnd => Kind::FlowSequenceEnd,
            TokenKind::FlowMappingStart => Kind::FlowMappingStart,
            TokenKind::FlowMappingEnd => Kind::FlowMappingEnd,
            TokenKind::BlockEntry => Kind::BlockEntry,
            TokenKind::FlowEntry => Kind::FlowEntry,
            TokenKind::Key => Kind::Key,
            TokenKind::Value => Kind::Value,
            TokenKind::Alias(_) => Kind::Alias,
            TokenKind::Anchor(_) => Kind::Anchor,
            TokenKind::Tag { .. } => Kind::Tag,
            TokenKind::Scalar { .. } => Kind::Scalar,
        }
    }
}
