//! Template errors, displayed exactly as Go's `text/template` words them (Helm
//! rewrites some of these strings, so the structure is kept too).

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum TemplateError {
    /// `template: NAME:LINE: MESSAGE`.
    Parse {
        name: String,
        line: usize,
        message: String,
    },
    /// `template: NAME:LINE:COL: executing "TEMPLATE" at <CONTEXT>: MESSAGE`.
    Exec {
        /// `file:line:col` of the failing node (column is Go's 0-based byte offset).
        location: String,
        /// The template being executed (a `define` name, or the file).
        template: String,
        /// The failing node as Go prints it.
        context: String,
        message: String,
    },
    /// Errors with no node to point at, e.g. `template: no template "x" associated
    /// with template "y"`; the text is complete.
    Other(String),
}

impl TemplateError {
    /// The message without Go's location prefix.
    pub fn message(&self) -> &str {
        match self {
            TemplateError::Parse { message, .. } | TemplateError::Exec { message, .. } => message,
            TemplateError::Other(m) => m,
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Parse {
                name,
                line,
                message,
            } => write!(f, "template: {name}:{line}: {message}"),
            TemplateError::Exec {
                location,
                template,
                context,
                message,
            } => write!(
                f,
                "template: {location}: executing {} at <{context}>: {message}",
                super::gofmt::quote(template)
            ),
            TemplateError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TemplateError {}
