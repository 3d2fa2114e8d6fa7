//! Miller-Rabin rounds: for n - 1 = 2^s d with d odd, n passes to base a
//! when a^d ≡ 1 or a^(2^r d) ≡ -1 (mod n) for some r < s. Every prime
//! passes; a composite passes to at most a quarter of the bases.

use crate::limbs::{Limbs, bit, bit_len, from_be_bytes, is_zero, less, trailing_zeros};
use crate::montgomery::Montgomery;

/// A round to base 2, which needs only squarings and doublings: the prime
/// search's filter, and half of Baillie-PSW.
pub(crate) fn passes_base_two<L: Limbs>(m: &Montgomery<L>) -> bool {
    let mut two = m.one().clone();
    m.double(&mut two);
    passes(m, odd_part_power(m, two, |x| m.double(x)))
}

/// A round to a random base in [2, n - 2], for n > 3.
pub(crate) fn passes_random_base<L: Limbs>(
    m: &Montgomery<L>,
    fill: &mut impl FnMut(&mut [u8]),
) -> bool {
    let base = random_base(m, fill);
    passes(m, odd_part_power(m, base.clone(), |x| m.mul(x, &base)))
}

/// a^d for the base a whose Montgomery form is `x` (`times_base`
/// multiplies by it), left to right through the bits of d: n's from s up.
#[inline(always)]
fn odd_part_power<L: Limbs>(m: &Montgomery<L>, mut x: L, times_base: impl Fn(&mut L)) -> L {
    let n = m.n().as_ref();
    for i in (trailing_zeros(n, 1)..bit_len(n) - 1).rev() {
        m.square(&mut x);
        if bit(n, i) {
            times_base(&mut x);
        }
    }
    x
}

/// Whether a^d (`x`) ≡ ±1, or squaring it fewer than s times gives -1.
pub(crate) fn passes<L: Limbs>(m: &Montgomery<L>, mut x: L) -> bool {
    let minus_one = m.minus_one();
    if x.as_ref() == m.one().as_ref() || x.as_ref() == minus_one.as_ref() {
        return true;
    }
    for _ in 1..trailing_zeros(m.n().as_ref(), 1) {
        m.square(&mut x);
        if x.as_ref() == minus_one.as_ref() {
            return true;
        }
    }
    false
}

