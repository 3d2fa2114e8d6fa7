//! `default`, `empty`, `coalesce`, `all`, `any`, `ternary`.

use super::{Ty, Value, def, def_var, is_empty};
use crate::template::Funcs;

pub(super) fn register(f: &mut Funcs) {
    def_var(f, "default", &[Ty::Any], Ty::Any, |a| {
        Ok(match a.get(1) {
            Some(given) if !is_empty(given) => given.clone(),
            _ => a[0].clone(),
        })
    });
    def(f, "empty", &[Ty::Any], |a| Ok(Value::Bool(is_empty(&a[0]))));
    def_var(f, "coalesce", &[], Ty::Any, |a| {
        Ok(a.into_iter().find(|v| !is_empty(v)).unwrap_or_default())
    });
    def_var(f, "all", &[], Ty::Any, |a| {
        Ok(Value::Bool(a.iter().all(|v| !is_empty(v))))
    });
    def_var(f, "any", &[], Ty::Any, |a| {
        Ok(Value::Bool(a.iter().any(|v| !is_empty(v))))
    });
    def(f, "ternary", &[Ty::Any, Ty::Any, Ty::Bool], |a| {
        Ok(if matches!(a[2], Value::Bool(true)) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
}
