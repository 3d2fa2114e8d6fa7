//! Interned names and string constants of parsed templates. Charts repeat the
//! same field names (`Values`, `Release`), function names and `include`
//! names thousands of times; one shared `Rc<str>` each saves an allocation
//! (and a free) per use.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

#[derive(Default)]
pub(super) struct Interner {
    strings: HashSet<Rc<str>, BuildHasherDefault<Fnv>>,
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

/// FNV-1a: the keys are short identifiers, for which SipHash's setup costs
/// more than the hashing, and they come from the chart, not from an attacker
/// who could make them collide at scale.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
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
