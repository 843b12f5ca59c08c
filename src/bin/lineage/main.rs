//! The `lineage` binary: argument parsing, output and exit codes. All the
//! work happens in the library; this is glue.

mod args;
mod check_cmd;
mod dedup_cmd;
mod eval_cmd;
mod exit;
mod extract_cmd;
mod index_cmd;
mod input_args;
mod sketch_cmd;
mod verbosity;

use std::io::Write;
use std::path::Path;
use std::process;

use anyhow::{bail, Context};
use clap::{CommandFactory, Parser};
use lineage::compare::PairReport;
use lineage::pipeline::{attribute, score_pair, Config};
use lineage::report::html::PairTexts;
use lineage::report::human::Style;
use lineage::report::{html, human, json};
use lineage::source::{list::read_list, Document};
use rayon::prelude::*;

use crate::args::{Cli, ColorWhen, Command, CommonArgs, ScoreArgs, ScoreFormat};
use crate::exit::ExitCode;

/// mimalloc keeps freed memory for reuse where glibc's allocator hands
/// large buffers back to the kernel and faults them in again (see the
/// commit that added it for the measurements).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                ExitCode::Clean
            } else {
                eprintln!("lineage: {}", message(&err));
                ExitCode::Error
            }
        }
    };
    process::exit(code.code());
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Score(args) => {
            set_threads(args.common.threads)?;
            score(&args)
        }
        Command::Sketch(args) => sketch_cmd::run(&args),
        Command::Dedup(args) => dedup_cmd::run(&args),
        Command::Index(args) => index(&args),
        Command::Check(args) => check(&args),
        Command::Extract(args) => extract_cmd::run(&args),
        Command::Eval(args) => {
            set_threads(args.common.threads)?;
            eval_cmd::eval(&args)
        }
        // Both render into memory first: clap_complete panics on a failed
        // write, and a full disk must be one error line like elsewhere.
        Command::Completions { shell, verbosity } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "lineage", &mut script);
            verbosity.detail(|| format!("completion script for {shell}: {} bytes", script.len()));
            let mut out = stdout();
            out.write_all(&script)?;
            out.flush()?;
            Ok(ExitCode::Clean)
        }
        Command::Man { verbosity } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            verbosity.detail(|| format!("manual page: {} bytes of roff", page.len()));
            let mut out = stdout();
            out.write_all(&page)?;
            out.flush()?;
            Ok(ExitCode::Clean)
        }
    }
}

/// `lineage check`, with what `-v` adds around it: the options, the
/// files to check and the time it took.
fn check(args: &check_cmd::CheckArgs) -> anyhow::Result<ExitCode> {
    let stages = verbosity::Stages::new(args.verbose);
    verbosity::detail(args.verbose, || {
        format!(
            "parameters: index {}, threshold {}, at most {} candidates, distinctive share {}, within {}, {} threads",
            args.index.display(),
            args.threshold,
            args.candidates,
            args.min_distinctive,
            args.within,
            args.threads
                .map_or_else(|| rayon::current_num_threads().to_string(), |n| n.to_string())
        )
    });
    if args.verbose {
        let inputs = lineage::source::input::Inputs::open(&args.inputs, args.input.options());
        verbosity::list_inputs(true, &inputs);
    }
    let code = check_cmd::run(args);
    stages.total();
    code
}

/// `lineage index add` and `stats`, with what `-v` adds around them.
fn index(args: &index_cmd::IndexArgs) -> anyhow::Result<ExitCode> {
    let (verbose, stages) = match &args.action {
        index_cmd::IndexAction::Add(add) => {
            verbosity::detail(add.verbose, || {
                format!(
                    "{} {}",
                    if add.index.exists() {
                        "extending"
                    } else {
                        "creating"
                    },
                    add.index.display()
                )
            });
            if add.verbose {
                let inputs = lineage::source::input::Inputs::open(&add.inputs, add.input.options());
                verbosity::list_inputs(true, &inputs);
            }
            (add.verbose, verbosity::Stages::new(add.verbose))
        }
        index_cmd::IndexAction::Stats(stats) => {
            let v = stats.verbosity;
            v.detail(|| format!("reading {}", stats.index.display()));
            (v.verbose, v.stages())
        }
        index_cmd::IndexAction::Verify(a) | index_cmd::IndexAction::Compact(a) => {
            let v = a.verbosity;
            v.detail(|| format!("reading {}", a.index.display()));
            (v.verbose, v.stages())
        }
    };
    let code = index_cmd::run(args);
    if verbose {
        stages.total();
    }
    code
}

