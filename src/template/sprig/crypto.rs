use crate::template::Funcs;

pub(super) fn register(_f: &mut Funcs) {}
