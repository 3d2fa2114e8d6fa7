//! The fast part of a random prime search for RSA keys: from a random start,
//! the first number that no small prime divides and that passes Fermat's test
//! to base 2. Nearly every candidate fails one of the two, so they decide the
//! search's speed; the caller confirms the survivor with a full primality
//! test. Fermat's test to base 2 needs only Montgomery squarings and
//! doublings, in variable time (the numbers tested are discarded or become
//! secret only after the search). Tested by tare's Sprig tests.

/// Odd candidates sieved at once.
const WINDOW: usize = 1 << 13;

/// Small primes up to this bound rule candidates out before Fermat's test.
const SIEVE_BOUND: usize = 1 << 15;

/// The first number `start + 2k` (k < 8192) that no odd prime below 32768
/// divides and that passes Fermat's test to base 2, as big-endian bytes of
/// `start`'s length. `start` is big-endian, odd, with its top bit set and a
/// length that is a multiple of 8 bytes. None when the window holds no such
/// number or runs past `start`'s length.
pub fn next_probable_prime(start: &[u8]) -> Option<Vec<u8>> {
    let base = Limbs::from_be_bytes(start).filter(|b| b.0[0] & 1 == 1)?;
    let mut composite = vec![false; WINDOW];
    for p in odd_primes_below(SIEVE_BOUND) {
        // The k with start + 2k ≡ 0 (mod p): k ≡ -start · 2⁻¹ (mod p).
        let half = p.div_ceil(2); // 2⁻¹ mod p
        let k0 = (p - base.rem(p)) % p * half % p;
        for k in (k0 as usize..WINDOW).step_by(p as usize) {
            composite[k] = true;
        }
    }
    (0..WINDOW).filter(|k| !composite[*k]).find_map(|k| {
        let candidate = base.plus(2 * k as u64)?;
        let passes = Montgomery::new(&candidate).fermat_base_two();
        passes.then(|| candidate.to_be_bytes())
    })
}

/// The odd primes below `bound` (sieve of Eratosthenes).
fn odd_primes_below(bound: usize) -> impl Iterator<Item = u64> {
    let mut composite = vec![false; bound];
    for i in 2..bound {
        if !composite[i] {
            for multiple in (i * i..bound).step_by(i) {
                composite[multiple] = true;
            }
        }
    }
    (3..bound).filter(move |i| !composite[*i]).map(|i| i as u64)
}

/// A number as little-endian 64-bit limbs.
#[derive(Clone, Debug, PartialEq)]
struct Limbs(Vec<u64>);

impl Limbs {
    fn from_be_bytes(bytes: &[u8]) -> Option<Limbs> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(8) || bytes[0] & 0x80 == 0 {
            return None;
        }
        let limbs = bytes
            .rchunks_exact(8)
            .map(|c| c.iter().fold(0, |limb, byte| limb << 8 | u64::from(*byte)));
        Some(Limbs(limbs.collect()))
    }

    fn to_be_bytes(&self) -> Vec<u8> {
        self.0.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
    }

    /// The remainder modulo a small `p`.
    fn rem(&self, p: u64) -> u64 {
        self.0.iter().rev().fold(0, |r, limb| {
            let high = ((r << 32) | (limb >> 32)) % p;
            ((high << 32) | (limb & 0xffff_ffff)) % p
        })
    }

    /// `self + x`, or None when the sum needs another limb.
    fn plus(&self, x: u64) -> Option<Limbs> {
        let mut sum = self.0.clone();
        let mut carry = x;
        for limb in &mut sum {
            let (s, overflow) = limb.overflowing_add(carry);
            *limb = s;
            carry = u64::from(overflow);
        }
        (carry == 0).then_some(Limbs(sum))
    }
}

/// Arithmetic modulo an odd `n` with its top bit set, on numbers times
/// R = 2^(64·limbs) (Montgomery form).
struct Montgomery<'a> {
    n: &'a [u64],
    /// -n⁻¹ mod 2^64.
    n_prime: u64,
}

impl Montgomery<'_> {
    fn new(n: &Limbs) -> Montgomery<'_> {
        // Newton's iteration doubles the correct low bits of n⁻¹ each step.
        let n0 = n.0[0];
        let mut inverse: u64 = 1;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(inverse)));
        }
        Montgomery {
            n: &n.0,
            n_prime: inverse.wrapping_neg(),
        }
    }

    /// 2^(n-1) ≡ 1 (mod n).
    fn fermat_base_two(&self) -> bool {
        let len = self.n.len();
        // Montgomery's 1 is R mod n = 2^(64·len) - n (as n > 2^(64·len - 1)),
        // the two's complement of n; n is odd, so only its low limb is negated.
        let one: Vec<u64> = (self.n.iter().enumerate())
            .map(|(i, limb)| if i == 0 { limb.wrapping_neg() } else { !limb })
            .collect();
        let mut x = one.clone();
        let mut scratch = vec![0u64; len + 2];
        // Left to right through the bits of n - 1, which differs from n only
        // in bit 0 (n is odd): square, and double where a bit is set.
        for (i, limb) in self.n.iter().rev().enumerate() {
            let limb = if i == len - 1 { limb & !1 } else { *limb };
            for bit in (0..64).rev() {
                self.square(&mut x, &mut scratch);
                if limb >> bit & 1 == 1 {
                    self.double(&mut x);
                }
            }
        }
        x == one
    }

    /// x ← x² R⁻¹ mod n (coarsely integrated operand scanning).
    fn square(&self, x: &mut [u64], t: &mut [u64]) {
        let n = self.n;
        let len = n.len();
        assert!(x.len() == len && t.len() == len + 2);
        t.fill(0);
        for i in 0..len {
            let xi = u128::from(x[i]);
            let mut carry = 0u128;
            for j in 0..len {
                let s = u128::from(t[j]) + u128::from(x[j]) * xi + carry;
                t[j] = s as u64;
                carry = s >> 64;
            }
            let s = u128::from(t[len]) + carry;
            t[len] = s as u64;
            t[len + 1] = (s >> 64) as u64;
            let m = u128::from(t[0].wrapping_mul(self.n_prime));
            let mut carry = (u128::from(t[0]) + m * u128::from(n[0])) >> 64;
            for j in 1..len {
                let s = u128::from(t[j]) + m * u128::from(n[j]) + carry;
                t[j - 1] = s as u64;
                carry = s >> 64;
            }
            let s = u128::from(t[len]) + carry;
            t[len - 1] = s as u64;
            t[len] = t[len + 1] + (s >> 64) as u64;
        }
        x.copy_from_slice(&t[..len]);
        if t[len] != 0 || !less(x, n) {
            sub_in_place(x, n);
        }
    }

    /// x ← 2x mod n.
    fn double(&self, x: &mut [u64]) {
        let mut carry = 0;
        for limb in x.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry != 0 || !less(x, self.n) {
            sub_in_place(x, self.n);
        }
    }
}

/// a < b, both little-endian limbs of one length.
fn less(a: &[u64], b: &[u64]) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Less
}

/// a ← a - b mod 2^(64·len).
fn sub_in_place(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(*y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
}
