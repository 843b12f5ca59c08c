//! Reading documents from any input: the one entry point every command that
//! takes documents uses.
//!
//! [`Inputs::open`] expands paths ([`walk`]); [`read_file`]
//! turns one file into zero or more documents according to its
//! [`InputFormat`], detected from the extension or the first bytes unless
//! forced: plain text, JSON Lines ([`jsonl`](super::jsonl)), HTML pages
//! ([`html`](super::html)) and feeds ([`feed`](super::feed)). Standard
//! input has no extension, so its format comes from its first bytes. Each
//! outcome is an [`Item`]: a document, a skip note, or an error
//! for that document alone, so one bad document never stops a batch.
//! Files read whole are read in parallel on the rayon pool, their items
//! always handed on in input order ([`Inputs::read_all`],
//! [`Inputs::read_each`]).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::source::feed::{looks_like_json_feed, looks_like_xml_feed, read_feed};
use crate::source::html::{looks_like_html, read_page};
use crate::source::jsonl::{JsonlFields, JsonlReader};
use crate::source::table::{has_parquet_magic, read_table};
use crate::source::walk::{
    self, open_file, read_capped, InputPath, SkipReason, Skipped, Walk, WalkOptions,
};
use crate::source::{Document, DEFAULT_MAX_DOC_BYTES};

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
    /// An HTML page: its main text is one document.
    Html,
    /// An RSS, Atom or JSON Feed file: one document per item.
    Feed,
    /// An Apache Parquet table: one document per row (see
    /// [`table`](super::table)).
    Parquet,
}

/// Options for reading inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputOptions {
    /// Forced format, or [`InputFormat::Auto`].
    pub format: InputFormat,
    /// JSONL field names.
    pub fields: JsonlFields,
    /// Longest document read, in bytes: a text, HTML or feed file, or one
    /// JSON Lines record. A longer one is an [`Error::TooLarge`] for it
    /// alone.
    pub max_doc_bytes: u64,
    /// Id of a text or page read from standard input (`-` when `None`).
    pub stdin_id: Option<String>,
    /// How folders are walked: globs and ignore files.
    pub walk: WalkOptions,
    /// Whether an HTML page's document carries the map from its text back
    /// to the page ([`Document::source_map`]), which reports of passages
    /// need; a command that reports no offsets can save its cost.
    pub source_maps: bool,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            format: InputFormat::Auto,
            fields: JsonlFields::default(),
            max_doc_bytes: DEFAULT_MAX_DOC_BYTES,
            stdin_id: None,
            walk: WalkOptions::default(),
            source_maps: true,
        }
    }
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
    pub(crate) options: InputOptions,
}

impl Inputs {
    /// Expands `paths` (files, directories, `-`).
    pub fn open(paths: &[PathBuf], options: InputOptions) -> Inputs {
        Inputs {
            walk: walk::walk(paths, &options.walk),
            options,
        }
    }

    /// Reads every file: the skip notes of the walk first, then each file's
    /// items in input order (files are read in parallel on the rayon pool;
    /// the order does not depend on the number of threads).
    pub fn read_all(&self) -> Vec<Item> {
        use rayon::prelude::*;
        let mut items: Vec<Item> = self
            .walk
            .skipped
            .iter()
            .cloned()
            .map(Item::Skipped)
            .collect();
        let per_file: Vec<Vec<Item>> = self
            .walk
            .files
            .par_iter()
            .map(|file| read_file(file, &self.options))
            .collect();
        items.extend(per_file.into_iter().flatten());
        items
    }

