//! A self-contained HTML page for a person: the texts side by side.
//!
//! In: what `lineage score` found (one [`PairReport`], an [`Attribution`]
//! to several sources, or a list of pairs) or what `lineage check` found (a
//! [`CheckRun`]), with the texts their byte ranges point into. Out: one
//! HTML document in a `String`, the same bytes for the same input.
//!
//! Each pair's view gives the verdict and the figures in the words of
//! [`super::human`]; a strip along DERIVED coloured by what each part comes
//! from; a table of the passages; and DERIVED beside its sources, every
//! passage highlighted and the content words both sides of a passage share
//! (same stem, not a stop word) in bold. Several sources each get a colour
//! and their share of DERIVED; a page of several pairs (`--pairs`, a
//! `check` run) opens with a table of them by score, linking to each view.
//! The colours are Okabe and Ito's, which people with red-green colour
//! blindness can tell apart, with a dark variant for a dark preference;
//! each kind of passage also has its own line style in the texts (verbatim
//! underlined, reworded tinted only, condensed dotted, quote double) and
//! its own pattern in the strip (solid, striped, dotted, lined), so colour
//! is never the only cue and a black-and-white print keeps them apart. Clicking a passage scrolls both sides to it; `n` and `p` step
//! through the passages from the keyboard.
//!
//! The page loads nothing: its CSS (`html.css`) and JavaScript (`html.js`)
//! are inline, and a Content-Security-Policy allows those two blocks, by
//! their SHA-256, and nothing else (no network, font, image or form). The
//! texts and ids are hostile input (an archived page may hold `<script>`):
//! all are escaped, none becomes a link or an attribute the browser acts
//! on, and characters that reorder or hide text (bidirectional controls,
//! C0 and C1 controls) show as a visible `U+202E`. A byte range that falls
//! inside a UTF-8 character is moved to the nearest character boundary.

use std::collections::HashSet;
use std::fmt::Write;
use std::ops::Range;

use super::check::{self, CheckRun};
use super::human::{self, pct, Figure};
use crate::archive::check::{Finding, SourceKind};
use crate::compare::align::{Passage, PassageKind};
use crate::compare::score::Verdict;
use crate::compare::{Attribution, PairReport};
use crate::text::shingle::content_term;
use crate::text::tokenize::tokenize;

/// The page's style sheet, inline and allowed by its hash.
const CSS: &str = include_str!("html.css");
/// The page's script (passage navigation), inline and allowed by its hash.
const JS: &str = include_str!("html.js");
/// SHA-256 of [`CSS`] in base64, for the Content-Security-Policy (a test
/// recomputes it, so an edit of `html.css` that forgets it fails there).
const CSS_SHA256: &str = "XIaXVzSbkGoTQYv+4Wzz+Ut4E6Rmw6vVYXSZ0M/B7Rw=";
/// SHA-256 of [`JS`] in base64, as [`CSS_SHA256`].
const JS_SHA256: &str = "koDwvVvPrMN+4kSGWBv8GixU6WD0fUAri6xJ8khFnyI=";
/// Colours for sources (`s0`..`s7` in the style sheet); more sources reuse
/// them in turn.
const SOURCE_COLOURS: usize = 8;

/// A pair report with the texts its byte ranges point into.
#[derive(Debug, Clone, Copy)]
pub struct PairTexts<'a> {
    /// The report.
    pub report: &'a PairReport,
    /// DERIVED's text, as lineage read it.
    pub derived: &'a str,
    /// SOURCE's text, as lineage read it.
    pub source: &'a str,
}

/// One pair as a page.
pub fn render_pair(pair: PairTexts<'_>) -> String {
    let r = pair.report;
    let mut body = String::new();
    write_view(&mut body, &pair_view(1, pair), false);
    page(
        &format!("lineage: {} from {}", r.derived, r.source),
        "pair report",
        r.params.threshold,
        &body,
    )
}

/// Several pairs (`score --pairs`) as one page: a table of them by score,
/// then each pair's view.
pub fn render_pairs(pairs: &[PairTexts<'_>]) -> String {
    let views: Vec<View<'_>> = pairs
        .iter()
        .enumerate()
        .map(|(i, &p)| pair_view(i + 1, p))
        .collect();
    let rows: Vec<Row<'_>> = pairs
        .iter()
        .zip(&views)
        .map(|(p, v)| Row::of(v.number, p.report, v.badge))
        .collect();
    let mut body = String::new();
    let findings = pairs.iter().filter(|p| p.report.finding).count();
    let _ = write!(
        body,
        "<p class=\"summary\">{} pairs scored: {findings} findings</p>",
        pairs.len()
    );
    write_rows(&mut body, rows);
    for v in &views {
        write_view(&mut body, v, true);
    }
    let threshold = pairs.first().map_or(0.0, |p| p.report.params.threshold);
    page(
        &format!("lineage: {} pairs", pairs.len()),
        "pair reports",
        threshold,
        &body,
    )
}

/// DERIVED against several sources as a page: each source's share, and
/// every passage coloured by the source it is attributed to.
/// `source_text` maps a source id to its text.
pub fn render_attribution<'t>(
    a: &Attribution,
    derived: &str,
    source_text: impl Fn(&str) -> Option<&'t str>,
) -> String {
    let figures = vec![
        Figure {
            name: "verdict",
            value: a.verdict.to_string(),
            meaning: format!(
                "{}: combined score of all attributed passages",
                if a.finding { "finding" } else { "no finding" }
            ),
        },
        Figure {
            name: "score",
            value: format!("{:.3}", a.score),
            meaning: "how much of DERIVED is derived from the sources together".into(),
        },
        Figure {
            name: "coverage",
            value: format!("{:.3}", a.coverage),
            meaning: "share of DERIVED attributed to a source".into(),
        },
        Figure {
            name: "original",
            value: format!("{:.3}", a.original),
            meaning: "share of DERIVED found in none of the sources".into(),
        },
    ];
    let view = View {
        number: 1,
        badge: Badge::of_finding(a.finding),
        headline: human::attribution_headline(a),
        notes: Vec::new(),
        lines: Vec::new(),
        tiles: vec![
            Tile::new(format!("{:.2}", a.score), "combined score"),
            Tile::new(pct(a.coverage), "of DERIVED from the sources"),
            Tile::new(pct(a.original), "original"),
            Tile::new(a.sources.len().to_string(), "sources"),
        ],
        figures,
        derived: Doc {
            id: &a.derived,
            text: derived,
            about: a
                .pairs
                .first()
                .map(|p| format!("{} words", p.derived_tokens))
                .unwrap_or_default(),
        },
        sources: a
            .sources
            .iter()
            .zip(&a.pairs)
            .map(|(s, p)| Doc {
                id: &s.source,
                text: source_text(&s.source).unwrap_or(""),
                about: format!(
                    "{} words · {} of DERIVED · score alone {:.3}",
                    p.source_tokens,
                    pct(s.coverage),
                    s.score
                ),
            })
            .collect(),
        shares: a.sources.iter().map(|s| s.coverage).collect(),
        passages: &a.passages,
        warnings: a
            .pairs
            .iter()
            .flat_map(|p| &p.warnings)
            .map(String::as_str)
            .collect(),
    };
    let mut body = String::new();
    write_view(&mut body, &view, false);
    page(
        &format!("lineage: {} from {} sources", a.derived, a.sources.len()),
        "attribution report",
        a.pairs.first().map_or(0.0, |p| p.params.threshold),
        &body,
    )
}

