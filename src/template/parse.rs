//! Recursive-descent parser following Go's `text/template/parse`, including its
//! three-token lookahead: error lines come from the last token pulled, so the
//! same lookahead gives the same line numbers as Go.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use super::ast::{Arg, Branch, Command, List, Node, Number, Pipe, TemplateCall, Tree};
use super::error::TemplateError;
use super::funcs::Funcs;
use super::intern::Interner;
use super::lex::{Item, ItemType, Lexer};
use super::source::Source;

/// Parenthesised pipelines nest at most this deep (Go's limit).
const MAX_STACK_DEPTH: usize = 10_000;

/// Parses `text` as template `name`, returning it and every template it defines,
/// or Go's error. Function names resolve against `funcs` and Go's built-ins;
/// names and strings are shared through `names`.
pub(super) fn parse(
    name: &str,
    text: Source,
    funcs: &Funcs,
    names: &mut Interner,
) -> Result<HashMap<String, Tree>, TemplateError> {
    let parse_name: Rc<str> = Rc::from(name);
    let mut lex = Lexer::new(&text);
    lex.break_ok = funcs.resolve("break").is_none();
    lex.continue_ok = funcs.resolve("continue").is_none();
    let mut p = Parser {
        lex,
        st: TreeState::new(),
        funcs,
        names,
        tree_set: HashMap::new(),
        text: text.clone(),
        parse_name,
    };
    p.parse_top(name)?;
    Ok(p.tree_set)
}

/// What `parse` built for an action: a node, or the `{{end}}`/`{{else}}` closing it.
enum Parsed {
    Node(Node),
    End,
    Else,
}

impl Parsed {
    fn describe(&self) -> &'static str {
        match self {
            Parsed::End => "{{end}}",
            Parsed::Else => "{{else}}",
            Parsed::Node(_) => "node",
        }
    }
}

/// The per-tree parsing state; `define` and `block` get a fresh one, as in Go.
struct TreeState<'s> {
    token: [Item<'s>; 3],
    peek_count: usize,
    vars: Vec<Rc<str>>,
    action_line: usize,
    range_depth: usize,
    stack_depth: usize,
}

impl<'s> TreeState<'s> {
    fn new() -> TreeState<'s> {
        let blank = Item {
            typ: ItemType::Eof,
            pos: 0,
            val: "",
            line: 0,
        };
        TreeState {
            token: [blank; 3],
            peek_count: 0,
            vars: vec![Rc::from("$")],
            action_line: 0,
            range_depth: 0,
            stack_depth: 0,
        }
    }
}

struct Parser<'s, 'f> {
    lex: Lexer<'s>,
    st: TreeState<'s>,
    funcs: &'f Funcs,
    names: &'f mut Interner,
    tree_set: HashMap<String, Tree>,
    text: Source,
    parse_name: Rc<str>,
}

type PResult<T> = Result<T, TemplateError>;

