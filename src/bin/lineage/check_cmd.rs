//! `lineage check`: new documents against an archive index, for CI.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use lineage::archive::baseline;
use lineage::archive::check::{check_documents, CheckOptions};
use lineage::archive::disk::Archive;
use lineage::archive::retrieve::RetrievalOptions;
use lineage::compare::Config;
use lineage::report;
use lineage::report::check::{render_ci, render_json, render_text, CheckRun};
use lineage::source::input::Inputs;

use crate::args::ColorWhen;
use crate::exit::ExitCode;
use crate::input_args::{exit_for, read_documents, InputArgs};

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Human-readable text with the passages side by side.
    Text,
    /// One JSON object per finding, then a summary object.
    Json,
    /// SARIF 2.1.0, for code scanning (one result per finding).
    Sarif,
    /// JUnit XML, for CI test reports (one test case per document).
    Junit,
    /// GitHub Actions annotations (one `::error` per failing finding).
    Github,
    /// One self-contained HTML page: the findings by score, each with the
    /// texts side by side (open it in a browser; it loads nothing).
    Html,
}

/// `lineage check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The archive index (built by `lineage index add`).
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,
    /// Documents to check: files, directories, feeds, JSON Lines, or - for
    /// standard input.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Also check the inputs against each other.
    #[arg(long)]
    pub within: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Score (either way) at or above which a pair is a finding (exit
    /// status 1). The default catches heavy rewrites; see the README's
    /// calibration section.
    #[arg(long, default_value_t = CheckOptions::default().config.threshold)]
    pub threshold: f64,
    /// Least share of the shorter text made of content shingles that at
    /// most 10 archived documents use; below it a pair is template text
    /// (market reports, earnings tables), not copying. 0 turns it off.
    #[arg(long, value_name = "SHARE", default_value_t = RetrievalOptions::default().min_distinctive)]
    pub min_distinctive: f64,
    /// Most archived candidates verified per document.
    #[arg(long, value_name = "N", default_value_t = RetrievalOptions::default().max_candidates)]
    pub candidates: usize,
    /// Accepted findings (written by --write-baseline): reported, but they
    /// do not fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every finding of this run to FILE as the accepted baseline
    /// (exit status 0 unless an input failed).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Input reading options.
    #[command(flatten)]
    pub input: InputArgs,
    /// How words are weighed and what counts.
    #[command(flatten)]
    pub scoring: crate::args::ScoringArgs,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Colour shared words in passages.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Leave passages out of text output.
    #[arg(long)]
    pub no_passages: bool,
    /// No progress bar, skip notes or summary on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also print on standard error the parameters used, the files read
    /// and the time the check took.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
}

/// A baseline's read and write errors as `cannot read the baseline FILE:
/// why` (the hints for other inputs would mislead here).
fn baseline_error(err: lineage::Error) -> anyhow::Error {
    match err {
        lineage::Error::Read { path, source } => anyhow::Error::new(source)
            .context(format!("cannot read the baseline {}", path.display())),
        lineage::Error::Write { path, source } => anyhow::Error::new(source)
            .context(format!("cannot write the baseline {}", path.display())),
        other => other.into(),
    }
}

/// Runs `lineage check`.
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    crate::set_threads(args.threads)?;
    if let Some(path) = &args.write_baseline {
        crate::refuse_overwrite(
            path,
            "the baseline",
            args.inputs
                .iter()
                .map(PathBuf::as_path)
                .chain([args.index.as_path()]),
        )?;
    }
    if args.candidates == 0 {
        anyhow::bail!("--candidates must be at least 1");
    }
    let index = Archive::open(&args.index)?;
    let baseline = match &args.baseline {
        Some(path) => baseline::read(path).map_err(baseline_error)?,
        None => BTreeSet::new(),
    };
    let config = args.scoring.apply(Config {
        threshold: args.threshold,
        ..Config::default()
    })?;
    let options = CheckOptions {
        config: lineage::archive::check::config_for(index.params(), config),
        retrieval: RetrievalOptions {
            max_candidates: args.candidates,
            min_distinctive: args.min_distinctive,
            ..RetrievalOptions::default()
        },
        within: args.within,
    };
    options.config.validate()?;
    let inputs = Inputs::open(&args.inputs, args.input.options());
    let bar = crate::sketch_cmd::progress(args.quiet, "checking");
    let (docs, mut failed) = read_documents(&inputs, &bar, args.quiet);
    let mut checks = Vec::with_capacity(docs.len());
    for result in check_documents(&docs, &index, &options) {
        match result {
            Ok(check) => {
                for w in &check.warnings {
                    bar.suspend(|| eprintln!("lineage: warning: {}: {w}", check.id));
                }
                checks.push(check);
            }
            Err(err) => {
                bar.suspend(|| eprintln!("lineage: {err} (the document was skipped)"));
                failed += 1;
            }
        }
    }
    bar.finish_and_clear();
    let outcome = CheckRun {
        index: &args.index,
        archived: index.len(),
        checks: &checks,
        baseline: &baseline,
        failed,
        threshold: args.threshold,
    };
    let rendered = match args.format {
        CheckFormat::Text => render_text(&outcome, crate::style_for(args.color), !args.no_passages),
        CheckFormat::Json => render_json(&outcome),
        CheckFormat::Sarif => render_ci(&outcome, report::sarif::render),
        CheckFormat::Junit => render_ci(&outcome, report::junit::render),
        CheckFormat::Github => render_ci(&outcome, report::github::render),
        CheckFormat::Html => report::html::render_check(&outcome),
    };
    let mut stdout = crate::stdout();
    stdout.write_all(rendered.as_bytes())?;
    stdout.flush()?;
    if !args.quiet && args.format != CheckFormat::Text {
        eprintln!("lineage: {}", outcome.summary());
    }
    if let Some(path) = &args.write_baseline {
        let accepted = baseline::accept_all(&checks);
        baseline::write(path, &accepted).map_err(baseline_error)?;
        let n = accepted.len();
        if !args.quiet {
            eprintln!(
                "lineage: {n} findings written to the baseline {}",
                path.display()
            );
        }
        return Ok(exit_for(failed));
    }
    let code = if outcome.failing() > 0 {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    };
    Ok(exit_for(failed).worst(code))
}
