//! `lineage index add`, `stats`, `verify` and `compact`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use lineage::archive::disk::{compact, read_params, Archive, ArchiveWriter};
use lineage::archive::index::{entry, AddSummary, IndexParams};
use lineage::source::input::{Inputs, Item};
use lineage::source::Document;
use lineage::text::shingle::ShingleParams;
use rayon::prelude::*;

use crate::args::Format;
use crate::exit::ExitCode;
use crate::input_args::{exit_for, failed_note, skipped_message, InputArgs};

/// `lineage index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// What to do with the index.
    #[command(subcommand)]
    pub action: IndexAction,
}

/// Index subcommands.
#[derive(Debug, Subcommand)]
pub enum IndexAction {
    /// Create INDEX or add documents to it (an id already indexed with the
    /// same text is left alone, with another text it is replaced).
    ///
    /// INDEX is a small manifest; the documents go to new segment files in
    /// the folder INDEX.segments beside it, a batch at a time, so memory
    /// does not grow with the input or the archive. Each batch is committed
    /// by replacing the manifest atomically under a lock: concurrent adds
    /// serialise, and a crash keeps every batch committed before it. Small
    /// segments are merged as they accumulate. An index written by lineage
    /// 0.1 (one file) is converted first.
    ///
    /// Exit status: 0 all documents indexed, 2 an error (bad documents are
    /// reported and skipped, the rest are still indexed).
    Add(Box<AddArgs>),
    /// Describe INDEX: documents, segments, replaced documents, size per
    /// document, parameters.
    Stats(StatsArgs),
    /// Read every byte of INDEX and check it: every page checksum, record
    /// and list. Exit status 0 when sound, 2 naming the damaged file.
    Verify(VerifyArgs),
    /// Merge the segments of INDEX into one and drop replaced documents
    /// (never needed for correctness; checks read fewer files after it).
    Compact(VerifyArgs),
}

/// `lineage index verify` and `lineage index compact`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The index file.
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,
    /// Quiet and verbose.
    #[command(flatten)]
    pub verbosity: crate::verbosity::Verbosity,
}

/// `lineage index add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The index file (created if missing).
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,
    /// Files, directories (walked recursively, sorted) or - for standard
    /// input.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Input reading options.
    #[command(flatten)]
    pub input: InputArgs,
    /// Do not store the texts (a smaller index; `check` then reads each
    /// candidate from the path its id names). Only when creating.
    #[arg(long)]
    pub no_text: bool,
    /// Keep one content-shingle hash in N (a smaller index for long
    /// documents, less recall for short ones). Only when creating.
    #[arg(long, value_name = "N")]
    pub scale: Option<u32>,
    /// Words per raw (verbatim) shingle. Only when creating.
    #[arg(long)]
    pub shingle_size: Option<usize>,
    /// Content words per content shingle. Only when creating.
    #[arg(long)]
    pub content_size: Option<usize>,
    /// Seed of every hash. Only when creating.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar, skip notes or closing summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also print on standard error the parameters used, the files read
    /// and the time the run took.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
}

/// `lineage index stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The index file.
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Quiet and verbose.
    #[command(flatten)]
    pub verbosity: crate::verbosity::Verbosity,
}

/// Runs `lineage index`.
pub fn run(args: &IndexArgs) -> anyhow::Result<ExitCode> {
    match &args.action {
        IndexAction::Add(a) => add(a),
        IndexAction::Stats(a) => stats(a),
        IndexAction::Verify(a) => verify(a),
        IndexAction::Compact(a) => compact_cmd(a),
    }
}

impl AddArgs {
    fn explicit(&self) -> bool {
        self.no_text
            || self.scale.is_some()
            || self.shingle_size.is_some()
            || self.content_size.is_some()
            || self.seed.is_some()
    }

    /// The parameters asked for, on top of `base`.
    fn params(&self, base: IndexParams) -> IndexParams {
        IndexParams {
            shingle: ShingleParams {
                raw_size: self.shingle_size.unwrap_or(base.shingle.raw_size),
                content_size: self.content_size.unwrap_or(base.shingle.content_size),
                seed: self.seed.unwrap_or(base.shingle.seed),
            },
            scale: self.scale.unwrap_or(base.scale),
            store_text: base.store_text && !self.no_text,
            words: base.words,
        }
    }
}

