//! Helm's `releaseutil.SplitManifests`: one rendered file → YAML documents.

use std::ops::Range;

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
    document_ranges(text)
        .into_iter()
        .map(|range| text[range].to_string())
        .collect()
}

/// [`split_manifests`] on a string it may keep: a text that is one document
/// (most rendered files) becomes that document without a copy.
pub fn split_manifests_owned(mut text: String) -> Vec<String> {
    let ranges = document_ranges(&text);
    match ranges.as_slice() {
        [only] => {
            text.truncate(only.end);
            text.drain(..only.start);
            vec![text]
        }
        _ => ranges
            .into_iter()
            .map(|range| text[range].to_string())
            .collect(),
    }
}

/// Where each document of [`split_manifests`] is in `text`.
fn document_ranges(text: &str) -> Vec<Range<usize>> {
    let leading = |s: &str| s.len() - s.trim_start().len();
    let offset = leading(text);
    let trimmed = text.trim();
    let mut documents = Vec::new();
    let mut keep = |from: usize, to: usize| {
        let piece = &trimmed[from..to];
        if !piece.is_empty() {
            let start = offset + from + leading(piece);
            documents.push(start..start + piece.trim().len());
        }
    };
    let bytes = trimmed.as_bytes();
    let mut piece_start = 0;
    let mut search = 0;
    while let Some((start, end)) = next_separator(bytes, search) {
        keep(piece_start, start);
        piece_start = end;
        search = end;
    }
    keep(piece_start, bytes.len());
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
    use super::{split_manifests, split_manifests_owned};

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

    #[test]
    fn an_owned_text_splits_like_a_borrowed_one() {
        for text in ["  a: 1\n", "a: 1\n---\nb: 2\n", "---\n\n", "\n--- x\n"] {
            assert_eq!(
                split_manifests_owned(text.to_string()),
                split_manifests(text)
            );
        }
    }
}
