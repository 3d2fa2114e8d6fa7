//! Arithmetic modulo an odd n on numbers times R = 2^(64·limbs) (Montgomery
//! form), in variable time: the numbers tested are discarded, or become
//! secret only after the search. Products are computed in full and then
//! reduced (separated operand scanning), so that squaring can compute each
//! product of two different limbs once and double it: about 60% of the
//! multiplications of a general product and its reduction.

use crate::limbs::{Limbs, adc, add_assign, less, mac, sub_assign};

/// Arithmetic modulo `n`.
pub(crate) struct Montgomery<L> {
    n: L,
    /// -n⁻¹ mod 2^64.
    n_prime: u64,
    /// R mod n, Montgomery's 1.
    one: L,
}

impl<L: Limbs> Montgomery<L> {
    /// For an odd n > 1.
    pub(crate) fn new(n: L) -> Montgomery<L> {
        let len = n.as_ref().len();
        let mut m = Montgomery {
            n_prime: neg_inverse(n.as_ref()[0]),
            n,
            one: L::zero(len),
        };
        let mut one = L::zero(len);
        if m.n.as_ref()[len - 1] >> 63 == 1 {
            // R - n < n, the two's complement of n: the search's case.
            sub_assign(one.as_mut(), m.n.as_ref());
        } else {
            one.as_mut()[0] = 1;
            for _ in 0..64 * len {
                m.double(&mut one);
            }
        }
        m.one = one;
        m
    }

    pub(crate) fn n(&self) -> &L {
        &self.n
    }

    pub(crate) fn len(&self) -> usize {
        self.n.as_ref().len()
    }

    pub(crate) fn one(&self) -> &L {
        &self.one
    }

    pub(crate) fn minus_one(&self) -> L {
        self.neg(&self.one)
    }

    pub(crate) fn zero(&self) -> L {
        L::zero(self.len())
    }

    /// x ← x² R⁻¹ mod n.
    #[inline(always)]
    pub(crate) fn square(&self, x: &mut L) {
        let mut t = L::wide_zero(self.len());
        square_wide::<L>(x.as_ref(), t.as_mut());
        self.reduce(t.as_mut(), x.as_mut());
    }

    /// x ← x y R⁻¹ mod n.
    #[inline(always)]
    pub(crate) fn mul(&self, x: &mut L, y: &L) {
        let mut t = L::wide_zero(self.len());
        mul_wide(x.as_ref(), y.as_ref(), t.as_mut());
        self.reduce(t.as_mut(), x.as_mut());
    }

    /// x ← 2x mod n.
    #[inline(always)]
    pub(crate) fn double(&self, x: &mut L) {
        let mut shifted_out = 0;
        for limb in x.as_mut() {
            (*limb, shifted_out) = (*limb << 1 | shifted_out, *limb >> 63);
        }
        self.subtract_n_if(x, shifted_out == 1);
    }

    /// x ← x + y mod n.
    pub(crate) fn add(&self, x: &mut L, y: &L) {
        let carry = add_assign(x.as_mut(), y.as_ref());
        self.subtract_n_if(x, carry);
    }

    /// x ← x - y mod n.
    pub(crate) fn sub(&self, x: &mut L, y: &L) {
        if sub_assign(x.as_mut(), y.as_ref()) {
            add_assign(x.as_mut(), self.n.as_ref());
        }
    }

    /// -x mod n.
    pub(crate) fn neg(&self, x: &L) -> L {
        let mut zero = self.zero();
        self.sub(&mut zero, x);
        zero
    }

    /// x ← x/2 mod n: (x + n)/2 for odd x.
    pub(crate) fn halve(&self, x: &mut L) {
        let odd = x.as_ref()[0] & 1 == 1;
        let carry = odd && add_assign(x.as_mut(), self.n.as_ref());
        let mut shifted_in = u64::from(carry);
        for limb in x.as_mut().iter_mut().rev() {
            (*limb, shifted_in) = (*limb >> 1 | shifted_in << 63, *limb & 1);
        }
    }

    /// c·x mod n for a small c, by doubling and adding.
    pub(crate) fn mul_small(&self, x: &L, c: u64) -> L {
        if c == 0 {
            return self.zero();
        }
        // x for c's top bit, then through the others.
        let mut product = x.clone();
        for i in (0..u64::BITS - 1 - c.leading_zeros()).rev() {
            self.double(&mut product);
            if c >> i & 1 == 1 {
                self.add(&mut product, x);
            }
        }
        product
    }

    /// out ← t R⁻¹ mod n for t < nR (t has twice n's limbs; it is clobbered).
    #[inline(always)]
    fn reduce(&self, t: &mut [u64], out: &mut [u64]) {
        let n = self.n.as_ref();
        let len = n.len();
        let mut top = false;
        L::each_index(len, |i| reduce_row(i, n, self.n_prime, t, &mut top));
        out.copy_from_slice(&t[len..2 * len]);
        if top || !less(out, n) {
            sub_assign(out, n);
        }
    }

    /// x ← x - n when `carry` (x overflowed R) or x ≥ n.
    #[inline(always)]
    fn subtract_n_if(&self, x: &mut L, carry: bool) {
        if carry || !less(x.as_ref(), self.n.as_ref()) {
            sub_assign(x.as_mut(), self.n.as_ref());
        }
    }
}

