//! Stage 8: what a comparison reports, and how it is rendered.
//!
//! [`PairReport`] is the result of scoring one pair; [`human`] renders it as
//! text for a person and [`json`] as one JSON object per line for programs.
//! The results of `lineage check` also render for CI: [`sarif`] (code
//! scanning), [`junit`] (test reports) and [`github`] (Actions
//! annotations), with what they share in [`ci`]. Renderers write into a
//! `String`; the binary decides where it goes.

pub mod ci;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use serde::Serialize;

use crate::compare::align::Passage;
use crate::compare::score::{Direction, Overlap, Verdict};
use crate::pipeline::Config;

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
    /// (see [`crate::compare::condense`]).
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
