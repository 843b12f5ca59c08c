//! Plain-text rendering of reports for a person at a terminal.
//!
//! The verdict comes first, in words, then the figures with one line each on
//! what they mean.

use std::fmt::Write;

use crate::compare::align::PassageKind;
use crate::compare::score::{Direction, Verdict};
use crate::compare::PairReport;

pub(crate) fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// One sentence saying what the verdict means for this pair.
pub(crate) fn headline(r: &PairReport) -> String {
    // Raw containment without shared quotations is part of the aligned score.
    let how_much = pct(r.coverage.max(r.containment.min(r.aligned_score)));
    let reverse = pct(r.reverse_coverage.max(r.reverse_containment));
    let score = format!("score {:.2}", r.score);
    match r.verdict {
        Verdict::Duplicate => format!(
            "duplicate: {} and {} are the same text ({score})",
            r.derived, r.source
        ),
        Verdict::NearDuplicate => format!(
            "near_duplicate: {} and {} are mostly the same text ({how_much} one way, {reverse} the other; {score})",
            r.derived, r.source
        ),
        Verdict::Derived => format!(
            "derived: {how_much} of {} comes from {} ({score}, {} word for word)",
            r.derived,
            r.source,
            pct(r.verbatim_coverage)
        ),
        Verdict::Summary => format!(
            "summary: {} is consistent with a summary of {} ({} of its rare words are found there, no passage copied or reworded; {score})",
            r.derived,
            r.source,
            pct(r.condensation)
        ),
        Verdict::Partial => format!(
            "partial: {how_much} of {} comes from {} ({score})",
            r.derived, r.source
        ),
        Verdict::Unrelated => format!(
            "unrelated: no evidence that {} comes from {} ({how_much} covered, {score})",
            r.derived, r.source
        ),
    }
}

/// One figure of a pair report: its name, its value and what it means (a
/// row of the text report, reused by [`super::html`]).
pub(crate) struct Figure {
    /// Short name (`score`, `coverage`).
    pub(crate) name: &'static str,
    /// The value as printed.
    pub(crate) value: String,
    /// What it means, in words.
    pub(crate) meaning: String,
}

/// The note when the copying looks stronger the other way round.
pub(crate) fn swap_note(r: &PairReport) -> Option<String> {
    (r.direction == Direction::SourceFromDerived).then(|| {
        format!(
            "the other way round is stronger ({} of {} comes from {}): the arguments may be swapped",
            pct(r.reverse_score),
            r.source,
            r.derived
        )
    })
}

/// The figures of a pair report, the verdict's meaning saying whether it
/// is a finding.
pub(crate) fn figures(r: &PairReport) -> [Figure; 9] {
    let finding = if r.finding {
        format!(
            "finding: score {:.2} >= threshold {:.2}",
            r.score, r.params.threshold
        )
    } else if r.score >= r.params.threshold {
        format!(
            "no finding: score {:.2} >= threshold {:.2} but the copying runs the other way",
            r.score, r.params.threshold
        )
    } else {
        format!(
            "no finding: score {:.2} < threshold {:.2}",
            r.score, r.params.threshold
        )
    };
    let figure = |name, value, meaning| Figure {
        name,
        value,
        meaning,
    };
    [
        figure("verdict", r.verdict.to_string(), finding),
        figure(
            "score",
            format!("{:.3}", r.score),
            "how much of DERIVED is derived from SOURCE".into(),
        ),
        figure(
            "coverage",
            format!("{:.3}", r.coverage),
            format!(
                "share of DERIVED inside {} aligned passages ({:.3} word for word)",
                r.passages
                    .iter()
                    .filter(|p| match p.kind {
                        PassageKind::Verbatim | PassageKind::Paraphrase => true,
                        PassageKind::Quote => r.params.count_quotes,
                        PassageKind::Condensed => false,
                    })
                    .count(),
                r.verbatim_coverage
            ),
        ),
        figure(
            "reverse",
            format!("{:.3}", r.reverse_score),
            "how much of SOURCE is derived from DERIVED".into(),
        ),
        figure(
            "condensed",
            format!("{:.3}", r.condensation),
            format!(
                "summary: share of DERIVED's rare words found in SOURCE, weighted by rarity in English (reverse {:.3})",
                r.reverse_condensation
            ),
        ),
        figure(
            "containment",
            format!("{:.3}", r.containment),
            format!(
                "verbatim: share of DERIVED's {}-word shingles found in SOURCE (reverse {:.3})",
                r.params.shingle.raw_size, r.reverse_containment
            ),
        ),
        figure(
            "content",
            format!("{:.3}", r.content_containment),
            format!(
                "reworded: share of DERIVED's stemmed content-word {}-grams found in SOURCE (reverse {:.3})",
                r.params.shingle.content_size, r.content_reverse_containment
            ),
        ),
        figure(
            "jaccard",
            format!("{:.3}", r.jaccard),
            format!(
                "classic near-duplicate measure, symmetric (MinHash estimate {:.3}, K={})",
                r.jaccard_estimate, r.params.num_perm
            ),
        ),
        figure(
            "lengths",
            format!("{}/{}", r.derived_tokens, r.source_tokens),
            format!(
                "words in DERIVED/SOURCE; {}/{} distinct shingles, {} shared",
                r.raw.derived_shingles, r.raw.source_shingles, r.raw.shared
            ),
        ),
    ]
}

