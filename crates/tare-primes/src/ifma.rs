//! The Miller-Rabin round to base 2 on eight candidates at once, for CPUs
//! with AVX-512 IFMA (52-bit multiply-adds on eight 64-bit lanes): five to
//! six times the speed of the scalar round per candidate at 1024 and 2048
//! bits, where x86's 64-bit multiplier is the limit. The lanes compute
//! 2^(n-1); the few that pass Fermat's test get the round's verdict from
//! the powers kept at the last bits. One candidate a lane, in
//! 52-bit limbs; a lane's limbs may exceed 52 bits between steps (the 12
//! spare bits take the sums of products), and are normalised before each
//! squaring, whose multiply-adds read 52 bits.
//!
//! Products are "almost" Montgomery's: R = 2^(52·limbs) is at least 2^16
//! times n, so for x below 4n, (x² + mn)/R stays below (1 + 2^-12) n
//! without Montgomery's final subtraction (and below twice that doubled):
//! lanes never take different branches, and only the result is reduced.

use std::arch::x86_64::{
    __m512i, __mmask8, _mm512_add_epi64, _mm512_and_si512, _mm512_madd52hi_epu64,
    _mm512_madd52lo_epu64, _mm512_mask_add_epi64, _mm512_mask_reduce_add_epi64, _mm512_set_epi64,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_srli_epi64,
};

use crate::limbs::{Limbs, bit, each_index_unrolled, less, sub_assign, trailing_zeros};
use crate::miller_rabin;
use crate::montgomery::{Montgomery, neg_inverse};

pub(crate) const LANES: usize = 8;

const MASK_52: u64 = (1 << 52) - 1;

/// Rows of Montgomery's reduction done together.
const BLOCK: usize = 4;

/// Whether candidates of `len` limbs can be tested here: 16 or 32 limbs
/// (1024- and 2048-bit primes), on a CPU with AVX-512 IFMA.
pub(crate) fn supports(len: usize) -> bool {
    matches!(len, 16 | 32)
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512ifma")
}

/// Those of up to eight candidates (of a [`supports`]ed length) that pass a
/// Miller-Rabin round to base 2, in order.
pub(crate) fn passing_base_two<L: Limbs>(candidates: &[L]) -> Vec<L> {
    let batch: Vec<Montgomery<L>> = candidates.iter().cloned().map(Montgomery::new).collect();
    let powers = powers_of_two(&batch);
    (batch.into_iter().zip(powers))
        .filter(|(m, powers)| passes_base_two(m, powers))
        .map(|(m, _)| m.n().clone())
        .collect()
}

/// The last powers kept: 2^d for n - 1 = 2^s d with s up to this.
const KEPT: usize = 8;

/// The round's verdict from [`powers_of_two`]'s powers, as
/// [`miller_rabin::passes_base_two`] would give it.
fn passes_base_two<L: Limbs>(m: &Montgomery<L>, powers: &[L]) -> bool {
    if powers[0].as_ref() != m.one().as_ref() {
        return false; // Fermat's test fails.
    }
    match powers.get(trailing_zeros(m.n().as_ref(), 1)) {
        Some(power) => miller_rabin::passes(m, power.clone()),
        None => miller_rabin::passes_base_two(m),
    }
}

/// For each odd n of the batch (up to eight, of 16 or 32 limbs), 2^(n-1) in
/// `m`'s Montgomery form and, where it is 1, also 2^((n-1)/2^i) for i up to
/// s or [`KEPT`].
fn powers_of_two<L: Limbs>(batch: &[Montgomery<L>]) -> Vec<Vec<L>> {
    let len = batch.first().map(|m| m.len()).unwrap_or(0);
    assert!(supports(len) && batch.len() <= LANES);
    // SAFETY: `supports` checked that the CPU has the instructions these
    // functions are compiled for.
    unsafe {
        match len {
            16 => powers_of_two_52::<20, 40, L>(batch),
            _ => powers_of_two_52::<40, 80, L>(batch),
        }
    }
}

