//! List functions. They accept any Go slice (`[]interface {}`, `[]string`, …)
//! through reflection, as Sprig does, and mostly return `[]interface {}`.

use std::rc::Rc;

use super::reflection::deep_equal;
use super::{
    NIL_DEREF, Ty, Value, appended_list, as_list, def, def_var, is_empty, kind_name,
    same_list_type, strings_value, strval, typed_list,
};
use crate::template::{Funcs, TypedList};

type Items = Rc<Vec<Value>>;

/// Sprig's `rest` and `initial` return a nil `[]interface {}` for an empty list.
fn nil_if_empty(l: &Items) -> Option<Value> {
    l.is_empty().then(|| TypedList::nil("[]interface {}"))
}

/// The elements of a slice argument, or Sprig's error for anything else.
fn items(v: &Value, what: &str) -> Result<Items, String> {
    if v.is_nil() {
        return Err(NIL_DEREF.into());
    }
    as_list(v).ok_or_else(|| what.replace("{}", kind_name(v)))
}

/// Registers `name` and `mustName`, which behave the same here: Sprig's plain
/// versions panic with the error the `must` ones return.
fn both(
    f: &mut Funcs,
    name: &str,
    params: &[Ty],
    imp: impl Fn(Vec<Value>) -> Result<Value, String> + Clone + 'static,
) {
    let must = format!("must{}{}", name[..1].to_uppercase(), &name[1..]);
    def(f, name, params, imp.clone());
    def(f, &must, params, imp);
}

pub(super) fn register(f: &mut Funcs) {
    for name in ["list", "tuple"] {
        def_var(f, name, &[], Ty::Any, |a| Ok(Value::list(a)));
    }
    for name in ["append", "push"] {
        both(f, name, &[Ty::Any, Ty::Any], |a| {
            let mut out = items(&a[0], "Cannot push on type {}")?.to_vec();
            out.push(a[1].clone());
            Ok(Value::list(out))
        });
    }
    both(f, "prepend", &[Ty::Any, Ty::Any], |a| {
        let l = items(&a[0], "Cannot prepend on type {}")?;
        let mut out = Vec::with_capacity(l.len() + 1);
        out.push(a[1].clone());
        out.extend(l.iter().cloned());
        Ok(Value::list(out))
    });
    both(f, "first", &[Ty::Any], |a| {
        let l = items(&a[0], "Cannot find first on type {}")?;
        Ok(l.first().cloned().unwrap_or_default())
    });
    both(f, "last", &[Ty::Any], |a| {
        let l = items(&a[0], "Cannot find last on type {}")?;
        Ok(l.last().cloned().unwrap_or_default())
    });
    both(f, "rest", &[Ty::Any], |a| {
        let l = items(&a[0], "Cannot find rest on type {}")?;
        Ok(nil_if_empty(&l).unwrap_or_else(|| Value::list(l[1..].to_vec())))
    });
    both(f, "initial", &[Ty::Any], |a| {
        let l = items(&a[0], "Cannot find initial on type {}")?;
        Ok(nil_if_empty(&l).unwrap_or_else(|| Value::list(l[..l.len() - 1].to_vec())))
    });
    both(f, "reverse", &[Ty::Any], |a| {
        let l = items(&a[0], "Cannot find reverse on type {}")?;
        Ok(Value::list(l.iter().rev().cloned().collect()))
    });
    both(f, "compact", &[Ty::Any], |a| {
        let l = items(&a[0], "Cannot compact on type {}")?;
        Ok(Value::list(
            l.iter().filter(|v| !is_empty(v)).cloned().collect(),
        ))
    });
    both(f, "uniq", &[Ty::Any], |a| {
        let l = items(&a[0], "Cannot find uniq on type {}")?;
        let mut out: Vec<Value> = Vec::new();
        for v in l.iter() {
            if !out.iter().any(|o| deep_equal(v, o)) {
                out.push(v.clone());
            }
        }
        Ok(Value::list(out))
    });
    for name in ["without", "mustWithout"] {
        def_var(f, name, &[Ty::Any], Ty::Any, |a| {
            let l = items(&a[0], "Cannot find without on type {}")?;
            let omit = &a[1..];
            Ok(Value::list(
                l.iter()
                    .filter(|v| !omit.iter().any(|o| deep_equal(v, o)))
                    .cloned()
                    .collect(),
            ))
        });
    }
    both(f, "has", &[Ty::Any, Ty::Any], |a| {
        if a[1].is_nil() {
            return Ok(Value::Bool(false));
        }
        let l = items(&a[1], "Cannot find has on type {}")?;
        Ok(Value::Bool(l.iter().any(|v| deep_equal(&a[0], v))))
    });
    for name in ["slice", "mustSlice"] {
        def_var(f, name, &[Ty::Any], Ty::Any, |a| {
            let l = items(&a[0], "list should be type of slice or array but {}")?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            let to_int = super::conversion::to_int64;
            let start = a.get(1).map_or(0, to_int);
            let end = a.get(2).map_or(l.len() as i64, to_int);
            if start < 0 || end < start || end > l.len() as i64 {
                return Err("reflect.Value.Slice: slice index out of bounds".into());
            }
            Ok(same_list_type(
                &a[0],
                l[start as usize..end as usize].to_vec(),
            ))
        });
    }
    def_var(f, "concat", &[], Ty::Any, |a| {
        let mut out = Vec::new();
        for l in &a {
            out.extend(items(l, "Cannot concat type {} as list")?.iter().cloned());
        }
        Ok(appended_list(out))
    });
    both(f, "chunk", &[Ty::Int, Ty::Any], |a| {
        let size = super::i(&a[0]);
        let l = items(&a[1], "Cannot chunk type {}")?;
        chunk(size, &l)
    });
    def(f, "sortAlpha", &[Ty::Any], |a| {
        if as_list(&a[0]).is_none() {
            return Ok(strings_value([strval(&a[0])]));
        }
        let mut out = super::conversion::to_strings(&a[0]);
        out.sort();
        Ok(strings_value(out))
    });
}

const MAKESLICE: &str = "runtime error: makeslice: len out of range";

/// Sprig's `chunk`, down to its float arithmetic on odd sizes.
fn chunk(size: i64, l: &[Value]) -> Result<Value, String> {
    let n = l.len() as f64;
    let cs = ((n - 1.0) / size as f64).floor() + 1.0;
    let cs = super::f64_to_i64(cs);
    if cs < 0 || cs > l.len() as i64 + 1 {
        return Err(MAKESLICE.into());
    }
    let mut out = Vec::with_capacity(cs as usize);
    for c in 0..cs {
        let mut clen = size;
        if c == cs - 1 {
            clen = super::f64_to_i64((n % size as f64).floor());
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err(MAKESLICE.into());
        }
        let mut part = Vec::with_capacity(clen as usize);
        for j in 0..clen {
            let ix = c * size + j;
            let item = usize::try_from(ix)
                .ok()
                .and_then(|ix| l.get(ix))
                .ok_or_else(|| "reflect: slice index out of range".to_string())?;
            part.push(item.clone());
        }
        out.push(Value::list(part));
    }
    Ok(typed_list("[][]interface {}", out))
}
