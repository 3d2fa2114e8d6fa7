//! What the tests share: seeded random numbers, known primes and
//! composites, and conversions to num-bigint, their reference arithmetic.

use num_bigint::BigUint;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

pub(crate) fn rng() -> StdRng {
    StdRng::seed_from_u64(0x7a7e_9017)
}

/// Random bytes from [`rng`], for the searches.
pub(crate) fn seeded_fill() -> impl Fn(&mut [u8]) + Sync {
    let rng = std::sync::Mutex::new(rng());
    move |bytes| rng.lock().unwrap().fill_bytes(bytes)
}

pub(crate) fn crypto_primes_says_prime(n: &BigUint) -> bool {
    let bytes = n.to_bytes_be();
    let n = crypto_bigint::BoxedUint::from_be_slice(&bytes, 8 * bytes.len() as u32).expect("fits");
    crypto_primes::is_prime(&n)
}

pub(crate) fn big(limbs: &[u64]) -> BigUint {
    let bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    BigUint::from_bytes_le(&bytes)
}

/// `x` in `len` limbs.
pub(crate) fn limbs(x: &BigUint, len: usize) -> Vec<u64> {
    let mut digits = x.to_u64_digits();
    assert!(digits.len() <= len, "{x} does not fit {len} limbs");
    digits.resize(len, 0);
    digits
}

/// A random odd number of `len` limbs, with its top bit set or clear.
pub(crate) fn random_odd(rng: &mut StdRng, len: usize, top_bit: bool) -> Vec<u64> {
    let mut n: Vec<u64> = (0..len).map(|_| rng.r#gen()).collect();
    if top_bit {
        n[len - 1] |= 1 << 63;
    } else {
        n[len - 1] >>= 1;
    }
    n[0] |= 1;
    n
}

/// A random number below n (not quite uniformly).
pub(crate) fn random_below(rng: &mut StdRng, n: &[u64]) -> Vec<u64> {
    let x: Vec<u64> = (0..n.len()).map(|_| rng.r#gen()).collect();
    limbs(&(big(&x) % big(n)), n.len())
}

pub(crate) fn from_hex(hex: &str) -> BigUint {
    let digits: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
    BigUint::parse_bytes(digits.as_bytes(), 16).expect("hex")
}

/// 2^p - 1.
pub(crate) fn mersenne(p: usize) -> BigUint {
    (BigUint::from(1u32) << p) - 1u32
}

/// The 1024-bit prime of RFC 2409's second Oakley group: 16 limbs.
pub(crate) fn modp_1024() -> BigUint {
    from_hex(
        "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74
         020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437
         4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
         EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381 FFFFFFFF FFFFFFFF",
    )
}

/// The 2048-bit prime of RFC 3526's group 14: 32 limbs.
pub(crate) fn modp_2048() -> BigUint {
    from_hex(
        "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74
         020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437
         4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
         EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05
         98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB
         9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
         E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718
         3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AACAA68 FFFFFFFF FFFFFFFF",
    )
}

/// Large known primes: Mersenne primes (2^61 - 1 to 2^2203 - 1, one to 35
/// limbs) and the MODP primes.
pub(crate) fn large_primes() -> Vec<BigUint> {
    let mut primes: Vec<BigUint> = [61, 89, 107, 127, 521, 607, 1279, 2203]
        .into_iter()
        .map(mersenne)
        .collect();
    primes.extend([modp_1024(), modp_2048()]);
    primes
}

/// Composite Mersenne numbers of prime exponent: strong pseudoprimes to
/// base 2 (2^p ≡ 1 and p divides (2^p - 2)/2), which only the Lucas test or
/// another base rules out. 2^1021 - 1 has 16 limbs, 2^2039 - 1 has 32.
pub(crate) fn large_base_two_pseudoprimes() -> Vec<BigUint> {
    [67, 101, 1021, 1031, 2039]
        .into_iter()
        .map(mersenne)
        .collect()
}

/// Products of two primes: 2^61 - 1 times 2^89 - 1, and the MODP primes
/// times Mersenne primes (the 1024-bit prime times 2^1279 - 1 has 36 limbs).
pub(crate) fn large_products() -> Vec<BigUint> {
    vec![
        mersenne(61) * mersenne(89),
        modp_1024() * mersenne(61),
        modp_1024() * mersenne(1279),
        modp_2048() * mersenne(127),
    ]
}

/// Strong pseudoprimes to base 2 (OEIS A001262), Carmichael numbers (A002997)
/// and Fermat pseudoprimes to base 2 (A001567).
pub(crate) const STRONG_BASE_TWO: &[u64] = &[
    2047,
    3277,
    4033,
    4681,
    8321,
    15841,
    29341,
    42799,
    49141,
    52633,
    65281,
    74665,
    80581,
    85489,
    88357,
    90751,
    3_215_031_751,
];
pub(crate) const CARMICHAEL: &[u64] = &[561, 1105, 1729, 2465, 2821, 6601, 8911, 10585, 15841];
pub(crate) const FERMAT_BASE_TWO: &[u64] = &[341, 561, 645, 1105, 1387, 1729, 1905, 2047, 2465];

/// Asserts that `$check::<L>(n)` (a bool) is the same for n as a vector and,
/// at 16 or 32 limbs, as an array, and yields it.
macro_rules! on_each_storage {
    ($check:ident, $n:expr) => {{
        let n: &[u64] = $n;
        let vector = $check::<Vec<u64>>(n.to_vec());
        match n.len() {
            16 => assert_eq!($check::<[u64; 16]>(n.try_into().unwrap()), vector),
            32 => assert_eq!($check::<[u64; 32]>(n.try_into().unwrap()), vector),
            _ => {}
        }
        vector
    }};
}
pub(crate) use on_each_storage;