/// Refuses to write `output` when it is one of `inputs` (the same file,
/// after links): the output would replace the data it was made from.
/// `what` names the output in the message ("the fingerprint file").
pub(crate) fn refuse_overwrite<'a>(
    output: &std::path::Path,
    what: &str,
    inputs: impl IntoIterator<Item = &'a std::path::Path>,
) -> anyhow::Result<()> {
    for input in inputs {
        if input != std::path::Path::new("-") && lineage::store::atomic::same_file(output, input) {
            bail!(
                "{}: {what} would replace the input {}; nothing was written (choose another output path)",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}

pub(crate) fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the worker threads")?;
    }
    Ok(())
}

/// The error chain on one line, plus a suggested fix for library errors.
pub(crate) fn message(err: &anyhow::Error) -> String {
    let mut text = format!("{err:#}");
    if let Some(lib) = err.chain().find_map(|e| e.downcast_ref::<lineage::Error>()) {
        if let Some(hint) = hint(lib) {
            text.push_str(" (");
            text.push_str(hint);
            text.push(')');
        }
    }
    text
}

fn hint(err: &lineage::Error) -> Option<&'static str> {
    use lineage::Error as E;
    Some(match err {
        E::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            "check the path; use - to read standard input"
        }
        E::Read { source, .. } if lineage::error::is_link_loop(source) => {
            "a loop of symbolic links: fix or remove the link"
        }
        E::Read { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            "check the file's permissions"
        }
        E::IsDirectory { .. } => "pass a text file, not a folder",
        E::TooLarge { .. } => {
            "if it is one document, raise the limit, e.g. --max-doc-bytes 1G"
        }
        E::Binary { .. } => "lineage compares text: extract the text first (e.g. pdftotext)",
        E::Malformed { .. } => "each line must be DERIVED<TAB>SOURCE, with # for comments",
        E::BadWeights { .. } => {
            "build a table with scripts/rarity_table.sh, or leave out --weights for the built-in English one"
        }
        E::ParamsMismatch { .. } => "rebuild both fingerprints with the same parameters",
        E::Corrupt { .. } => "re-create it with lineage sketch",
        E::NotOneDocument { .. } => {
            "score compares one document per file: check a feed or JSON Lines file with lineage check, or force --input-format text"
        }
        E::BadTable { .. } => {
            "check that it is an uncompressed Parquet table with a string column of texts, named with --text-field"
        }
        E::NotJsonl { .. } => {
            "--output writes JSON Lines records back as read: pass only JSON Lines inputs, picked in a folder with --glob '*.jsonl'"
        }
        E::BadIndex { .. } => {
            "the file was left as it is: restore it from a backup or rebuild it with lineage index add"
        }
        _ => return None,
    })
}

/// Standard output, locked, whose write errors say that it was standard
/// output: a full disk behind `> file` is otherwise a bare "No space left
/// on device". The error keeps its kind, so a closed pipe is still told.
pub(crate) struct Stdout(std::io::StdoutLock<'static>);

pub(crate) fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(on_stdout)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(on_stdout)
    }
}

fn on_stdout(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot write to standard output: {e}"))
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn warn(text: &str) {
    eprintln!("lineage: warning: {text}");
}

/// Colour and width for passages in text output.
fn style(common: &CommonArgs) -> Style {
    style_for(common.color)
}

/// Colour and width for passages, from `--color` and the environment.
pub(crate) fn style_for(when: ColorWhen) -> Style {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let terminal = std::io::stdout().is_terminal();
    // As no-color.org asks: NO_COLOR turns off the default, an explicit
    // --color always still colours.
    let color = match when {
        ColorWhen::Never => false,
        ColorWhen::Always => true,
        ColorWhen::Auto => !no_color && terminal,
    };
    // COLUMNS when set, else the terminal's width, else (a pipe) 120.
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            terminal
                .then(|| console::Term::stdout().size_checked())
                .flatten()
                .map(|(_, cols)| usize::from(cols))
        })
        .unwrap_or(120);
    Style { color, width }
}

/// A scored pair with the texts its passages point into.
struct Scored {
    report: PairReport,
    derived: Document,
    source: Document,
}

impl Scored {
    /// The report with the texts its byte ranges point into.
    fn texts(&self) -> PairTexts<'_> {
        PairTexts {
            report: &self.report,
            derived: &self.derived.text,
            source: &self.source.text,
        }
    }
}

fn render(scored: &Scored, format: ScoreFormat, common: &CommonArgs) -> String {
    match format {
        ScoreFormat::Text => {
            let mut out = human::render_pair(&scored.report);
            if !common.no_passages {
                out.push_str(&human::render_passages(
                    &scored.report.passages,
                    &scored.derived.text,
                    |_| Some(scored.source.text.as_str()),
                    style(common),
                ));
                if !scored.report.passages.is_empty() {
                    out.push('\n');
                }
            }
            out
        }
        ScoreFormat::Json => {
            json::render_pair_in_files(&scored.report, &scored.derived, &scored.source)
        }
        ScoreFormat::Html => html::render_pair(scored.texts()),
    }
}

fn score_files(
    derived: &Path,
    source: &Path,
    config: &Config,
    common: &CommonArgs,
) -> anyhow::Result<Scored> {
    let d = common.read(derived)?;
    let s = common.read(source)?;
    let report = score_pair(&d, &s, config)?;
    Ok(Scored {
        report,
        derived: d,
        source: s,
    })
}

