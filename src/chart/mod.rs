//! Helm charts as Helm v4 loads and renders them: loading (directory or `.tgz`),
//! values (files, `--set` flags, coalescing, dependencies, schema), rendering with
//! Helm's functions and objects, and the output `helm template` prints.
//!
//! ```no_run
//! use tare::chart::{self, RenderOptions, ValueOptions};
//! let chart = chart::load(std::path::Path::new("./mychart")).unwrap();
//! let values = ValueOptions::default().user_values().unwrap();
//! let rendered = chart::render(chart, &values, &RenderOptions::default()).unwrap();
//! print!("{}", rendered.helm_template_output(&Default::default()).unwrap());
//! ```

mod files;
mod functions;
mod glob;
mod head;
mod ignore;
mod load;
mod model;
mod output;
mod render;
mod schema;
mod semver;
mod strvals;
mod values;

use std::borrow::Cow;
use std::fmt;

pub use load::{check_dependencies, load, load_archive, load_dir};
pub use model::{Chart, Contents, Dependency, File, ImportValue, Maintainer, Metadata};
pub use output::{Hook, Manifest, PrintOptions, Rendered};
pub use render::{RenderOptions, render};
pub use values::ValueOptions;

/// A chart error, worded as helm v4 words it (without helm's `Error: ` prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }

    /// The message on one line, for the CLI: helm v4 spreads some errors
    /// (template positions, schema violations) over several indented lines.
    pub fn one_line(&self) -> String {
        let mut line = String::new();
        for part in self.0.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !line.is_empty() {
                line.push_str(if line.ends_with(':') { " " } else { ": " });
            }
            line.push_str(part);
        }
        line
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// A file's bytes as text, invalid UTF-8 replaced by U+FFFD. Validating first
/// is much faster than `from_utf8_lossy` on the (almost always) valid text.
pub(crate) fn text_of(data: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(data) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(data),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (and `%v`): the shortest decimal
/// that round-trips, in exponent form when the exponent is < -4 or >= 6.
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}
