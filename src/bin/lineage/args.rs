//! Command-line arguments (clap derive) and their validation into the
//! library's [`Config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lineage::compare::score::Thresholds;
use lineage::compare::Config;
use lineage::text::shingle::ShingleParams;

use crate::verbosity::Verbosity;

/// Near-duplicate and derivative-text detection: is one text taken from
/// another, how much of it, and which way?
#[derive(Debug, Parser)]
#[command(
    name = "lineage",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("LINEAGE_COMMIT"), ")"),
    about,
    long_about = None
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score how much of DERIVED comes from SOURCE (one pair, or --pairs FILE).
    ///
    /// Exit status: 0 no pair at or above --threshold, 1 at least one, 2 error.
    Score(ScoreArgs),
    /// Fingerprint every document of a corpus into a fingerprint file.
    ///
    /// Exit status: 0 all documents sketched, 2 an error (bad documents are
    /// reported and skipped, the rest are still written).
    Sketch(crate::sketch_cmd::SketchArgs),
    /// Find near-duplicate clusters in a corpus (or a fingerprint file).
    ///
    /// Exit status: 0 no duplicates, 1 duplicates found, 2 error.
    Dedup(crate::dedup_cmd::DedupArgs),
    /// Build or describe an archive index for `lineage check`.
    Index(crate::index_cmd::IndexArgs),
    /// Check documents against an archive index: each finding is a pair at
    /// or above --threshold, verified and aligned.
    ///
    /// Exit status: 0 no finding (outside the baseline), 1 findings, 2 error.
    Check(crate::check_cmd::CheckArgs),
    /// Evaluate scores on labelled pairs: ROC-AUC, precision/recall/F1 per
    /// threshold, the best-F1 threshold, a confusion table.
    ///
    /// LABELLED has one `DERIVED<TAB>SOURCE<TAB>LABEL` per line; LABEL is 1/0,
    /// or a category with --positive naming the positive ones; `-` lines
    /// are skipped. With a fourth GROUP column (and a fifth SPLIT column,
    /// see --split) it also prints each group's share of findings and each
    /// `X_pos` group's ROC-AUC against `X_neg` and `X_hardneg`. Relative
    /// paths not found from the working directory are taken from
    /// LABELLED's folder.
    Eval(EvalArgs),
    /// Print the text lineage compares, document by document: the main
    /// text of HTML pages, each feed item, each JSON Lines record, decoded
    /// from its charset.
    ///
    /// Exit status: 0 every input read, 2 an input could not be read (the
    /// others are still printed).
    Extract(crate::extract_cmd::ExtractArgs),
    /// Print a shell completion script: `lineage completions bash >
    /// ~/.local/share/bash-completion/completions/lineage` (zsh: into a
    /// folder of $fpath as _lineage; fish: ~/.config/fish/completions/).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
        /// Quiet and verbose.
        #[command(flatten)]
        verbosity: Verbosity,
    },
    /// Print the manual page (roff): `lineage man > lineage.1; man ./lineage.1`.
    Man {
        /// Quiet and verbose.
        #[command(flatten)]
        verbosity: Verbosity,
    },
}

/// `lineage eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The labelled pairs file.
    #[arg(value_name = "LABELLED")]
    pub labelled: PathBuf,
    /// Comma-separated labels that count as positive (default: 1).
    #[arg(long, value_delimiter = ',', value_name = "LABELS")]
    pub positive: Vec<String>,
    /// Comma-separated categories from most to least derived, for
    /// Spearman's correlation (e.g. cut,light,heavy,non).
    #[arg(long, value_delimiter = ',', value_name = "LABELS")]
    pub order: Vec<String>,
    /// Only lines whose SPLIT column (the fifth: DERIVED SOURCE LABEL GROUP
    /// SPLIT) is NAME, e.g. `dev` to calibrate, `val` to check.
    #[arg(long, value_name = "NAME")]
    pub split: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Json,
}

/// Output formats of `score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Json,
    /// One self-contained HTML page: the texts side by side, every passage
    /// highlighted (open it in a browser; it loads nothing).
    Html,
}

