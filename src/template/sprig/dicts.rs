//! Dictionary functions, with mergo's merge rules and copystructure's deep copy.

use super::{Ty, Value, as_list, as_map, def, def_var, s, strings_value, strval, typed_list};
use crate::template::Funcs;
use crate::template::value::{Map, MapKind};

pub(super) fn register(f: &mut Funcs) {
    def(f, "get", &[Ty::Map, Ty::Str], |a| {
        Ok(as_map(&a[0])
            .and_then(|m| m.get(s(&a[1])))
            .unwrap_or_else(|| Value::str("")))
    });
    def(f, "set", &[Ty::Map, Ty::Str, Ty::Any], |a| {
        let m = as_map(&a[0]).ok_or("assignment to entry in nil map")?;
        m.insert(s(&a[1]), a[2].clone());
        Ok(a[0].clone())
    });
    def(f, "unset", &[Ty::Map, Ty::Str], |a| match as_map(&a[0]) {
        Some(m) => {
            m.remove(s(&a[1]));
            Ok(a[0].clone())
        }
        None => Ok(Value::Map(Map::default())),
    });
    def(f, "hasKey", &[Ty::Map, Ty::Str], |a| {
        Ok(Value::Bool(
            as_map(&a[0]).is_some_and(|m| m.get(s(&a[1])).is_some()),
        ))
    });
    def_var(f, "pluck", &[Ty::Str], Ty::Map, |a| {
        let key = s(&a[0]);
        Ok(Value::list(
            a[1..].iter().filter_map(|d| as_map(d)?.get(key)).collect(),
        ))
    });
    def_var(f, "keys", &[], Ty::Map, |a| {
        let mut out = Vec::new();
        for d in &a {
            if let Some(m) = as_map(d) {
                out.extend(m.entries().keys().cloned());
            }
        }
        Ok(strings_value(out))
    });
    def(f, "values", &[Ty::Map], |a| {
        let m = as_map(&a[0]).unwrap_or_default();
        Ok(Value::list(m.entries().values().cloned().collect()))
    });
    def_var(f, "pick", &[Ty::Map], Ty::Str, |a| {
        let out = Map::default();
        if let Some(m) = as_map(&a[0]) {
            for k in &a[1..] {
                if let Some(v) = m.get(s(k)) {
                    out.insert(s(k), v);
                }
            }
        }
        Ok(Value::Map(out))
    });
    def_var(f, "omit", &[Ty::Map], Ty::Str, |a| {
        let out = Map::default();
        if let Some(m) = as_map(&a[0]) {
            for (k, v) in m.snapshot() {
                if !a[1..].iter().any(|o| s(o) == k) {
                    out.insert(k, v);
                }
            }
        }
        Ok(Value::Map(out))
    });
    def_var(f, "dict", &[], Ty::Any, |a| {
        let out = Map::default();
        for pair in a.chunks(2) {
            out.insert(
                strval(&pair[0]),
                pair.get(1).cloned().unwrap_or_else(|| Value::str("")),
            );
        }
        Ok(Value::Map(out))
    });
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        def_var(f, name, &[Ty::Map], Ty::Map, move |a| {
            let dst = match as_map(&a[0]) {
                Some(_) => a[0].clone(),
                None if a[1..].iter().any(|v| !v.is_nil()) => Value::Map(Map::default()),
                None => return Ok(Value::Map(Map::default())),
            };
            if let Some(d) = as_map(&dst) {
                for src in &a[1..] {
                    if let Some(sm) = as_map(src) {
                        merge_maps(&d, &sm, overwrite, 0);
                    }
                }
            }
            Ok(dst)
        });
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        def(f, name, &[Ty::Any], |a| {
            if a[0].is_nil() {
                return Err("reflect: call of reflect.Value.Type on zero Value".into());
            }
            deep_copy(&a[0], 0)
        });
    }
    def_var(f, "dig", &[], Ty::Any, |a| {
        if a.len() < 3 {
            return Err("dig needs at least three arguments".into());
        }
        let n = a.len();
        let mut dict = dig_map(&a[n - 1])?;
        let default = a[n - 2].clone();
        let keys: Vec<&str> = a[..n - 2]
            .iter()
            .map(|k| k.as_str().ok_or_else(|| conversion_error(k, "string")))
            .collect::<Result<_, _>>()?;
        for (k, key) in keys.iter().enumerate() {
            let Some(step) = dict.get(key) else {
                return Ok(default);
            };
            if k == keys.len() - 1 {
                return Ok(step);
            }
            dict = dig_map(&step)?;
        }
        Ok(default)
    });
}

