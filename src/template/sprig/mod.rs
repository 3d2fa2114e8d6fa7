//! Sprig v3.3.0's template functions, as Helm v4 exposes them (without `env`
//! and `expandenv`, and with Helm's `getHostByName`).
//!
//! Each family lives in its own file. Arguments are converted the way Sprig's Go
//! code converts them (`cast.ToInt64`, `strval`, reflection on lists), results
//! keep Sprig's Go types (`[]string`, `int64`, …) so printing and `typeOf` agree,
//! and Go panics come back as the error text Go's template engine reports.

use std::rc::Rc;

use super::funcs::{Func, FuncResult, Funcs, Ty};
use super::gofmt;
use super::value::{Map, TypedList, Value};

mod conversion;
mod crypto;
mod dates;
mod defaults;
mod dicts;
mod encoding;
mod json;
mod lists;
mod math;
mod network;
mod paths;
mod reflection;
mod regex;
mod semver;
mod strings;
mod urls;
mod uuid_rand;

#[cfg(test)]
mod tests;

/// Registers every Sprig function Helm offers.
pub fn register(funcs: &mut Funcs) {
    strings::register(funcs);
    conversion::register(funcs);
    defaults::register(funcs);
    lists::register(funcs);
    dicts::register(funcs);
    math::register(funcs);
    reflection::register(funcs);
    encoding::register(funcs);
    json::register(funcs);
    paths::register(funcs);
    regex::register(funcs);
    semver::register(funcs);
    dates::register(funcs);
    uuid_rand::register(funcs);
    crypto::register(funcs);
    network::register(funcs);
    urls::register(funcs);
}

/// Shorthand for registering a function.
fn def(
    funcs: &mut Funcs,
    name: &str,
    params: &[Ty],
    f: impl Fn(Vec<Value>) -> FuncResult + 'static,
) {
    funcs.insert(name, Func::new(params, move |_, a| f(a)));
}

/// Shorthand for registering a variadic function.
fn def_var(
    funcs: &mut Funcs,
    name: &str,
    params: &[Ty],
    rest: Ty,
    f: impl Fn(Vec<Value>) -> FuncResult + 'static,
) {
    funcs.insert(name, Func::variadic(params, rest, move |_, a| f(a)));
}

/// The text of a `string` parameter (the engine has checked the type).
fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The value of an `int` parameter.
fn i(v: &Value) -> i64 {
    v.as_int().unwrap_or_default()
}

fn typed_list(type_name: &'static str, items: Vec<Value>) -> Value {
    TypedList::value(type_name, items)
}

/// A Go `[]string`.
fn strings_value(items: impl IntoIterator<Item = String>) -> Value {
    typed_list("[]string", items.into_iter().map(Value::from).collect())
}

/// A `[]string` that Go builds by appending to a nil slice: still nil (JSON
/// `null`) when nothing was appended.
fn appended_strings(items: Vec<String>) -> Value {
    if items.is_empty() {
        TypedList::nil("[]string")
    } else {
        strings_value(items)
    }
}

/// A `[]interface {}` that Go builds by appending to a nil slice: nil when it
/// has no elements.
fn appended_list(items: Vec<Value>) -> Value {
    if items.is_empty() {
        TypedList::nil("[]interface {}")
    } else {
        Value::list(items)
    }
}

/// A Go `[]int`.
fn ints_value(items: impl IntoIterator<Item = i64>) -> Value {
    typed_list("[]int", items.into_iter().map(Value::Int).collect())
}

/// The elements of anything reflect sees as a slice.
fn as_list(v: &Value) -> Option<Rc<Vec<Value>>> {
    match v {
        Value::List(l) => Some(l.clone()),
        Value::Object(o) => match o.underlying() {
            Some(Value::List(l)) => Some(l),
            _ => None,
        },
        _ => None,
    }
}

/// A slice of the same Go type as `like`, holding `items`.
fn same_list_type(like: &Value, items: Vec<Value>) -> Value {
    if let Value::Object(o) = like {
        let name = o.type_name();
        for known in ["[]string", "[]int", "[][]interface {}"] {
            if name == known {
                return typed_list(known, items);
            }
        }
    }
    Value::list(items)
}

/// The map inside a value, when it is one (named map types included).
fn as_map(v: &Value) -> Option<Map> {
    match v {
        Value::Map(m) => Some(m.clone()),
        Value::Object(o) => match o.underlying() {
            Some(Value::Map(m)) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// reflect's `Kind().String()` for a value.
fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Int64(_) => "int64",
        Value::Float(_) => "float64",
        Value::Str(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(o) => match o.underlying() {
            Some(Value::List(_)) => "slice",
            Some(Value::Map(_)) => "map",
            Some(Value::Str(_)) => "string",
            _ if o.type_name() == "complex128" => "complex128",
            _ if o.is_pointer() => "ptr",
            _ => "struct",
        },
    }
}

/// The Go panic `reflect.TypeOf(nil).Kind()` causes.
const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

/// Sprig's `strval`: strings as they are, `Stringer`s through `String()`,
/// everything else through `fmt`'s `%v`.
fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Object(o) => match o.stringer() {
            Some(s) => s,
            None => gofmt::sprint(std::slice::from_ref(v)),
        },
        _ => gofmt::sprint(std::slice::from_ref(v)),
    }
}

/// Go's `%v` of one value.
fn sprint1(v: &Value) -> String {
    gofmt::sprint(std::slice::from_ref(v))
}

/// Sprig's `empty`: zero values, empty containers and nil.
fn is_empty(v: &Value) -> bool {
    !v.is_true()
}

/// Go's conversion of a float64 to int64 (amd64: out of range gives MinInt64).
fn f64_to_i64(f: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// How deep the recursive helpers (deep copy, deep equality, merging, JSON)
/// follow nested values. Go's growable stacks go further; ours stop here
/// rather than overflow, which also ends self-referencing maps.
const MAX_NESTING: usize = 200;

/// Go's runtime error for an integer division by zero.
const DIV_ZERO: &str = "runtime error: integer divide by zero";

/// A uniformly random index below `n` (`n > 0`).
fn rand_index(n: usize) -> usize {
    use rand::Rng;
    rand::thread_rng().gen_range(0..n)
}
