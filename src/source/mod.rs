//! Stage 1: documents and where they come from.
//!
//! A [`Document`] is an id plus its text as UTF-8. `read_document` reads one
//! from a file or from standard input (`-`, never guessed). Bad input is an
//! [`Error`] naming the path; recoverable oddities (invalid UTF-8
//! decoded lossily, an empty text) are [`Warning`]s carried on the document so
//! the caller decides how to report them: the library never prints.
//! [`input`] reads any input (text, JSON Lines, HTML, feeds) into documents.
//! A page's or feed item's text, extracted from markup, carries an
//! [`offsets::SourceMap`] back to the bytes of its file.

use std::path::{Path, PathBuf};

pub(crate) mod decode;
pub mod feed;
pub mod html;
pub mod input;
pub mod jsonl;
pub mod list;
pub mod offsets;
pub mod table;
pub(crate) mod untrusted;
pub mod walk;

use crate::error::{Error, Result};

/// Longest document read by default, in bytes (`--max-doc-bytes`): a text,
/// HTML or feed file, or one JSON Lines record. A longer one is reported
/// and skipped, so that a stray 10 GB log file or an endless stream costs
/// a bounded amount of memory; the longest article of the Reuters and
/// Clough corpora is under 50 KB.
pub const DEFAULT_MAX_DOC_BYTES: u64 = 64 << 20;

/// One text to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Stable identifier: the path as given, `-` for stdin, a record id, or
    /// a feed item's link (else its guid, else `FILE#N`).
    pub id: String,
    /// The text, exactly as read (after lossy UTF-8 decoding if needed).
    pub text: String,
    /// Non-fatal problems met while reading.
    pub warnings: Vec<Warning>,
    /// Title, link and publish date, where the input has them.
    pub meta: Metadata,
    /// Where the text's bytes are in the file it was read from, when they
    /// are not simply the file's bytes (an HTML page's main text, a feed
    /// item): reports translate passage ranges and lines through it.
    pub source_map: Option<std::sync::Arc<offsets::SourceMap>>,
}

/// What an input may tell about a document besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Metadata {
    /// Title (feed item title, JSONL title field, HTML `<title>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Link (feed item link, JSONL url field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Publish date as given by the input (RFC 3339 where the input allows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// A non-fatal problem with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The bytes were not valid UTF-8; invalid sequences became U+FFFD.
    LossyUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The document has no words; it scores 0 against anything.
    Empty,
    /// The bytes were UTF-16 (told by their byte-order mark) and were
    /// decoded; a text file's byte offsets refer to its text as UTF-8 (a
    /// page's or feed's go through its [`SourceMap`](offsets::SourceMap)).
    Utf16,
    /// The bytes were neither UTF-8 nor declared: read in the encoding
    /// `name`, told by a byte-order mark (UTF-32) or guessed from the
    /// bytes; a text file's byte offsets refer to its text as UTF-8 (a
    /// page's or feed's go through its [`SourceMap`](offsets::SourceMap)).
    Charset {
        /// The encoding (`windows-1252`, `GBK`, `UTF-16LE`, ...).
        name: &'static str,
        /// Whether it was guessed rather than marked.
        guessed: bool,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::LossyUtf8 { offset } => write!(
                f,
                "invalid UTF-8 at byte {offset}, decoded lossily (convert the file to UTF-8, e.g. with iconv, for exact offsets)"
            ),
            Warning::Empty => write!(f, "no words in document, it scores 0 against anything"),
            Warning::Utf16 => write!(
                f,
                "read as UTF-16 (byte-order mark); a text file's byte offsets refer to its text as UTF-8 (convert the file with iconv for offsets into the file itself; a page's or feed's point into the file)"
            ),
            Warning::Charset { name, guessed } => write!(
                f,
                "read as {name} ({}); a text file's byte offsets refer to its text as UTF-8 (convert the file with iconv -f {name} -t UTF-8 for offsets into the file itself; a page's or feed's point into the file)",
                if *guessed { "not UTF-8, no charset declared: guessed from the bytes" } else { "byte-order mark" }
            ),
        }
    }
}

