//! Input flags shared by every command that reads documents, and how a
//! per-document problem is reported.

use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use lineage::corpus::CorpusEvent;
use lineage::sketch::DocFingerprint;
use lineage::source::input::{InputFormat, InputOptions};
use lineage::source::jsonl::JsonlFields;
use lineage::source::walk::WalkOptions;

/// How to read input files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// By extension (.jsonl/.ndjson, .txt/.md, .html/.htm/.xhtml,
    /// .rss/.atom), then by the first bytes (an <rss>, <feed> or JSON Feed
    /// is a feed, so .xml and .json files are feeds only when they are, a doctype or <html> is HTML, a JSON object per line is
    /// JSON Lines, anything else text); standard input by its first bytes.
    Auto,
    /// Every file is one document.
    Text,
    /// One JSON object per line, one document each.
    Jsonl,
    /// A web page: its main text (no menus, share buttons or footers) is one
    /// document, id the path.
    Html,
    /// RSS, Atom or JSON Feed: one document per item, id the item's link
    /// (else its guid, else FILE#N).
    Feed,
    /// An Apache Parquet table (.parquet, or Parquet's magic bytes): one
    /// document per row, columns named by --text-field, --id-field etc.
    /// (id FILE:ROW when there is no id column).
    Parquet,
}

/// `--input-format` and the JSON Lines field names.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// How to read input files.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub input_format: InputFormatArg,
    /// JSON Lines field holding the document id (a string or number; when
    /// absent the id is FILE:LINE).
    #[arg(long, value_name = "NAME", default_value = "id")]
    pub id_field: String,
    /// JSON Lines field holding the text. Every field name may reach into
    /// nested objects: a dotted path (meta.body) or a JSON pointer
    /// (/meta/body).
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_field: String,
    /// JSON Lines field holding the title (optional in records).
    #[arg(long, value_name = "NAME", default_value = "title")]
    pub title_field: String,
    /// JSON Lines field holding the link (optional in records).
    #[arg(long, value_name = "NAME", default_value = "url")]
    pub url_field: String,
    /// JSON Lines field holding the publish date (optional in records; kept
    /// as written).
    #[arg(long, value_name = "NAME", default_value = "date")]
    pub date_field: String,
    /// Longest document read: a text, HTML or feed file, or one JSON Lines
    /// record (bytes, or with K, M or G for KiB, MiB, GiB). A longer one is
    /// reported and skipped.
    #[arg(long, value_name = "SIZE", default_value_t = ByteSize(lineage::source::DEFAULT_MAX_DOC_BYTES))]
    pub max_doc_bytes: ByteSize,
    /// Id of the text or page read from standard input (-), instead of -:
    /// the name it gets in reports and in an archive index.
    #[arg(long = "id", value_name = "NAME")]
    pub stdin_id: Option<String>,
    /// In folders, read only the files matching GLOB (matched against the
    /// path inside the folder, as in .gitignore: '*.jsonl', '2024/**');
    /// '!GLOB' leaves matching files and folders out. Repeatable; a later
    /// glob wins, and globs win over ignore files. Files named on the
    /// command line are always read.
    #[arg(short = 'g', long = "glob", value_name = "GLOB", value_parser = parse_glob)]
    pub globs: Vec<String>,
    /// In folders, also read what .gitignore and .ignore files leave out
    /// (by default those inside the folder are honoured, in a git
    /// repository or not; those of the folders above it are not).
    #[arg(long)]
    pub no_ignore: bool,
}

/// A `--glob` that parses, or clap's one-line error (exit 2).
fn parse_glob(glob: &str) -> Result<String, String> {
    let options = WalkOptions {
        globs: vec![glob.to_string()],
        ..WalkOptions::default()
    };
    options.validate().map(|()| glob.to_string()).map_err(|e| {
        format!("{e} (write globs as in .gitignore, e.g. '*.jsonl' or '!drafts/', quoted)")
    })
}

/// A number of bytes as people write it: `1048576`, `1024K`, `64M`, `2G`
/// (binary units; a trailing `B` or `iB` is allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl std::str::FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t
            .strip_suffix("iB")
            .or_else(|| t.strip_suffix('B'))
            .unwrap_or(t);
        let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
            Some('K') => (&t[..t.len() - 1], 10),
            Some('M') => (&t[..t.len() - 1], 20),
            Some('G') => (&t[..t.len() - 1], 30),
            _ => (t, 0),
        };
        let n: u64 = digits
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a size (write e.g. 64M, 512K or 1G)"))?;
        if n == 0 {
            return Err("the size must be at least 1 byte".into());
        }
        n.checked_mul(1 << shift)
            .map(ByteSize)
            .ok_or_else(|| format!("{s:?} is too large"))
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        for (shift, unit) in [(30, "G"), (20, "M"), (10, "K")] {
            if n >= 1 << shift && n.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", n >> shift);
            }
        }
        write!(f, "{n}")
    }
}

