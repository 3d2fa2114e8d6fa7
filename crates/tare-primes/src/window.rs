//! The candidates from one random start and the state of their tests,
//! which two threads can share: the owner finds the prime, and a helper
//! (the thread that has found its own) takes batches of candidates through
//! the round to base 2 meanwhile. The prime is the first candidate, in
//! order, to pass every test, whichever thread tested what.

use std::sync::{Condvar, Mutex, PoisonError};

use crate::limbs::{Limbs, add_small};
use crate::montgomery::Montgomery;
use crate::residues::Bound;
use crate::{lucas, miller_rabin, sieve};

pub(crate) struct Window<L> {
    /// The numbers start + 2k (k < [`sieve::WINDOW`]) that no small prime
    /// divides, in order, up to where they would need another limb.
    candidates: Vec<L>,
    /// Candidates a batch: eight where the CPU tests them together.
    batch: usize,
    batched: bool,
    /// By batch.
    batches: Mutex<Vec<Batch<L>>>,
    /// Signalled when a batch's state changes.
    changed: Condvar,
}

enum Batch<L> {
    Open,
    Testing,
    /// The candidates that passed the round to base 2.
    Tested(Vec<L>),
    /// The owner confirms its candidates: no one tests batches after it,
    /// since one nearly always is a prime.
    Confirming,
    Done,
}

impl<L> Batch<L> {
    /// Whether batches after this one wait: it has candidates to confirm.
    fn holds_candidates(&self) -> bool {
        match self {
            Batch::Tested(passed) => !passed.is_empty(),
            Batch::Confirming => true,
            _ => false,
        }
    }
}

impl<L: Limbs> Window<L> {
    /// The window from `start` (odd, with its top bit set); `batched` (when
    /// the CPU supports it for L) tests batches of eight at once.
    pub(crate) fn new(start: &L, batched: bool) -> Window<L> {
        let bound = Bound::for_limbs(start.as_ref().len());
        let candidates: Vec<L> = sieve::survivors(start.as_ref(), bound)
            .map_while(|k| {
                let mut candidate = start.clone();
                let overflow = add_small(candidate.as_mut(), 2 * k as u64);
                (!overflow).then_some(candidate)
            })
            .collect();
        let batch = if batched { crate::batches::LANES } else { 1 };
        let batches = candidates.len().div_ceil(batch);
        Window {
            candidates,
            batch,
            batched,
            batches: Mutex::new((0..batches).map(|_| Batch::Open).collect()),
            changed: Condvar::new(),
        }
    }

    /// The owner's search: the first candidate that passes the round to
    /// base 2 and the confirmation, if any.
    pub(crate) fn own(&self, fill: &impl Fn(&mut [u8])) -> Option<L> {
        let count = self.lock().len();
        let prime = (0..count).find_map(|i| {
            let prime = (self.passed(i).into_iter().map(Montgomery::new))
                .find(|m| confirmed(m, fill))
                .map(|m| m.n().clone());
            self.lock()[i] = Batch::Done;
            prime
        });
        // Helpers stop.
        self.lock()
            .iter_mut()
            .for_each(|batch| *batch = Batch::Done);
        prime
    }

    /// A helper's work: open batches, in order, while there are any.
    pub(crate) fn help(&self) {
        while let Some(i) = self.claim(0) {
            self.test(i);
        }
    }

    /// Batch i's candidates that passed the round to base 2: tested here
    /// (or an open batch after it, while a helper tests it), or awaited.
    fn passed(&self, i: usize) -> Vec<L> {
        let mut batches = self.lock();
        loop {
            if let Batch::Tested(_) = batches[i] {
                let Batch::Tested(passed) = std::mem::replace(&mut batches[i], Batch::Confirming)
                else {
                    unreachable!()
                };
                return passed;
            }
            drop(batches);
            match self.claim(i) {
                Some(j) => self.test(j),
                None => {
                    let batches = self.lock();
                    let testing =
                        |batches: &mut Vec<Batch<L>>| matches!(batches[i], Batch::Testing);
                    let waited = self.changed.wait_while(batches, testing);
                    drop(waited.unwrap_or_else(PoisonError::into_inner));
                }
            }
            batches = self.lock();
        }
    }

    /// The first open batch from `first` on, now testing; none after a
    /// batch that holds candidates.
    fn claim(&self, first: usize) -> Option<usize> {
        let mut batches = self.lock();
        let limit = (batches.iter().position(Batch::holds_candidates)).unwrap_or(batches.len());
        let i = (first..limit).find(|i| matches!(batches[*i], Batch::Open))?;
        batches[i] = Batch::Testing;
        Some(i)
    }