    /// Reads the JSON Lines records of the inputs again and hands each
    /// document to `f` with its number among the documents (from 0, in
    /// the order of [`Inputs::read_all`], which is the order of the
    /// fingerprints `corpus::fingerprint_corpus` makes) and its line as
    /// read, byte for byte with its line end (a compressed input's line
    /// as decompressed). Returns how many documents there were.
    ///
    /// It is how a command writes back the records it keeps: it needs no
    /// more memory than one record, and `f` can check each document's id
    /// against what the first reading gave, should the files have changed
    /// in between. What could not be read is passed over as in the first
    /// reading (a file that could not be opened, a malformed or too long
    /// line), so the numbers agree. An input that holds documents but is
    /// not JSON Lines (a text, a page, a feed) is [`Error::NotJsonl`]: it
    /// has no record to write back.
    pub fn for_each_record<E: From<Error>>(
        &self,
        mut f: impl FnMut(usize, &Document, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<usize, E> {
        let mut number = 0;
        for file in &self.walk.files {
            if is_table(&file.path, &self.options) {
                return Err(Error::NotJsonl {
                    path: file.path.clone(),
                }
                .into());
            }
            let reader: Box<dyn BufRead + Send> = match open(&file.path, &self.options) {
                Err(_) => continue,
                Ok(Opened::Lines(reader, _)) => reader,
                Ok(Opened::Whole(InputFormat::Jsonl, bytes)) => {
                    Box::new(std::io::Cursor::new(bytes))
                }
                Ok(Opened::Whole(format, bytes)) => {
                    let items = whole_items(file, &self.options, format, bytes);
                    if items.iter().any(|i| matches!(i, Item::Document(_))) {
                        return Err(Error::NotJsonl {
                            path: file.path.clone(),
                        }
                        .into());
                    }
                    continue;
                }
            };
            let mut records = JsonlReader::new(reader, &file.path, self.options.fields.clone())
                .with_limit(self.options.max_doc_bytes);
            while let Some(result) = records.next() {
                if let Ok(doc) = result {
                    f(number, &doc, records.raw_line())?;
                    number += 1;
                }
            }
        }
        Ok(number)
    }

    /// Reads every file and hands every item to `f`, in the order of
    /// [`Inputs::read_all`] whatever the number of threads, without holding
    /// all the inputs in memory.
    ///
    /// The files are taken in windows of four per thread of the rayon
    /// pool. In a window, each file read whole (a text, a page, a feed)
    /// is opened and turned into its items on the pool, since extracting
    /// a page's main text costs far more than reading it, and one core
    /// would otherwise do it all; then the window's items go to `f` on
    /// the calling thread, file after file, before the next window is
    /// read. JSON Lines (named `.jsonl`, or forced with the format),
    /// standard input and Parquet tables are read in their turn on the
    /// calling thread, as before, a record at a time (a table whole); a
    /// JSON Lines file not named so is opened on the pool and its
    /// records read in its turn. So memory holds at most one window of
    /// files read whole, which ends before 256 MiB (each
    /// compressed file counted as [`InputOptions::max_doc_bytes`], the
    /// most it may give), one record, or one table, however many inputs
    /// there are.
    pub fn read_each(&self, mut f: impl FnMut(Item)) {
        use rayon::prelude::*;
        for skipped in &self.walk.skipped {
            f(Item::Skipped(skipped.clone()));
        }
        let window = rayon::current_num_threads()
            .saturating_mul(WINDOW_PER_THREAD)
            .max(1);
        let mut rest = self.walk.files.as_slice();
        while !rest.is_empty() {
            let (files, after) =
                rest.split_at(window_len(rest, window, self.options.max_doc_bytes));
            rest = after;
            let read: Vec<Prepared> = files
                .par_iter()
                .map(|file| prepare(file, &self.options))
                .collect();
            for (file, read) in files.iter().zip(read) {
                match read {
                    Prepared::Items(items) => items.into_iter().for_each(&mut f),
                    Prepared::Lines(reader) => {
                        for_each_record_item(reader, file, &self.options, &mut f)
                    }
                    Prepared::InTurn => for_each_item(file, &self.options, &mut f),
                }
            }
        }
    }
}

/// How many files per thread of the rayon pool [`Inputs::read_each`] reads
/// at once: enough that the threads share a window's pages evenly (a
/// window waits for its slowest file), few enough that the window's
/// documents stay a small part of memory.
const WINDOW_PER_THREAD: usize = 4;

/// Bytes of the files of one window of [`Inputs::read_each`] (the first
/// file of a window is taken whatever its size): with many cores, four
/// files a thread of large pages would otherwise be held at once.
const WINDOW_BYTES: u64 = 256 << 20;

/// How many of the first `files` make the next window of
/// [`Inputs::read_each`]: at most `most`, and no more than
/// [`WINDOW_BYTES`] (at least one). A file's size is its size on disk;
/// a compressed file, or one whose size is not known (a pipe), counts as
/// `max_doc_bytes`, the most text it may give.
fn window_len(files: &[InputPath], most: usize, max_doc_bytes: u64) -> usize {
    let mut bytes = 0u64;
    for (n, file) in files.iter().take(most).enumerate() {
        let size = match std::fs::metadata(&file.path) {
            Ok(m) if m.is_file() && Compression::of_name(&file.path).is_none() => m.len(),
            _ => max_doc_bytes,
        };
        bytes = bytes.saturating_add(size);
        if n > 0 && bytes > WINDOW_BYTES {
            return n;
        }
    }
    files.len().min(most)
}

/// A file of a window of [`Inputs::read_each`], as far as it is read on
/// the rayon pool.
enum Prepared {
    /// A file read whole, or one that could not be opened: its items.
    Items(Vec<Item>),
    /// A JSON Lines input, opened, its records to be read in its turn.
    Lines(Box<dyn BufRead + Send>),
    /// Standard input or a Parquet table: read entirely in its turn.
    InTurn,
}

/// Reads what of `file` can be read ahead of its turn (see [`Prepared`]).
/// Standard input is left to its turn so that it is read in its place
/// even when named twice; a table because it may hold a whole corpus,
/// which is not to be held beside a window of other files; JSON Lines
/// so that a window of shards does not hold a window of open files and
/// decompressors.
fn prepare(file: &InputPath, options: &InputOptions) -> Prepared {
    let jsonl = known_format(&file.path, options) == Some(InputFormat::Jsonl);
    if file.path == Path::new("-") || jsonl || is_table(&file.path, options) {
        return Prepared::InTurn;
    }
    match open(&file.path, options) {
        Err(err) => Prepared::Items(vec![Item::Failed(err)]),
        Ok(Opened::Lines(reader, _)) => Prepared::Lines(reader),
        Ok(Opened::Whole(format, bytes)) => {
            Prepared::Items(whole_items(file, options, format, bytes))
        }
    }
}

/// The format of `path` judged from its extension alone, after a `.gz` or
/// `.zst` (`corpus.jsonl.gz` is JSON Lines). `.xml` and `.json` are not
/// decided here: such a file is a feed only if its content looks
/// like one ([`format_from_content`]).
pub(crate) fn format_from_extension(path: &Path) -> Option<InputFormat> {
    // `corpus.jsonl.gz` is JSON Lines.
    let path = match Compression::of_name(path) {
        Some(_) => Path::new(path.file_stem()?),
        None => path,
    };
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jsonl" | "ndjson" => InputFormat::Jsonl,
        "txt" | "text" | "md" => InputFormat::Text,
        "html" | "htm" | "xhtml" => InputFormat::Html,
        "rss" | "atom" => InputFormat::Feed,
        "parquet" => InputFormat::Parquet,
        _ => return None,
    })
}

