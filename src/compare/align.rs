//! Stage 6: passage alignment, the evidence behind a score.
//!
//! In: two [`Fingerprint`]s, DERIVED and SOURCE. Out: an [`Alignment`], the
//! passages of DERIVED that come from SOURCE, each as byte ranges into both
//! original texts, and the `coverage` of DERIVED: the share of its
//! characters (white space aside) inside a passage.
//!
//! The method follows the seed-extend-filter design of the best PAN
//! text-alignment systems (Sanchez-Perez, Sidorov and Gelbukh, PAN 2014):
//!
//! 1. **Seeds.** Two kinds.
//!    * *Verbatim*: raw shingles (default five words) present in both texts,
//!      chained along diagonals into runs of consecutive matches.
//!    * *Paraphrase*: sentence pairs whose stemmed content words overlap
//!      strongly. Words are weighted by inverse sentence frequency over both
//!      texts, so the rare words a passage is about weigh more than the topic
//!      words every sentence repeats. A DERIVED sentence is seeded when its
//!      tf-isf cosine and its Dice coefficient with one SOURCE sentence both
//!      pass [`AlignParams::sentence_cosine`] and
//!      [`AlignParams::sentence_dice`] (the PAN 2014 test), or when the
//!      weighted share of its words found in up to
//!      [`AlignParams::max_merged_sources`] nearby SOURCE sentences passes
//!      [`AlignParams::sentence_containment`]: that is how one sentence of a
//!      summary condensing two or three source sentences is recognised.
//! 2. **Extension.** Verbatim runs close to each other in both texts merge
//!    into one passage; consecutive seeded sentences whose sources lie close
//!    together merge too, so a passage may draw on source sentences out of
//!    order. A new passage starts where the source jumps away.
//! 3. **Filtering.** Verbatim passages with fewer than
//!    [`AlignParams::min_verbatim_tokens`] matched words are dropped as
//!    chance; paraphrase sentences with fewer than
//!    [`AlignParams::min_shared_terms`] shared content words are never
//!    seeded; a passage mostly inside a better one is dropped.
//!
//! Every passage ends on token or sentence boundaries in the original text,
//! so `text[start..end]` is the passage as written. Alignment is symmetric in
//! the sense that weights depend on both texts alike: aligning SOURCE against
//! DERIVED finds the same verbatim runs with the roles swapped.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::compare::Fingerprint;
use crate::text::shingle::View;

/// Alignment parameters. The defaults are calibrated on Clough & Stevenson
/// and PAN-13 (see README, "Calibration").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlignParams {
    /// Matched words a verbatim passage needs to be kept, and words a
    /// reworded passage needs.
    pub min_verbatim_tokens: usize,
    /// Words of gap allowed between verbatim runs of one passage.
    pub merge_gap_tokens: usize,
    /// tf-isf cosine a sentence pair needs to be a seed (with Dice).
    pub sentence_cosine: f64,
    /// Dice coefficient of content words a sentence pair needs (with cosine).
    pub sentence_dice: f64,
    /// Weighted share of a DERIVED sentence's content words that nearby
    /// SOURCE sentences must hold for a summary seed.
    pub sentence_containment: f64,
    /// Content words a seeded sentence must share with its sources.
    pub min_shared_terms: usize,
    /// SOURCE sentences one DERIVED sentence may condense.
    pub max_merged_sources: usize,
    /// Sentences of distance within which SOURCE sentences count as nearby.
    pub source_gap_sentences: usize,
    /// Passage similarity at or above which a reworded passage stands on its
    /// own; weaker ones need context (see `min_context_coverage`).
    pub strong_similarity: f64,
    /// Share of DERIVED that all passages together must cover before weak
    /// reworded passages (not verbatim, similarity below
    /// `strong_similarity`) are believed. Two long texts on one subject
    /// share a few sentences' worth of words by chance, scattered; a rewrite
    /// shares most of its sentences.
    pub min_context_coverage: f64,
}

impl Default for AlignParams {
    fn default() -> Self {
        AlignParams {
            min_verbatim_tokens: 8,
            merge_gap_tokens: 12,
            sentence_cosine: 0.33,
            sentence_dice: 0.33,
            sentence_containment: 0.6,
            min_shared_terms: 3,
            max_merged_sources: 3,
            source_gap_sentences: 3,
            strong_similarity: 0.7,
            min_context_coverage: 0.25,
        }
    }
}

/// How a passage was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassageKind {
    /// From chains of shared word shingles: copied word for word.
    Verbatim,
    /// From sentences sharing their content words: reworded.
    Paraphrase,
    /// One DERIVED sentence whose rare words SOURCE holds, spread over
    /// sentences from anywhere in SOURCE: condensed (see
    /// `crate::compare::condense`).
    Condensed,
    /// A quotation both texts contain (between quotation marks in DERIVED,
    /// word for word in SOURCE): two outlets quoting one statement. Not
    /// counted in the score unless `--count-quotes`.
    Quote,
}

impl PassageKind {
    /// The name used in text output.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            PassageKind::Verbatim => "verbatim",
            PassageKind::Paraphrase => "reworded",
            PassageKind::Condensed => "condensed",
            PassageKind::Quote => "quote",
        }
    }
}

