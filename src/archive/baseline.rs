//! A baseline: findings accepted once, so that a CI run fails only on new
//! ones (`lineage check --baseline`, `--write-baseline`).
//!
//! In: the findings of a check, or a baseline file. Out: the set of
//! accepted findings, and the file: JSON Lines, one
//! `{"derived":..,"source":..}` per accepted finding, sorted, written
//! atomically.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::archive::check::{DocCheck, Finding};
use crate::error::{Error, Result};

/// One accepted finding in a baseline file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Accepted {
    /// DERIVED's id.
    pub derived: String,
    /// SOURCE's id.
    pub source: String,
}

impl Accepted {
    /// The baseline entry that accepts `f`.
    pub fn of(f: &Finding) -> Accepted {
        Accepted {
            derived: f.report.derived.clone(),
            source: f.report.source.clone(),
        }
    }
}

/// The baseline that accepts every finding of `checks`.
pub fn accept_all(checks: &[DocCheck]) -> BTreeSet<Accepted> {
    checks
        .iter()
        .flat_map(|c| &c.findings)
        .map(Accepted::of)
        .collect()
}

/// Reads a baseline file; blank lines are skipped, and a line that is not
/// an entry is an error naming it.
///
/// # Examples
///
/// ```
/// use std::collections::BTreeSet;
/// use lineage::archive::baseline::{read, write, Accepted};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("baseline.jsonl");
/// let entry = Accepted { derived: "new.txt".into(), source: "old.txt".into() };
/// write(&path, &BTreeSet::from([entry.clone()]))?;
/// assert_eq!(std::fs::read_to_string(&path)?, "{\"derived\":\"new.txt\",\"source\":\"old.txt\"}\n");
/// assert!(read(&path)?.contains(&entry));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read(path: &Path) -> Result<BTreeSet<Accepted>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// The entries of a baseline file's text; `path` names it in errors.
fn parse(text: &str, path: &Path) -> Result<BTreeSet<Accepted>> {
    let mut out = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let a: Accepted = serde_json::from_str(line).map_err(|e| Error::BadBaseline {
            path: path.to_path_buf(),
            line: n + 1,
            message: e.to_string(),
        })?;
        out.insert(a);
    }
    Ok(out)
}

/// Writes `accepted` to `path` atomically (a temporary file, fsync,
/// rename), one entry a line, in order.
pub fn write(path: &Path, accepted: &BTreeSet<Accepted>) -> Result<()> {
    let mut text = String::new();
    for a in accepted {
        // Two strings: serialising cannot fail.
        if let Ok(line) = serde_json::to_string(a) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    crate::store::atomic::write_atomic(path, text.as_bytes()).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_is_an_error_naming_it() {
        let text = "{\"derived\":\"a\",\"source\":\"b\"}\n\nnot json\n";
        let err = parse(text, Path::new("b.jsonl")).unwrap_err().to_string();
        assert!(err.starts_with("b.jsonl:3: not a baseline entry"), "{err}");
        let one = parse(&text[..text.len() - 9], Path::new("b.jsonl")).unwrap();
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn writes_sorted_lines_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.jsonl");
        let entry = |d: &str, s: &str| Accepted {
            derived: d.into(),
            source: s.into(),
        };
        let set = BTreeSet::from([entry("z", "a"), entry("b", "c")]);
        write(&path, &set).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"derived\":\"b\",\"source\":\"c\"}\n{\"derived\":\"z\",\"source\":\"a\"}\n"
        );
        assert_eq!(read(&path).unwrap(), set);
    }
}
