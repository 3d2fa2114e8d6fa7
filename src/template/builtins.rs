//! Go's predefined template functions (`and`, `index`, `eq`, `printf`, …).
//!
//! They see the difference between a nil interface and a missing value, as Go's
//! reflect-based versions do, so they work on [`Slot`]s rather than plain values.

use super::exec::Slot;
use super::funcs::Ty;
use super::gobytes::{string_bytes, string_from_bytes};
use super::gofmt;
use super::value::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Builtin {
    And,
    Call,
    Html,
    Index,
    Slice,
    Js,
    Len,
    Not,
    Or,
    Print,
    Printf,
    Println,
    Urlquery,
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
    Ne,
}

type BResult = Result<Slot, String>;

impl Builtin {
    pub fn lookup(name: &str) -> Option<Builtin> {
        use Builtin::*;
        Some(match name {
            "and" => And,
            "call" => Call,
            "html" => Html,
            "index" => Index,
            "slice" => Slice,
            "js" => Js,
            "len" => Len,
            "not" => Not,
            "or" => Or,
            "print" => Print,
            "printf" => Printf,
            "println" => Println,
            "urlquery" => Urlquery,
            "eq" => Eq,
            "ge" => Ge,
            "gt" => Gt,
            "le" => Le,
            "lt" => Lt,
            "ne" => Ne,
            _ => return None,
        })
    }

    /// Go's parameter list: fixed parameters and the variadic element type.
    pub fn signature(self) -> (&'static [Ty], Option<Ty>) {
        use Builtin::*;
        match self {
            And | Or | Index | Slice | Eq | Call => (&[Ty::Any], Some(Ty::Any)),
            Not | Len => (&[Ty::Any], None),
            Print | Println | Html | Js | Urlquery => (&[], Some(Ty::Any)),
            Printf => (&[Ty::Str], Some(Ty::Any)),
            Ge | Gt | Le | Lt | Ne => (&[Ty::Any, Ty::Any], None),
        }
    }

    /// Runs every built-in except `and`, `or` (evaluated lazily by the
    /// executor) and `call` (which needs its argument's source text).
    pub fn run(self, args: &[Slot]) -> BResult {
        use Builtin::*;
        let bool_slot = |b: bool| Slot::of(Value::Bool(b));
        match self {
            Not => Ok(bool_slot(!args[0].v.is_true())),
            Len => len(&args[0]),
            Index => index(&args[0], &args[1..]),
            Slice => slice(&args[0], &args[1..]),
            Print => Ok(str_slot(gofmt::sprint(&values(args)))),
            Println => Ok(str_slot(gofmt::sprintln(&values(args)))),
            Printf => {
                let format = args[0].v.as_str().unwrap_or_default().to_string();
                Ok(str_slot(gofmt::sprintf(&format, &values(&args[1..]))))
            }
            Html => Ok(str_slot(html_escape(&eval_args(args)))),
            Js => Ok(str_slot(js_escape(&eval_args(args)))),
            Urlquery => Ok(str_slot(query_escape(&eval_args(args)))),
            Eq => eq(&args[0], &args[1..]).map(bool_slot),
            Ne => eq(&args[0], &args[1..2]).map(|b| bool_slot(!b)),
            Lt => lt(&args[0], &args[1]).map(bool_slot),
            Le => le(&args[0], &args[1]).map(bool_slot),
            Gt => le(&args[0], &args[1]).map(|b| bool_slot(!b)),
            Ge => lt(&args[0], &args[1]).map(|b| bool_slot(!b)),
            And | Or | Call => Ok(Slot::invalid()),
        }
    }
}

fn str_slot(s: String) -> Slot {
    Slot::of(Value::from(s))
}

fn values(args: &[Slot]) -> Vec<Value> {
    args.iter().map(|s| s.v.clone()).collect()
}

/// `call` on a value: there are no function values to call here.
pub(super) fn call(name: &str, args: &[Slot]) -> BResult {
    let f = &args[0];
    if f.v.is_nil() {
        return Err("call of nil".into());
    }
    Err(format!("non-function {name} of type {}", f.v.type_name()))
}

/// Reflect's complaint when Go code asks a missing value for its type.
const ZERO_VALUE_TYPE: &str = "reflect: call of reflect.Value.Type on zero Value";

fn len(item: &Slot) -> BResult {
    if item.is_invalid() {
        return Err(ZERO_VALUE_TYPE.into());
    }
    if item.v.is_nil() {
        return Err("len of nil pointer".into());
    }
    let n = match item.v.underlying() {
        Value::Str(s) => string_bytes(&s).len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Slot::of(Value::Int(n as i64)))
}