/// Options shared by every command that scores.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Score at or above which a pair is a finding (exit status 1).
    #[arg(long, default_value_t = Thresholds::default().derived)]
    pub threshold: f64,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Words per raw (verbatim) shingle.
    #[arg(long, default_value_t = ShingleParams::default().raw_size)]
    pub shingle_size: usize,
    /// Content words per content shingle.
    #[arg(long, default_value_t = ShingleParams::default().content_size)]
    pub content_size: usize,
    /// MinHash slots per signature.
    #[arg(long, default_value_t = Config::default().num_perm)]
    pub num_perm: usize,
    /// Seed of every hash.
    #[arg(long, default_value_t = ShingleParams::default().seed)]
    pub seed: u64,
    /// Colour shared words in passages.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Leave passages out of text output.
    #[arg(long)]
    pub no_passages: bool,
    /// How to read the files (each must hold one document).
    #[command(flatten)]
    pub input: crate::input_args::InputArgs,
    /// How words are weighed and what counts.
    #[command(flatten)]
    pub scoring: ScoringArgs,
    /// Quiet and verbose.
    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Scoring options shared by `score`, `eval` and `check`.
#[derive(Debug, Args)]
pub struct ScoringArgs {
    /// A table of word rarity for your own domain, replacing the built-in
    /// English one: a `# documents N` line, then one `STEM<TAB>DF` line per
    /// stemmed word (see scripts/rarity_table.sh to build one from a JSON
    /// Lines corpus).
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Count quotations both texts contain (two outlets quoting one
    /// statement) towards the score; by default they are shown as `quote`
    /// passages and left out.
    #[arg(long)]
    pub count_quotes: bool,
}

impl ScoringArgs {
    /// `config` with these options applied.
    pub fn apply(&self, mut config: Config) -> anyhow::Result<Config> {
        if let Some(path) = &self.weights {
            config.rarity = lineage::compare::rarity::Rarity::load(path)?.leak();
        }
        config.count_quotes = self.count_quotes;
        Ok(config)
    }
}

impl CommonArgs {
    /// Reads one document the way these options say.
    pub fn read(&self, path: &std::path::Path) -> lineage::Result<lineage::source::Document> {
        lineage::source::input::read_one(path, &self.input.options())
    }

    /// The parameters of `config` and these options, for `-v`.
    pub fn describe(&self, config: &Config) -> String {
        format!(
            "parameters: shingles of {} words and {} content words, {} MinHash slots, seed {}, threshold {}, {} words, quotes {}, {} threads",
            config.shingle.raw_size,
            config.shingle.content_size,
            config.num_perm,
            config.shingle.seed,
            config.threshold,
            match &self.scoring.weights {
                Some(path) => format!("rarity of {}", path.display()),
                None => "built-in English rarity of".to_string(),
            },
            if config.count_quotes { "counted" } else { "shown, not counted" },
            rayon::current_num_threads()
        )
    }

    /// Validates the options into a library configuration.
    pub fn config(&self) -> anyhow::Result<Config> {
        let config = Config {
            shingle: ShingleParams {
                raw_size: self.shingle_size,
                content_size: self.content_size,
                seed: self.seed,
            },
            num_perm: self.num_perm,
            threshold: self.threshold,
            ..Config::default()
        };
        let config = self.scoring.apply(config)?;
        config.validate()?;
        Ok(config)
    }
}

/// `lineage score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// DERIVED then SOURCE: the suspect text and the text it may come from
    /// (`-` reads standard input). Give several SOURCEs to attribute each
    /// passage of DERIVED to its best source.
    #[arg(value_name = "FILE", num_args = 0..)]
    pub files: Vec<PathBuf>,
    /// Score every pair listed in FILE, one `DERIVED<TAB>SOURCE` per line
    /// (further columns ignored, `#` comments and blank lines skipped,
    /// relative paths from the current directory; - reads the list from
    /// standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "files")]
    pub pairs: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScoreFormat::Text)]
    pub format: ScoreFormat,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always, even with NO_COLOR set (an explicit flag wins over the
    /// environment, as no-color.org asks).
    Always,
    /// Never.
    Never,
}
