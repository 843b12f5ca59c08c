//! Expanding command-line inputs into the files to read.
//!
//! A file is taken as given; `-` is standard input; a directory is walked
//! recursively in a stable order (sorted by name), skipping hidden entries
//! (names starting with `.`) with a note. Whether a walked file is binary is
//! only known once it is read: [`InputPath::walked`] tells the reader to skip
//! such a file with a note instead of failing.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file to read and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPath {
    /// The file (or `-`).
    pub path: PathBuf,
    /// Found by walking a directory rather than named by the user.
    pub walked: bool,
}

/// Why an input was skipped without being an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A hidden file or directory inside a walked directory.
    Hidden,
    /// A binary file (NUL byte) inside a walked directory.
    Binary {
        /// Offset of the first NUL byte.
        offset: usize,
    },
    /// A feed item with no text (a link-only item): its position and its
    /// link or id, as in `#3 (https://...)`.
    NoText {
        /// Which item.
        item: String,
    },
}

/// An input skipped with a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// What was skipped.
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            SkipReason::Hidden => write!(f, "{}: skipped hidden entry", self.path.display()),
            SkipReason::Binary { offset } => write!(
                f,
                "{}: skipped binary file (NUL byte at offset {offset})",
                self.path.display()
            ),
            SkipReason::NoText { item } => write!(
                f,
                "{}: skipped feed item {item}: no text (no content, summary or description; fetch the page to read it as HTML)",
                self.path.display()
            ),
        }
    }
}

/// The expansion of a list of inputs.
#[derive(Debug, Default)]
pub struct Walk {
    /// Files to read, in a deterministic order.
    pub(crate) files: Vec<InputPath>,
    /// Entries skipped with a note.
    pub(crate) skipped: Vec<Skipped>,
    /// Inputs that could not be listed (missing path, unreadable directory).
    pub errors: Vec<Error>,
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// Expands `inputs` (files, directories, `-`) into the files to read.
pub(crate) fn walk(inputs: &[PathBuf]) -> Walk {
    let mut out = Walk::default();
    for input in inputs {
        if input.as_os_str() == "-" {
            out.files.push(InputPath {
                path: input.clone(),
                walked: false,
            });
            continue;
        }
        match std::fs::metadata(input) {
            Err(source) => out.errors.push(Error::Read {
                path: input.clone(),
                source,
            }),
            Ok(meta) if meta.is_dir() => walk_dir(input, &mut out),
            Ok(_) => out.files.push(InputPath {
                path: input.clone(),
                walked: false,
            }),
        }
    }
    out
}

fn walk_dir(root: &Path, out: &mut Walk) {
    let mut it = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    loop {
        let entry = match it.next() {
            None => break,
            Some(Ok(entry)) => entry,
            Some(Err(err)) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                let source = err
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
                out.errors.push(Error::Read { path, source });
                continue;
            }
        };
        if entry.depth() > 0 && is_hidden(entry.path()) {
            out.skipped.push(Skipped {
                path: entry.path().to_path_buf(),
                reason: SkipReason::Hidden,
            });
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_file() {
            out.files.push(InputPath {
                path: entry.into_path(),
                walked: true,
            });
        }
    }
}

/// Reads a whole file, or standard input for `-`, of at most `limit`
/// bytes: a regular file longer than that is [`Error::TooLarge`] before
/// anything is read, a stream (a pipe, a device) once `limit` bytes have
/// come without an end. I/O errors are [`Error::Read`].
pub(crate) fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        return read_capped(std::io::stdin().lock(), path, limit, Vec::new());
    }
    let (file, size) = open_file(path)?;
    let mut buf = Vec::new();
    if let Some(size) = size {
        if size > limit {
            return Err(too_large(path, limit));
        }
        buf.reserve_exact(usize::try_from(size).unwrap_or(0).saturating_add(1));
    }
    read_capped(file, path, limit, buf)
}

/// Opens a file for reading, with its size when it is a regular file
/// (`None` for a pipe or a device, which are read as streams).
pub(crate) fn open_file(path: &Path) -> Result<(std::fs::File, Option<u64>)> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        return Err(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let file = std::fs::File::open(path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    Ok((file, meta.is_file().then_some(meta.len())))
}

/// Appends what `reader` holds to `buf` (which may already hold the first
/// bytes of the same input), refusing more than `limit` bytes in all
/// without reading past `limit + 1`.
pub(crate) fn read_capped(
    reader: impl std::io::Read,
    path: &Path,
    limit: u64,
    mut buf: Vec<u8>,
) -> Result<Vec<u8>> {
    use std::io::Read;
    let room = limit.saturating_add(1).saturating_sub(buf.len() as u64);
    reader
        .take(room)
        .read_to_end(&mut buf)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(buf)
}

fn too_large(path: &Path, limit: u64) -> Error {
    Error::TooLarge {
        path: path.to_path_buf(),
        line: None,
        limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/x"), "x").unwrap();
        std::fs::write(dir.path().join("b.txt"), "b").unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("sub/c.txt"), "c").unwrap();
        std::fs::write(dir.path().join(".hidden"), "h").unwrap();
        let w = walk(&[dir.path().to_path_buf()]);
        let names: Vec<_> = w
            .files
            .iter()
            .map(|f| f.path.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            vec![
                PathBuf::from("a.txt"),
                PathBuf::from("b.txt"),
                PathBuf::from("sub/c.txt")
            ]
        );
        assert_eq!(w.skipped.len(), 2);
        assert!(w.errors.is_empty());
    }

    #[test]
    fn missing_path_is_an_error() {
        let w = walk(&[PathBuf::from("/no/such/lineage/input")]);
        assert_eq!(w.errors.len(), 1);
        assert!(w.files.is_empty());
    }
}
