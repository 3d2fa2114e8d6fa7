//! A template's text, shared without copying: a chart's template is parsed
//! straight from the file's bytes, and every tree keeps a cheap handle on it
//! for its text nodes and error locations.

use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::Bytes;

/// UTF-8 text behind a reference-counted byte buffer.
#[derive(Clone)]
pub struct Source(Bytes);

impl Source {
    /// Takes `bytes` as they are when they are UTF-8.
    pub fn from_utf8(bytes: Bytes) -> Result<Source, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Source(bytes))
    }
}

impl Deref for Source {
    type Target = str;

    fn deref(&self) -> &str {
        // SAFETY: every constructor checks or receives valid UTF-8, and the
        // bytes behind a `Bytes` never change.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

impl From<String> for Source {
    fn from(text: String) -> Source {
        Source(Bytes::from(text.into_bytes()))
    }
}

impl From<&str> for Source {
    fn from(text: &str) -> Source {
        Source(Bytes::copy_from_slice(text.as_bytes()))
    }
}

/// Equal when the texts are (a parse of one stands for the other's).
impl PartialEq for Source {
    fn eq(&self, other: &Source) -> bool {
        **self == **other
    }
}

impl Eq for Source {}

/// Hashes the length and both ends only: whole template files are long,
/// hashing them all cost more than the parses it saved, and texts that
/// differ only in the middle merely collide (one comparison tells them
/// apart). Equal texts still hash equal.
impl Hash for Source {
    fn hash<H: Hasher>(&self, state: &mut H) {
        const END: usize = 64;
        let bytes = self.0.as_ref();
        state.write_usize(bytes.len());
        state.write(&bytes[..bytes.len().min(END)]);
        state.write(&bytes[bytes.len().saturating_sub(END)..]);
    }
}
