//! Go strings are byte strings; tare's are UTF-8. A Go string may hold bytes
//! that are not UTF-8 (a binary file read with `.Files.Get`, `b64dec` of
//! binary data, `substr` cutting a character in two), and byte-oriented
//! functions (`b64enc`, `sha256sum`, `len`, `substr`, …) must see those exact
//! bytes. So each byte that is not part of valid UTF-8 is kept as one char
//! of Unicode's plane-16 private use area, U+10FF00 + byte (only 0x80..=0xFF
//! can be invalid, so U+10FF80..=U+10FFFF), and turned back into that byte
//! wherever Go would look at bytes. Text from the outside world never holds
//! these chars in practice (they are unassigned private-use code points).
//!
//! Where Go itself replaces invalid bytes (JSON encoding, `range` over a
//! string) they become U+FFFD, and a manifest holding them fails to parse as
//! go-yaml fails (see `crate::yaml::check_utf8`).

use std::borrow::Cow;

const BASE: u32 = 0x10FF00;

/// Go's `string(bytes)`: valid UTF-8 as is, every other byte escaped.
pub fn string_from_bytes(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                out.extend(rest[..bad].iter().map(|&b| escape(b)));
                bytes = &rest[bad..];
            }
        }
    }
}

fn escape(byte: u8) -> char {
    char::from_u32(BASE + u32::from(byte)).unwrap_or('\u{fffd}')
}

fn unescape(c: char) -> Option<u8> {
    is_raw_byte(c).then(|| (u32::from(c) - BASE) as u8)
}

/// Whether `c` stands for a raw byte.
pub fn is_raw_byte(c: char) -> bool {
    u32::from(c) >= BASE + 0x80
}

/// Whether `text` holds escaped raw bytes (their UTF-8 starts F4 8F BE/BF).
pub fn has_raw_bytes(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(0xF4, bytes).any(|at| {
        bytes.get(at + 1) == Some(&0x8F) && matches!(bytes.get(at + 2), Some(0xBE | 0xBF))
    })
}

/// Go's `[]byte(s)`: the bytes the string stands for.
pub fn string_bytes(text: &str) -> Cow<'_, [u8]> {
    if !has_raw_bytes(text) {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match unescape(c) {
            Some(byte) => out.push(byte),
            None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// The text as Go's encoders see it: each raw byte becomes U+FFFD.
pub fn replace_raw_bytes(text: &str) -> Cow<'_, str> {
    if !has_raw_bytes(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if unescape(c).is_some() { '\u{fffd}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_survive_a_round_trip() {
        let raw = b"\x00\x01\x02\xff\xfe\x80\x81\n\r\xc3(AB";
        let text = string_from_bytes(raw);
        assert!(has_raw_bytes(&text));
        assert_eq!(&*string_bytes(&text), raw);
        assert_eq!(
            replace_raw_bytes(&text),
            "\x00\x01\x02\u{fffd}\u{fffd}\u{fffd}\u{fffd}\n\r\u{fffd}(AB"
        );
    }

    #[test]
    fn valid_text_is_untouched() {
        assert_eq!(string_from_bytes("héllo 日本".as_bytes()), "héllo 日本");
        assert!(!has_raw_bytes("héllo 日本"));
        assert!(matches!(string_bytes("abc"), Cow::Borrowed(_)));
    }
}
