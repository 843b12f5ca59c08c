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
    verbosity.detail(|| {
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
            args.recall_weight,
            if parallel {
                rayon::current_num_threads()
            } else {
                1
            }
        )
    });
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
    verbosity.detail(|| {
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
    });
    let mut out = crate::stdout();
    let keep_to_stdout = args.keep.as_deref() == Some(Path::new("-"));
    if keep_to_stdout {
        for i in result.kept() {
            writeln!(out, "{}", docs[i as usize].id)?;
        }
    } else {
        let run = DedupRun {
            docs: &docs,
            result: &result,
            params: &params,
            options: &options,
            clusters_from: args.from_parquet.as_deref(),
        };
        match args.format {
            Format::Text => write_text(&mut out, &run)?,
            Format::Json => write_json(&mut out, &run)?,
        }
    }
    out.flush()?;
    if let Some(path) = args.keep.as_deref().filter(|_| !keep_to_stdout) {
        write_keep(path, &docs, &result)?;
    }
    stages.done("write");
    stages.total();
    if !result.clusters.is_empty() {
        code = code.worst(ExitCode::Findings);
    }
    Ok(code)
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

fn is_sketch(path: &Path) -> bool {
    path.is_file() && (is_fingerprint_file(path) || is_parquet_file(path))
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
