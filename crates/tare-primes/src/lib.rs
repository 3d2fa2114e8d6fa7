//! Random primes for RSA keys. A search from a random odd start: trial
//! division of a window of candidates by the odd primes below 2^17 or 2^20
//! at once (a sieve), then for each survivor a Miller-Rabin round to base 2, which
//! nearly every composite fails; the first number to pass is confirmed by a
//! strong Lucas test (with it, Baillie-PSW) and a Miller-Rabin round to a
//! random base, the checks of crypto-primes' `is_prime_with_rng`.
//!
//! The tests are what cost, nearly all in Montgomery squarings: the
//! arithmetic is on fixed-size arrays for the sizes RSA keys use (1024- and
//! 2048-bit primes, 16 and 32 limbs), where the compiler unrolls it, and on
//! vectors for others. On CPUs with AVX-512 IFMA, the round to base 2 runs
//! on eight candidates at once (module `ifma`), five to six times faster,
//! and finds the same prime.

#[cfg(target_arch = "x86_64")]
mod ifma;
mod limbs;
mod lucas;
mod miller_rabin;
mod montgomery;
mod residues;
mod sieve;

use limbs::{Limbs, add_small, from_be_bytes, to_be_bytes};
use montgomery::Montgomery;

/// A random prime of `bits` bits (a multiple of 64) with its top two bits
/// set, so that the product of two has twice as many bits, as big-endian
/// bytes. `fill` fills a buffer with secure random bytes.
pub fn random_prime(bits: usize, mut fill: impl FnMut(&mut [u8])) -> Vec<u8> {
    assert!(
        bits >= 64 && bits.is_multiple_of(64),
        "prime size {bits} is not a multiple of 64 bits"
    );
    match bits / 64 {
        16 => search::<[u64; 16]>(16, &mut fill),
        32 => search::<[u64; 32]>(32, &mut fill),
        limbs => search::<Vec<u64>>(limbs, &mut fill),
    }
}

fn search<L: Limbs>(limbs: usize, fill: &mut impl FnMut(&mut [u8])) -> Vec<u8> {
    let mut bytes = vec![0u8; 8 * limbs];
    let mut start = L::zero(limbs);
    let batched = batches::supports(limbs);
    loop {
        fill(&mut bytes);
        bytes[0] |= 0xc0;
        bytes[8 * limbs - 1] |= 1;
        from_be_bytes(&bytes, start.as_mut());
        if let Some(prime) = first_prime(&start, batched, fill) {
            return to_be_bytes(prime.as_ref());
        }
    }
}

/// The first number start + 2k (k < [`sieve::WINDOW`]) that passes the
/// tests, if any does before the sum needs another limb. `start` is odd
/// with its top bit set. `batched` (when [`batches::supports`] it) runs
/// the round to base 2 on eight candidates at once: the same number
/// passes, faster.
fn first_prime<L: Limbs>(start: &L, batched: bool, fill: &mut impl FnMut(&mut [u8])) -> Option<L> {
    let bound = residues::Bound::for_limbs(start.as_ref().len());
    let candidates = sieve::survivors(start.as_ref(), bound).map_while(|k| {
        let mut candidate = start.clone();
        let overflow = add_small(candidate.as_mut(), 2 * k as u64);
        (!overflow).then_some(candidate)
    });
    let passing: Box<dyn Iterator<Item = L>> = if batched {
        Box::new(batches::passing_base_two(candidates))
    } else {
        Box::new(candidates.filter(|n| miller_rabin::passes_base_two(&Montgomery::new(n.clone()))))
    };
    passing
        .map(Montgomery::new)
        .find(|m| confirmed(m, fill))
        .map(|m| m.n().clone())
}

/// The round to base 2 on eight candidates at once, where the CPU can.
#[cfg(target_arch = "x86_64")]
mod batches {
    pub(crate) use crate::ifma::{passing_base_two, supports};
}

#[cfg(not(target_arch = "x86_64"))]
mod batches {
    pub(crate) fn supports(_: usize) -> bool {
        false
    }

    pub(crate) fn passing_base_two<L>(_: impl Iterator<Item = L>) -> std::iter::Empty<L> {
        unreachable!("no batches on this CPU")
    }
}