/// The format of `path` before its content is read: the one forced by
/// the options, else the one its extension names.
fn known_format(path: &Path, options: &InputOptions) -> Option<InputFormat> {
    match options.format {
        InputFormat::Auto => format_from_extension(path),
        forced => Some(forced),
    }
}

/// The format of a file judged from its first bytes: an `<rss>`, `<feed>`
/// or `<rdf:RDF>` root (after any `<?xml ...?>`) or a JSON Feed object is a
/// feed, a doctype or `<html>` root is HTML, an object closed on its first
/// line is JSON Lines, anything else is text.
pub(crate) fn format_from_content(head: &[u8]) -> InputFormat {
    if head.starts_with(b"PAR1") {
        return InputFormat::Parquet;
    }
    // A feed or a page in UTF-16 or UTF-32 is told by its text, not by
    // its bytes, in which every other byte is 0.
    let narrowed;
    let head = match crate::source::decode::wide(head) {
        Some(text) => {
            narrowed = text;
            narrowed.as_bytes()
        }
        None => head,
    };
    if looks_like_xml_feed(head) || looks_like_json_feed(head) {
        return InputFormat::Feed;
    }
    if looks_like_html(head) {
        return InputFormat::Html;
    }
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

/// The bytes of the head of an input its format is told from.
const HEAD: usize = 4096;

/// The read buffer of a JSON Lines input.
pub(crate) const JSONL_BUFFER: usize = 256 << 10;

/// An input opened for reading, its format known.
pub(crate) enum Opened {
    /// JSON Lines, to read a record at a time, with the bytes it holds
    /// when that is known (a regular file, not compressed).
    Lines(Box<dyn BufRead + Send>, Option<u64>),
    /// Any other format, read whole.
    Whole(InputFormat, Vec<u8>),
}

/// A compression an input may come in, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    fn of_head(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    fn of_name(path: &Path) -> Option<Compression> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "gz" | "gzip" => Some(Compression::Gzip),
            "zst" | "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// Whether the name of `path` says it is compressed (`.gz`, `.zst`).
pub(crate) fn compressed_by_name(path: &Path) -> bool {
    Compression::of_name(path).is_some()
}

/// Reads the first `n` bytes of `reader` (fewer at its end).
fn read_head(reader: &mut dyn Read, n: usize, path: &Path) -> Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    reader
        .take(n as u64)
        .read_to_end(&mut head)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(head)
}