/// -x⁻¹ mod 2^64 for an odd x.
pub(crate) fn neg_inverse(x: u64) -> u64 {
    // Newton's iteration doubles the correct low bits of x⁻¹ each step.
    let mut inverse: u64 = 1;
    for _ in 0..6 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inverse)));
    }
    inverse.wrapping_neg()
}

/// t ← x² for a zero t of twice x's limbs: the products of two different
/// limbs once, doubled, plus the squares of the limbs.
#[inline(always)]
fn square_wide<L: Limbs>(x: &[u64], t: &mut [u64]) {
    let len = x.len();
    let t = &mut t[..2 * len];
    L::each_index(len, |i| square_row(i, x, t));
    let mut shifted_out = 0;
    let mut carry = false;
    for i in 0..len {
        let square = u128::from(x[i]) * u128::from(x[i]);
        let (low, high) = (t[2 * i], t[2 * i + 1]);
        let doubled_low = low << 1 | shifted_out;
        let doubled_high = high << 1 | low >> 63;
        shifted_out = high >> 63;
        (t[2 * i], carry) = adc(doubled_low, square as u64, carry);
        (t[2 * i + 1], carry) = adc(doubled_high, (square >> 64) as u64, carry);
    }
}

/// t ← t + x_i·x_j·2^(64(i+j)) for the j above i.
#[inline(always)]
fn square_row(i: usize, x: &[u64], t: &mut [u64]) {
    let len = x.len();
    let mut carry = 0;
    for j in i + 1..len {
        (t[i + j], carry) = mac(t[i + j], x[i], x[j], carry);
    }
    t[i + len] = carry;
}

/// t ← t + m·n·2^(64i) with the m that clears limb i, carrying into `top`
/// past the top limb.
#[inline(always)]
fn reduce_row(i: usize, n: &[u64], n_prime: u64, t: &mut [u64], top: &mut bool) {
    let len = n.len();
    let m = t[i].wrapping_mul(n_prime);
    let mut carry = 0;
    for j in 0..len {
        (t[i + j], carry) = mac(t[i + j], m, n[j], carry);
    }
    (t[i + len], *top) = adc(t[i + len], carry, *top);
}

/// t ← x y for a zero t of twice x's limbs.
#[inline(always)]
fn mul_wide(x: &[u64], y: &[u64], t: &mut [u64]) {
    let len = x.len();
    let (y, t) = (&y[..len], &mut t[..2 * len]);
    for i in 0..len {
        let mut carry = 0;
        for j in 0..len {
            (t[i + j], carry) = mac(t[i + j], x[i], y[j], carry);
        }
        t[i + len] = carry;
    }
}

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;

    use super::Montgomery;
    use crate::limbs::Limbs;
    use crate::test_support::{big, on_each_storage, random_below, random_odd, rng};

    /// Every operation on random numbers modulo n, checked against
    /// num-bigint; the results, to compare between storages.
    fn results<L: Limbs>(n: L) -> Vec<Vec<u64>> {
        let len = n.as_ref().len();
        let m = Montgomery::new(n);
        let n = big(m.n().as_ref());
        let r = BigUint::from(1u32) << (64 * len);
        assert_eq!(big(m.one().as_ref()), &r % &n);
        let storage = |x: &[u64]| {
            let mut l = L::zero(len);
            l.as_mut().copy_from_slice(x);
            l
        };
        let mut rng = rng();
        let mut results = Vec::new();
        for _ in 0..20 {
            let x = random_below(&mut rng, m.n().as_ref());
            let y = storage(&random_below(&mut rng, m.n().as_ref()));
            let (big_x, big_y) = (big(&x), big(y.as_ref()));
            let apply = |f: &dyn Fn(&mut L)| {
                let mut z = storage(&x);
                f(&mut z);
                z
            };
            // Montgomery's products are x y R⁻¹.
            let square = apply(&|z| m.square(z));
            assert_eq!(big(square.as_ref()) * &r % &n, &big_x * &big_x % &n);
            let product = apply(&|z| m.mul(z, &y));
            assert_eq!(big(product.as_ref()) * &r % &n, &big_x * &big_y % &n);
            let double = apply(&|z| m.double(z));
            assert_eq!(big(double.as_ref()), (&big_x << 1) % &n);
            let sum = apply(&|z| m.add(z, &y));
            assert_eq!(big(sum.as_ref()), (&big_x + &big_y) % &n);
            let difference = apply(&|z| m.sub(z, &y));
            assert_eq!(big(difference.as_ref()), (&big_x + &n - &big_y) % &n);
            let negation = m.neg(&storage(&x));
            assert_eq!(big(negation.as_ref()), (&n - &big_x) % &n);
            let half = apply(&|z| m.halve(z));
            assert_eq!(big(half.as_ref()) * 2u32 % &n, big_x);
            let multiples = [0u64, 1, 2, 5, 13, u32::MAX.into()].map(|c| {
                let multiple = m.mul_small(&storage(&x), c);
                assert_eq!(big(multiple.as_ref()), &big_x * c % &n);
                multiple
            });
            let all = [square, product, double, sum, difference, negation, half];
            results.extend(
                all.into_iter()
                    .chain(multiples)
                    .map(|z| z.as_ref().to_vec()),
            );
        }
        results
    }

    #[test]
    fn operations_agree_with_num_bigint() {
        let mut rng = rng();
        for len in [1, 2, 3, 5, 16, 17, 32, 33] {
            for top_bit in [true, false] {
                let n = random_odd(&mut rng, len, top_bit);
                on_each_storage!(results, &n);
            }
        }
    }
}
