//! Go `text/template`, exact to the byte, with Helm's and Sprig's functions.
//!
//! ```
//! use tare::template::{Funcs, TemplateSet, Value};
//! let mut set = TemplateSet::new("gotpl", Funcs::new());
//! set.parse("t", "{{ range . }}[{{ . }}]{{ end }}").unwrap();
//! let data = Value::list(vec![Value::Int(1), Value::Float(1e6)]);
//! assert_eq!(set.execute("t", data).unwrap(), "[1][1e+06]");
//! ```
//!
//! Execution recurses on the native stack, about 2.5 KiB per nested template in
//! release builds (more in debug). Go allows [`MAX_EXEC_DEPTH`] levels, which
//! takes about 256 MiB: run renders of untrusted charts on a thread with a stack
//! that large (only touched pages cost memory), or lower the limit with
//! [`TemplateSet::set_max_depth`].

mod ast;
mod builtins;
mod error;
mod exec;
mod funcs;
mod gobytes;
mod gofmt;
mod intern;
mod lex;
mod marshal;
mod parse;
mod set;
mod source;
mod sprig;
mod unicode_tables;
mod value;

pub use error::TemplateError;
pub use funcs::{Call, Func, FuncResult, Funcs, Ty};
pub use gobytes::{has_raw_bytes, is_raw_byte, replace_raw_bytes, string_bytes, string_from_bytes};
pub(crate) use gofmt::quote as go_quote;
pub use marshal::to_json_node;
pub use set::{MAX_EXEC_DEPTH, MissingKey, TemplateSet};
pub use source::Source;
pub use sprig::register as register_sprig;
pub use value::{Map, MapKind, Object, TypedList, Value};

#[cfg(test)]
mod tests;
