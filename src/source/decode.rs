//! Bytes to text, done once for every reader (text, HTML, feeds).
//!
//! In: a document's bytes and, for markup, the charset it declares. Out:
//! UTF-8 text and how it was found ([`Charset`]). The order:
//!
//! 1. A byte-order mark: UTF-16 or UTF-32 (little- or big-endian).
//! 2. Valid UTF-8 (with or without its mark) is kept as it is, byte for
//!    byte, so offsets into the text are offsets into the file. Bytes that
//!    happen to be valid UTF-8 are UTF-8 even against a declaration: a page
//!    that says `iso-8859-1` and is valid UTF-8 with accents was saved as
//!    UTF-8 (the common mistake), never the other way round.
//! 3. The declared charset (`<meta charset>`, `http-equiv`, an XML
//!    declaration), read by `encoding_rs` with the WHATWG labels browsers
//!    use (`iso-8859-1` is windows-1252, `gb2312` is GBK).
//! 4. UTF-16 without a mark, told by its zero bytes in every other place
//!    (checked before step 2, as such bytes are also valid UTF-8).
//! 5. Bytes with more valid UTF-8 characters than broken sequences are
//!    UTF-8 with a few broken bytes, decoded lossily.
//! 6. Otherwise `chardetng`, Firefox's detector, guesses the legacy
//!    encoding (windows-1252 for Latin-1 text, GBK, Big5, EUC-KR, ...).
//!
//! Nothing is refused here: a NUL byte in text that is none of the above
//! is the caller's sign of a binary file.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// How the text's encoding was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    /// Valid UTF-8: the bytes are the text.
    Utf8,
    /// Told by a byte-order mark.
    Bom(&'static str),
    /// Declared by the document.
    Declared(&'static str),
    /// Guessed from the bytes (no mark, not UTF-8, nothing declared).
    Detected(&'static str),
}

/// Decoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded<'a> {
    /// The text (borrowed when the bytes were UTF-8).
    pub(crate) text: Cow<'a, str>,
    /// How the encoding was found.
    pub(crate) charset: Charset,
    /// Whether some bytes could not be decoded (replaced by U+FFFD).
    pub(crate) lossy: bool,
}

/// Decodes `bytes`, which may declare the charset `declared` (a label such
/// as `iso-8859-1`; unknown labels are ignored).
pub(crate) fn decode<'a>(bytes: &'a [u8], declared: Option<&str>) -> Decoded<'a> {
    if let Some(decoded) = utf32(bytes) {
        return decoded;
    }
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        if encoding != encoding_rs::UTF_8 {
            let (text, lossy) = encoding.decode_without_bom_handling(&bytes[bom..]);
            return Decoded {
                text,
                charset: Charset::Bom(encoding.name()),
                lossy,
            };
        }
    }
    if memchr::memchr(0, bytes).is_some() {
        if let Some(encoding) = utf16_without_bom(bytes) {
            let (text, lossy) = encoding.decode_without_bom_handling(bytes);
            return Decoded {
                text,
                charset: Charset::Detected(encoding.name()),
                lossy,
            };
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(text),
            charset: Charset::Utf8,
            lossy: false,
        };
    }
    if mostly_utf8(bytes) {
        // A UTF-8 file with a few broken bytes, not a legacy encoding.
        return Decoded {
            text: String::from_utf8_lossy(bytes),
            charset: Charset::Utf8,
            lossy: true,
        };
    }
    let declared = declared
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        // A declaration of UTF-16 in bytes that reached here (no mark) is
        // wrong more often than not; UTF-8 failed above.
        .filter(|e| {
            *e != encoding_rs::UTF_8 && *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE
        });
    let (encoding, charset) = match declared {
        Some(e) => (e, Charset::Declared(e.name())),
        None => {
            let mut detector =
                chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            let e = detector.guess(None, chardetng::Utf8Detection::Allow);
            (e, Charset::Detected(e.name()))
        }
    };
    if encoding == encoding_rs::UTF_8 {
        // The detector's answer for broken UTF-8: decode it lossily.
        return Decoded {
            text: String::from_utf8_lossy(bytes),
            charset: Charset::Utf8,
            lossy: true,
        };
    }
    let (text, lossy) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text,
        charset,
        lossy,
    }
}

