//! `lineage extract`: the text lineage compares, document by document
//! (the main text of an HTML page, each feed item, each JSON Lines
//! record, decoded from its charset), so that a user can see what was
//! read before asking why two documents scored as they did.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use lineage::report::json::render_document;
use lineage::source::input::{InputOptions, Inputs, Item};

use crate::args::Format;
use crate::exit::ExitCode;
use crate::input_args::{skipped_message, InputArgs};

/// `lineage extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Files or folders to read (`-` reads standard input).
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output format: `text` prints a `== ID` line (with the title and
    /// link when the input has them) before each document's text; `json`
    /// one `{"type":"document",...}` record per document.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// How to read the inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// Quiet and verbose.
    #[command(flatten)]
    pub verbosity: crate::verbosity::Verbosity,
}

/// Runs `lineage extract`: exit 0, or 2 when an input could not be read
/// (the others are still printed).
pub fn run(args: &ExtractArgs) -> anyhow::Result<ExitCode> {
    let stages = args.verbosity.stages();
    // The text is printed, not offsets into it: no map back to the page.
    let options = InputOptions {
        source_maps: false,
        ..args.input.options()
    };
    let inputs = Inputs::open(&args.inputs, options);
    crate::verbosity::list_inputs(args.verbosity.verbose, &inputs);
    let mut documents = 0usize;
    let mut code = ExitCode::Clean;
    for err in &inputs.walk.errors {
        eprintln!("{}", skipped_message(err));
        code = ExitCode::Error;
    }
    let mut out = crate::stdout();
    let mut result = Ok(());
    inputs.read_each(|item| {
        if result.is_err() {
            return;
        }
        match item {
            Item::Document(doc) => {
                documents += 1;
                for w in &doc.warnings {
                    eprintln!("lineage: warning: {}: {w}", doc.id);
                }
                result = match args.format {
                    Format::Json => out.write_all(render_document(&doc).as_bytes()),
                    Format::Text => write_text(&mut out, &doc),
                };
            }
            Item::Skipped(s) => {
                if !args.verbosity.quiet {
                    eprintln!("lineage: {s}");
                }
            }
            Item::Failed(err) => {
                eprintln!("{}", skipped_message(&err));
                code = ExitCode::Error;
            }
        }
    });
    result?;
    out.flush()?;
    args.verbosity
        .detail(|| format!("{documents} documents printed"));
    stages.total();
    Ok(code)
}

fn write_text(out: &mut impl Write, doc: &lineage::source::Document) -> std::io::Result<()> {
    write!(out, "== {}", doc.id)?;
    if let Some(title) = &doc.meta.title {
        write!(out, " | {title}")?;
    }
    if let Some(url) = doc.meta.url.as_ref().filter(|u| **u != doc.id) {
        write!(out, " | {url}")?;
    }
    if let Some(date) = &doc.meta.date {
        write!(out, " | {date}")?;
    }
    writeln!(out)?;
    out.write_all(doc.text.as_bytes())?;
    if !doc.text.ends_with('\n') {
        writeln!(out)?;
    }
    writeln!(out)
}
