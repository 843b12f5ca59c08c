//! Stages 1-4 for a corpus: many documents in, one [`DocFingerprint`] each out,
//! in input order, computed in parallel over small chunks.
//!
//! In: [`Inputs`] (files, directories, standard input, JSON Lines). Out:
//! [`CorpusEvent`]s handed to a sink in input order: a fingerprint per
//! document, a note per skipped entry, an error per document or file that
//! could not be read (the others go on).
//!
//! Each worker thread loops on its own: it reads the next chunk of at most
//! [`CorpusOptions::batch_docs`] files or records (and
//! [`CorpusOptions::batch_bytes`] bytes of JSON Lines) under a short lock,
//! fingerprints it, and hands the results over by the chunk's number. The
//! thread that hands over the next chunk due emits it, and any later ones
//! already done, to the sink while the others go on computing. Nothing
//! waits at a barrier between chunks, and a thread runs ahead of the
//! oldest chunk not yet emitted by a bounded number of chunks, so memory
//! is bounded by a few chunks per thread, not the corpus. Near the end of
//! the input the chunks shrink to a share of what is left, so that the
//! threads run out of work together. With `parallel: false` the same loop
//! runs on the calling thread, and the events are the same for any number
//! of threads.
//!
//! Per document: `RawShingler` (raw word shingles, the fast path on ASCII
//! text) then [`Sketcher::sketch`]; a thread reuses its buffers across
//! all the documents it handles.

pub mod dedup;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};
use crate::sketch::DocFingerprint;
use crate::sketch::{SketchParams, Sketcher};
use crate::source::input::{
    compressed_by_name, format_from_extension, open, read_file, whole_items, InputFormat,
    InputOptions, Inputs, Item, Opened,
};
use crate::source::jsonl::{parse_record_reusing, read_line, Line};
use crate::source::walk::{InputPath, Skipped};
use crate::source::{Document, Warning};
use crate::text::shingle::{RawShingler, ShingleParams};

/// How to fingerprint a corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorpusOptions {
    /// Shingle size, seed, slots and scheme.
    pub params: SketchParams,
    /// Keep each document's sorted distinct shingle hashes (needed to
    /// verify candidate pairs exactly).
    pub shingle_sets: bool,
    /// Most files or records per chunk, the unit a thread takes at a
    /// time. The last chunks keep one thread busy while the others are
    /// done, so chunks are small; 64 to 512 measured the same on the
    /// Reuters JSON Lines at 2 threads, 1,024 slower (see the commit that
    /// set 256).
    pub batch_docs: usize,
    /// Most bytes of JSON Lines per chunk (one record longer than that is
    /// still one chunk). Each thread has a buffer this large.
    pub batch_bytes: usize,
    /// Use the rayon pool (false: the same steps on the calling thread).
    pub parallel: bool,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions {
            params: SketchParams::default(),
            shingle_sets: false,
            batch_docs: 256,
            batch_bytes: 4 << 20,
            parallel: true,
        }
    }
}

/// One outcome, in input order.
#[derive(Debug)]
pub enum CorpusEvent {
    /// A document's fingerprint.
    Fingerprint(DocFingerprint),
    /// A non-fatal problem with a document that was still fingerprinted.
    Warning {
        /// The document.
        id: String,
        /// The problem.
        warning: Warning,
    },
    /// An entry skipped with a note (hidden or binary file in a directory).
    Skipped(Skipped),
    /// A document or file that could not be read.
    Failed(Error),
}

/// Fingerprints one document with a worker's reusable shingler.
pub(crate) fn fingerprint_document(
    doc: &Document,
    sketcher: &Sketcher,
    shingler: &mut RawShingler,
    keep_set: bool,
) -> DocFingerprint {
    let mut fp = fingerprint_text(&doc.text, sketcher, shingler, keep_set);
    fp.id = doc.id.clone();
    fp.date = doc.meta.date.clone();
    fp
}

/// The fingerprint of a text, without id or date.
fn fingerprint_text(
    text: &str,
    sketcher: &Sketcher,
    shingler: &mut RawShingler,
    keep_set: bool,
) -> DocFingerprint {
    let hashes = shingler.shingle(text);
    let signature = sketcher.sketch(hashes.iter().copied());
    let shingles = hashes.len();
    let shingle_set = keep_set.then(|| {
        let mut set = hashes.to_vec();
        set.sort_unstable();
        set.dedup();
        set
    });
    DocFingerprint {
        id: String::new(),
        date: None,
        bytes: text.len() as u64,
        tokens: shingler.token_count() as u64,
        shingles: shingles as u64,
        slots: signature.slots,
        shingle_set,
    }
}