/// [`powers_of_two`] in `N` 52-bit limbs (`W` = 2N), with the 2^16 spare
/// bits the products need.
#[target_feature(enable = "avx512f,avx512ifma")]
fn powers_of_two_52<const N: usize, const W: usize, L: Limbs>(
    batch: &[Montgomery<L>],
) -> Vec<Vec<L>> {
    let len = batch[0].len();
    assert!(52 * N >= 64 * len + 16 && W == 2 * N);
    // Short batches repeat their last number. The scalar R' = 2^(64·len)
    // is 2^(52N - 64·len) times less than R.
    let lane = |k: usize| &batch[k.min(batch.len() - 1)];
    let n_of = |k: usize| lane(k).n().as_ref();
    let one = |k: usize| {
        let mut one = lane(k).one().clone();
        for _ in 64 * len..52 * N {
            lane(k).double(&mut one);
        }
        one
    };
    let ones: Vec<L> = (0..LANES).map(one).collect();
    let n: [__m512i; N] = pack(n_of);
    let mut x: [__m512i; N] = pack(|k| ones[k].as_ref());
    let n_prime = pack_lanes(|k| neg_inverse(n_of(k)[0]));
    // Left to right through the bits of n - 1 from 1: square, and double
    // the lanes whose bit is set. Keep the powers at the last bits.
    let mut kept = [x; KEPT];
    for i in (0..64 * len).rev() {
        let doubled = (0..LANES).fold(0, |mask, k| {
            let set = i > 0 && bit(n_of(k), i);
            mask | (u8::from(set) << k)
        });
        square::<N, W>(&mut x, &n, n_prime, doubled);
        if (1..=KEPT).contains(&i) {
            kept[i - 1] = x;
        }
    }
    // Lane k of y in m's form: y R'/R, y halved until R is R'.
    let scalar = |y: &[__m512i; N], k: usize| {
        let mut power = L::zero(len);
        let m = lane(k);
        power
            .as_mut()
            .copy_from_slice(&reduced(&unpack(y, k), m.n().as_ref()));
        for _ in 64 * len..52 * N {
            m.halve(&mut power);
        }
        power
    };
    (0..batch.len())
        .map(|k| {
            let mut powers = vec![scalar(&x, k)];
            if powers[0].as_ref() == lane(k).one().as_ref() {
                let s = trailing_zeros(n_of(k), 1).min(KEPT);
                powers.extend(kept[..s].iter().map(|y| scalar(y, k)));
            }
            powers
        })
        .collect()
}

/// x ← x² R⁻¹ mod n in each lane, doubled in the lanes of `doubled`, for x
/// below 4n in normalised limbs, as is the result (see the module's note).
#[target_feature(enable = "avx512f,avx512ifma")]
fn square<const N: usize, const W: usize>(
    x: &mut [__m512i; N],
    n: &[__m512i; N],
    n_prime: __m512i,
    doubled: __mmask8,
) {
    let zero = _mm512_setzero_si512();
    let mut t = [zero; W];
    // The products of two different limbs once, doubled, and the squares;
    // a product's low 52 bits add to its limb, the high ones to the next.
    each_index_unrolled::<N>(|i| {
        for j in i + 1..N {
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], x[i], x[j]);
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], x[i], x[j]);
        }
    });
    for limb in &mut t {
        *limb = _mm512_add_epi64(*limb, *limb);
    }
    for i in 0..N {
        t[2 * i] = _mm512_madd52lo_epu64(t[2 * i], x[i], x[i]);
        t[2 * i + 1] = _mm512_madd52hi_epu64(t[2 * i + 1], x[i], x[i]);
    }
    // Montgomery's reduction: adding m·n clears limb i, whose carry (with
    // what it held above 52 bits) then moves up; a block of rows at a time,
    // so that each limb above is loaded and stored once a block.
    for i in (0..N).step_by(BLOCK) {
        let rows = BLOCK.min(N - i);
        // Each row's m from its limb so far: the rows before, and the carry.
        let mut m = [zero; BLOCK];
        let mut carry = zero;
        for r in 0..rows {
            let mut limb = _mm512_add_epi64(t[i + r], carry);
            for q in 0..r {
                limb = _mm512_madd52lo_epu64(limb, m[q], n[r - q]);
                limb = _mm512_madd52hi_epu64(limb, m[q], n[r - q - 1]);
            }
            m[r] = _mm512_madd52lo_epu64(zero, limb, n_prime);
            limb = _mm512_madd52lo_epu64(limb, m[r], n[0]);
            carry = _mm512_srli_epi64::<52>(limb);
        }
        for (p, slot) in t.iter_mut().enumerate().skip(i + rows).take(N) {
            let mut limb = *slot;
            for (r, m) in m.iter().enumerate().take(rows) {
                let j = p - i - r;
                if j < N {
                    limb = _mm512_madd52lo_epu64(limb, *m, n[j]);
                }
                if (1..=N).contains(&j) {
                    limb = _mm512_madd52hi_epu64(limb, *m, n[j - 1]);
                }
            }
            *slot = limb;
        }
        t[i + rows] = _mm512_add_epi64(t[i + rows], carry);
    }
    let mask = _mm512_set1_epi64(MASK_52 as i64);
    let mut carry = zero;
    for i in 0..N {
        let limb = _mm512_mask_add_epi64(t[N + i], doubled, t[N + i], t[N + i]);
        let limb = _mm512_add_epi64(limb, carry);
        x[i] = _mm512_and_si512(limb, mask);
        carry = _mm512_srli_epi64::<52>(limb);
    }
}

/// Lane k of limb i holds limb i of `number(k)` (64-bit limbs) in 52-bit ones.
#[target_feature(enable = "avx512f")]
fn pack<'a, const N: usize>(number: impl Fn(usize) -> &'a [u64]) -> [__m512i; N] {
    let limbs: [[u64; N]; LANES] = std::array::from_fn(|k| to_radix_52(number(k)));
    std::array::from_fn(|i| pack_lanes(|k| limbs[k][i]))
}

/// Lane k holds `lane(k)`.
#[target_feature(enable = "avx512f")]
fn pack_lanes(lane: impl Fn(usize) -> u64) -> __m512i {
    let l = |k: usize| lane(k) as i64;
    _mm512_set_epi64(l(7), l(6), l(5), l(4), l(3), l(2), l(1), l(0))
}