/// Opens `path` (`-` is standard input) and tells its format: forced, else
/// by extension (after a `.gz` or `.zst`), else by its first bytes. Gzip
/// and zstd, told by their magic bytes, are decompressed as a stream. A
/// regular file longer than the limit is refused before it is read; a
/// stream (standard input, a pipe, a device, a decompressed file) is read
/// under the same limit, and JSON Lines, from a file or a stream, a record
/// at a time, so memory never follows the input's size.
pub(crate) fn open(path: &Path, options: &InputOptions) -> Result<Opened> {
    let limit = options.max_doc_bytes;
    let known = known_format(path, options);
    let (mut reader, mut size): (Box<dyn Read + Send>, Option<u64>) = if path == Path::new("-") {
        (Box::new(std::io::stdin()), None)
    } else {
        let (file, size) = open_file(path)?;
        (Box::new(file), size)
    };
    let magic = read_head(&mut reader, 4, path)?;
    let compression = Compression::of_head(&magic);
    let reader = std::io::Cursor::new(magic).chain(reader);
    let mut reader: Box<dyn Read + Send> = match compression {
        None => Box::new(reader),
        Some(Compression::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        Some(Compression::Zstd) => {
            Box::new(zstd::Decoder::new(reader).map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?)
        }
    };
    if compression.is_some() {
        size = None;
    }
    if known == Some(InputFormat::Jsonl) {
        return Ok(Opened::Lines(
            Box::new(BufReader::with_capacity(JSONL_BUFFER, reader)),
            size,
        ));
    }
    if size.is_some_and(|size| size > limit) {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            line: None,
            limit,
        });
    }
    let head = read_head(&mut reader, HEAD, path)?;
    let format = known.unwrap_or_else(|| format_from_content(&head));
    if format == InputFormat::Jsonl {
        let reader = std::io::Cursor::new(head).chain(reader);
        return Ok(Opened::Lines(
            Box::new(BufReader::with_capacity(JSONL_BUFFER, reader)),
            size,
        ));
    }
    let mut bytes = head;
    if let Some(size) = size {
        bytes.reserve_exact(usize::try_from(size).unwrap_or(0).saturating_add(1));
    }
    read_capped(reader, path, limit, bytes).map(|bytes| Opened::Whole(format, bytes))
}

/// Whether `path` is to be read as a Parquet table: so named or forced,
/// or a file of another name that starts with Parquet's magic bytes.
/// Such a file is read by seeking, not through [`open`].
fn is_table(path: &Path, options: &InputOptions) -> bool {
    match options.format {
        InputFormat::Parquet => path != Path::new("-"),
        InputFormat::Auto => match format_from_extension(path) {
            Some(InputFormat::Parquet) => !compressed_by_name(path),
            Some(_) => false,
            None => path != Path::new("-") && has_parquet_magic(path),
        },
        _ => false,
    }
}

/// Reads one file into its documents.
pub fn read_file(file: &InputPath, options: &InputOptions) -> Vec<Item> {
    let mut items = Vec::new();
    for_each_item(file, options, &mut |item| items.push(item));
    items
}