/// Go's `indexArg`: an integer index within `0..=cap`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x = match index {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Slot, indexes: &[Slot]) -> BResult {
    if item.v.is_nil() {
        return Err("index of untyped nil".into());
    }
    let mut cur = Slot::of(item.v.clone());
    // Indexing a string gives a byte, a Go `uint8` (tare has no such type).
    let mut is_byte = false;
    for index in indexes {
        if is_byte {
            return Err("can't index item of type uint8".into());
        }
        if cur.v.is_nil() {
            return Err("index of nil pointer".into());
        }
        let iface = cur.v.elems_are_interfaces();
        cur = match cur.v.underlying() {
            Value::List(items) => {
                let x = index_arg(&index.v, items.len())?;
                let v = items
                    .get(x)
                    .cloned()
                    .ok_or_else(|| "reflect: slice index out of range".to_string())?;
                Slot { v, iface }
            }
            Value::Str(s) => {
                let bytes = string_bytes(&s);
                let x = index_arg(&index.v, bytes.len())?;
                let b = bytes
                    .get(x)
                    .ok_or_else(|| "reflect: string index out of range".to_string())?;
                is_byte = true;
                Slot::of(Value::Int(*b as i64))
            }
            Value::Map(m) => {
                let key = match &index.v {
                    Value::Str(k) => k.clone(),
                    Value::Nil => return Err("value is nil; should be of type string".into()),
                    other => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ));
                    }
                };
                match m.get(&key) {
                    Some(v) => Slot { v, iface },
                    None if iface => Slot {
                        v: Value::Nil,
                        iface,
                    },
                    None => Slot::of(Value::str("")),
                }
            }
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(cur)
}

fn slice(item: &Slot, indexes: &[Slot]) -> BResult {
    if item.v.is_nil() {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let target = item.v.underlying();
    let len = match &target {
        Value::Str(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            string_bytes(s).len()
        }
        Value::List(l) => l.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(&index.v, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(Slot::of(match target {
        Value::Str(s) => Value::from(string_from_bytes(&string_bytes(&s)[idx[0]..idx[1]])),
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        _ => Value::Nil,
    }))
}

/// Go's `evalArgs` for the escapers: one string as is, else `Sprint` with
/// missing values shown as `<no value>`.
fn eval_args(args: &[Slot]) -> String {
    if let [one] = args
        && let Value::Str(s) = &one.v
    {
        return s.to_string();
    }
    let shown: Vec<Value> = args
        .iter()
        .map(|a| {
            if a.v.is_nil() {
                Value::str("<no value>")
            } else {
                a.v.clone()
            }
        })
        .collect();
    gofmt::sprint(&shown)
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if c < ' ' => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if c.is_ascii() || gofmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's comparison classes: values of different classes don't compare.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    Complex,
    Str,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        Value::Object(o) if o.type_name() == "complex128" => Kind::Complex,
        _ => Kind::Invalid,
    }
}

fn incompatible(a: &Value, b: &Value) -> String {
    format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    )
}

/// Go's reflect kind name class, for "non-comparable types".
fn same_reflect_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        || matches!(
            (a, b),
            (Value::Int(_), Value::Int64(_)) | (Value::Int64(_), Value::Int(_))
        )
}

fn eq(arg1: &Slot, rest: &[Slot]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let a = &arg1.v;
    let k1 = basic_kind(a);
    for arg in rest {
        let b = &arg.v;
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !a.is_nil() && !b.is_nil() {
                return Err(incompatible(a, b));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                _ if k1 == Kind::Int => a.as_int() == b.as_int(),
                // Go prints a complex128 exactly, so equal text is equal value.
                _ if k1 == Kind::Complex => {
                    gofmt::sprint(std::slice::from_ref(a)) == gofmt::sprint(std::slice::from_ref(b))
                }
                _ => compare_other(a, b)?,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `eq` on values that aren't basic: nil, maps, lists, objects.
fn compare_other(a: &Value, b: &Value) -> Result<bool, String> {
    if !a.is_nil() && !b.is_nil() && !same_reflect_kind(a, b) {
        return Err(format!(
            "non-comparable types {}: {}, {}: {}",
            gofmt::sprintf("%s", std::slice::from_ref(a)),
            a.type_name(),
            b.type_name(),
            gofmt::sprint(std::slice::from_ref(b))
        ));
    }
    if a.is_nil() || b.is_nil() {
        return Ok(a.is_nil() == b.is_nil());
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => Ok(std::rc::Rc::ptr_eq(x, y)),
        _ => Err(format!(
            "non-comparable type {}: {}",
            gofmt::sprintf("%s", std::slice::from_ref(b)),
            b.type_name()
        )),
    }
}

fn lt(arg1: &Slot, arg2: &Slot) -> Result<bool, String> {
    let (a, b) = (&arg1.v, &arg2.v);
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err(incompatible(a, b));
    }
    Ok(match (a, b) {
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x < y,
        _ if matches!(k1, Kind::Bool | Kind::Complex) => {
            return Err("invalid type for comparison".into());
        }
        _ => a.as_int() < b.as_int(),
    })
}

fn le(arg1: &Slot, arg2: &Slot) -> Result<bool, String> {
    if lt(arg1, arg2)? {
        return Ok(true);
    }
    eq(arg1, std::slice::from_ref(arg2))
}
