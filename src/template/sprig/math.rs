//! Arithmetic. Integer functions convert with `cast.ToInt64` and return Go
//! `int64`; the `…f` functions go through shopspring/decimal and return `float64`.

use super::conversion::{to_float64, to_int64};
use super::{DIV_ZERO, Ty, Value, def, def_var, i, ints_value, rand_index};
use crate::template::Funcs;

pub(super) fn register(f: &mut Funcs) {
    def(f, "add1", &[Ty::Any], |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1)))
    });
    def_var(f, "add", &[], Ty::Any, |a| {
        Ok(Value::Int64(
            a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
        ))
    });
    def(f, "sub", &[Ty::Any, Ty::Any], |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    def(f, "div", &[Ty::Any, Ty::Any], |a| {
        let (x, y) = (to_int64(&a[0]), to_int64(&a[1]));
        if y == 0 {
            return Err(DIV_ZERO.into());
        }
        Ok(Value::Int64(x.wrapping_div(y)))
    });
    def(f, "mod", &[Ty::Any, Ty::Any], |a| {
        let (x, y) = (to_int64(&a[0]), to_int64(&a[1]));
        if y == 0 {
            return Err(DIV_ZERO.into());
        }
        Ok(Value::Int64(x.wrapping_rem(y)))
    });
    def_var(f, "mul", &[Ty::Any], Ty::Any, |a| {
        Ok(Value::Int64(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |acc, v| acc.wrapping_mul(to_int64(v))),
        ))
    });
    def(f, "randInt", &[Ty::Int, Ty::Int], |a| {
        let (lo, hi) = (i(&a[0]), i(&a[1]));
        let n = hi.wrapping_sub(lo);
        if n <= 0 {
            return Err("invalid argument to Intn".into());
        }
        Ok(Value::Int(lo.wrapping_add(rand_index(n as usize) as i64)))
    });
    for name in ["max", "biggest"] {
        def_var(f, name, &[Ty::Any], Ty::Any, |a| {
            Ok(Value::Int64(
                a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::max),
            ))
        });
    }
    def_var(f, "min", &[Ty::Any], Ty::Any, |a| {
        Ok(Value::Int64(
            a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::min),
        ))
    });
    def_var(f, "maxf", &[Ty::Any], Ty::Any, |a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_max),
        ))
    });
    def_var(f, "minf", &[Ty::Any], Ty::Any, |a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_min),
        ))
    });
    def(f, "floor", &[Ty::Any], |a| {
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    def(f, "ceil", &[Ty::Any], |a| {
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    def_var(f, "round", &[Ty::Any, Ty::Int], Ty::Float64, |a| {
        let round_on = a.get(2).map_or(0.5, to_float64);
        let val = to_float64(&a[0]);
        let pow = 10f64.powf(i(&a[1]) as f64);
        let digit = pow * val;
        let frac = digit - digit.trunc();
        let r = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        Ok(Value::Float(r / pow))
    });
    def(f, "add1f", &[Ty::Any], |a| {
        decimal_op(&a[0], &[Value::Int(1)], Op::Add).map(Value::Float)
    });
    def_var(f, "addf", &[], Ty::Any, |a| {
        decimal_op(&Value::Float(0.0), &a, Op::Add).map(Value::Float)
    });
    for (name, op) in [("subf", Op::Sub), ("mulf", Op::Mul), ("divf", Op::Div)] {
        def_var(f, name, &[Ty::Any], Ty::Any, move |a| {
            decimal_op(&a[0], &a[1..], op).map(Value::Float)
        });
    }
    def(f, "until", &[Ty::Int], |a| {
        let n = i(&a[0]);
        until_step(0, n, if n < 0 { -1 } else { 1 }).map(ints_value)
    });
    def(f, "untilStep", &[Ty::Int, Ty::Int, Ty::Int], |a| {
        until_step(i(&a[0]), i(&a[1]), i(&a[2])).map(ints_value)
    });
    def_var(f, "seq", &[], Ty::Int, |a| {
        let p: Vec<i64> = a.iter().map(i).collect();
        let nums = match p.as_slice() {
            [end] => {
                let inc = if *end < 1 { -1 } else { 1 };
                until_step(1, end.wrapping_add(inc), inc)?
            }
            [start, end] => {
                let step = if end < start { -1 } else { 1 };
                until_step(*start, end.wrapping_add(step), step)?
            }
            [start, step, end] => {
                let mut inc = 1;
                if end < start {
                    inc = -1;
                    if *step > 0 {
                        return Ok("".into());
                    }
                }
                until_step(*start, end.wrapping_add(inc), *step)?
            }
            _ => Vec::new(),
        };
        let text: Vec<String> = nums.iter().map(i64::to_string).collect();
        Ok(text.join(" ").into())
    });
}

/// The most elements `until` and friends build; Go would exhaust memory first.
const MAX_RANGE: usize = 1 << 26;

fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, String> {
    let mut v = Vec::new();
    let ok = if stop < start { step < 0 } else { step > 0 };
    if !ok {
        return Ok(v);
    }
    let mut x = start;
    while (step > 0 && x < stop) || (step < 0 && x > stop) {
        if v.len() >= MAX_RANGE {
            return Err("runtime error: makeslice: len out of range".into());
        }
        v.push(x);
        match x.checked_add(step) {
            Some(n) => x = n,
            None => break,
        }
    }
    Ok(v)
}

fn go_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && y == 0.0 {
        if x.is_sign_negative() { y } else { x }
    } else {
        x.max(y)
    }
}

fn go_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && y == 0.0 {
        if x.is_sign_negative() { x } else { y }
    } else {
        x.min(y)
    }
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// A decimal `mantissa × 10^exp`, as shopspring/decimal keeps it (here in 128
/// bits, with plain float arithmetic as the fallback past that).
#[derive(Clone, Copy)]
struct Dec {
    m: i128,
    e: i32,
}

impl Dec {
    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `f`.
    fn from_f64(f: f64) -> Result<Dec, String> {
        if f.is_nan() {
            return Err("Cannot create a Decimal from NaN".into());
        }
        if f.is_infinite() {
            let sign = if f > 0.0 { "+Inf" } else { "-Inf" };
            return Err(format!("Cannot create a Decimal from {sign}"));
        }
        let text = format!("{f:e}");
        let (mant, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let frac_len = mant.split_once('.').map_or(0, |(_, fr)| fr.len()) as i32;
        let digits: String = mant.chars().filter(|c| *c != '.').collect();
        let m: i128 = digits.parse().unwrap_or(0);
        Ok(Dec {
            m,
            e: exp - frac_len,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.m, self.e).parse().unwrap_or(0.0)
    }
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Both decimals scaled to the smaller exponent.
fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
    let e = a.e.min(b.e);
    let am = a.m.checked_mul(pow10((a.e - e) as u32)?)?;
    let bm = b.m.checked_mul(pow10((b.e - e) as u32)?)?;
    Some((am, bm, e))
}

/// shopspring/decimal's `DivisionPrecision`.
const DIV_PRECISION: i32 = 16;

/// `DivRound(b, 16)`: the quotient to 16 places, half away from zero.
fn div_round(a: Dec, b: Dec) -> Option<Dec> {
    let k = a.e - b.e + DIV_PRECISION;
    let (num, den) = if k >= 0 {
        (a.m.checked_mul(pow10(k as u32)?)?, b.m)
    } else {
        (a.m, b.m.checked_mul(pow10((-k) as u32)?)?)
    };
    let q = num / den;
    let r = num % den;
    let q = if r.unsigned_abs().checked_mul(2)? >= den.unsigned_abs() {
        if (num < 0) != (den < 0) { q - 1 } else { q + 1 }
    } else {
        q
    };
    Some(Dec {
        m: q,
        e: -DIV_PRECISION,
    })
}

fn apply(a: Dec, b: Dec, op: Op) -> Result<Dec, String> {
    let exact = match op {
        Op::Add => align(a, b).and_then(|(x, y, e)| {
            Some(Dec {
                m: x.checked_add(y)?,
                e,
            })
        }),
        Op::Sub => align(a, b).and_then(|(x, y, e)| {
            Some(Dec {
                m: x.checked_sub(y)?,
                e,
            })
        }),
        Op::Mul => a.m.checked_mul(b.m).map(|m| Dec { m, e: a.e + b.e }),
        Op::Div => {
            if b.m == 0 {
                return Err("decimal division by 0".into());
            }
            div_round(a, b)
        }
    };
    match exact {
        Some(d) => Ok(d),
        None => {
            let (x, y) = (a.to_f64(), b.to_f64());
            let r = match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
                Op::Div => x / y,
            };
            Dec::from_f64(r)
        }
    }
}

/// Sprig's `execDecimalOp`.
fn decimal_op(first: &Value, rest: &[Value], op: Op) -> Result<f64, String> {
    let mut acc = Dec::from_f64(to_float64(first))?;
    for x in rest {
        acc = apply(acc, Dec::from_f64(to_float64(x))?, op)?;
    }
    Ok(acc.to_f64())
}