/// Lane k of `x`, in 64-bit limbs (one more than the 52-bit ones hold).
#[target_feature(enable = "avx512f")]
fn unpack<const N: usize>(x: &[__m512i; N], k: usize) -> Vec<u64> {
    let limbs: Vec<u64> = x
        .iter()
        .map(|limb| _mm512_mask_reduce_add_epi64(1 << k, *limb) as u64)
        .collect();
    from_radix_52(&limbs)
}

fn to_radix_52<const N: usize>(x: &[u64]) -> [u64; N] {
    std::array::from_fn(|i| {
        let (word, shift) = (52 * i / 64, 52 * i % 64);
        let low = x.get(word).map_or(0, |w| w >> shift);
        let high = match (x.get(word + 1), shift) {
            (Some(w), 1..) => w << (64 - shift),
            _ => 0,
        };
        (low | high) & MASK_52
    })
}

fn from_radix_52(x: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; (52 * x.len()).div_ceil(64)];
    for (i, limb) in x.iter().enumerate() {
        let (word, shift) = (52 * i / 64, 52 * i % 64);
        out[word] |= limb << shift;
        if shift > 12 {
            out[word + 1] |= limb >> (64 - shift);
        }
    }
    out
}

/// x mod n in n's limbs, for x below a few times n.
fn reduced(x: &[u64], n: &[u64]) -> Vec<u64> {
    let mut n_wide = n.to_vec();
    n_wide.resize(x.len(), 0);
    let mut x = x.to_vec();
    while !less(&x, &n_wide) {
        sub_assign(&mut x, &n_wide);
    }
    x.truncate(n.len());
    x
}

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;

    use super::{LANES, from_radix_52, passing_base_two, powers_of_two, supports, to_radix_52};
    use crate::miller_rabin;
    use crate::montgomery::Montgomery;
    use crate::rsa_primes;
    use crate::test_support::*;

    #[test]
    fn radix_52_round_trips() {
        let x = random_odd(&mut rng(), 16, true);
        let mut back = from_radix_52(&to_radix_52::<20>(&x));
        assert_eq!(back.pop(), Some(0));
        assert_eq!(back, x);
    }

    /// The numbers the batch tests: known and random primes (one at least
    /// with n - 1 = 2^s d for s above 2), strong pseudoprimes to base 2
    /// (2^1021 - 1 and 2^2039 - 1), products of two primes, random numbers.
    fn numbers(len: usize) -> Vec<Vec<u64>> {
        let bits = 64 * len;
        let fill = seeded_fill();
        let primes = |bits| rsa_primes(bits, &fill).map(|p| BigUint::from_bytes_be(&p));
        let mut numbers = vec![
            if len == 16 { modp_1024() } else { modp_2048() },
            mersenne(bits - if len == 16 { 3 } else { 9 }),
            primes(bits / 2).into_iter().product(),
        ];
        let primes: Vec<BigUint> = (0..3).flat_map(|_| primes(bits)).collect();
        let s = |n: &BigUint| (n - 1u32).trailing_zeros().unwrap_or(0);
        assert!(
            primes.iter().any(|p| s(p) >= 3),
            "some n - 1 = 2^s d with s > 2"
        );
        numbers.extend(primes);
        let mut rng = rng();
        numbers.extend((0..5).map(|_| big(&random_odd(&mut rng, len, true))));
        numbers.iter().map(|n| limbs(n, len)).collect()
    }

    /// Batches of 1, 3 and 8, against num-bigint's `modpow`.
    #[test]
    fn powers_agree_with_num_bigint() {
        if !supports(16) {
            return;
        }
        for len in [16, 32] {
            let numbers = numbers(len);
            let r = BigUint::from(1u32) << (64 * len);
            for size in [1, 3, LANES] {
                for batch in numbers.chunks(size) {
                    let batch: Vec<Montgomery<Vec<u64>>> =
                        batch.iter().map(|n| Montgomery::new(n.clone())).collect();
                    for (m, powers) in batch.iter().zip(powers_of_two(&batch)) {
                        let n = big(m.n().as_ref());
                        for (i, power) in powers.iter().enumerate() {
                            // 2^((n-1)/2^i) R'.
                            let exponent = (&n - 1u32) >> i;
                            let expected = BigUint::from(2u32).modpow(&exponent, &n) * &r % &n;
                            assert_eq!(big(power.as_ref()), expected, "{n:x} {i}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn batches_pass_what_the_scalar_round_passes_in_order() {
        if !supports(16) {
            return;
        }
        for len in [16, 32] {
            let numbers = numbers(len);
            let scalar: Vec<&Vec<u64>> = (numbers.iter())
                .filter(|n| miller_rabin::passes_base_two(&Montgomery::new((*n).clone())))
                .collect();
            assert!(scalar.len() >= 8);
            let batched: Vec<Vec<u64>> = numbers.chunks(LANES).flat_map(passing_base_two).collect();
            assert_eq!(batched.iter().collect::<Vec<_>>(), scalar);
        }
    }
}
