//! `getHostByName`: Helm v4 answers `""` unless `--enable-dns` is given, and
//! tare never resolves names while rendering.

use super::{Ty, def};
use crate::template::Funcs;

pub(super) fn register(f: &mut Funcs) {
    def(f, "getHostByName", &[Ty::Str], |_| Ok("".into()));
}
