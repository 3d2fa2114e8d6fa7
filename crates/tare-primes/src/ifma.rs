//! Fermat's test to base 2 on eight candidates at once, for CPUs with
//! AVX-512 IFMA (52-bit multiply-adds on eight 64-bit lanes): about four
//! times the speed of the scalar test per candidate at 1024 and 2048 bits,
//! where x86's 64-bit multiplier is the limit. One candidate a lane, in
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

use crate::limbs::{Limbs, bit, each_index_unrolled, less, sub_assign};
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

/// The candidates that pass Fermat's test to base 2, in order, tested
/// eight at a time. Their length must be [`supports`]ed.
pub(crate) fn passing_fermat<L: Limbs>(
    mut candidates: impl Iterator<Item = L>,
) -> impl Iterator<Item = L> {
    let mut passed = Vec::new().into_iter();
    std::iter::from_fn(move || {
        loop {
            if let Some(candidate) = passed.next() {
                return Some(candidate);
            }
            let batch: Vec<L> = candidates.by_ref().take(LANES).collect();
            let powers = powers_of_two(batch.first()?.as_ref().len(), &batch);
            let passing: Vec<L> = (batch.into_iter().zip(powers))
                .filter(|(_, power)| power[0] == 1 && power[1..].iter().all(|l| *l == 0))
                .map(|(n, _)| n)
                .collect();
            passed = passing.into_iter();
        }
    })
}

/// 2^(n-1) mod n for each candidate n (up to eight, of `len` limbs, with
/// their top bit set).
fn powers_of_two<L: Limbs>(len: usize, candidates: &[L]) -> Vec<Vec<u64>> {
    assert!(supports(len) && !candidates.is_empty() && candidates.len() <= LANES);
    // SAFETY: `supports` checked that the CPU has the instructions these
    // functions are compiled for.
    unsafe {
        match len {
            16 => powers_of_two_52::<20, 40, L>(candidates),
            _ => powers_of_two_52::<40, 80, L>(candidates),
        }
    }
}

/// [`powers_of_two`] in `N` 52-bit limbs (`W` = 2N), with the 2^16 spare
/// bits the products need.
#[target_feature(enable = "avx512f,avx512ifma")]
fn powers_of_two_52<const N: usize, const W: usize, L: Limbs>(candidates: &[L]) -> Vec<Vec<u64>> {
    let len = candidates[0].as_ref().len();
    assert!(52 * N >= 64 * len + 16 && W == 2 * N);
    // Scalar arithmetic modulo each lane's n (short batches repeat their
    // last candidate), whose R' = 2^(64·len) is 2^(52N - 64·len) times less.
    let lanes: Vec<Montgomery<L>> = (0..LANES)
        .map(|k| Montgomery::new(candidates[k.min(candidates.len() - 1)].clone()))
        .collect();
    let lane = |k: usize| lanes[k].n().as_ref();
    // Montgomery's 2: 2R mod n.
    let two: Vec<L> = (lanes.iter())
        .map(|m| {
            let mut two = m.one().clone();
            for _ in 64 * len..52 * N + 1 {
                m.double(&mut two);
            }
            two
        })
        .collect();
    let n: [__m512i; N] = pack(lane);
    let mut x: [__m512i; N] = pack(|k| two[k].as_ref());
    let n_prime = pack_lanes(|k| neg_inverse(lane(k)[0]));
    // Left to right through the bits of n - 1 below the top one (2 stands
    // for it): square, and double the lanes whose bit is set.
    for i in (0..64 * len - 1).rev() {
        let doubled = (0..LANES).fold(0, |mask, k| {
            let set = i > 0 && bit(lane(k), i);
            mask | (u8::from(set) << k)
        });
        square::<N, W>(&mut x, &n, n_prime, doubled);
    }
    // Out of Montgomery's form: x R'⁻¹ (a scalar product with 1), halved
    // until it is x R⁻¹.
    let mut one = L::zero(len);
    one.as_mut()[0] = 1;
    (lanes.iter().enumerate().take(candidates.len()))
        .map(|(k, m)| {
            let mut power = L::zero(len);
            power
                .as_mut()
                .copy_from_slice(&reduced(&unpack(&x, k), lane(k)));
            m.mul(&mut power, &one);
            for _ in 64 * len..52 * N {
                m.halve(&mut power);
            }
            power.as_ref().to_vec()
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
    use rand::RngCore;

    use super::{from_radix_52, passing_fermat, powers_of_two, supports, to_radix_52};
    use crate::random_prime;
    use crate::test_support::*;

    #[test]
    fn radix_52_round_trips() {
        let x = random_odd(&mut rng(), 16, true);
        let mut back = from_radix_52(&to_radix_52::<20>(&x));
        assert_eq!(back.pop(), Some(0));
        assert_eq!(back, x);
    }

    /// Batches of 1 to 8 of random numbers, known primes and products of
    /// two primes, of 16 and 32 limbs, against num-bigint's `modpow`.
    #[test]
    fn powers_agree_with_num_bigint() {
        if !supports(16) {
            return;
        }
        let mut rng = rng();
        let mut half = || BigUint::from_bytes_be(&random_prime(512, |b| rng.fill_bytes(b)));
        let products = [half() * half(), modp_1024() * modp_1024()];
        let mut rng = crate::test_support::rng();
        for (len, prime, product) in [
            (16, modp_1024(), &products[0]),
            (32, modp_2048(), &products[1]),
        ] {
            for size in 1..=8 {
                let mut batch: Vec<Vec<u64>> =
                    (0..size).map(|_| random_odd(&mut rng, len, true)).collect();
                batch[0] = limbs(&prime, len);
                batch[size - 1] = limbs(product, len);
                let powers = powers_of_two(len, &batch);
                assert_eq!(powers.len(), size);
                for (n, power) in batch.iter().zip(powers) {
                    let n = big(n);
                    let expected = BigUint::from(2u32).modpow(&(&n - 1u32), &n);
                    assert_eq!(big(&power), expected, "{n:x}");
                }
            }
        }
    }

    #[test]
    fn passing_candidates_keep_their_order() {
        if !supports(16) {
            return;
        }
        let mut rng = rng();
        let prime = limbs(&modp_1024(), 16);
        let candidates: Vec<Vec<u64>> = (0..20)
            .map(|i| {
                if i % 3 == 0 {
                    prime.clone()
                } else {
                    random_odd(&mut rng, 16, true)
                }
            })
            .collect();
        let passing: Vec<Vec<u64>> = passing_fermat(candidates.into_iter()).collect();
        assert_eq!(passing, vec![prime; 7]);
    }
}
