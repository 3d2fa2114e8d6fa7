//! The random primes of RSA keys. A search from a random odd start: trial
//! division of a window of candidates by the odd primes below 2^17 or 2^20
//! at once (a sieve), then for each survivor a Miller-Rabin round to base
//! 2, which nearly every composite fails; the first number to pass is
//! confirmed by a strong Lucas test (with it, Baillie-PSW) and a
//! Miller-Rabin round to a random base, the checks of crypto-primes'
//! `is_prime_with_rng`. A key's two primes are searched on two threads,
//! and the first to find its prime helps the other.
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
mod window;

use std::sync::{Arc, Mutex, PoisonError};

use limbs::{Limbs, from_be_bytes, to_be_bytes};
use window::Window;

/// The two primes of an RSA key: random primes of `bits` bits each (a
/// multiple of 64) with their top two bits set, so that their product has
/// twice as many bits, as big-endian bytes. Each is the first prime from a
/// random odd start. `fill` fills a buffer with secure random bytes.
pub fn rsa_primes(bits: usize, fill: impl Fn(&mut [u8]) + Sync) -> [Vec<u8>; 2] {
    assert!(
        bits >= 64 && bits.is_multiple_of(64),
        "prime size {bits} is not a multiple of 64 bits"
    );
    let primes = match bits / 64 {
        16 => search::<[u64; 16]>(16, &fill).map(|p| p.to_vec()),
        32 => search::<[u64; 32]>(32, &fill).map(|p| p.to_vec()),
        limbs => search::<Vec<u64>>(limbs, &fill),
    };
    primes.map(|p| to_be_bytes(&p))
}

/// Two searches on two threads: each thread owns one, then helps the other.
fn search<L: Limbs + Send + Sync>(limbs: usize, fill: &(impl Fn(&mut [u8]) + Sync)) -> [L; 2] {
    let batched = batches::supports(limbs);
    // Both starts come first, so that a seeded `fill` finds the same primes.
    let starts = [(); 2].map(|_| random_start::<L>(limbs, fill));
    let searches = starts.map(|start| Search {
        window: Mutex::new(Arc::new(Window::new(&start, batched))),
    });
    let [first, second] = &searches;
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| {
            let prime = second.find(limbs, batched, fill);
            first.help();
            prime
        });
        let prime = first.find(limbs, batched, fill);
        second.help();
        [
            prime,
            helper
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        ]
    })
}

/// One prime's search: its current window.
struct Search<L> {
    window: Mutex<Arc<Window<L>>>,
}

impl<L: Limbs + Send + Sync> Search<L> {
    /// The owner's search, through new windows while they hold no prime.
    fn find(&self, limbs: usize, batched: bool, fill: &impl Fn(&mut [u8])) -> L {
        loop {
            if let Some(prime) = self.window().own(fill) {
                return prime;
            }
            let window = Window::new(&random_start(limbs, fill), batched);
            *self.window.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(window);
        }
    }

    fn help(&self) {
        self.window().help();
    }

    fn window(&self) -> Arc<Window<L>> {
        Arc::clone(&self.window.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A random odd number of `limbs` limbs with its top two bits set.
fn random_start<L: Limbs>(limbs: usize, fill: &impl Fn(&mut [u8])) -> L {
    let mut bytes = vec![0u8; 8 * limbs];
    fill(&mut bytes);
    bytes[0] |= 0xc0;
    bytes[8 * limbs - 1] |= 1;
    let mut start = L::zero(limbs);
    from_be_bytes(&bytes, start.as_mut());
    start
}

/// The round to base 2 on eight candidates at once, where the CPU can.
#[cfg(target_arch = "x86_64")]
mod batches {
    pub(crate) use crate::ifma::{LANES, passing_base_two, supports};
}

#[cfg(not(target_arch = "x86_64"))]
mod batches {
    pub(crate) const LANES: usize = 8;

    pub(crate) fn supports(_: usize) -> bool {
        false
    }

    pub(crate) fn passing_base_two<L>(_: &[L]) -> Vec<L> {
        unreachable!("no batches on this CPU")
    }
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;

    use super::{Window, random_start, rsa_primes, search};
    use crate::test_support::{crypto_primes_says_prime, seeded_fill};

    #[test]
    fn primes_are_prime_with_their_top_two_bits_set() {
        for bits in [64, 192, 576, 1024, 2048] {
            let primes = rsa_primes(bits, seeded_fill());
            assert_ne!(primes[0], primes[1]);
            for prime in primes {
                assert_eq!(prime.len(), bits / 8);
                assert_eq!(prime[0] >> 6, 0b11);
                assert!(crypto_primes_says_prime(&BigUint::from_bytes_be(&prime)));
            }
        }
    }

    /// With two threads sharing the work, each prime is still the first
    /// from its start.
    #[test]
    fn primes_are_the_first_from_their_starts() {
        for _ in 0..3 {
            let fill = seeded_fill();
            let primes = search::<[u64; 16]>(16, &fill);
            let fill = seeded_fill();
            let starts = [(); 2].map(|_| random_start::<[u64; 16]>(16, &fill));
            let expected =
                starts.map(|start| Window::new(&start, false).own(&fill).expect("a prime"));
            assert_eq!(primes, expected);
        }
    }
}