/// One aligned passage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Byte range in DERIVED's original text.
    pub derived: Range<usize>,
    /// Byte range in SOURCE's original text, and SOURCE's id.
    pub source: SourceSpan,
    /// Share of the passage's content words, weighted by rarity, that occur
    /// in the source range, in [0, 1].
    pub similarity: f64,
    /// Share of the passage's words inside a raw shingle that SOURCE also
    /// has: 1 for a word-for-word copy, near 0 for a full paraphrase.
    pub verbatim: f64,
    /// Share of the passage's words inside a content-word shingle (stemmed
    /// content words in a row) that SOURCE also has.
    pub content: f64,
    /// How it was found.
    pub kind: PassageKind,
    /// For a condensed passage, the SOURCE sentences it draws on (byte
    /// ranges, in SOURCE order; `source` spans them all). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draws_on: Vec<Range<usize>>,
}

/// A byte range in a source text, with the source's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSpan {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// The source's id (its path).
    pub path: String,
}

impl SourceSpan {
    /// The byte range.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// The passages of DERIVED found in SOURCE.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Alignment {
    /// Passages in DERIVED order.
    pub passages: Vec<Passage>,
    /// Share of DERIVED's non-space characters inside a passage, in [0, 1].
    pub coverage: f64,
    /// The part of `coverage` copied word for word: each passage's share of
    /// DERIVED's characters times its `verbatim` share.
    pub verbatim_coverage: f64,
    /// Per DERIVED token: inside a shared quotation that stands alone (a
    /// [`PassageKind::Quote`] run), which is no evidence of copying. Empty
    /// when quotations count (`count_quotes`) or there are none.
    #[serde(skip)]
    pub quoted: Vec<bool>,
}

/// Bytes a reworded passage needs to stand without context (about ten
/// words): a heading or list item matches by chance.
const MIN_STRONG_BYTES: usize = 60;

/// A passage in token space, before conversion to bytes.
#[derive(Debug, Clone, Copy)]
struct Span {
    d: (usize, usize),
    s: (usize, usize),
    matched: usize,
    kind: PassageKind,
}

/// Aligns DERIVED against SOURCE. `quotes` flags the DERIVED tokens inside
/// a quotation both texts contain ([`shared_quotes`]): a verbatim run that,
/// the quotation aside, holds fewer words than a verbatim passage needs is a
/// [`PassageKind::Quote`], left out of `coverage`, of the other passages'
/// `verbatim` shares and of reworded seeds unless `count_quotes`; a
/// quotation inside a longer copied run is part of the copy.
pub fn align(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    params: &AlignParams,
    quotes: &[bool],
    count_quotes: bool,
) -> Alignment {
    if derived.tokens.tokens.is_empty() || source.tokens.tokens.is_empty() {
        return Alignment::default();
    }
    let mut spans = verbatim_spans(derived, source, params);
    // A run is a quotation when, the shared quotation aside, too few of its
    // words are left to make a verbatim passage.
    for sp in &mut spans {
        let inside = quotes
            .get(sp.d.0..sp.d.1)
            .map_or(0, |q| q.iter().filter(|&&x| x).count());
        if inside > 0 && (sp.d.1 - sp.d.0) - inside < params.min_verbatim_tokens {
            sp.kind = PassageKind::Quote;
        }
    }
    let quoted = if count_quotes {
        Vec::new()
    } else {
        let quote_spans: Vec<Span> = spans
            .iter()
            .filter(|sp| sp.kind == PassageKind::Quote)
            .copied()
            .collect();
        token_cover(derived.tokens.tokens.len(), &quote_spans)
    };
    let covered = token_cover(derived.tokens.tokens.len(), &spans);
    let weights = TermWeights::new(derived, source);
    spans.extend(paraphrase_spans(
        derived, source, &weights, &covered, &quoted, params,
    ));
    let spans = filter_overlaps(spans);
    let mut passages = passages_of(derived, source, &spans, &weights, &quoted);
    let text = derived.doc.text.as_str();
    let total = count_visible(text).max(1) as f64;
    // A reworded passage stands on its own when it is close to its source,
    // not a fragment, and not one short line matched against several source
    // sentences (a condensation is only believable amid other passages).
    let strong = |p: &Passage| {
        let d_len = p.derived.len();
        let s_len = p.source.end.saturating_sub(p.source.start);
        matches!(p.kind, PassageKind::Verbatim | PassageKind::Quote)
            || (d_len >= MIN_STRONG_BYTES
                && (p.verbatim >= 0.5
                    || (p.similarity >= params.strong_similarity && s_len * 2 <= d_len * 5)))
    };
    let counted = |p: &&Passage| count_quotes || p.kind != PassageKind::Quote;
    let all_coverage = coverage(
        text,
        passages.iter().filter(counted).map(|p| p.derived.clone()),
    );
    if all_coverage < params.min_context_coverage {
        passages.retain(|p| strong(p));
    }
    let verbatim_coverage = passages
        .iter()
        .filter(counted)
        .map(|p| text.get(p.derived.clone()).map_or(0, count_visible) as f64 * p.verbatim)
        .sum::<f64>()
        / total;
    let coverage = coverage(
        text,
        passages.iter().filter(counted).map(|p| p.derived.clone()),
    );
    Alignment {
        passages,
        coverage,
        // An empty f64 sum is -0.0; report 0.
        verbatim_coverage: verbatim_coverage.min(coverage) + 0.0,
        quoted: if quoted.iter().any(|&q| q) {
            quoted
        } else {
            Vec::new()
        },
    }
}

