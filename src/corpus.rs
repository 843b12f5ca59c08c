//! Corpus fingerprinting: many documents in, one [`DocFingerprint`] each out,
//! in input order, computed in parallel over bounded batches.
//!
//! In: [`Inputs`] (files, directories, standard input, JSON Lines). Out:
//! [`CorpusEvent`]s handed to a sink in input order: a fingerprint per
//! document, a note per skipped entry, an error per document or file that
//! could not be read (the others go on).
//!
//! Documents are gathered into batches of at most [`CorpusOptions::batch_docs`]
//! files or records and [`CorpusOptions::batch_bytes`] bytes of JSON Lines;
//! each batch is read and fingerprinted by the rayon pool, then emitted in
//! order before the next is read, so memory is bounded by a batch, not the
//! corpus. JSON Lines files stream line by line; their lines are parsed in
//! parallel too. With `parallel: false` the same steps run serially, and
//! the events are the same for any number of threads.
//!
//! Per document: [`RawShingler`] (raw word shingles, the fast path on ASCII
//! text) then [`Sketcher::sketch`]; both buffers are reused across the
//! documents a worker handles.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fingerprints::DocFingerprint;
use crate::shingle::{RawShingler, ShingleParams};
use crate::sketch::{SketchParams, Sketcher};
use crate::source::input::{
    format_from_extension, read_file, InputFormat, InputOptions, Inputs, Item,
};
use crate::source::jsonl::parse_record_reusing;
use crate::source::walk::{InputPath, Skipped};
use crate::source::{Document, Warning};

/// How to fingerprint a corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorpusOptions {
    /// Shingle size, seed, slots and scheme.
    pub params: SketchParams,
    /// Keep each document's sorted distinct shingle hashes (needed to
    /// verify candidate pairs exactly).
    pub shingle_sets: bool,
    /// Most files or records per batch. Each batch ends at a barrier where
    /// a thread that is done waits for the others, so batches trade that
    /// wait against per-batch overhead: 512 measured best on 2 cores (the
    /// 3,183 kernel doc files 14% and the Reuters JSON Lines 3% faster
    /// than with 1,024; 256 and 128 slower again).
    pub batch_docs: usize,
    /// Most bytes of JSON Lines per batch.
    pub batch_bytes: usize,
    /// Use the rayon pool (false: the same steps on the calling thread).
    pub parallel: bool,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions {
            params: SketchParams::default(),
            shingle_sets: false,
            batch_docs: 512,
            batch_bytes: 32 << 20,
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
pub fn fingerprint_document(
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
    let (signature, shingles, shingle_set) = if keep_set {
        let hashes = shingler.shingle(text);
        let signature = sketcher.sketch(hashes.iter().copied());
        let mut set = hashes.to_vec();
        set.sort_unstable();
        set.dedup();
        (signature, hashes.len(), Some(set))
    } else {
        let (signature, shingles) = shingler.sketch(text, sketcher);
        (signature, shingles, None)
    };
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

/// A unit of work in a batch.
enum Unit {
    /// A whole file (text, or JSON Lines recognised by its content).
    File(InputPath),
    /// One line of a JSON Lines file: `bytes` indexes the batch's block of
    /// lines (one allocation per batch, not per line).
    Line {
        path: Arc<Path>,
        line: usize,
        bytes: std::ops::Range<usize>,
    },
    /// A file that could not be opened or read, in its place in the order.
    Failed(Error),
}

/// What every worker needs: shared, read-only, and a pool of per-thread
/// scratch states.
struct Worker<'a> {
    options: CorpusOptions,
    input: &'a InputOptions,
    sketcher: Sketcher,
    /// States of finished parallel jobs, for the next ones: rayon starts a
    /// job per split of every batch, and a fresh state regrows its buffers.
    states: std::sync::Mutex<Vec<WorkerState>>,
}

/// A [`WorkerState`] taken from the worker's pool, put back when dropped.
struct PooledState<'p> {
    /// Always `Some` until dropped.
    state: Option<WorkerState>,
    pool: &'p std::sync::Mutex<Vec<WorkerState>>,
}

impl Drop for PooledState<'_> {
    fn drop(&mut self) {
        if let (Some(state), Ok(mut pool)) = (self.state.take(), self.pool.lock()) {
            pool.push(state);
        }
    }
}