/// Reads one file, handing each of its items to `f` as it is read (JSON
/// Lines a record at a time).
fn for_each_item(file: &InputPath, options: &InputOptions, f: &mut impl FnMut(Item)) {
    if is_table(&file.path, options) {
        read_table(&file.path, &options.fields, options.max_doc_bytes)
            .into_iter()
            .map(to_item)
            .for_each(f);
        return;
    }
    match open(&file.path, options) {
        Err(err) => f(Item::Failed(err)),
        Ok(Opened::Lines(reader, _)) => for_each_record_item(reader, file, options, f),
        Ok(Opened::Whole(format, bytes)) => {
            whole_items(file, options, format, bytes)
                .into_iter()
                .for_each(f);
        }
    }
}

/// Reads the JSON Lines records of `file` from `reader`, handing each
/// outcome to `f` as it is read, so that one record at a time is held.
fn for_each_record_item(
    reader: Box<dyn BufRead + Send>,
    file: &InputPath,
    options: &InputOptions,
    f: &mut impl FnMut(Item),
) {
    JsonlReader::new(reader, &file.path, options.fields.clone())
        .with_limit(options.max_doc_bytes)
        .map(to_item)
        .for_each(f);
}

/// The documents of an input read whole.
pub(crate) fn whole_items(
    file: &InputPath,
    options: &InputOptions,
    format: InputFormat,
    bytes: Vec<u8>,
) -> Vec<Item> {
    match format {
        InputFormat::Jsonl => {
            JsonlReader::new(bytes.as_slice(), &file.path, options.fields.clone())
                .with_limit(options.max_doc_bytes)
                .map(to_item)
                .collect()
        }
        // A link-only item is a note, not an error: the feed was read.
        InputFormat::Feed => read_feed(&file.path, &bytes)
            .into_iter()
            .map(|result| match result {
                Err(Error::EmptyFeedItem { path, item }) => Item::Skipped(Skipped {
                    path,
                    reason: SkipReason::NoText { item },
                }),
                other => to_item(other),
            })
            .collect(),
        InputFormat::Html => vec![page_item(file, options, bytes)],
        // A stream or a compressed file: Parquet needs to seek.
        InputFormat::Parquet => vec![Item::Failed(Error::BadTable {
            path: file.path.clone(),
            message: "Parquet is read from a file, by seeking to its footer: save it as an uncompressed .parquet file first".into(),
        })],
        InputFormat::Text | InputFormat::Auto => vec![text_item(file, options, bytes)],
    }
}

/// Reads a file that must hold exactly one document (a text file, a page,
/// a feed or JSON Lines file of one item), the way `lineage score` reads
/// each of its arguments; `-` reads standard input.
pub fn read_one(path: &Path, options: &InputOptions) -> Result<Document> {
    let file = InputPath {
        path: path.to_path_buf(),
        walked: false,
    };
    let mut docs = Vec::new();
    for item in read_file(&file, options) {
        match item {
            Item::Document(doc) => docs.push(doc),
            Item::Failed(err) => return Err(err),
            Item::Skipped(_) => {}
        }
    }
    match (docs.pop(), docs.len()) {
        (Some(doc), 0) => Ok(doc),
        (_, n) => Err(Error::NotOneDocument {
            path: path.to_path_buf(),
            count: n + usize::from(n > 0),
        }),
    }
}

fn to_item(result: Result<Document>) -> Item {
    match result {
        Ok(doc) => Item::Document(doc),
        Err(err) => Item::Failed(err),
    }
}

/// The id of a whole-file document: its path, or for standard input the
/// `--id` given (else `-`).
fn file_id(file: &InputPath, options: &InputOptions) -> String {
    match &options.stdin_id {
        Some(id) if file.path.as_os_str() == "-" => id.clone(),
        _ => file.path.to_string_lossy().into_owned(),
    }
}

fn text_item(file: &InputPath, options: &InputOptions, bytes: Vec<u8>) -> Item {
    binary_skipped(file, Document::from_bytes(file_id(file, options), bytes))
}

fn page_item(file: &InputPath, options: &InputOptions, bytes: Vec<u8>) -> Item {
    binary_skipped(
        file,
        read_page(file_id(file, options), bytes, options.source_maps),
    )
}