/// The passages of `spans`, in DERIVED order: byte ranges in both texts,
/// their similarity and the share of their words copied (`verbatim`) and of
/// their content words shared (`content`), where the words of a shared
/// quotation outside a `quote` passage (`quoted`) do not count as copied.
fn passages_of(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    spans: &[Span],
    weights: &TermWeights,
    quoted: &[bool],
) -> Vec<Passage> {
    let all_shared = shared_tokens(derived, source, View::Raw);
    let all_shared_content = shared_tokens(derived, source, View::Content);
    // Outside `quote` passages, the words of a shared quotation that stands
    // alone (not inside a longer copied run) are not copied from SOURCE.
    let unquoted = |flags: &[bool]| -> Vec<bool> {
        flags
            .iter()
            .enumerate()
            .map(|(i, &f)| f && !quoted.get(i).copied().unwrap_or(false))
            .collect()
    };
    let shared = unquoted(&all_shared);
    let shared_content = unquoted(&all_shared_content);
    let density = |flags: &[bool], (a, b): (usize, usize)| -> f64 {
        let n = b.saturating_sub(a).max(1);
        flags[a.min(flags.len())..b.min(flags.len())]
            .iter()
            .filter(|&&x| x)
            .count() as f64
            / n as f64
    };
    let mut passages: Vec<Passage> = spans
        .iter()
        .map(|sp| Passage {
            derived: byte_range(derived, sp.d),
            source: {
                let r = byte_range(source, sp.s);
                SourceSpan {
                    start: r.start,
                    end: r.end,
                    path: source.doc.id.clone(),
                }
            },
            similarity: weights.similarity(derived, source, sp),
            verbatim: if sp.kind == PassageKind::Quote {
                density(&all_shared, sp.d)
            } else {
                density(&shared, sp.d)
            },
            content: if sp.kind == PassageKind::Quote {
                density(&all_shared_content, sp.d)
            } else {
                density(&shared_content, sp.d)
            },
            kind: sp.kind,
            draws_on: Vec::new(),
        })
        .collect();
    passages.sort_by(|a, b| {
        (a.derived.start, a.derived.end, a.source.start).cmp(&(
            b.derived.start,
            b.derived.end,
            b.source.start,
        ))
    });
    passages
}

/// Share of `text`'s non-space characters inside the union of `ranges`.
pub(crate) fn coverage(text: &str, ranges: impl Iterator<Item = Range<usize>>) -> f64 {
    let total = count_visible(text);
    if total == 0 {
        return 0.0;
    }
    let mut ranges: Vec<Range<usize>> = ranges.collect();
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut covered = 0;
    let mut end = 0;
    for r in ranges {
        let start = r.start.max(end);
        if start < r.end {
            covered += text.get(start..r.end).map_or(0, count_visible);
            end = r.end;
        }
    }
    (covered as f64 / total as f64).min(1.0)
}

fn count_visible(text: &str) -> usize {
    if text.is_ascii() {
        text.bytes().filter(|b| !b.is_ascii_whitespace()).count()
    } else {
        text.chars().filter(|c| !c.is_whitespace()).count()
    }
}

/// Byte range of tokens `first..end` in the original text, widened to the
/// sentence's own start or end where the range starts or ends a sentence (so
/// opening quotes and the closing full stop belong to the passage).
pub(crate) fn byte_range(fp: &Fingerprint<'_>, (first, end): (usize, usize)) -> Range<usize> {
    let tokens = &fp.tokens.tokens;
    let sentences = &fp.tokens.sentences;
    let (Some(a), Some(b)) = (
        tokens.get(first),
        end.checked_sub(1).and_then(|i| tokens.get(i)),
    ) else {
        return 0..0;
    };
    let mut start = a.start as usize;
    let mut stop = b.end as usize;
    if let Some(s) = sentences.get(a.sentence as usize) {
        if s.first_token as usize == first {
            start = s.start as usize;
        }
    }
    if let Some(s) = sentences.get(b.sentence as usize) {
        if s.end_token as usize == end {
            stop = (s.end as usize).max(stop);
        }
    }
    start..stop.max(start)
}

/// Verbatim seeds chained into runs, merged into passages.
fn verbatim_spans(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    params: &AlignParams,
) -> Vec<Span> {
    const MAX_OCCURRENCES: usize = 8;
    let d = &derived.raw;
    let s = &source.raw;
    if d.hashes.is_empty() || s.hashes.is_empty() {
        return Vec::new();
    }
    let mut index: Vec<(u64, u32)> = s
        .hashes
        .iter()
        .enumerate()
        .map(|(j, &h)| (h, j as u32))
        .collect();
    index.sort_unstable();

    // Runs of diagonal matches, as shingle index ranges (inclusive).
    #[derive(Clone, Copy)]
    struct Run {
        d0: usize,
        d1: usize,
        s0: usize,
        s1: usize,
    }
    let mut runs: Vec<Run> = Vec::new();
    let mut prev: Vec<(usize, usize)> = Vec::new(); // (expected next j, run)
    let mut cur: Vec<(usize, usize)> = Vec::new();
    for (i, &h) in d.hashes.iter().enumerate() {
        cur.clear();
        let lo = index.partition_point(|&(x, _)| x < h);
        let hits = index[lo..]
            .iter()
            .take_while(|&&(x, _)| x == h)
            .take(MAX_OCCURRENCES);
        for &(_, j) in hits {
            let j = j as usize;
            let run = match prev.iter().find(|&&(next, _)| next == j) {
                Some(&(_, r)) => {
                    runs[r].d1 = i;
                    runs[r].s1 = j;
                    r
                }
                None => {
                    runs.push(Run {
                        d0: i,
                        d1: i,
                        s0: j,
                        s1: j,
                    });
                    runs.len() - 1
                }
            };
            cur.push((j + 1, run));
        }
        std::mem::swap(&mut prev, &mut cur);
    }

    let to_tokens = |sh: &crate::text::shingle::Shingles, a: usize, b: usize| -> (usize, usize) {
        let first = sh.token_range(a).map_or(0, |r| r.0);
        let last = sh.token_range(b).map_or(first, |r| r.1);
        (first, last + 1)
    };
    let mut spans: Vec<Span> = runs
        .iter()
        .map(|r| {
            let dt = to_tokens(d, r.d0, r.d1);
            Span {
                d: dt,
                s: to_tokens(s, r.s0, r.s1),
                matched: dt.1 - dt.0,
                kind: PassageKind::Verbatim,
            }
        })
        .collect();
    spans.sort_by_key(|sp| (sp.d.0, sp.s.0));

    let gap = params.merge_gap_tokens;
    let mut merged: Vec<Span> = Vec::new();
    for sp in spans {
        if let Some(last) = merged.last_mut() {
            let d_near = sp.d.0 <= last.d.1 + gap;
            let s_near = sp.s.0 + gap >= last.s.0 && sp.s.0 <= last.s.1 + gap;
            // Same diagonal, give or take the gap: a copy with a few words
            // changed, not a phrase that recurs elsewhere in SOURCE.
            let diagonal = |x: &Span| x.s.1 as isize - x.d.1 as isize;
            let on_diagonal = diagonal(&sp).abs_diff(diagonal(last)) <= gap;
            if d_near && s_near && on_diagonal {
                let fresh = sp.d.1.saturating_sub(sp.d.0.max(last.d.1));
                last.matched += fresh;
                last.d.1 = last.d.1.max(sp.d.1);
                last.s = (last.s.0.min(sp.s.0), last.s.1.max(sp.s.1));
                continue;
            }
        }
        merged.push(sp);
    }
    merged.retain(|sp| sp.matched >= params.min_verbatim_tokens);
    merged
}

