//! JSON rendering: one object per line (JSON Lines).
//!
//! Each line is a flat object whose `type` field says what it is (`pair`),
//! followed by the fields of [`PairReport`], so `jq '.score'` works directly.
//!
//! Passage byte ranges point into the files the documents were read from:
//! for a text file they are offsets into its text, which is the file; for
//! an HTML page or a feed item, whose text was extracted, they are
//! translated through the document's [`SourceMap`] (`in_files`), so that
//! they slice the page or the feed as written (tags and entities
//! included).

use std::borrow::Cow;

use serde::Serialize;

use crate::compare::align::Passage;
use crate::compare::{Attribution, PairReport};
use crate::source::offsets::SourceMap;
use crate::source::Document;

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    data: &'a T,
}

/// One JSON line: `{"type": kind, ...data}` and a newline: the one
/// envelope of every record lineage prints (README, "JSON records").
pub(crate) fn tagged_line<T: Serialize>(kind: &'static str, data: &T) -> String {
    line(&Tagged { kind, data })
}

/// `value` as one JSON line with its newline (an `error` record in the
/// unlikely case it does not serialise).
pub(crate) fn line<T: Serialize>(value: &T) -> String {
    let mut line = serde_json::to_string(value)
        .unwrap_or_else(|e| format!("{{\"type\":\"error\",\"message\":\"{e}\"}}"));
    line.push('\n');
    line
}

/// A document as lineage reads it (`lineage extract --format json`).
#[derive(Serialize)]
struct DocumentRecord<'a> {
    id: &'a str,
    bytes: usize,
    #[serde(flatten)]
    meta: &'a crate::source::Metadata,
    text: &'a str,
}

/// Renders a document, with the text lineage compares, as one JSON line.
pub fn render_document(doc: &crate::source::Document) -> String {
    tagged_line(
        "document",
        &DocumentRecord {
            id: &doc.id,
            bytes: doc.text.len(),
            meta: &doc.meta,
            text: &doc.text,
        },
    )
}

/// Renders one pair report as a single JSON line, ending with a newline.
pub fn render_pair(r: &PairReport) -> String {
    tagged_line("pair", r)
}

/// [`render_pair`] of the report of `derived` against `source`, its
/// passage ranges in their files (`in_files`).
pub fn render_pair_in_files(r: &PairReport, derived: &Document, source: &Document) -> String {
    tagged_line(
        "pair",
        &*in_files(
            r,
            derived.source_map.as_deref(),
            source.source_map.as_deref(),
        ),
    )
}

/// `r` with its passages' byte ranges in the files the documents were read
/// from: DERIVED's through `derived`, SOURCE's through `source`, when they
/// have a map (the report itself when neither has).
pub(crate) fn in_files<'a>(
    r: &'a PairReport,
    derived: Option<&SourceMap>,
    source: Option<&SourceMap>,
) -> Cow<'a, PairReport> {
    if derived.is_none() && source.is_none() {
        return Cow::Borrowed(r);
    }
    let mut r = r.clone();
    for p in &mut r.passages {
        passage_in_files(p, derived, source);
    }
    Cow::Owned(r)
}

fn passage_in_files(p: &mut Passage, derived: Option<&SourceMap>, source: Option<&SourceMap>) {
    if let Some(m) = derived {
        p.derived = m.to_file(p.derived.clone());
    }
    if let Some(m) = source {
        let r = m.to_file(p.source.range());
        (p.source.start, p.source.end) = (r.start, r.end);
        for d in &mut p.draws_on {
            *d = m.to_file(d.clone());
        }
    }
}

/// Renders a multi-source attribution as a single JSON line.
pub fn render_attribution(a: &crate::compare::Attribution) -> String {
    tagged_line("attribution", a)
}

/// [`render_attribution`] with passage ranges in the files `derived` and
/// `sources` were read from (`in_files`).
pub fn render_attribution_in_files(
    a: &Attribution,
    derived: &Document,
    sources: &[Document],
) -> String {
    let map_of = |id: &str| {
        sources
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.source_map.as_deref())
    };
    let derived_map = derived.source_map.as_deref();
    if derived_map.is_none() && sources.iter().all(|s| s.source_map.is_none()) {
        return render_attribution(a);
    }
    let mut a = a.clone();
    for p in &mut a.passages {
        let source = map_of(&p.source.path);
        passage_in_files(p, derived_map, source);
    }
    for r in &mut a.pairs {
        *r = in_files(r, derived_map, map_of(&r.source)).into_owned();
    }
    tagged_line("attribution", &a)
}

/// Renders an evaluation as a single JSON line.
pub fn render_evaluation(e: &crate::eval::Evaluation) -> String {
    tagged_line("evaluation", e)
}

/// Renders the statistics of an archive (`lineage index stats --format
/// json`) as a single JSON line.
pub fn render_index_stats(
    index: &std::path::Path,
    stats: &crate::archive::disk::IndexStats,
) -> String {
    #[derive(Serialize)]
    struct Stats<'a> {
        index: String,
        #[serde(flatten)]
        stats: &'a crate::archive::disk::IndexStats,
    }
    tagged_line(
        "index_stats",
        &Stats {
            index: index.display().to_string(),
            stats,
        },
    )
}

/// Renders a grouped evaluation as a single JSON line.
pub fn render_groups(g: &crate::eval::GroupedEvaluation) -> String {
    tagged_line("groups", g)
}
