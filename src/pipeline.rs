//! The pipeline's entry points for a pair: [`Config`] in, [`PairReport`]
//! out.
//!
//! [`Fingerprint::new`] runs stages 1-4 on one document (normalise, tokenise,
//! shingle both views, sketch); [`compare`] runs stage 6 on two fingerprints
//! (exact overlaps, MinHash estimate, score, verdict). Every command of the
//! binary goes through these two functions, so `score`, `check` and `dedup`
//! cannot drift apart; they live in [`crate::compare`], and this module
//! scores documents with them.

use rayon::prelude::*;

pub use crate::compare::{attribute, Attribution, Config, PairReport};
use crate::compare::{compare, Fingerprint};
use crate::error::Result;
use crate::source::Document;

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
