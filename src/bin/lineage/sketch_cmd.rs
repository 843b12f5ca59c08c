//! `lineage sketch`: fingerprint a corpus into a fingerprint file, native or
//! Apache Parquet.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lineage::corpus::dedup::DedupOptions;
use lineage::corpus::{fingerprint_corpus, CorpusOptions};
use lineage::lsh::LshWeights;
use lineage::sketch::DocFingerprint;
use lineage::sketch::SketchParams;
use lineage::source::input::Inputs;
use lineage::store::fingerprints::{FingerprintEncoder, FingerprintHeader, FingerprintWriter};
use lineage::store::parquet::{has_parquet_extension, ParquetSketchWriter};

use crate::exit::ExitCode;
use crate::input_args::{exit_for, failed_note, report, InputArgs, Reported};
use crate::verbosity::list_inputs;

/// `lineage sketch`.
#[derive(Debug, Args)]
pub struct SketchArgs {
    /// Files, directories (walked recursively, sorted) or - for standard
    /// input.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// The fingerprint file to write (replaced atomically); - streams the
    /// native format to standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    /// File format (default: parquet when FILE ends in .parquet, else
    /// native). Parquet files carry LSH band keys for --threshold and open
    /// in Spark, DuckDB and pandas; `lineage dedup` reads both.
    #[arg(long, value_enum)]
    pub format: Option<SketchFormat>,
    /// Jaccard threshold the Parquet band keys are chosen for (bands and
    /// rows as `lineage dedup --threshold` picks them).
    #[arg(long, default_value_t = DedupOptions::default().threshold)]
    pub threshold: f64,
    /// Weight of false negatives when choosing the Parquet bands and rows,
    /// as `lineage dedup --recall-weight`.
    #[arg(long, value_name = "W", default_value_t = LshWeights::default().false_negative)]
    pub recall_weight: f64,
    /// Input reading options.
    #[command(flatten)]
    pub input: InputArgs,
    /// Also store each document's distinct shingle hashes (8 bytes each),
    /// so that `dedup` on this file verifies pairs exactly and supports
    /// --containment.
    #[arg(long)]
    pub shingle_sets: bool,
    /// Sketch parameters.
    #[command(flatten)]
    pub sketch: SketchParamArgs,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Files or JSON Lines records a thread takes at a time (memory holds
    /// a few such chunks per thread).
    #[arg(long, default_value_t = CorpusOptions::default().batch_docs)]
    pub batch_size: usize,
    /// Quiet and verbose.
    #[command(flatten)]
    pub verbosity: crate::verbosity::Verbosity,
}

/// Fingerprint file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SketchFormat {
    /// lineage's own checksummed format.
    Native,
    /// Apache Parquet, one row per document, with LSH band keys.
    Parquet,
}

/// Where fingerprints go.
enum Sink {
    Native(Box<FingerprintWriter>),
    Parquet(Box<ParquetSketchWriter>),
    /// `-o -`: the native format streamed to standard output.
    Stdout(Box<FingerprintEncoder<BufWriter<std::io::Stdout>>>),
}

impl Sink {
    fn write(&mut self, fp: &DocFingerprint) -> lineage::Result<()> {
        match self {
            Sink::Native(w) => w.write(fp),
            Sink::Parquet(w) => w.write(fp),
            Sink::Stdout(w) => w.write(fp).map_err(stdout_error),
        }
    }

    fn finish(self) -> lineage::Result<u64> {
        match self {
            Sink::Native(w) => w.finish(),
            Sink::Parquet(w) => w.finish(),
            Sink::Stdout(w) => {
                let (mut out, n) = w.finish().map_err(stdout_error)?;
                out.flush().map_err(stdout_error)?;
                Ok(n)
            }
        }
    }
}

fn stdout_error(source: std::io::Error) -> lineage::Error {
    lineage::Error::Write {
        path: PathBuf::from("standard output"),
        source,
    }
}

/// Shingle and MinHash parameters of corpus commands.
#[derive(Debug, Clone, Args)]
pub struct SketchParamArgs {
    /// Words per raw (verbatim) shingle.
    #[arg(long, default_value_t = SketchParams::default().shingle_size)]
    pub shingle_size: usize,
    /// MinHash slots per signature.
    #[arg(long, default_value_t = SketchParams::default().num_perm)]
    pub num_perm: usize,
    /// Seed of every hash.
    #[arg(long, default_value_t = SketchParams::default().seed)]
    pub seed: u64,
}

impl SketchParamArgs {
    /// Validated sketch parameters.
    pub fn params(&self) -> anyhow::Result<SketchParams> {
        let params = SketchParams {
            num_perm: self.num_perm,
            shingle_size: self.shingle_size,
            seed: self.seed,
            ..SketchParams::default()
        };
        params.validate()?;
        lineage::corpus::shingle_params(&params).validate()?;
        Ok(params)
    }
}

/// A spinner on standard error when it is a terminal and not `--quiet`.
pub fn progress(quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// Whether a Parquet encoder thread would find a core the sketching leaves
/// idle: with `--threads 1` (sketching on the calling thread) or a pool
/// smaller than the machine. Otherwise it would only take turns with the
/// sketching threads, so row groups are encoded in the sketching loop
/// instead (Reuters at 2 threads on 2 cores: see the commit message).
fn encoder_has_a_core(threads: Option<usize>) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    threads == Some(1) || rayon::current_num_threads() < cores
}