/// Words a quotation needs before it counts as a shared quotation (fewer
/// words than a raw shingle cannot be shown to be shared).
const MIN_QUOTE_TOKENS: usize = 5;

/// Per-token flag of DERIVED: inside quotation marks, in a quotation most of
/// whose words SOURCE also quotes word for word (inside a raw shingle that
/// lies between quotation marks in SOURCE too). Two outlets quoting one
/// statement share it without one copying the other; a text that puts
/// SOURCE's own sentences between quotation marks is quoting SOURCE, which
/// is taking from it.
pub fn shared_quotes(derived: &Fingerprint<'_>, source: &Fingerprint<'_>) -> Vec<bool> {
    let mut flags = vec![false; derived.tokens.tokens.len()];
    let d_quoted = quoted_spans(derived);
    if d_quoted.is_empty() {
        return flags;
    }
    // SOURCE's raw shingles lying wholly inside its own quotations.
    let mut s_inside = vec![false; source.tokens.tokens.len()];
    for (a, b) in quoted_spans(source) {
        s_inside[a..b].iter_mut().for_each(|f| *f = true);
    }
    let mut quoted_set: Vec<u64> = source
        .raw
        .hashes
        .iter()
        .enumerate()
        .filter(|&(j, _)| {
            source
                .raw
                .token_range(j)
                .is_some_and(|(a, b)| s_inside[a..=b].iter().all(|&x| x))
        })
        .map(|(_, &h)| h)
        .collect();
    if quoted_set.is_empty() {
        return flags;
    }
    quoted_set.sort_unstable();
    quoted_set.dedup();
    let shared = tokens_in_set(&derived.raw, derived.tokens.tokens.len(), &quoted_set);
    for (first, end) in d_quoted {
        let inside = shared[first..end].iter().filter(|&&x| x).count();
        if inside * 2 > end - first {
            flags[first..end].iter_mut().for_each(|f| *f = true);
        }
    }
    flags
}

/// Token ranges between pairs of quotation marks (normalisation makes every
/// double quotation mark '"'; they pair in order), of at least
/// [`MIN_QUOTE_TOKENS`] words.
fn quoted_spans(fp: &Fingerprint<'_>) -> Vec<(usize, usize)> {
    let text = fp.tokens.normalized.text.as_ref();
    let marks: Vec<usize> = memchr::memchr_iter(b'"', text.as_bytes()).collect();
    let tokens = &fp.tokens.tokens;
    marks
        .chunks_exact(2)
        .filter_map(|pair| {
            let first = tokens.partition_point(|t| (t.norm_start as usize) < pair[0]);
            let end = tokens.partition_point(|t| (t.norm_start as usize) < pair[1]);
            (end.saturating_sub(first) >= MIN_QUOTE_TOKENS).then_some((first, end))
        })
        .collect()
}

/// Per-token flag of DERIVED: inside a shingle of `view` that SOURCE also has.
fn shared_tokens(derived: &Fingerprint<'_>, source: &Fingerprint<'_>, view: View) -> Vec<bool> {
    let (shingles, set) = match view {
        View::Raw => (&derived.raw, &source.raw_set),
        View::Content => (&derived.content, &source.content_set),
    };
    tokens_in_set(shingles, derived.tokens.tokens.len(), set)
}

/// Per-token flag of a text of `n` tokens: inside one of its `shingles`
/// whose hash is in the sorted `set`.
fn tokens_in_set(shingles: &crate::text::shingle::Shingles, n: usize, set: &[u64]) -> Vec<bool> {
    let mut flags = vec![false; n];
    for (j, h) in shingles.hashes.iter().enumerate() {
        if set.binary_search(h).is_ok() {
            if let Some((a, b)) = shingles.token_range(j) {
                for x in flags.iter_mut().take(b + 1).skip(a) {
                    *x = true;
                }
            }
        }
    }
    flags
}

