//! Untrusted Parquet files, opened and decoded so that damage becomes an
//! error naming the file, never a panic or an allocation the file's size
//! cannot justify.
//!
//! In: a path, and how the caller names damage (a sketch file's reader
//! calls it [`Error::Corrupt`], a table of documents
//! [`Error::BadTable`]). Out: the `parquet` crate's reader, opened after
//! [`pages`] has walked the footer and every page header; and [`guarded`],
//! which runs the decoding and turns a panic inside the crate into that
//! error. Used by `source::table` and `store::parquet`.

use std::cell::Cell;
use std::fs::File;
use std::path::Path;
use std::sync::Once;

use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::error::{Error, Result};

mod pages;

/// Opens the Parquet file at `path` for decoding, after checking its footer
/// and page headers ([`pages`]); `damaged` turns a message about the file
/// into the caller's error.
pub(crate) fn open(
    path: &Path,
    damaged: impl Fn(String) -> Error,
) -> Result<SerializedFileReader<File>> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let mut pages = file.try_clone().map_err(read_error)?;
    let file_len = pages.metadata().map(|m| m.len()).unwrap_or(0);
    pages::check_footer(&mut pages, file_len).map_err(&damaged)?;
    let reader =
        SerializedFileReader::new(file).map_err(|e| damaged(format!("not a Parquet file: {e}")))?;
    let chunks = reader
        .metadata()
        .row_groups()
        .iter()
        .flat_map(|group| group.columns())
        .map(|column| column.byte_range());
    pages::check(&mut pages, file_len, chunks).map_err(damaged)?;
    Ok(reader)
}

thread_local! {
    /// Set while this thread runs [`guarded`]: its panics are not printed.
    static SILENT: Cell<bool> = const { Cell::new(false) };
}

/// Runs a reader of an untrusted Parquet file, turning a panic inside the
/// `parquet` crate (a damaged file reaches `panic!`s and failed slice
/// bounds in its decoders; `tests/data/reliability` has such files) into
/// the error `damaged` makes of the message. The crate's message is kept
/// off the terminal by a panic hook installed once, which stays silent only
/// on a thread inside this function and hands every other panic to the
/// hook it replaced, so files read in parallel do not race on the hook.
pub(crate) fn guarded<T>(
    read: impl FnOnce() -> Result<T>,
    damaged: impl FnOnce(String) -> Error,
) -> Result<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !SILENT.with(Cell::get) {
                previous(info);
            }
        }));
    });
    SILENT.with(|s| s.set(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    SILENT.with(|s| s.set(false));
    outcome.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        // One line, of a readable length: some messages dump whole types.
        let mut why = why.lines().next().unwrap_or("").to_string();
        if let Some((cut, _)) = why.char_indices().nth(120) {
            why.truncate(cut);
            why.push_str("...");
        }
        Err(damaged(format!(
            "the Parquet decoder failed on damaged data ({why})"
        )))
    })
}
