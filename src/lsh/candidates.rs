//! Stage 5: candidate pairs, in a stable order.
//!
//! In: signatures (for LSH) or sorted shingle sets (for the exact joins).
//! Out: distinct [`CandidatePair`]s `(left, right)` of document indices with
//! `left < right`, sorted, so the same corpus gives the same list for any
//! number of threads. Candidates are only proposals: [`crate::corpus::dedup`]
//! verifies every one.
//!
//! * [`lsh_candidates`]: documents that agree on all rows of at least one
//!   band ([`crate::lsh`]). Each band's `(key, document)` list is sorted and
//!   scanned for runs of equal keys; bands run in parallel.
//! * `jaccard_join_candidates`: an exact similarity join by prefix
//!   filtering (Bayardo, Ma & Srikant, "Scaling up all pairs similarity
//!   search", WWW 2007). Shingles are ranked rarest first; two sets with
//!   Jaccard `>= t` must share one of the first `|x| - ceil(t|x|) + 1`
//!   shingles of each, and their sizes are within a factor `t`. No pair at
//!   or above `t` is missed.
//! * `containment_join_candidates`: the same idea for one-way
//!   containment: if `|x ∩ y| >= T|x|`, `y` holds one of the first
//!   `|x| - ceil(T|x|) + 1` shingles of `x`, so probing an index of every
//!   set with that prefix misses nothing.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::lsh::{band_key, LshParams};

/// Two documents to compare, by index, `left < right`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CandidatePair {
    /// The smaller document index.
    pub left: u32,
    /// The larger document index.
    pub right: u32,
}

impl CandidatePair {
    /// The pair of `a` and `b` in order (`a != b`).
    pub fn new(a: u32, b: u32) -> CandidatePair {
        CandidatePair {
            left: a.min(b),
            right: a.max(b),
        }
    }
}

fn sort_dedup(mut pairs: Vec<CandidatePair>, parallel: bool) -> Vec<CandidatePair> {
    if parallel {
        pairs.par_sort_unstable();
    } else {
        pairs.sort_unstable();
    }
    pairs.dedup();
    pairs
}

fn band_pairs(signatures: &[Option<&[u32]>], params: LshParams, band: usize) -> Vec<CandidatePair> {
    let mut keyed: Vec<(u64, u32)> = signatures
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|slots| (band_key(slots, params, band), i as u32)))
        .collect();
    keyed.sort_unstable();
    let mut pairs = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        for i in start..end {
            for j in i + 1..end {
                pairs.push(CandidatePair::new(keyed[i].1, keyed[j].1));
            }
        }
        start = end;
    }
    pairs
}

/// Candidate pairs by LSH banding. `None` signatures (empty documents)
/// take no part. Every slice must hold at least `bands * rows_per_band`
/// slots.
pub fn lsh_candidates(
    signatures: &[Option<&[u32]>],
    params: LshParams,
    parallel: bool,
) -> Vec<CandidatePair> {
    let per_band: Vec<Vec<CandidatePair>> = if parallel {
        (0..params.bands)
            .into_par_iter()
            .map(|band| band_pairs(signatures, params, band))
            .collect()
    } else {
        (0..params.bands)
            .map(|band| band_pairs(signatures, params, band))
            .collect()
    };
    sort_dedup(per_band.concat(), parallel)
}

/// Each set rewritten as shingle ranks, rarest shingle first (ties by
/// hash), so that prefixes hold the rarest shingles.
fn ranked_sets(sets: &[&[u64]]) -> Vec<Vec<u32>> {
    let mut freq: HashMap<u64, u32> = HashMap::new();
    for set in sets {
        for &h in *set {
            *freq.entry(h).or_insert(0) += 1;
        }
    }
    let mut order: Vec<(u32, u64)> = freq.iter().map(|(&h, &f)| (f, h)).collect();
    order.sort_unstable();
    let rank: HashMap<u64, u32> = order
        .iter()
        .enumerate()
        .map(|(r, &(_, h))| (h, r as u32))
        .collect();
    sets.iter()
        .map(|set| {
            let mut ranks: Vec<u32> = set.iter().filter_map(|h| rank.get(h).copied()).collect();
            ranks.sort_unstable();
            ranks
        })
        .collect()
}

/// Prefix length that a set of `len` shingles must share for an overlap
/// of at least `threshold * len`.
fn prefix_len(len: usize, threshold: f64) -> usize {
    let need = (threshold * len as f64 - 1e-9).ceil().max(1.0) as usize;
    (len + 1).saturating_sub(need).min(len)
}