/// A `lineage check` run as a page: the run in a sentence, a table of the
/// findings by score, then each finding's view.
pub fn render_check(run: &CheckRun<'_>) -> String {
    let findings: Vec<&Finding> = run.checks.iter().flat_map(|c| &c.findings).collect();
    let views: Vec<View<'_>> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| finding_view(i + 1, f, run.is_accepted(f)))
        .collect();
    let mut body = String::new();
    body.push_str("<p class=\"summary\">");
    push_text(&mut body, &run.summary());
    body.push_str("</p>");
    if findings.is_empty() {
        body.push_str("<p>No findings.</p>");
    } else {
        let rows = findings
            .iter()
            .zip(&views)
            .map(|(f, v)| Row::of(v.number, &f.report, v.badge))
            .collect();
        write_rows(&mut body, rows);
    }
    for v in &views {
        write_view(&mut body, v, true);
    }
    page(
        &format!("lineage check: {} findings", findings.len()),
        "check report",
        run.threshold,
        &body,
    )
}

/// The badge beside a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Badge {
    /// What it says.
    label: &'static str,
    /// Its style sheet class.
    class: &'static str,
}

impl Badge {
    fn of_finding(finding: bool) -> Badge {
        if finding {
            Badge {
                label: "finding",
                class: "finding",
            }
        } else {
            Badge {
                label: "no finding",
                class: "clean",
            }
        }
    }
}

/// A main figure shown large, with a few words under it.
struct Tile {
    value: String,
    label: String,
}

impl Tile {
    fn new(value: String, label: impl Into<String>) -> Tile {
        Tile {
            value,
            label: label.into(),
        }
    }
}

/// The main figures of a pair report.
fn pair_tiles(r: &PairReport) -> Vec<Tile> {
    vec![
        Tile::new(
            format!("{:.2}", r.score),
            format!("score (finding from {:.2})", r.params.threshold),
        ),
        Tile::new(pct(r.coverage), "of DERIVED in passages"),
        Tile::new(pct(r.verbatim_coverage), "word for word"),
        Tile::new(format!("{:.2}", r.reverse_score), "reverse score"),
    ]
}

/// One text of a view.
struct Doc<'a> {
    /// Its id (path, URL, record id).
    id: &'a str,
    /// Its text, which the passages' byte ranges point into.
    text: &'a str,
    /// A few facts after its name (length, title, date).
    about: String,
}

/// Everything one pair's view shows.
struct View<'a> {
    /// 1-based position on the page: the section is `#pair-N`.
    number: usize,
    /// Finding or not (accepted, in a check with a baseline).
    badge: Badge,
    /// The verdict in a sentence.
    headline: String,
    /// Notes on how to read it (the arguments may be swapped).
    notes: Vec<String>,
    /// Further facts, one line each (dates, titles).
    lines: Vec<String>,
    /// The main figures, large.
    tiles: Vec<Tile>,
    /// All figures with their meaning.
    figures: Vec<Figure>,
    /// DERIVED.
    derived: Doc<'a>,
    /// The sources, in the order given.
    sources: Vec<Doc<'a>>,
    /// Each source's share of DERIVED, for several sources (else empty).
    shares: Vec<f64>,
    /// The passages, in DERIVED order.
    passages: &'a [Passage],
    /// Warnings about the documents.
    warnings: Vec<&'a str>,
}

