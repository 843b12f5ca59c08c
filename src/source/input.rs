//! Reading documents from any input: the one entry point every command that
//! takes documents uses.
//!
//! [`Inputs::open`] expands paths ([`walk`](super::walk)); [`read_file`]
//! turns one file into zero or more documents according to its
//! [`InputFormat`], detected from the extension or the first bytes unless
//! forced. Each outcome is an [`Item`]: a document, a skip note, or an error
//! for that document alone, so one bad document never stops a batch.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::source::jsonl::{JsonlFields, JsonlReader};
use crate::source::walk::{self, read_bytes, InputPath, SkipReason, Skipped, Walk};
use crate::source::Document;

/// How to interpret an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InputFormat {
    /// Decide from the extension, then from the first bytes.
    #[default]
    Auto,
    /// Plain text: the whole file is one document.
    Text,
    /// JSON Lines: one document per line.
    Jsonl,
}

/// Options for reading inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputOptions {
    /// Forced format, or [`InputFormat::Auto`].
    pub format: InputFormat,
    /// JSONL field names.
    pub fields: JsonlFields,
}

/// One outcome of reading an input.
#[derive(Debug)]
pub enum Item {
    /// A document.
    Document(Document),
    /// Something skipped with a note (hidden or binary file in a directory).
    Skipped(Skipped),
    /// A document or file that could not be read; the others go on.
    Failed(Error),
}

/// The files behind a list of inputs, ready to read.
#[derive(Debug)]
pub struct Inputs {
    /// The expansion of the inputs.
    pub walk: Walk,
    /// Reading options.
    pub options: InputOptions,
}

impl Inputs {
    /// Expands `paths` (files, directories, `-`).
    pub fn open(paths: &[PathBuf], options: InputOptions) -> Inputs {
        Inputs {
            walk: walk::walk(paths),
            options,
        }
    }

    /// Reads every file in order (sequentially; callers that want
    /// parallelism map [`read_file`] over `walk.files` with rayon).
    pub fn read_all(&self) -> Vec<Item> {
        let mut items: Vec<Item> = self
            .walk
            .skipped
            .iter()
            .cloned()
            .map(Item::Skipped)
            .collect();
        for file in &self.walk.files {
            items.extend(read_file(file, &self.options));
        }
        items
    }
}

/// The format of `path` judged from its extension alone.
pub fn format_from_extension(path: &Path) -> Option<InputFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jsonl" | "ndjson" => InputFormat::Jsonl,
        "txt" | "text" | "md" => InputFormat::Text,
        _ => return None,
    })
}

/// The format of a file judged from its first bytes.
pub fn format_from_content(head: &[u8]) -> InputFormat {
    let head = head.trim_ascii_start();
    if head.starts_with(b"{") {
        // One JSON object per line: the first line must close its object.
        if let Some(end) = memchr::memchr(b'\n', head) {
            if head[..end].trim_ascii_end().ends_with(b"}") {
                return InputFormat::Jsonl;
            }
        }
    }
    InputFormat::Text
}

fn resolve(path: &Path, options: &InputOptions, head: &[u8]) -> InputFormat {
    match options.format {
        InputFormat::Auto => {
            format_from_extension(path).unwrap_or_else(|| format_from_content(head))
        }
        forced => forced,
    }
}

/// Reads one file into its documents.
pub fn read_file(file: &InputPath, options: &InputOptions) -> Vec<Item> {
    let path = &file.path;
    // JSONL files can be far larger than memory allows; stream them.
    if path.as_os_str() != "-"
        && (options.format == InputFormat::Jsonl
            || (options.format == InputFormat::Auto
                && format_from_extension(path) == Some(InputFormat::Jsonl)))
    {
        return match std::fs::File::open(path) {
            Ok(f) => JsonlReader::new(BufReader::new(f), path, options.fields.clone())
                .map(to_item)
                .collect(),
            Err(source) => vec![Item::Failed(Error::Read {
                path: path.clone(),
                source,
            })],
        };
    }
    let bytes = match read_bytes(path) {
        Ok(bytes) => bytes,
        Err(err) => return vec![Item::Failed(err)],
    };
    match resolve(path, options, &bytes[..bytes.len().min(4096)]) {
        InputFormat::Jsonl => JsonlReader::new(bytes.as_slice(), path, options.fields.clone())
            .map(to_item)
            .collect(),
        _ => vec![text_item(file, bytes)],
    }
}

fn to_item(result: Result<Document>) -> Item {
    match result {
        Ok(doc) => Item::Document(doc),
        Err(err) => Item::Failed(err),
    }
}

fn text_item(file: &InputPath, bytes: Vec<u8>) -> Item {
    match Document::from_bytes(file.path.to_string_lossy(), bytes) {
        Ok(doc) => Item::Document(doc),
        Err(Error::Binary { path, offset }) if file.walked => Item::Skipped(Skipped {
            path,
            reason: SkipReason::Binary { offset },
        }),
        Err(err) => Item::Failed(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_of_mixed_inputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "plain text").unwrap();
        std::fs::write(dir.path().join("b.bin"), b"\x00\x01").unwrap();
        std::fs::write(
            dir.path().join("c.jsonl"),
            "{\"id\":\"x\",\"text\":\"one\"}\n{\"id\":\"y\",\"text\":\"two\"}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("d.data"),
            "{\"id\":\"z\",\"text\":\"three\"}\n",
        )
        .unwrap();
        let items = Inputs::open(&[dir.path().to_path_buf()], InputOptions::default()).read_all();
        let ids: Vec<String> = items
            .iter()
            .filter_map(|i| match i {
                Item::Document(d) => Some(d.id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(ids[1..], ["x", "y", "z"]);
        assert!(ids[0].ends_with("a.txt"));
        assert!(items.iter().any(
            |i| matches!(i, Item::Skipped(s) if matches!(s.reason, SkipReason::Binary { .. }))
        ));
    }

    #[test]
    fn named_binary_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.bin");
        std::fs::write(&p, b"\x00\x01").unwrap();
        let items = read_file(
            &InputPath {
                path: p,
                walked: false,
            },
            &InputOptions::default(),
        );
        assert!(matches!(items[..], [Item::Failed(Error::Binary { .. })]));
    }
}
