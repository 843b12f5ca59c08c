//! Tab-separated lists of documents: `--pairs` files (`DERIVED<TAB>SOURCE`)
//! and labelled evaluation files (`DERIVED<TAB>SOURCE<TAB>LABEL`).
//!
//! Blank lines and lines starting with `#` are skipped. Each line parses on
//! its own: a malformed line is an [`Error::Malformed`] naming the file and
//! line, and the other lines are still returned.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One line of a list file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// 1-based line number in the list file.
    pub line: usize,
    /// The DERIVED path.
    pub derived: PathBuf,
    /// The SOURCE path.
    pub source: PathBuf,
    /// Remaining tab-separated columns.
    pub extra: Vec<String>,
}

/// Parses a list file's text; `path` only names the file in errors.
/// `min_columns` is 2 for pairs, 3 for labelled files.
pub fn parse_list(path: &Path, text: &str, min_columns: usize) -> Vec<Result<ListEntry>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim_end_matches('\r');
        if trimmed.trim().is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        let columns: Vec<&str> = trimmed.split('\t').collect();
        let malformed = |message: String| Error::Malformed {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        if columns.len() < min_columns {
            let want = if min_columns == 2 {
                "DERIVED<TAB>SOURCE"
            } else {
                "DERIVED<TAB>SOURCE<TAB>LABEL"
            };
            out.push(Err(malformed(format!(
                "expected {min_columns} tab-separated columns ({want}), found {}",
                columns.len()
            ))));
            continue;
        }
        if let Some(empty) = columns[..min_columns]
            .iter()
            .position(|c| c.trim().is_empty())
        {
            out.push(Err(malformed(format!("column {} is empty", empty + 1))));
            continue;
        }
        if columns[..2].iter().any(|c| c.trim() == "-") {
            // Many lines scored in parallel cannot share standard input.
            out.push(Err(malformed(
                "- (standard input) cannot be used in a list file, give a path".into(),
            )));
            continue;
        }
        out.push(Ok(ListEntry {
            line: line_no,
            derived: PathBuf::from(columns[0].trim()),
            source: PathBuf::from(columns[1].trim()),
            extra: columns[2..].iter().map(|c| c.trim().to_string()).collect(),
        }));
    }
    out
}

/// Longest list read from standard input: a list is not a document, but
/// an endless stream must still end.
const STDIN_LIST_LIMIT: u64 = 1 << 30;

/// Reads and parses a list file, or standard input for `-`.
pub fn read_list(path: &Path, min_columns: usize) -> Result<Vec<Result<ListEntry>>> {
    if path == Path::new("-") {
        let bytes = crate::source::walk::read_bytes(path, STDIN_LIST_LIMIT)?;
        return Ok(parse_list(
            path,
            &String::from_utf8_lossy(&bytes),
            min_columns,
        ));
    }
    if path.is_dir() {
        return Err(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(parse_list(path, &text, min_columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_skips_and_reports() {
        let text = "# comment\na.txt\tb.txt\textra\n\nonly-one-column\n\tb.txt\n";
        let got = parse_list(Path::new("p.tsv"), text, 2);
        assert_eq!(got.len(), 3);
        let first = got[0].as_ref().unwrap();
        assert_eq!(first.line, 2);
        assert_eq!(first.extra, ["extra"]);
        let err = got[1].as_ref().unwrap_err().to_string();
        assert!(err.starts_with("p.tsv:4:"), "{err}");
        assert!(got[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("column 1 is empty"));
    }
}