impl<'s> Parser<'s, '_> {
    fn errorf(&self, msg: impl Into<String>) -> TemplateError {
        TemplateError::Parse {
            name: self.parse_name.to_string(),
            line: self.st.token[0].line,
            message: msg.into(),
        }
    }

    fn next(&mut self) -> Item<'s> {
        if self.st.peek_count > 0 {
            self.st.peek_count -= 1;
        } else {
            self.st.token[0] = self.lex.next_item();
        }
        self.st.token[self.st.peek_count]
    }

    fn backup(&mut self) {
        self.st.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'s>) {
        self.st.token[1] = t1;
        self.st.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'s>, t1: Item<'s>) {
        self.st.token[1] = t1;
        self.st.token[2] = t2;
        self.st.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'s> {
        if self.st.peek_count > 0 {
            return self.st.token[self.st.peek_count - 1];
        }
        self.st.peek_count = 1;
        self.st.token[0] = self.lex.next_item();
        self.st.token[0]
    }

    fn next_non_space(&mut self) -> Item<'s> {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'s> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> PResult<Item<'s>> {
        let t = self.next_non_space();
        if t.typ != expected {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn unexpected(&self, token: &Item<'_>, context: &str) -> TemplateError {
        if token.typ == ItemType::Error {
            let message = self.lex.error_message();
            let mut extra = String::new();
            if self.st.action_line != 0 && self.st.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.st.action_line
                );
                if message.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{message}{extra}"));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    fn new_tree(&self, name: String, root: List) -> Tree {
        Tree {
            name,
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root: Rc::new(root),
        }
    }

    /// Go's `Tree.add`: a non-empty template can't be defined twice in one parse.
    fn add(&mut self, tree: Tree) -> PResult<()> {
        match self.tree_set.get(&tree.name) {
            Some(old) if !old.is_empty() => {
                if !tree.is_empty() {
                    return Err(self.errorf(format!(
                        "template: multiple definition of template {}",
                        super::gofmt::quote(&tree.name)
                    )));
                }
                Ok(())
            }
            _ => {
                self.tree_set.insert(tree.name.clone(), tree);
                Ok(())
            }
        }
    }

    fn parse_top(&mut self, name: &str) -> PResult<()> {
        let mut root = List::default();
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    let outer = std::mem::replace(&mut self.st, TreeState::new());
                    let result = self.parse_definition();
                    self.st = outer;
                    result?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.nodes.push(n),
                end => return Err(self.errorf(format!("unexpected {}", end.describe()))),
            }
        }
        let tree = self.new_tree(name.to_string(), root);
        self.add(tree)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name = self.next_non_space();
        if name.typ != ItemType::String && name.typ != ItemType::RawString {
            return Err(self.unexpected(&name, context));
        }
        let name = self.unquote(name.val)?.into_owned();
        self.expect(ItemType::RightDelim, context)?;
        let (root, end) = self.item_list()?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), context)));
        }
        let tree = self.new_tree(name, root);
        self.add(tree)
    }

    fn item_list(&mut self) -> PResult<(List, Parsed)> {
        let mut list = List::default();
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.nodes.push(n),
                end => return Ok((list, end)),
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text {
                start: token.pos,
                end: token.pos + token.val.len(),
            })),
            ItemType::LeftDelim => {
                self.st.action_line = token.line;
                let result = self.action();
                self.st.action_line = 0;
                result
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break => return self.loop_control("{{break}}", Node::Break),
            ItemType::Continue => return self.loop_control("{{continue}}", Node::Continue),
            ItemType::Else => return self.else_control(),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemType::If => return self.branch("if").map(|b| Parsed::Node(Node::If(b))),
            ItemType::Range => {
                return self.branch("range").map(|b| Parsed::Node(Node::Range(b)));
            }
            ItemType::Template => return self.template_control().map(Parsed::Node),
            ItemType::With => return self.branch("with").map(|b| Parsed::Node(Node::With(b))),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action(pipe)))
    }

    fn loop_control(&mut self, what: &str, node: Node) -> PResult<Parsed> {
        let token = self.next_non_space();
        if token.typ != ItemType::RightDelim {
            return Err(self.unexpected(&token, what));
        }
        if self.st.range_depth == 0 {
            return Err(self.errorf(format!("{what} outside {{{{range}}}}")));
        }
        Ok(Parsed::Node(node))
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            return Ok(Parsed::Else);
        }
        self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else)
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: vec![],
            cmds: vec![],
        };
        // Declarations: `$x :=`, `$x =`, and for range `$i, $v :=`.
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            match next.typ {
                ItemType::Assign | ItemType::Declare => {
                    pipe.is_assign = next.typ == ItemType::Assign;
                    self.next_non_space();
                    let name = self.names.intern(v.val);
                    pipe.decl.push(name.clone());
                    self.st.vars.push(name);
                }
                ItemType::Char if next.val == "," => {
                    self.next_non_space();
                    let name = self.names.intern(v.val);
                    pipe.decl.push(name.clone());
                    self.st.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                                continue 'decls;
                            }
                            _ => return Err(self.errorf("range can only initialize variables")),
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ if after.typ == ItemType::Space => self.backup3(v, after),
                _ => self.backup2(v),
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            match token.typ {
                t if t == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool { .. }
                    | Arg::Dot { .. }
                    | Arg::Nil { .. }
                    | Arg::Number(_)
                    | Arg::String { .. }
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    /// `if`, `range` and `with` with their `else` chains.
    fn branch(&mut self, context: &str) -> PResult<Branch> {
        let mark = self.st.vars.len();
        let result = self.branch_body(context);
        self.st.vars.truncate(mark);
        result
    }

    fn branch_body(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.st.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.st.range_depth -= 1;
        }
        let (list, next) = listed?;
        let mut else_list = None;
        if let Parsed::Else = next {
            // `else if` / `else with` nest a branch that shares our `end`.
            let chained = match (context, self.peek().typ) {
                ("if", ItemType::If) => Some(("if", true)),
                ("with", ItemType::With) => Some(("with", false)),
                _ => None,
            };
            if let Some((ctx, is_if)) = chained {
                self.next();
                let inner = self.branch(ctx)?;
                let node = if is_if {
                    Node::If(inner)
                } else {
                    Node::With(inner)
                };
                else_list = Some(List { nodes: vec![node] });
            } else {
                let (list, next) = self.item_list()?;
                if !matches!(next, Parsed::End) {
                    return Err(self.errorf(format!("expected end; found {}", next.describe())));
                }
                else_list = Some(list);
            }
        }
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        let outer = std::mem::replace(&mut self.st, TreeState::new());
        let listed = self.item_list();
        let block_state = std::mem::replace(&mut self.st, outer);
        let (root, end) = listed?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), context)));
        }
        let tree = self.new_tree(name.clone(), root);
        // Errors while adding the block are reported at the block's own tokens.
        let outer = std::mem::replace(&mut self.st, block_state);
        let added = self.add(tree);
        self.st = outer;
        added?;
        Ok(Node::Template(TemplateCall {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        }))
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, ItemType::RightDelim)?);
        }
        Ok(Node::Template(TemplateCall {
            pos: token.pos,
            name,
            pipe,
        }))
    }

    fn template_name(&mut self, token: &Item<'s>, context: &str) -> PResult<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => Ok(self.unquote(token.val)?.into_owned()),
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn unquote<'q>(&self, quoted: &'q str) -> PResult<Cow<'q, str>> {
        unquote(quoted).ok_or_else(|| self.errorf("invalid syntax"))
    }

    fn command(&mut self) -> PResult<Command> {
        let mut cmd = Command {
            pos: self.peek_non_space().pos,
            args: vec![],
        };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(mut node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        // Fields after a field or variable extend it; after anything else they chain.
        let mut field: Vec<Rc<str>> = vec![];
        let fields = match &mut node {
            Arg::Field { pos: at, ident } | Arg::Variable { pos: at, ident } => {
                *at = pos;
                ident
            }
            _ => &mut field,
        };
        while self.peek().typ == ItemType::Field {
            let t = self.next();
            fields.push(self.names.intern(&t.val[1..]));
        }
        Ok(Some(match node {
            Arg::Field { .. } | Arg::Variable { .. } => node,
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number(_)
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    super::gofmt::quote(&node.to_string())
                )));
            }
            node => Arg::Chain {
                pos,
                node: Box::new(node),
                field,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.typ {
            ItemType::Identifier => {
                let Some(callee) = self.funcs.resolve(token.val) else {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        super::gofmt::quote(token.val)
                    )));
                };
                Arg::Identifier {
                    pos,
                    name: self.names.intern(token.val),
                    callee,
                }
            }
            ItemType::Dot => Arg::Dot { pos },
            ItemType::Nil => Arg::Nil { pos },
            ItemType::Variable => self.use_var(pos, token.val)?,
            ItemType::Field => Arg::Field {
                pos,
                ident: vec![self.names.intern(&token.val[1..])],
            },
            ItemType::Bool => Arg::Bool {
                pos,
                val: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                let n = new_number(pos, token.val, token.typ).map_err(|m| self.errorf(m))?;
                Arg::Number(Box::new(n))
            }
            ItemType::LeftParen => {
                if self.st.stack_depth >= MAX_STACK_DEPTH {
                    return Err(self.errorf("max expression depth exceeded"));
                }
                self.st.stack_depth += 1;
                let pipe = self.pipeline("parenthesized pipeline", ItemType::RightParen);
                self.st.stack_depth -= 1;
                Arg::Pipe(Box::new(pipe?))
            }
            ItemType::String | ItemType::RawString => {
                let text = self.unquote(token.val)?;
                Arg::String {
                    pos,
                    quoted: self.names.intern(token.val),
                    text: self.names.intern(&text),
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn use_var(&mut self, pos: usize, name: &str) -> PResult<Arg> {
        let ident: Vec<Rc<str>> = name.split('.').map(|s| self.names.intern(s)).collect();
        if self.st.vars.iter().any(|v| **v == *ident[0]) {
            return Ok(Arg::Variable { pos, ident });
        }
        Err(self.errorf(format!(
            "undefined variable {}",
            super::gofmt::quote(&ident[0])
        )))
    }
}

/// Go's `strconv.Unquote` for the three quote styles. `None` is "invalid syntax".
/// Escapes that make invalid UTF-8 (`"\xff"`) become U+FFFD.
pub(super) fn unquote(s: &str) -> Option<Cow<'_, str>> {
    let quote = s.chars().next()?;
    if s.len() < 2 || !s.ends_with(quote) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match quote {
        // Raw strings drop carriage returns.
        '`' if body.contains('`') => None,
        '`' if body.contains('\r') => Some(Cow::Owned(body.replace('\r', ""))),
        '`' => Some(Cow::Borrowed(body)),
        '"' => {
            if body.contains('\n') {
                return None;
            }
            if !body.contains(['\\', '"']) {
                return Some(Cow::Borrowed(body));
            }
            let mut out: Vec<u8> = Vec::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let (value, multibyte, tail) = unquote_char(rest, '"')?;
                push_unquoted(&mut out, value, multibyte);
                rest = tail;
            }
            Some(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
        }
        '\'' => {
            let (value, _, tail) = unquote_char(body, '\'')?;
            if !tail.is_empty() {
                return None;
            }
            char::from_u32(value).map(|c| Cow::Owned(String::from(c)))
        }
        _ => None,
    }
}

