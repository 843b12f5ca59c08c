//! lineage: near-duplicate and derivative-text detection.
//!
//! The pipeline, one module per stage (the same numbers in README and in
//! each module's docs):
//!
//! 1. [`source`]: read documents (files, stdin, JSON Lines, HTML, feeds).
//! 2. [`text::normalize`] and [`text::tokenize`]: NFKC, case folding, unified
//!    quotes; words with byte offsets, sentences.
//! 3. [`text::shingle`]: raw word 5-grams and stemmed content-word 2-grams,
//!    hashed with xxh3.
//! 4. [`sketch`]: MinHash by one-permutation hashing with optimal
//!    densification.
//! 5. [`lsh`]: banding and candidate pairs.
//! 6. [`compare`]: the verification of a pair: exact Jaccard, one-way
//!    containment, the derivation score and a verdict
//!    ([`compare::score`]); [`compare::align`] finds the passages behind it
//!    and [`compare::condense`] the evidence a summary leaves (its rare
//!    words, weighted by [`compare::rarity`]).
//! 7. [`report`]: text, JSON and CI renderings.
//!
//! Around them: [`kernels`] holds the shared hashes and every SIMD kernel;
//! [`pipeline`] scores documents (what the `lineage` binary calls for
//! `score`); [`corpus`] runs stages 1-4 in parallel batches over a corpus
//! (raw shingles only, through [`text::shingle::RawShingler`]) and
//! [`corpus::dedup`] stages 5-6 for corpora; [`store`] keeps fingerprints
//! in a versioned file or Parquet; [`archive`] holds the index that
//! `lineage check` reads; [`eval`] measures a score against labelled pairs.
//!
//! ```
//! use lineage::{compare::score::Verdict, pipeline::{score_pair, Config}, source::Document};
//!
//! let source = Document::new("a", "The quick brown fox jumps over the lazy dog near the river bank today.");
//! let derived = Document::new("b", "The quick brown fox jumps over the lazy dog near the river bank.");
//! let report = score_pair(&derived, &source, &Config::default()).unwrap();
//! assert!(report.score > 0.8);
//! assert_ne!(report.verdict, Verdict::Unrelated);
//! ```
#![deny(missing_docs)]

pub mod archive;
pub mod compare;
pub mod corpus;
pub mod error;
pub mod eval;
pub mod kernels;
pub mod lsh;
pub mod pipeline;
pub mod report;
pub mod sketch;
pub mod source;
pub mod store;
pub mod text;

pub use error::{Error, Result};
