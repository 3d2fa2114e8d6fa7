//! go-yaml's reader check: a document must be UTF-8, and the first bad
//! sequence is reported in go-yaml's words.

use super::Error;

/// `Ok` when `bytes` is UTF-8 as go-yaml's reader decodes it, else its error
/// as `sigs.k8s.io/yaml` reports it (`error converting YAML to JSON: yaml:
/// invalid trailing UTF-8 octet`).
pub fn check_utf8(bytes: &[u8]) -> Result<(), Error> {
    let mut pos = 0;
    while pos < bytes.len() {
        let lead = bytes[pos];
        let width = match lead {
            _ if lead & 0x80 == 0x00 => 1,
            _ if lead & 0xE0 == 0xC0 => 2,
            _ if lead & 0xF0 == 0xE0 => 3,
            _ if lead & 0xF8 == 0xF0 => 4,
            _ => return Err(reader_error("invalid leading UTF-8 octet")),
        };
        if pos + width > bytes.len() {
            return Err(reader_error("incomplete UTF-8 octet sequence"));
        }
        let mut value = u32::from(lead) & [0x7F, 0x1F, 0x0F, 0x07][width - 1];
        for &trail in &bytes[pos + 1..pos + width] {
            if trail & 0xC0 != 0x80 {
                return Err(reader_error("invalid trailing UTF-8 octet"));
            }
            value = (value << 6) | u32::from(trail & 0x3F);
        }
        let shortest = match width {
            1 => true,
            2 => value >= 0x80,
            3 => value >= 0x800,
            _ => value >= 0x10000,
        };
        if !shortest {
            return Err(reader_error("invalid length of a UTF-8 sequence"));
        }
        if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
            return Err(reader_error("invalid Unicode character"));
        }
        pos += width;
    }
    Ok(())
}

fn reader_error(problem: &str) -> Error {
    Error::new(format!("error converting YAML to JSON: yaml: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::check_utf8;

    #[test]
    fn reports_the_first_bad_sequence_as_go_yaml_does() {
        assert!(check_utf8("a: é日本".as_bytes()).is_ok());
        let problem = |b: &[u8]| check_utf8(b).unwrap_err().message().to_string();
        assert!(problem(b"# \xe6\x97").ends_with("yaml: incomplete UTF-8 octet sequence"));
        assert!(problem(b"# \xe6\x97x").ends_with("yaml: invalid trailing UTF-8 octet"));
        assert!(problem(b"# \x80").ends_with("yaml: invalid leading UTF-8 octet"));
        assert!(problem(b"# \xc0\x80").ends_with("yaml: invalid length of a UTF-8 sequence"));
    }
}
