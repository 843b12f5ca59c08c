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
//!    and `compare::condense` the evidence a summary leaves (its rare
//!    words, weighted by [`compare::rarity`]).
//! 7. [`report`]: text, JSON and CI renderings.
//!
//! Around them: [`kernels`] holds the shared hashes and every SIMD kernel;
//! [`pipeline`] scores documents (what the `lineage` binary calls for
//! `score`); [`corpus`] runs stages 1-4 in parallel batches over a corpus
//! (raw shingles only, through `text::shingle::RawShingler`) and
//! [`corpus::dedup`] stages 5-6 for corpora; [`store`] keeps fingerprints
//! in a versioned file or Parquet; [`archive`] holds the index that
//! `lineage check` reads; [`eval`] measures a score against labelled pairs.
//!
//! # Three things in a few lines
//!
//! The entry points are re-exported here from [`pipeline`]. Score a pair
//! (does `rewrite` derive from `original`, and where?):
//!
//! ```
//! use lineage::{score_pair, Config, Document};
//!
//! let original = Document::new("original.txt", include_str!("../samples/original.txt"));
//! let rewrite = Document::new("rewrite.txt", include_str!("../samples/rewrite.txt"));
//! let report = score_pair(&rewrite, &original, &Config::default())?;
//! assert_eq!(report.verdict.to_string(), "derived");
//! assert!(report.coverage > 0.8 && !report.passages.is_empty());
//! # Ok::<(), lineage::Error>(())
//! ```
//!
//! Dedup a list of texts (clusters and what to keep index the list):
//!
//! ```
//! use lineage::{dedup, DedupOptions, Document};
//!
//! let story = include_str!("../samples/reuters-tseng.txt");
//! let other = include_str!("../samples/reuters-grain.txt");
//! let copy = story.replace("Tseng", "TSENG");
//! let docs = [Document::new("a", story), Document::new("b", other), Document::new("c", copy)];
//! let (_, result) = dedup(&docs, &DedupOptions::default())?;
//! assert_eq!(result.clusters[0].members, [0, 2]);
//! assert_eq!(result.kept(), [0, 1]);
//! # Ok::<(), lineage::Error>(())
//! ```
//!
//! Check a text against an index (here in memory; `Archive::open` reads
//! one that `lineage index add` wrote):
//!
//! ```
//! use lineage::{check, Archive, CheckOptions, Document, Index, IndexParams};
//!
//! let mut index = Index::new(IndexParams::default())?;
//! index.add_documents(&[Document::new("original.txt", include_str!("../samples/original.txt"))]);
//! let archive = Archive::in_memory(index, "archive".as_ref());
//! let new = [Document::new("rewrite.txt", include_str!("../samples/rewrite.txt"))];
//! let checks = check(&new, &archive, &CheckOptions::default())?;
//! assert_eq!(checks[0].findings[0].report.source, "original.txt");
//! # Ok::<(), lineage::Error>(())
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
pub use pipeline::{
    attribute, check, dedup, score_pair, Archive, CheckOptions, Config, DedupOptions, Index,
    IndexParams,
};
pub use source::Document;