/// Opens the output: a native file, standard output or a Parquet file.
fn create_sink(
    args: &SketchArgs,
    params: SketchParams,
    format: SketchFormat,
    to_stdout: bool,
) -> anyhow::Result<Sink> {
    let created = match format {
        SketchFormat::Native if to_stdout => FingerprintEncoder::new(
            BufWriter::with_capacity(1 << 20, std::io::stdout()),
            FingerprintHeader::new(params, args.shingle_sets),
        )
        .map(|w| Sink::Stdout(Box::new(w)))
        .map_err(stdout_error),
        SketchFormat::Native => FingerprintWriter::create(
            &args.output,
            FingerprintHeader::new(params, args.shingle_sets),
        )
        .map(|w| Sink::Native(Box::new(w))),
        SketchFormat::Parquet => ParquetSketchWriter::create_for_threshold(
            &args.output,
            params,
            args.threshold,
            LshWeights::recall(args.recall_weight),
            args.shingle_sets,
        )
        .map(|mut w| {
            w.set_background(encoder_has_a_core(args.threads));
            Sink::Parquet(Box::new(w))
        }),
    };
    created.with_context(|| {
        "cannot create the fingerprint file (check the folder exists and is writable)"
    })
}

/// The parameters line of `--verbose`.
fn describe(args: &SketchArgs, options: &CorpusOptions, format: SketchFormat) -> String {
    format!(
        "parameters: {} MinHash slots, shingles of {} words, seed {}, {}, {} format, batches of {} documents, {} threads",
        options.params.num_perm,
        options.params.shingle_size,
        options.params.seed,
        if args.shingle_sets {
            "with shingle sets"
        } else {
            "signatures only"
        },
        match format {
            SketchFormat::Native => "native".to_string(),
            SketchFormat::Parquet => format!(
                "Parquet (band keys for threshold {}, recall weight {})",
                args.threshold, args.recall_weight
            ),
        },
        args.batch_size,
        if options.parallel {
            rayon::current_num_threads()
        } else {
            1
        }
    )
}

/// Runs `lineage sketch`.
pub fn run(args: &SketchArgs) -> anyhow::Result<ExitCode> {
    let params = args.sketch.params()?;
    if args.batch_size == 0 {
        anyhow::bail!("--batch-size must be at least 1");
    }
    crate::set_threads(args.threads)?;
    crate::refuse_overwrite(
        &args.output,
        "the fingerprint file",
        args.inputs.iter().map(PathBuf::as_path),
    )?;
    let started = Instant::now();
    let verbosity = args.verbosity;
    let mut stages = verbosity.stages();
    let inputs = Inputs::open(&args.inputs, args.input.options());
    stages.done("walk the inputs");
    list_inputs(verbosity.verbose, &inputs);
    let format = args
        .format
        .unwrap_or(if has_parquet_extension(&args.output) {
            SketchFormat::Parquet
        } else {
            SketchFormat::Native
        });
    if !(0.0..=1.0).contains(&args.recall_weight) {
        anyhow::bail!(
            "--recall-weight must be between 0 and 1, got {}",
            args.recall_weight
        );
    }
    let to_stdout = args.output == Path::new("-");
    if to_stdout {
        if format == SketchFormat::Parquet {
            anyhow::bail!(
                "a Parquet sketch cannot go to standard output: name a file with -o FILE.parquet"
            );
        }
        if std::io::stdout().is_terminal() {
            anyhow::bail!("the fingerprints are binary: redirect standard output to a file or a pipe, or name a file with -o FILE");
        }
    }
    let mut writer = create_sink(args, params, format, to_stdout)?;
    let options = CorpusOptions {
        params,
        shingle_sets: args.shingle_sets,
        batch_docs: args.batch_size,
        parallel: args.threads != Some(1),
        ..CorpusOptions::default()
    };
    verbosity.detail(|| describe(args, &options, format));
    let bar = progress(args.verbosity.quiet, "sketching");
    let (mut docs, mut bytes, mut failed) = (0u64, 0u64, 0u64);
    fingerprint_corpus(&inputs, options, |event| {
        match report(&bar, args.verbosity.quiet, event) {
            Reported::Fingerprint(fp) => {
                docs += 1;
                bytes += fp.bytes;
                writer.write(&fp)?;
                if docs % 1024 == 0 {
                    bar.set_message(format!("{docs} documents, {:.1} MB", bytes as f64 / 1e6));
                }
            }
            Reported::Failed => failed += 1,
            Reported::Noted => {}
        }
        Ok(())
    })?;
    stages.done("read, sketch and write");
    let written = writer.finish()?;
    bar.finish_and_clear();
    stages.done("finish the file");
    stages.total();
    if !args.verbosity.quiet {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "lineage: {written} documents ({:.1} MB) sketched into {} in {secs:.2} s ({:.0} MB/s){}",
            bytes as f64 / 1e6,
            if to_stdout {
                "standard output".into()
            } else {
                args.output.display().to_string()
            },
            bytes as f64 / 1e6 / secs.max(1e-9),
            failed_note(failed as usize)
        );
    }
    Ok(exit_for(failed as usize))
}