/// Renders one pair report as text, ending with a newline.
pub fn render_pair(r: &PairReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(r));
    if let Some(note) = swap_note(r) {
        let _ = writeln!(out, "  note: {note}");
    }
    for Figure {
        name,
        value,
        meaning,
    } in figures(r)
    {
        let _ = writeln!(out, "  {name:<12} {value:<15} {meaning}");
    }
    out
}

/// How to draw passages: colour (ANSI) or not, and the total line width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Highlight shared words with ANSI colour.
    pub color: bool,
    /// Total width of a line, both columns included.
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 100,
        }
    }
}

fn words_lower(text: &str) -> std::collections::HashSet<String> {
    use unicode_segmentation::UnicodeSegmentation;
    text.unicode_words().map(|w| w.to_lowercase()).collect()
}

/// Word-wraps `text` into lines of at most `width` columns; each line is
/// (visible width, rendered text). Words also in `shared` are highlighted
/// when `color` is on; without colour they are left as they are.
fn wrap(
    text: &str,
    width: usize,
    shared: &std::collections::HashSet<String>,
    color: bool,
) -> Vec<(usize, String)> {
    use unicode_width::UnicodeWidthStr;
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_w = 0;
    for word in text.split_whitespace() {
        let w = word.width();
        if line_w > 0 && line_w + 1 + w > width {
            lines.push((line_w, std::mem::take(&mut line)));
            line_w = 0;
        }
        if line_w > 0 {
            line.push(' ');
            line_w += 1;
        }
        let key: String = word
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if color && !key.is_empty() && shared.contains(&key) {
            let _ = write!(line, "\x1b[1;32m{word}\x1b[0m");
        } else {
            line.push_str(word);
        }
        line_w += w;
    }
    if line_w > 0 {
        lines.push((line_w, line));
    }
    lines
}

/// Renders passages side by side: DERIVED on the left, SOURCE on the right.
/// `source_text` maps a source id to its text.
pub fn render_passages<'t>(
    passages: &[crate::compare::align::Passage],
    derived_text: &str,
    source_text: impl Fn(&str) -> Option<&'t str>,
    style: Style,
) -> String {
    let mut out = String::new();
    // Each row is two spaces, a column, " | " and a column.
    let col = style.width.saturating_sub(5) / 2;
    let col = col.max(20);
    for (n, p) in passages.iter().enumerate() {
        let left = derived_text.get(p.derived.clone()).unwrap_or("");
        let source = source_text(&p.source.path);
        // A condensed passage shows the SOURCE sentences it draws on.
        let right: String = if p.draws_on.is_empty() {
            source
                .and_then(|t| t.get(p.source.range()))
                .unwrap_or("")
                .to_string()
        } else {
            p.draws_on
                .iter()
                .filter_map(|r| source.and_then(|t| t.get(r.clone())))
                .collect::<Vec<_>>()
                .join(" [...] ")
        };
        let right = right.as_str();
        let _ = writeln!(
            out,
            "\npassage {} ({}, similarity {:.2}, {} word for word): DERIVED bytes {}..{} | {} bytes {}..{}",
            n + 1,
            p.kind.as_str(),
            p.similarity,
            pct(p.verbatim),
            p.derived.start,
            p.derived.end,
            p.source.path,
            p.source.start,
            p.source.end
        );
        let lw = wrap(left, col, &words_lower(right), style.color);
        let rw = wrap(right, col, &words_lower(left), style.color);
        for i in 0..lw.len().max(rw.len()) {
            let (w, l) = lw.get(i).map_or((0, ""), |(w, s)| (*w, s.as_str()));
            let r = rw.get(i).map_or("", |(_, s)| s.as_str());
            let pad = " ".repeat(col.saturating_sub(w));
            let _ = writeln!(out, "  {l}{pad} | {r}").map(|_| ());
        }
    }
    out
}

/// The first line of an attribution: the verdict and each source's share.
pub(crate) fn attribution_headline(a: &crate::compare::Attribution) -> String {
    let mut parts: Vec<String> = a
        .sources
        .iter()
        .filter(|s| s.coverage > 0.0)
        .map(|s| format!("{} from {}", pct(s.coverage), s.source))
        .collect();
    parts.push(format!("{} original", pct(a.original)));
    format!("{}: {}: {}", a.verdict, a.derived, parts.join(", "))
}

/// Renders a multi-source attribution as text, ending with a newline.
pub fn render_attribution(a: &crate::compare::Attribution) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", attribution_headline(a));
    let finding = if a.finding { "finding" } else { "no finding" };
    let _ = writeln!(
        out,
        "  {:<12} {:<15} {finding}: combined score of all attributed passages",
        "score",
        format!("{:.3}", a.score)
    );
    for s in &a.sources {
        let _ = writeln!(
            out,
            "  {:<12} {:<15} {} (score alone {:.3})",
            "source",
            pct(s.coverage),
            s.source,
            s.score
        );
    }
    out
}
