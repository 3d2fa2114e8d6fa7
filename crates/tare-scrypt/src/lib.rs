//! scrypt (RFC 7914), the key derivation behind tare's `derivePassword`.
//! Written for tare rather than taken from the scrypt crate for speed: each of the `p`
//! independent ROMix lanes runs on its own thread, and salsa20/8 keeps its
//! state in diagonal order so that every quarter-round step works on four
//! words at once, which the compiler turns into SIMD instructions. Its RFC 7914
//! test vectors are checked by tare's Sprig tests.

use sha2::Sha256;

/// A 64-byte salsa20 block as sixteen words in diagonal order (`DIAGONAL`).
type Block = [u32; 16];

/// Four words of a block that salsa20 processes side by side.
type Row = [u32; 4];

/// The standard word index stored at each position of a `Block`: the rows
/// `[0 5 10 15]`, `[4 9 14 3]`, `[8 13 2 7]`, `[12 1 6 11]` hold one column
/// quarter-round's words per lane, and turned lanes give the row round's.
const DIAGONAL: [usize; 16] = [0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11];

/// `out.len()` bytes of key from `password` and `salt`, with cost
/// N = 2^`log_n`, block size `r` and parallelism `p`.
pub fn scrypt(password: &[u8], salt: &[u8], log_n: u32, r: usize, p: usize, out: &mut [u8]) {
    let lane_len = 128 * r;
    let mut lanes = vec![0u8; p * lane_len];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, 1, &mut lanes);
    std::thread::scope(|scope| {
        for lane in lanes.chunks_mut(lane_len) {
            scope.spawn(move || ro_mix_bytes(lane, 1 << log_n));
        }
    });
    pbkdf2::pbkdf2_hmac::<Sha256>(password, &lanes, 1, out);
}

/// ROMix on one lane of little-endian bytes, in place.
fn ro_mix_bytes(lane: &mut [u8], n: usize) {
    let mut blocks: Vec<Block> = lane.chunks_exact(64).map(block_from_bytes).collect();
    ro_mix(&mut blocks, n);
    for (bytes, block) in lane.chunks_exact_mut(64).zip(&blocks) {
        block_to_bytes(block, bytes);
    }
}

fn block_from_bytes(bytes: &[u8]) -> Block {
    let word = |i: usize| {
        let at = 4 * DIAGONAL[i];
        u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
    };
    std::array::from_fn(word)
}

fn block_to_bytes(block: &Block, bytes: &mut [u8]) {
    for (word, index) in block.iter().zip(DIAGONAL) {
        bytes[4 * index..4 * index + 4].copy_from_slice(&word.to_le_bytes());
    }
}

/// ROMix: fill V with N successive BlockMix states, then mix N times with
/// states picked by the current one.
fn ro_mix(x: &mut [Block], n: usize) {
    let len = x.len();
    let mut v = vec![[0u32; 16]; n * len];
    for state in v.chunks_exact_mut(len) {
        state.copy_from_slice(x);
        block_mix(state, x);
    }
    let mut mixed = vec![[0u32; 16]; len];
    for _ in 0..n {
        // Integerify: the first word of the last block (diagonal position 0).
        let j = x[len - 1][0] as usize & (n - 1);
        for ((m, a), b) in mixed
            .iter_mut()
            .zip(x.iter())
            .zip(&v[j * len..(j + 1) * len])
        {
            *m = std::array::from_fn(|k| a[k] ^ b[k]);
        }
        block_mix(&mixed, x);
    }
}

/// BlockMix: chain salsa20/8 through the blocks, writing the even-numbered
/// results to the first half of `out` and the odd-numbered to the second.
fn block_mix(input: &[Block], out: &mut [Block]) {
    let half = input.len() / 2;
    let mut x = input[input.len() - 1];
    for (i, block) in input.iter().enumerate() {
        x = std::array::from_fn(|k| x[k] ^ block[k]);
        salsa20_8(&mut x);
        out[i / 2 + (i % 2) * half] = x;
    }
}

fn salsa20_8(block: &mut Block) {
    let row = |r: usize| -> Row { std::array::from_fn(|k| block[4 * r + k]) };
    let (mut a, mut b, mut c, mut d) = (row(0), row(1), row(2), row(3));
    for _ in 0..4 {
        // Column round: the quarter-rounds' words are the rows' lanes.
        quarter_round(&mut a, &mut b, &mut c, &mut d);
        // Row round: the same with the other rows' lanes turned into place.
        let (mut e, mut f, mut g) = (turn(d, 1), turn(c, 2), turn(b, 3));
        quarter_round(&mut a, &mut e, &mut f, &mut g);
        (b, c, d) = (turn(g, 1), turn(f, 2), turn(e, 3));
    }
    for (r, row) in [a, b, c, d].into_iter().enumerate() {
        for (k, word) in row.into_iter().enumerate() {
            block[4 * r + k] = block[4 * r + k].wrapping_add(word);
        }
    }
}

/// Four salsa20 quarter-rounds side by side, one per lane.
#[inline(always)]
fn quarter_round(a: &mut Row, b: &mut Row, c: &mut Row, d: &mut Row) {
    xor_rotated_sum(b, a, d, 7);
    xor_rotated_sum(c, b, a, 9);
    xor_rotated_sum(d, c, b, 13);
    xor_rotated_sum(a, d, c, 18);
}

#[inline(always)]
fn xor_rotated_sum(target: &mut Row, x: &Row, y: &Row, bits: u32) {
    for k in 0..4 {
        target[k] ^= x[k].wrapping_add(y[k]).rotate_left(bits);
    }
}

/// The row's lanes moved `by` places towards lane 0.
#[inline(always)]
fn turn(row: Row, by: usize) -> Row {
    std::array::from_fn(|k| row[(k + by) % 4])
}