/// Per-token flag of a fingerprint: inside one of `ranges` (byte ranges of
/// its original text).
pub(crate) fn tokens_inside(fp: &Fingerprint<'_>, ranges: &[Range<usize>]) -> Vec<bool> {
    let mut flags = vec![false; fp.tokens.tokens.len()];
    for r in ranges {
        let first = fp
            .tokens
            .tokens
            .partition_point(|t| (t.start as usize) < r.start);
        for (f, t) in flags[first..].iter_mut().zip(&fp.tokens.tokens[first..]) {
            if t.end as usize > r.end {
                break;
            }
            *f = true;
        }
    }
    flags
}

/// Per-token flag: inside a verbatim span.
fn token_cover(n: usize, spans: &[Span]) -> Vec<bool> {
    let mut covered = vec![false; n];
    for sp in spans {
        for c in covered.iter_mut().take(sp.d.1.min(n)).skip(sp.d.0) {
            *c = true;
        }
    }
    covered
}

/// Content terms of one sentence with their counts.
struct SentenceTerms {
    terms: Vec<(u64, u32)>,
    /// Euclidean norm of the tf-isf vector.
    norm: f64,
    /// Sum of isf weights of distinct terms.
    weight: f64,
}

/// Inverse sentence frequency of every content term over both texts.
struct TermWeights {
    isf: HashMap<u64, f64>,
    derived: Vec<SentenceTerms>,
    source: Vec<SentenceTerms>,
}

fn sentence_term_counts(fp: &Fingerprint<'_>) -> Vec<Vec<(u64, u32)>> {
    let mut out: Vec<Vec<(u64, u32)>> = vec![Vec::new(); fp.tokens.sentences.len()];
    for (&unit, &term) in fp.content.units.iter().zip(&fp.content_terms) {
        if let Some(tok) = fp.tokens.tokens.get(unit as usize) {
            if let Some(list) = out.get_mut(tok.sentence as usize) {
                list.push((term, 1));
            }
        }
    }
    for list in &mut out {
        list.sort_unstable();
        list.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
    }
    out
}

/// Inverse sentence frequency of every content term over the sentences of
/// both texts (per-sentence term lists of DERIVED and SOURCE).
fn isf_over(d: &[Vec<(u64, u32)>], s: &[Vec<(u64, u32)>]) -> HashMap<u64, f64> {
    let n = (d.len() + s.len()) as f64;
    let mut df: HashMap<u64, u32> = HashMap::new();
    for list in d.iter().chain(s) {
        for &(t, _) in list {
            *df.entry(t).or_insert(0) += 1;
        }
    }
    df.into_iter()
        .map(|(t, f)| (t, ((n + 1.0) / f as f64).ln().max(0.05)))
        .collect()
}

/// Weights counted inside the pair: the inverse sentence frequency of every
/// content term of DERIVED and SOURCE, as reworded seeds weigh them; the
/// fallback of condensation for texts the rarity table does not cover.
pub(crate) fn in_pair_weights(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
) -> HashMap<u64, f64> {
    isf_over(
        &sentence_term_counts(derived),
        &sentence_term_counts(source),
    )
}

impl TermWeights {
    fn new(derived: &Fingerprint<'_>, source: &Fingerprint<'_>) -> TermWeights {
        let d = sentence_term_counts(derived);
        let s = sentence_term_counts(source);
        let isf = isf_over(&d, &s);
        let finish = |lists: Vec<Vec<(u64, u32)>>| -> Vec<SentenceTerms> {
            lists
                .into_iter()
                .map(|terms| {
                    let mut norm = 0.0;
                    let mut weight = 0.0;
                    for &(t, c) in &terms {
                        let w = isf.get(&t).copied().unwrap_or(0.0);
                        norm += (w * c as f64).powi(2);
                        weight += w;
                    }
                    SentenceTerms {
                        terms,
                        norm: norm.sqrt(),
                        weight,
                    }
                })
                .collect()
        };
        TermWeights {
            derived: finish(d),
            source: finish(s),
            isf,
        }
    }

    /// The weighted terms of DERIVED tokens `toks`, leaving out tokens
    /// flagged in `skip`.
    fn terms_of(
        &self,
        fp: &Fingerprint<'_>,
        toks: Range<usize>,
        skip: Option<&[bool]>,
    ) -> SentenceTerms {
        let lo = fp
            .content
            .units
            .partition_point(|&u| (u as usize) < toks.start);
        let hi = fp
            .content
            .units
            .partition_point(|&u| (u as usize) < toks.end);
        let mut terms: Vec<(u64, u32)> = fp.content.units[lo..hi]
            .iter()
            .zip(&fp.content_terms[lo..hi])
            .filter(|(&u, _)| !skip.is_some_and(|s| s.get(u as usize).copied().unwrap_or(false)))
            .map(|(_, &t)| (t, 1))
            .collect();
        terms.sort_unstable();
        terms.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        let mut norm = 0.0;
        let mut weight = 0.0;
        for &(t, c) in &terms {
            let w = self.w(t);
            norm += (w * c as f64).powi(2);
            weight += w;
        }
        SentenceTerms {
            terms,
            norm: norm.sqrt(),
            weight,
        }
    }

    fn w(&self, t: u64) -> f64 {
        self.isf.get(&t).copied().unwrap_or(0.0)
    }

