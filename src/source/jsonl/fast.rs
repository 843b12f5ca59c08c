//! A fast path for the common JSON Lines record: one flat object whose
//! values are strings, integers, `true`, `false` or `null`.
//!
//! [`parse`] reads such a line in one pass (finding quotes and backslashes
//! with `memchr2`, decoding only the fields lineage keeps) and returns
//! `None` for anything else: nested values, fractions and exponents in a
//! kept field, escaped keys, invalid JSON of any kind. `parse_record` then
//! runs the serde_json path, which gives the error messages, so the fast
//! path never changes a result, only how fast it comes (the tests compare
//! the two on random records).

use crate::kernels::ascii::{ascii_str, find_special};
use crate::source::jsonl::JsonlFields;

/// A kept value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scalar {
    /// A string, decoded.
    Str(String),
    /// An integer, as serde_json would print it.
    Int(String),
    /// `true`, `false` or `null`.
    Other,
}

/// The kept fields of a record.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Fast {
    pub(crate) text: Option<Scalar>,
    pub(crate) id: Option<Scalar>,
    pub(crate) title: Option<Scalar>,
    pub(crate) url: Option<Scalar>,
    pub(crate) date: Option<Scalar>,
}

struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.pos) == Some(&c)).then(|| self.pos += 1)
    }

    /// A string starting at the opening quote; decoded into `out` when
    /// given, else only checked. Returns the raw contents when it had no
    /// escapes.
    fn string(&mut self, mut out: Option<&mut String>) -> Option<bool> {
        self.eat(b'"')?;
        let mut escaped = false;
        loop {
            let rest = self.b.get(self.pos..)?;
            let at = find_special(rest)?;
            // Raw control characters are not allowed in JSON strings.
            if rest[at] < 0x20 {
                return None;
            }
            if let Some(out) = out.as_deref_mut() {
                out.push_str(self.s.get(self.pos..self.pos + at)?);
            }
            self.pos += at;
            if self.b[self.pos] == b'"' {
                self.pos += 1;
                return Some(escaped);
            }
            escaped = true;
            let c = match *self.b.get(self.pos + 1)? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let (c, len) = unicode_escape(self.s, self.pos)?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(c);
                    }
                    self.pos += len;
                    continue;
                }
                _ => return None,
            };
            if let Some(out) = out.as_deref_mut() {
                out.push(c);
            }
            self.pos += 2;
        }
    }

    /// A JSON number; `Some(Some(text))` for an integer serde_json prints
    /// as written, `Some(None)` for any other valid number.
    fn number(&mut self) -> Option<Option<String>> {
        let start = self.pos;
        self.eat(b'-');
        let digits = |c: &mut Self| {
            let from = c.pos;
            while c.b.get(c.pos).is_some_and(u8::is_ascii_digit) {
                c.pos += 1;
            }
            c.pos - from
        };
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return None;
        }
        let mut integer = true;
        if self.eat(b'.').is_some() {
            integer = false;
            if digits(self) == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.pos) {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.b.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = self.s.get(start..self.pos)?;
        // Up to 18 digits fit i64 and u64, and print back unchanged; "-0"
        // prints as "0".
        Some((integer && n <= 18 && text != "-0").then(|| text.to_string()))
    }

    fn literal(&mut self) -> Option<()> {
        for word in [&b"true"[..], b"false", b"null"] {
            if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
                self.pos += word.len();
                return Some(());
            }
        }
        None
    }

    /// A value: kept (decoded) when `keep`, else only checked. A kept
    /// string is decoded into `reuse` when given (its old contents
    /// dropped), so that a caller can recycle one buffer across records.
    fn value(&mut self, keep: bool, reuse: Option<String>) -> Option<Option<Scalar>> {
        match self.b.get(self.pos)? {
            b'"' => {
                if keep {
                    // One allocation at most: the decoded text is no longer
                    // than the rest of the line.
                    let rest = self.b.len() - self.pos;
                    // A recycled buffer is handed back soon: keep its size.
                    let shrink = reuse.is_none();
                    let mut out = reuse.unwrap_or_default();
                    out.clear();
                    out.reserve(rest);
                    self.string(Some(&mut out))?;
                    if shrink && out.capacity() > 2 * out.len() + 64 {
                        out.shrink_to_fit();
                    }
                    Some(Some(Scalar::Str(out)))
                } else {
                    self.string(None)?;
                    Some(None)
                }
            }
            b'-' | b'0'..=b'9' => {
                let n = self.number()?;
                if keep {
                    // A kept non-integer goes to serde_json for its format.
                    Some(Some(Scalar::Int(n?)))
                } else {
                    Some(None)
                }
            }
            b't' | b'f' | b'n' => {
                self.literal()?;
                Some(keep.then_some(Scalar::Other))
            }
            _ => None,
        }
    }
}