/// A binary file found by walking a folder is skipped with a note; named by
/// the user, it is an error.
fn binary_skipped(file: &InputPath, result: Result<Document>) -> Item {
    match result {
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
    fn wide_feeds_are_told_by_their_text() {
        // As feedparser's tests/encoding/utf-16le.xml and utf-32be.xml
        // (no byte-order mark) and utf-16be-bom.xml.
        let xml = "<?xml version=\"1.0\"?>\n<!-- x -->\n<rss>\n</rss>\n";
        let le16: Vec<u8> = xml.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be16_bom: Vec<u8> = "\u{feff}<rss>\n</rss>"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let be32: Vec<u8> = xml.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        let le32: Vec<u8> = xml.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        for bytes in [le16, be16_bom, be32, le32] {
            assert_eq!(format_from_content(&bytes), InputFormat::Feed, "{bytes:?}");
            let docs = crate::source::feed::read_feed(Path::new("wide.xml"), &bytes);
            assert!(docs.is_empty(), "{docs:?}");
        }
    }

    #[test]
    fn detection_by_extension_then_content() {
        let ext = |p: &str| format_from_extension(Path::new(p));
        assert_eq!(ext("a/page.HTML"), Some(InputFormat::Html));
        assert_eq!(ext("page.htm"), Some(InputFormat::Html));
        assert_eq!(ext("page.xhtml"), Some(InputFormat::Html));
        assert_eq!(ext("news.rss"), Some(InputFormat::Feed));
        assert_eq!(ext("blog.atom"), Some(InputFormat::Feed));
        // Decided by content: not every XML or JSON file is a feed.
        assert_eq!(ext("feed.xml"), None);
        assert_eq!(ext("feed.json"), None);
        assert_eq!(ext("-"), None);
        let content = |s: &str| format_from_content(s.as_bytes());
        assert_eq!(
            content("<?xml version=\"1.0\"?>\n<rss version=\"2.0\">"),
            InputFormat::Feed
        );
        assert_eq!(
            content("  <feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            InputFormat::Feed
        );
        assert_eq!(
            content("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": []}\n"),
            InputFormat::Feed
        );
        assert_eq!(content("<!doctype html>\n<html>"), InputFormat::Html);
        assert_eq!(content("<html><body>x</body></html>"), InputFormat::Html);
        assert_eq!(content("{\"text\": \"x\"}\n"), InputFormat::Jsonl);
        assert_eq!(
            content("<?xml version=\"1.0\"?><catalog/>"),
            InputFormat::Text
        );
        assert_eq!(content("Dear <html> fans,"), InputFormat::Text);
    }

    #[test]
    fn xml_is_a_feed_only_when_it_looks_like_one() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.xml");
        std::fs::write(
            &feed,
            "<rss version=\"2.0\"><channel><item><guid>g1</guid><description>one</description></item>\
             <item><guid>g2</guid><description>two</description></item></channel></rss>",
        )
        .unwrap();
        let other = dir.path().join("data.xml");
        std::fs::write(&other, "<?xml version=\"1.0\"?><catalog>words</catalog>").unwrap();
        let ids = |path: &Path, format: InputFormat| -> Vec<String> {
            let file = InputPath {
                path: path.to_path_buf(),
                walked: false,
            };
            let options = InputOptions {
                format,
                ..InputOptions::default()
            };
            read_file(&file, &options)
                .into_iter()
                .map(|item| match item {
                    Item::Document(d) => d.id,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(ids(&feed, InputFormat::Auto), ["g1", "g2"]);
        assert_eq!(
            ids(&other, InputFormat::Auto),
            [other.display().to_string()]
        );
        // Forced formats win over detection.
        assert_eq!(ids(&feed, InputFormat::Text), [feed.display().to_string()]);
        let forced = read_file(
            &InputPath {
                path: other.clone(),
                walked: false,
            },
            &InputOptions {
                format: InputFormat::Feed,
                ..InputOptions::default()
            },
        );
        assert!(matches!(forced[..], [Item::Failed(Error::Feed { .. })]));
    }

    #[test]
    fn records_are_numbered_as_the_documents_and_kept_as_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let lines = [
            "{\"id\":\"a\",\"text\":\"one\"}\n",
            "not json\n",
            "   \n",
            "{ \"text\" : \"two\", \"id\":\"b\" }\r\n",
            "{\"id\":\"c\",\"text\":\"three\"}",
        ];
        std::fs::write(&path, lines.concat()).unwrap();
        let inputs = Inputs::open(&[path], InputOptions::default());
        let documents: Vec<String> = inputs
            .read_all()
            .into_iter()
            .filter_map(|i| match i {
                Item::Document(d) => Some(d.id),
                _ => None,
            })
            .collect();
        let mut seen = Vec::new();
        let n = inputs
            .for_each_record(|n, doc, raw| {
                seen.push((n, doc.id.clone(), raw.to_vec()));
                Ok::<(), Error>(())
            })
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(documents, ["a", "b", "c"]);
        let expected: Vec<(usize, String, Vec<u8>)> = [(0, "a", 0), (1, "b", 3), (2, "c", 4)]
            .into_iter()
            .map(|(n, id, line)| (n, id.to_string(), lines[line].as_bytes().to_vec()))
            .collect();
        assert_eq!(seen, expected);
        // A text file has no records to give back.
        let text = dir.path().join("t.txt");
        std::fs::write(&text, "plain words").unwrap();
        let err = Inputs::open(&[text], InputOptions::default())
            .for_each_record(|_, _, _| Ok::<(), Error>(()))
            .unwrap_err();
        assert!(matches!(err, Error::NotJsonl { .. }), "{err:?}");
    }

    #[test]
    fn a_window_ends_before_its_files_pass_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, len: u64| {
            let path = dir.path().join(name);
            // Sparse: no disk is written.
            std::fs::File::create(&path).unwrap().set_len(len).unwrap();
            InputPath { path, walked: true }
        };
        let files = [
            file("a", 200 << 20),
            file("b", 100 << 20),
            file("c", 10),
            file("d", 10),
        ];
        let most = DEFAULT_MAX_DOC_BYTES;
        assert_eq!(window_len(&files, 8, most), 1);
        assert_eq!(window_len(&files[1..], 8, most), 3);
        assert_eq!(window_len(&files[1..], 2, most), 2);
        assert_eq!(window_len(&[file("huge", 1 << 30)], 8, most), 1);
        // A compressed file counts as the most text it may give.
        let packed: Vec<InputPath> = (0..8).map(|n| file(&format!("{n}.txt.gz"), 10)).collect();
        assert_eq!(window_len(&packed, 8, 100 << 20), 2);
    }

    #[test]
    fn read_each_gives_the_items_of_read_all_in_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let page = |n: usize| {
            format!(
                "<!doctype html><html><head><title>Page {n}</title></head><body>\
                 <article><p>The main text of page number {n}, long enough to be \
                 kept as the article of the page by the extractor.</p></article>\
                 </body></html>"
            )
        };
        // More files than a window, a JSON Lines file (with a bad line)
        // and a binary file among the pages and texts.
        for n in 0..30 {
            let path = dir.path().join(format!("f{n:02}"));
            match n % 5 {
                0 => std::fs::write(path.with_extension("txt"), format!("text {n}")),
                4 if n == 14 => std::fs::write(
                    path.with_extension("jsonl"),
                    "{\"id\":\"x\",\"text\":\"one\"}\nnot json\n{\"id\":\"y\",\"text\":\"two\"}\n",
                ),
                3 if n == 23 => std::fs::write(path.with_extension("bin"), b"\x00\x01"),
                _ => std::fs::write(path.with_extension("html"), page(n)),
            }
            .unwrap();
        }
        let inputs = Inputs::open(&[dir.path().to_path_buf()], InputOptions::default());
        let shown = |items: Vec<Item>| -> Vec<String> {
            items.iter().map(|item| format!("{item:?}")).collect()
        };
        let all = shown(inputs.read_all());
        assert_eq!(all.len(), 32, "{all:#?}");
        assert!(all.iter().any(|i| i.contains("Malformed")), "{all:#?}");
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut each = Vec::new();
            pool.install(|| inputs.read_each(|item| each.push(item)));
            assert_eq!(shown(each), all, "{threads} threads");
        }
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