/// The shingling parameters that a set of sketch parameters implies.
pub fn shingle_params(params: &SketchParams) -> ShingleParams {
    ShingleParams {
        raw_size: params.shingle_size,
        seed: params.seed,
        ..ShingleParams::default()
    }
}

/// A unit of work in a chunk.
enum Unit {
    /// A whole file (text, or JSON Lines recognised by its content).
    File(InputPath),
    /// One line of a JSON Lines file: `file` indexes the chunk's paths and
    /// `bytes` its block of lines (a buffer per thread, not per line).
    Line {
        file: usize,
        line: usize,
        bytes: std::ops::Range<usize>,
    },
    /// A stream (standard input, a pipe) read whole when it was opened.
    Whole {
        file: InputPath,
        format: InputFormat,
        bytes: Vec<u8>,
    },
    /// A file that could not be opened or read, in its place in the order.
    Failed(Error),
}

/// A chunk of the input: its units and what their lines refer to. Each
/// thread refills its own chunk in place, so reading allocates nothing
/// once the buffers have grown, and a thread's lines stay in its caches.
#[derive(Default)]
struct Chunk {
    units: Vec<Unit>,
    /// The JSON Lines files of the chunk's lines (a chunk can end one file
    /// and start the next).
    paths: Vec<Arc<Path>>,
    /// The chunk's lines, one after another.
    lines: Vec<u8>,
}

/// What every worker thread needs: shared and read-only.
struct Worker<'a> {
    options: CorpusOptions,
    input: &'a InputOptions,
    sketcher: Sketcher,
}

/// What one thread reuses from document to document.
struct Scratch {
    shingler: RawShingler,
    /// The text buffer of the last JSON Lines record, to decode the next
    /// one into (texts of about a kilobyte are past the allocator's
    /// fast per-thread caches).
    spare: Option<String>,
}

/// Hands out the inputs chunk by chunk, streaming JSON Lines files.
struct Units<'a> {
    files: std::slice::Iter<'a, InputPath>,
    input: &'a InputOptions,
    /// The JSON Lines file being read.
    jsonl: Option<OpenJsonl>,
    /// Threads taking chunks; with more than one, the last chunks shrink.
    threads: usize,
}

/// A JSON Lines file being read by [`Units`].
struct OpenJsonl {
    path: Arc<Path>,
    reader: Box<dyn BufRead + Send>,
    /// The number of the last line read.
    line: usize,
    /// Bytes not read yet, when it is a regular file of known size.
    unread: Option<u64>,
}

/// The smallest chunk of the input's last stretch, in bytes of JSON Lines.
const TAIL_MIN_BYTES: u64 = 32 << 10;

