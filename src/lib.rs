//! lineage: near-duplicate and derivative-text detection.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`source`]: read documents (files, stdin, JSON Lines, HTML, feeds).
//! 2. [`normalize`] and [`tokenize`]: NFKC, case folding, unified quotes;
//!    words with byte offsets, sentences.
//! 3. [`shingle`]: raw word 5-grams and stemmed content-word 2-grams, hashed
//!    with xxh3.
//! 4. [`sketch`]: MinHash by one-permutation hashing with optimal
//!    densification.
//! 5. [`score`]: exact Jaccard, one-way containment, the derivation score and
//!    a verdict; [`align`] finds the passages behind it and [`condense`] the
//!    evidence a summary leaves (its rare words, weighted by [`rarity`]).
//! 6. [`report`]: text and JSON renderings.
//!
//! [`pipeline`] ties them together; it is what the `lineage` binary calls.
//!
//! Corpora (`lineage sketch`, `lineage dedup`) take a faster road through the
//! same stages: [`corpus`] fingerprints documents in parallel batches (raw
//! shingles only, through [`shingle::RawShingler`]), [`fingerprints`] stores
//! them in a versioned file, and [`lsh`], [`candidates`] and [`dedup`] find,
//! verify and cluster the near-duplicate pairs.
//!
//! ```
//! use lineage::{pipeline::{score_pair, Config}, source::Document, score::Verdict};
//!
//! let source = Document::new("a", "The quick brown fox jumps over the lazy dog near the river bank today.");
//! let derived = Document::new("b", "The quick brown fox jumps over the lazy dog near the river bank.");
//! let report = score_pair(&derived, &source, &Config::default()).unwrap();
//! assert!(report.score > 0.8);
//! assert_ne!(report.verdict, Verdict::Unrelated);
//! ```
#![deny(missing_docs)]

pub mod align;
pub mod atomic;
pub mod candidates;
pub mod check;
pub mod condense;
pub mod corpus;
pub mod dedup;
pub mod error;
pub mod eval;
pub mod fingerprints;
pub mod index;
pub mod lsh;
pub mod normalize;
pub mod parquet_io;
pub mod pipeline;
pub mod rarity;
pub mod report;
pub mod score;
pub mod shingle;
pub mod sketch;
pub mod source;
pub mod tokenize;

pub use error::{Error, Result};
