//! Parsed templates. `Display` prints nodes the way Go's `String()` does, because
//! runtime errors quote the failing node (`executing "x" at <.Values.a.b>`).

use std::fmt::{self, Display, Formatter, Write};
use std::rc::Rc;

use super::funcs::Callee;
use super::source::Source;

/// One named template: a file, or a `define`/`block` inside one.
#[derive(Clone)]
pub(super) struct Tree {
    pub name: String,
    /// The file it was parsed from, for error locations.
    pub parse_name: Rc<str>,
    /// That file's full text, to turn byte offsets into line:column.
    pub text: Source,
    /// Shared by the copies of a tree parsed from identical text.
    pub root: Rc<List>,
}

impl Tree {
    /// This tree as parsing the same text as file `file` would have made it
    /// (`from_file` is the file it was parsed as).
    pub fn relabel(
        &self,
        from_file: &str,
        file: &str,
        parse_name: &Rc<str>,
        text: &Source,
    ) -> Tree {
        Tree {
            name: if self.name == from_file {
                file.to_string()
            } else {
                self.name.clone()
            },
            parse_name: parse_name.clone(),
            text: text.clone(),
            root: self.root.clone(),
        }
    }

    /// Go's `IsEmptyTree`: only whitespace text (Unicode spaces, as `bytes.TrimSpace`).
    pub fn is_empty(&self) -> bool {
        self.root.nodes.iter().all(|n| match n {
            Node::Text { start, end } => self.text[*start..*end].trim().is_empty(),
            _ => false,
        })
    }

    /// `name:line:col`, with Go's 0-based byte column.
    pub fn location(&self, pos: usize) -> String {
        let before = &self.text[..pos.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }
}

#[derive(Default)]
pub(super) struct List {
    pub nodes: Vec<Node>,
}

pub(super) enum Node {
    /// `text[start..end]` of the tree's file.
    Text {
        start: usize,
        end: usize,
    },
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template(TemplateCall),
    Break,
    Continue,
}

pub(super) struct Branch {
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

pub(super) struct TemplateCall {
    pub pos: usize,
    pub name: String,
    pub pipe: Option<Pipe>,
}

pub(super) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<Rc<str>>,
    pub cmds: Vec<Command>,
}

pub(super) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

pub(super) enum Arg {
    /// `.a.b`
    Field {
        pos: usize,
        ident: Vec<Rc<str>>,
    },
    /// `$x.a.b`; `ident[0]` is the variable.
    Variable {
        pos: usize,
        ident: Vec<Rc<str>>,
    },
    /// `(pipe).a.b`, or fields after any other operand.
    Chain {
        pos: usize,
        node: Box<Arg>,
        field: Vec<Rc<str>>,
    },
    /// A function name, and the function it named when parsed.
    Identifier {
        pos: usize,
        name: Rc<str>,
        callee: Callee,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        val: bool,
    },
    Number(Box<Number>),
    String {
        pos: usize,
        quoted: Rc<str>,
        text: Rc<str>,
    },
    Pipe(Box<Pipe>),
}

/// A numeric constant with every interpretation Go allows for it.
pub(super) struct Number {
    pub pos: usize,
    pub text: Box<str>,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub int: i64,
    pub float: f64,
    /// (real, imaginary) of an imaginary or complex constant (`1i`, `1+2i`).
    pub complex: Option<(f64, f64)>,
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

fn write_idents(f: &mut Formatter<'_>, ident: &[Rc<str>]) -> fmt::Result {
    for id in ident {
        f.write_char('.')?;
        f.write_str(id)?;
    }
    Ok(())
}

impl Display for Arg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { ident, .. } => write_idents(f, ident),
            Arg::Variable { ident, .. } => {
                f.write_str(&ident[0])?;
                write_idents(f, &ident[1..])
            }
            Arg::Chain { node, field, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                write_idents(f, field)
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot { .. } => f.write_char('.'),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { val, .. } => write!(f, "{val}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(p) = arg {
                write!(f, "({p})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl Display for Pipe {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(v)?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Display for TemplateCall {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{template {}", super::gofmt::quote(&self.name))?;
        if let Some(p) = &self.pipe {
            write!(f, " {p}")?;
        }
        f.write_str("}}")
    }
}
