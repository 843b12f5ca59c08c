//! `lineage dedup`: near-duplicate clusters of a corpus.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use lineage::corpus::dedup::{apply_clusters, dedup, DedupOptions, DedupResult, Verification};
use lineage::corpus::{fingerprint_corpus, CorpusOptions};
use lineage::lsh::LshWeights;
use lineage::report::dedup::{write_json, write_text, DedupRun};
use lineage::sketch::DocFingerprint;
use lineage::sketch::SketchParams;
use lineage::source::input::Inputs;
use lineage::source::table::is_document_table;
use lineage::store::fingerprints::{is_fingerprint_file, read_fingerprints};
use lineage::store::parquet::{is_parquet_file, read_cluster_assignments, read_parquet_sketch};

use crate::args::Format;
use crate::exit::ExitCode;
use crate::input_args::{report, InputArgs, Reported};
use crate::sketch_cmd::{progress, SketchParamArgs};

/// `lineage dedup`.
#[derive(Debug, Args)]
pub struct DedupArgs {
    /// Files, directories (walked recursively, sorted), - for standard
    /// input, or one fingerprint file written by `lineage sketch` (native or
    /// Parquet). Pairs are
    /// verified exactly on the shingle sets, except for a fingerprint file
    /// made without --shingle-sets: it holds only signatures, so pairs are
    /// then kept on the estimated Jaccard similarity (and --containment and
    /// --exact are refused).
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Input reading options.
    #[command(flatten)]
    pub input: InputArgs,
    /// Jaccard similarity of the 5-word shingle sets at or above which two
    /// documents are duplicates.
    #[arg(long, default_value_t = DedupOptions::default().threshold)]
    pub threshold: f64,
    /// Also group a document whose shingles are contained in another's at
    /// or above this share (excerpts, truncations). Found by an exact join
    /// on the shingle sets.
    #[arg(long, value_name = "T")]
    pub containment: Option<f64>,
    /// Find candidate pairs with an exact prefix-filter join instead of
    /// LSH: no pair at or above the threshold is missed, slower on large
    /// corpora.
    #[arg(long)]
    pub exact: bool,
    /// Weight of false negatives against false positives (1 - this) when
    /// choosing LSH bands and rows; every candidate is verified, so a
    /// higher weight trades time for recall.
    #[arg(long, value_name = "W", default_value_t = LshWeights::default().false_negative)]
    pub recall_weight: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the ids of the documents to keep (every document outside a
    /// cluster, and each cluster's representative: the oldest when all
    /// members have dates, else the longest), one per line; - prints them
    /// on standard output instead of the report.
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
    /// Write the kept documents (those --keep lists) to FILE as JSON
    /// Lines: each kept record's line as read, byte for byte, in input
    /// order (a compressed input's lines decompressed), so FILE is the
    /// deduplicated corpus. Every input must be a JSON Lines file (pick
    /// them in a folder with --glob '*.jsonl'); - prints the records on
    /// standard output instead of the report. The kept records are held
    /// in memory until FILE is replaced in one step.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Take the clusters from this Parquet file (or folder of part files)
    /// of `id, cluster` rows, as `spark/dedup.py` writes, instead of
    /// finding them; INPUT must be the sketch they were computed from.
    /// Documents it does not name stand alone. The report, the
    /// representatives and --keep are as without it.
    #[arg(long, value_name = "CLUSTERS")]
    pub from_parquet: Option<PathBuf>,
    /// Sketch parameters (ignored for a fingerprint file, which records
    /// its own).
    #[command(flatten)]
    pub sketch: SketchParamArgs,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Quiet and verbose.
    #[command(flatten)]
    pub verbosity: crate::verbosity::Verbosity,
}

/// Runs `lineage dedup`.
pub fn run(args: &DedupArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.recall_weight) {
        bail!(
            "--recall-weight must be between 0 and 1, got {}",
            args.recall_weight
        );
    }
    crate::set_threads(args.threads)?;
    check_outputs(args)?;
    let parallel = args.threads != Some(1);
    let options = DedupOptions {
        threshold: args.threshold,
        containment: args.containment,
        lsh_weights: LshWeights::recall(args.recall_weight),
        lsh: None,
        exact_join: args.exact,
        parallel,
    };
    options.validate()?;
    let verbosity = args.verbosity;
    verbosity.detail(|| describe_options(&options, args.recall_weight));
    let mut stages = verbosity.stages();
    let (params, docs, mut code) = load(args, parallel)?;
    stages.done("read");
    verbosity.detail(|| {
        format!(
            "{} documents, sketched with {} MinHash slots, shingles of {} words, seed {}",
            docs.len(),
            params.num_perm,
            params.shingle_size,
            params.seed
        )
    });
    if docs.is_empty() {
        // The reasons (unreadable files) were reported as they were met.
        if code == ExitCode::Error {
            return Ok(code);
        }
        bail!("no documents in the inputs (an empty folder, or only hidden or binary files): nothing to deduplicate");
    }
    let result = match &args.from_parquet {
        Some(clusters) => {
            if !args.inputs.iter().all(|p| is_sketch(p)) {
                bail!("--from-parquet needs the sketch the clusters were computed from as INPUT (a file written by `lineage sketch`)");
            }
            let assignments = read_cluster_assignments(clusters)?;
            apply_clusters(&docs, &assignments, &options)?
        }
        None => dedup(&docs, &options)?,
    };
    stages.done("find clusters");
    verbosity.detail(|| describe_result(&result));
    write_outputs(args, &docs, &result, &params, &options)?;
    stages.done("write");
    stages.total();
    if !result.clusters.is_empty() {
        code = code.worst(ExitCode::Findings);
    }
    Ok(code)
}

