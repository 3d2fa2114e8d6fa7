//! The remainders of a number modulo every odd prime below a bound. Primes
//! are taken a few at a time, modulo their product (below 2^63), by
//! Montgomery reduction: three multiplications a limb, where a division
//! would cost tens of cycles. Then one division a prime.

use std::sync::OnceLock;

use crate::montgomery::neg_inverse;

/// The odd primes taken: those below 2^17, or below 2^20. More rule out
/// more candidates before the tests, but cost time for each remainder and,
/// once, for their table; the tests of larger numbers cost more, so more
/// primes pay. Measured, 1024-bit primes (16 limbs) are found fastest with
/// the smaller bound, 2048-bit ones with the larger.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Bound {
    Small,
    Large,
}

impl Bound {
    pub(crate) fn for_limbs(limbs: usize) -> Bound {
        if limbs <= 16 {
            Bound::Small
        } else {
            Bound::Large
        }
    }

    pub(crate) fn value(self) -> usize {
        match self {
            Bound::Small => 1 << 17,
            Bound::Large => 1 << 20,
        }
    }
}

/// Calls `f(p, x mod p)` for every odd prime p below `bound`.
pub(crate) fn each(x: &[u64], bound: Bound, mut f: impl FnMut(u64, u64)) {
    let table = table(bound);
    let mut with_primes = |group: &Group, r: u64| {
        for p in &table.primes[group.primes.0 as usize..group.primes.1 as usize] {
            let p = u64::from(*p);
            f(p, r % p);
        }
    };
    let (chunks, rest) = table.groups.as_chunks::<LANES>();
    for groups in chunks {
        for (group, r) in groups.iter().zip(congruent(groups, x)) {
            with_primes(group, r);
        }
    }
    for group in rest {
        with_primes(group, congruent(std::array::from_ref(group), x)[0]);
    }
}

/// Groups whose remainders are computed together: each step of one waits
/// for its multiplications, those of the others fill the wait.
const LANES: usize = 4;

/// For each group, a number below 2^64 congruent to x modulo its product m,
/// by Horner's rule from the top limb: each step multiplies by 2^64 (as
/// Montgomery's product with 2^128) and adds a limb, folding its carry back
/// in as 2^64 mod m.
fn congruent<const K: usize>(groups: &[Group; K], x: &[u64]) -> [u64; K] {
    let mut acc = [0u64; K];
    for limb in x.iter().rev() {
        for (acc, group) in acc.iter_mut().zip(groups) {
            let shifted = group.reduce(u128::from(*acc) * u128::from(group.r2));
            let (sum, carry) = shifted.overflowing_add(*limb);
            *acc = if carry { sum + group.r } else { sum };
        }
    }
    acc
}

struct Table {
    primes: Vec<u32>,
    groups: Vec<Group>,
}

/// Consecutive primes and arithmetic modulo their product m.
struct Group {
    /// The first prime's index and the one after the last.
    primes: (u32, u32),
    m: u64,
    /// -m⁻¹ mod 2^64.
    m_prime: u64,
    /// 2^64 mod m and 2^128 mod m.
    r: u64,
    r2: u64,
}

/// The table for `bound`, made on first use.
fn table(bound: Bound) -> &'static Table {
    static SMALL: OnceLock<Table> = OnceLock::new();
    static LARGE: OnceLock<Table> = OnceLock::new();
    let table = match bound {
        Bound::Small => &SMALL,
        Bound::Large => &LARGE,
    };
    table.get_or_init(|| {
        let primes = odd_primes_below(bound.value());
        let mut groups = Vec::new();
        let mut first = 0;
        while first < primes.len() {
            let (mut last, mut m) = (first, 1u64);
            while let Some(p) = primes.get(last)
                && m < (1 << 63) / u64::from(*p)
            {
                m *= u64::from(*p);
                last += 1;
            }
            groups.push(Group::new((first as u32, last as u32), m));
            first = last;
        }
        Table { primes, groups }
    })
}

impl Group {
    fn new(primes: (u32, u32), m: u64) -> Group {
        // 2^64 - m ≡ 2^64.
        let r = m.wrapping_neg() % m;
        Group {
            primes,
            m,
            m_prime: neg_inverse(m),
            r,
            r2: (u128::from(r) * u128::from(r) % u128::from(m)) as u64,
        }
    }

    /// t 2^-64 mod m, for t < 2^64 m.
    fn reduce(&self, t: u128) -> u64 {
        let q = (t as u64).wrapping_mul(self.m_prime);
        let reduced = ((t + u128::from(q) * u128::from(self.m)) >> 64) as u64;
        if reduced >= self.m {
            reduced - self.m
        } else {
            reduced
        }
    }
}

/// The sieve of Eratosthenes over odd numbers.
fn odd_primes_below(bound: usize) -> Vec<u32> {
    // composite[i] stands for 2i + 1.
    let mut composite = vec![false; bound / 2];
    let mut primes = Vec::with_capacity(bound / 10);
    for i in 1..bound / 2 {
        if !composite[i] {
            let p = 2 * i + 1;
            primes.push(p as u32);
            // From p², the first multiple no smaller prime crosses out.
            let mut multiple = p * p / 2;
            while multiple < bound / 2 {
                composite[multiple] = true;
                multiple += p;
            }
        }
    }
    primes
}

#[cfg(test)]
mod tests {
    use super::{Bound, each, table};
    use crate::limbs::rem_small;
    use crate::test_support::{random_odd, rng};

    #[test]
    fn tables_have_every_odd_prime_below_their_bound() {
        // π(2^17) = 12251 and π(2^20) = 82025, with 2.
        for (bound, count) in [(Bound::Small, 12_250), (Bound::Large, 82_024)] {
            let table = table(bound);
            assert_eq!(table.primes.len(), count);
            assert_eq!(table.primes[..6], [3, 5, 7, 11, 13, 17]);
            assert!(table.primes.windows(2).all(|w| w[0] < w[1]));
            assert!(*table.primes.last().unwrap() < bound.value() as u32);
            let mut next = 0;
            for group in &table.groups {
                assert_eq!(group.primes.0, next);
                next = group.primes.1;
                let primes = &table.primes[group.primes.0 as usize..group.primes.1 as usize];
                let product = primes.iter().map(|p| u128::from(*p)).product::<u128>();
                assert_eq!(u128::from(group.m), product);
                assert!(group.m < 1 << 63);
            }
            assert_eq!(next as usize, table.primes.len());
        }
    }

    #[test]
    fn remainders_are_those_of_division() {
        let mut rng = rng();
        for len in [1, 2, 16, 32] {
            let x = random_odd(&mut rng, len, true);
            for bound in [Bound::Small, Bound::Large] {
                let mut count = 0;
                each(&x, bound, |p, r| {
                    assert_eq!(r, rem_small(&x, p), "{x:x?} mod {p}");
                    count += 1;
                });
                assert_eq!(count, table(bound).primes.len());
            }
        }
        let ones = [u64::MAX; 3];
        each(&ones, Bound::Large, |p, r| {
            assert_eq!(r, rem_small(&ones, p))
        });
    }
}