/// Go's panic for a failed `x.(T)` type assertion on an `interface {}`.
fn conversion_error(v: &Value, want: &str) -> String {
    let got = if v.is_nil() {
        "nil".to_string()
    } else {
        v.type_name()
    };
    format!("interface conversion: interface {{}} is {got}, not {want}")
}

/// `x.(map[string]interface{})`: only that exact map type passes.
fn dig_map(v: &Value) -> Result<Map, String> {
    match v {
        Value::Map(m) if m.kind() == MapKind::Any => Ok(m.clone()),
        _ => Err(conversion_error(v, "map[string]interface {}")),
    }
}

/// mergo's `isEmptyValue` on an element, interfaces dereferenced.
fn mergo_empty(v: Option<&Value>) -> bool {
    v.is_none_or(super::is_empty)
}

/// mergo's `deepMerge` of two `map[string]interface {}`, as `mergo.Merge`
/// (`overwrite == false`) and `mergo.MergeWithOverwrite` run it.
fn merge_maps(dst: &Map, src: &Map, overwrite: bool, depth: usize) {
    if depth > super::MAX_NESTING {
        return;
    }
    for (key, sv) in src.snapshot() {
        let dv = dst.get(&key);
        if sv.is_nil() {
            if overwrite {
                dst.insert(key, Value::Nil);
            }
            continue;
        }
        let src_is_list = as_list(&sv).is_some();
        let src_is_map = matches!(sv, Value::Map(_));
        if let (Value::Map(sm), Some(Value::Map(dm))) = (&sv, &dv) {
            merge_maps(dm, sm, overwrite, depth + 1);
        } else if src_is_list {
            let mut slice = match &dv {
                Some(v) if !v.is_nil() => v.clone(),
                _ => super::same_list_type(&sv, Vec::new()),
            };
            if overwrite || dst.is_empty() {
                slice = sv.clone();
            }
            dst.insert(key.clone(), slice);
        }
        if !mergo_empty(dv.as_ref()) {
            if src_is_list {
                continue;
            }
            if src_is_map && matches!(dv, Some(Value::Map(_))) {
                continue;
            }
        }
        if overwrite || mergo_empty(dv.as_ref()) {
            dst.insert(key, sv);
        }
    }
}

/// copystructure's `Copy`: maps and slices are copied all the way down.
pub(super) fn deep_copy(v: &Value, depth: usize) -> Result<Value, String> {
    if depth > super::MAX_NESTING {
        return Err("deepCopy error: value nests too deeply".into());
    }
    let copy_all = |items: &[Value]| -> Result<Vec<Value>, String> {
        items.iter().map(|x| deep_copy(x, depth + 1)).collect()
    };
    Ok(match v {
        Value::List(l) => Value::list(copy_all(l)?),
        Value::Map(m) if m.is_nil() => Value::Map(Map::nil(m.kind())),
        Value::Map(m) => Value::Map(Map::from_entries(
            m.kind(),
            m.snapshot()
                .into_iter()
                .map(|(k, x)| Ok((k, deep_copy(&x, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        )),
        Value::Object(o) => match (o.underlying(), o.type_name().as_str()) {
            // Nothing to copy, and a nil slice stays nil.
            (Some(Value::List(l)), _) if l.is_empty() => v.clone(),
            (Some(Value::List(l)), "[]string") => typed_list("[]string", copy_all(&l)?),
            (Some(Value::List(l)), "[]int") => typed_list("[]int", copy_all(&l)?),
            _ => v.clone(),
        },
        other => other.clone(),
    })
}
