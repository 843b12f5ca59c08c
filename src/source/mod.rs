//! Documents and where they come from.
//!
//! A [`Document`] is an id plus its text as UTF-8. [`read_document`] reads one
//! from a file or from standard input (`-`, never guessed). Bad input is an
//! [`Error`] naming the path; recoverable oddities (invalid UTF-8
//! decoded lossily, an empty text) are [`Warning`]s carried on the document so
//! the caller decides how to report them: the library never prints.
//! [`input`] reads any input (text, JSON Lines, HTML, feeds) into documents.

use std::path::{Path, PathBuf};

pub mod feed;
pub mod html;
pub mod input;
pub mod jsonl;
pub mod list;
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
    /// decoded; byte offsets refer to the text as UTF-8.
    Utf16,
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
                "read as UTF-16 (byte-order mark); byte offsets refer to the text as UTF-8 (convert the file with iconv for offsets into the file itself)"
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
        }
    }

    /// Decodes raw bytes: NUL bytes make it binary (an error), invalid UTF-8
    /// is decoded lossily with a warning.
    pub fn from_bytes(id: impl Into<String>, bytes: Vec<u8>) -> Result<Document> {
        let id = id.into();
        if let Some(text) = utf16_with_bom(&bytes) {
            let mut warnings = vec![Warning::Utf16];
            if text.contains('\u{FFFD}') {
                warnings.push(Warning::LossyUtf8 { offset: 0 });
            }
            return Ok(Document {
                id,
                text,
                warnings,
                meta: Metadata::default(),
            });
        }
        if let Some(offset) = memchr::memchr(0, &bytes) {
            return Err(Error::Binary {
                path: PathBuf::from(&id),
                offset,
            });
        }
        let mut warnings = Vec::new();
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                warnings.push(Warning::LossyUtf8 { offset });
                String::from_utf8_lossy(err.as_bytes()).into_owned()
            }
        };
        Ok(Document {
            id,
            text,
            warnings,
            meta: Metadata::default(),
        })
    }
}

/// The text of UTF-16 bytes that start with a byte-order mark (little- or
/// big-endian), unpaired surrogates replaced; `None` for anything else.
/// Such a file is full of NUL bytes and would otherwise look binary.
fn utf16_with_bom(bytes: &[u8]) -> Option<String> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// Reads one document from `path`, or from standard input when `path` is
/// `-`, refusing one longer than [`DEFAULT_MAX_DOC_BYTES`].
pub fn read_document(path: &Path) -> Result<Document> {
    Document::from_bytes(
        path.to_string_lossy(),
        walk::read_bytes(path, DEFAULT_MAX_DOC_BYTES)?,
    )
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
    fn invalid_utf8_is_lossy_with_warning() {
        let doc = Document::from_bytes("x.txt", b"caf\xe9 au lait".to_vec()).unwrap();
        assert_eq!(doc.text, "caf\u{fffd} au lait");
        assert_eq!(doc.warnings, vec![Warning::LossyUtf8 { offset: 3 }]);
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