/// A uniformly random base in [2, n - 2], in Montgomery form: a uniformly
/// random residue other than those of 0, 1 and -1.
fn random_base<L: Limbs>(m: &Montgomery<L>, fill: &mut impl FnMut(&mut [u8])) -> L {
    let n = m.n().as_ref();
    let top_bits = bit_len(n) % 64;
    let mut bytes = vec![0u8; 8 * n.len()];
    let mut x = m.zero();
    let minus_one = m.minus_one();
    loop {
        fill(&mut bytes);
        from_be_bytes(&bytes, x.as_mut());
        if top_bits != 0 {
            x.as_mut()[n.len() - 1] &= (1 << top_bits) - 1;
        }
        let excluded = is_zero(x.as_ref())
            || x.as_ref() == m.one().as_ref()
            || x.as_ref() == minus_one.as_ref();
        if less(x.as_ref(), n) && !excluded {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;
    use rand::RngCore;

    use super::{odd_part_power, passes_base_two, passes_random_base, random_base};
    use crate::limbs::{Limbs, trailing_zeros};
    use crate::montgomery::Montgomery;
    use crate::test_support::*;

    fn base_two<L: Limbs>(n: L) -> bool {
        passes_base_two(&Montgomery::new(n))
    }

    /// Whether n passes ten rounds to random bases.
    fn random_bases<L: Limbs>(n: L) -> bool {
        let m = Montgomery::new(n);
        let mut rng = rng();
        (0..10).all(|_| passes_random_base(&m, &mut |b| rng.fill_bytes(b)))
    }

    #[test]
    fn base_two_rules_out_composites_but_its_pseudoprimes() {
        let small_primes = [3u64, 5, 7, 11, 13, 101, 7919, 65537, (1 << 61) - 1];
        for len in [1, 2, 3, 16, 32] {
            for p in small_primes {
                assert!(on_each_storage!(base_two, &limbs(&p.into(), len)), "{p}");
            }
            for n in STRONG_BASE_TWO {
                assert!(on_each_storage!(base_two, &limbs(&(*n).into(), len)), "{n}");
            }
            // Fermat's test passes these; the strong one does not.
            for n in [
                341u64, 561, 645, 1105, 1387, 1729, 1905, 2465, 2821, 6601, 8911,
            ] {
                assert!(FERMAT_BASE_TWO.contains(&n) || CARMICHAEL.contains(&n));
                assert!(!on_each_storage!(base_two, &limbs(&n.into(), len)), "{n}");
            }
            for n in [9u64, 15, 21, 25, 91, 1_000_001, 3 * ((1 << 61) - 1)] {
                assert!(!on_each_storage!(base_two, &limbs(&n.into(), len)), "{n}");
            }
        }
    }

    #[test]
    fn base_two_on_large_numbers() {
        for p in large_primes() {
            let len = p.bits().div_ceil(64) as usize;
            assert!(on_each_storage!(base_two, &limbs(&p, len)), "{p:x}");
        }
        for n in large_base_two_pseudoprimes() {
            let len = n.bits().div_ceil(64) as usize;
            assert!(on_each_storage!(base_two, &limbs(&n, len)), "{n:x}");
        }
        for n in large_products() {
            let len = n.bits().div_ceil(64) as usize;
            assert!(!on_each_storage!(base_two, &limbs(&n, len)), "{n:x}");
        }
    }

    #[test]
    fn random_bases_rule_out_base_two_pseudoprimes() {
        for p in large_primes() {
            let len = p.bits().div_ceil(64) as usize;
            assert!(on_each_storage!(random_bases, &limbs(&p, len)), "{p:x}");
        }
        let pseudoprimes = large_base_two_pseudoprimes().into_iter();
        for n in pseudoprimes.chain(STRONG_BASE_TWO.iter().map(|n| BigUint::from(*n))) {
            let len = n.bits().div_ceil(64) as usize;
            assert!(!on_each_storage!(random_bases, &limbs(&n, len)), "{n:x}");
        }
    }

    /// a^d, for 2 and a random a, checked against num-bigint's `modpow`;
    /// the results, to compare between storages.
    fn powers<L: Limbs>(n: L) -> Vec<Vec<u64>> {
        let len = n.as_ref().len();
        let m = Montgomery::new(n);
        let n = big(m.n().as_ref());
        let r = BigUint::from(1u32) << (64 * len);
        let d = (&n - 1u32) >> trailing_zeros(m.n().as_ref(), 1);
        let mut two = m.one().clone();
        m.double(&mut two);
        let power_of_two = odd_part_power(&m, two, |x| m.double(x));
        // Montgomery's form of 2^d is 2^d R.
        let expected = BigUint::from(2u32).modpow(&d, &n) * &r % &n;
        assert_eq!(big(power_of_two.as_ref()), expected);
        let mut rng = rng();
        let base = random_base(&m, &mut |b| rng.fill_bytes(b));
        let power = odd_part_power(&m, base.clone(), |x| m.mul(x, &base));
        // With a = b R⁻¹ for the form b: a^d R = b^d R^(1 - d).
        let r_to_d_minus_one = r.modpow(&(&d - 1u32), &n);
        let base = big(base.as_ref());
        assert_eq!(
            big(power.as_ref()) * r_to_d_minus_one % &n,
            base.modpow(&d, &n)
        );
        vec![power_of_two.as_ref().to_vec(), power.as_ref().to_vec()]
    }

    #[test]
    fn powers_agree_with_num_bigint() {
        let mut rng = rng();
        for len in [1, 2, 5, 16, 17, 32] {
            for top_bit in [true, false] {
                on_each_storage!(powers, &random_odd(&mut rng, len, top_bit));
            }
        }
    }
}
