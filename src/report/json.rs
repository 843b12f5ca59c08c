//! JSON rendering: one object per line (JSON Lines).
//!
//! Each line is a flat object whose `type` field says what it is (`pair`),
//! followed by the fields of [`PairReport`], so `jq '.score'` works directly.

use serde::Serialize;

use crate::compare::PairReport;

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

/// Renders a multi-source attribution as a single JSON line.
pub fn render_attribution(a: &crate::compare::Attribution) -> String {
    tagged_line("attribution", a)
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