fn add(args: &AddArgs) -> anyhow::Result<ExitCode> {
    crate::set_threads(args.threads)?;
    crate::refuse_overwrite(
        &args.index,
        "the index",
        args.inputs.iter().map(PathBuf::as_path),
    )?;
    let started = Instant::now();
    let params = params_for(args)?;
    params.validate()?;
    let inputs = Inputs::open(&args.inputs, args.input.options());
    let mut writer = ArchiveWriter::open(&args.index, params, true)
        .with_context(|| format!("cannot update {}", args.index.display()))?;
    let bar = crate::sketch_cmd::progress(args.quiet, "indexing");
    let mut failed = inputs.walk.errors.len();
    for err in &inputs.walk.errors {
        bar.suspend(|| eprintln!("{}", skipped_message(err)));
    }
    // A reader thread reads and parses the next batch while this one is
    // fingerprinted and written: reading hands its documents on in input
    // order (pages are parsed on the rayon pool, a window at a time, see
    // `Inputs::read_each`), and would otherwise leave the cores idle for
    // a part of the build.
    let (send, batches) = std::sync::mpsc::sync_channel::<Vec<Document>>(1);
    let stop = AtomicBool::new(false);
    let mut error: Option<anyhow::Error> = None;
    let read = std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_batches(args, &inputs, &bar, &stop, send));
        for docs in batches {
            if error.is_some() {
                continue;
            }
            match commit(&mut writer, &params, docs) {
                Ok(s) => bar.set_message(format!("indexing: {} documents", s.total)),
                Err(e) => {
                    error = Some(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
        reader.join()
    });
    let read = read.map_err(|_| anyhow::anyhow!("reading the inputs failed"))?;
    failed += read.failed;
    let bytes = read.bytes;
    if let Some(e) = read.error {
        error.get_or_insert(e);
    }
    bar.finish_and_clear();
    if let Some(mut e) = error {
        // Every batch written before the error stays committed.
        if let Err(settle) = writer.settle() {
            e = e.context(format!(
                "the batch before it was not committed either ({settle})"
            ));
        }
        let kept = writer.summary();
        return Err(e.context(format!(
            "cannot update {} ({} documents added before the error are kept)",
            args.index.display(),
            kept.added + kept.updated
        )));
    }
    let summary = writer
        .finish()
        .with_context(|| format!("cannot update {}", args.index.display()))?;
    if !args.quiet {
        eprintln!(
            "lineage: {} added, {} updated, {} unchanged ({:.1} MB read) in {:.2} s; {} now holds {} documents{}",
            summary.added,
            summary.updated,
            summary.unchanged,
            bytes as f64 / 1e6,
            started.elapsed().as_secs_f64(),
            args.index.display(),
            summary.total,
            failed_note(failed)
        );
    }
    Ok(exit_for(failed))
}

/// The index's parameters when it exists (flags that differ are an
/// error), else the ones the flags ask for.
fn params_for(args: &AddArgs) -> anyhow::Result<IndexParams> {
    Ok(match read_params(&args.index)? {
        Some(existing) => {
            if args.explicit() && args.params(existing) != existing {
                bail!(
                    "{} was built with other parameters ({}); drop the parameter flags to add to it, or start a new index",
                    args.index.display(),
                    describe(&existing)
                );
            }
            existing
        }
        None => args.params(IndexParams::default()),
    })
}

/// The reader thread of `index add`: reads the inputs and sends their
/// documents in batches, until the end, an error, or `stop`.
fn read_batches(
    args: &AddArgs,
    inputs: &Inputs,
    bar: &ProgressBar,
    stop: &AtomicBool,
    send: SyncSender<Vec<Document>>,
) -> Read {
    let mut read = Read::default();
    let mut batch = Batch::default();
    inputs.read_each(|item| {
        if read.error.is_some() || stop.load(Ordering::Relaxed) {
            return;
        }
        match item {
            Item::Document(doc) => {
                for w in &doc.warnings {
                    bar.suspend(|| eprintln!("lineage: warning: {}: {w}", doc.id));
                }
                if doc.id == "-" {
                    read.error = Some(anyhow::anyhow!(
                        "the document on standard input needs a name in the archive: pass --id NAME (as -, a second one would replace it); it was not added"
                    ));
                    return;
                }
                read.bytes += doc.text.len() as u64;
                batch.push(doc);
                if batch.full() && send.send(batch.take()).is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
            }
            Item::Skipped(s) => {
                if !args.quiet {
                    bar.suspend(|| eprintln!("lineage: {s}"));
                }
            }
            Item::Failed(err) => {
                bar.suspend(|| eprintln!("{}", skipped_message(&err)));
                read.failed += 1;
            }
        }
    });
    if read.error.is_none() && !batch.docs.is_empty() {
        let _ = send.send(batch.take());
    }
    drop(send);
    read
}

/// What the reader thread of `index add` found besides documents.
#[derive(Default)]
struct Read {
    failed: usize,
    bytes: u64,
    error: Option<anyhow::Error>,
}

/// Documents read and not yet indexed: a batch becomes one segment.
#[derive(Default)]
struct Batch {
    docs: Vec<Document>,
    bytes: usize,
}

impl Batch {
    fn push(&mut self, doc: Document) {
        self.bytes += doc.text.len();
        self.docs.push(doc);
    }

    fn full(&self) -> bool {
        self.bytes >= lineage::archive::disk::BATCH_BYTES
    }

    fn take(&mut self) -> Vec<Document> {
        self.bytes = 0;
        std::mem::take(&mut self.docs)
    }
}

/// Fingerprints a batch in parallel and adds it to the archive (written
/// while the next batch is fingerprinted, committed before it is added).
fn commit(
    writer: &mut ArchiveWriter,
    params: &IndexParams,
    docs: Vec<Document>,
) -> anyhow::Result<AddSummary> {
    let entries: Vec<_> = docs.par_iter().map(|d| entry(d, params)).collect();
    drop(docs);
    Ok(writer.add_in_background(entries)?)
}

fn describe(p: &IndexParams) -> String {
    format!(
        "shingle size {}, content size {}, seed {}, scale {}, {}, {}",
        p.shingle.raw_size,
        p.shingle.content_size,
        p.shingle.seed,
        p.scale,
        if p.store_text {
            "texts stored"
        } else {
            "no texts"
        },
        if p.words {
            "words indexed"
        } else {
            "no words indexed (summaries are found less well: rebuild to index them)"
        }
    )
}

fn stats(args: &StatsArgs) -> anyhow::Result<ExitCode> {
    let archive = Archive::open(&args.index)?;
    let s = archive.stats()?;
    let out = match args.format {
        Format::Json => lineage::report::json::render_index_stats(&args.index, &s),
        Format::Text => {
            let mb = |b: u64| b as f64 / 1e6;
            let mut out = format!(
                "{}: {} documents, {} replaced awaiting compaction, {} segments ({})\n  files         {:.2} MB\n  texts         {:.2} MB, stored as {:.2} MB\n  fingerprint   {:.2} MB of inverted lists\n  per document  {:.0} bytes, {:.0} without the stored text\n  parameters    {}\n",
                args.index.display(),
                s.documents,
                s.tombstones,
                s.segments.len(),
                s.format,
                mb(s.file_bytes),
                mb(s.text_bytes),
                mb(s.stored_text_bytes),
                mb(s.list_bytes),
                s.bytes_per_doc,
                s.bytes_per_doc_without_text,
                describe(&s.params),
            );
            for seg in &s.segments {
                out.push_str(&format!(
                    "  segment       {}: {} documents ({} replaced), {:.2} MB\n",
                    seg.file,
                    seg.documents,
                    seg.replaced,
                    mb(seg.bytes)
                ));
            }
            out
        }
    };
    use std::io::Write;
    let mut stdout = crate::stdout();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::Clean)
}

fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let archive = Archive::open(&args.index)?;
    archive.verify()?;
    if !args.verbosity.quiet {
        eprintln!(
            "lineage: {} is sound: {} documents, every page checked in {:.2} s",
            args.index.display(),
            archive.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::Clean)
}

fn compact_cmd(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let s =
        compact(&args.index).with_context(|| format!("cannot compact {}", args.index.display()))?;
    if !args.verbosity.quiet {
        eprintln!(
            "lineage: {} segments merged into one, {} replaced documents dropped, {} documents in {:.2} s",
            s.segments_before,
            s.dropped,
            s.documents,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::Clean)
}