    /// Weighted share of the content terms of DERIVED tokens `sp.d` that occur
    /// among the content terms of SOURCE tokens `sp.s`.
    fn similarity(&self, derived: &Fingerprint<'_>, source: &Fingerprint<'_>, sp: &Span) -> f64 {
        let terms_in = |fp: &Fingerprint<'_>, (a, b): (usize, usize)| -> Vec<u64> {
            let lo = fp.content.units.partition_point(|&u| (u as usize) < a);
            let hi = fp.content.units.partition_point(|&u| (u as usize) < b);
            let mut v = fp.content_terms[lo..hi].to_vec();
            v.sort_unstable();
            v.dedup();
            v
        };
        let dt = terms_in(derived, sp.d);
        let st = terms_in(source, sp.s);
        let total: f64 = dt.iter().map(|&t| self.w(t)).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let shared: f64 = dt
            .iter()
            .filter(|t| st.binary_search(t).is_ok())
            .map(|&t| self.w(t))
            .sum();
        (shared / total).clamp(0.0, 1.0)
    }
}

/// Shared statistics of a DERIVED sentence against one SOURCE sentence.
#[derive(Debug, Clone, Copy, Default)]
struct PairStats {
    dot: f64,
    shared_weight: f64,
    shared_terms: usize,
}

fn pair_stats(a: &SentenceTerms, b: &SentenceTerms, tw: &TermWeights) -> PairStats {
    let mut st = PairStats::default();
    let (mut i, mut j) = (0, 0);
    while i < a.terms.len() && j < b.terms.len() {
        let (ta, ca) = a.terms[i];
        let (tb, cb) = b.terms[j];
        match ta.cmp(&tb) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let w = tw.w(ta);
                st.dot += w * ca as f64 * w * cb as f64;
                st.shared_weight += w;
                st.shared_terms += 1;
                i += 1;
                j += 1;
            }
        }
    }
    st
}

/// Sentence seeds extended into passages.
fn paraphrase_spans(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    tw: &TermWeights,
    covered: &[bool],
    quoted: &[bool],
    params: &AlignParams,
) -> Vec<Span> {
    let seeds = seed_sentences(derived, tw, covered, quoted, params);
    let mut spans = extend_seeds(derived, source, &seeds);
    // A line of a few words (a heading, "Qtrly div 11 cts vs 11 cts") shares
    // its words with too many texts to count as a passage.
    spans.retain(|sp| sp.d.1 - sp.d.0 >= params.min_verbatim_tokens);
    spans
}

