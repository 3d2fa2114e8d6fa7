//! Dynamic values with Go's shapes: what a Go template sees through `interface{}`.
//!
//! Cloning is cheap everywhere (reference counts), so field access never deep-copies.
//! Maps are shared and mutable like Go maps: Sprig's `set` on `.Values` is seen by
//! every holder of that map.

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use super::funcs::Func;

/// A Go value as templates see it.
#[derive(Clone, Default)]
pub enum Value {
    /// `nil` (an empty interface).
    #[default]
    Nil,
    Bool(bool),
    /// Go `int`: template literals, `len`, Sprig's `int`.
    Int(i64),
    /// Go `int64`: Sprig math results, `--set` integers.
    Int64(i64),
    /// Go `float64`: every number read from YAML or JSON values.
    Float(f64),
    Str(Rc<str>),
    /// `[]interface {}`.
    List(Rc<Vec<Value>>),
    Map(Map),
    /// Anything with fields or methods (Helm's `.Files`, `.Capabilities`, …).
    Object(Rc<dyn Object>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Go's `text/template` truth: zero values and empty containers are false.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(o) => match o.underlying() {
                Some(inner) => inner.is_true(),
                None => !o.is_zero(),
            },
        }
    }

    /// The Go type name, as `%T` and error messages print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Float(_) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(m) => m.kind().type_name().into(),
            Value::Object(o) => o.type_name(),
        }
    }

    /// Whether this slice's elements are `interface {}` (a nil element is then a nil
    /// interface); typed slices such as `[]string` hold concrete values.
    pub(crate) fn elems_are_interfaces(&self) -> bool {
        match self {
            Value::List(_) => true,
            Value::Map(m) => m.kind() != MapKind::Strings,
            Value::Object(o) => o.type_name().ends_with("interface {}"),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer inside an `int` or `int64`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            _ => None,
        }
    }

    /// Objects that behave like a map or list (Helm's `.Files`, `APIVersions`)
    /// expose it here so `range`, `len` and `index` work on them.
    pub(crate) fn underlying(&self) -> Value {
        match self {
            Value::Object(o) => o.underlying().unwrap_or_else(|| self.clone()),
            _ => self.clone(),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(Rc::from(s))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(m)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({})",
            self.type_name(),
            super::gofmt::sprint(std::slice::from_ref(self))
        )
    }
}

/// Which Go map type a [`Map`] is; it decides `%T`, and what a missing key yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MapKind {
    /// `map[string]interface {}`.
    #[default]
    Any,
    /// Helm's named values type (`common.Values` in Helm 4): Sprig's `dig` rejects it.
    HelmValues,
    /// `map[string]string` (Sprig's `split`): missing keys read as `""`.
    Strings,
}

impl MapKind {
    pub fn type_name(self) -> &'static str {
        match self {
            MapKind::Any => "map[string]interface {}",
            MapKind::HelmValues => "common.Values",
            MapKind::Strings => "map[string]string",
        }
    }
}

struct MapInner {
    kind: MapKind,
    /// A nil Go map (`json.Unmarshal` of `null`): it reads as empty and encodes as
    /// JSON `null`. The first write makes it an ordinary map, as mergo does when
    /// it merges into a nil map.
    nil: Cell<bool>,
    entries: RefCell<BTreeMap<String, Value>>,
}

/// A Go map with string keys, shared by reference. Keys iterate in byte order,
/// which is the order Go's `range` and `fmt` use.
#[derive(Clone)]
pub struct Map(Rc<MapInner>);

impl Default for Map {
    fn default() -> Self {
        Map::new(MapKind::Any)
    }
}

impl Map {
    pub fn new(kind: MapKind) -> Map {
        Map::from_entries(kind, BTreeMap::new())
    }

    pub fn from_entries(kind: MapKind, entries: BTreeMap<String, Value>) -> Map {
        Map(Rc::new(MapInner {
            kind,
            nil: Cell::new(false),
            entries: RefCell::new(entries),
        }))
    }

    /// A nil map of this kind.
    pub fn nil(kind: MapKind) -> Map {
        let map = Map::new(kind);
        map.0.nil.set(true);
        map
    }

    /// Whether this is a nil map (no entry was ever written).
    pub fn is_nil(&self) -> bool {
        self.0.nil.get()
    }

    pub fn kind(&self) -> MapKind {
        self.0.kind
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.0.entries.borrow().get(key).cloned()
    }

    pub fn insert(&self, key: impl Into<String>, value: Value) {
        self.entries_mut().insert(key.into(), value);
    }

    pub fn remove(&self, key: &str) -> Option<Value> {
        self.0.entries.borrow_mut().remove(key)
    }

    pub fn len(&self) -> usize {
        self.0.entries.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.entries.borrow().is_empty()
    }

    /// A snapshot of the entries in key order. Callers can run template code while
    /// iterating it, even code that changes the map (Go's `range` does the same).
    pub fn snapshot(&self) -> Vec<(String, Value)> {
        self.0
            .entries
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Read access. Don't run template code while holding it.
    pub fn entries(&self) -> Ref<'_, BTreeMap<String, Value>> {
        self.0.entries.borrow()
    }

    /// Write access. Don't run template code while holding it.
    pub fn entries_mut(&self) -> RefMut<'_, BTreeMap<String, Value>> {
        self.0.nil.set(false);
        self.0.entries.borrow_mut()
    }

    /// Whether two handles share one map (Go's map identity).
    pub fn same(&self, other: &Map) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A Go struct or named type exposed to templates: fields, methods, printing.
