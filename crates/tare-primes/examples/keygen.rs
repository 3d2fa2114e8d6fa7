//! Times the prime search (not part of tare):
//!
//!     cargo run --release -p tare-primes --example keygen -- primes 1024 50
//!     cargo run --release -p tare-primes --example keygen -- keys 2048 50
//!
//! `primes` finds primes one after another on one thread; `keys` makes RSA
//! keys as tare does, the two primes on two threads. Each prime draws from
//! a random stream seeded by its number, so that runs (and versions) test
//! the same candidates and callgrind's instruction counts compare.

use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng};

fn prime(bits: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    tare_primes::random_prime(bits, |b| rng.fill_bytes(b))
}

fn key(bits: usize, seed: u64) -> rsa::RsaPrivateKey {
    let second = std::thread::spawn(move || prime(bits / 2, 2 * seed + 1));
    let first = prime(bits / 2, 2 * seed);
    let second = second.join().expect("prime thread");
    let primes = [first, second].map(|p| rsa::BigUint::from_bytes_be(&p));
    rsa::RsaPrivateKey::from_primes(primes.to_vec(), rsa::BigUint::from(65_537u32)).expect("a key")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: keygen primes|keys BITS COUNT";
    let (mode, bits, count) = match &args[..] {
        [mode, bits, count] => (
            mode.as_str(),
            bits.parse().expect(usage),
            count.parse::<u64>().expect(usage),
        ),
        _ => panic!("{usage}"),
    };
    let mut times: Vec<Duration> = (0..count)
        .map(|seed| {
            let started = Instant::now();
            match mode {
                "primes" => drop(prime(bits, seed)),
                "keys" => drop(key(bits, seed)),
                _ => panic!("{usage}"),
            }
            started.elapsed()
        })
        .collect();
    times.sort();
    let total: Duration = times.iter().sum();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{count} {mode} of {bits} bits: median {:.2} ms, mean {:.2} ms, min {:.2} ms, max {:.2} ms",
        ms(times[times.len() / 2]),
        ms(total) / count as f64,
        ms(times[0]),
        ms(times[times.len() - 1]),
    );
}