/// For each DERIVED sentence, the SOURCE sentences it draws on, if any:
/// `(anchor, lo, hi)`, the best sentence and the range of sentences.
fn seed_sentences(
    derived: &Fingerprint<'_>,
    tw: &TermWeights,
    covered: &[bool],
    quoted: &[bool],
    params: &AlignParams,
) -> Vec<Option<(usize, usize, usize)>> {
    // Inverted index: term -> source sentences containing it.
    let mut postings: HashMap<u64, Vec<u32>> = HashMap::new();
    for (k, st) in tw.source.iter().enumerate() {
        for &(t, _) in &st.terms {
            postings.entry(t).or_default().push(k as u32);
        }
    }
    // For each DERIVED sentence: the SOURCE sentences it draws on, if seeded.
    let mut seeds: Vec<Option<(usize, usize, usize)>> = Vec::with_capacity(tw.derived.len());
    let mut candidates: Vec<u32> = Vec::new();
    for (k, dst) in tw.derived.iter().enumerate() {
        seeds.push(None);
        let sentence = derived.tokens.sentences[k];
        let toks = sentence.tokens();
        if toks.is_empty() || dst.terms.len() < params.min_shared_terms {
            continue;
        }
        // A sentence copied word for word needs no paraphrase seed; one only
        // partly copied does, so that the passage extends over all of it.
        let verbatim = covered[toks.clone()].iter().filter(|&&c| c).count();
        if verbatim == toks.len() {
            continue;
        }
        // A sentence that is mostly a shared quotation is the quotation and
        // its attribution: the two outlets quote one statement.
        let in_quote = quoted
            .get(toks.clone())
            .map_or(0, |q| q.iter().filter(|&&x| x).count());
        if in_quote * 2 >= toks.len() {
            continue;
        }
        // Partly copied word for word: test only the rest of the sentence,
        // so that a copy ending mid-sentence is not stretched over words
        // that come from elsewhere.
        let rest;
        let dst = if verbatim > 0 {
            rest = tw.terms_of(derived, toks.clone(), Some(covered));
            &rest
        } else {
            dst
        };
        if dst.terms.len() < params.min_shared_terms {
            continue;
        }
        candidates.clear();
        for &(t, _) in &dst.terms {
            if let Some(list) = postings.get(&t) {
                candidates.extend_from_slice(list);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut scored: Vec<(usize, PairStats)> = candidates
            .iter()
            .map(|&c| (c as usize, pair_stats(dst, &tw.source[c as usize], tw)))
            .filter(|(_, st)| st.shared_terms > 0)
            .collect();
        if scored.is_empty() {
            continue;
        }
        if let Some(c) = best_single(dst, &scored, tw, params) {
            seeds[k] = Some((c, c, c));
            continue;
        }
        seeds[k] = best_window(dst, &mut scored, tw, params);
    }
    seeds
}

/// The single-sentence test (PAN 2014): the SOURCE sentence with the best
/// cosine among those that pass the cosine and Dice thresholds.
fn best_single(
    dst: &SentenceTerms,
    scored: &[(usize, PairStats)],
    tw: &TermWeights,
    params: &AlignParams,
) -> Option<usize> {
    // Single-sentence test (PAN 2014): cosine and Dice.
    let mut best: Option<(usize, f64)> = None;
    for &(c, st) in scored {
        let sst = &tw.source[c];
        let cos = if dst.norm > 0.0 && sst.norm > 0.0 {
            st.dot / (dst.norm * sst.norm)
        } else {
            0.0
        };
        let dice = 2.0 * st.shared_terms as f64 / (dst.terms.len() + sst.terms.len()) as f64;
        if st.shared_terms >= params.min_shared_terms
            && cos >= params.sentence_cosine
            && dice >= params.sentence_dice
            && best.is_none_or(|(_, b)| cos > b)
        {
            best = Some((c, cos));
        }
    }
    best.map(|(c, _)| c)
}

/// The summary test: a few nearby SOURCE sentences (within `gap` of an
/// anchor among the four best) that together hold most of the DERIVED
/// sentence's weighted words. Returns the anchor and the range drawn on.
fn best_window(
    dst: &SentenceTerms,
    scored: &mut [(usize, PairStats)],
    tw: &TermWeights,
    params: &AlignParams,
) -> Option<(usize, usize, usize)> {
    let gap = params.source_gap_sentences;
    // Summary test: a few nearby source sentences together hold most of
    // the derived sentence's weighted words.
    scored.sort_by(|a, b| {
        b.1.shared_weight
            .total_cmp(&a.1.shared_weight)
            .then(a.0.cmp(&b.0))
    });
    let mut best_window: Option<(f64, usize, usize, usize)> = None;
    let mut union: Vec<u64> = Vec::new();
    for &(anchor, _) in scored.iter().take(4) {
        let mut chosen = vec![anchor];
        for &(c, _) in scored.iter() {
            if chosen.len() >= params.max_merged_sources {
                break;
            }
            if c != anchor && c.abs_diff(anchor) <= gap {
                chosen.push(c);
            }
        }
        union.clear();
        for &c in &chosen {
            union.extend(tw.source[c].terms.iter().map(|&(t, _)| t));
        }
        union.sort_unstable();
        union.dedup();
        let mut shared_weight = 0.0;
        let mut shared_terms = 0;
        for &(t, _) in &dst.terms {
            if union.binary_search(&t).is_ok() {
                shared_weight += tw.w(t);
                shared_terms += 1;
            }
        }
        let share = if dst.weight > 0.0 {
            shared_weight / dst.weight
        } else {
            0.0
        };
        if shared_terms >= params.min_shared_terms.max(4)
            && share >= params.sentence_containment
            && best_window.is_none_or(|(b, ..)| share > b)
        {
            let lo = chosen.iter().copied().min().unwrap_or(anchor);
            let hi = chosen.iter().copied().max().unwrap_or(anchor);
            best_window = Some((share, anchor, lo, hi));
        }
    }
    best_window.map(|(_, anchor, lo, hi)| (anchor, lo, hi))
}

/// Extends the seeded sentences into passages: consecutive seeded
/// sentences whose sources lie close make one passage.
fn extend_seeds(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    seeds: &[Option<(usize, usize, usize)>],
) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut open: Option<(Span, usize, usize)> = None; // span, source sentence lo, hi
    for (k, seed) in seeds.iter().enumerate() {
        let sentence = derived.tokens.sentences[k];
        match seed {
            None => {
                if let Some((sp, _, _)) = open.take() {
                    spans.push(sp);
                }
            }
            Some((_, lo, hi)) => {
                let s_tokens = (
                    source.tokens.sentences[*lo].first_token as usize,
                    source.tokens.sentences[*hi].end_token as usize,
                );
                let d_tokens = (sentence.first_token as usize, sentence.end_token as usize);
                let matched = d_tokens.1 - d_tokens.0;
                if let Some((sp, slo, shi)) = open.as_mut() {
                    // Sources adjacent or overlapping: one passage. Further
                    // apart: a new passage, so each passage's source range
                    // stays tight (summaries reorder).
                    let near = *lo <= *shi + 1 && *hi + 1 >= *slo;
                    if near {
                        sp.d.1 = d_tokens.1;
                        sp.s = (sp.s.0.min(s_tokens.0), sp.s.1.max(s_tokens.1));
                        sp.matched += matched;
                        *slo = (*slo).min(*lo);
                        *shi = (*shi).max(*hi);
                        continue;
                    }
                    if let Some((sp, _, _)) = open.take() {
                        spans.push(sp);
                    }
                }
                open = Some((
                    Span {
                        d: d_tokens,
                        s: s_tokens,
                        matched,
                        kind: PassageKind::Paraphrase,
                    },
                    *lo,
                    *hi,
                ));
            }
        }
    }
    if let Some((sp, _, _)) = open {
        spans.push(sp);
    }
    spans
}

/// Merges passages that overlap in both texts and drops a passage mostly
/// inside a larger one in DERIVED.
fn filter_overlaps(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_key(|sp| (sp.d.0, sp.d.1, sp.s.0));
    let mut merged: Vec<Span> = Vec::new();
    for sp in spans {
        if let Some(last) = merged.last_mut() {
            let d_overlap = sp.d.0 < last.d.1;
            let s_overlap = sp.s.0 <= last.s.1 && last.s.0 <= sp.s.1;
            if d_overlap && s_overlap {
                last.d.1 = last.d.1.max(sp.d.1);
                last.s = (last.s.0.min(sp.s.0), last.s.1.max(sp.s.1));
                last.matched = last.matched.max(sp.matched);
                if sp.kind == PassageKind::Paraphrase {
                    last.kind = PassageKind::Paraphrase;
                }
                continue;
            }
            if d_overlap {
                let inter = last.d.1.min(sp.d.1) - sp.d.0;
                let len_sp = sp.d.1 - sp.d.0;
                let len_last = last.d.1 - last.d.0;
                if inter * 2 >= len_sp && len_last >= len_sp {
                    continue;
                }
                if inter * 2 >= len_last && len_sp > len_last {
                    *last = sp;
                    continue;
                }
                // A small overlap with a different source: the later passage
                // starts where the earlier one ends, so passages never share
                // DERIVED text.
                let mut sp = sp;
                sp.d.0 = last.d.1;
                if sp.d.0 < sp.d.1 {
                    merged.push(sp);
                }
                continue;
            }
        }
        merged.push(sp);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Config, Fingerprint};
    use crate::source::Document;
    use proptest::prelude::*;

    const ORIGINAL: &str = include_str!("../../samples/original.txt");
    const REWRITE: &str = include_str!("../../samples/rewrite.txt");

    fn run(derived: &str, source: &str) -> Alignment {
        let config = Config::default();
        let d = Document::new("d", derived);
        let s = Document::new("s", source);
        let fd = Fingerprint::new(&d, &config).unwrap();
        let fs = Fingerprint::new(&s, &config).unwrap();
        align(&fd, &fs, &config.align, &shared_quotes(&fd, &fs), false)
    }

    fn words(text: &str) -> std::collections::HashSet<String> {
        use unicode_segmentation::UnicodeSegmentation;
        text.unicode_words()
            .map(|w| w.to_lowercase())
            .filter(|w| w.len() > 3)
            .collect()
    }

    #[test]
    fn seed_rewrite_is_covered_passage_by_passage() {
        let a = run(REWRITE, ORIGINAL);
        assert!(a.coverage >= 0.8, "coverage {}", a.coverage);
        assert!(a.passages.len() >= 5, "{} passages", a.passages.len());
        for p in &a.passages {
            let left = REWRITE
                .get(p.derived.clone())
                .expect("derived range on char boundaries");
            let right = ORIGINAL
                .get(p.source.range())
                .expect("source range on char boundaries");
            // Each side starts and ends on a word or sentence boundary.
            assert_eq!(left.trim(), left, "{left:?}");
            assert_eq!(right.trim(), right, "{right:?}");
            // And the two sides are about the same thing.
            let shared = words(left).intersection(&words(right)).count();
            assert!(shared >= 4, "{left:?} / {right:?}");
        }
        // The copying site's boilerplate is not from the original.
        let tail = REWRITE.find("Share.").unwrap();
        assert!(a.passages.iter().all(|p| p.derived.end <= tail));
    }

    #[test]
    fn identical_texts_align_fully_both_ways() {
        let a = run(ORIGINAL, ORIGINAL);
        assert!(a.coverage > 0.99, "{}", a.coverage);
        assert!(a.passages.iter().all(|p| p.verbatim > 0.99));
    }

    #[test]
    fn verbatim_runs_are_symmetric() {
        let s = "Alpha beta gamma delta epsilon zeta eta theta iota kappa. Other words here entirely unrelated to that. Lambda mu nu xi omicron pi rho sigma tau upsilon.";
        let d = "Something new first. Alpha beta gamma delta epsilon zeta eta theta iota kappa. And then lambda mu nu xi omicron pi rho sigma tau upsilon.";
        // Verbatim passages as (DERIVED text, SOURCE text) pairs of `d`, `s`.
        let verbatim = |a: &Alignment, swap: bool| -> Vec<(String, String)> {
            a.passages
                .iter()
                .filter(|p| p.kind == PassageKind::Verbatim)
                .map(|p| {
                    let (dr, sr) = if swap {
                        (p.source.range(), p.derived.clone())
                    } else {
                        (p.derived.clone(), p.source.range())
                    };
                    (d[dr].to_string(), s[sr].to_string())
                })
                .collect()
        };
        let fwd = verbatim(&run(d, s), false);
        let back = verbatim(&run(s, d), true);
        assert!(!fwd.is_empty());
        assert_eq!(fwd, back);
    }

    #[test]
    fn unrelated_texts_have_no_passages() {
        let a = run(
            "The central bank raised interest rates by half a point on Tuesday, citing inflation.",
            "Wheat harvests in the northern plains were delayed by heavy rain this autumn.",
        );
        assert!(a.passages.is_empty());
        assert_eq!(a.coverage, 0.0);
    }

    const VOCAB: &[&str] = &[
        "café",
        "naïve",
        "日本語",
        "テキスト",
        "straße",
        "ümlaut",
        "data",
        "river",
        "€uro",
        "ok",
        "😀",
        "señor",
        "ñandú",
        "Ελλάδα",
        "мир",
        "the",
        "of",
        "and",
        "copy",
        "text",
    ];

    fn sentence() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(VOCAB), 3..14).prop_map(|w| {
            let mut s = w.join(" ");
            s.push('.');
            s
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn passages_are_on_utf8_boundaries(
            source in prop::collection::vec(sentence(), 1..12),
            keep in prop::collection::vec(any::<bool>(), 12),
            extra in prop::collection::vec(sentence(), 0..4),
        ) {
            let mut derived: Vec<String> = source
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(s, _)| s.clone())
                .collect();
            derived.extend(extra);
            let d = derived.join(" ");
            let s = source.join("  ");
            let a = run(&d, &s);
            prop_assert!((0.0..=1.0).contains(&a.coverage));
            for p in &a.passages {
                prop_assert!(d.get(p.derived.clone()).is_some(), "{:?}", p.derived);
                prop_assert!(s.get(p.source.range()).is_some(), "{:?}", p.source);
                prop_assert!(p.derived.start < p.derived.end);
                prop_assert!((0.0..=1.0).contains(&p.similarity));
                prop_assert!((0.0..=1.0).contains(&p.verbatim));
            }
        }
    }
}
