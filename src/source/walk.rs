//! Expanding command-line inputs into the files to read.
//!
//! A file is taken as given; `-` is standard input; a directory is walked
//! recursively in a stable order (sorted by name) with the
//! [`ignore`](https://docs.rs/ignore) crate, as ripgrep and fd walk:
//!
//! - hidden entries (names starting with `.`) are skipped with a note;
//! - files matched by a `.gitignore` or `.ignore` file inside the walked
//!   folder are left out silently, unless [`WalkOptions::ignore_files`] is
//!   off (`--no-ignore`);
//! - [`WalkOptions::globs`] (`--glob`) keep only the files matching a glob
//!   and leave out those matching a `!glob`; as in ripgrep, a glob wins
//!   over the ignore files for the files it matches (a folder the ignore
//!   files leave out is still not entered).
//!
//! Only the ignore files at or below the walked folder count: not those of
//! the folders above it, not `.git/info/exclude`, not the user's global
//! git excludes, and a `.gitignore` counts whether or not the folder is in
//! a git repository (`require_git(false)`). So the documents read from a
//! folder depend on the folder alone, wherever it is copied or unpacked,
//! and not on the machine's git set-up; a corpus is seldom a git
//! repository, and one that ships a `.gitignore` means it.
//!
//! Files named on the command line are read whatever the globs and ignore
//! files say. Whether a walked file is binary is only known once it is
//! read: [`InputPath::walked`] tells the reader to skip such a file with a
//! note instead of failing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Error, Result};

/// How directories are walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOptions {
    /// Globs matched against paths relative to the walked folder, in the
    /// syntax of `.gitignore` (`*.jsonl`, `2024/**/*.html`): when any glob
    /// without a leading `!` is given, only files matching one are read;
    /// a file matching a `!glob` is left out (as is a directory, with
    /// everything in it). A later glob wins over an earlier one, and a glob
    /// wins over the ignore files for the files it matches (a folder they
    /// leave out is still not entered).
    pub globs: Vec<String>,
    /// Leave out what `.gitignore` and `.ignore` files inside the walked
    /// folder name (default true; `--no-ignore` turns it off).
    pub ignore_files: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            globs: Vec::new(),
            ignore_files: true,
        }
    }
}

impl WalkOptions {
    /// Checks that every glob parses, as [`Error::InvalidParam`] naming
    /// the first that does not.
    pub fn validate(&self) -> Result<()> {
        self.overrides(Path::new(".")).map(|_| ())
    }

    /// The globs as the walker's overrides for a walk of `root`.
    fn overrides(&self, root: &Path) -> Result<ignore::overrides::Override> {
        let mut builder = ignore::overrides::OverrideBuilder::new(root);
        for glob in &self.globs {
            builder
                .add(glob)
                .map_err(|e| Error::InvalidParam(format!("glob {glob:?}: {}", glob_error(&e))))?;
        }
        builder
            .build()
            .map_err(|e| Error::InvalidParam(format!("globs: {}", glob_error(&e))))
    }
}

/// What the glob parser said, without the glob repeated.
fn glob_error(err: &ignore::Error) -> String {
    match err {
        ignore::Error::Glob { err, .. } => err.clone(),
        other => other.to_string(),
    }
}

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

impl Walk {
    /// The files to read, in reading order.
    pub fn files(&self) -> &[InputPath] {
        &self.files
    }

    /// The entries skipped with a note (hidden entries).
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

fn is_ignore_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == ".gitignore" || n == ".ignore")
}

/// Expands `inputs` (files, directories, `-`) into the files to read,
/// walking directories as `options` say. Globs that do not parse are one
/// error and nothing is read.
pub(crate) fn walk(inputs: &[PathBuf], options: &WalkOptions) -> Walk {
    let mut out = Walk::default();
    if let Err(err) = options.validate() {
        out.errors.push(err);
        return out;
    }
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
            Ok(meta) if meta.is_dir() => walk_dir(input, options, &mut out),
            Ok(_) => out.files.push(InputPath {
                path: input.clone(),
                walked: false,
            }),
        }
    }
    out
}