/// For a number that passed the round to base 2: Baillie-PSW's other half,
/// the strong Lucas test, then a Miller-Rabin round to a random base.
fn confirmed<L: Limbs>(m: &Montgomery<L>, fill: &mut impl FnMut(&mut [u8])) -> bool {
    lucas::passes(m) && miller_rabin::passes_random_base(m, fill)
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod tests {
    use crypto_bigint::BoxedUint;
    use num_bigint::BigUint;
    use rand::RngCore;

    use super::{confirmed, first_prime, miller_rabin, random_prime};
    use crate::limbs::Limbs;
    use crate::montgomery::Montgomery;
    use crate::test_support::*;

    fn crypto_primes_says_prime(n: &BigUint) -> bool {
        let bytes = n.to_bytes_be();
        let n = BoxedUint::from_be_slice(&bytes, 8 * bytes.len() as u32).expect("fits");
        crypto_primes::is_prime(&n)
    }

    fn probable_prime<L: Limbs>(n: L) -> bool {
        let mut rng = rng();
        let m = Montgomery::new(n);
        miller_rabin::passes_base_two(&m) && confirmed(&m, &mut |b| rng.fill_bytes(b))
    }

    #[test]
    fn tests_agree_with_crypto_primes() {
        let known = large_primes()
            .into_iter()
            .chain(large_base_two_pseudoprimes());
        let small = (5..5_000u64).step_by(2).map(BigUint::from);
        let mut rng = rng();
        let random = [1, 2, 5, 16, 32].map(|len| big(&random_odd(&mut rng, len, true)));
        for n in known.chain(large_products()).chain(small).chain(random) {
            let len = n.bits().div_ceil(64) as usize;
            let prime = on_each_storage!(probable_prime, &limbs(&n, len));
            assert_eq!(prime, crypto_primes_says_prime(&n), "{n:x}");
        }
    }

    #[test]
    fn search_finds_the_first_prime_from_its_start() {
        let start = |x: BigUint| -> [u64; 2] { limbs(&x, 2).try_into().unwrap() };
        let below_2_128 = |d: u32| start((BigUint::from(1u32) << 128) - d);
        let mut rng = rng();
        let mut fill = |b: &mut [u8]| rng.fill_bytes(b);
        // Of 2^128 - 171 ... 2^128 - 161, small primes divide all but
        // 2^128 - 167, which fails Fermat's test; 2^128 - 159 is prime.
        let found = first_prime(&below_2_128(171), false, &mut fill);
        assert_eq!(found, Some(below_2_128(159)));
        assert_eq!(
            first_prime(&below_2_128(159), false, &mut fill),
            Some(below_2_128(159))
        );
        // The largest prime below 2^128 is 2^128 - 159: none follows.
        assert_eq!(first_prime(&below_2_128(157), false, &mut fill), None);
        // (2^64 - 59)(2^64 - 83) has no small factor but is skipped.
        let product = start(BigUint::from(u64::MAX - 58) * (u64::MAX - 82));
        let found = first_prime(&product, false, &mut fill).expect("a prime");
        assert!(big(&found) > big(&product));
        assert!(crypto_primes_says_prime(&big(&found)));
    }

    /// From random starts, batches (where the CPU has them) find the
    /// primes the scalar tests find.
    fn same_primes_with_batches<L: Limbs + std::fmt::Debug + PartialEq>() {
        let mut random = rng();
        for _ in 0..3 {
            let mut start = L::zero(0);
            let len = start.as_ref().len();
            start
                .as_mut()
                .copy_from_slice(&random_odd(&mut random, len, true));
            let search = |batched| {
                let mut rng = rng();
                first_prime(&start, batched, &mut |b| rng.fill_bytes(b))
            };
            let scalar = search(false);
            assert!(
                scalar
                    .as_ref()
                    .is_some_and(|p| crypto_primes_says_prime(&big(p.as_ref())))
            );
            if super::batches::supports(start.as_ref().len()) {
                assert_eq!(search(true), scalar);
            }
        }
    }

    #[test]
    fn batches_find_the_same_primes() {
        same_primes_with_batches::<[u64; 16]>();
        same_primes_with_batches::<[u64; 32]>();
    }

    #[test]
    fn random_primes_are_prime_with_their_top_two_bits_set() {
        let mut rng = rng();
        for bits in [64, 192, 576, 1024, 2048] {
            let prime = random_prime(bits, |b| rng.fill_bytes(b));
            assert_eq!(prime.len(), bits / 8);
            assert_eq!(prime[0] >> 6, 0b11);
            assert!(crypto_primes_says_prime(&BigUint::from_bytes_be(&prime)));
        }
    }
}
