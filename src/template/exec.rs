//! Executes parsed templates with Go's semantics, following `text/template`'s
//! evaluator step by step: which node is "current" when an error happens decides
//! the position and context Go prints, so this code sets it at the same points.

use std::rc::Rc;

use super::ast::{Arg, Branch, Command, List, Node, Number, Pipe, TemplateCall, Tree};
use super::builtins::{self, Builtin};
use super::error::TemplateError;
use super::funcs::{Call, Callee, Ty};
use super::set::{MissingKey, TemplateSet};
use super::value::{Complex128, MapKind, Value};

/// A value plus whether its static Go type is `interface {}`.
///
/// Go tells a nil *interface* (a map entry holding nil, a range element) from an
/// *invalid* value (a pipeline that produced nil): `.a.b` on the first is a "nil
/// pointer evaluating interface {}.b" error, on the second it quietly yields
/// nothing. Pipelines unwrap interfaces, so only field access and `range` set it.
#[derive(Clone)]
pub(super) struct Slot {
    pub v: Value,
    pub iface: bool,
}

impl Slot {
    pub fn of(v: Value) -> Slot {
        Slot { v, iface: false }
    }

    pub fn invalid() -> Slot {
        Slot::of(Value::Nil)
    }

    pub fn is_invalid(&self) -> bool {
        self.v.is_nil() && !self.iface
    }

    /// The Go type name of the slot (`interface {}` for interface slots).
    pub fn static_type(&self) -> String {
        if self.iface {
            "interface {}".into()
        } else {
            self.v.type_name()
        }
    }
}

