//! `lineage index add` and `lineage index stats`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use lineage::archive::index::{add_to_file, entry, read_params, Index, IndexParams};
use lineage::source::input::Inputs;
use lineage::text::shingle::ShingleParams;
use rayon::prelude::*;

use crate::args::Format;
use crate::exit::ExitCode;
use crate::input_args::{counter, exit_for, failed_note, read_documents, InputArgs};

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
    /// The file is replaced atomically under a lock: concurrent adds
    /// serialise, and a crash leaves the old or the new index.
    ///
    /// Exit status: 0 all documents indexed, 2 an error (bad documents are
    /// reported and skipped, the rest are still indexed).
    Add(Box<AddArgs>),
    /// Describe INDEX: documents, size per document, parameters, dates.
    Stats(StatsArgs),
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
}

/// Runs `lineage index`.
pub fn run(args: &IndexArgs) -> anyhow::Result<ExitCode> {
    match &args.action {
        IndexAction::Add(a) => add(a),
        IndexAction::Stats(a) => stats(a),
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
    let params = match read_params(&args.index)? {
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
    };
    params.validate()?;
    let inputs = Inputs::open(&args.inputs, args.input.options());
    let reading = crate::sketch_cmd::progress(args.quiet, "reading");
    let (docs, failed) = read_documents(&inputs, &reading, args.quiet);
    reading.finish_and_clear();
    if docs.iter().any(|d| d.id == "-") {
        anyhow::bail!(
            "the document on standard input needs a name in the archive: pass --id NAME (as -, a second one would replace it); nothing was added"
        );
    }
    let bar = counter(args.quiet, docs.len(), "indexing");
    let entries: Vec<_> = docs
        .par_iter()
        .map(|d| {
            let e = entry(d, &params);
            bar.inc(1);
            e
        })
        .collect();
    bar.finish_and_clear();
    let bytes: u64 = docs.iter().map(|d| d.text.len() as u64).sum();
    let summary = add_to_file(&args.index, params, true, entries)
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
    let index = Index::load(&args.index)?;
    let file_bytes = std::fs::metadata(&args.index)
        .with_context(|| format!("cannot read {}", args.index.display()))?
        .len();
    let s = index.stats(file_bytes);
    let out = match args.format {
        Format::Json => {
            let mut line = serde_json::to_string(&serde_json::json!({
                "type": "index_stats",
                "index": args.index.display().to_string(),
                "stats": s,
            }))?;
            line.push('\n');
            line
        }
        Format::Text => {
            let mb = |b: u64| b as f64 / 1e6;
            format!(
                "{}: {} documents ({} with text)\n  file          {:.2} MB\n  texts         {:.2} MB, stored as {:.2} MB\n  fingerprint   {:.0} bytes per document ({} inverted-list entries, {} of words)\n  per document  {:.0} bytes without the stored text\n  dates         {} .. {}\n  parameters    {}\n",
                args.index.display(),
                s.documents,
                s.with_text,
                mb(s.file_bytes),
                mb(s.text_bytes),
                mb(s.stored_text_bytes),
                s.fingerprint_bytes_per_doc,
                s.postings + s.word_postings,
                s.word_postings,
                s.bytes_per_doc_without_text,
                s.oldest.as_deref().unwrap_or("-"),
                s.newest.as_deref().unwrap_or("-"),
                describe(&s.params),
            )
        }
    };
    use std::io::Write;
    let mut stdout = crate::stdout();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::Clean)
}
