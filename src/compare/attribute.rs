//! [`attribute`]: one DERIVED text against several sources, each part of
//! it credited to the source that explains it best.

use rayon::prelude::*;
use serde::Serialize;

use super::{compare, Config, Fingerprint, PairReport};
use crate::compare::align::{Passage, PassageKind};
use crate::compare::score::{aligned_score, Overlap, Verdict};
use crate::error::Result;
use crate::source::Document;

/// One source's share of a DERIVED text scored against several sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceShare {
    /// The source's id.
    pub source: String,
    /// Share of DERIVED's characters attributed to this source (each
    /// character to at most one source: the best passage covering it).
    pub coverage: f64,
    /// The pair's own score, as if scored alone.
    pub score: f64,
}

/// DERIVED scored against several sources at once: each passage attributed
/// to its best source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    /// DERIVED's id.
    pub derived: String,
    /// Combined score: the derivation score of all attributed passages.
    pub score: f64,
    /// Verdict of the combined score.
    pub verdict: Verdict,
    /// Whether the combined score is at or above the finding threshold.
    pub finding: bool,
    /// Share of DERIVED covered by any source.
    pub coverage: f64,
    /// Share of DERIVED found in none of the sources.
    pub original: f64,
    /// Per source, in the order given.
    pub sources: Vec<SourceShare>,
    /// Attributed passages in DERIVED order, each naming its source.
    pub passages: Vec<Passage>,
    /// The full pairwise report against each source, in the order given.
    pub pairs: Vec<PairReport>,
}

/// Scores DERIVED against every source and attributes each passage to the
/// source that explains it best (longest and closest first; a passage
/// mostly covered by a better one is dropped). Sources are compared in
/// parallel; the result does not depend on the number of threads.
///
/// # Examples
///
/// ```
/// use lineage::{attribute, Config, Document};
///
/// let sources = [
///     Document::new("original.txt", include_str!("../../samples/original.txt")),
///     Document::new("grain.txt", include_str!("../../samples/reuters-grain.txt")),
/// ];
/// let rewrite = Document::new("rewrite.txt", include_str!("../../samples/rewrite.txt"));
/// let attribution = attribute(&rewrite, &sources, &Config::default())?;
/// assert!(attribution.sources[0].coverage > 0.8);
/// assert_eq!(attribution.sources[1].coverage, 0.0);
/// # Ok::<(), lineage::Error>(())
/// ```
pub fn attribute(derived: &Document, sources: &[Document], config: &Config) -> Result<Attribution> {
    config.validate()?;
    let d = Fingerprint::new(derived, config)?;
    let pairs: Vec<PairReport> = sources
        .par_iter()
        .map(|s| {
            let s = Fingerprint::new(s, config)?;
            compare(&d, &s, config)
        })
        .collect::<Result<_>>()?;
    let text = derived.text.as_str();
    let mut candidates: Vec<(usize, &Passage)> = pairs
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.passages.iter().map(move |x| (i, x)))
        // Shares count passages, as a pair's coverage does: condensed
        // evidence and shared quotations are each pair's own.
        .filter(|(_, p)| matches!(p.kind, PassageKind::Verbatim | PassageKind::Paraphrase))
        .collect();
    let strength =
        |p: &Passage| (p.derived.end - p.derived.start) as f64 * (1.0 + p.verbatim + p.similarity);
    candidates.sort_by(|(ia, a), (ib, b)| {
        strength(b)
            .total_cmp(&strength(a))
            .then(ia.cmp(ib))
            .then(a.derived.start.cmp(&b.derived.start))
    });
    let mut owner: Vec<Option<usize>> = vec![None; text.len()];
    let mut kept: Vec<Passage> = Vec::new();
    for (i, p) in candidates {
        let range = p.derived.start.min(text.len())..p.derived.end.min(text.len());
        let len = range.len();
        let taken = owner[range.clone()].iter().filter(|o| o.is_some()).count();
        if len == 0 || taken * 2 > len {
            continue;
        }
        for o in &mut owner[range] {
            if o.is_none() {
                *o = Some(i);
            }
        }
        kept.push(p.clone());
    }
    kept.sort_by(|a, b| {
        (a.derived.start, a.derived.end, &a.source.path).cmp(&(
            b.derived.start,
            b.derived.end,
            &b.source.path,
        ))
    });
    let mut visible = vec![0usize; sources.len()];
    let mut total = 0usize;
    for (c, o) in text.char_indices().map(|(i, c)| (c, owner[i])) {
        if c.is_whitespace() {
            continue;
        }
        total += 1;
        if let Some(i) = o {
            visible[i] += 1;
        }
    }
    let share = |n: usize| {
        if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        }
    };
    let coverage = share(visible.iter().sum());
    let verbatim_coverage: f64 = kept
        .iter()
        .map(|p| {
            text.get(p.derived.clone())
                .map_or(0, |t| t.chars().filter(|c| !c.is_whitespace()).count()) as f64
                * p.verbatim
        })
        .sum::<f64>()
        / total.max(1) as f64;
    let empty = Overlap::of(&[], &[]);
    let aligned = aligned_score(&empty, &empty, Some((coverage, verbatim_coverage)));
    let best_pair = pairs.iter().map(|p| p.score).fold(0.0_f64, f64::max);
    let best_aligned = pairs
        .iter()
        .map(|p| p.aligned_score)
        .fold(0.0_f64, f64::max);
    let score = aligned.max(best_pair);
    let verdict = pairs
        .iter()
        .map(|p| p.verdict)
        .min()
        .unwrap_or(Verdict::Unrelated)
        .min(
            config
                .thresholds
                .verdict(score, 0.0, 0.0, aligned.max(best_aligned)),
        );
    Ok(Attribution {
        derived: derived.id.clone(),
        score,
        verdict,
        finding: config.thresholds.evidence(score, aligned.max(best_aligned)) >= config.threshold,
        coverage,
        original: 1.0 - coverage,
        sources: pairs
            .iter()
            .zip(&visible)
            .map(|(p, &n)| SourceShare {
                source: p.source.clone(),
                coverage: share(n),
                score: p.score,
            })
            .collect(),
        passages: kept,
        pairs,
    })
}
