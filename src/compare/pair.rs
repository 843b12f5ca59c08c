//! [`compare`]: DERIVED scored against SOURCE from their fingerprints
//! (exact overlaps, MinHash estimate, alignment, condensation, score,
//! verdict), and the [`PairReport`] it returns.

use serde::Serialize;

use super::{Config, Fingerprint};
use crate::compare::align::{align, shared_quotes, tokens_inside, Passage};
use crate::compare::condense::condense;
use crate::compare::score::{
    aligned_score, condensed_score, condensed_share_for, derivation_score, Direction, Overlap,
    Verdict,
};
use crate::error::Result;

/// Stage 6: scores DERIVED against SOURCE.
pub fn compare(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    config: &Config,
) -> Result<PairReport> {
    let raw = Overlap::of(&derived.raw_set, &source.raw_set);
    let content = Overlap::of(&derived.content_set, &source.content_set);
    let jaccard_estimate = derived.signature.jaccard(&source.signature)?;
    let forward = one_way(derived, source, &raw, &content, config);
    let backward = one_way(
        source,
        derived,
        &raw.reversed(),
        &content.reversed(),
        config,
    );
    let (score, reverse_score) = (forward.score, backward.score);
    let jaccard = raw.jaccard();
    let verdict = config
        .thresholds
        .verdict(score, reverse_score, jaccard, forward.aligned);
    let alignment = forward.alignment;
    let mut passages = alignment.passages;
    passages.extend(forward.condensed);
    passages.sort_by(|a, b| {
        (a.derived.start, a.derived.end, a.source.start).cmp(&(
            b.derived.start,
            b.derived.end,
            b.source.start,
        ))
    });
    Ok(PairReport {
        derived: derived.doc.id.clone(),
        source: source.doc.id.clone(),
        score,
        verdict,
        finding: config.thresholds.is_finding(
            config.threshold,
            config.thresholds.evidence(score, forward.aligned),
            reverse_score,
            jaccard,
        ),
        direction: Direction::of(score, reverse_score),
        reverse_score,
        jaccard,
        jaccard_estimate,
        containment: raw.containment(),
        reverse_containment: raw.reverse_containment(),
        content_containment: content.containment(),
        content_reverse_containment: content.reverse_containment(),
        derived_tokens: derived.tokens.tokens.len(),
        source_tokens: source.tokens.tokens.len(),
        derived_bytes: derived.doc.text.len(),
        source_bytes: source.doc.text.len(),
        raw,
        content,
        coverage: alignment.coverage,
        verbatim_coverage: alignment.verbatim_coverage,
        reverse_coverage: backward.alignment.coverage,
        aligned_score: forward.aligned,
        reverse_aligned_score: backward.aligned,
        condensation: forward.condensation,
        reverse_condensation: backward.condensation,
        passages,
        params: *config,
        warnings: derived
            .warnings
            .iter()
            .map(|w| format!("{}: {w}", derived.doc.id))
            .chain(
                source
                    .warnings
                    .iter()
                    .map(|w| format!("{}: {w}", source.doc.id)),
            )
            .collect(),
    })
}

/// One direction of a comparison.
struct OneWay {
    alignment: crate::compare::align::Alignment,
    condensed: Vec<Passage>,
    condensation: f64,
    aligned: f64,
    score: f64,
}

/// Aligns and condenses DERIVED against SOURCE; `raw` and `content` are
/// their overlaps seen from DERIVED.
fn one_way(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    raw: &Overlap,
    content: &Overlap,
    config: &Config,
) -> OneWay {
    let quotes = shared_quotes(derived, source);
    let alignment = align(derived, source, &config.align, &quotes, config.count_quotes);
    // A shared quotation standing alone (a `quote` passage, not inside a
    // longer copied run) is no evidence of copying: its shingles leave raw
    // containment and its words leave condensation.
    let skip = &alignment.quoted;
    let unquoted;
    let raw = if skip.is_empty() {
        raw
    } else {
        unquoted = unquoted_overlap(derived, source, skip);
        &unquoted
    };
    let aligned = aligned_score(
        raw,
        content,
        Some((alignment.coverage, alignment.verbatim_coverage)),
    );
    let ranges: Vec<_> = alignment
        .passages
        .iter()
        .map(|p| p.derived.clone())
        .collect();
    let covered = tokens_inside(derived, &ranges);
    // A sentence whose rare words SOURCE holds, in a text that as a whole is
    // not condensed from SOURCE, is chance (long texts on one subject): its
    // passage is shown only when condensation is at least `partial`
    // evidence.
    let c = condense(
        derived,
        source,
        &config.rarity,
        skip,
        &covered,
        &config.condense,
        condensed_share_for(config.thresholds.partial),
    );
    OneWay {
        score: derivation_score(aligned, condensed_score(c.share)),
        alignment,
        condensed: c.passages,
        condensation: c.share,
        aligned,
    }
}