/// Whether bytes that are not valid UTF-8 are still mostly UTF-8: more
/// valid multi-byte characters than invalid sequences. Legacy text
/// (Latin-1 accents, GBK) has almost no valid multi-byte sequences.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    valid > invalid
}

/// UTF-16 without a byte-order mark: mostly ASCII text shows a zero byte
/// in every other place (odd places little-endian, even big-endian).
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let zero_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    if zero_odd * 10 >= pairs * 6 && zero_even * 10 <= pairs {
        Some(encoding_rs::UTF_16LE)
    } else if zero_even * 10 >= pairs * 6 && zero_odd * 10 <= pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// The text of bytes in UTF-16 or UTF-32 (by their mark, or detected as
/// [`decode`] does), or `None` for any other bytes.
pub(crate) fn wide(bytes: &[u8]) -> Option<String> {
    if memchr::memchr(0, bytes).is_none() && Encoding::for_bom(bytes).is_none() {
        return None;
    }
    let decoded = decode(bytes, None);
    let wide = match decoded.charset {
        Charset::Bom(name) | Charset::Detected(name) => {
            name.starts_with("UTF-16") || name.starts_with("UTF-32")
        }
        _ => false,
    };
    wide.then(|| decoded.text.trim_start_matches('\u{feff}').to_string())
}

