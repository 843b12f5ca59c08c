//! The pipeline's entry points: [`Config`] in, [`PairReport`] out.
//!
//! [`Fingerprint::new`] runs stages 1-4 on one document (normalise, tokenise,
//! shingle both views, sketch); [`compare`] runs stage 7 on two fingerprints
//! (exact overlaps, MinHash estimate, score, verdict). Every command of the
//! binary goes through these two functions, so `score`, `check` and `dedup`
//! cannot drift apart.

use rayon::prelude::*;
use serde::Serialize;

use crate::compare::align::{
    align, shared_quotes, tokens_inside, AlignParams, Passage, PassageKind,
};
use crate::compare::condense::{condense, CondenseParams};
use crate::compare::rarity::RarityTable;
use crate::compare::score::{
    aligned_score, condensed_score, condensed_share_for, derivation_score, Direction, Overlap,
    Thresholds, Verdict,
};
use crate::error::{Error, Result};
use crate::report::PairReport;
use crate::sketch::{Signature, SketchParams, Sketcher};
use crate::source::{Document, Warning};
use crate::text::shingle::{content_shingles, content_term, raw_shingles, ShingleParams, Shingles};
use crate::text::tokenize::{tokenize, Tokenized};

/// Everything that changes a result. Recorded in every report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Config {
    /// Shingle sizes and seed.
    pub shingle: ShingleParams,
    /// MinHash slots per signature.
    pub num_perm: usize,
    /// Verdict thresholds.
    pub thresholds: Thresholds,
    /// Score at or above which a pair is a finding (exit code 1).
    pub threshold: f64,
    /// Passage alignment parameters.
    pub align: AlignParams,
    /// Condensation parameters.
    pub condense: CondenseParams,
    /// The background model of word rarity (`--weights`).
    pub rarity: RarityTable,
    /// Count quotations both texts contain towards the score
    /// (`--count-quotes`); by default they are reported as `quote` passages
    /// and left out.
    pub count_quotes: bool,
}

impl Default for Config {
    fn default() -> Self {
        let thresholds = Thresholds::default();
        Config {
            shingle: ShingleParams::default(),
            num_perm: 128,
            threshold: thresholds.derived,
            thresholds,
            align: AlignParams::default(),
            condense: CondenseParams::default(),
            rarity: RarityTable::default(),
            count_quotes: false,
        }
    }
}

impl Config {
    /// The MinHash parameters this configuration implies.
    pub fn sketch_params(&self) -> SketchParams {
        SketchParams {
            num_perm: self.num_perm,
            shingle_size: self.shingle.raw_size,
            seed: self.shingle.seed,
            ..SketchParams::default()
        }
    }

    /// Checks every parameter.
    pub fn validate(&self) -> Result<()> {
        self.shingle.validate()?;
        self.sketch_params().validate()?;
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(Error::InvalidParam(format!(
                "threshold must be between 0 and 1, got {}",
                self.threshold
            )));
        }
        Ok(())
    }
}

/// Stages 1-4 of one document.
#[derive(Debug, Clone)]
pub struct Fingerprint<'a> {
    /// The document.
    pub doc: &'a Document,
    /// Its tokens and sentences.
    pub tokens: Tokenized<'a>,
    /// Raw shingles in text order.
    pub raw: Shingles,
    /// Content shingles in text order.
    pub content: Shingles,
    /// Stem hash of each content unit (`content_terms[i]` belongs to token
    /// `content.units[i]`), for alignment.
    pub content_terms: Vec<u64>,
    /// Distinct raw shingles, sorted.
    pub raw_set: Vec<u64>,
    /// Distinct content shingles, sorted.
    pub content_set: Vec<u64>,
    /// MinHash signature of the raw shingles.
    pub signature: Signature,
    /// Reading problems plus [`Warning::Empty`] for a document without words.
    pub warnings: Vec<Warning>,
}