/// What one worker reuses from document to document.
struct WorkerState {
    shingler: RawShingler,
    /// The text buffer of the last JSON Lines record, to decode the next
    /// one into (texts of about a kilobyte are past the allocator's
    /// fast per-thread caches).
    spare: Option<String>,
}

impl WorkerState {
    fn new(shingle: ShingleParams) -> Result<WorkerState> {
        Ok(WorkerState {
            shingler: RawShingler::new(shingle)?,
            spare: None,
        })
    }
}

/// Hands out the inputs as batches of units, streaming JSON Lines files.
struct Units<'a> {
    files: std::slice::Iter<'a, InputPath>,
    format: InputFormat,
    /// The JSON Lines file being read: its path, reader and last line.
    jsonl: Option<(Arc<Path>, BufReader<std::fs::File>, usize)>,
    /// The block of a batch already emitted, reused for the next one (no
    /// fresh pages to fault in per batch).
    spare: Vec<u8>,
}

/// A batch: its units and the block their JSON Lines lines live in.
#[derive(Default)]
struct Batch {
    units: Vec<Unit>,
    lines: Vec<u8>,
}

impl Units<'_> {
    /// The next batch: at most `docs` units and about `bytes` bytes of
    /// lines; empty at the end.
    fn batch(&mut self, docs: usize, bytes: usize) -> Batch {
        let mut out = Vec::with_capacity(docs.min(4096));
        let mut lines = std::mem::take(&mut self.spare);
        lines.clear();
        while out.len() < docs && lines.len() < bytes {
            if let Some((path, reader, line)) = &mut self.jsonl {
                *line += 1;
                let start = lines.len();
                match read_line(reader, &mut lines) {
                    Ok(0) => self.jsonl = None,
                    Ok(_) => {
                        // Read straight into the block; the unit covers the
                        // line without the white space around it.
                        let read = &lines[start..];
                        let trimmed = read.trim_ascii_start();
                        let first = start + (read.len() - trimmed.len());
                        let end = first + trimmed.trim_ascii_end().len();
                        if first == end {
                            lines.truncate(start);
                        } else {
                            out.push(Unit::Line {
                                path: Arc::clone(path),
                                line: *line,
                                bytes: first..end,
                            });
                        }
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
            if !is_jsonl(&file.path, self.format) {
                out.push(Unit::File(file.clone()));
                continue;
            }
            match std::fs::File::open(&file.path) {
                Ok(f) => {
                    let path: Arc<Path> = Arc::from(file.path.as_path());
                    self.jsonl = Some((path, BufReader::with_capacity(1 << 20, f), 0));
                }
                Err(source) => out.push(Unit::Failed(Error::Read {
                    path: file.path.clone(),
                    source,
                })),
            }
        }
        Batch { units: out, lines }
    }

    /// Takes back the block of a batch that is done with.
    fn recycle(&mut self, batch: Batch) {
        if batch.lines.capacity() > self.spare.capacity() {
            self.spare = batch.lines;
        }
    }
}

/// Reads one line (with its `\n`) into `buf`, like `BufRead::read_until`
/// but with memchr's SIMD search; returns the bytes read, 0 at the end.
fn read_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut read = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read);
        }
        let (done, used) = match memchr::memchr(b'\n', available) {
            Some(i) => (true, i + 1),
            None => (false, available.len()),
        };
        buf.extend_from_slice(&available[..used]);
        reader.consume(used);
        read += used;
        if done {
            return Ok(read);
        }
    }
}

