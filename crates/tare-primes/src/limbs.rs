//! Numbers as little-endian 64-bit limbs, kept in an array when the search
//! sees their length often or else in a vector. The arithmetic takes slices
//! and is inlined into its callers, so that one implementation serves both;
//! with arrays the compiler knows every loop's length, unrolls the loops and
//! drops the bounds checks.

use std::cmp::Ordering;

/// Storage for a number's limbs.
pub(crate) trait Limbs: AsRef<[u64]> + AsMut<[u64]> + Clone {
    /// Room for a product: twice as many limbs.
    type Wide: AsRef<[u64]> + AsMut<[u64]>;
    fn zero(len: usize) -> Self;
    fn wide_zero(len: usize) -> Self::Wide;

    /// Calls `f(0)`, ..., `f(len - 1)`; for arrays as [`each_index_unrolled`].
    fn each_index(len: usize, f: impl FnMut(usize));
}

/// Calls `f(0)`, ..., `f(N - 1)`, below 40 with literal arguments, so that
/// when `f` is inlined the loops it bounds by its argument (a square's rows)
/// have constant lengths and unroll too.
#[inline(always)]
pub(crate) fn each_index_unrolled<const N: usize>(mut f: impl FnMut(usize)) {
    macro_rules! each_literal_below_n {
        ($($i:literal)*) => {$(if $i < N { f($i); })*};
    }
    each_literal_below_n!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19
        20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39
    );
    (40..N).for_each(f);
}

impl<const N: usize> Limbs for [u64; N] {
    type Wide = Wide<N>;

    fn zero(_: usize) -> Self {
        [0; N]
    }

    fn wide_zero(_: usize) -> Wide<N> {
        Wide([[0; N]; 2])
    }

    #[inline(always)]
    fn each_index(_: usize, f: impl FnMut(usize)) {
        each_index_unrolled::<N>(f);
    }
}

impl Limbs for Vec<u64> {
    type Wide = Vec<u64>;

    fn zero(len: usize) -> Self {
        vec![0; len]
    }

    fn wide_zero(len: usize) -> Vec<u64> {
        vec![0; 2 * len]
    }

    #[inline(always)]
    fn each_index(len: usize, f: impl FnMut(usize)) {
        (0..len).for_each(f);
    }
}

/// 2N limbs for N-limb arrays (an array's length cannot be 2 * N yet).
pub(crate) struct Wide<const N: usize>([[u64; N]; 2]);

impl<const N: usize> AsRef<[u64]> for Wide<N> {
    fn as_ref(&self) -> &[u64] {
        self.0.as_flattened()
    }
}

impl<const N: usize> AsMut<[u64]> for Wide<N> {
    fn as_mut(&mut self) -> &mut [u64] {
        self.0.as_flattened_mut()
    }
}

/// `bytes` (big-endian, as long as `out` in 8-byte limbs) into `out`.
pub(crate) fn from_be_bytes(bytes: &[u8], out: &mut [u64]) {
    for (limb, chunk) in out.iter_mut().zip(bytes.rchunks_exact(8)) {
        *limb = u64::from_be_bytes(chunk.try_into().expect("8-byte chunk"));
    }
}

pub(crate) fn to_be_bytes(x: &[u64]) -> Vec<u8> {
    x.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
}

/// t + a·b + carry as (low, high) limbs; it cannot overflow 128 bits.
#[inline(always)]
pub(crate) fn mac(t: u64, a: u64, b: u64, carry: u64) -> (u64, u64) {
    let s = u128::from(t) + u128::from(a) * u128::from(b) + u128::from(carry);
    (s as u64, (s >> 64) as u64)
}

/// a + b + carry as (sum, carry out).
#[inline(always)]
pub(crate) fn adc(a: u64, b: u64, carry: bool) -> (u64, bool) {
    let (s1, c1) = a.overflowing_add(b);
    let (s2, c2) = s1.overflowing_add(u64::from(carry));
    (s2, c1 | c2)
}

/// a - b - borrow as (difference, borrow out).
#[inline(always)]
pub(crate) fn sbb(a: u64, b: u64, borrow: bool) -> (u64, bool) {
    let (d1, b1) = a.overflowing_sub(b);
    let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
    (d2, b1 | b2)
}

/// a ← a + b, returning the carry out.
#[inline(always)]
pub(crate) fn add_assign(a: &mut [u64], b: &[u64]) -> bool {
    let mut carry = false;
    for (x, y) in a.iter_mut().zip(b) {
        (*x, carry) = adc(*x, *y, carry);
    }
    carry
}

/// a ← a - b, returning the borrow out.
#[inline(always)]
pub(crate) fn sub_assign(a: &mut [u64], b: &[u64]) -> bool {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b) {
        (*x, borrow) = sbb(*x, *y, borrow);
    }
    borrow
}

/// a ← a + x, returning the carry out.
pub(crate) fn add_small(a: &mut [u64], x: u64) -> bool {
    let mut carry = x;
    for limb in a.iter_mut() {
        let overflow;
        (*limb, overflow) = limb.overflowing_add(carry);
        carry = u64::from(overflow);
        if carry == 0 {
            break;
        }
    }
    carry != 0
}

/// a < b, both of one length.
#[inline(always)]
pub(crate) fn less(a: &[u64], b: &[u64]) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == Ordering::Less
}

pub(crate) fn is_zero(a: &[u64]) -> bool {
    a.iter().all(|l| *l == 0)
}

/// Bit `i` of `a`.
pub(crate) fn bit(a: &[u64], i: usize) -> bool {
    a[i / 64] >> (i % 64) & 1 == 1
}

/// The number of trailing zero bits of a with its low `ignored` bits clear
/// (a has a set bit above them): for an odd a, `ignored` = 1 counts those
/// of a - 1.
pub(crate) fn trailing_zeros(a: &[u64], ignored: u32) -> usize {
    let cleared = |i: usize, limb: u64| {
        if i == 0 {
            limb >> ignored << ignored
        } else {
            limb
        }
    };
    let (i, limb) = (a.iter().enumerate())
        .map(|(i, limb)| (i, cleared(i, *limb)))
        .find(|(_, limb)| *limb != 0)
        .expect("a set bit");
    64 * i + limb.trailing_zeros() as usize
}

pub(crate) fn trailing_ones(a: &[u64]) -> usize {
    let full = a.iter().take_while(|l| **l == u64::MAX).count();
    64 * full + a.get(full).map_or(0, |l| l.trailing_ones() as usize)
}

/// out ← a >> s.
pub(crate) fn shift_right(a: &[u64], s: usize, out: &mut [u64]) {
    let (limbs, bits) = (s / 64, s % 64);
    for (i, limb) in out.iter_mut().enumerate() {
        let low = a.get(i + limbs).copied().unwrap_or(0);
        let high = a.get(i + limbs + 1).copied().unwrap_or(0);
        *limb = if bits == 0 {
            low
        } else {
            low >> bits | high << (64 - bits)
        };
    }
}

/// The number of bits up to the highest set one.
pub(crate) fn bit_len(a: &[u64]) -> usize {
    let top = a.iter().rposition(|l| *l != 0);
    top.map_or(0, |i| 64 * i + 64 - a[i].leading_zeros() as usize)
}

/// The remainder modulo a small `p` (below 2^32).
pub(crate) fn rem_small(a: &[u64], p: u64) -> u64 {
    a.iter().rev().fold(0, |r, limb| {
        let high = ((r << 32) | (limb >> 32)) % p;
        ((high << 32) | (limb & 0xffff_ffff)) % p
    })
}
