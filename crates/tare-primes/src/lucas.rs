//! The strong Lucas probable-prime test with Baillie, Fiori and Wagstaff's
//! parameters A*, Baillie-PSW's second half as crypto-primes runs it: D is
//! the first of 5, -7, 9, -11, ... with Jacobi symbol (D/n) = -1, P = 1 and
//! Q = (1 - D)/4, except P = Q = 5 for D = 5 (where Q would be -1). For
//! n + 1 = 2^s d with d odd, n passes when U_d ≡ 0 or V_(2^r d) ≡ 0 (mod n)
//! for some r < s, U and V being the Lucas sequences of P and Q.

use crate::limbs::{
    Limbs, add_small, bit, bit_len, is_zero, rem_small, shift_right, trailing_ones,
};
use crate::montgomery::Montgomery;

/// No |D| above this is tried. A square n has no D; for a prime, the
/// thousands of D below it all being squares modulo n is not to be
/// expected (n is then only rejected, never wrongly accepted).
const MAX_D: u64 = 1 << 16;

/// For an odd n > 1.
pub(crate) fn passes<L: Limbs>(m: &Montgomery<L>) -> bool {
    let n = m.n().as_ref();
    let Some(Parameters { p, q, d }) = parameters(n) else {
        return false;
    };
    let s = trailing_ones(n);
    let mut index = m.zero(); // n + 1 = 2^s (index)
    shift_right(n, s, index.as_mut());
    add_small(index.as_mut(), 1);
    let index = index.as_ref();

    // c·x for a small signed c (P is 1 but for D = 5).
    let times = |x: &L, c: i64| {
        let product = match c.unsigned_abs() {
            1 => x.clone(),
            c => m.mul_small(x, c),
        };
        if c < 0 { m.neg(&product) } else { product }
    };
    // U_k, V_k and Q^k from k = 0 to k = index, bit by bit (Baillie, Fiori
    // and Wagstaff's equations 13, 14, 16 and 17).
    let (mut u, mut v, mut q_k) = (m.zero(), times(m.one(), 2), m.one().clone());
    for i in (0..bit_len(index)).rev() {
        // k ← 2k: U_2k = U_k V_k, V_2k = V_k² - 2Q^k.
        m.mul(&mut u, &v);
        double_step(m, &mut v, &mut q_k);
        if bit(index, i) {
            // k ← k + 1: U_k+1 = (P U_k + V_k)/2, V_k+1 = (D U_k + P V_k)/2;
            // where P is not 1, it is D.
            let p_u = times(&u, p);
            let mut next_v = if p == d { p_u.clone() } else { times(&u, d) };
            m.add(&mut next_v, &times(&v, p));
            m.halve(&mut next_v);
            let mut next_u = p_u;
            m.add(&mut next_u, &v);
            m.halve(&mut next_u);
            (u, v) = (next_u, next_v);
            q_k = times(&q_k, q);
        }
    }
    if is_zero(u.as_ref()) || is_zero(v.as_ref()) {
        return true;
    }
    for _ in 1..s {
        double_step(m, &mut v, &mut q_k);
        if is_zero(v.as_ref()) {
            return true;
        }
    }
    false
}

/// V_k ← V_2k = V_k² - 2Q^k, Q^k ← Q^2k.
fn double_step<L: Limbs>(m: &Montgomery<L>, v: &mut L, q_k: &mut L) {
    m.square(v);
    let mut two_q_k = q_k.clone();
    m.double(&mut two_q_k);
    m.sub(v, &two_q_k);
    m.square(q_k);
}

struct Parameters {
    p: i64,
    q: i64,
    d: i64,
}