fn push_unquoted(out: &mut Vec<u8>, value: u32, multibyte: bool) {
    if !multibyte && value < 256 {
        out.push(value as u8);
    } else {
        let c = char::from_u32(value).unwrap_or('\u{FFFD}');
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// Go's `strconv.UnquoteChar`: (value, is multibyte rune, rest).
fn unquote_char(s: &str, quote: char) -> Option<(u32, bool, &str)> {
    let c = s.chars().next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if !c.is_ascii() {
        return Some((c as u32, true, &s[c.len_utf8()..]));
    }
    if c != '\\' {
        return Some((c as u32, false, &s[1..]));
    }
    let b = s.as_bytes();
    // A backslash before a character outside ASCII escapes nothing.
    let esc = *b.get(1).filter(|e| e.is_ascii())? as char;
    let rest = &s[2..];
    let simple = |v: char| Some((v as u32, false, rest));
    match esc {
        'a' => simple('\x07'),
        'b' => simple('\x08'),
        'f' => simple('\x0C'),
        'n' => simple('\n'),
        'r' => simple('\r'),
        't' => simple('\t'),
        'v' => simple('\x0B'),
        '\\' => simple('\\'),
        '\'' | '"' if esc == quote => simple(esc),
        'x' | 'u' | 'U' => {
            let n = match esc {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let digits = rest.get(..n)?;
            let v = u32::from_str_radix(digits, 16).ok()?;
            if !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
                return None;
            }
            if esc == 'x' {
                return Some((v, false, &rest[n..]));
            }
            char::from_u32(v)?;
            Some((v, true, &rest[n..]))
        }
        '0'..='7' => {
            let digits = rest.get(..2)?;
            let mut v = esc as u32 - '0' as u32;
            for d in digits.bytes() {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = (v << 3) | (d - b'0') as u32;
            }
            if v > 255 {
                return None;
            }
            Some((v, false, &rest[2..]))
        }
        _ => None,
    }
}

/// Go's `newNumber`: every interpretation of a numeric literal.
fn new_number(pos: usize, text: &str, typ: ItemType) -> Result<Number, String> {
    let mut n = Number {
        pos,
        text: text.into(),
        is_int: false,
        is_uint: false,
        is_float: false,
        int: 0,
        float: 0.0,
        complex: None,
    };
    if typ == ItemType::CharConstant {
        let (value, _, tail) =
            unquote_char(&text[1..], '\'').ok_or_else(|| "invalid syntax".to_string())?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.int = value as i64;
        n.float = value as f64;
        (n.is_int, n.is_uint, n.is_float) = (true, true, true);
        return Ok(n);
    }
    let imaginary = match typ {
        // Go reads these with `fmt.Sscan`, whose only complaint is this.
        ItemType::Complex => Some(complex_parts(text).ok_or("invalid syntax")?),
        _ => text
            .strip_suffix('i')
            .and_then(parse_go_float)
            .map(|im| (0.0, im)),
    };
    if let Some((re, im)) = imaginary {
        n.complex = Some((re, im));
        // Go's `simplifyComplex`: with no imaginary part it also reads as a
        // float, and as an integer when the real part is whole.
        if im == 0.0 {
            n.is_float = true;
            n.float = re;
            n.is_int = (re as i64) as f64 == re;
            n.int = re as i64;
            n.is_uint = re >= 0.0 && (re as u64) as f64 == re;
        }
        return Ok(n);
    }
    let u = parse_go_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.float = u as f64;
    }
    if let Some(i) = parse_go_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
    } else if let Some(f) = parse_go_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", super::gofmt::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if !n.is_int && (f as i64) as f64 == f {
            n.is_int = true;
            n.int = f as i64;
        }
        if !n.is_uint && (f as u64) as f64 == f {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            super::gofmt::quote(text)
        ));
    }
    Ok(n)
}

