//! `typeOf`, `typeIs`, `typeIsLike`, `kindOf`, `kindIs`, `deepEqual`.

use super::{Ty, Value, as_list, def, kind_name, s};
use crate::template::Funcs;

pub(super) fn register(f: &mut Funcs) {
    def(f, "typeOf", &[Ty::Any], |a| Ok(type_of(&a[0]).into()));
    def(f, "typeIs", &[Ty::Str, Ty::Any], |a| {
        Ok(Value::Bool(s(&a[0]) == type_of(&a[1])))
    });
    def(f, "typeIsLike", &[Ty::Str, Ty::Any], |a| {
        let t = type_of(&a[1]);
        let target = s(&a[0]);
        Ok(Value::Bool(t == target || t == format!("*{target}")))
    });
    def(f, "kindOf", &[Ty::Any], |a| Ok(kind_name(&a[0]).into()));
    def(f, "kindIs", &[Ty::Str, Ty::Any], |a| {
        Ok(Value::Bool(s(&a[0]) == kind_name(&a[1])))
    });
    def(f, "deepEqual", &[Ty::Any, Ty::Any], |a| {
        Ok(Value::Bool(deep_equal(&a[0], &a[1])))
    });
}

/// `fmt.Sprintf("%T", v)`.
fn type_of(v: &Value) -> String {
    v.type_name()
}

/// `reflect.DeepEqual`: same Go types, equal contents.
pub(super) fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.kind() != y.kind() {
                return false;
            }
            if x.same(y) {
                return true;
            }
            let (x, y) = (x.snapshot(), y.snapshot());
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && deep_equal(v1, v2))
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.type_name() != y.type_name() {
                return false;
            }
            match (as_list(a), as_list(b)) {
                (Some(p), Some(q)) => deep_equal(&Value::List(p), &Value::List(q)),
                _ => match (x.stringer(), y.stringer()) {
                    (Some(p), Some(q)) => p == q,
                    _ => std::rc::Rc::ptr_eq(x, y),
                },
            }
        }
        _ => false,
    }
}