/// Method A*'s parameters, or None when a D or Q shows n composite (or no D
/// is found).
fn parameters(n: &[u64]) -> Option<Parameters> {
    let is_small = |x: u64| n[0] == x && n[1..].iter().all(|l| *l == 0);
    let mut d: i64 = 5;
    loop {
        let abs_d = d.unsigned_abs();
        if abs_d > MAX_D {
            return None;
        }
        match jacobi(d, n) {
            -1 => break,
            // D shares a factor with n, which is composite unless it is |D|.
            0 if !is_small(abs_d) => return None,
            _ => d = if d > 0 { -d - 2 } else { -d + 2 },
        }
    }
    let (p, q) = match (1 - d) / 4 {
        -1 => (5, 5),
        q => (1, q),
    };
    let abs_q = q.unsigned_abs();
    if abs_q != 1 && gcd(rem_small(n, abs_q), abs_q) != 1 && !is_small(abs_q) {
        return None;
    }
    Some(Parameters { p, q, d })
}

/// The Jacobi symbol (d/n) for a small d and an odd n: by quadratic
/// reciprocity, that of n mod |d| over |d|, with the signs they cost.
fn jacobi(d: i64, n: &[u64]) -> i32 {
    let abs_d = d.unsigned_abs();
    let n_mod_4 = n[0] % 4;
    // (-1/n) = -1 for n ≡ 3 (mod 4); likewise the reciprocity sign when
    // both |d| and n are 3 mod 4.
    let mut sign = 1;
    if d < 0 && n_mod_4 == 3 {
        sign = -sign;
    }
    let (mut a, mut b) = (rem_small(n, abs_d), abs_d);
    if abs_d % 4 == 3 && n_mod_4 == 3 {
        sign = -sign;
    }
    // (a/b) for odd b.
    while a != 0 {
        while a % 2 == 0 {
            a /= 2;
            if b % 8 == 3 || b % 8 == 5 {
                sign = -sign;
            }
        }
        (a, b) = (b, a);
        if a % 4 == 3 && b % 4 == 3 {
            sign = -sign;
        }
        a %= b;
    }
    if b == 1 { sign } else { 0 }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use crypto_bigint::{BoxedUint, Odd};
    use crypto_primes::hazmat::{AStarBase, LucasCheck, lucas_test};
    use num_bigint::BigUint;

    use super::passes;
    use crate::limbs::{Limbs, to_be_bytes};
    use crate::montgomery::Montgomery;
    use crate::test_support::*;

    fn lucas<L: Limbs>(n: L) -> bool {
        passes(&Montgomery::new(n))
    }

    /// crypto-primes' strong Lucas test with parameters A*.
    fn reference(n: &[u64]) -> bool {
        let bytes = to_be_bytes(n);
        let n = BoxedUint::from_be_slice(&bytes, 64 * n.len() as u32).expect("fits");
        let n = Odd::new(n).into_option().expect("odd");
        lucas_test(n, AStarBase, LucasCheck::Strong).is_probably_prime()
    }

    fn agrees_with_reference(n: &BigUint) -> bool {
        let n = limbs(n, n.bits().div_ceil(64) as usize);
        let passes = on_each_storage!(lucas, &n);
        assert_eq!(passes, reference(&n), "{n:x?}");
        passes
    }

    #[test]
    fn agrees_with_crypto_primes_on_small_numbers() {
        // Among them the strong Lucas pseudoprimes 5459, 5777, 10877, ...
        for n in (3..40_000u64).step_by(2) {
            agrees_with_reference(&n.into());
        }
    }

    #[test]
    fn rules_out_base_two_pseudoprimes() {
        for p in large_primes() {
            assert!(agrees_with_reference(&p), "{p:x}");
        }
        for n in large_base_two_pseudoprimes()
            .into_iter()
            .chain(large_products())
        {
            assert!(!agrees_with_reference(&n), "{n:x}");
        }
        for n in STRONG_BASE_TWO.iter().chain(CARMICHAEL) {
            assert!(!agrees_with_reference(&(*n).into()), "{n}");
        }
        let mut rng = rng();
        for len in [2, 5, 16, 32] {
            agrees_with_reference(&big(&random_odd(&mut rng, len, true)));
        }
    }

    #[test]
    fn squares_have_no_parameters() {
        for root in [3u64, 1093, 3511, (1 << 61) - 1] {
            let square = BigUint::from(root) * root;
            assert!(!on_each_storage!(lucas, &limbs(&square, 2)), "{root}²");
        }
    }
}
