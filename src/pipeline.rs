//! The entry points: score a pair ([`score_pair`]), several sources
//! ([`attribute`]), dedup a list of documents ([`dedup`]) and check
//! documents against an archive ([`check`]).
//!
//! Score a pair:
//!
//! ```
//! use lineage::pipeline::{score_pair, Config};
//! use lineage::source::Document;
//!
//! let original = Document::new("original.txt", include_str!("../samples/original.txt"));
//! let rewrite = Document::new("rewrite.txt", include_str!("../samples/rewrite.txt"));
//! let report = score_pair(&rewrite, &original, &Config::default())?;
//! assert_eq!(report.verdict.to_string(), "derived");
//! assert!(report.coverage > 0.8 && !report.passages.is_empty());
//! # Ok::<(), lineage::Error>(())
//! ```
//!
//! Dedup a list of texts:
//!
//! ```
//! use lineage::pipeline::{dedup, DedupOptions};
//! use lineage::source::Document;
//!
//! let text = include_str!("../samples/reuters-tseng.txt");
//! let docs = [
//!     Document::new("a", text),
//!     Document::new("b", include_str!("../samples/reuters-grain.txt")),
//!     Document::new("c", text.replace("Tseng", "TSENG")),
//! ];
//! let (fingerprints, result) = dedup(&docs, &DedupOptions::default())?;
//! let cluster: Vec<&str> = result.clusters[0].members.iter().map(|&m| fingerprints[m as usize].id.as_str()).collect();
//! assert_eq!(cluster, ["a", "c"]);
//! # Ok::<(), lineage::Error>(())
//! ```
//!
//! Check a text against an archive:
//!
//! ```
//! use lineage::pipeline::{check, Archive, CheckOptions, Index, IndexParams};
//! use lineage::source::Document;
//!
//! let mut index = Index::new(IndexParams::default())?;
//! index.add_documents(&[
//!     Document::new("original.txt", include_str!("../samples/original.txt")),
//!     Document::new("grain.txt", include_str!("../samples/reuters-grain.txt")),
//! ]);
//! // Or `Archive::open(path)` for an archive `lineage index add` wrote.
//! let archive = Archive::in_memory(index, "archive".as_ref());
//! let new = [Document::new("rewrite.txt", include_str!("../samples/rewrite.txt"))];
//! let checks = check(&new, &archive, &CheckOptions::default())?;
//! assert_eq!(checks[0].findings[0].report.source, "original.txt");
//! # Ok::<(), lineage::Error>(())
//! ```
//!
//! [`Fingerprint::new`] runs stages 1-4 on one document (normalise, tokenise,
//! shingle both views, sketch); [`compare`] runs stage 6 on two fingerprints
//! (exact overlaps, MinHash estimate, score, verdict). Every command of the
//! binary goes through these two functions, so `score`, `check` and `dedup`
//! cannot drift apart; they live in [`crate::compare`], and this module
//! scores documents with them.

use rayon::prelude::*;

pub use crate::archive::check::{CheckOptions, DocCheck};
pub use crate::archive::disk::Archive;
pub use crate::archive::index::{Index, IndexParams};
pub use crate::compare::{attribute, Attribution, Config, PairReport};
use crate::compare::{compare, Fingerprint};
pub use crate::corpus::dedup::{DedupOptions, DedupResult};
use crate::corpus::{fingerprint_document, shingle_params};
use crate::error::Result;
use crate::sketch::{DocFingerprint, SketchParams, Sketcher};
use crate::source::Document;
use crate::text::shingle::RawShingler;

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

/// Fingerprints `docs` (stages 1-4, in parallel, with the default
/// [`SketchParams`] and the shingle sets kept for exact verification, as
/// `lineage dedup` does with documents) and clusters the near-duplicates
/// among them (stages 5-6). Cluster members index the fingerprints, which
/// come back in the order of `docs`.
pub fn dedup(
    docs: &[Document],
    options: &DedupOptions,
) -> Result<(Vec<DocFingerprint>, DedupResult)> {
    let fingerprints = sketch(docs, SketchParams::default(), true)?;
    let result = crate::corpus::dedup::dedup(&fingerprints, options)?;
    Ok((fingerprints, result))
}

/// Fingerprints `docs` (stages 1-4, in parallel; in the order of `docs`):
/// the signatures `lineage sketch` writes for the same texts, and the
/// shingle sets when `shingle_sets` is set (for exact verification).
///
/// ```
/// use lineage::pipeline::sketch;
/// use lineage::sketch::SketchParams;
/// use lineage::source::Document;
///
/// let docs = [Document::new("a", "the quick brown fox jumps over the lazy dog")];
/// let fingerprints = sketch(&docs, SketchParams::default(), false)?;
/// assert_eq!(fingerprints[0].slots.len(), 128);
/// # Ok::<(), lineage::Error>(())
/// ```
pub fn sketch(
    docs: &[Document],
    params: SketchParams,
    shingle_sets: bool,
) -> Result<Vec<DocFingerprint>> {
    let sketcher = Sketcher::new(params)?;
    let shingler = RawShingler::new(shingle_params(&params))?;
    Ok(docs
        .par_iter()
        .map_init(
            || shingler.clone(),
            |shingler, doc| fingerprint_document(doc, &sketcher, shingler, shingle_sets),
        )
        .collect())
}

/// Checks `docs` against an archive (stages 1-6 against the archive): one
/// [`DocCheck`] per document, in order, each with its findings. The first
/// document that cannot be checked is the error.
pub fn check(
    docs: &[Document],
    archive: &Archive,
    options: &CheckOptions,
) -> Result<Vec<DocCheck>> {
    crate::archive::check::check_documents(docs, archive, options)
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::score::{Direction, Verdict};

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