impl Units<'_> {
    /// How much the next chunk may hold near the end of the input, as
    /// (units, bytes): a share of what is left (`left / (2 * threads)`, as
    /// in guided scheduling), so that the threads run out of work at about
    /// the same time instead of one finishing a full chunk alone.
    fn tail_limit(&self, docs: usize, bytes: usize) -> (usize, usize) {
        if self.threads < 2 {
            return (docs, bytes);
        }
        let share = 2 * self.threads;
        let files_left = self.files.len();
        match &self.jsonl {
            // The last JSON Lines file: shrink by its unread bytes.
            Some(OpenJsonl {
                unread: Some(unread),
                ..
            }) if files_left == 0 => {
                let tail = (unread / share as u64).max(TAIL_MIN_BYTES);
                (docs, bytes.min(usize::try_from(tail).unwrap_or(usize::MAX)))
            }
            // Between whole files: shrink by the files left.
            None if self
                .files
                .as_slice()
                .first()
                .is_some_and(|f| !is_jsonl(&f.path, self.input.format)) =>
            {
                (docs.min((files_left / share).max(1)), bytes)
            }
            _ => (docs, bytes),
        }
    }

    /// Refills `chunk` with the next units: at most `docs` of them and
    /// about `bytes` bytes of lines (less near the end, see
    /// [`tail_limit`](Self::tail_limit)); left empty at the end.
    fn fill(&mut self, chunk: &mut Chunk, docs: usize, bytes: usize) {
        let (docs, bytes) = self.tail_limit(docs, bytes);
        chunk.units.clear();
        chunk.paths.clear();
        chunk.lines.clear();
        let Chunk {
            units: out,
            paths,
            lines,
        } = chunk;
        while out.len() < docs && lines.len() < bytes {
            if let Some(OpenJsonl {
                path,
                reader,
                line,
                unread,
            }) = &mut self.jsonl
            {
                *line += 1;
                let start = lines.len();
                let too_large = |line| Error::TooLarge {
                    path: path.to_path_buf(),
                    line: Some(line),
                    limit: self.input.max_doc_bytes,
                };
                match read_line(reader, lines, self.input.max_doc_bytes) {
                    Ok(Line::End) => self.jsonl = None,
                    Ok(Line::TooLong(read)) => {
                        if let Some(unread) = unread {
                            *unread = unread.saturating_sub(read);
                        }
                        out.push(Unit::Failed(too_large(*line)));
                    }
                    Ok(Line::Endless) => {
                        out.push(Unit::Failed(too_large(*line)));
                        self.jsonl = None;
                    }
                    Ok(Line::Read(read)) => {
                        if let Some(unread) = unread {
                            *unread = unread.saturating_sub(read as u64);
                        }
                        // Read straight into the block; the unit covers the
                        // line without the white space around it.
                        let read = &lines[start..];
                        let trimmed = read.trim_ascii_start();
                        let first = start + (read.len() - trimmed.len());
                        let end = first + trimmed.trim_ascii_end().len();
                        if first == end {
                            lines.truncate(start);
                            continue;
                        }
                        if paths.last().is_none_or(|p| !Arc::ptr_eq(p, path)) {
                            paths.push(Arc::clone(path));
                        }
                        out.push(Unit::Line {
                            file: paths.len() - 1,
                            line: *line,
                            bytes: first..end,
                        });
                    }
                    Err(source) => {
                        out.push(Unit::Failed(Error::Read {
                            path: path.to_path_buf(),
                            source,
                        }));
                        self.jsonl = None;
                    }
                }
                continue;
            }
            let Some(file) = self.files.next() else {
                break;
            };
            // Regular files other than JSON Lines are read whole by the
            // workers, in parallel; JSON Lines, compressed files and streams
            // (standard input, pipes, devices) are opened here, and JSON
            // Lines read a record at a time.
            if !is_jsonl(&file.path, self.input.format)
                && !compressed_by_name(&file.path)
                && (file.walked || is_regular(&file.path))
            {
                out.push(Unit::File(file.clone()));
                continue;
            }
            match open(&file.path, self.input) {
                Ok(Opened::Lines(reader, unread)) => {
                    self.jsonl = Some(OpenJsonl {
                        path: Arc::from(file.path.as_path()),
                        unread,
                        reader,
                        line: 0,
                    });
                }
                Ok(Opened::Whole(format, bytes)) => out.push(Unit::Whole {
                    file: file.clone(),
                    format,
                    bytes,
                }),
                Err(err) => out.push(Unit::Failed(err)),
            }
        }
    }
}

