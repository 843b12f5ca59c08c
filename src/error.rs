//! The library's error type.
//!
//! Every fallible function in the crate returns [`Result`]. Variants carry the
//! context a user needs (the path, the line) and messages are lowercase without
//! a trailing period; the binary adds the `lineage:` prefix and a suggested fix.

use std::path::PathBuf;

/// Errors raised by the lineage library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or read.
    #[error("{path}: cannot read")]
    Read {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A directory was given where a single document file was expected.
    #[error("{path}: is a directory, expected a text file")]
    IsDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// The input contains NUL bytes and is treated as binary.
    #[error("{path}: looks like a binary file (NUL byte at offset {offset})")]
    Binary {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first NUL byte.
        offset: usize,
    },
    /// A document (a file, or a JSON Lines record) is longer than the limit
    /// per document; it was not read.
    #[error("{}{}: document longer than {}, the limit per document", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), in_units(*limit))]
    TooLarge {
        /// The file or stream.
        path: PathBuf,
        /// 1-based line of a JSON Lines record, `None` for a whole file.
        line: Option<usize>,
        /// The limit in bytes.
        limit: u64,
    },
    /// A line of a list file (such as `--pairs`) is malformed.
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The list file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// A line of a baseline file (`check --baseline`) is not an accepted
    /// finding.
    #[error("{path}:{line}: not a baseline entry (expected {{\"derived\":..,\"source\":..}}; re-create it with --write-baseline): {message}")]
    BadBaseline {
        /// The baseline file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// A word-rarity table (`--weights`) is malformed.
    #[error("{path}:{line}: not a word-rarity table: {message}")]
    BadWeights {
        /// The table file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An archived candidate of `check` could not be verified: an index
    /// without texts names a file that cannot be read, or that changed since
    /// it was indexed.
    #[error("{archived}: candidate source not verified: {message}")]
    Unverified {
        /// The archived document's id (its path).
        archived: String,
        /// What went wrong, with the fix.
        message: String,
    },
    /// A feed file (RSS, Atom, JSON Feed) could not be parsed at all.
    #[error("{path}: not a readable RSS, Atom or JSON feed: {message}")]
    Feed {
        /// The feed file.
        path: PathBuf,
        /// What the feed parser said.
        message: String,
    },
    /// A feed item has neither content nor a summary to read.
    #[error("{path}: feed item {item} has no text (no content, summary or description)")]
    EmptyFeedItem {
        /// The feed file.
        path: PathBuf,
        /// Which item: its 1-based position, and its link or id when it has one.
        item: String,
    },
    /// Two signatures or shingle sets built with different parameters were compared.
    #[error("parameters differ: {left} vs {right}")]
    ParamsMismatch {
        /// Parameters of the left operand.
        left: String,
        /// Parameters of the right operand.
        right: String,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParam(String),
    /// A fingerprint file is damaged, truncated or of an unknown version.
    #[error("{path}: not a usable fingerprint file: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// An archive index is damaged, truncated, foreign or of an unknown
    /// version; it is left as it is.
    #[error("{path}: not a usable lineage index: {message}")]
    BadIndex {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A file expected to hold one document holds none or several.
    #[error("{path}: holds {count} documents, expected one")]
    NotOneDocument {
        /// The file.
        path: PathBuf,
        /// How many it holds.
        count: usize,
    },
    /// A Parquet input could not be read as a table of texts (not Parquet,
    /// damaged, no text column, a codec not built in).
    #[error("{path}: not a readable Parquet table of texts: {message}")]
    BadTable {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the columns it has where that helps.
        message: String,
    },
    /// An input whose documents were to be written back as JSON Lines
    /// records is not JSON Lines.
    #[error("{path}: not JSON Lines, so its documents cannot be written back as records")]
    NotJsonl {
        /// The input.
        path: PathBuf,
    },
    /// A file could not be written.
    #[error("{path}: cannot write")]
    Write {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

/// A number of bytes in the largest binary unit that divides it: `64 MiB`,
/// `1000 bytes`.
fn in_units(bytes: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Whether an I/O error is a loop of symbolic links (ELOOP), which the
/// standard library does not yet name on stable Rust.
pub fn is_link_loop(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    const ELOOP: i32 = 40;
    #[cfg(all(unix, not(target_os = "linux")))]
    const ELOOP: i32 = 62;
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}
