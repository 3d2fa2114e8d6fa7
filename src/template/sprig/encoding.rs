//! Encodings and checksums: `b64enc`, `b64dec`, `b32enc`, `b32dec`,
//! `sha1sum`, `sha256sum`, `sha512sum`, `adler32sum`.

use sha1::Digest;

use super::{Ty, def, s};
use crate::template::Funcs;
use crate::template::{string_bytes, string_from_bytes};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub(super) fn register(f: &mut Funcs) {
    def(f, "b64enc", &[Ty::Str], |a| {
        Ok(b64_encode(&string_bytes(s(&a[0]))).into())
    });
    def(f, "b64dec", &[Ty::Str], |a| {
        Ok(match b64_decode(&string_bytes(s(&a[0]))) {
            Ok(b) => string_from_bytes(&b),
            Err(at) => format!("illegal base64 data at input byte {at}"),
        }
        .into())
    });
    def(f, "b32enc", &[Ty::Str], |a| {
        Ok(b32_encode(&string_bytes(s(&a[0]))).into())
    });
    def(f, "b32dec", &[Ty::Str], |a| {
        Ok(match b32_decode(&string_bytes(s(&a[0]))) {
            Ok(b) => string_from_bytes(&b),
            Err(at) => format!("illegal base32 data at input byte {at}"),
        }
        .into())
    });
    def(f, "sha1sum", &[Ty::Str], |a| {
        Ok(hex(&sha1::Sha1::digest(string_bytes(s(&a[0])))).into())
    });
    def(f, "sha256sum", &[Ty::Str], |a| {
        Ok(hex(&sha2::Sha256::digest(string_bytes(s(&a[0])))).into())
    });
    def(f, "sha512sum", &[Ty::Str], |a| {
        Ok(hex(&sha2::Sha512::digest(string_bytes(s(&a[0])))).into())
    });
    def(f, "adler32sum", &[Ty::Str], |a| {
        Ok(adler32(&string_bytes(s(&a[0]))).to_string().into())
    });
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// `base64.StdEncoding.EncodeToString`.
pub(super) fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, b)| acc | (u32::from(*b) << (16 - 8 * k)));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_value(c: u8) -> Option<u32> {
    B64.iter().position(|x| *x == c).map(|p| p as u32)
}

fn is_newline(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

/// `base64.StdEncoding.DecodeString`; the error is the offset Go reports.
pub(super) fn b64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    loop {
        let mut buf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut done = false;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if is_newline(c) {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                while si < src.len() && is_newline(src[si]) {
                    si += 1;
                }
                if si == src.len() {
                    return Err(src.len());
                }
                if src[si] != b'=' {
                    return Err(si - 1);
                }
                si += 1;
            }
            while si < src.len() && is_newline(src[si]) {
                si += 1;
            }
            if si < src.len() {
                return Err(si);
            }
            dlen = j;
            done = true;
            break;
        }
        let n = (buf[0] << 18) | (buf[1] << 12) | (buf[2] << 6) | buf[3];
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if done {
            return Ok(out);
        }
    }
}

/// `base32.StdEncoding.EncodeToString`.
fn b32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = block.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for k in 0..8 {
            if k < chars {
                out.push(char::from(B32[((n >> (35 - 5 * k)) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base32.StdEncoding.DecodeString` (newlines are dropped first).
fn b32_decode(input: &[u8]) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = input.iter().copied().filter(|c| !is_newline(*c)).collect();
    let olen = src.len();
    let mut rest: &[u8] = &src;
    let mut out = Vec::new();
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut buf = [0u64; 8];
        let mut dlen = 8;
        let mut j = 0;
        while j < 8 {
            let Some((&c, tail)) = rest.split_first() else {
                return Err(olen - j);
            };
            rest = tail;
            if c == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Err(olen);
                }
                for k in 0..7 - j {
                    if rest.len() > k && rest[k] != b'=' {
                        return Err(olen - rest.len() + k - 1);
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return Err(olen - rest.len() - 1);
                }
                break;
            }
            match B32.iter().position(|x| *x == c) {
                Some(v) => buf[j] = v as u64,
                None => return Err(olen - rest.len() - 1),
            }
            j += 1;
        }
        let n = buf.iter().fold(0u64, |acc, v| (acc << 5) | v);
        let bytes = [
            (n >> 32) as u8,
            (n >> 24) as u8,
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
        ];
        let count = match dlen {
            2 => 1,
            4 => 2,
            5 => 3,
            7 => 4,
            _ => 5,
        };
        out.extend_from_slice(&bytes[..count]);
    }
    Ok(out)
}
