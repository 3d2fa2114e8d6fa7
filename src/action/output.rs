//! How helm's read-only commands print: `-o table|json|yaml`, Go's JSON and
//! YAML encoders (`output.EncodeJSON`, `output.EncodeYAML`) and the
//! `gosuri/uitable` tables of `helm history`.

use std::fmt;

use anyhow::{Result, anyhow};
use serde::Serialize;

use crate::release::gojson;
use crate::yaml::{node_from_json, to_yaml};

/// helm's `-o, --output` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputFormat::Table => "table",
            OutputFormat::Json => "json",
            OutputFormat::Yaml => "yaml",
        })
    }
}

/// `output.EncodeJSON`: Go's `json.Encoder`, one line and a newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    gojson::to_line(value)
}

/// `output.EncodeYAML`: `sigs.k8s.io/yaml.Marshal` (JSON, then yaml.v2 with
/// sorted keys).
pub fn yaml<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let value = serde_json::to_value(value)?;
    to_yaml(&node_from_json(&value))
        .map_err(|e| anyhow!("unable to write YAML output: {}", e.message()))
}

/// A `gosuri/uitable` table with helm's settings (tab separator, no
/// wrapping): every cell padded to its column's widest line, multi-line cells
/// spread over several lines. `output.EncodeTable` adds the final newline.
#[derive(Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn add_row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = Vec::new();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if widths.len() <= i {
                    widths.push(0);
                }
                let width = cell.split('\n').map(display_width).max().unwrap_or(0);
                widths[i] = widths[i].max(width);
            }
        }
        let mut lines = Vec::new();
        for row in &self.rows {
            let height = row.iter().map(|c| c.split('\n').count()).max().unwrap_or(1);
            let split: Vec<Vec<&str>> = row.iter().map(|c| c.split('\n').collect()).collect();
            for line in 0..height {
                let cells: Vec<String> = split
                    .iter()
                    .enumerate()
                    .map(|(i, parts)| match parts.get(line) {
                        Some(text) => pad_right(text, widths[i]),
                        // uitable's empty cell: PadLeft(" ", width)
                        None => " ".repeat(widths[i].max(1)),
                    })
                    .collect();
                lines.push(cells.join("\t"));
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }
}

fn pad_right(text: &str, width: usize) -> String {
    let have = display_width(text);
    let mut out = text.to_string();
    if width > have {
        out.extend(std::iter::repeat_n(' ', width - have));
    }
    out
}

/// The terminal width of a string, as `go-runewidth` counts it: control and
/// combining characters 0, East Asian wide and emoji 2, others 1.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let c = c as u32;
    match c {
        0..=0x1f | 0x7f..=0x9f => 0,
        0x300..=0x36f | 0x200b..=0x200f | 0xfe00..=0xfe0f | 0x20d0..=0x20ff => 0,
        0x1100..=0x115f
        | 0x2e80..=0x303e
        | 0x3041..=0x33ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6
        | 0x1f300..=0x1f64f
        | 0x1f900..=0x1f9ff
        | 0x20000..=0x3fffd => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_pad_like_uitable() {
        let mut table = Table::default();
        table.add_row(["REVISION", "STATUS", "DESCRIPTION"]);
        table.add_row(["1", "deployed", "Install complete"]);
        table.add_row(["10", "failed", "line one\nline two is longer"]);
        assert_eq!(
            table.render(),
            "REVISION\tSTATUS  \tDESCRIPTION       \n\
             1       \tdeployed\tInstall complete  \n\
             10      \tfailed  \tline one          \n\
             \x20       \t        \tline two is longer\n"
        );
    }

    #[test]
    fn wide_characters_count_double() {
        assert_eq!(display_width("日本"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
    }

    #[test]
    fn yaml_and_json_encode_like_helm() {
        let value = json!({"b": 1, "a": "2026-01-01T00:00:00Z"});
        assert_eq!(yaml(&value).unwrap(), "a: \"2026-01-01T00:00:00Z\"\nb: 1\n");
        assert_eq!(
            json(&value).unwrap(),
            "{\"a\":\"2026-01-01T00:00:00Z\",\"b\":1}\n"
        );
    }
}