/// Decodes the `\\uXXXX` escape (or surrogate pair `\\uD83D\\uDE00`) at byte
/// `at` of `s`: the character and the escape's length, or `None` when it
/// is malformed or a lone surrogate (which serde_json rejects too).
pub(super) fn unicode_escape(s: &str, at: usize) -> Option<(char, usize)> {
    let hex = |from: usize| {
        let h = s.get(from..from + 4)?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok()
    };
    let first = hex(at + 2)?;
    match first {
        0xD800..=0xDBFF => {
            if s.as_bytes().get(at + 6..at + 8)? != b"\\u" {
                return None;
            }
            let second = hex(at + 8)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return None;
            }
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            Some((char::from_u32(c)?, 12))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(first)?, 6)),
    }
}

/// Parses a flat record, or `None` to send the line to serde_json.
#[cfg(test)]
pub(super) fn parse(bytes: &[u8], fields: &JsonlFields) -> Option<Fast> {
    parse_reusing(bytes, fields, &mut None)
}

/// [`parse`], decoding the text field into `spare` when it holds a
/// buffer (taken; the record's text owns it afterwards).
pub(super) fn parse_reusing(
    bytes: &[u8],
    fields: &JsonlFields,
    spare: &mut Option<String>,
) -> Option<Fast> {
    // Validating UTF-8 was 3% of corpus sketching; the ASCII check runs 64
    // bytes a step.
    let s = match ascii_str(bytes) {
        Some(s) => s,
        None => std::str::from_utf8(bytes).ok()?,
    };
    let mut c = Cursor {
        s,
        b: bytes,
        pos: 0,
    };
    let mut rec = Fast::default();
    c.ws();
    c.eat(b'{')?;
    c.ws();
    if c.eat(b'}').is_none() {
        loop {
            let key_start = c.pos + 1;
            if c.string(None)? {
                return None;
            }
            let key = s.get(key_start..c.pos - 1)?;
            c.ws();
            c.eat(b':')?;
            c.ws();
            let wanted = [
                (&fields.text, &mut rec.text),
                (&fields.id, &mut rec.id),
                (&fields.title, &mut rec.title),
                (&fields.url, &mut rec.url),
                (&fields.date, &mut rec.date),
            ];
            let hits = wanted
                .iter()
                .filter(|(name, _)| name.as_str() == key)
                .count();
            let reuse = if key == fields.text.as_str() {
                spare.take()
            } else {
                None
            };
            let value = c.value(hits > 0, reuse)?;
            if let Some(value) = value {
                // Move the value into the last field that wants it; copy
                // it only when two fields name the same key.
                let mut value = Some(value);
                let mut left = hits;
                for (name, slot) in wanted {
                    if name.as_str() == key {
                        left -= 1;
                        *slot = if left == 0 {
                            value.take()
                        } else {
                            value.clone()
                        };
                    }
                }
            }
            c.ws();
            if c.eat(b',').is_some() {
                c.ws();
                continue;
            }
            c.eat(b'}')?;
            break;
        }
    }
    c.ws();
    (c.pos == bytes.len()).then_some(rec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ascii::find_special_scalar;

    #[test]
    fn find_special_matches_the_scalar_twin() {
        let text: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        for start in 0..300 {
            for end in [start, start + 1, start + 17, start + 300] {
                let s = &text[start..end.min(text.len())];
                assert_eq!(find_special(s), find_special_scalar(s));
            }
        }
        let plain = b"no specials here, just text that goes on for a while ok";
        assert_eq!(find_special(plain), None);
        assert_eq!(find_special(b"0123456789abcdef0123\"x"), Some(20));
    }
}