impl InputArgs {
    /// The library's reading options.
    pub fn options(&self) -> InputOptions {
        InputOptions {
            format: match self.input_format {
                InputFormatArg::Auto => InputFormat::Auto,
                InputFormatArg::Text => InputFormat::Text,
                InputFormatArg::Jsonl => InputFormat::Jsonl,
                InputFormatArg::Html => InputFormat::Html,
                InputFormatArg::Feed => InputFormat::Feed,
                InputFormatArg::Parquet => InputFormat::Parquet,
            },
            fields: JsonlFields {
                id: self.id_field.clone(),
                text: self.text_field.clone(),
                title: self.title_field.clone(),
                url: self.url_field.clone(),
                date: self.date_field.clone(),
            },
            max_doc_bytes: self.max_doc_bytes.0,
            stdin_id: self.stdin_id.clone(),
            walk: WalkOptions {
                globs: self.globs.clone(),
                ignore_files: !self.no_ignore,
            },
            source_maps: true,
        }
    }
}

/// One line for a document or file that was skipped: what went wrong,
/// where, and what to do about it.
pub fn skipped_message(err: &lineage::Error) -> String {
    use lineage::Error as E;
    let hint = match err {
        E::Malformed { .. } => {
            "fix the line, or name the fields with --id-field and --text-field; the line was skipped"
        }
        E::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            "check the path; use - to read standard input"
        }
        E::Read { source, .. } if lineage::error::is_link_loop(source) => {
            "a loop of symbolic links: fix or remove the link; it was skipped"
        }
        E::Read { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            "check the file's permissions; it was skipped"
        }
        E::Read { .. } => "the file may be damaged or cut short; it was skipped",
        E::Binary { .. } => {
            "lineage reads text: extract the text first (e.g. pdftotext); it was skipped"
        }
        E::Feed { .. } => {
            "check that it is RSS, Atom or JSON Feed, or read it as one text with --input-format text; it was skipped"
        }
        E::BadTable { .. } => {
            "check that it is an uncompressed Parquet table with a string column of texts, named with --text-field; it was skipped"
        }
        E::EmptyFeedItem { .. } => {
            "the feed carries no text for it: fetch the page and read it as HTML; the item was skipped"
        }
        E::IsDirectory { .. } => "it was skipped",
        E::TooLarge { .. } => {
            "if it is one document, raise the limit, e.g. --max-doc-bytes 1G; it was skipped"
        }
        _ => "it was skipped",
    };
    // The cause of a read error (a truncated gzip stream, an I/O error)
    // is what the user needs; the other variants say it themselves.
    match err {
        E::Read { source, .. } => format!("lineage: {err}: {source} ({hint})"),
        _ => format!("lineage: {err} ({hint})"),
    }
}

/// What a corpus event comes to for a command.
pub enum Reported {
    /// A fingerprint to use.
    Fingerprint(DocFingerprint),
    /// A document or file that failed (already reported).
    Failed,
    /// A warning or a skipped entry (already reported).
    Noted,
}

/// Reports warnings, skips (unless `quiet`) and failures on standard error
/// above the progress bar, and hands fingerprints back.
pub fn report(bar: &ProgressBar, quiet: bool, event: CorpusEvent) -> Reported {
    match event {
        CorpusEvent::Fingerprint(fp) => return Reported::Fingerprint(fp),
        CorpusEvent::Warning { id, warning } => {
            bar.suspend(|| eprintln!("lineage: warning: {id}: {warning}"))
        }
        CorpusEvent::Skipped(s) => {
            if !quiet {
                bar.suspend(|| eprintln!("lineage: {s}"));
            }
        }
        CorpusEvent::Failed(err) => {
            bar.suspend(|| eprintln!("{}", skipped_message(&err)));
            return Reported::Failed;
        }
    }
    Reported::Noted
}

/// Reads every document of `inputs` (files in parallel, results in input
/// order), reporting warnings, skips (unless `quiet`) and failures on
/// standard error above `bar`. Returns the documents and how many
/// documents or files failed.
pub fn read_documents(
    inputs: &lineage::source::input::Inputs,
    bar: &ProgressBar,
    quiet: bool,
) -> (Vec<lineage::source::Document>, usize) {
    use lineage::source::input::Item;
    let mut failed = 0;
    for err in &inputs.walk.errors {
        bar.suspend(|| eprintln!("{}", skipped_message(err)));
        failed += 1;
    }
    let mut docs = Vec::new();
    for item in inputs.read_all() {
        match item {
            Item::Document(doc) => {
                for w in &doc.warnings {
                    bar.suspend(|| eprintln!("lineage: warning: {}: {w}", doc.id));
                }
                docs.push(doc);
            }
            Item::Skipped(s) => {
                if !quiet {
                    bar.suspend(|| eprintln!("lineage: {s}"));
                }
            }
            Item::Failed(err) => {
                bar.suspend(|| eprintln!("{}", skipped_message(&err)));
                failed += 1;
            }
        }
    }
    (docs, failed)
}

/// ", N failed" for a closing summary, or nothing.
pub fn failed_note(failed: usize) -> String {
    if failed > 0 {
        format!(", {failed} failed")
    } else {
        String::new()
    }
}

/// Exit status of a run in which `failed` documents or files failed.
pub fn exit_for(failed: usize) -> crate::exit::ExitCode {
    if failed > 0 {
        crate::exit::ExitCode::Error
    } else {
        crate::exit::ExitCode::Clean
    }
}
