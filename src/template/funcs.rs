//! The function registry. Each function declares its Go parameter types, because
//! Go converts and checks arguments before the call and its errors name those
//! types (`wrong type for value; expected string; got int`).

use std::rc::Rc;

use super::builtins::Builtin;
use super::error::TemplateError;
use super::exec::Exec;
use super::intern::WordMap;
use super::set::TemplateSet;
use super::value::Value;

/// A Go parameter type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `interface {}`: anything, `nil` included.
    Any,
    Str,
    /// Go `int`.
    Int,
    Int64,
    Float64,
    Bool,
    /// `map[string]interface {}`; Helm's values map converts to it.
    Map,
    /// `[]interface {}`.
    List,
}

impl Ty {
    pub fn go_name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::Str => "string",
            Ty::Int => "int",
            Ty::Int64 => "int64",
            Ty::Float64 => "float64",
            Ty::Bool => "bool",
            Ty::Map => "map[string]interface {}",
            Ty::List => "[]interface {}",
        }
    }

    /// Go's `canBeNil`: a missing value converts to this type's nil.
    pub(super) fn can_be_nil(self) -> bool {
        matches!(self, Ty::Any | Ty::Map | Ty::List)
    }

    /// Whether a concrete value is assignable to this type.
    pub(super) fn accepts(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (Ty::Any, _)
                | (Ty::Str, Value::Str(_))
                | (Ty::Int, Value::Int(_))
                | (Ty::Int64, Value::Int64(_))
                | (Ty::Float64, Value::Float(_))
                | (Ty::Bool, Value::Bool(_))
                | (Ty::List, Value::List(_))
        ) || matches!((self, v), (Ty::Map, Value::Map(m)) if m.kind() != super::value::MapKind::Strings)
    }
}

/// A function's result: a value, or the message Go prints after `error calling NAME: `.
pub type FuncResult = Result<Value, String>;

type Impl = dyn Fn(&mut Call<'_, '_>, Vec<Value>) -> FuncResult;

/// A template function (or an object's method) with its Go signature.
#[derive(Clone)]
pub struct Func {
    pub(super) params: Rc<[Ty]>,
    pub(super) variadic: Option<Ty>,
    pub(super) imp: Rc<Impl>,
}

impl Func {
    /// A function taking exactly `params`.
    pub fn new(
        params: &[Ty],
        f: impl Fn(&mut Call<'_, '_>, Vec<Value>) -> FuncResult + 'static,
    ) -> Func {
        Func {
            params: params.into(),
            variadic: None,
            imp: Rc::new(f),
        }
    }

    /// A function taking `params` and then any number of `rest`.
    pub fn variadic(
        params: &[Ty],
        rest: Ty,
        f: impl Fn(&mut Call<'_, '_>, Vec<Value>) -> FuncResult + 'static,
    ) -> Func {
        Func {
            params: params.into(),
            variadic: Some(rest),
            imp: Rc::new(f),
        }
    }
}

/// What a function name resolves to: a Go built-in, or a registered function
/// (or an object's method).
#[derive(Clone)]
pub(super) enum Callee {
    Builtin(Builtin),
    Func(Func),
}

impl Callee {
    /// Go's parameter list: fixed parameters and the variadic element type.
    pub fn signature(&self) -> (&[Ty], Option<Ty>) {
        match self {
            Callee::Builtin(b) => b.signature(),
            Callee::Func(f) => (&f.params, f.variadic),
        }
    }
}

/// Functions available to templates, on top of Go's built-ins (which they override).
#[derive(Clone, Default)]
pub struct Funcs {
    map: WordMap<String, Func>,
}

impl Funcs {
    pub fn new() -> Funcs {
        Funcs::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, f: Func) {
        self.map.insert(name.into(), f);
    }

    pub fn remove(&mut self, name: &str) {
        self.map.remove(name);
    }

    pub fn get(&self, name: &str) -> Option<&Func> {
        self.map.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// What a template's function name calls, resolved once when parsing.
    pub(super) fn resolve(&self, name: &str) -> Option<Callee> {
        match self.map.get(name) {
            Some(f) => Some(Callee::Func(f.clone())),
            None => Builtin::lookup(name).map(Callee::Builtin),
        }
    }
}

/// What a function can reach while the template runs: named templates, for
/// `include`; the set and the current name, for `tpl`.
pub struct Call<'c, 'a> {
    pub(super) exec: &'c mut Exec<'a>,
}

impl Call<'_, '_> {
    /// Runs a named template of the running set with `data` as dot, capturing its
    /// output (Go's `ExecuteTemplate`, as Helm's `include` uses it).
    pub fn execute_template(&mut self, name: &str, data: Value) -> Result<String, TemplateError> {
        let set = self.exec.set;
        self.exec.nested(set, name, data)
    }

    /// Runs template `name` of another set (e.g. a clone with extra templates, for
    /// `tpl`), counting towards the same depth limit.
    pub fn execute_in(
        &mut self,
        set: &TemplateSet,
        name: &str,
        data: Value,
    ) -> Result<String, TemplateError> {
        self.exec.nested(set, name, data)
    }

    /// The running template set.
    pub fn set(&self) -> &TemplateSet {
        self.exec.set
    }

    /// The name of the template being executed (a `define` name, or the file).
    pub fn template_name(&self) -> &str {
        self.exec.template_name()
    }
}
