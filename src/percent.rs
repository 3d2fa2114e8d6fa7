//! Percent-encoding for URL query values: RFC 3986's unreserved characters
//! stay, every other byte becomes `%XX` (what Go's `url.QueryEscape` does,
//! except that a space is `%20`, which every server reads the same).

pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_bytes_are_escaped() {
        assert_eq!(percent_encode("a=b,c"), "a%3Db%2Cc");
        assert_eq!(
            percent_encode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
        assert_eq!(percent_encode("r x~"), "r%20x~");
    }
}
