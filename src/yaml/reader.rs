//! When libyaml's reader notices a character YAML does not allow.
//!
//! libyaml decodes its input 512 bytes at a time, as the scanner asks for
//! characters, and refuses a control character only once it decodes the
//! chunk holding it. yaml.v2 reads just the first document, so a control
//! character far enough past it is never seen. [`Reader::cache`] is called
//! wherever libyaml makes sure characters are available, and fails exactly
//! when libyaml's reader would.

use super::scan::{Mark, Stage, YamlError};

/// libyaml's raw input buffer size.
const CHUNK: usize = 512;

pub(super) struct Reader {
    /// Asking for a character at or past this byte offset makes the reader
    /// decode the chunk with the first disallowed character. `usize::MAX`
    /// when the text has none (then `cache` costs one comparison).
    limit: usize,
}

impl Reader {
    /// `skipped` is how many bytes of the input came before `text` (a byte
    /// order mark): chunks are counted from the input's start.
    pub fn new(text: &str, skipped: usize) -> Reader {
        let Some(bad) = first_disallowed(text.as_bytes()) else {
            return Reader { limit: usize::MAX };
        };
        // Each load decodes every whole character of the next 512 raw
        // bytes; a character cut at the end waits for the next load.
        let mut decoded = 0;
        let mut raw_end = CHUNK - skipped;
        loop {
            let next = floor_char_boundary(text, raw_end.min(text.len()));
            if next > bad || next == decoded {
                return Reader { limit: decoded };
            }
            decoded = next;
            raw_end = decoded + CHUNK;
        }
    }

    /// Whether the text has no character the reader refuses: then no
    /// request can fail and the scanner may move in long strides.
    #[inline]
    pub fn is_clean(&self) -> bool {
        self.limit == usize::MAX
    }

    /// Makes `n` characters from byte `pos` available.
    #[inline]
    pub fn cache(&self, text: &str, pos: usize, n: usize) -> Result<(), YamlError> {
        if self.limit == usize::MAX || last_char_start(text, pos, n) < self.limit {
            return Ok(());
        }
        Err(YamlError {
            stage: Stage::Reader,
            problem: "control characters are not allowed".into(),
            problem_mark: Mark::default(),
            context_mark: Mark::default(),
        })
    }
}

/// Where the `n`th character from `pos` starts (the text's length for a
/// character past its end).
fn last_char_start(text: &str, pos: usize, n: usize) -> usize {
    let mut at = pos;
    for _ in 1..n {
        match text[at.min(text.len())..].chars().next() {
            Some(c) => at += c.len_utf8(),
            None => return text.len(),
        }
    }
    at.min(text.len())
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The byte offset of the first character libyaml refuses: C0 controls but
/// tab, LF and CR; DEL; C1 controls but NEL; U+FFFE and U+FFFF.
fn first_disallowed(bytes: &[u8]) -> Option<usize> {
    // Nearly every text has none: blocks without a suspect byte are skipped
    // with a test the compiler turns into vector instructions.
    const BLOCK: usize = 32;
    let suspect = |b: u8| {
        (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0x7f) | (b == 0xc2) | (b == 0xef)
    };
    let disallowed_at = |i: usize| match bytes[i] {
        b'\t' | b'\n' | b'\r' => false,
        0x00..=0x1f | 0x7f => true,
        0xc2 => matches!(bytes.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9f)),
        0xef => bytes.get(i + 1) == Some(&0xbf) && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)),
        _ => false,
    };
    bytes
        .chunks(BLOCK)
        .enumerate()
        .filter(|(_, block)| block.iter().fold(false, |any, &b| any | suspect(b)))
        .find_map(|(n, block)| (n * BLOCK..n * BLOCK + block.len()).find(|&i| disallowed_at(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_text_never_fails() {
        let reader = Reader::new("a: 1\n", 0);
        assert!(reader.cache("a: 1\n", 5, 4).is_ok());
    }

    #[test]
    fn a_control_character_fails_once_its_chunk_is_read() {
        let text = format!("{}\u{1}", "x".repeat(600));
        let reader = Reader::new(&text, 0);
        // The first chunk (bytes 0..512) is clean; asking for byte 512 reads
        // the chunk holding the control character.
        assert!(reader.cache(&text, 0, 4).is_ok());
        assert!(reader.cache(&text, 508, 4).is_ok());
        assert!(reader.cache(&text, 509, 4).is_err());
    }

    #[test]
    fn disallowed_characters() {
        for (text, bad) in [
            ("ok\u{7f}", Some(2)),
            ("a\u{85}b", None),
            ("a\u{86}", Some(1)),
            ("\u{fffe}", Some(0)),
            ("\u{fffd}\t\r\n", None),
        ] {
            assert_eq!(first_disallowed(text.as_bytes()), bad, "{text:?}");
        }
    }
}
