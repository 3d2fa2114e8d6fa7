//! What tare's commands do, one module per command; `cli` only parses flags
//! and prints what these return.

pub mod apply_release;
pub mod chart_record;
pub mod deploy;
pub mod get_values;
pub mod history;
pub mod hooks;
mod interrupt;
pub mod output;
pub mod resources;
pub mod rollback;
pub mod status;
pub mod uninstall;

pub use output::OutputFormat;
