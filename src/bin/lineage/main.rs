//! The `lineage` binary: argument parsing, output and exit codes. All the
//! work happens in the library; this is glue.

mod args;
mod dedup_cmd;
mod exit;
mod input_args;
mod sketch_cmd;

use std::io::Write;
use std::path::Path;
use std::process;

use anyhow::{bail, Context};
use clap::Parser;
use lineage::pipeline::{score_pair, Config};
use lineage::report::{human, json, PairReport};
use lineage::source::{list::read_list, read_document};
use rayon::prelude::*;

use crate::args::{Cli, Command, Format, ScoreArgs};
use crate::exit::ExitCode;

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
    }
}

fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
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
fn message(err: &anyhow::Error) -> String {
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
        E::Read { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            "check the file's permissions"
        }
        E::IsDirectory { .. } => "pass a text file, not a folder",
        E::Binary { .. } => "lineage compares text: extract the text first (e.g. pdftotext)",
        E::Malformed { .. } => "each line must be DERIVED<TAB>SOURCE, with # for comments",
        E::ParamsMismatch { .. } => "rebuild both fingerprints with the same parameters",
        E::Corrupt { .. } => "re-create it with lineage sketch",
        _ => return None,
    })
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

fn render(report: &PairReport, format: Format) -> String {
    match format {
        Format::Text => human::render_pair(report),
        Format::Json => json::render_pair(report),
    }
}

fn score_files(derived: &Path, source: &Path, config: &Config) -> anyhow::Result<PairReport> {
    let d = read_document(derived)?;
    let s = read_document(source)?;
    Ok(score_pair(&d, &s, config)?)
}

fn score(args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let config = args.common.config()?;
    let format = args.common.format;
    let mut stdout = std::io::stdout().lock();
    if let Some(pairs) = &args.pairs {
        return score_pair_list(pairs, &config, format, &mut stdout);
    }
    let [derived, source] = args.files.as_slice() else {
        bail!(
            "score takes DERIVED and SOURCE (got {} files; for many pairs use --pairs FILE)",
            args.files.len()
        );
    };
    if derived.as_os_str() == "-" && source.as_os_str() == "-" {
        bail!("only one of DERIVED and SOURCE can be - (standard input)");
    }
    let report = score_files(derived, source, &config)?;
    for w in &report.warnings {
        warn(w);
    }
    stdout.write_all(render(&report, format).as_bytes())?;
    stdout.flush()?;
    Ok(if report.finding {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    })
}

fn score_pair_list(
    pairs: &Path,
    config: &Config,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let entries = read_list(pairs, 2)?;
    let results: Vec<anyhow::Result<PairReport>> = entries
        .into_par_iter()
        .map(|entry| {
            let entry = entry?;
            score_files(&entry.derived, &entry.source, config)
                .with_context(|| format!("{}:{}", pairs.display(), entry.line))
        })
        .collect();
    let mut code = ExitCode::Clean;
    for result in results {
        match result {
            Ok(report) => {
                for w in &report.warnings {
                    warn(w);
                }
                out.write_all(render(&report, format).as_bytes())?;
                if report.finding {
                    code = code.worst(ExitCode::Findings);
                }
            }
            Err(err) => {
                eprintln!("lineage: {}", message(&err));
                code = ExitCode::Error;
            }
        }
    }
    out.flush()?;
    Ok(code)
}