fn emit<F: FnMut(CorpusEvent) -> Result<()>>(sink: &mut F, events: Vec<Events>) -> Result<()> {
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

    fn process(&self, state: &mut WorkerState, unit: &Unit, lines: &[u8]) -> Events {
        let shingler = &mut state.shingler;
        match unit {
            Unit::Line { path, line, bytes } => {
                let record = lines.get(bytes.clone()).unwrap_or_default();
                let fields = &self.input.fields;
                match parse_record_reusing(path, *line, record, fields, &mut state.spare) {
                    Ok(doc) if doc.warnings.is_empty() => {
                        let (event, text) = self.fingerprint_keeping_text(shingler, doc);
                        state.spare = Some(text);
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
            Unit::File(file) => {
                let mut out = Vec::new();
                for item in read_file(file, self.input) {
                    match item {
                        Item::Document(doc) => self.fingerprint(shingler, doc, &mut out),
                        Item::Skipped(s) => out.push(CorpusEvent::Skipped(s)),
                        Item::Failed(e) => out.push(CorpusEvent::Failed(e)),
                    }
                }
                Events::Many(out)
            }
        }
    }

    /// A state from the pool, or a new one.
    fn pooled_state(&self, shingle: ShingleParams) -> Result<PooledState<'_>> {
        let reused = self.states.lock().ok().and_then(|mut pool| pool.pop());
        let state = match reused {
            Some(state) => state,
            None => WorkerState::new(shingle)?,
        };
        Ok(PooledState {
            state: Some(state),
            pool: &self.states,
        })
    }

    fn run(&self, batch: &Batch) -> Result<Vec<Events>> {
        let shingle = shingle_params(&self.options.params);
        let lines = batch.lines.as_slice();
        let results: Vec<Events> = if self.options.parallel {
            batch
                .units
                .par_iter()
                .map_init(
                    || self.pooled_state(shingle),
                    |state, unit| match state.as_mut().map(|p| p.state.as_mut()) {
                        Ok(Some(state)) => self.process(state, unit, lines),
                        Ok(None) => Events::One(CorpusEvent::Failed(Error::InvalidParam(
                            "worker state missing".into(),
                        ))),
                        Err(e) => {
                            Events::One(CorpusEvent::Failed(Error::InvalidParam(e.to_string())))
                        }
                    },
                )
                .collect()
        } else {
            let mut state = WorkerState::new(shingle)?;
            batch
                .units
                .iter()
                .map(|unit| self.process(&mut state, unit, lines))
                .collect()
        };
        Ok(results)
    }
}

fn is_jsonl(path: &Path, format: InputFormat) -> bool {
    path.as_os_str() != "-"
        && (format == InputFormat::Jsonl
            || (format == InputFormat::Auto
                && format_from_extension(path) == Some(InputFormat::Jsonl)))
}

/// Most bytes of JSON Lines per batch in serial mode.
const SERIAL_BLOCK_BYTES: usize = 256 << 10;

/// Fingerprints every document of `inputs`, handing events to `sink` in
/// input order. An error from the sink stops the run and is returned;
/// errors of single documents or files are events, not failures.
///
/// In parallel mode three things overlap: the pool fingerprints batch `n`
/// while one of its threads hands batch `n - 1` to the sink and reads
/// batch `n + 1`.
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
        // Nothing overlaps the reading in serial mode, so a batch gains
        // nothing from size; a block that stays in the L2 cache until its
        // records are parsed does (~4% on Reuters JSON Lines).
        bytes = bytes.min(SERIAL_BLOCK_BYTES);
    }
    let worker = Worker {
        options,
        input: &inputs.options,
        sketcher,
        states: std::sync::Mutex::new(Vec::new()),
    };
    let mut units = Units {
        files: inputs.walk.files.iter(),
        format: inputs.options.format,
        jsonl: None,
        spare: Vec::new(),
    };
    let mut batch = units.batch(docs, bytes);
    let mut pending: Vec<Events> = Vec::new();
    while !batch.units.is_empty() {
        let (results, next) = if options.parallel {
            let (results, (emitted, next)) = rayon::join(
                || worker.run(&batch),
                || {
                    (
                        emit(&mut sink, std::mem::take(&mut pending)),
                        units.batch(docs, bytes),
                    )
                },
            );
            emitted?;
            (results?, next)
        } else {
            emit(&mut sink, std::mem::take(&mut pending))?;
            (worker.run(&batch)?, units.batch(docs, bytes))
        };
        pending = results;
        units.recycle(std::mem::replace(&mut batch, next));
    }
    emit(&mut sink, pending)
}

fn copy_error(err: &Error) -> Error {
    match err {
        Error::Read { path, source } => Error::Read {
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
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
        let config = crate::pipeline::Config::default();
        let reference = crate::pipeline::Fingerprint::new(&doc, &config).unwrap();
        assert_eq!(fp.slots, reference.signature.slots);
        assert_eq!(fp.shingle_set.as_ref(), Some(&reference.raw_set));
        assert_eq!(fp.tokens, 12);
    }
}