/// The raw overlap of DERIVED's shingles that do not touch a token flagged
/// in `quotes`, over all of DERIVED's shingles: a shared quotation counts as
/// not found, rather than leaving the few words around it to stand for the
/// whole text.
fn unquoted_overlap(
    derived: &Fingerprint<'_>,
    source: &Fingerprint<'_>,
    quotes: &[bool],
) -> Overlap {
    let mut kept: Vec<u64> = derived
        .raw
        .hashes
        .iter()
        .enumerate()
        .filter(|&(j, _)| {
            derived
                .raw
                .token_range(j)
                .and_then(|(a, b)| quotes.get(a..=b))
                .is_some_and(|q| !q.iter().any(|&x| x))
        })
        .map(|(_, &h)| h)
        .collect();
    kept.sort_unstable();
    kept.dedup();
    Overlap {
        derived_shingles: derived.raw_set.len(),
        ..Overlap::of(&kept, &source.raw_set)
    }
}

/// The result of scoring DERIVED against SOURCE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairReport {
    /// Id (path) of the document scored as derived.
    pub derived: String,
    /// Id (path) of the candidate source.
    pub source: String,
    /// How much of DERIVED is derived from SOURCE, in [0, 1].
    pub score: f64,
    /// The verdict for this direction.
    pub verdict: Verdict,
    /// Whether `score` reaches the finding threshold.
    pub finding: bool,
    /// Which way the copying runs.
    pub direction: Direction,
    /// SOURCE scored against DERIVED.
    pub reverse_score: f64,
    /// Exact Jaccard of the raw shingle sets.
    pub jaccard: f64,
    /// MinHash estimate of `jaccard`.
    pub jaccard_estimate: f64,
    /// Share of DERIVED's raw shingles found in SOURCE.
    pub containment: f64,
    /// Share of SOURCE's raw shingles found in DERIVED.
    pub reverse_containment: f64,
    /// Share of DERIVED's content shingles found in SOURCE.
    pub content_containment: f64,
    /// Share of SOURCE's content shingles found in DERIVED.
    pub content_reverse_containment: f64,
    /// Tokens (words) of DERIVED.
    pub derived_tokens: usize,
    /// Tokens (words) of SOURCE.
    pub source_tokens: usize,
    /// Bytes of DERIVED.
    pub derived_bytes: usize,
    /// Bytes of SOURCE.
    pub source_bytes: usize,
    /// Raw shingle counts.
    pub raw: Overlap,
    /// Content shingle counts.
    pub content: Overlap,
    /// Share of DERIVED's characters inside aligned passages.
    pub coverage: f64,
    /// Part of `coverage` copied word for word.
    pub verbatim_coverage: f64,
    /// Share of SOURCE's characters inside passages aligned the other way.
    pub reverse_coverage: f64,
    /// The part of `score` backed by verbatim and reworded passages (see
    /// [`crate::compare::score::aligned_score`]).
    pub aligned_score: f64,
    /// The part of `reverse_score` backed by passages.
    pub reverse_aligned_score: f64,
    /// Rarity-weighted share of DERIVED's content words found in SOURCE
    /// (see `crate::compare::condense`).
    pub condensation: f64,
    /// The same share of SOURCE's words found in DERIVED.
    pub reverse_condensation: f64,
    /// Aligned passages, in DERIVED order.
    pub passages: Vec<Passage>,
    /// Parameters used.
    pub params: Config,
    /// Warnings about either document.
    pub warnings: Vec<String>,
}