fn pair_view(number: usize, pair: PairTexts<'_>) -> View<'_> {
    let r = pair.report;
    View {
        number,
        badge: Badge::of_finding(r.finding),
        headline: human::headline(r),
        notes: human::swap_note(r).into_iter().collect(),
        lines: Vec::new(),
        tiles: pair_tiles(r),
        figures: human::figures(r).into(),
        derived: Doc {
            id: &r.derived,
            text: pair.derived,
            about: format!("{} words", r.derived_tokens),
        },
        sources: vec![Doc {
            id: &r.source,
            text: pair.source,
            about: format!("{} words", r.source_tokens),
        }],
        shares: Vec::new(),
        passages: &r.passages,
        warnings: r.warnings.iter().map(String::as_str).collect(),
    }
}

fn finding_view<'a>(number: usize, f: &'a Finding, accepted: bool) -> View<'a> {
    let r = &f.report;
    let about = |tokens: usize, meta: &crate::source::Metadata, checked: bool| {
        let mut about = format!(
            "{tokens} words · {}",
            if checked { "checked" } else { "archived" }
        );
        if let Some(date) = &meta.date {
            let _ = write!(about, " · {date}");
        }
        about
    };
    let archived_source = f.source_kind == SourceKind::Archive;
    let mut lines = vec![format!("dates: {}", check::dates(f))];
    for (role, meta) in [("derived", &f.derived_meta), ("source", &f.source_meta)] {
        if let Some(title) = &meta.title {
            lines.push(format!("{role} title: {title}"));
        }
    }
    View {
        number,
        badge: if accepted {
            Badge {
                label: "accepted",
                class: "accepted",
            }
        } else {
            Badge::of_finding(true)
        },
        headline: human::headline(r),
        notes: check::notes(f),
        lines,
        tiles: pair_tiles(r),
        figures: human::figures(r).into(),
        derived: Doc {
            id: &r.derived,
            text: &f.derived_text,
            about: about(r.derived_tokens, &f.derived_meta, f.checked_is_derived),
        },
        sources: vec![Doc {
            id: &r.source,
            text: &f.source_text,
            about: about(
                r.source_tokens,
                &f.source_meta,
                !f.checked_is_derived || !archived_source,
            ),
        }],
        shares: Vec::new(),
        passages: &r.passages,
        warnings: r.warnings.iter().map(String::as_str).collect(),
    }
}

/// One line of the table of pairs.
struct Row<'a> {
    number: usize,
    badge: Badge,
    score: f64,
    verdict: Verdict,
    derived: &'a str,
    source: &'a str,
    coverage: f64,
    passages: usize,
}

impl<'a> Row<'a> {
    fn of(number: usize, r: &'a PairReport, badge: Badge) -> Row<'a> {
        Row {
            number,
            badge,
            score: r.score,
            verdict: r.verdict,
            derived: &r.derived,
            source: &r.source,
            coverage: r.coverage,
            passages: r.passages.len(),
        }
    }
}

/// The table of pairs, best score first, each linking to its view.
fn write_rows(out: &mut String, mut rows: Vec<Row<'_>>) {
    rows.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.number.cmp(&b.number)));
    out.push_str(
        "<div class=\"scroll\"><table class=\"runs\"><thead><tr><th>view</th><th class=\"num\">score</th>\
         <th>verdict</th><th>DERIVED</th><th>SOURCE</th><th class=\"num\">coverage</th>\
         <th class=\"num\">passages</th></tr></thead><tbody>",
    );
    for r in &rows {
        let _ = write!(
            out,
            "<tr><td><a href=\"#pair-{n}\">#{n}</a></td><td class=\"num\">{:.3}</td><td>{} \
             <span class=\"badge {}\">{}</span></td><td><bdi>",
            r.score,
            r.verdict,
            r.badge.class,
            r.badge.label,
            n = r.number,
        );
        push_text(out, r.derived);
        out.push_str("</bdi></td><td><bdi>");
        push_text(out, r.source);
        let _ = write!(
            out,
            "</bdi></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            pct(r.coverage),
            r.passages
        );
    }
    out.push_str("</tbody></table></div>");
}

/// How a passage is drawn: its kind's line style and its colour (by kind
/// for one source, by source for several).
struct Look {
    kind: &'static str,
    colour: String,
    title: String,
}

fn kind_class(kind: PassageKind) -> &'static str {
    match kind {
        PassageKind::Verbatim => "kv",
        PassageKind::Paraphrase => "kr",
        PassageKind::Condensed => "kc",
        PassageKind::Quote => "kq",
    }
}

/// The colour of a kind when there is one source.
fn kind_colour(kind: PassageKind) -> &'static str {
    match kind {
        PassageKind::Verbatim => "cv",
        PassageKind::Paraphrase => "cr",
        PassageKind::Condensed => "cc",
        PassageKind::Quote => "cq",
    }
}

/// What each kind means, for the legend.
fn kind_meaning(kind: PassageKind) -> &'static str {
    match kind {
        PassageKind::Verbatim => "copied word for word",
        PassageKind::Paraphrase => "the same content, reworded",
        PassageKind::Condensed => "a sentence condensed from SOURCE sentences",
        PassageKind::Quote => "a quotation both texts contain",
    }
}

const KINDS: [PassageKind; 4] = [
    PassageKind::Verbatim,
    PassageKind::Paraphrase,
    PassageKind::Condensed,
    PassageKind::Quote,
];

/// A byte range of a text belonging to passage `passage` (0-based).
struct Span {
    range: Range<usize>,
    passage: usize,
}

/// A stretch of a text inside one or more passages (0-based, ascending):
/// the spans of a text cut where any of them starts or ends.
#[derive(Debug, PartialEq)]
struct Stretch {
    range: Range<usize>,
    passages: Vec<usize>,
}

/// `at` moved to the nearest character boundary of `text` (the earlier on
/// a tie), and to its end when beyond it.
fn boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    let (mut before, mut after) = (at, at);
    while !text.is_char_boundary(before) {
        before -= 1;
    }
    while !text.is_char_boundary(after) {
        after += 1;
    }
    if at - before <= after - at {
        before
    } else {
        after
    }
}

/// The text between two byte offsets, empty when they are not a valid
/// range (they always are once moved to boundaries: never panics).
fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