/// The two parts of a complex constant such as `1+2i` or `-1.5e3-2i`.
fn complex_parts(text: &str) -> Option<(f64, f64)> {
    let b = text.as_bytes();
    let split = (1..b.len())
        .rev()
        .find(|&k| matches!(b[k], b'+' | b'-') && !matches!(b[k - 1], b'e' | b'E' | b'p' | b'P'))?;
    let re = parse_go_float(&text[..split])?;
    let im = parse_go_float(text[split..].strip_suffix('i')?)?;
    Some((re, im))
}

/// Go's `underscoreOK`: `_` only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`.
fn parse_go_uint(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with(['+', '-']) {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' && b.len() > 1 {
        match b[1].to_ascii_lowercase() {
            b'b' if b.len() >= 3 => (2, &s[2..]),
            b'o' if b.len() >= 3 => (8, &s[2..]),
            b'x' if b.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for c in digits.chars() {
        if c == '_' {
            underscores = true;
            continue;
        }
        let d = c.to_digit(16).filter(|d| *d < base)?;
        n = n.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    if underscores && !underscore_ok(s) {
        return None;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_go_uint(body)?;
    if neg {
        if u > i64::MAX as u64 + 1 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` for the forms the lexer produces; out of range fails.
fn parse_go_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean = s.replace('_', "");
    let (neg, body) = match clean.as_bytes().first()? {
        b'-' => (true, &clean[1..]),
        b'+' => (false, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let v = if body.len() > 2 && body[..2].eq_ignore_ascii_case("0x") {
        parse_hex_float(&body[2..])?
    } else {
        if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Hex mantissa with a mandatory binary exponent: `1.8p+1`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut m: u64 = 0;
    let mut shift: i32 = 0;
    let mut sticky = false;
    for (i, c) in int.chars().chain(frac.chars()).enumerate() {
        let d = c.to_digit(16)? as u64;
        let in_frac = i >= int.len();
        if m >> 56 == 0 {
            m = m * 16 + d;
            if in_frac {
                shift -= 4;
            }
        } else {
            sticky |= d != 0;
            if !in_frac {
                shift += 4;
            }
        }
    }
    // A lost non-zero digit only matters for rounding; keep it as a low bit.
    let m = if sticky { m | 1 } else { m };
    Some(m as f64 * 2f64.powi(exp + shift))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's built-ins plus `f`.
    fn funcs() -> Funcs {
        let mut funcs = Funcs::new();
        funcs.insert(
            "f",
            crate::template::Func::new(&[], |_, _| Ok(Default::default())),
        );
        funcs
    }

    fn err(src: &str) -> String {
        match parse("t", src.into(), &funcs(), &mut Interner::default()) {
            Ok(_) => "no error".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parse_errors_use_go_words_and_lines() {
        let cases = [
            ("{{ .x", "template: t:1: unclosed action"),
            ("a\n{{ end }}", "template: t:2: unexpected {{end}}"),
            ("{{ if .x }}", "template: t:1: unexpected EOF"),
            (
                "{{ nope 1 }}",
                "template: t:1: function \"nope\" not defined",
            ),
            ("{{ $x }}", "template: t:1: undefined variable \"$x\""),
            (
                "{{ 1 | 2 }}",
                "template: t:1: non executable command in pipeline stage 2",
            ),
            ("{{ }}", "template: t:1: missing value for command"),
            ("{{ break }}", "template: t:1: {{break}} outside {{range}}"),
            (
                "{{ 99999999999999999999 }}",
                "template: t:1: integer overflow: \"99999999999999999999\"",
            ),
            (
                "{{ \"a\".b }}",
                "template: t:1: unexpected . after term \"\\\"a\\\"\"",
            ),
            (
                "{{ range $a, $b, $c := . }}{{end}}",
                "template: t:1: too many declarations in range",
            ),
            (
                "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
                "template: t:1: expected end; found {{else}}",
            ),
            (
                "{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}",
                "template: t:1: template: multiple definition of template \"a\"",
            ),
            ("{{ (1 }}", "template: t:1: unclosed left paren"),
            ("{{\n.x\n", "template: t:3: unclosed action started at t:1"),
            ("{{ \"\\q\" }}", "template: t:1: invalid syntax"),
            ("{{ \"\\é\" }}", "template: t:1: invalid syntax"),
            ("{{ '\\é' }}", "template: t:1: invalid syntax"),
            (
                "{{ 'ab' }}",
                "template: t:1: malformed character constant: 'ab'",
            ),
            (
                "{{ 1 2 | printf }}x{{ with }}",
                "template: t:1: missing value for with",
            ),
            ("{{ .a b }}", "template: t:1: function \"b\" not defined"),
        ];
        for (src, want) in cases {
            assert_eq!(err(src), want, "source {src:?}");
        }
    }

    #[test]
    fn defines_become_trees() {
        let set = parse(
            "file",
            "a{{ define \"x\" }}X{{ end }}{{ block \"y\" . }}Y{{ end }}".into(),
            &funcs(),
            &mut Interner::default(),
        )
        .unwrap_or_default();
        let mut names: Vec<_> = set.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["file", "x", "y"]);
        assert_eq!(&*set["x"].parse_name, "file");
    }

    #[test]
    fn numbers_follow_go_rules() {
        let n = |s: &str| new_number(0, s, ItemType::Number);
        let v = n("0x1F").unwrap_or_else(|e| panic!("{e}"));
        assert!(v.is_int && v.int == 31);
        assert_eq!(n("0o17").map(|v| v.int), Ok(15));
        assert_eq!(n("017").map(|v| v.int), Ok(15));
        assert_eq!(n("0b101").map(|v| v.int), Ok(5));
        assert_eq!(n("1_000").map(|v| v.int), Ok(1000));
        assert_eq!(n("0x1p-2").map(|v| v.float), Ok(0.25));
        assert_eq!(n("1.5e3").map(|v| (v.is_int, v.float)), Ok((true, 1500.0)));
        assert!(n("1__0").is_err());
        assert!(n("08").is_err());
        assert!(n("1e400").is_err());
        let c = new_number(0, "'\\n'", ItemType::CharConstant).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.int, 10);
    }

    #[test]
    fn unquote_like_strconv() {
        assert_eq!(unquote("\"a\\tb\\u00e9\\101\"").as_deref(), Some("a\tbéA"));
        assert_eq!(unquote("`a\\n\r`").as_deref(), Some("a\\n"));
        assert_eq!(unquote("\"\\'\""), None);
    }
}