pub trait Object {
    /// The Go type name for `%T` and errors, e.g. `chartutil.Capabilities`.
    fn type_name(&self) -> String;

    /// A struct field. Fields can't take arguments.
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    /// A method, called with the template's arguments (`.APIVersions.Has "v1"`).
    /// Go looks methods up before fields and map keys.
    fn method(&self, _name: &str) -> Option<Func> {
        None
    }

    /// The map or list this type is built on, if any, for `range`, `len`, `index`
    /// and printing.
    fn underlying(&self) -> Option<Value> {
        None
    }

    /// `String()` for types that implement Go's `fmt.Stringer`.
    fn stringer(&self) -> Option<String> {
        None
    }

    /// Whether this is its type's zero value (false in `if`, `empty` in Sprig).
    /// Structs never are; maps and lists answer through [`Object::underlying`].
    fn is_zero(&self) -> bool {
        false
    }

    /// `String()` declared on the pointer type of a struct held by value
    /// (`common.KubeVersion`): an action prints the (addressable) value with
    /// it, but `fmt` (`printf`, `print`, `toString`) sees a plain struct.
    fn pointer_stringer(&self) -> Option<String> {
        None
    }

    /// A struct's fields in declaration order, for printing (`{a b}`, or
    /// `{A:a B:b}` with `%+v`).
    fn struct_fields(&self) -> Vec<(String, Value)> {
        Vec::new()
    }

    /// The fields `encoding/json` writes: the exported ones, under their
    /// `json` tag names, in declaration order.
    fn json_fields(&self) -> Vec<(String, Value)> {
        self.struct_fields()
    }

    /// Whether templates hold a pointer to the struct: it prints as `&{…}`, and
    /// as an address when nested (never reproducible, so avoid printing those).
    fn is_pointer(&self) -> bool {
        false
    }

    /// What Go's `encoding/json` writes in this value's place, for types that
    /// implement `json.Marshaler` (a semver version writes its text, a time its
    /// RFC 3339 form) and for nil slices (`null`). `None`: the underlying map or
    /// list, else the struct fields.
    fn marshal_json(&self) -> Option<Value> {
        None
    }
}

/// A Go slice other than a non-nil `[]interface {}` (that one is [`Value::List`]):
/// a typed slice (`[]string`, `[]int`, …) or a nil slice. It prints, ranges and
/// indexes like a list, keeps its Go type name for `typeOf`, and a nil one
/// encodes as JSON `null` (Sprig's `rest` of an empty list, `regexFindAll`
/// without a match).
pub struct TypedList {
    type_name: &'static str,
    items: Rc<Vec<Value>>,
    nil: bool,
}

impl TypedList {
    /// A non-nil slice of type `type_name` holding `items`.
    pub fn value(type_name: &'static str, items: Vec<Value>) -> Value {
        Value::Object(Rc::new(TypedList {
            type_name,
            items: Rc::new(items),
            nil: false,
        }))
    }

    /// A nil slice of type `type_name`.
    pub fn nil(type_name: &'static str) -> Value {
        Value::Object(Rc::new(TypedList {
            type_name,
            items: Rc::default(),
            nil: true,
        }))
    }
}

impl Object for TypedList {
    fn type_name(&self) -> String {
        self.type_name.to_string()
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::List(self.items.clone()))
    }

    fn marshal_json(&self) -> Option<Value> {
        self.nil.then_some(Value::Nil)
    }
}

/// A Go `complex128`, which only a template's complex constant (`1i`) makes.
/// It prints as Go does, `(0+1i)`.
pub struct Complex128 {
    re: f64,
    im: f64,
}

impl Complex128 {
    pub fn value(re: f64, im: f64) -> Value {
        Value::Object(Rc::new(Complex128 { re, im }))
    }
}

impl Object for Complex128 {
    fn type_name(&self) -> String {
        "complex128".into()
    }

    fn is_zero(&self) -> bool {
        self.re == 0.0 && self.im == 0.0
    }

    fn stringer(&self) -> Option<String> {
        let part = |format, x| super::gofmt::sprintf(format, &[Value::Float(x)]);
        Some(format!(
            "({}{}i)",
            part("%g", self.re),
            part("%+g", self.im)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_follows_go() {
        assert!(!Value::Nil.is_true());
        assert!(!Value::Int(0).is_true());
        assert!(!Value::Float(0.0).is_true());
        assert!(!Value::str("").is_true());
        assert!(!Value::list(vec![]).is_true());
        assert!(!Value::Map(Map::default()).is_true());
        assert!(Value::str("false").is_true());
        assert!(Value::Int64(-1).is_true());
        assert!(Value::list(vec![Value::Nil]).is_true());
    }

    #[test]
    fn maps_are_shared_by_reference() {
        let m = Map::default();
        let alias = Value::Map(m.clone());
        m.insert("a", Value::Int(1));
        let Value::Map(seen) = alias else {
            unreachable!()
        };
        assert_eq!(seen.get("a").and_then(|v| v.as_int()), Some(1));
        assert!(seen.same(&m));
    }

    #[test]
    fn type_names_are_go_names() {
        assert_eq!(Value::Int(1).type_name(), "int");
        assert_eq!(Value::Int64(1).type_name(), "int64");
        assert_eq!(Value::list(vec![]).type_name(), "[]interface {}");
        assert_eq!(
            Value::Map(Map::new(MapKind::HelmValues)).type_name(),
            "common.Values"
        );
    }
}