fn walk_dir(root: &Path, options: &WalkOptions, out: &mut Walk) {
    let overrides = match options.overrides(root) {
        Ok(o) => o,
        Err(err) => {
            out.errors.push(err);
            return;
        }
    };
    // Hidden entries are filtered here rather than by the walker, which
    // would drop them silently: each gets a note. The filter sees an entry
    // after the ignore files and globs, so an ignored hidden file gets
    // none. The walk is sequential, so the notes come in walk order.
    let hidden = Arc::new(Mutex::new(Vec::new()));
    let noted = Arc::clone(&hidden);
    let ignore_files = options.ignore_files;
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .hidden(false)
        .parents(false)
        .require_git(false)
        .git_global(false)
        .git_exclude(false)
        .git_ignore(options.ignore_files)
        .ignore(options.ignore_files)
        .overrides(overrides)
        .filter_entry(move |entry| {
            let skip = entry.depth() > 0 && is_hidden(entry.path());
            // An ignore file that is honoured is part of the walk's
            // instructions, not a document someone hid: no note.
            if skip && !(ignore_files && is_ignore_file(entry.path())) {
                noted
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(entry.path().to_path_buf());
            }
            !skip
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                out.errors.push(walk_error(root, err));
                continue;
            }
        };
        // Skip notes found while reaching this entry go first, so that
        // notes and files keep the walk's order.
        out.skipped.extend(drain_hidden(&hidden));
        if entry.file_type().is_some_and(|t| t.is_file()) {
            out.files.push(InputPath {
                path: entry.into_path(),
                walked: true,
            });
        }
    }
    out.skipped.extend(drain_hidden(&hidden));
}

fn drain_hidden(hidden: &Mutex<Vec<PathBuf>>) -> Vec<Skipped> {
    let mut paths = hidden.lock().unwrap_or_else(PoisonError::into_inner);
    paths
        .drain(..)
        .map(|path| Skipped {
            path,
            reason: SkipReason::Hidden,
        })
        .collect()
}

/// A walk error as [`Error::Read`] naming the entry that failed (a loop of
/// symbolic links keeps its ELOOP, so the binary can name it; an ignore
/// file that does not parse is named with its line).
fn walk_error(root: &Path, err: ignore::Error) -> Error {
    fn path_of(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            ignore::Error::Partial(errs) => errs.iter().find_map(path_of),
            _ => None,
        }
    }
    let path = path_of(&err).unwrap_or(root).to_path_buf();
    let source = if err.is_io() {
        err.into_io_error()
            .map(os_error)
            .unwrap_or_else(|| std::io::Error::other("cannot list"))
    } else if let ignore::Error::Loop { .. } = strip_depth(&err) {
        std::io::Error::other("filesystem loop")
    } else {
        std::io::Error::other(err.to_string())
    };
    Error::Read { path, source }
}

/// The operating system's error inside the walker's wrapping of it, so
/// that its kind and number (ELOOP, EACCES) reach the message and the hint.
fn os_error(err: std::io::Error) -> std::io::Error {
    let code = err
        .get_ref()
        .and_then(|wrapped| wrapped.source())
        .and_then(|inner| inner.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error);
    match code {
        Some(code) if err.raw_os_error().is_none() => std::io::Error::from_raw_os_error(code),
        _ => err,
    }
}

fn strip_depth(err: &ignore::Error) -> &ignore::Error {
    match err {
        ignore::Error::WithDepth { err, .. } => strip_depth(err),
        other => other,
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
        let w = walk(&[dir.path().to_path_buf()], &WalkOptions::default());
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
        let w = walk(
            &[PathBuf::from("/no/such/lineage/input")],
            &WalkOptions::default(),
        );
        assert_eq!(w.errors.len(), 1);
        assert!(w.files.is_empty());
    }
}