/// Cuts `spans` (possibly overlapping, possibly off character boundaries)
/// into stretches in text order.
fn stretches(text: &str, spans: &[Span]) -> Vec<Stretch> {
    let spans: Vec<Span> = spans
        .iter()
        .map(|s| Span {
            range: boundary(text, s.range.start)..boundary(text, s.range.end),
            passage: s.passage,
        })
        .filter(|s| s.range.start < s.range.end)
        .collect();
    let mut cuts: Vec<usize> = spans
        .iter()
        .flat_map(|s| [s.range.start, s.range.end])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut covering: Vec<Vec<usize>> = vec![Vec::new(); cuts.len().saturating_sub(1)];
    for s in &spans {
        let first = cuts.partition_point(|&c| c < s.range.start);
        let last = cuts.partition_point(|&c| c < s.range.end);
        for c in &mut covering[first..last] {
            c.push(s.passage);
        }
    }
    let mut out: Vec<Stretch> = Vec::new();
    for (i, mut passages) in covering.into_iter().enumerate() {
        if passages.is_empty() {
            continue;
        }
        passages.sort_unstable();
        passages.dedup();
        let range = cuts[i]..cuts[i + 1];
        match out.last_mut() {
            Some(last) if last.range.end == range.start && last.passages == passages => {
                last.range.end = range.end;
            }
            _ => out.push(Stretch { range, passages }),
        }
    }
    out
}

/// A text's words and their content terms (stem hashes, `None` for stop
/// words), to mark the words both sides of a passage share.
struct Words {
    spans: Vec<Range<usize>>,
    terms: Vec<Option<u64>>,
}

impl Words {
    fn of(text: &str) -> Words {
        let t = tokenize(text);
        Words {
            spans: t.tokens.iter().map(|k| k.span()).collect(),
            terms: (0..t.tokens.len())
                .map(|i| content_term(t.token_text(i)))
                .collect(),
        }
    }

    /// Indices of the words starting inside `range`.
    fn inside(&self, range: &Range<usize>) -> Range<usize> {
        let first = self.spans.partition_point(|s| s.start < range.start);
        let end = self.spans.partition_point(|s| s.start < range.end);
        first..end.max(first)
    }

    /// The content terms of the words inside `ranges`.
    fn terms_in(&self, ranges: &[Range<usize>]) -> HashSet<u64> {
        ranges
            .iter()
            .flat_map(|r| self.inside(r))
            .filter_map(|i| self.terms.get(i).copied().flatten())
            .collect()
    }

    /// Flags the words inside `ranges` whose term is in `terms`.
    fn mark(&self, ranges: &[Range<usize>], terms: &HashSet<u64>, marks: &mut [bool]) {
        for i in ranges.iter().flat_map(|r| self.inside(r)) {
            if self
                .terms
                .get(i)
                .copied()
                .flatten()
                .is_some_and(|t| terms.contains(&t))
            {
                if let Some(m) = marks.get_mut(i) {
                    *m = true;
                }
            }
        }
    }

    /// The flagged words of `text` as sorted byte ranges, merged where
    /// only white space parts them: one `<b>` for a run of shared words
    /// looks the same and keeps a long verbatim page small.
    fn ranges(&self, text: &str, marks: &[bool]) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = Vec::new();
        for (span, _) in self.spans.iter().zip(marks).filter(|(_, &m)| m) {
            match out.last_mut() {
                Some(last)
                    if span.start <= last.end
                        || slice(text, last.end, span.start)
                            .chars()
                            .all(char::is_whitespace) =>
                {
                    last.end = last.end.max(span.end);
                }
                _ => out.push(span.clone()),
            }
        }
        out
    }
}

/// The SOURCE ranges of a passage: the sentences a condensed passage draws
/// on, else its source range.
fn source_ranges(p: &Passage) -> Vec<Range<usize>> {
    if p.draws_on.is_empty() {
        vec![p.source.range()]
    } else {
        p.draws_on.clone()
    }
}

/// The view's texts cut into stretches, with their shared words.
struct Layout {
    /// For each passage, its source's index in the view (`None`: a source
    /// the view does not have).
    source_of: Vec<Option<usize>>,
    looks: Vec<Look>,
    derived: Vec<Stretch>,
    derived_words: Vec<Range<usize>>,
    /// Per source.
    sources: Vec<Vec<Stretch>>,
    source_words: Vec<Vec<Range<usize>>>,
}

impl Layout {
    fn of(v: &View<'_>) -> Layout {
        let several = v.sources.len() > 1;
        let source_of: Vec<Option<usize>> = v
            .passages
            .iter()
            .map(|p| v.sources.iter().position(|s| s.id == p.source.path))
            .collect();
        let looks = v
            .passages
            .iter()
            .zip(&source_of)
            .enumerate()
            .map(|(i, (p, &s))| {
                let colour = match s {
                    Some(s) if several => format!("s{}", s % SOURCE_COLOURS),
                    _ => kind_colour(p.kind).to_string(),
                };
                let mut title = format!(
                    "passage {}: {}, similarity {:.2}, {} word for word",
                    i + 1,
                    p.kind.as_str(),
                    p.similarity,
                    pct(p.verbatim)
                );
                if several {
                    let _ = write!(title, ", from {}", p.source.path);
                }
                Look {
                    kind: kind_class(p.kind),
                    colour,
                    title,
                }
            })
            .collect();
        let derived_spans: Vec<Span> = v
            .passages
            .iter()
            .enumerate()
            .map(|(i, p)| Span {
                range: p.derived.clone(),
                passage: i,
            })
            .collect();
        let derived_words = Words::of(v.derived.text);
        let mut derived_marks = vec![false; derived_words.spans.len()];
        let mut sources = Vec::with_capacity(v.sources.len());
        let mut source_words = Vec::with_capacity(v.sources.len());
        for (j, doc) in v.sources.iter().enumerate() {
            let words = Words::of(doc.text);
            let mut marks = vec![false; words.spans.len()];
            let mut spans = Vec::new();
            for (i, p) in v.passages.iter().enumerate() {
                if source_of[i] != Some(j) {
                    continue;
                }
                let in_source = source_ranges(p);
                let in_derived = [p.derived.clone()];
                derived_words.mark(&in_derived, &words.terms_in(&in_source), &mut derived_marks);
                words.mark(&in_source, &derived_words.terms_in(&in_derived), &mut marks);
                spans.extend(
                    in_source
                        .into_iter()
                        .map(|range| Span { range, passage: i }),
                );
            }
            sources.push(stretches(doc.text, &spans));
            source_words.push(words.ranges(doc.text, &marks));
        }
        Layout {
            source_of,
            looks,
            derived: stretches(v.derived.text, &derived_spans),
            derived_words: derived_words.ranges(v.derived.text, &derived_marks),
            sources,
            source_words,
        }
    }
}

