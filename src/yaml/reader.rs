//! libyaml's reader: where it notices a character YAML does not allow,
//! and what its buffer starts with.
//!
//! libyaml decodes its input 512 bytes at a time, as the scanner asks for
//! characters (`cache` in the scanner, at the very places libyaml asks), and
//! refuses a control character only once it decodes the chunk holding it:
//! yaml.v2 reads just the first document, so a control character far enough
//! past it is never seen. The scanner also skips one character at the start
//! of a line whenever the reader's buffer happens to begin with a byte order
//! mark (`is_bom` looks at the buffer, not at the position), so the buffer's
//! start must be known too.
//!
//! Nearly every text has neither a control character nor a U+FEFF: then
//! nothing here can matter and [`Reader::cache`] costs one comparison.

use super::scan::{Mark, Stage, YamlError};

/// libyaml's raw input buffer size.
const CHUNK: usize = 512;

const BOM: &[u8] = "\u{feff}".as_bytes();

pub(super) struct Reader {
    buffer: Option<Buffer>,
}

/// The state of libyaml's buffers, in byte offsets of the text (which
/// starts `skipped` bytes into the input, after a byte order mark).
struct Buffer {
    skipped: usize,
    /// The first character the reader refuses, if any.
    disallowed: Option<usize>,
    /// Input read into the raw buffer so far (an offset in the text; the
    /// first read also took the `skipped` bytes).
    raw_end: usize,
    /// Decoded so far, and how many characters that is.
    decoded: usize,
    decoded_chars: usize,
    /// The input is exhausted (a read returned EOF).
    eof: bool,
    /// NUL characters appended at the end of input, each counted as unread.
    nuls: usize,
    /// Whether the first request (which also detects the encoding) is done.
    started: bool,
    /// Where the buffer starts: the position of the last request that
    /// refilled it.
    start: usize,
}

impl Reader {
    /// `skipped` is how many bytes of the input came before `text` (a byte
    /// order mark): chunks are counted from the input's start.
    pub fn new(text: &str, skipped: usize) -> Reader {
        let disallowed = first_disallowed(text.as_bytes());
        if disallowed.is_none() && memchr::memmem::find(text.as_bytes(), BOM).is_none() {
            return Reader { buffer: None };
        }
        Reader {
            buffer: Some(Buffer {
                skipped,
                disallowed,
                raw_end: 0,
                decoded: 0,
                decoded_chars: 0,
                eof: false,
                nuls: 0,
                started: false,
                start: 0,
            }),
        }
    }

    /// Whether nothing the reader does can show: then no request can fail
    /// and the scanner may move in long strides.
    #[inline]
    pub fn is_clean(&self) -> bool {
        self.buffer.is_none()
    }

    /// Makes `n` characters available at byte `pos`, the scanner having
    /// consumed `consumed` characters (its mark's index).
    #[inline]
    pub fn cache(
        &mut self,
        text: &str,
        pos: usize,
        consumed: usize,
        n: usize,
    ) -> Result<(), YamlError> {
        match &mut self.buffer {
            None => Ok(()),
            Some(buffer) => buffer.update(text, pos, consumed, n),
        }
    }

    /// libyaml's `is_bom`: whether its buffer begins with a byte order mark.
    pub fn buffer_starts_with_bom(&self, text: &str) -> bool {
        self.buffer.as_ref().is_some_and(|b| {
            b.start + BOM.len() <= b.decoded
                && &text.as_bytes()[b.start..b.start + BOM.len()] == BOM
        })
    }
}

impl Buffer {
    /// `yaml_parser_update_buffer`.
    fn update(
        &mut self,
        text: &str,
        pos: usize,
        consumed: usize,
        n: usize,
    ) -> Result<(), YamlError> {
        let mut unread = (self.decoded_chars + self.nuls).saturating_sub(consumed);
        if unread >= n {
            return Ok(());
        }
        if !self.started {
            // Detecting the encoding fills the raw buffer first.
            self.started = true;
            while !self.eof && self.raw_end - self.decoded < 3 {
                self.read_raw(text);
            }
        }
        // The unread characters move to the buffer's start.
        self.start = pos;
        let mut first = true;
        while unread < n {
            if !first || self.decoded == self.raw_end {
                self.read_raw(text);
            }
            first = false;
            let end = floor_char_boundary(text, self.raw_end);
            if self.disallowed.is_some_and(|bad| bad < end) {
                return Err(YamlError {
                    stage: Stage::Reader,
                    problem: "control characters are not allowed".into(),
                    problem_mark: Mark::default(),
                    context_mark: Mark::default(),
                });
            }
            let chars = text[self.decoded..end].chars().count();
            self.decoded = end;
            self.decoded_chars += chars;
            unread += chars;
            if self.eof {
                self.nuls += 1;
                break;
            }
        }
        Ok(())
    }

    /// `yaml_parser_update_raw_buffer`: keeps the bytes of a character cut
    /// at the end and reads up to 512 bytes in all, or hits the end.
    fn read_raw(&mut self, text: &str) {
        if self.eof {
            return;
        }
        if self.raw_end == text.len() {
            self.eof = true;
            return;
        }
        let room = if self.raw_end == 0 {
            CHUNK - self.skipped
        } else {
            CHUNK - (self.raw_end - self.decoded)
        };
        self.raw_end = (self.raw_end + room).min(text.len());
    }
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

    /// Asks for `n` characters at every position, as a scanner moving
    /// through the text one character at a time; returns where it failed.
    fn first_failure(text: &str, n: usize) -> Option<usize> {
        let mut reader = Reader::new(text, 0);
        text.char_indices()
            .enumerate()
            .find(|&(index, (pos, _))| reader.cache(text, pos, index, n).is_err())
            .map(|(_, (pos, _))| pos)
    }

    #[test]
    fn a_clean_text_never_fails() {
        assert!(Reader::new("a: 1\n", 0).is_clean());
        assert_eq!(first_failure("a: 1\n", 4), None);
    }

    #[test]
    fn a_control_character_fails_once_its_chunk_is_read() {
        let text = format!("{}\u{1}", "x".repeat(600));
        // The first chunk (bytes 0..512) is clean; needing byte 512 reads
        // the chunk holding the control character.
        assert_eq!(first_failure(&text, 4), Some(509));
    }

    #[test]
    fn the_buffer_starts_where_the_last_refill_was_asked_for() {
        let text = "\u{feff}ab";
        let mut reader = Reader::new(text, 3);
        reader.cache(text, 0, 0, 1).expect("clean");
        assert!(reader.buffer_starts_with_bom(text));
        // Near the end, asking for 4 characters refills from here.
        reader.cache(text, 3, 1, 4).expect("clean");
        assert!(!reader.buffer_starts_with_bom(text));
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
