//! Random values: `uuidv4`, `randAlphaNum`, `randAlpha`, `randNumeric`,
//! `randAscii`, `randBytes`. Only their shape can match Go's.

use rand::Rng;

use super::{Ty, def, i};
use crate::template::Funcs;

/// More than any chart asks for; Go would exhaust memory before refusing.
const MAX_COUNT: i64 = 1 << 24;

pub(super) fn register(f: &mut Funcs) {
    def(f, "uuidv4", &[], |_| {
        let mut b: [u8; 16] = rand::random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = super::encoding::hex(&b);
        Ok(format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
        .into())
    });
    let sets: [(&str, &'static [u8]); 4] = [
        ("randAlphaNum", b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
        ("randAlpha", b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
        ("randNumeric", b"0123456789"),
        ("randAscii", b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"),
    ];
    for (name, set) in sets {
        def(f, name, &[Ty::Int], move |a| {
            let n = i(&a[0]);
            if !(0..=MAX_COUNT).contains(&n) {
                return Ok("".into());
            }
            let mut rng = rand::thread_rng();
            let text: String = (0..n)
                .map(|_| char::from(set[rng.gen_range(0..set.len())]))
                .collect();
            Ok(text.into())
        });
    }
    def(f, "randBytes", &[Ty::Int], |a| {
        let n = i(&a[0]);
        if !(0..=MAX_COUNT).contains(&n) {
            return Err("runtime error: makeslice: len out of range".into());
        }
        let mut buf = vec![0u8; n as usize];
        rand::thread_rng().fill(&mut buf[..]);
        Ok(super::encoding::b64_encode(&buf).into())
    });
}