/// Whether `path` names a regular file (not `-`, a pipe or a device).
fn is_regular(path: &Path) -> bool {
    path.as_os_str() != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

fn emit<F, I>(sink: &mut F, events: I) -> Result<()>
where
    F: FnMut(CorpusEvent) -> Result<()>,
    I: IntoIterator<Item = Events>,
{
    for events in events {
        match events {
            Events::One(event) => sink(event)?,
            Events::Many(events) => {
                for event in events {
                    sink(event)?;
                }
            }
        }
    }
    Ok(())
}

/// The events of one unit: almost always exactly one, kept without a
/// vector of its own.
enum Events {
    One(CorpusEvent),
    Many(Vec<CorpusEvent>),
}

impl Worker<'_> {
    fn fingerprint(&self, shingler: &mut RawShingler, doc: Document, out: &mut Vec<CorpusEvent>) {
        for warning in &doc.warnings {
            out.push(CorpusEvent::Warning {
                id: doc.id.clone(),
                warning: warning.clone(),
            });
        }
        out.push(self.fingerprint_one(shingler, doc));
    }

    fn fingerprint_one(&self, shingler: &mut RawShingler, doc: Document) -> CorpusEvent {
        self.fingerprint_keeping_text(shingler, doc).0
    }

    /// [`fingerprint_one`](Self::fingerprint_one), handing back the text's
    /// buffer for the next record to decode into.
    fn fingerprint_keeping_text(
        &self,
        shingler: &mut RawShingler,
        doc: Document,
    ) -> (CorpusEvent, String) {
        let mut fp = fingerprint_text(
            &doc.text,
            &self.sketcher,
            shingler,
            self.options.shingle_sets,
        );
        // The document is done with: move, do not copy.
        fp.id = doc.id;
        fp.date = doc.meta.date;
        (CorpusEvent::Fingerprint(fp), doc.text)
    }

    fn process(&self, scratch: &mut Scratch, unit: &Unit, chunk: &Chunk) -> Events {
        let shingler = &mut scratch.shingler;
        match unit {
            Unit::Line { file, line, bytes } => {
                let Some(path) = chunk.paths.get(*file) else {
                    return Events::One(CorpusEvent::Failed(Error::InvalidParam(
                        "line of an unknown file".into(),
                    )));
                };
                let record = chunk.lines.get(bytes.clone()).unwrap_or_default();
                let fields = &self.input.fields;
                match parse_record_reusing(path, *line, record, fields, &mut scratch.spare) {
                    Ok(doc) if doc.warnings.is_empty() => {
                        let (event, text) = self.fingerprint_keeping_text(shingler, doc);
                        scratch.spare = Some(text);
                        Events::One(event)
                    }
                    Ok(doc) => {
                        let mut out = Vec::new();
                        self.fingerprint(shingler, doc, &mut out);
                        Events::Many(out)
                    }
                    Err(err) => Events::One(CorpusEvent::Failed(err)),
                }
            }
            Unit::Failed(err) => Events::One(CorpusEvent::Failed(copy_error(err))),
            Unit::File(file) => self.items(shingler, read_file(file, self.input)),
            Unit::Whole {
                file,
                format,
                bytes,
            } => self.items(
                shingler,
                whole_items(file, self.input, *format, bytes.clone()),
            ),
        }
    }

    /// The events of a file's items.
    fn items(&self, shingler: &mut RawShingler, items: Vec<Item>) -> Events {
        let mut out = Vec::new();
        for item in items {
            match item {
                Item::Document(doc) => self.fingerprint(shingler, doc, &mut out),
                Item::Skipped(s) => out.push(CorpusEvent::Skipped(s)),
                Item::Failed(e) => out.push(CorpusEvent::Failed(e)),
            }
        }
        Events::Many(out)
    }
}

fn is_jsonl(path: &Path, format: InputFormat) -> bool {
    format == InputFormat::Jsonl
        || (format == InputFormat::Auto && format_from_extension(path) == Some(InputFormat::Jsonl))
}

/// Units in chunk `seq`: the first chunks are small, so that every
/// thread has work soon after the start, then `docs`.
fn ramp(seq: u64, docs: usize) -> usize {
    let start = 8usize << seq.min(20);
    start.min(docs)
}

/// Most bytes of JSON Lines per chunk in serial mode.
const SERIAL_BLOCK_BYTES: usize = 256 << 10;

/// The reading side: the inputs and the number of the next chunk.
struct Reader<'a> {
    units: Units<'a>,
    next: u64,
}

/// Chunks' results on their way to the sink, in input order.
#[derive(Default)]
struct Ordered {
    /// Results of chunks done but not yet emitted, by chunk number.
    done: BTreeMap<u64, Vec<Events>>,
    /// The number of the next chunk to emit.
    next: u64,
    /// Whether a thread is emitting; it also emits every chunk handed over
    /// meanwhile, so no thread ever waits for the sink.
    emitting: bool,
    /// Threads waiting for the emitting to catch up.
    waiting: usize,
    /// The sink's error: everyone stops.
    failed: Option<Error>,
}

/// What the threads of one run share.
struct Pipeline<'a, F> {
    reader: Mutex<Reader<'a>>,
    ordered: Mutex<Ordered>,
    /// Signalled when the emitting advances or stops.
    advanced: Condvar,
    /// Only the emitting thread takes it.
    sink: Mutex<F>,
    /// Chunks handed out so far.
    issued: AtomicU64,
    /// Chunks the threads may take past the oldest one not yet emitted
    /// (checked without the reader's lock, so up to `threads - 1` more).
    window: u64,
    stop: AtomicBool,
    docs: usize,
    bytes: usize,
}

/// Stops the other threads if this one panics (in the sink, say): they
/// would otherwise wait for its chunk forever. The panic itself reaches
/// the caller through the thread pool.
struct StopOnPanic<'p, 'a, F>(&'p Pipeline<'a, F>);