/// Refuses a `--keep` or `--output` that would overwrite an input.
fn check_outputs(args: &DedupArgs) -> anyhow::Result<()> {
    if let Some(keep) = args.keep.as_deref() {
        crate::refuse_overwrite(
            keep,
            "the keep list",
            args.inputs
                .iter()
                .map(PathBuf::as_path)
                .chain(args.from_parquet.as_deref()),
        )?;
    }
    if let Some(output) = args.output.as_deref() {
        check_output(args, output)?;
    }
    Ok(())
}

/// The parameters line of `--verbose`.
fn describe_options(options: &DedupOptions, recall_weight: f64) -> String {
    format!(
        "parameters: threshold {}, containment {}, {}, recall weight {}, {} threads",
        options.threshold,
        options
            .containment
            .map_or_else(|| "off".to_string(), |c| c.to_string()),
        if options.exact_join {
            "exact join"
        } else {
            "LSH candidates"
        },
        recall_weight,
        if options.parallel {
            rayon::current_num_threads()
        } else {
            1
        }
    )
}

/// The candidates and clusters line of `--verbose`.
fn describe_result(result: &DedupResult) -> String {
    format!(
        "{} candidate pairs{}, {} verified {}, {} clusters",
        result.candidates,
        result.lsh.map_or_else(String::new, |l| format!(
            " from {} bands of {} rows",
            l.bands, l.rows_per_band
        )),
        result.verified_pairs,
        match result.verification {
            Verification::Exact => "on the shingle sets",
            _ => "on the signatures (estimated Jaccard)",
        },
        result.clusters.len()
    )
}

/// The report on standard output, then the keep list and the kept
/// records where asked (`-` puts one of them on standard output instead
/// of the report).
fn write_outputs(
    args: &DedupArgs,
    docs: &[DocFingerprint],
    result: &DedupResult,
    params: &SketchParams,
    options: &DedupOptions,
) -> anyhow::Result<()> {
    // Collected before anything is written: an input that is not JSON
    // Lines, or that changed since it was read, leaves every output as
    // it was.
    let kept_records = match args.output.as_deref() {
        Some(_) => Some(kept_records(args, docs, result)?),
        None => None,
    };
    let mut out = crate::stdout();
    let keep_to_stdout = args.keep.as_deref() == Some(Path::new("-"));
    let output_to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if output_to_stdout {
        out.write_all(kept_records.as_deref().unwrap_or_default())?;
    } else if keep_to_stdout {
        for i in result.kept() {
            writeln!(out, "{}", docs[i as usize].id)?;
        }
    } else {
        let run = DedupRun {
            docs,
            result,
            params,
            options,
            clusters_from: args.from_parquet.as_deref(),
        };
        match args.format {
            Format::Text => write_text(&mut out, &run)?,
            Format::Json => write_json(&mut out, &run)?,
        }
    }
    out.flush()?;
    if let Some(path) = args.keep.as_deref().filter(|_| !keep_to_stdout) {
        write_keep(path, docs, result)?;
    }
    if let (Some(path), Some(records)) = (
        args.output.as_deref().filter(|_| !output_to_stdout),
        &kept_records,
    ) {
        lineage::store::atomic::write_atomic(path, records).with_context(|| {
            format!(
                "{}: cannot write the kept documents (check the folder exists and is writable)",
                path.display()
            )
        })?;
    }
    Ok(())
}

/// Whether `path` is a fingerprint file, native or Parquet.
/// A sketch's options as the flags that set them.
fn options(p: &SketchParams, shingle_sets: bool) -> String {
    format!(
        "--num-perm {} --shingle-size {} --seed {}{}",
        p.num_perm,
        p.shingle_size,
        p.seed,
        if shingle_sets { " --shingle-sets" } else { "" }
    )
}

/// A Parquet file is a sketch unless it is a table of texts (no lineage
/// parameters in its metadata).
fn is_sketch(path: &Path) -> bool {
    path.is_file()
        && (is_fingerprint_file(path) || (is_parquet_file(path) && !is_document_table(path)))
}