/// UTF-32 with a byte-order mark, or without one when the text starts
/// with `<` (an XML declaration or a root element: the autodetection of
/// XML 1.0, appendix F). encoding_rs, following the WHATWG, has no UTF-32
/// decoder; invalid code points become U+FFFD.
fn utf32(bytes: &[u8]) -> Option<Decoded<'static>> {
    let (little, skip, charset) = if bytes.starts_with(&[0xff, 0xfe, 0, 0]) {
        (true, 4, Charset::Bom("UTF-32LE"))
    } else if bytes.starts_with(&[0, 0, 0xfe, 0xff]) {
        (false, 4, Charset::Bom("UTF-32BE"))
    } else if bytes.starts_with(&[b'<', 0, 0, 0]) {
        (true, 0, Charset::Detected("UTF-32LE"))
    } else if bytes.starts_with(&[0, 0, 0, b'<']) {
        (false, 0, Charset::Detected("UTF-32BE"))
    } else {
        return None;
    };
    let mut lossy = !bytes.len().is_multiple_of(4);
    let text = bytes[skip..]
        .chunks_exact(4)
        .map(|c| {
            let b = [c[0], c[1], c[2], c[3]];
            let n = if little {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            };
            char::from_u32(n).unwrap_or_else(|| {
                lossy = true;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    Some(Decoded {
        text: Cow::Owned(text),
        charset,
        lossy,
    })
}

/// The charset an HTML page declares in its first 4 KB: `<meta
/// charset=...>` or `<meta http-equiv="Content-Type" content="...;
/// charset=...">`, as the HTML prescan finds them.
pub(crate) fn html_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower = head.to_ascii_lowercase();
    let mut at = 0;
    while let Some(i) = memchr::memmem::find(&lower[at..], b"<meta") {
        let start = at + i;
        let end = memchr::memchr(b'>', &lower[start..]).map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = memchr::memmem::find(tag, b"charset") {
            let rest = tag[c + 7..].trim_ascii_start();
            if let Some(value) = rest.strip_prefix(b"=") {
                return Some(attribute_value(value));
            }
        }
        at = end;
    }
    None
}

/// The encoding an XML declaration names (`<?xml version="1.0"
/// encoding="iso-8859-1"?>`), when the bytes start with one.
pub(crate) fn xml_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let decl = head.trim_ascii_start().strip_prefix(b"<?xml")?;
    let end = memchr::memmem::find(decl, b"?>")?;
    let decl = &decl[..end];
    let at = memchr::memmem::find(decl, b"encoding")?;
    let rest = decl[at + 8..].trim_ascii_start().strip_prefix(b"=")?;
    Some(attribute_value(rest))
}

/// The value at the start of `s`: quoted, or up to a space, `;`, `/` or
/// `>`.
fn attribute_value(s: &[u8]) -> String {
    let s = s.trim_ascii_start();
    let value = match s.first() {
        Some(&q @ (b'"' | b'\'')) => {
            let inner = &s[1..];
            &inner[..memchr::memchr(q, inner).unwrap_or(inner.len())]
        }
        _ => {
            let end = s
                .iter()
                .position(|&b| {
                    b.is_ascii_whitespace() || matches!(b, b';' | b'/' | b'>' | b'"' | b'\'')
                })
                .unwrap_or(s.len());
            &s[..end]
        }
    };
    String::from_utf8_lossy(value).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_kept_byte_for_byte_even_against_a_declaration() {
        let d = decode("Tübingen".as_bytes(), Some("iso-8859-1"));
        assert_eq!(d.text, "Tübingen");
        assert_eq!(d.charset, Charset::Utf8);
        assert!(matches!(d.text, Cow::Borrowed(_)));
    }

    #[test]
    fn latin1_declared_or_not() {
        let bytes = b"T\xfcbingen liegt am Neckar, sch\xf6n und gr\xfcn.";
        let declared = decode(bytes, Some("ISO-8859-1"));
        assert_eq!(declared.text, "Tübingen liegt am Neckar, schön und grün.");
        assert_eq!(declared.charset, Charset::Declared("windows-1252"));
        let detected = decode(bytes, None);
        assert_eq!(detected.text, declared.text);
        assert!(matches!(detected.charset, Charset::Detected(_)));
    }

    #[test]
    fn utf16_and_utf32_with_and_without_marks() {
        let text = "Caf\u{e9} au lait, s'il vous pla\u{ee}t.";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for bytes in [
            [&[0xff, 0xfe][..], &le].concat(),
            [&[0xfe, 0xff][..], &be].concat(),
            le,
            be,
        ] {
            assert_eq!(decode(&bytes, None).text, text);
        }
        let mut le32 = vec![0xff, 0xfe, 0, 0];
        le32.extend(text.chars().flat_map(|c| (c as u32).to_le_bytes()));
        assert_eq!(decode(&le32, None).text, text);
        assert_eq!(decode(&le32, None).charset, Charset::Bom("UTF-32LE"));
    }

    #[test]
    fn gbk_is_detected() {
        let (bytes, _, _) =
            encoding_rs::GBK.encode("北京是中华人民共和国的首都，也是全国的政治和文化中心。");
        let d = decode(&bytes, None);
        assert_eq!(
            d.text,
            "北京是中华人民共和国的首都，也是全国的政治和文化中心。"
        );
    }

    #[test]
    fn declarations_are_found() {
        assert_eq!(
            html_charset(b"<html><head><META CHARSET=\"ISO-8859-1\">").as_deref(),
            Some("iso-8859-1")
        );
        assert_eq!(
            html_charset(b"<meta http-equiv='Content-Type' content='text/html; charset=gb2312'>")
                .as_deref(),
            Some("gb2312")
        );
        assert_eq!(html_charset(b"<meta name=x content=y><p>charset=no"), None);
        assert_eq!(
            xml_encoding(b"<?xml version=\"1.0\" encoding='euc-kr'?><rss/>").as_deref(),
            Some("euc-kr")
        );
        assert_eq!(xml_encoding(b"<rss/>"), None);
    }
}
