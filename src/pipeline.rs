//! The pipeline's entry points: [`Config`] in, [`PairReport`] out.
//!
//! [`Fingerprint::new`] runs stages 1-4 on one document (normalise, tokenise,
//! shingle both views, sketch); [`compare`] runs stage 7 on two fingerprints
//! (exact overlaps, MinHash estimate, score, verdict). Every command of the
//! binary goes through these two functions, so `score`, `check` and `dedup`
//! cannot drift apart.

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::report::PairReport;
use crate::score::{derivation_score, Direction, Overlap, Thresholds};
use crate::shingle::{content_shingles, raw_shingles, ShingleParams, Shingles};
use crate::sketch::{Signature, SketchParams, Sketcher};
use crate::source::{Document, Warning};
use crate::tokenize::{tokenize, Tokenized};

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
}

impl Default for Config {
    fn default() -> Self {
        let thresholds = Thresholds::default();
        Config {
            shingle: ShingleParams::default(),
            num_perm: 128,
            threshold: thresholds.derived,
            thresholds,
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
    let score = derivation_score(&raw, &content, None);
    let reverse_score = derivation_score(&raw.reversed(), &content.reversed(), None);
    let jaccard = raw.jaccard();
    let verdict = config.thresholds.verdict(score, reverse_score, jaccard);
    Ok(PairReport {
        derived: derived.doc.id.clone(),
        source: source.doc.id.clone(),
        score,
        verdict,
        finding: score >= config.threshold,
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