impl<F> Drop for StopOnPanic<'_, '_, F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop.store(true, Ordering::Relaxed);
            let _ordered = lock(&self.0.ordered);
            self.0.advanced.notify_all();
        }
    }
}

/// Locks `mutex`, also after a thread panicked holding it (the panic
/// itself reaches the caller through the thread pool).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<F: FnMut(CorpusEvent) -> Result<()> + Send> Pipeline<'_, F> {
    /// One thread's loop: take a chunk, fingerprint it, hand it over,
    /// until the input ends or the sink fails.
    fn work(&self, worker: &Worker) -> Result<()> {
        let _unwinding = StopOnPanic(self);
        let mut scratch = Scratch {
            shingler: RawShingler::new(shingle_params(&worker.options.params))?,
            spare: None,
        };
        let mut chunk = Chunk::default();
        let mut results = Vec::new();
        while self.wait_for_room() {
            let seq = {
                let mut reader = lock(&self.reader);
                let docs = ramp(reader.next, self.docs);
                reader.units.fill(&mut chunk, docs, self.bytes);
                if chunk.units.is_empty() {
                    return Ok(());
                }
                let seq = reader.next;
                reader.next += 1;
                self.issued.store(reader.next, Ordering::Relaxed);
                seq
            };
            results.extend(
                chunk
                    .units
                    .iter()
                    .map(|unit| worker.process(&mut scratch, unit, &chunk)),
            );
            results = self.hand_over(seq, results);
            if chunk.lines.capacity() > 2 * self.bytes {
                // One very long record grew it; do not keep that per thread.
                chunk.lines = Vec::new();
            }
        }
        Ok(())
    }

    /// Waits while this thread would run too far ahead of the emitting;
    /// false once everyone is to stop.
    fn wait_for_room(&self) -> bool {
        let mut ordered = lock(&self.ordered);
        while !self.stop.load(Ordering::Relaxed)
            && self.issued.load(Ordering::Relaxed) >= ordered.next + self.window
        {
            ordered.waiting += 1;
            ordered = self
                .advanced
                .wait(ordered)
                .unwrap_or_else(PoisonError::into_inner);
            ordered.waiting -= 1;
        }
        !self.stop.load(Ordering::Relaxed)
    }

    /// Hands over chunk `seq`'s results; emits them, and every chunk after
    /// them that is done, if they are next and no thread is emitting.
    /// Returns an empty vector to collect the next chunk's results in.
    fn hand_over(&self, seq: u64, results: Vec<Events>) -> Vec<Events> {
        let capacity = results.capacity();
        let mut ordered = lock(&self.ordered);
        ordered.done.insert(seq, results);
        if ordered.emitting {
            return Vec::with_capacity(capacity);
        }
        ordered.emitting = true;
        let mut spare = Vec::new();
        loop {
            if ordered.failed.is_some() {
                // The sink failed: nothing more reaches it.
                ordered.done.clear();
                break;
            }
            let next = ordered.next;
            let Some(mut events) = ordered.done.remove(&next) else {
                break;
            };
            ordered.next += 1;
            if ordered.waiting > 0 {
                // There is room again; the waiting threads need not wait
                // for the sink.
                self.advanced.notify_all();
            }
            drop(ordered);
            let emitted = emit(&mut *lock(&self.sink), events.drain(..));
            spare = events;
            ordered = lock(&self.ordered);
            if let Err(err) = emitted {
                ordered.failed.get_or_insert(err);
                ordered.done.clear();
                self.stop.store(true, Ordering::Relaxed);
                self.advanced.notify_all();
                break;
            }
        }
        ordered.emitting = false;
        spare
    }
}

