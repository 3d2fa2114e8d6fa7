//! Interned names and string constants of parsed templates. Charts repeat the
//! same field names (`Values`, `Release`), function names and `include`
//! names thousands of times; one shared `Rc<str>` each saves an allocation
//! (and a free) per use.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

#[derive(Default)]
pub(super) struct Interner {
    strings: HashSet<Rc<str>, BuildHasherDefault<WordHasher>>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Rc<str> {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared: Rc<str> = Rc::from(s);
        self.strings.insert(shared.clone());
        shared
    }
}

/// A map keyed by template names, function names or template texts, hashed
/// with [`WordHasher`].
pub(super) type WordMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// A word-at-a-time multiplicative hash (rustc's FxHash): the keys are short
/// names, for which SipHash costs more than the lookup saves, and they come
/// from the chart, not from an attacker who could make them collide at scale.
#[derive(Default)]
pub(super) struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn finish(&self) -> u64 {
        // The multiply mixes into the high bits; hash tables index by the
        // low ones, so bring mixed bits down.
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_allocation() {
        let mut names = Interner::default();
        let a = names.intern("Values");
        let b = names.intern(&String::from("Values"));
        assert!(Rc::ptr_eq(&a, &b));
        assert!(!Rc::ptr_eq(&a, &names.intern("Release")));
    }
}
