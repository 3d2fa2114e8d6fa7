//! Trial division of a window of candidates at once: of the odd numbers
//! start, start + 2, ..., those that no odd prime below a bound divides.

use crate::residues::{self, Bound};

/// Odd candidates sieved at once.
pub(crate) const WINDOW: usize = 1 << 13;

/// The k < [`WINDOW`], in increasing order, for which no odd prime below
/// `bound` divides start + 2k. `start` is odd and above the bound.
pub(crate) fn survivors(start: &[u64], bound: Bound) -> impl Iterator<Item = usize> {
    let mut composite = vec![false; WINDOW];
    residues::each(start, bound, |p, r| {
        // start + 2k ≡ 0 (mod p) for 2k ≡ p - r: halve p - r, or p - r + p
        // when that is odd.
        let t = if r == 0 { 0 } else { p - r };
        let mut k = (if t % 2 == 0 { t } else { t + p } / 2) as usize;
        while k < WINDOW {
            composite[k] = true;
            k += p as usize;
        }
    });
    (0..WINDOW).filter(move |k| !composite[*k])
}

#[cfg(test)]
mod tests {
    use super::{WINDOW, survivors};
    use crate::limbs::{add_small, rem_small};
    use crate::residues::{self, Bound};
    use crate::test_support::{random_odd, rng};

    #[test]
    fn survivors_are_the_candidates_without_small_factors() {
        let start = random_odd(&mut rng(), 2, true);
        let candidate = |k: usize| {
            let mut c = start.clone();
            assert!(!add_small(&mut c, 2 * k as u64));
            c
        };
        let mut primes = Vec::new();
        residues::each(&[0], Bound::Large, |p, _| primes.push(p));
        let survivors: Vec<usize> = survivors(&start, Bound::Large).collect();
        // About 8% of odd numbers have no odd factor below 2^20.
        assert!((400..900).contains(&survivors.len()), "{}", survivors.len());
        for k in 0..WINDOW {
            let c = candidate(k);
            let factor = primes.iter().find(|p| rem_small(&c, **p) == 0);
            assert_eq!(survivors.binary_search(&k).is_ok(), factor.is_none(), "{k}");
        }
        assert!(primes.iter().all(|p| *p < Bound::Large.value() as u64));
    }
}