fn load(
    args: &DedupArgs,
    parallel: bool,
) -> anyhow::Result<(SketchParams, Vec<DocFingerprint>, ExitCode)> {
    let fingerprint_files: Vec<&PathBuf> = args.inputs.iter().filter(|p| is_sketch(p)).collect();
    if !fingerprint_files.is_empty() {
        if fingerprint_files.len() != args.inputs.len() {
            bail!("pass fingerprint files or documents, not both (sketch the documents with lineage sketch first)");
        }
        // Shards of one corpus, sketched apart: one corpus, in the order
        // given, as long as they were sketched alike.
        let mut first: Option<(SketchParams, bool, &PathBuf)> = None;
        let mut all = Vec::new();
        for path in fingerprint_files {
            let (params, sets, docs) = if is_parquet_file(path) {
                let (header, docs) = read_parquet_sketch(path)?;
                (header.params, header.shingle_sets, docs)
            } else {
                let (header, docs) = read_fingerprints(path)?;
                (header.params, header.shingle_sets, docs)
            };
            args.verbosity.detail(|| {
                format!(
                    "read {}: {} fingerprints{}",
                    path.display(),
                    docs.len(),
                    if sets { " with shingle sets" } else { "" }
                )
            });
            match first {
                None => first = Some((params, sets, path)),
                Some((p, s, f)) if p != params || s != sets => bail!(
                    "{}: sketched with other options than {} ({}; against {}); sketch every shard with the same options",
                    path.display(),
                    f.display(),
                    options(&params, sets),
                    options(&p, s)
                ),
                Some(_) => {}
            }
            all.extend(docs);
        }
        let Some((params, _, _)) = first else {
            bail!("no fingerprint file");
        };
        return Ok((params, all, ExitCode::Clean));
    }
    let params = args.sketch.params()?;
    let inputs = Inputs::open(&args.inputs, args.input.options());
    crate::verbosity::list_inputs(args.verbosity.verbose, &inputs);
    let options = CorpusOptions {
        params,
        shingle_sets: true,
        parallel,
        ..CorpusOptions::default()
    };
    let bar = progress(args.verbosity.quiet, "reading");
    let mut docs = Vec::new();
    let mut code = ExitCode::Clean;
    fingerprint_corpus(&inputs, options, |event| {
        match report(&bar, args.verbosity.quiet, event) {
            Reported::Fingerprint(fp) => {
                docs.push(fp);
                if docs.len() % 1024 == 0 {
                    bar.set_message(format!("{} documents", docs.len()));
                }
            }
            Reported::Failed => code = ExitCode::Error,
            Reported::Noted => {}
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok((params, docs, code))
}

/// Refuses an `--output` that cannot be written back from these inputs,
/// before any work: the inputs must be read a second time, which standard
/// input cannot be, and a fingerprint file holds no text.
fn check_output(args: &DedupArgs, output: &Path) -> anyhow::Result<()> {
    if output == Path::new("-") && args.keep.as_deref() == Some(Path::new("-")) {
        bail!("--output - and --keep - would both print on standard output: write one of them to a file");
    }
    if args.inputs.iter().any(|p| p == Path::new("-")) {
        bail!("--output reads the inputs twice, and standard input can be read once: save it to a file and pass that");
    }
    if let Some(sketch) = args.inputs.iter().find(|p| is_sketch(p)) {
        bail!(
            "{}: a fingerprint file holds no text, so --output cannot write documents from it: pass the JSON Lines files it was sketched from",
            sketch.display()
        );
    }
    crate::refuse_overwrite(
        output,
        "the kept documents",
        args.inputs
            .iter()
            .map(PathBuf::as_path)
            .chain(args.keep.as_deref()),
    )
}

/// The JSON Lines records of the kept documents, as read, in input
/// order: the inputs are read again, each record checked against the
/// document that was deduplicated (same place, same id).
fn kept_records(
    args: &DedupArgs,
    docs: &[DocFingerprint],
    result: &DedupResult,
) -> anyhow::Result<Vec<u8>> {
    let mut keep = vec![false; docs.len()];
    for i in result.kept() {
        keep[i as usize] = true;
    }
    let changed = || {
        anyhow::anyhow!(
            "the inputs changed while lineage read them; nothing was written (run dedup again)"
        )
    };
    let inputs = Inputs::open(&args.inputs, args.input.options());
    let mut records = Vec::new();
    let seen = inputs.for_each_record(|n, doc, line| {
        if docs.get(n).is_none_or(|d| d.id != doc.id) {
            return Err(changed());
        }
        if keep[n] {
            records.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                records.push(b'\n');
            }
        }
        Ok(())
    })?;
    if seen != docs.len() {
        return Err(changed());
    }
    Ok(records)
}

fn write_keep(path: &Path, docs: &[DocFingerprint], result: &DedupResult) -> anyhow::Result<()> {
    let mut text = String::new();
    for i in result.kept() {
        text.push_str(&docs[i as usize].id);
        text.push('\n');
    }
    lineage::store::atomic::write_atomic(path, text.as_bytes()).with_context(|| {
        format!(
            "{}: cannot write the keep list (check the folder exists and is writable)",
            path.display()
        )
    })
}