    /// Runs batch i through the round to base 2 and records who passed.
    fn test(&self, i: usize) {
        // Should the test panic, the batch opens again for the owner.
        let reopen = Reopen {
            window: self,
            batch: i,
        };
        let batch =
            &self.candidates[i * self.batch..((i + 1) * self.batch).min(self.candidates.len())];
        let passed = if self.batched {
            crate::batches::passing_base_two(batch)
        } else {
            (batch.iter())
                .filter(|n| miller_rabin::passes_base_two(&Montgomery::new((*n).clone())))
                .cloned()
                .collect()
        };
        std::mem::forget(reopen);
        self.lock()[i] = Batch::Tested(passed);
        self.changed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Batch<L>>> {
        // The states stay consistent whatever panics.
        self.batches.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Reopen<'a, L: Limbs> {
    window: &'a Window<L>,
    batch: usize,
}

impl<L: Limbs> Drop for Reopen<'_, L> {
    fn drop(&mut self) {
        self.window.lock()[self.batch] = Batch::Open;
        self.window.changed.notify_all();
    }
}

/// For a number that passed the round to base 2: Baillie-PSW's other half,
/// the strong Lucas test, then a Miller-Rabin round to a random base.
pub(crate) fn confirmed<L: Limbs>(m: &Montgomery<L>, fill: &impl Fn(&mut [u8])) -> bool {
    lucas::passes(m) && miller_rabin::passes_random_base(m, &mut |b| fill(b))
}

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;

    use super::{Window, confirmed};
    use crate::limbs::Limbs;
    use crate::miller_rabin;
    use crate::montgomery::Montgomery;
    use crate::test_support::*;

    fn probable_prime<L: Limbs>(n: L) -> bool {
        let m = Montgomery::new(n);
        miller_rabin::passes_base_two(&m) && confirmed(&m, &seeded_fill())
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

    fn first_prime<L: Limbs>(start: &L, batched: bool) -> Option<L> {
        Window::new(start, batched).own(&seeded_fill())
    }

    #[test]
    fn the_owner_finds_the_first_prime_from_its_start() {
        let start = |x: BigUint| -> [u64; 2] { limbs(&x, 2).try_into().unwrap() };
        let below_2_128 = |d: u32| start((BigUint::from(1u32) << 128) - d);
        // Of 2^128 - 171 ... 2^128 - 161, small primes divide all but
        // 2^128 - 167, which fails Fermat's test; 2^128 - 159 is prime.
        assert_eq!(
            first_prime(&below_2_128(171), false),
            Some(below_2_128(159))
        );
        assert_eq!(
            first_prime(&below_2_128(159), false),
            Some(below_2_128(159))
        );
        // The largest prime below 2^128 is 2^128 - 159: none follows.
        assert_eq!(first_prime(&below_2_128(157), false), None);
        // (2^64 - 59)(2^64 - 83) has no small factor but is skipped.
        let product = start(BigUint::from(u64::MAX - 58) * (u64::MAX - 82));
        let found = first_prime(&product, false).expect("a prime");
        assert!(big(&found) > big(&product));
        assert!(crypto_primes_says_prime(&big(&found)));
    }

    /// From random starts, batches (where the CPU has them) and helpers find
    /// the primes the scalar tests find alone.
    fn same_primes_with_batches_and_helpers<
        L: Limbs + std::fmt::Debug + PartialEq + Send + Sync,
    >() {
        let mut random = rng();
        for _ in 0..3 {
            let mut start = L::zero(0);
            let len = start.as_ref().len();
            start
                .as_mut()
                .copy_from_slice(&random_odd(&mut random, len, true));
            let alone = first_prime(&start, false);
            assert!(
                alone
                    .as_ref()
                    .is_some_and(|p| crypto_primes_says_prime(&big(p.as_ref())))
            );
            for batched in [false, crate::batches::supports(len)] {
                assert_eq!(first_prime(&start, batched), alone);
                let window = Window::new(&start, batched);
                let helped = std::thread::scope(|scope| {
                    for _ in 0..2 {
                        scope.spawn(|| window.help());
                    }
                    window.own(&seeded_fill())
                });
                assert_eq!(helped, alone);
            }
        }
    }

    /// A strong pseudoprime to base 2 comes first (2^67 - 1 and 2^1009 - 1
    /// have no factor the sieve finds): the batches after it wait, the
    /// confirmation fails, and the search goes on to the prime.
    #[test]
    fn searches_go_past_base_two_pseudoprimes() {
        for (pseudoprime, len) in [(mersenne(67), 2), (mersenne(1009), 16)] {
            let mut expected = &pseudoprime + 2u32;
            while !crypto_primes_says_prime(&expected) {
                expected += 2u32;
            }
            let start = limbs(&pseudoprime, len);
            for batched in [false, crate::batches::supports(len)] {
                let window = Window::new(&start, batched);
                assert_eq!(window.candidates[0], start);
                let found = std::thread::scope(|scope| {
                    scope.spawn(|| window.help());
                    window.own(&seeded_fill())
                });
                assert_eq!(found.map(|p| big(&p)), Some(expected.clone()));
            }
        }
    }

    #[test]
    fn batches_and_helpers_find_the_same_primes() {
        same_primes_with_batches_and_helpers::<[u64; 16]>();
        same_primes_with_batches_and_helpers::<[u64; 32]>();
    }
}
