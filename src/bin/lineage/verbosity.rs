//! `-q`/`--quiet` and `-v`/`--verbose`, the same on every command: how
//! much goes to standard error besides results, errors and warnings
//! (which always print).
//!
//! Quiet turns off progress bars, notes (a skipped hidden or binary file,
//! a feed item without text) and closing summaries. Verbose adds the
//! parameters a command runs with, the files it reads and the time of
//! each stage, as `lineage: ...` lines; standard output is the same
//! bytes either way.

use std::time::Instant;

use clap::Args;
use lineage::source::input::Inputs;

/// `-q` and `-v`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct Verbosity {
    /// No progress bar, notes (skipped hidden or binary files) or closing
    /// summary on standard error; errors and warnings still print.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print on standard error the parameters used, the files read
    /// and the time each stage took.
    #[arg(short, long)]
    pub verbose: bool,
}

impl Verbosity {
    /// Prints `text()` on standard error when verbose.
    pub fn detail(&self, text: impl FnOnce() -> String) {
        detail(self.verbose, text);
    }

    /// A stopwatch whose stages print when verbose.
    pub fn stages(&self) -> Stages {
        Stages::new(self.verbose)
    }
}

/// Prints `text()` as a `lineage:` line on standard error when `verbose`.
pub fn detail(verbose: bool, text: impl FnOnce() -> String) {
    if verbose {
        eprintln!("lineage: {}", text());
    }
}

/// Times the stages of a command for `-v`.
pub struct Stages {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Stages {
    /// Starts the clock; prints nothing unless `on`.
    pub fn new(on: bool) -> Stages {
        let now = Instant::now();
        Stages {
            on,
            start: now,
            last: now,
        }
    }

    /// Prints how long `stage` took since the previous stage (or the start):
    /// `lineage: time: STAGE 0.012 s`.
    pub fn done(&mut self, stage: &str) {
        let now = Instant::now();
        if self.on {
            let secs = (now - self.last).as_secs_f64();
            eprintln!("lineage: time: {stage} {secs:.3} s");
        }
        self.last = now;
    }

    /// Prints the time since the start: `lineage: time: total 0.1 s`.
    pub fn total(&self) {
        if self.on {
            let secs = self.start.elapsed().as_secs_f64();
            eprintln!("lineage: time: total {secs:.3} s");
        }
    }
}

/// Lists, when verbose, what the walk of the inputs found: a count, then
/// every file to read in reading order (`-` for standard input).
pub fn list_inputs(verbose: bool, inputs: &Inputs) {
    if !verbose {
        return;
    }
    let walk = &inputs.walk;
    let walked = walk.files().iter().filter(|f| f.walked).count();
    eprintln!(
        "lineage: inputs: {} files to read ({walked} found in folders), {} skipped, {} could not be listed",
        walk.files().len(),
        walk.skipped().len(),
        walk.errors.len()
    );
    for file in walk.files() {
        eprintln!("lineage: reading {}", file.path.display());
    }
}