/// The node Go's executor would name in an error.
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Pipe(&'a Pipe),
    Command(&'a Command),
    Arg(&'a Arg),
    Template(&'a TemplateCall),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::None => 0,
            At::Pipe(p) => p.pos,
            At::Command(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::Template(t) => t.pos,
        }
    }

    fn context(&self) -> String {
        match self {
            At::None => String::new(),
            At::Pipe(p) => p.to_string(),
            At::Command(c) => c.to_string(),
            At::Arg(a) => a.to_string(),
            At::Template(t) => t.to_string(),
        }
    }
}

/// How a list walk ended.
#[derive(PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Box<TemplateError>>;

pub(crate) struct Exec<'a> {
    pub(super) set: &'a TemplateSet,
    tree: &'a Tree,
    out: String,
    node: At<'a>,
    /// Variables in scope, innermost last; a template call's own start at `frame`.
    vars: Vec<(&'a str, Slot)>,
    frame: usize,
    depth: usize,
}

impl<'a> Exec<'a> {
    /// Runs `name` from `set`; `depth` counts enclosing executions.
    pub(super) fn run(
        set: &'a TemplateSet,
        name: &str,
        data: Value,
        depth: usize,
    ) -> Result<String, TemplateError> {
        let tree = set.lookup(name).ok_or_else(|| set.no_template(name))?;
        let dot = Slot::of(data);
        let mut exec = Exec {
            set,
            tree,
            // Mostly-text templates (CRDs) print about their own size: no
            // doubling on the way there, and no slack kept afterwards.
            out: String::with_capacity(tree.text.len()),
            node: At::None,
            vars: vec![("$", dot.clone())],
            frame: 0,
            depth,
        };
        exec.walk_list(&dot, &tree.root).map_err(|e| *e)?;
        exec.out.shrink_to_fit();
        Ok(exec.out)
    }

    /// An execution started by a function (`include`, `tpl`), one level deeper.
    pub(super) fn nested(
        &mut self,
        set: &TemplateSet,
        name: &str,
        data: Value,
    ) -> Result<String, TemplateError> {
        if self.depth >= self.set.max_depth {
            return Err(*self.error(format!(
                "exceeded maximum template depth ({})",
                self.set.max_depth
            )));
        }
        Exec::run(set, name, data, self.depth + 1)
    }

    pub(super) fn template_name(&self) -> &str {
        &self.tree.name
    }

    fn at(&mut self, node: At<'a>) {
        self.node = node;
    }

    /// Go's `state.errorf`: the message with the current node's location.
    fn error(&self, message: impl Into<String>) -> Box<TemplateError> {
        let message = message.into();
        if let At::None = self.node {
            return Box::new(TemplateError::Other(format!(
                "template: {}: {message}",
                self.tree.name
            )));
        }
        let context = self.node.context();
        Box::new(TemplateError::Exec {
            location: self.tree.location(self.node.pos()),
            template: self.tree.name.clone(),
            context,
            message,
        })
    }

    fn walk_list(&mut self, dot: &Slot, list: &'a List) -> R<Flow> {
        for node in &list.nodes {
            let flow = self.walk(dot, node)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Slot, node: &'a Node) -> R<Flow> {
        match node {
            Node::Text { start, end } => self.out.push_str(&self.tree.text[*start..*end]),
            Node::Action(pipe) => {
                let val = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print(&val);
                }
            }
            Node::If(b) => return self.walk_if_or_with(false, dot, b),
            Node::With(b) => return self.walk_if_or_with(true, dot, b),
            Node::Range(b) => return self.walk_range(dot, b),
            Node::Template(t) => self.walk_template(dot, t)?,
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn print(&mut self, val: &Slot) {
        match &val.v {
            Value::Nil => self.out.push_str("<no value>"),
            Value::Str(s) => self.out.push_str(s),
            Value::Int(i) | Value::Int64(i) => {
                use std::fmt::Write;
                let _ = write!(self.out, "{i}");
            }
            v => self.out.push_str(&super::gofmt::print_action_value(v)),
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Slot, b: &'a Branch) -> R<Flow> {
        let mark = self.vars.len();
        let result = self.if_or_with_body(with, dot, b);
        self.vars.truncate(mark);
        result
    }

    fn if_or_with_body(&mut self, with: bool, dot: &Slot, b: &'a Branch) -> R<Flow> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        if val.v.is_true() {
            let inner = if with { &val } else { dot };
            self.walk_list(inner, &b.list)
        } else if let Some(else_list) = &b.else_list {
            self.walk_list(dot, else_list)
        } else {
            Ok(Flow::Normal)
        }
    }

    fn walk_range(&mut self, dot: &Slot, r: &'a Branch) -> R<Flow> {
        let mark = self.vars.len();
        let result = self.range_body(dot, r);
        self.vars.truncate(mark);
        result.map(|_| Flow::Normal)
    }

    fn range_body(&mut self, dot: &Slot, r: &'a Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        let iface = val.v.elems_are_interfaces();
        let ran = match val.v.underlying() {
            Value::Int(n) | Value::Int64(n) => {
                if r.pipe.decl.len() > 1 {
                    let shown = super::gofmt::sprint(std::slice::from_ref(&val.v));
                    return Err(self.error(format!(
                        "can't use {shown} to iterate over more than one variable"
                    )));
                }
                let int64 = matches!(val.v, Value::Int64(_));
                for i in 0..n.max(0) {
                    let elem = Slot::of(if int64 {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    });
                    if self.one_iteration(r, mark, Slot::invalid(), elem)? == Flow::Break {
                        break;
                    }
                }
                n > 0
            }
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    let elem = Slot {
                        v: item.clone(),
                        iface,
                    };
                    let index = Slot::of(Value::Int(i as i64));
                    if self.one_iteration(r, mark, index, elem)? == Flow::Break {
                        break;
                    }
                }
                !items.is_empty()
            }
            Value::Map(m) => {
                let entries = m.snapshot();
                for (k, v) in &entries {
                    let elem = Slot {
                        v: v.clone(),
                        iface,
                    };
                    if self.one_iteration(r, mark, Slot::of(Value::str(k)), elem)? == Flow::Break {
                        break;
                    }
                }
                !entries.is_empty()
            }
            Value::Nil => false,
            other => {
                let shown = super::gofmt::sprint(&[other]);
                return Err(self.error(format!("range can't iterate over {shown}")));
            }
        };
        if !ran && let Some(else_list) = &r.else_list {
            self.walk_list(dot, else_list)?;
        }
        Ok(())
    }

    fn one_iteration(&mut self, r: &'a Branch, mark: usize, index: Slot, elem: Slot) -> R<Flow> {
        let decl = &r.pipe.decl;
        if !decl.is_empty() {
            if r.pipe.is_assign {
                let first = if decl.len() > 1 { &index } else { &elem };
                self.set_var(&decl[0], first.clone())?;
            } else {
                let top = self.vars.len() - 1;
                self.vars[top].1 = elem.clone();
            }
        }
        if decl.len() > 1 {
            if r.pipe.is_assign {
                self.set_var(&decl[1], elem.clone())?;
            } else {
                let second = self.vars.len() - 2;
                self.vars[second].1 = index;
            }
        }
        let flow = self.walk_list(&elem, &r.list);
        self.vars.truncate(mark);
        flow
    }

    fn walk_template(&mut self, dot: &Slot, t: &'a TemplateCall) -> R<()> {
        self.at(At::Template(t));
        let Some(callee) = self.set.lookup(&t.name) else {
            return Err(self.error(format!(
                "template {} not defined",
                super::gofmt::quote(&t.name)
            )));
        };
        if self.depth >= self.set.max_depth {
            return Err(self.error(format!(
                "exceeded maximum template depth ({})",
                self.set.max_depth
            )));
        }
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Slot::invalid(),
        };
        let saved_tree = std::mem::replace(&mut self.tree, callee);
        // The callee sees only its own `$`, pushed above the caller's variables.
        let saved_frame = std::mem::replace(&mut self.frame, self.vars.len());
        self.vars.push(("$", new_dot.clone()));
        self.depth += 1;
        let result = self.walk_list(&new_dot, &callee.root);
        self.depth -= 1;
        self.tree = saved_tree;
        self.vars.truncate(self.frame);
        self.frame = saved_frame;
        result.map(|_| ())
    }

    fn set_var(&mut self, name: &str, value: Slot) -> R<()> {
        match self.vars[self.frame..]
            .iter_mut()
            .rev()
            .find(|(n, _)| *n == name)
        {
            Some(var) => {
                var.1 = value;
                Ok(())
            }
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn var_value(&self, name: &str) -> R<Slot> {
        match self.vars[self.frame..]
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
        {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn eval_pipeline(&mut self, dot: &Slot, pipe: &'a Pipe) -> R<Slot> {
        self.at(At::Pipe(pipe));
        let mut value: Option<Slot> = None;
        for cmd in &pipe.cmds {
            let mut v = self.eval_command(dot, cmd, value.take())?;
            // Like Go, step out of `interface {}` after every command.
            v.iface = false;
            value = Some(v);
        }
        let value = value.unwrap_or_else(Slot::invalid);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name, value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Slot>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            let head = args.first().map(|a| a.to_string()).unwrap_or_default();
            return Err(self.error(format!("can't give argument to non-function {head}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Slot, cmd: &'a Command, fin: Option<Slot>) -> R<Slot> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { ident, .. } => {
                self.at(At::Arg(first));
                return self.eval_field_chain(dot, dot.clone(), first, ident, &cmd.args, fin);
            }
            Arg::Chain { .. } => return self.eval_chain(dot, first, &cmd.args, fin),
            Arg::Identifier { name, callee, .. } => {
                self.at(At::Arg(first));
                return self.eval_call(dot, callee, At::Command(cmd), name, &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { .. } => return self.eval_variable(dot, first, &cmd.args, fin),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { val, .. } => Ok(Slot::of(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Err(self.error("nil is not a command")),
            Arg::Number(n) => self.ideal_constant(first, n),
            Arg::String { text, .. } => Ok(Slot::of(Value::Str(text.clone()))),
            _ => Err(self.error(format!(
                "can't evaluate command {}",
                super::gofmt::quote(&first.to_string())
            ))),
        }
    }

    /// An untyped numeric constant becomes an `int` or a `float64`, as in Go.
    fn ideal_constant(&mut self, node: &'a Arg, n: &Number) -> R<Slot> {
        self.at(At::Arg(node));
        if let Some((re, im)) = n.complex {
            return Ok(Slot::of(Complex128::value(re, im)));
        }
        let text = &n.text;
        let hex_int = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let rune = text.starts_with('\'');
        if n.is_float && !hex_int && !rune && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Slot::of(Value::Float(n.float)));
        }
        if n.is_int {
            return Ok(Slot::of(Value::Int(n.int)));
        }
        if n.is_uint {
            return Err(self.error(format!("{text} overflows int")));
        }
        Ok(Slot::invalid())
    }

    fn eval_variable(
        &mut self,
        dot: &Slot,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        self.at(At::Arg(node));
        let Arg::Variable { ident, .. } = node else {
            return Ok(Slot::invalid());
        };
        let value = self.var_value(&ident[0])?;
        if ident.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, &ident[1..], args, fin)
    }

    fn eval_chain(
        &mut self,
        dot: &Slot,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        self.at(At::Arg(node));
        let Arg::Chain {
            node: head, field, ..
        } = node
        else {
            return Ok(Slot::invalid());
        };
        let receiver = self.eval_operand(dot, head)?;
        self.eval_field_chain(dot, receiver, node, field, args, fin)
    }

    /// Go's `evalArg` with no target type: the operand's value as it is.
    fn eval_operand(&mut self, dot: &Slot, node: &'a Arg) -> R<Slot> {
        self.at(At::Arg(node));
        match node {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Field { ident, .. } => self.eval_field_chain(
                dot,
                dot.clone(),
                node,
                ident,
                std::slice::from_ref(node),
                None,
            ),
            Arg::Variable { .. } => self.eval_variable(dot, node, &[], None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { .. } => self.eval_function(dot, node),
            Arg::Chain { .. } => self.eval_chain(dot, node, &[], None),
            Arg::Bool { val, .. } => Ok(Slot::of(Value::Bool(*val))),
            Arg::Number(n) => self.ideal_constant(node, n),
            Arg::String { text, .. } => Ok(Slot::of(Value::Str(text.clone()))),
            Arg::Nil { .. } => {
                Err(self.error(format!("indirection through explicit nil in {node}")))
            }
        }
    }

    fn eval_field_chain(
        &mut self,
        dot: &Slot,
        mut receiver: Slot,
        node: &'a Arg,
        ident: &[Rc<str>],
        args: &'a [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        let n = ident.len();
        for name in &ident[..n - 1] {
            receiver = self.eval_field(dot, name, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, args, fin, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &Slot,
        name: &str,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<Slot>,
        receiver: Slot,
    ) -> R<Slot> {
        if receiver.is_invalid() {
            if self.set.missing_key == MissingKey::Error {
                return Err(self.error(format!(
                    "nil data; no entry for key {}",
                    super::gofmt::quote(name)
                )));
            }
            return Ok(Slot::invalid());
        }
        if receiver.v.is_nil() {
            let typ = receiver.static_type();
            return Err(self.error(format!("nil pointer evaluating {typ}.{name}")));
        }
        if let Value::Object(o) = &receiver.v
            && let Some(method) = o.method(name)
        {
            return self.eval_call(dot, &Callee::Func(method), At::Arg(node), name, args, fin);
        }
        let has_args = args.len() > 1 || fin.is_some();
        let underlying;
        let target = match &receiver.v {
            Value::Object(o) => {
                if let Some(field) = o.field(name) {
                    if has_args {
                        return Err(self.error(format!(
                            "{name} has arguments but cannot be invoked as function"
                        )));
                    }
                    return Ok(Slot::of(field));
                }
                underlying = o.underlying();
                underlying.as_ref()
            }
            v => Some(v),
        };
        if let Some(Value::Map(m)) = target {
            if has_args {
                return Err(self.error(format!("{name} is not a method but has arguments")));
            }
            let iface = m.kind() != MapKind::Strings;
            return match m.get(name) {
                Some(v) => Ok(Slot { v, iface }),
                None => match self.set.missing_key {
                    MissingKey::Invalid => Ok(Slot::invalid()),
                    MissingKey::Zero if iface => Ok(Slot {
                        v: Value::Nil,
                        iface,
                    }),
                    MissingKey::Zero => Ok(Slot::of(Value::str(""))),
                    MissingKey::Error => Err(self.error(format!(
                        "map has no entry for key {}",
                        super::gofmt::quote(name)
                    ))),
                },
            };
        }
        let typ = receiver.static_type();
        Err(self.error(format!("can't evaluate field {name} in type {typ}")))
    }

    /// An operand naming a function: a call with no arguments.
    fn eval_function(&mut self, dot: &Slot, ident: &'a Arg) -> R<Slot> {
        self.at(At::Arg(ident));
        let Arg::Identifier { name, callee, .. } = ident else {
            return Ok(Slot::invalid());
        };
        self.eval_call(dot, callee, At::Arg(ident), name, &[], None)
    }

    fn eval_call(
        &mut self,
        dot: &Slot,
        callee: &Callee,
        node: At<'a>,
        name: &str,
        args: &'a [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        let args = if args.is_empty() { args } else { &args[1..] };
        let (params, variadic) = callee.signature();
        let num_in = args.len() + usize::from(fin.is_some());
        let mut num_fixed = args.len();
        if variadic.is_some() {
            num_fixed = params.len();
            if num_in < num_fixed {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    params.len(),
                    args.len()
                )));
            }
        } else if num_in != params.len() {
            return Err(self.error(format!(
                "wrong number of args for {name}: want {} got {num_in}",
                params.len()
            )));
        }

        if let Callee::Builtin(b @ (Builtin::And | Builtin::Or)) = callee {
            return self.eval_and_or(dot, *b == Builtin::Or, args, fin);
        }

        let mut argv: Vec<Slot> = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            argv.push(self.eval_arg(dot, params[i], &args[i])?);
            i += 1;
        }
        if let Some(rest) = variadic {
            while i < args.len() {
                argv.push(self.eval_arg(dot, rest, &args[i])?);
                i += 1;
            }
        }
        if let Some(f) = fin {
            let t = match variadic {
                Some(rest) if num_in > num_fixed => rest,
                Some(_) => params[num_in - 1],
                None => params[params.len() - 1],
            };
            argv.push(self.validate(f, t)?);
        }

        let result = match callee {
            Callee::Builtin(Builtin::Call) => {
                let callee_name = args.first().map_or_else(String::new, |a| a.to_string());
                builtins::call(&callee_name, &argv)
            }
            Callee::Builtin(b) => b.run(&argv),
            Callee::Func(f) => {
                let values = argv.into_iter().map(|s| s.v).collect();
                let mut call = Call { exec: self };
                (f.imp)(&mut call, values).map(Slot::of)
            }
        };
        result.map_err(|msg| {
            self.at(node);
            self.error(format!("error calling {name}: {msg}"))
        })
    }

    /// `and`/`or` evaluate arguments only until the answer is known.
    fn eval_and_or(
        &mut self,
        dot: &Slot,
        is_or: bool,
        args: &'a [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        let mut v = Slot::invalid();
        for arg in args {
            v = self.eval_arg(dot, Ty::Any, arg)?;
            if v.v.is_true() == is_or {
                return Ok(v);
            }
        }
        if let Some(f) = fin {
            v = f;
        }
        Ok(v)
    }

    /// Go's `evalArg`: evaluates an argument for a parameter of type `ty`.
    fn eval_arg(&mut self, dot: &Slot, ty: Ty, n: &'a Arg) -> R<Slot> {
        self.at(At::Arg(n));
        let value = match n {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                if ty.can_be_nil() {
                    return Ok(Slot::invalid());
                }
                return Err(self.error(format!("cannot assign nil to {}", ty.go_name())));
            }
            Arg::Field { ident, .. } => {
                self.eval_field_chain(dot, dot.clone(), n, ident, std::slice::from_ref(n), None)?
            }
            Arg::Variable { .. } => self.eval_variable(dot, n, &[], None)?,
            Arg::Pipe(p) => self.eval_pipeline(dot, p)?,
            Arg::Identifier { .. } => self.eval_function(dot, n)?,
            Arg::Chain { .. } => self.eval_chain(dot, n, &[], None)?,
            Arg::Bool { val, .. } => {
                return match ty {
                    Ty::Bool | Ty::Any => Ok(Slot::of(Value::Bool(*val))),
                    _ => Err(self.literal_mismatch(ty, n)),
                };
            }
            Arg::Number(num) => {
                return match ty {
                    Ty::Any => self.ideal_constant(n, num),
                    Ty::Int if num.is_int => Ok(Slot::of(Value::Int(num.int))),
                    Ty::Int64 if num.is_int => Ok(Slot::of(Value::Int64(num.int))),
                    Ty::Float64 if num.is_float => Ok(Slot::of(Value::Float(num.float))),
                    _ => Err(self.literal_mismatch(ty, n)),
                };
            }
            Arg::String { text, .. } => {
                return match ty {
                    Ty::Str | Ty::Any => Ok(Slot::of(Value::Str(text.clone()))),
                    _ => Err(self.literal_mismatch(ty, n)),
                };
            }
        };
        self.validate(value, ty)
    }

    fn literal_mismatch(&self, ty: Ty, n: &Arg) -> Box<TemplateError> {
        let expected = match ty {
            Ty::Bool => "bool",
            Ty::Str => "string",
            Ty::Int | Ty::Int64 => "integer",
            Ty::Float64 => "float",
            Ty::Any | Ty::Map | Ty::List => {
                return self.error(format!("can't handle {n} for arg of type {}", ty.go_name()));
            }
        };
        self.error(format!("expected {expected}; found {n}"))
    }

    /// Go's `validateType`: converts a value to a parameter type or explains why not.
    fn validate(&self, value: Slot, ty: Ty) -> R<Slot> {
        if value.is_invalid() {
            if ty.can_be_nil() {
                return Ok(value);
            }
            return Err(self.error(format!("invalid value; expected {}", ty.go_name())));
        }
        if ty == Ty::Any || (!value.iface && ty.accepts(&value.v)) {
            return Ok(value);
        }
        if value.iface && !value.v.is_nil() && ty.accepts(&value.v) {
            return Ok(Slot::of(value.v));
        }
        let got = if value.iface && !value.v.is_nil() {
            value.v.type_name()
        } else {
            value.static_type()
        };
        Err(self.error(format!(
            "wrong type for value; expected {}; got {got}",
            ty.go_name()
        )))
    }
}

#[cfg(test)]
mod tests {
    //! How templates behave, one construct at a time. Every expectation was
    //! checked against Go 1.26's `text/template` with the same data and options.

    use super::super::{Funcs, Map, MissingKey, TemplateSet, Value};

    /// Helm's setup: `missingkey=zero`, data `{s: "str", n: 3.0, list: [1, "a"], m: {a: 1}}`.
    fn run(src: &str) -> Result<String, String> {
        let mut set = TemplateSet::new("gotpl", Funcs::new());
        set.set_missing_key(MissingKey::Zero);
        set.parse("t", src).map_err(|e| e.to_string())?;
        let m = Map::default();
        m.insert("a", Value::Float(1.0));
        let data = Map::default();
        data.insert("s", Value::str("str"));
        data.insert("n", Value::Float(3.0));
        data.insert(
            "list",
            Value::list(vec![Value::Float(1.0), Value::str("a")]),
        );
        data.insert("m", Value::Map(m));
        set.execute("t", Value::Map(data))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn trim_markers_eat_whitespace_on_their_side() {
        assert_eq!(run("a {{- .s -}} b"), Ok("astrb".into()));
        assert_eq!(run("a\n  {{- .s }}\n  b"), Ok("astr\n  b".into()));
        assert_eq!(run("a  {{- /* c */ -}}  b"), Ok("ab".into()));
        // Without a space after the dash it is a negative number.
        assert_eq!(run("{{-3}}"), Ok("-3".into()));
    }

    #[test]
    fn variables_live_until_the_end_of_their_block() {
        assert_eq!(
            run("{{ $x := 1 }}{{ if .s }}{{ $x = 2 }}{{ end }}{{ $x }}"),
            Ok("2".into())
        );
        assert_eq!(
            run("{{ $x := 1 }}{{ if .s }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}"),
            Ok("21".into())
        );
        assert_eq!(
            run("{{ range .list }}{{ $.s }}{{ end }}"),
            Ok("strstr".into())
        );
    }

    #[test]
    fn range_forms() {
        assert_eq!(
            run("{{ range $i, $v := .list }}{{ $i }}={{ $v }};{{ end }}"),
            Ok("0=1;1=a;".into())
        );
        assert_eq!(
            run("{{ range $k, $v := .m }}{{ $k }}:{{ $v }}{{ end }}"),
            Ok("a:1".into())
        );
        assert_eq!(run("{{ range 3 }}{{ . }}{{ end }}"), Ok("012".into()));
        assert_eq!(
            run("{{ range .nope }}x{{ else }}none{{ end }}"),
            Ok("none".into())
        );
        assert_eq!(
            run("{{ range .list }}{{ break }}{{ end }}done"),
            Ok("done".into())
        );
    }

    #[test]
    fn missing_values_print_no_value_and_chain_into_errors() {
        assert_eq!(run("{{ .nope }}"), Ok("<no value>".into()));
        assert_eq!(run("{{ print .nope }}"), Ok("<nil>".into()));
        assert_eq!(run("{{ (.nope).b }}"), Ok("<no value>".into()));
        assert_eq!(
            run("{{ .nope.b }}"),
            Err("template: t:1:8: executing \"t\" at <.nope.b>: nil pointer evaluating interface {}.b".into())
        );
        assert_eq!(
            run("{{ .s.x }}"),
            Err("template: t:1:5: executing \"t\" at <.s.x>: can't evaluate field x in type interface {}".into())
        );
    }

    #[test]
    fn numbers_keep_their_go_types() {
        assert_eq!(
            run("{{ 1000000 }} {{ 1000000.0 }} {{ .n }}"),
            Ok("1000000 1e+06 3".into())
        );
        assert_eq!(run("{{ eq .n 3.0 }}"), Ok("true".into()));
        assert_eq!(
            run("{{ eq .n 3 }}"),
            Err(
                "template: t:1:3: executing \"t\" at <eq .n 3>: error calling eq: \
                 incompatible types for comparison: float64 and int"
                    .into()
            )
        );
    }

    #[test]
    fn and_or_stop_at_the_answer() {
        assert_eq!(run("{{ and .nope .nope.b }}"), Ok("<no value>".into()));
        assert_eq!(run("{{ or 0 .s }}"), Ok("str".into()));
    }

    #[test]
    fn named_templates_get_their_own_dot_and_variables() {
        let src = "{{ define \"x\" }}[{{ . }}{{ $ }}]{{ end }}{{ template \"x\" .s }}{{ template \"x\" }}";
        assert_eq!(run(src), Ok("[strstr][<no value><no value>]".into()));
        assert_eq!(
            run("{{ template \"y\" . }}"),
            Err("template: t:1:12: executing \"t\" at <{{template \"y\" .}}>: template \"y\" not defined".into())
        );
    }
}