impl Document {
    /// A document from an id and text already in memory.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            warnings: Vec::new(),
            meta: Metadata::default(),
            source_map: None,
        }
    }

    /// Decodes raw bytes (`decode`): UTF-8 is taken as
    /// it is, UTF-16 and UTF-32 by their marks, anything else in the
    /// encoding guessed from the bytes, with a warning; NUL bytes in what
    /// is not UTF-16 or UTF-32 make it binary (an error).
    pub fn from_bytes(id: impl Into<String>, bytes: Vec<u8>) -> Result<Document> {
        Document::from_declared_bytes(id, bytes, None)
    }

    /// [`from_bytes`](Self::from_bytes) for bytes that declare their
    /// charset (an HTML `<meta charset>`, an XML declaration): a declared
    /// charset is believed for bytes that are not UTF-8, without a warning.
    pub(crate) fn from_declared_bytes(
        id: impl Into<String>,
        bytes: Vec<u8>,
        declared: Option<&str>,
    ) -> Result<Document> {
        Document::decoded(id, bytes, declared, false).map(|(doc, _)| doc)
    }

    /// [`from_declared_bytes`](Self::from_declared_bytes), and when
    /// `transcoding` is asked for, how the text's offsets map back to the
    /// bytes (identity for UTF-8).
    pub(crate) fn decoded(
        id: impl Into<String>,
        bytes: Vec<u8>,
        declared: Option<&str>,
        transcoding: bool,
    ) -> Result<(Document, offsets::Transcoded)> {
        use decode::Charset;
        let id = id.into();
        let decoded = decode::decode(&bytes, declared);
        let transcoded = if transcoding {
            offsets::Transcoded::of(&bytes, &decoded.text, decoded.charset, decoded.lossy)
        } else {
            offsets::Transcoded::Same
        };
        let wide = match decoded.charset {
            Charset::Bom(_) => true,
            Charset::Detected(name) => name.starts_with("UTF-16") || name.starts_with("UTF-32"),
            _ => false,
        };
        if !wide {
            if let Some(offset) = memchr::memchr(0, &bytes) {
                return Err(Error::Binary {
                    path: PathBuf::from(&id),
                    offset,
                });
            }
        }
        let mut warnings = Vec::new();
        match decoded.charset {
            Charset::Utf8 if decoded.lossy => {
                let offset = std::str::from_utf8(&bytes)
                    .err()
                    .map_or(0, |e| e.valid_up_to());
                warnings.push(Warning::LossyUtf8 { offset });
            }
            Charset::Utf8 | Charset::Declared(_) => {}
            Charset::Bom(name) if name.starts_with("UTF-16") => warnings.push(Warning::Utf16),
            Charset::Bom(name) => warnings.push(Warning::Charset {
                name,
                guessed: false,
            }),
            Charset::Detected(name) => warnings.push(Warning::Charset {
                name,
                guessed: true,
            }),
        }
        if decoded.lossy && decoded.charset != Charset::Utf8 {
            warnings.push(Warning::LossyUtf8 { offset: 0 });
        }
        let text = match decoded.text {
            std::borrow::Cow::Owned(text) => text,
            // Valid UTF-8: the buffer itself, not a copy.
            std::borrow::Cow::Borrowed(_) => String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        };
        Ok((
            Document {
                id,
                text,
                warnings,
                meta: Metadata::default(),
                source_map: None,
            },
            transcoded,
        ))
    }
}

/// Reads the one document of `path` (`-` for standard input) the way every
/// command reads its inputs ([`input::read_one`] with the default
/// options: format by extension or content, gzip/zstd, charsets, HTML main
/// text), so that `check` re-reads an archived file as `index add` read it.
pub(crate) fn read_document(path: &Path) -> Result<Document> {
    input::read_one(path, &input::InputOptions::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_byte_is_binary() {
        let err = Document::from_bytes("x.bin", b"ab\0cd".to_vec()).unwrap_err();
        assert!(matches!(err, Error::Binary { offset: 2, .. }));
    }

    #[test]
    fn latin1_is_read_and_broken_utf8_is_lossy() {
        // Not UTF-8 at all: the legacy encoding is guessed, with a warning.
        let doc = Document::from_bytes("x.txt", b"caf\xe9 au lait".to_vec()).unwrap();
        assert_eq!(doc.text, "caf\u{e9} au lait");
        assert!(matches!(
            doc.warnings[..],
            [Warning::Charset { guessed: true, .. }]
        ));
        // UTF-8 with one broken byte: decoded lossily, the rest kept.
        let doc = Document::from_bytes(
            "x.txt",
            "caf\u{e9} cr\u{e8}me \u{ff}"
                .as_bytes()
                .iter()
                .copied()
                .chain([0xff, b'!'])
                .collect(),
        )
        .unwrap();
        assert_eq!(doc.text, "caf\u{e9} cr\u{e8}me \u{ff}\u{fffd}!");
        assert_eq!(doc.warnings, vec![Warning::LossyUtf8 { offset: 15 }]);
        // Declared: no warning.
        let doc =
            Document::from_declared_bytes("x.html", b"caf\xe9".to_vec(), Some("latin1")).unwrap();
        assert_eq!(doc.text, "caf\u{e9}");
        assert!(doc.warnings.is_empty());
    }

    #[test]
    fn directory_is_an_error() {
        let dir = std::env::temp_dir();
        assert!(matches!(
            read_document(&dir),
            Err(Error::IsDirectory { .. })
        ));
    }
}