impl<'a> Fingerprint<'a> {
    /// Runs stages 1-4 on `doc`.
    pub fn new(doc: &'a Document, config: &Config) -> Result<Fingerprint<'a>> {
        let sketcher = Sketcher::new(config.sketch_params())?;
        let tokens = tokenize(&doc.text);
        let raw = raw_shingles(&tokens, &config.shingle);
        let content = content_shingles(&tokens, &config.shingle);
        let content_terms = content
            .units
            .iter()
            .map(|&u| content_term(tokens.token_text(u as usize)).unwrap_or(0))
            .collect();
        let signature = sketcher.sketch(raw.hashes.iter().copied());
        let mut warnings = doc.warnings.clone();
        if tokens.tokens.is_empty() {
            warnings.push(Warning::Empty);
        }
        Ok(Fingerprint {
            doc,
            raw_set: raw.set(),
            content_set: content.set(),
            tokens,
            raw,
            content,
            content_terms,
            signature,
            warnings,
        })
    }
}

/// Stage 7: scores DERIVED against SOURCE.
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

/// Scores one pair of documents.
pub fn score_pair(derived: &Document, source: &Document, config: &Config) -> Result<PairReport> {
    config.validate()?;
    let d = Fingerprint::new(derived, config)?;
    let s = Fingerprint::new(source, config)?;
    compare(&d, &s, config)
}

/// Scores many pairs in parallel; results come back in input order whatever
/// the number of threads.
pub fn score_pairs(pairs: &[(Document, Document)], config: &Config) -> Vec<Result<PairReport>> {
    pairs
        .par_iter()
        .map(|(d, s)| score_pair(d, s, config))
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = include_str!("../samples/original.txt");
    const REWRITE: &str = include_str!("../samples/rewrite.txt");

    fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn results_do_not_depend_on_thread_count() {
        let config = Config::default();
        let pairs: Vec<(Document, Document)> = (0..8)
            .map(|i| {
                let (d, s) = if i % 2 == 0 {
                    (REWRITE, ORIGINAL)
                } else {
                    (ORIGINAL, REWRITE)
                };
                (
                    Document::new(format!("d{i}"), d),
                    Document::new(format!("s{i}"), s),
                )
            })
            .collect();
        let one = in_pool(1, || score_pairs(&pairs, &config));
        let two = in_pool(2, || score_pairs(&pairs, &config));
        let one: Vec<_> = one.into_iter().map(|r| r.unwrap()).collect();
        let two: Vec<_> = two.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(one, two);
        let sources = [
            Document::new("a", ORIGINAL),
            Document::new("b", "Wheat harvests were delayed by rain."),
        ];
        let d = Document::new("rewrite", REWRITE);
        let a1 = in_pool(1, || attribute(&d, &sources, &config).unwrap());
        let a2 = in_pool(2, || attribute(&d, &sources, &config).unwrap());
        assert_eq!(a1, a2);
        assert!(a1.sources[0].coverage > 0.8);
        assert_eq!(a1.sources[1].coverage, 0.0);
    }

    #[test]
    fn seed_pair_is_derived_one_way_only() {
        let config = Config::default();
        let d = Document::new("rewrite", REWRITE);
        let s = Document::new("original", ORIGINAL);
        let forward = score_pair(&d, &s, &config).unwrap();
        assert_eq!(forward.verdict, Verdict::Derived);
        assert!(forward.finding);
        assert_eq!(forward.direction, Direction::DerivedFromSource);
        let back = score_pair(&s, &d, &config).unwrap();
        assert_ne!(back.verdict, Verdict::Derived);
        assert!(!back.finding);
        assert_eq!(back.direction, Direction::SourceFromDerived);
    }

    #[test]
    fn empty_document_scores_zero_with_warning() {
        let config = Config::default();
        let r = score_pair(
            &Document::new("e", "  \n"),
            &Document::new("s", ORIGINAL),
            &config,
        )
        .unwrap();
        assert_eq!(r.score, 0.0);
        assert_eq!(r.verdict, Verdict::Unrelated);
        assert!(r.warnings.iter().any(|w| w.contains("no words")));
    }
}