/// Probes `index` with the prefix of each set and collects pairs that pass
/// `keep(x_len, y_len)`.
fn probe(
    ranked: &[Vec<u32>],
    index: &HashMap<u32, Vec<u32>>,
    threshold: f64,
    parallel: bool,
    keep: impl Fn(usize, usize) -> bool + Sync,
) -> Vec<CandidatePair> {
    let one = |x: usize| -> Vec<CandidatePair> {
        let set = &ranked[x];
        let mut seen: Vec<u32> = Vec::new();
        for r in &set[..prefix_len(set.len(), threshold)] {
            if let Some(docs) = index.get(r) {
                for &y in docs {
                    let y = y as usize;
                    if y != x && keep(set.len(), ranked[y].len()) {
                        seen.push(y as u32);
                    }
                }
            }
        }
        seen.sort_unstable();
        seen.dedup();
        seen.into_iter()
            .map(|y| CandidatePair::new(x as u32, y))
            .collect()
    };
    let pairs: Vec<Vec<CandidatePair>> = if parallel {
        (0..ranked.len()).into_par_iter().map(one).collect()
    } else {
        (0..ranked.len()).map(one).collect()
    };
    sort_dedup(pairs.concat(), parallel)
}

/// Every pair whose sets may have Jaccard similarity `>= threshold`
/// (exact join, no misses). Empty sets take no part.
pub(crate) fn jaccard_join_candidates(
    sets: &[&[u64]],
    threshold: f64,
    parallel: bool,
) -> Vec<CandidatePair> {
    let ranked = ranked_sets(sets);
    let mut index: HashMap<u32, Vec<u32>> = HashMap::new();
    for (doc, set) in ranked.iter().enumerate() {
        for &r in &set[..prefix_len(set.len(), threshold)] {
            index.entry(r).or_default().push(doc as u32);
        }
    }
    // Size filter: J(x, y) <= min/max, so the sizes are within a factor t.
    probe(&ranked, &index, threshold, parallel, |x, y| {
        let (lo, hi) = (x.min(y) as f64, x.max(y) as f64);
        lo >= threshold * hi - 1e-9
    })
}

/// Every pair where one set may be contained in the other at `>= threshold`
/// (`|x ∩ y| >= threshold * |x|`; exact join, no misses).
pub(crate) fn containment_join_candidates(
    sets: &[&[u64]],
    threshold: f64,
    parallel: bool,
) -> Vec<CandidatePair> {
    let ranked = ranked_sets(sets);
    let mut index: HashMap<u32, Vec<u32>> = HashMap::new();
    for (doc, set) in ranked.iter().enumerate() {
        for &r in set {
            index.entry(r).or_default().push(doc as u32);
        }
    }
    probe(&ranked, &index, threshold, parallel, |_, _| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jaccard(a: &[u64], b: &[u64]) -> f64 {
        let inter = a.iter().filter(|x| b.contains(x)).count();
        inter as f64 / (a.len() + b.len() - inter) as f64
    }

    fn sets() -> Vec<Vec<u64>> {
        vec![
            (0..100).collect(),
            (0..90).collect(),  // J 0.9 with 0
            (5..105).collect(), // J ~0.9 with 0
            (200..300).collect(),
            (200..220).collect(), // contained in 3
            vec![],
        ]
    }

    #[test]
    fn jaccard_join_misses_nothing() {
        let owned = sets();
        let sets: Vec<&[u64]> = owned.iter().map(Vec::as_slice).collect();
        for t in [0.5, 0.8, 0.9] {
            let got = jaccard_join_candidates(&sets, t, false);
            for i in 0..sets.len() {
                for j in i + 1..sets.len() {
                    if !sets[i].is_empty() && jaccard(sets[i], sets[j]) >= t {
                        assert!(
                            got.contains(&CandidatePair::new(i as u32, j as u32)),
                            "{t} {i} {j}"
                        );
                    }
                }
            }
            assert_eq!(got, jaccard_join_candidates(&sets, t, true));
        }
    }

    #[test]
    fn containment_join_finds_excerpts() {
        let owned = sets();
        let sets: Vec<&[u64]> = owned.iter().map(Vec::as_slice).collect();
        let got = containment_join_candidates(&sets, 0.9, false);
        assert!(got.contains(&CandidatePair::new(3, 4)));
        assert!(got.contains(&CandidatePair::new(0, 1)));
        assert!(!got.contains(&CandidatePair::new(0, 3)));
    }

    #[test]
    fn lsh_groups_equal_bands() {
        let a: Vec<u32> = (0..8).collect();
        let mut b = a.clone();
        b[7] = 100;
        let c: Vec<u32> = (50..58).collect();
        let sigs = vec![
            Some(a.as_slice()),
            Some(b.as_slice()),
            Some(c.as_slice()),
            None,
        ];
        let p = LshParams {
            bands: 2,
            rows_per_band: 4,
        };
        assert_eq!(
            lsh_candidates(&sigs, p, false),
            vec![CandidatePair::new(0, 1)]
        );
        assert_eq!(
            lsh_candidates(&sigs, p, true),
            vec![CandidatePair::new(0, 1)]
        );
    }

    #[test]
    fn prefix_lengths() {
        assert_eq!(prefix_len(100, 0.8), 21);
        assert_eq!(prefix_len(10, 1.0), 1);
        assert_eq!(prefix_len(1, 0.5), 1);
        assert_eq!(prefix_len(0, 0.5), 0);
    }
}
