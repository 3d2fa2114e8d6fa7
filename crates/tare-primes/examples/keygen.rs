//! Times RSA keys' primes (not part of tare):
//!
//!     cargo run --release -p tare-primes --example keygen -- 2048 50
//!
//! makes 50 keys of 2048 bits as tare does: the two primes (on two threads
//! that share the work), then rsa's key from them. Each key's random bytes
//! come from a stream seeded by its number, so that runs (and versions)
//! test the same candidates and callgrind's instruction counts compare.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng};

fn key(bits: usize, seed: u64) -> rsa::RsaPrivateKey {
    let rng = Mutex::new(rand::rngs::StdRng::seed_from_u64(seed));
    let fill = |b: &mut [u8]| rng.lock().expect("rng").fill_bytes(b);
    let primes = tare_primes::rsa_primes(bits / 2, fill).map(|p| rsa::BigUint::from_bytes_be(&p));
    rsa::RsaPrivateKey::from_primes(primes.to_vec(), rsa::BigUint::from(65_537u32)).expect("a key")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: keygen BITS COUNT";
    let [bits, count] = &args[..] else {
        panic!("{usage}")
    };
    let (bits, count): (usize, u64) = (bits.parse().expect(usage), count.parse().expect(usage));
    let mut times: Vec<Duration> = (0..count)
        .map(|seed| {
            let started = Instant::now();
            drop(key(bits, seed));
            started.elapsed()
        })
        .collect();
    times.sort();
    let total: Duration = times.iter().sum();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{count} keys of {bits} bits: median {:.2} ms, mean {:.2} ms, min {:.2} ms, max {:.2} ms",
        ms(times[times.len() / 2]),
        ms(total) / count as f64,
        ms(times[0]),
        ms(times[times.len() - 1]),
    );
}
