//! Go's `encoding/json` output for serde types: struct fields in declaration
//! order (serde's), map keys sorted (serde_json's maps are ordered), `<`, `>`,
//! `&`, U+2028 and U+2029 escaped as `\u003c`…, and floats as Go writes them
//! (`1e+21`, not `1e21`). That makes tare's records and `-o json` output the
//! bytes helm writes.

use std::io;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::ser::Formatter;

use crate::yaml::{Node, to_json};

/// `json.Marshal(value)`.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value
        .serialize(&mut serializer)
        .context("cannot encode JSON")?;
    Ok(out)
}

/// `json.NewEncoder(w).Encode(value)`, as helm's `-o json`: one line with a
/// trailing newline.
pub fn to_line<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut out = to_vec(value)?;
    out.push(b'\n');
    String::from_utf8(out).context("JSON output is not UTF-8")
}

struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        let text = to_json(&Node::Float(value))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.message().to_string()))?;
        writer.write_all(text.as_bytes())
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            let escape = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..at])?;
            writer.write_all(escape.as_bytes())?;
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn writes_what_go_writes() {
        let value = json!({"b": [1, 1.5, 1e21, 1e-7, -0.0], "a": "<x> & \u{2028}\n\t\u{1}\"\\é"});
        assert_eq!(
            to_line(&value).unwrap(),
            "{\"a\":\"\\u003cx\\u003e \\u0026 \\u2028\\n\\t\\u0001\\\"\\\\é\",\"b\":[1,1.5,1e+21,1e-7,-0]}\n"
        );
    }
}