/// Fingerprints every document of `inputs`, handing events to `sink` in
/// input order. An error from the sink stops the run and is returned;
/// errors of single documents or files are events, not failures.
///
/// In parallel mode one job per thread of the current rayon pool runs the
/// loop of the module docs; the sink is called by one thread at a time.
pub fn fingerprint_corpus<F>(inputs: &Inputs, options: CorpusOptions, mut sink: F) -> Result<()>
where
    F: FnMut(CorpusEvent) -> Result<()> + Send,
{
    let sketcher = Sketcher::new(options.params)?;
    RawShingler::new(shingle_params(&options.params))?;
    for err in &inputs.walk.errors {
        // Errors are not Clone; re-create the read error with its message.
        sink(CorpusEvent::Failed(copy_error(err)))?;
    }
    for skipped in &inputs.walk.skipped {
        sink(CorpusEvent::Skipped(skipped.clone()))?;
    }
    let (docs, mut bytes) = (options.batch_docs.max(1), options.batch_bytes.max(1));
    if !options.parallel {
        // A block that stays in the L2 cache until its records are parsed
        // is faster (~4% on Reuters JSON Lines).
        bytes = bytes.min(SERIAL_BLOCK_BYTES);
    }
    let threads = if options.parallel {
        rayon::current_num_threads().max(1)
    } else {
        1
    };
    let worker = Worker {
        options,
        input: &inputs.options,
        sketcher,
    };
    let pipeline = Pipeline {
        reader: Mutex::new(Reader {
            units: Units {
                files: inputs.walk.files.iter(),
                input: &inputs.options,
                jsonl: None,
                threads,
            },
            next: 0,
        }),
        ordered: Mutex::new(Ordered::default()),
        advanced: Condvar::new(),
        sink: Mutex::new(sink),
        issued: AtomicU64::new(0),
        window: 4 * threads as u64,
        stop: AtomicBool::new(false),
        docs,
        bytes,
    };
    if threads == 1 {
        pipeline.work(&worker)?;
    } else {
        // One job per pool thread, not `rayon::broadcast`: a broadcast
        // waits for every thread of the pool, also one busy with a job
        // that waits for this call (a consumer of the sink's channel, say).
        // A job that finds no thread runs on the thread that waits for the
        // scope, after the others; by then the input is done.
        let failed = Mutex::new(None);
        rayon::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|_| {
                    if let Err(err) = pipeline.work(&worker) {
                        lock(&failed).get_or_insert(err);
                    }
                });
            }
        });
        if let Some(err) = failed.into_inner().unwrap_or_else(PoisonError::into_inner) {
            return Err(err);
        }
    }
    let ordered = pipeline
        .ordered
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    match ordered.failed {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

fn copy_error(err: &Error) -> Error {
    match err {
        Error::Read { path, source } => Error::Read {
            path: path.clone(),
            // The OS error code, where there is one, keeps what callers
            // match on (a loop of links, a missing file).
            source: source.raw_os_error().map_or_else(
                || std::io::Error::new(source.kind(), source.to_string()),
                std::io::Error::from_raw_os_error,
            ),
        },
        Error::TooLarge { path, line, limit } => Error::TooLarge {
            path: path.clone(),
            line: *line,
            limit: *limit,
        },
        Error::IsDirectory { path } => Error::IsDirectory { path: path.clone() },
        other => Error::InvalidParam(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(dir: &Path) {
        std::fs::write(
            dir.join("a.txt"),
            "the quick brown fox jumps over the lazy dog",
        )
        .unwrap();
        std::fs::write(dir.join("b.bin"), b"\x00\x01").unwrap();
        let mut lines = String::new();
        for i in 0..10 {
            lines.push_str(&format!(
                "{{\"id\":\"r{i}\",\"text\":\"record number {i} of the set\",\"date\":\"2020-01-0{i}\"}}\n"
            ));
        }
        lines.push_str("not json\n");
        std::fs::write(dir.join("c.jsonl"), lines).unwrap();
    }

    fn input(path: &Path) -> InputPath {
        InputPath {
            path: path.to_path_buf(),
            walked: false,
        }
    }

    #[test]
    fn the_last_chunks_shrink_with_what_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let texts: Vec<InputPath> = (0..100)
            .map(|i| input(&dir.path().join(format!("{i}.txt"))))
            .collect();
        let jsonl = dir.path().join("last.jsonl");
        std::fs::write(&jsonl, "{}\n").unwrap();
        let open = || Some(std::fs::File::open(&jsonl).unwrap());
        let options = InputOptions::default();
        let units = |files, jsonl, unread, threads| units(files, &options, jsonl, unread, threads);
        fn units<'a>(
            files: &'a [InputPath],
            options: &'a InputOptions,
            jsonl: Option<std::fs::File>,
            unread: Option<u64>,
            threads: usize,
        ) -> Units<'a> {
            Units {
                files: files.iter(),
                input: options,
                jsonl: jsonl.map(|f| OpenJsonl {
                    path: Arc::from(Path::new("last.jsonl")),
                    reader: Box::new(std::io::BufReader::new(f)),
                    line: 0,
                    unread,
                }),
                threads,
            }
        }
        let (docs, bytes) = (256, 4 << 20);
        // One thread: no tail to balance.
        assert_eq!(
            units(&[], open(), Some(1000), 1).tail_limit(docs, bytes),
            (docs, bytes)
        );
        // The last JSON Lines file: a quarter of its unread bytes on 2
        // threads, never under the minimum.
        assert_eq!(
            units(&[], open(), Some(1 << 20), 2).tail_limit(docs, bytes),
            (docs, 256 << 10)
        );
        assert_eq!(
            units(&[], open(), Some(1000), 2).tail_limit(docs, bytes),
            (docs, TAIL_MIN_BYTES as usize)
        );
        // More files after it, or a size not known: full chunks.
        assert_eq!(
            units(&texts[..1], open(), Some(1000), 2).tail_limit(docs, bytes),
            (docs, bytes)
        );
        assert_eq!(
            units(&[], open(), None, 2).tail_limit(docs, bytes),
            (docs, bytes)
        );
        // Whole files: a quarter of the files left on 2 threads, at least one.
        assert_eq!(
            units(&texts, None, None, 2).tail_limit(docs, bytes),
            (25, bytes)
        );
        assert_eq!(
            units(&texts[..3], None, None, 2).tail_limit(docs, bytes),
            (1, bytes)
        );
        assert_eq!(
            units(&texts[..1], None, None, 1).tail_limit(docs, bytes),
            (docs, bytes)
        );
        // The next file is JSON Lines: its records are counted once it is open.
        let next_jsonl = [input(&jsonl)];
        assert_eq!(
            units(&next_jsonl, None, None, 2).tail_limit(docs, bytes),
            (docs, bytes)
        );
    }

    fn run(dir: &Path, parallel: bool, batch_docs: usize) -> Vec<String> {
        let inputs = Inputs::open(&[dir.to_path_buf()], InputOptions::default());
        let mut out = Vec::new();
        let options = CorpusOptions {
            parallel,
            batch_docs,
            shingle_sets: true,
            ..CorpusOptions::default()
        };
        fingerprint_corpus(&inputs, options, |e| {
            out.push(match e {
                CorpusEvent::Fingerprint(f) => format!("{} {:?} {:?}", f.id, f.date, f.slots),
                CorpusEvent::Failed(e) => format!("failed {e}"),
                CorpusEvent::Skipped(s) => format!("skipped {s}"),
                CorpusEvent::Warning { id, warning } => format!("warning {id} {warning}"),
            });
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn same_events_for_any_batching_and_threads() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let serial = run(dir.path(), false, 4096);
        assert_eq!(serial.len(), 13, "{serial:#?}");
        assert!(serial[0].starts_with(&dir.path().join("a.txt").display().to_string()));
        assert!(serial[1].starts_with("skipped"));
        assert!(serial[2].starts_with("r0 Some(\"2020-01-00\")"));
        assert!(serial[12].starts_with("failed") && serial[12].contains(":11:"));
        assert_eq!(run(dir.path(), true, 3), serial);
        assert_eq!(run(dir.path(), true, 1), serial);
    }

    /// A JSON Lines file of `n` records, some of them broken.
    fn many_records(dir: &Path, n: usize) -> std::path::PathBuf {
        let mut lines = String::new();
        for i in 0..n {
            if i % 37 == 5 {
                lines.push_str("{broken\n");
            } else {
                lines.push_str(&format!(
                    "{{\"id\":\"r{i}\",\"text\":\"record {i} says {} things\"}}\n",
                    "many ".repeat(i % 13)
                ));
            }
        }
        let path = dir.join("many.jsonl");
        std::fs::write(&path, lines).unwrap();
        path
    }

    /// A temporary JSON Lines file of `n` records (in the returned
    /// directory) and a pool of `threads` threads.
    fn records_and_pool(
        n: usize,
        threads: usize,
    ) -> (tempfile::TempDir, std::path::PathBuf, rayon::ThreadPool) {
        let dir = tempfile::tempdir().unwrap();
        let path = many_records(dir.path(), n);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        (dir, path, pool)
    }

    fn events(path: &Path, options: CorpusOptions) -> Vec<String> {
        let inputs = Inputs::open(&[path.to_path_buf()], InputOptions::default());
        let mut out = Vec::new();
        fingerprint_corpus(&inputs, options, |e| {
            out.push(match e {
                CorpusEvent::Fingerprint(f) => format!("{} {:?}", f.id, f.slots),
                other => format!("{other:?}"),
            });
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn many_threads_and_tiny_chunks_keep_the_input_order() {
        let (_dir, path, pool) = records_and_pool(500, 4);
        let serial = events(
            &path,
            CorpusOptions {
                parallel: false,
                ..CorpusOptions::default()
            },
        );
        assert_eq!(serial.len(), 500);
        assert!(serial[5].starts_with("Failed(Malformed") && serial[5].contains("line: 6"));
        assert!(serial[6].starts_with("r6 "));
        for docs in [1, 2, 7, 64] {
            let options = CorpusOptions {
                batch_docs: docs,
                ..CorpusOptions::default()
            };
            assert_eq!(pool.install(|| events(&path, options)), serial, "{docs}");
        }
    }

    #[test]
    fn a_failing_sink_stops_the_run_with_its_error() {
        let (_dir, path, pool) = records_and_pool(300, 3);
        // Chunks of one record: other threads are likely in the middle of
        // the chunks after the failing one, and must not emit them.
        for parallel in [false, true, true, true, true, true, true, true, true] {
            let inputs = Inputs::open(std::slice::from_ref(&path), InputOptions::default());
            let options = CorpusOptions {
                parallel,
                batch_docs: 1,
                ..CorpusOptions::default()
            };
            let mut calls = 0;
            let result = pool.install(|| {
                fingerprint_corpus(&inputs, options, |_| {
                    calls += 1;
                    if calls == 50 {
                        Err(Error::InvalidParam("disk full".into()))
                    } else {
                        Ok(())
                    }
                })
            });
            assert!(matches!(result, Err(Error::InvalidParam(m)) if m == "disk full"));
            assert_eq!(calls, 50, "no event after the sink's error");
        }
    }

    #[test]
    fn a_panicking_sink_reaches_the_caller_without_a_hang() {
        let (_dir, path, pool) = records_and_pool(300, 3);
        let inputs = Inputs::open(&[path], InputOptions::default());
        let options = CorpusOptions {
            batch_docs: 1,
            ..CorpusOptions::default()
        };
        let mut calls = 0;
        let run = std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                fingerprint_corpus(&inputs, options, |_| {
                    calls += 1;
                    assert!(calls < 20, "sink bug");
                    Ok(())
                })
            })
        });
        assert!(std::panic::catch_unwind(run).is_err());
    }

    #[test]
    fn a_pool_thread_busy_with_the_sinks_consumer_does_not_hang_the_run() {
        // A 2-thread pool, one thread taken by a job that drains the sink's
        // channel until the run is over. Run on a thread of its own so
        // that a hang fails the test instead of stalling it.
        let (result, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (_dir, path, pool) = records_and_pool(200, 2);
            let (tx, rx) = std::sync::mpsc::sync_channel::<String>(16);
            let (counted, count) = std::sync::mpsc::channel();
            pool.spawn(move || {
                let _ = counted.send(rx.iter().count());
            });
            let inputs = Inputs::open(&[path], InputOptions::default());
            let run = pool.install(|| {
                fingerprint_corpus(&inputs, CorpusOptions::default(), move |e| {
                    tx.send(format!("{e:?}"))
                        .map_err(|_| Error::InvalidParam("consumer gone".into()))
                })
            });
            let _ = result.send((run.is_ok(), count.recv().ok()));
        });
        let outcome = finished.recv_timeout(std::time::Duration::from_secs(60));
        assert_eq!(
            outcome.ok(),
            Some((true, Some(200))),
            "the run hung or failed"
        );
    }

    #[test]
    fn fingerprint_matches_the_pipeline_signature() {
        let doc = Document::new(
            "x",
            "The quick brown fox jumps over the lazy dog again and again",
        );
        let params = SketchParams::default();
        let sketcher = Sketcher::new(params).unwrap();
        let mut shingler = RawShingler::new(shingle_params(&params)).unwrap();
        let fp = fingerprint_document(&doc, &sketcher, &mut shingler, true);
        let config = crate::compare::Config::default();
        let reference = crate::compare::Fingerprint::new(&doc, &config).unwrap();
        assert_eq!(fp.slots, reference.signature.slots);
        assert_eq!(fp.shingle_set.as_ref(), Some(&reference.raw_set));
        assert_eq!(fp.tokens, 12);
    }
}
