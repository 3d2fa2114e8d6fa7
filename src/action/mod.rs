//! What tare's commands do, one module per command; `cli` only parses flags
//! and prints what these return.

pub mod get_values;
pub mod history;
pub mod output;
pub mod resources;
pub mod status;

pub use output::OutputFormat;