/// Reads one document for `score`, saying what was read under `-v`.
fn read_verbose(common: &CommonArgs, path: &Path) -> anyhow::Result<Document> {
    let doc = common.read(path)?;
    common.verbosity.detail(|| {
        format!(
            "read {}: id {}, {} bytes of text",
            path.display(),
            doc.id,
            doc.text.len()
        )
    });
    Ok(doc)
}

fn score(args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let config = args.common.config()?;
    let verbosity = args.common.verbosity;
    verbosity.detail(|| args.common.describe(&config));
    let mut stages = verbosity.stages();
    let code = score_with(args, &config, &mut stages);
    stages.total();
    code
}

fn score_with(
    args: &ScoreArgs,
    config: &Config,
    stages: &mut verbosity::Stages,
) -> anyhow::Result<ExitCode> {
    let mut stdout = stdout();
    if let Some(pairs) = &args.pairs {
        let code = score_pair_list(pairs, config, args.format, &args.common, &mut stdout);
        stages.done("score every pair");
        return code;
    }
    if args.files.len() < 2 {
        bail!(
            "score takes DERIVED and at least one SOURCE (got {} files; for many pairs use --pairs FILE)",
            args.files.len()
        );
    }
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        bail!("only one of DERIVED and SOURCE can be - (standard input)");
    }
    if args.files.len() > 2 {
        return score_many(
            &args.files,
            config,
            args.format,
            &args.common,
            &mut stdout,
            stages,
        );
    }
    let derived = read_verbose(&args.common, &args.files[0])?;
    let source = read_verbose(&args.common, &args.files[1])?;
    stages.done("read");
    let scored = Scored {
        report: score_pair(&derived, &source, config)?,
        derived,
        source,
    };
    stages.done("score and align");
    let report = &scored.report;
    for w in &report.warnings {
        warn(w);
    }
    stdout.write_all(render(&scored, args.format, &args.common).as_bytes())?;
    stdout.flush()?;
    stages.done("render and write");
    Ok(if report.finding {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    })
}

/// DERIVED against several sources: attribution.
fn score_many(
    files: &[std::path::PathBuf],
    config: &Config,
    format: ScoreFormat,
    common: &CommonArgs,
    out: &mut impl Write,
    stages: &mut verbosity::Stages,
) -> anyhow::Result<ExitCode> {
    let derived = read_verbose(common, &files[0])?;
    let sources = files[1..]
        .iter()
        .map(|f| read_verbose(common, f))
        .collect::<Result<Vec<_>, _>>()?;
    stages.done("read");
    let a = attribute(&derived, &sources, config)?;
    stages.done("score, align and attribute");
    for p in &a.pairs {
        for w in &p.warnings {
            warn(w);
        }
    }
    match format {
        ScoreFormat::Json => {
            out.write_all(json::render_attribution_in_files(&a, &derived, &sources).as_bytes())?
        }
        ScoreFormat::Html => {
            let page = html::render_attribution(&a, &derived.text, |id| {
                sources.iter().find(|s| s.id == id).map(|s| s.text.as_str())
            });
            out.write_all(page.as_bytes())?;
        }
        ScoreFormat::Text => {
            out.write_all(human::render_attribution(&a).as_bytes())?;
            if !common.no_passages {
                let text = human::render_passages(
                    &a.passages,
                    &derived.text,
                    |id| sources.iter().find(|s| s.id == id).map(|s| s.text.as_str()),
                    style(common),
                );
                out.write_all(text.as_bytes())?;
            }
        }
    }
    out.flush()?;
    Ok(if a.finding {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    })
}

/// Every pair of a list; as HTML, one page of all the pairs that could be
/// scored (the others are reported on standard error, as in text).
fn score_pair_list(
    pairs: &Path,
    config: &Config,
    format: ScoreFormat,
    common: &CommonArgs,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let entries = read_list(pairs, 2)?;
    common.verbosity.detail(|| {
        format!(
            "{}: {} pairs listed",
            pairs.display(),
            entries.iter().filter(|e| e.is_ok()).count()
        )
    });
    let results: Vec<anyhow::Result<Scored>> = entries
        .into_par_iter()
        .map(|entry| {
            let entry = entry?;
            score_files(&entry.derived, &entry.source, config, common)
                .with_context(|| format!("{}:{}", pairs.display(), entry.line))
        })
        .collect();
    let mut code = ExitCode::Clean;
    let mut page = Vec::new();
    for result in results {
        match result {
            Ok(scored) => {
                for w in &scored.report.warnings {
                    warn(w);
                }
                if scored.report.finding {
                    code = code.worst(ExitCode::Findings);
                }
                if format == ScoreFormat::Html {
                    page.push(scored);
                } else {
                    out.write_all(render(&scored, format, common).as_bytes())?;
                }
            }
            Err(err) => {
                eprintln!("lineage: {}", message(&err));
                code = ExitCode::Error;
            }
        }
    }
    if format == ScoreFormat::Html {
        let texts: Vec<PairTexts<'_>> = page.iter().map(Scored::texts).collect();
        out.write_all(html::render_pairs(&texts).as_bytes())?;
    }
    out.flush()?;
    Ok(code)
}