/// Which column a text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Derived,
    Source,
}

/// One pair's section; `numbered` on a page of several.
fn write_view(out: &mut String, v: &View<'_>, numbered: bool) {
    let layout = Layout::of(v);
    let _ = write!(out, "<section class=\"pair\" id=\"pair-{}\"><h2>", v.number);
    if numbered {
        let _ = write!(out, "#{} ", v.number);
    }
    out.push_str("<bdi>");
    push_text(out, v.derived.id);
    out.push_str("</bdi> <span class=\"arrow\">from</span> <bdi>");
    match v.sources.as_slice() {
        [one] => push_text(out, one.id),
        many => {
            let _ = write!(out, "{} sources", many.len());
        }
    }
    let _ = write!(
        out,
        "</bdi></h2><div class=\"verdict\"><span class=\"badge {}\">{}</span><p class=\"headline\">",
        v.badge.class, v.badge.label
    );
    push_text(out, &v.headline);
    out.push_str("</p></div>");
    for (class, lines) in [("note", &v.notes), ("sub", &v.lines)] {
        for line in lines {
            let _ = write!(out, "<p class=\"{class}\">");
            push_text(out, line);
            out.push_str("</p>");
        }
    }
    for w in &v.warnings {
        out.push_str("<p class=\"warn\">");
        push_text(out, w);
        out.push_str("</p>");
    }
    out.push_str("<dl class=\"tiles\">");
    for t in &v.tiles {
        out.push_str("<div><dt>");
        push_text(out, &t.value);
        out.push_str("</dt><dd>");
        push_text(out, &t.label);
        out.push_str("</dd></div>");
    }
    let _ = write!(
        out,
        "<div><dt>{}</dt><dd>passages</dd></div></dl>",
        v.passages.len()
    );
    write_strip(out, v, &layout);
    if !v.shares.is_empty() {
        write_shares(out, v);
    }
    write_columns(out, v, &layout);
    write_passages(out, v, &layout);
    out.push_str(
        "<details class=\"figures\"><summary>All figures, as the text report gives them</summary>\
         <table class=\"figures\"><tbody>",
    );
    for f in &v.figures {
        let _ = write!(out, "<tr><td>{}</td><td class=\"num\">", f.name);
        push_text(out, &f.value);
        out.push_str("</td><td>");
        push_text(out, &f.meaning);
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></details></section>");
}

/// The strip along DERIVED and its legend.
fn write_strip(out: &mut String, v: &View<'_>, layout: &Layout) {
    out.push_str(
        "<h3>Where DERIVED comes from, start to end</h3>\
         <svg class=\"strip\" role=\"img\" aria-label=\"passages along DERIVED\">",
    );
    let text = v.derived.text;
    let total = text.chars().count().max(1) as f64;
    let (mut at_byte, mut at_char) = (0, 0);
    for s in &layout.derived {
        at_char += slice(text, at_byte, s.range.start).chars().count();
        let len = slice(text, s.range.start, s.range.end).chars().count();
        at_byte = s.range.end;
        let (x, width) = (100.0 * at_char as f64 / total, 100.0 * len as f64 / total);
        at_char += len;
        let owner = s.passages[0];
        let look = &layout.looks[owner];
        let _ = write!(
            out,
            "<rect class=\"fill {}\" x=\"{x:.3}%\" width=\"{width:.3}%\" height=\"100%\" data-p=\"{}\"><title>",
            look.colour,
            owner + 1
        );
        push_attr(out, &look.title);
        out.push_str("</title></rect>");
        if look.kind != "kv" {
            let _ = write!(
                out,
                "<rect class=\"pat\" x=\"{x:.3}%\" width=\"{width:.3}%\" height=\"100%\" fill=\"url(#lp-{})\"/>",
                look.kind
            );
        }
    }
    out.push_str("</svg><ul class=\"legend\">");
    let several = v.sources.len() > 1;
    if several {
        for (j, s) in v.sources.iter().enumerate() {
            let _ = write!(
                out,
                "<li>{}<bdi>",
                swatch(&format!("s{}", j % SOURCE_COLOURS), "kv")
            );
            push_text(out, s.id);
            out.push_str("</bdi></li>");
        }
    }
    for kind in KINDS {
        if !v.passages.iter().any(|p| p.kind == kind) {
            continue;
        }
        let colour = if several { "s7" } else { kind_colour(kind) };
        let _ = write!(
            out,
            "<li>{}<mark class=\"{} {colour}\">{}</mark>&nbsp;{}</li>",
            swatch(colour, kind_class(kind)),
            kind_class(kind),
            kind.as_str(),
            kind_meaning(kind)
        );
    }
    let _ = write!(
        out,
        "<li>{}not found in {}</li><li><b>bold</b>&nbsp;a content word both sides share</li></ul>",
        swatch("cn", "kv"),
        if several { "any source" } else { "SOURCE" }
    );
}

/// A legend swatch: a colour with its kind's pattern.
fn swatch(colour: &str, kind: &str) -> String {
    let mut s = format!(
        "<svg aria-hidden=\"true\"><rect class=\"fill {colour}\" width=\"100%\" height=\"100%\"/>"
    );
    if kind != "kv" {
        let _ = write!(
            s,
            "<rect class=\"pat\" width=\"100%\" height=\"100%\" fill=\"url(#lp-{kind})\"/>"
        );
    }
    s.push_str("</svg>");
    s
}

/// Each source's share of DERIVED (several sources).
fn write_shares(out: &mut String, v: &View<'_>) {
    out.push_str("<h3>Each source's share of DERIVED</h3><table class=\"shares\"><tbody>");
    for (j, (s, share)) in v.sources.iter().zip(&v.shares).enumerate() {
        let _ = write!(out, "<tr><td><bdi>");
        push_text(out, s.id);
        let _ = write!(
            out,
            "</bdi></td><td class=\"num\">{}</td><td><div class=\"bar\"><svg aria-hidden=\"true\">\
             <rect class=\"fill s{}\" width=\"{:.3}%\" height=\"100%\"/></svg></div></td></tr>",
            pct(*share),
            j % SOURCE_COLOURS,
            100.0 * share.clamp(0.0, 1.0)
        );
    }
    out.push_str("</tbody></table>");
}

/// The table of passages, each row selecting its passage.
fn write_passages(out: &mut String, v: &View<'_>, layout: &Layout) {
    let several = v.sources.len() > 1;
    let _ = write!(
        out,
        "<h3>Passages ({})</h3><div class=\"scroll\"><table class=\"passages\"><thead><tr><th>#</th><th>kind</th>{}\
         <th class=\"num\">similarity</th><th class=\"num\">word for word</th>\
         <th class=\"num hide-narrow\">DERIVED bytes</th><th class=\"num hide-narrow\">SOURCE bytes</th></tr></thead><tbody>",
        v.passages.len(),
        if several { "<th>source</th>" } else { "" }
    );
    for (i, p) in v.passages.iter().enumerate() {
        let look = &layout.looks[i];
        let _ = write!(
            out,
            "<tr data-p=\"{n}\"><td><button type=\"button\" class=\"p {} {}\" data-p=\"{n}\" title=\"",
            look.kind,
            look.colour,
            n = i + 1
        );
        push_attr(out, &look.title);
        let _ = write!(
            out,
            "\">{}</button></td><td>{}</td>",
            i + 1,
            p.kind.as_str()
        );
        if several {
            out.push_str("<td><bdi>");
            push_text(out, &p.source.path);
            out.push_str("</bdi></td>");
        }
        let _ = write!(
            out,
            "<td class=\"num\">{:.2}</td><td class=\"num\">{}</td><td class=\"num hide-narrow\">{}..{}</td>\
             <td class=\"num hide-narrow\">{}..{}",
            p.similarity,
            pct(p.verbatim),
            p.derived.start,
            p.derived.end,
            p.source.start,
            p.source.end
        );
        if !p.draws_on.is_empty() {
            let _ = write!(out, " ({} sentences)", p.draws_on.len());
        }
        if layout.source_of[i].is_none() {
            out.push_str(" (text not shown)");
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// DERIVED and its sources side by side.
fn write_columns(out: &mut String, v: &View<'_>, layout: &Layout) {
    out.push_str("<div class=\"sbs\"><div class=\"col derived\"><h3>DERIVED <bdi>");
    push_text(out, v.derived.id);
    out.push_str("</bdi><span class=\"about\">");
    push_text(out, &v.derived.about);
    out.push_str("</span></h3><div class=\"text\">");
    write_text(
        out,
        v.derived.text,
        &layout.derived,
        &layout.derived_words,
        &layout.looks,
        Side::Derived,
    );
    out.push_str("</div></div><div class=\"col source\">");
    match v.sources.as_slice() {
        [one] => {
            out.push_str("<h3>SOURCE <bdi>");
            push_text(out, one.id);
            out.push_str("</bdi><span class=\"about\">");
            push_text(out, &one.about);
            out.push_str("</span></h3><div class=\"text\">");
            write_text(
                out,
                one.text,
                &layout.sources[0],
                &layout.source_words[0],
                &layout.looks,
                Side::Source,
            );
        }
        many => {
            let _ = write!(
                out,
                "<h3>SOURCES <span class=\"about\">{} texts</span></h3><div class=\"text\">",
                many.len()
            );
            for (j, s) in many.iter().enumerate() {
                let used = !layout.sources[j].is_empty();
                out.push_str(if used { "<h4>" } else { "<details><summary>" });
                let _ = write!(out, "{}. <bdi>", j + 1);
                push_text(out, s.id);
                out.push_str("</bdi> · ");
                push_text(out, &s.about);
                out.push_str(if used {
                    "</h4>"
                } else {
                    ": no passage attributed (show the text)</summary>"
                });
                write_text(
                    out,
                    s.text,
                    &layout.sources[j],
                    &layout.source_words[j],
                    &layout.looks,
                    Side::Source,
                );
                if !used {
                    out.push_str("</details>");
                }
            }
        }
    }
    out.push_str("</div></div></div>");
}

/// `text` with its stretches as marks (the first of each passage in
/// DERIVED focusable) and its shared words in bold. Nothing is written
/// between the pieces of text: the text box keeps white space.
fn write_text(
    out: &mut String,
    text: &str,
    stretches: &[Stretch],
    words: &[Range<usize>],
    looks: &[Look],
    side: Side,
) {
    let mut at = 0;
    let mut focusable = vec![true; looks.len()];
    let mut numbered = vec![false; looks.len()];
    for s in stretches {
        push_text(out, slice(text, at, s.range.start));
        let owner = s.passages[0];
        let look = &looks[owner];
        let _ = write!(
            out,
            "<mark class=\"{} {}\" data-p=\"",
            look.kind, look.colour
        );
        for (k, p) in s.passages.iter().enumerate() {
            let _ = write!(out, "{}{}", if k > 0 { " " } else { "" }, p + 1);
        }
        out.push_str("\" title=\"");
        push_attr(out, &look.title);
        if s.passages.len() > 1 {
            out.push_str(" (also passage");
            for p in &s.passages[1..] {
                let _ = write!(out, " {}", p + 1);
            }
            out.push(')');
        }
        out.push('"');
        if side == Side::Derived && std::mem::take(&mut focusable[owner]) {
            out.push_str(" tabindex=\"0\"");
        }
        // The passages starting here, numbered as in the table.
        let mut first = true;
        for &p in &s.passages {
            if !std::mem::replace(&mut numbered[p], true) {
                out.push_str(if first { " data-n=\"" } else { " " });
                let _ = write!(out, "{}", p + 1);
                first = false;
            }
        }
        if !first {
            out.push('"');
        }
        out.push('>');
        write_words(out, text, s.range.clone(), words);
        out.push_str("</mark>");
        at = s.range.end;
    }
    push_text(out, slice(text, at, text.len()));
}

/// `text[range]` with the parts of `words` inside it in bold.
fn write_words(out: &mut String, text: &str, range: Range<usize>, words: &[Range<usize>]) {
    let mut at = range.start;
    let first = words.partition_point(|w| w.end <= range.start);
    for w in &words[first..] {
        if w.start >= range.end {
            break;
        }
        let (start, end) = (w.start.max(at), w.end.min(range.end));
        if start >= end {
            continue;
        }
        push_text(out, slice(text, at, start));
        out.push_str("<b>");
        push_text(out, slice(text, start, end));
        out.push_str("</b>");
        at = end;
    }
    push_text(out, slice(text, at, range.end));
}

/// Whether `c` would reorder or hide text: a control character other than
/// tab and line breaks, or a bidirectional formatting character.
fn is_hidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Escapes `s` for HTML; a hidden character becomes `U+XXXX`, inside a
/// badge (`badge`) or as plain text (attributes, the title).
fn escape(out: &mut String, s: &str, badge: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_hidden(c) => {
                let code = c as u32;
                let _ = if badge {
                    write!(
                        out,
                        "<span class=\"cc-char\" title=\"a hidden character, shown as its code\">U+{code:04X}</span>"
                    )
                } else {
                    write!(out, "[U+{code:04X}]")
                };
            }
            c => out.push(c),
        }
    }
}

/// `s` as HTML text.
fn push_text(out: &mut String, s: &str) {
    escape(out, s, true);
}

/// `s` inside a double-quoted attribute value or a `<title>`.
fn push_attr(out: &mut String, s: &str) {
    escape(out, s, false);
}

/// The SVG patterns that tell kinds apart in the strip and the legend.
const PATTERNS: &str = "<svg class=\"defs\" aria-hidden=\"true\" focusable=\"false\"><defs>\
<pattern id=\"lp-kr\" width=\"7\" height=\"7\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
<rect width=\"2.5\" height=\"7\" fill=\"#fff\" fill-opacity=\".6\"/></pattern>\
<pattern id=\"lp-kc\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">\
<circle cx=\"3\" cy=\"3\" r=\"1.5\" fill=\"#fff\" fill-opacity=\".75\"/></pattern>\
<pattern id=\"lp-kq\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">\
<rect width=\"6\" height=\"2\" fill=\"#fff\" fill-opacity=\".65\"/></pattern>\
</defs></svg>";

/// The whole document around `body`.
fn page(title: &str, what: &str, threshold: f64, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + CSS.len() + JS.len() + 2048);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-{}'; \
         script-src 'sha256-{}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"lineage {}\">\n<title>",
        CSS_SHA256,
        JS_SHA256,
        env!("CARGO_PKG_VERSION")
    );
    push_attr(&mut out, title);
    let _ = write!(
        out,
        "</title>\n<style>{CSS}</style>\n</head>\n<body>\n{PATTERNS}\n<main>\n<header class=\"top\">\
         <h1>lineage <span>{what}</span></h1><p class=\"keys\">Click a passage to see it on both sides · \
         <kbd>n</kbd>/<kbd>p</kbd> next/previous passage · <kbd>Esc</kbd> clear</p></header>\n"
    );
    out.push_str(body);
    let _ = write!(
        out,
        "\n<footer>lineage {} · finding threshold {threshold:.2} · the texts as lineage read them, \
         which the byte ranges point into</footer>\n</main>\n<script>{JS}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{compare, Config, Fingerprint};
    use crate::source::Document;

    fn score(derived: &str, source: &str) -> PairReport {
        let config = Config::default();
        let d = Document::new("derived.txt", derived);
        let s = Document::new("source.txt", source);
        let (d, s) = (
            Fingerprint::new(&d, &config).unwrap(),
            Fingerprint::new(&s, &config).unwrap(),
        );
        compare(&d, &s, &config).unwrap()
    }

    const ORIGINAL: &str = include_str!("../../samples/original.txt");
    const REWRITE: &str = include_str!("../../samples/rewrite.txt");

    /// The page's elements whose tag starts with `tag` (`<mark`), counted.
    fn count(page: &str, tag: &str) -> usize {
        page.matches(tag).count()
    }

    #[test]
    fn the_policy_hashes_are_those_of_the_style_and_script() {
        use base64::Engine;
        use sha2::Digest;
        let hash = |text: &str| {
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
        };
        assert_eq!(
            (hash(CSS).as_str(), hash(JS).as_str()),
            (CSS_SHA256, JS_SHA256),
            "html.css or html.js changed: set CSS_SHA256 and JS_SHA256 to the new hashes"
        );
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let r = score(REWRITE, ORIGINAL);
        let page = render_pair(PairTexts {
            report: &r,
            derived: REWRITE,
            source: ORIGINAL,
        });
        let inner = |open: &str, close: &str| {
            let start = page.find(open).unwrap() + open.len();
            let end = start + page[start..].find(close).unwrap();
            use base64::Engine;
            use sha2::Digest;
            base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha256::digest(&page.as_bytes()[start..end]))
        };
        let policy = format!(
            "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}';",
            inner("<style>", "</style>"),
            inner("<script>", "</script>")
        );
        assert!(page.contains(&policy), "{policy}");
        assert_eq!(count(&page, "<script"), 1);
        assert_eq!(count(&page, "<style"), 1);
        for outside in ["http:", "https:", " src=", "@import", "url(http"] {
            assert!(!page.contains(outside), "{outside}");
        }
    }

    #[test]
    fn the_seed_pair_shows_every_passage_once_in_the_table_and_focusable() {
        let r = score(REWRITE, ORIGINAL);
        assert!(r.passages.len() >= 5);
        let page = render_pair(PairTexts {
            report: &r,
            derived: REWRITE,
            source: ORIGINAL,
        });
        assert_eq!(count(&page, "<tr data-p="), r.passages.len());
        assert_eq!(count(&page, "tabindex=\"0\""), r.passages.len());
        assert!(page.contains(&format!("<h3>Passages ({})</h3>", r.passages.len())));
        assert!(page.contains(&html_text(&human::headline(&r))));
        // Shared words are marked on both sides.
        assert!(page.contains("<b>Maduro</b>"));
    }

    fn html_text(s: &str) -> String {
        let mut out = String::new();
        push_text(&mut out, s);
        out
    }

    #[test]
    fn rendering_is_deterministic() {
        let r = score(REWRITE, ORIGINAL);
        let texts = PairTexts {
            report: &r,
            derived: REWRITE,
            source: ORIGINAL,
        };
        assert_eq!(render_pair(texts), render_pair(texts));
        assert_eq!(render_pairs(&[texts, texts]), render_pairs(&[texts, texts]));
    }

    const HOSTILE: &str = "<script>alert(1)</script> </textarea><img src=x onerror=alert(1)> \
        <a href=\"javascript:alert(1)\">click</a> it's \u{202E}txt.exe\u{202C} & \u{0}\u{7}";

    #[test]
    fn hostile_text_and_ids_are_escaped() {
        let text = format!("{HOSTILE} {REWRITE}");
        let mut r = score(&text, ORIGINAL);
        r.derived = "<script>alert('id')</script>\u{202E}.txt".into();
        let page = render_pair(PairTexts {
            report: &r,
            derived: &text,
            source: ORIGINAL,
        });
        assert_eq!(count(&page, "<script"), 1, "only the page's own script");
        assert_eq!(count(&page, "<img"), 0);
        assert_eq!(count(&page, "<a href=\"javascript"), 0);
        assert_eq!(count(&page, "</textarea"), 0);
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!page.contains('\u{202E}') && !page.contains('\u{0}'));
        assert!(page.contains(">U+202E</span>"));
        assert!(page.contains("[U+202E]"), "in the title");
    }

    #[test]
    fn ranges_inside_a_character_move_to_a_boundary() {
        let text = "héllo wörld ünïcödé";
        assert_eq!(boundary(text, 2), 1);
        assert_eq!(boundary(text, 1), 1);
        assert_eq!(boundary(text, 99), text.len());
        let s = stretches(
            text,
            &[
                Span {
                    range: 2..9,
                    passage: 0,
                },
                Span {
                    range: 8..100,
                    passage: 1,
                },
                Span {
                    range: 3..3,
                    passage: 2,
                },
            ],
        );
        for st in &s {
            assert!(text.is_char_boundary(st.range.start) && text.is_char_boundary(st.range.end));
        }
        assert_eq!(s.first().unwrap().passages, vec![0]);
        // A report whose ranges are off boundaries renders without panic.
        let mut r = score(REWRITE, ORIGINAL);
        for p in &mut r.passages {
            p.derived = p.derived.start + 1..p.derived.end + 1000;
            p.source.start += 1;
        }
        let page = render_pair(PairTexts {
            report: &r,
            derived: text,
            source: "ü",
        });
        assert!(page.contains("h</mark>") || page.contains("<mark"));
    }

    #[test]
    fn overlapping_spans_cut_into_stretches() {
        let text = "aaaa bbbb cccc dddd";
        let s = stretches(
            text,
            &[
                Span {
                    range: 0..9,
                    passage: 0,
                },
                Span {
                    range: 5..14,
                    passage: 1,
                },
            ],
        );
        let got: Vec<(Range<usize>, Vec<usize>)> =
            s.into_iter().map(|s| (s.range, s.passages)).collect();
        assert_eq!(
            got,
            vec![(0..5, vec![0]), (5..9, vec![0, 1]), (9..14, vec![1])]
        );
    }

    #[test]
    fn a_check_run_lists_its_findings_by_score_linking_to_each_view() {
        use crate::archive::check::DocCheck;
        use crate::report::ci::tests::finding;
        let mut low = finding("b.txt", "archive/b.txt", Verdict::Partial);
        low.report.score = 0.2;
        let high = finding("a.txt", "archive/a.txt", Verdict::Derived);
        let checks = vec![
            DocCheck {
                id: "b.txt".into(),
                meta: Default::default(),
                candidates: 1,
                findings: vec![low],
                warnings: vec![],
            },
            DocCheck {
                id: "a.txt".into(),
                meta: Default::default(),
                candidates: 1,
                findings: vec![high],
                warnings: vec![],
            },
        ];
        let baseline = Default::default();
        let run = CheckRun {
            index: std::path::Path::new("archive.idx"),
            archived: 3,
            checks: &checks,
            baseline: &baseline,
            failed: 0,
            threshold: 0.1,
        };
        let page = render_check(&run);
        let first = page.find("href=\"#pair-2\"").unwrap();
        let second = page.find("href=\"#pair-1\"").unwrap();
        assert!(first < second, "a.txt (0.5) before b.txt (0.2)");
        assert!(page.contains("id=\"pair-1\"") && page.contains("id=\"pair-2\""));
        assert!(page.contains(&html_text(&run.summary())));
    }
}
