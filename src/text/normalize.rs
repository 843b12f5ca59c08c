//! Stage 2: text normalisation with a map back to the original bytes.
//!
//! In: the document text as written. Out: a [`Normalized`] text that is
//! NFKC-normalised, case-folded (Unicode lowercase mapping), with curly
//! quotes, apostrophes and dashes unified to their ASCII forms and every run
//! of white space folded to one space (or one `\n` when the run holds a line
//! break, so paragraph structure survives). Every byte of the normalised text
//! maps back to the byte offset in the original it came from, so later stages
//! report passages as ranges of the text the user wrote.
//!
//! Fast path: ASCII text needs no NFKC and no quote mapping; it is lowercased
//! and folded byte by byte, and when nothing changes the text is borrowed and
//! the map is the identity (no allocation at all).

use std::borrow::Cow;
use std::ops::Range;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

/// How normalised byte offsets map back to original byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OffsetMap {
    /// Normalised and original text are byte-for-byte aligned.
    Identity,
    /// `table[i]` is the original offset of normalised byte `i`; the table has
    /// one extra entry, the original length, so range ends map too.
    Table(Vec<u32>),
}

/// Normalised text plus its map back to the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized<'a> {
    /// The normalised text.
    pub text: Cow<'a, str>,
    /// Map from normalised byte offsets to original byte offsets.
    pub(crate) map: OffsetMap,
}

impl Normalized<'_> {
    /// Original byte offset of normalised byte offset `offset` (which may be
    /// `text.len()`, mapping to the original length).
    pub fn original_offset(&self, offset: usize) -> usize {
        match &self.map {
            OffsetMap::Identity => offset,
            OffsetMap::Table(table) => table
                .get(offset)
                .or(table.last())
                .map_or(offset, |&o| o as usize),
        }
    }

    /// Original byte range of a normalised byte range.
    pub(crate) fn original_range(&self, range: Range<usize>) -> Range<usize> {
        self.original_offset(range.start)..self.original_offset(range.end)
    }
}

/// Maps typographic variants onto one ASCII form: ’ and ' are the same
/// apostrophe, “ and " the same quote, – and - the same dash.
fn unify_punctuation(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}'
        | '\u{FF07}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{FF02}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
        _ => return None,
    })
}

/// Normalises `text` (see the module docs).
pub fn normalize(text: &str) -> Normalized<'_> {
    if text.is_ascii() {
        normalize_ascii(text)
    } else {
        normalize_unicode(text)
    }
}

/// Whether an ASCII text is already normalised: no upper case, and white
/// space only as single spaces or single newlines.
fn ascii_is_normalized(bytes: &[u8]) -> bool {
    let mut prev_space = false;
    for &b in bytes {
        if b.is_ascii_uppercase() {
            return false;
        }
        let space = b.is_ascii_whitespace();
        if space && (prev_space || (b != b' ' && b != b'\n')) {
            return false;
        }
        prev_space = space;
    }
    true
}

fn normalize_ascii(text: &str) -> Normalized<'_> {
    let bytes = text.as_bytes();
    if ascii_is_normalized(bytes) {
        return Normalized {
            text: Cow::Borrowed(text),
            map: OffsetMap::Identity,
        };
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut table = Vec::with_capacity(bytes.len() + 1);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            let start = i;
            let mut newline = false;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                newline |= bytes[i] == b'\n' || bytes[i] == b'\r';
                i += 1;
            }
            out.push(if newline { b'\n' } else { b' ' });
            table.push(start as u32);
        } else {
            out.push(b.to_ascii_lowercase());
            table.push(i as u32);
            i += 1;
        }
    }
    table.push(bytes.len() as u32);
    // Only ASCII bytes were pushed, so this cannot fail; fall back to a lossy
    // copy rather than panic.
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Normalized {
        text: Cow::Owned(text),
        map: OffsetMap::Table(table),
    }
}

fn normalize_unicode(text: &str) -> Normalized<'_> {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut table: Vec<u32> = Vec::with_capacity(text.len() + 1);
    let mut cluster = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() || c == '\u{00A0}' {
            let mut newline = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}');
            while let Some(&(_, next)) = chars.peek() {
                if !next.is_whitespace() {
                    break;
                }
                newline |= matches!(next, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}');
                chars.next();
            }
            out.push(if newline { '\n' } else { ' ' });
            table.push(start as u32);
            continue;
        }
        if let Some(unified) = unify_punctuation(c) {
            out.push(unified);
            table.push(start as u32);
            continue;
        }
        // A cluster is a starter plus its combining marks: NFKC composes
        // within it, so normalising cluster by cluster keeps offsets exact.
        cluster.clear();
        cluster.push(c);
        while let Some(&(_, next)) = chars.peek() {
            if canonical_combining_class(next) == 0 {
                break;
            }
            cluster.push(next);
            chars.next();
        }
        if c.is_ascii() && cluster.len() == 1 {
            out.push(c.to_ascii_lowercase());
            table.push(start as u32);
            continue;
        }
        for n in cluster.nfkc() {
            let mapped = unify_punctuation(n).unwrap_or(n);
            for lower in mapped.to_lowercase() {
                let before = out.len();
                out.push(lower);
                table.extend(std::iter::repeat_n(start as u32, out.len() - before));
            }
        }
    }
    table.push(text.len() as u32);
    Normalized {
        text: Cow::Owned(out),
        map: OffsetMap::Table(table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_already_normal_is_borrowed() {
        let n = normalize("already normal text\nhere");
        assert!(matches!(n.text, Cow::Borrowed(_)));
        assert_eq!(n.map, OffsetMap::Identity);
    }

    #[test]
    fn ascii_folds_case_and_space() {
        let text = "The  State\t\tDept.\r\nSaid";
        let n = normalize(text);
        assert_eq!(n.text, "the state dept.\nsaid");
        let said = n.text.find("said").unwrap();
        assert_eq!(&text[n.original_range(said..said + 4)], "Said");
    }

    #[test]
    fn curly_quotes_unify_with_straight() {
        assert_eq!(normalize("Patel’s").text, normalize("Patel's").text);
        assert_eq!(normalize("“hi” – yes").text, "\"hi\" - yes");
    }

    #[test]
    fn nfkc_and_offsets_map_back() {
        let text = "Ｆｕｌｌ ﬁne Café";
        let n = normalize(text);
        assert_eq!(n.text, "full fine café");
        let fine = n.text.find("fine").unwrap();
        assert_eq!(&text[n.original_range(fine..fine + 4)], "ﬁne");
        let cafe = n.text.find("café").unwrap();
        assert_eq!(&text[n.original_range(cafe..n.text.len())], "Café");
    }

    #[test]
    fn combining_marks_compose() {
        let n = normalize("Cafe\u{301}");
        assert_eq!(n.text, "café");
        assert_eq!(n.original_offset(n.text.len()), "Cafe\u{301}".len());
    }
}
