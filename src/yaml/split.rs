//! Helm's `releaseutil.SplitManifests`: one rendered file → YAML documents.

/// Splits rendered template output into documents exactly as Helm does.
///
/// Helm trims the text, splits it on the regular expression
/// `(?:^|\s*\n)---\s*` (a `---` at the very start or right after a newline,
/// with the whitespace around it; anything after `---` on the same line starts
/// the next document), drops empty pieces and trims each remaining one. An
/// indented `---`, as inside a block scalar, does not split.
///
/// The documents come back in their original order (Helm's
/// `manifest-0`, `manifest-1`, … order).
pub fn split_manifests(text: &str) -> Vec<String> {
    let text = text.trim();
    let mut documents = Vec::new();
    let mut keep = |piece: &str| {
        if !piece.is_empty() {
            documents.push(piece.trim().to_string());
        }
    };
    let bytes = text.as_bytes();
    let mut piece_start = 0;
    let mut search = 0;
    while let Some((start, end)) = next_separator(bytes, search) {
        keep(&text[piece_start..start]);
        piece_start = end;
        search = end;
    }
    keep(&text[piece_start..]);
    documents
}

/// Go's regexp `\s`: ASCII whitespace without `\v`.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The leftmost separator match at or after `from`, as `(start, end)`.
fn next_separator(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let dashes = |at: usize| bytes.get(at..at + 3) == Some(b"---");
    let end_of = |after_dashes: usize| {
        let mut end = after_dashes;
        while end < bytes.len() && is_space(bytes[end]) {
            end += 1;
        }
        end
    };
    if from == 0 && dashes(0) {
        return Some((0, end_of(3)));
    }
    let newline = from + memchr::memmem::find(&bytes[from..], b"\n---")?;
    // The match starts where the run of whitespace ending in this newline
    // starts (but not before `from`).
    let mut start = newline;
    while start > from && is_space(bytes[start - 1]) {
        start -= 1;
    }
    Some((start, end_of(newline + 4)))
}

#[cfg(test)]
mod tests {
    use super::split_manifests;

    #[test]
    fn documents_are_cut_at_line_start_dashes() {
        assert_eq!(split_manifests("a: 1\n---\nb: 2\n"), ["a: 1", "b: 2"]);
        // A separator swallows the newline after it, so a `---` right after
        // another one is not a separator but a document of its own.
        assert_eq!(split_manifests("---\na: 1\n---\n---\n"), ["a: 1", "---"]);
        assert_eq!(split_manifests("a: |\n  ---\n  x\n"), ["a: |\n  ---\n  x"]);
        assert_eq!(split_manifests("a\n--- b\nc"), ["a", "b\nc"]);
        assert!(split_manifests("  \n").is_empty());
    }
}
