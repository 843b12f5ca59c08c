//! Stages 5-6 for corpora: verified duplicate pairs and clusters.
//!
//! In: the [`DocFingerprint`]s of a corpus ([`crate::corpus`] or a
//! fingerprint file). Out: a [`DedupResult`]: clusters of documents linked
//! by verified pairs, each with a representative to keep.
//!
//! 1. Candidates: LSH banding with bands and rows chosen for the Jaccard
//!    threshold ([`crate::lsh::optimal_params`]); with `exact_join`, an
//!    exact prefix-filter join instead (no pair missed, slower on large
//!    corpora). With a containment threshold, the exact containment join is
//!    added: excerpts have a low Jaccard similarity with their source, so
//!    banding on Jaccard cannot propose them.
//! 2. Verification of every candidate. When the fingerprints carry their
//!    shingle sets (always, when documents are read directly), the Jaccard
//!    similarity and both containments are computed exactly on the sets and
//!    no unverified pair is ever reported. A fingerprint file written
//!    without sets holds only signatures: then a pair is kept when the
//!    *estimated* Jaccard similarity (share of equal slots) reaches the
//!    threshold, so a pair a little under it can be reported and one a
//!    little over it missed; [`DedupResult::verification`] says which was
//!    done, and containment (which needs the sets) is refused.
//! 3. Union-find over the verified pairs: connected documents form a
//!    cluster (so a chain `a ~ b ~ c` is one cluster even when `a` and `c`
//!    are not similar themselves; the pairs show which links exist).
//!
//! [`apply_clusters`] takes the clusters from elsewhere instead (a Spark
//! job's `id, cluster` file) and rebuilds the same [`DedupResult`]: the
//! representatives by the same rule, and each cluster's verified pairs
//! found by banding and verifying inside the cluster only.
//!
//! Documents without shingles (empty texts) never pair. Everything is
//! ordered by document index, so the result is the same for any number of
//! threads.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::lsh::candidates::{
    containment_join_candidates, jaccard_join_candidates, lsh_candidates, CandidatePair,
};
use crate::lsh::{lsh_params_for, LshParams, LshWeights};
use crate::sketch::DocFingerprint;

/// How to deduplicate.
///
/// # Examples
///
/// Excerpts join their source with `containment`:
///
/// ```
/// use lineage::corpus::dedup::{dedup, DedupOptions};
/// use lineage::{pipeline::sketch, sketch::SketchParams, Document};
///
/// let full = include_str!("../../samples/reuters-tseng.txt");
/// let docs = [Document::new("full", full), Document::new("part", &full[..full.len() / 2])];
/// let fingerprints = sketch(&docs, SketchParams::default(), true)?;
/// assert!(dedup(&fingerprints, &DedupOptions::default())?.clusters.is_empty());
/// let options = DedupOptions { containment: Some(0.9), ..DedupOptions::default() };
/// assert_eq!(dedup(&fingerprints, &options)?.clusters[0].members, [0, 1]);
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DedupOptions {
    /// Jaccard similarity at or above which two documents are duplicates.
    pub threshold: f64,
    /// Also link a document whose shingles are contained in another's at
    /// or above this share (excerpts, truncations).
    pub containment: Option<f64>,
    /// Error weights for choosing bands and rows.
    pub lsh_weights: LshWeights,
    /// Bands and rows to use instead of the optimal choice.
    pub lsh: Option<LshParams>,
    /// Find candidates with the exact prefix-filter join instead of LSH.
    pub exact_join: bool,
    /// Use the rayon pool.
    pub parallel: bool,
}

impl Default for DedupOptions {
    fn default() -> Self {
        DedupOptions {
            threshold: 0.8,
            containment: None,
            lsh_weights: LshWeights::default(),
            lsh: None,
            exact_join: false,
            parallel: true,
        }
    }
}

impl DedupOptions {
    /// Checks the thresholds.
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(Error::InvalidParam(format!(
                "threshold must be in (0, 1], got {}",
                self.threshold
            )));
        }
        if let Some(c) = self.containment {
            if !(c > 0.0 && c <= 1.0) {
                return Err(Error::InvalidParam(format!(
                    "containment must be in (0, 1], got {c}"
                )));
            }
        }
        Ok(())
    }
}

/// How pairs were verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// On the shingle sets: the scores are exact.
    Exact,
    /// On the signatures: the Jaccard score is an estimate.
    Estimate,
}

/// A verified pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DuplicatePair {
    /// The smaller document index.
    pub left: u32,
    /// The larger document index.
    pub right: u32,
    /// Jaccard similarity of the raw shingle sets (estimated when
    /// verification was [`Verification::Estimate`]).
    pub jaccard: f64,
    /// Share of `left`'s shingles found in `right` (exact verification only).
    pub left_in_right: Option<f64>,
    /// Share of `right`'s shingles found in `left` (exact verification only).
    pub right_in_left: Option<f64>,
}

/// Documents linked by verified pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Member indices, ascending.
    pub members: Vec<u32>,
    /// The member to keep: the oldest when every member has a date, else
    /// the longest (most words); ties go to the first in input order.
    pub representative: u32,
    /// The verified pairs inside the cluster, sorted.
    pub pairs: Vec<DuplicatePair>,
}

/// The outcome of [`dedup`].
///
/// # Examples
///
/// ```
/// use lineage::{dedup, DedupOptions, Document};
///
/// let text = "the quick brown fox jumps over the lazy dog";
/// let other = "rain delayed the wheat harvest across the northern plains";
/// let docs = [Document::new("a", text), Document::new("b", other), Document::new("c", text)];
/// let (_, result) = dedup(&docs, &DedupOptions::default())?;
/// assert_eq!((result.documents, result.clusters.len()), (3, 1));
/// assert_eq!(result.kept(), [0, 1]);
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupResult {
    /// Clusters of two or more documents, ordered by their first member.
    pub clusters: Vec<Cluster>,
    /// Documents considered.
    pub documents: usize,
    /// Documents without shingles (never paired).
    pub empty_documents: usize,
    /// Candidate pairs proposed.
    pub candidates: usize,
    /// Candidate pairs that passed verification.
    pub verified_pairs: usize,
    /// Bands and rows used (`None` with the exact join).
    pub lsh: Option<LshParams>,
    /// How candidates were verified.
    pub verification: Verification,
}

impl DedupResult {
    /// Documents that would be removed: all cluster members but the
    /// representatives.
    pub(crate) fn duplicates(&self) -> usize {
        self.clusters.iter().map(|c| c.members.len() - 1).sum()
    }

    /// Indices of the documents to keep, ascending: every document outside
    /// a cluster plus each cluster's representative.
    pub fn kept(&self) -> Vec<u32> {
        let mut dropped = vec![false; self.documents];
        for c in &self.clusters {
            for &m in &c.members {
                if m != c.representative {
                    if let Some(d) = dropped.get_mut(m as usize) {
                        *d = true;
                    }
                }
            }
        }
        (0..self.documents as u32)
            .filter(|&i| !dropped[i as usize])
            .collect()
    }
}

/// Disjoint sets over `0..n` with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// The root of `x`'s set.
    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }

    /// Sets of two or more members, each sorted, ordered by first member.
    pub fn groups(&mut self) -> Vec<Vec<u32>> {
        let n = self.parent.len();
        let mut by_root: Vec<Vec<u32>> = vec![Vec::new(); n];
        for x in 0..n as u32 {
            let r = self.find(x);
            by_root[r as usize].push(x);
        }
        let mut groups: Vec<Vec<u32>> = by_root.into_iter().filter(|g| g.len() > 1).collect();
        groups.sort_unstable_by_key(|g| g[0]);
        groups
    }
}

pub use crate::compare::score::intersection_size;

fn verify(
    docs: &[DocFingerprint],
    pair: CandidatePair,
    options: &DedupOptions,
    verification: Verification,
) -> Option<DuplicatePair> {
    let (l, r) = (&docs[pair.left as usize], &docs[pair.right as usize]);
    let scored = match (verification, &l.shingle_set, &r.shingle_set) {
        (Verification::Exact, Some(a), Some(b)) => {
            if a.is_empty() || b.is_empty() {
                return None;
            }
            let inter = intersection_size(a, b) as f64;
            DuplicatePair {
                left: pair.left,
                right: pair.right,
                jaccard: inter / (a.len() as f64 + b.len() as f64 - inter),
                left_in_right: Some(inter / a.len() as f64),
                right_in_left: Some(inter / b.len() as f64),
            }
        }
        _ => {
            let equal = l.slots.iter().zip(&r.slots).filter(|(x, y)| x == y).count();
            DuplicatePair {
                left: pair.left,
                right: pair.right,
                jaccard: equal as f64 / l.slots.len().max(1) as f64,
                left_in_right: None,
                right_in_left: None,
            }
        }
    };
    let contained = options.containment.is_some_and(|t| {
        scored.left_in_right.unwrap_or(0.0) >= t || scored.right_in_left.unwrap_or(0.0) >= t
    });
    (scored.jaccard >= options.threshold || contained).then_some(scored)
}

fn representative(docs: &[DocFingerprint], members: &[u32]) -> u32 {
    let all_dated = members.iter().all(|&m| docs[m as usize].date.is_some());
    let mut best = members[0];
    for &m in &members[1..] {
        let (a, b) = (&docs[m as usize], &docs[best as usize]);
        let better = if all_dated && a.date != b.date {
            a.date < b.date
        } else {
            a.tokens > b.tokens
        };
        if better {
            best = m;
        }
    }
    best
}

/// The slot count every signature shares.
fn common_num_perm(docs: &[DocFingerprint]) -> Result<usize> {
    let num_perm = docs.first().map_or(0, |d| d.slots.len());
    if docs.iter().any(|d| d.slots.len() != num_perm) {
        return Err(Error::ParamsMismatch {
            left: format!("num_perm={num_perm}"),
            right: "another num_perm".into(),
        });
    }
    Ok(num_perm)
}

/// Whether every document has its shingle set, and so how pairs are
/// verified.
fn verification_of(docs: &[DocFingerprint]) -> (bool, Verification) {
    let have_sets = docs.iter().all(|d| d.shingle_set.is_some());
    let verification = if have_sets {
        Verification::Exact
    } else {
        Verification::Estimate
    };
    (have_sets, verification)
}

/// One row of a cluster file: a document and the label of its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterAssignment {
    /// Document id.
    pub id: String,
    /// Cluster label (members share it; its value does not matter).
    pub cluster: String,
}

/// The [`DedupResult`] of clusters computed elsewhere: documents with the
/// same label in `assignments` form a cluster, documents without a label
/// stand alone. Representatives follow [`dedup`]'s rule; each cluster's
/// pairs are the candidates of LSH banding inside it that pass
/// verification, so when `assignments` hold [`dedup`]'s clusters the result
/// is [`dedup`]'s, except `candidates`, which counts only the candidates
/// inside clusters. Document ids must be unique; an unknown id, or one
/// given two labels, is an error.
pub fn apply_clusters(
    docs: &[DocFingerprint],
    assignments: &[ClusterAssignment],
    options: &DedupOptions,
) -> Result<DedupResult> {
    options.validate()?;
    if options.containment.is_some() || options.exact_join {
        return Err(Error::InvalidParam(
            "the cluster file fixes the clusters: containment and the exact join do not apply"
                .into(),
        ));
    }
    if docs.len() > u32::MAX as usize {
        return Err(Error::InvalidParam("more than 2^32 documents".into()));
    }
    let num_perm = common_num_perm(docs)?;
    let (_, verification) = verification_of(docs);
    let mut index: HashMap<&str, u32> = HashMap::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        if index.insert(d.id.as_str(), i as u32).is_some() {
            return Err(Error::InvalidParam(format!(
                "document id {} occurs twice; a cluster file names documents by id, so ids must be unique",
                d.id
            )));
        }
    }
    let mut label_of: Vec<Option<&str>> = vec![None; docs.len()];
    let mut first_with: HashMap<&str, u32> = HashMap::new();
    let mut uf = UnionFind::new(docs.len());
    for a in assignments {
        let Some(&i) = index.get(a.id.as_str()) else {
            return Err(Error::InvalidParam(format!(
                "the cluster file names {}, which is not among the documents (pass the sketch the clusters were computed from)",
                a.id
            )));
        };
        match label_of[i as usize] {
            Some(l) if l != a.cluster => {
                return Err(Error::InvalidParam(format!(
                    "the cluster file puts {} in two clusters ({l} and {})",
                    a.id, a.cluster
                )))
            }
            _ => label_of[i as usize] = Some(a.cluster.as_str()),
        }
        let first = *first_with.entry(a.cluster.as_str()).or_insert(i);
        uf.union(first, i);
    }
    let params = match options.lsh {
        Some(p) => p,
        None => lsh_params_for(options.threshold, num_perm, options.lsh_weights)?,
    };
    params.validate(num_perm)?;
    let mut candidates = 0;
    let mut verified_pairs = 0;
    let mut clusters = Vec::new();
    for members in uf.groups() {
        let sigs: Vec<Option<&[u32]>> = members
            .iter()
            .map(|&m| {
                let d = &docs[m as usize];
                (!d.is_empty()).then_some(d.slots.as_slice())
            })
            .collect();
        let local = lsh_candidates(&sigs, params, false);
        candidates += local.len();
        // `members` ascend, so the pairs stay sorted as in `dedup`.
        let pairs: Vec<DuplicatePair> = local
            .iter()
            .filter_map(|p| {
                let pair = CandidatePair {
                    left: members[p.left as usize],
                    right: members[p.right as usize],
                };
                verify(docs, pair, options, verification)
            })
            .collect();
        verified_pairs += pairs.len();
        clusters.push(Cluster {
            representative: representative(docs, &members),
            members,
            pairs,
        });
    }
    Ok(DedupResult {
        clusters,
        documents: docs.len(),
        empty_documents: docs.iter().filter(|d| d.is_empty()).count(),
        candidates,
        verified_pairs,
        lsh: Some(params),
        verification,
    })
}

/// Finds the duplicate clusters of `docs` (see the module docs). All
/// signatures must have the same number of slots.
pub fn dedup(docs: &[DocFingerprint], options: &DedupOptions) -> Result<DedupResult> {
    options.validate()?;
    if docs.len() > u32::MAX as usize {
        return Err(Error::InvalidParam("more than 2^32 documents".into()));
    }
    let (have_sets, verification) = verification_of(docs);
    if docs.is_empty() {
        // Nothing to deduplicate: no clusters (and no bands to choose for
        // signatures of no length).
        return Ok(DedupResult {
            clusters: Vec::new(),
            documents: 0,
            empty_documents: 0,
            candidates: 0,
            verified_pairs: 0,
            lsh: None,
            verification,
        });
    }
    let num_perm = common_num_perm(docs)?;
    if !have_sets && (options.containment.is_some() || options.exact_join) {
        return Err(Error::InvalidParam(
            "containment and the exact join need shingle sets: pass the documents, or a fingerprint file made with `lineage sketch --shingle-sets`".into(),
        ));
    }
    let empty: Vec<bool> = docs.iter().map(DocFingerprint::is_empty).collect();
    let empty_documents = empty.iter().filter(|&&e| e).count();
    let mut lsh = None;
    let mut candidates = if options.exact_join {
        let sets: Vec<&[u64]> = docs
            .iter()
            .map(|d| d.shingle_set.as_deref().unwrap_or(&[]))
            .collect();
        jaccard_join_candidates(&sets, options.threshold, options.parallel)
    } else {
        let params = match options.lsh {
            Some(p) => p,
            None => lsh_params_for(options.threshold, num_perm, options.lsh_weights)?,
        };
        params.validate(num_perm)?;
        lsh = Some(params);
        let sigs: Vec<Option<&[u32]>> = docs
            .iter()
            .zip(&empty)
            .map(|(d, &e)| (!e).then_some(d.slots.as_slice()))
            .collect();
        lsh_candidates(&sigs, params, options.parallel)
    };
    if let Some(t) = options.containment {
        let sets: Vec<&[u64]> = docs
            .iter()
            .map(|d| d.shingle_set.as_deref().unwrap_or(&[]))
            .collect();
        candidates.extend(containment_join_candidates(&sets, t, options.parallel));
        candidates.sort_unstable();
        candidates.dedup();
    }
    let verified: Vec<DuplicatePair> = if options.parallel {
        candidates
            .par_iter()
            .filter_map(|&p| verify(docs, p, options, verification))
            .collect()
    } else {
        candidates
            .iter()
            .filter_map(|&p| verify(docs, p, options, verification))
            .collect()
    };
    let mut uf = UnionFind::new(docs.len());
    for p in &verified {
        uf.union(p.left, p.right);
    }
    let groups = uf.groups();
    let mut cluster_of = vec![u32::MAX; docs.len()];
    for (c, g) in groups.iter().enumerate() {
        for &m in g {
            cluster_of[m as usize] = c as u32;
        }
    }
    let mut pairs_of: Vec<Vec<DuplicatePair>> = vec![Vec::new(); groups.len()];
    for p in &verified {
        pairs_of[cluster_of[p.left as usize] as usize].push(*p);
    }
    let clusters = groups
        .into_iter()
        .zip(pairs_of)
        .map(|(members, pairs)| Cluster {
            representative: representative(docs, &members),
            members,
            pairs,
        })
        .collect();
    Ok(DedupResult {
        clusters,
        documents: docs.len(),
        empty_documents,
        candidates: candidates.len(),
        verified_pairs: verified.len(),
        lsh,
        verification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{fingerprint_document, shingle_params};
    use crate::sketch::{SketchParams, Sketcher};
    use crate::source::Document;
    use crate::text::shingle::RawShingler;

    const BASE: &str = "The central bank raised its benchmark interest rate by half a point on Tuesday, \
        citing persistent inflation in food and energy prices, and signalled that further increases \
        were likely before the end of the year as wage growth remained strong and the currency \
        weakened against the dollar for the third consecutive month, analysts said in notes to clients.";

    fn fingerprints(texts: &[(&str, String, Option<&str>)], sets: bool) -> Vec<DocFingerprint> {
        let params = SketchParams::default();
        let sketcher = Sketcher::new(params).unwrap();
        let mut shingler = RawShingler::new(shingle_params(&params)).unwrap();
        texts
            .iter()
            .map(|(id, text, date)| {
                let mut doc = Document::new(*id, text.clone());
                doc.meta.date = date.map(str::to_string);
                fingerprint_document(&doc, &sketcher, &mut shingler, sets)
            })
            .collect()
    }

    /// A hand-made corpus: an exact duplicate, a near duplicate (one word
    /// changed at the end), an excerpt, an unrelated text and an empty one.
    fn corpus() -> Vec<(&'static str, String, Option<&'static str>)> {
        let near = BASE.replace("clients.", "investors.");
        let excerpt = BASE[..BASE.find(" and signalled").unwrap()].to_string();
        vec![
            ("base", BASE.to_string(), Some("2020-01-03")),
            ("other", "A completely different story about football, weather and the harvest in the north of the country this season.".into(), None),
            ("copy", BASE.to_string(), Some("2020-01-01")),
            ("near", near, Some("2020-01-02")),
            ("excerpt", excerpt, Some("2020-01-04")),
            ("empty", "  ...  ".into(), None),
        ]
    }

    fn names(docs: &[DocFingerprint], members: &[u32]) -> Vec<String> {
        members
            .iter()
            .map(|&m| docs[m as usize].id.clone())
            .collect()
    }

    #[test]
    fn clusters_exact_and_near_duplicates() {
        let docs = fingerprints(&corpus(), true);
        let result = dedup(&docs, &DedupOptions::default()).unwrap();
        assert_eq!(result.verification, Verification::Exact);
        assert_eq!(result.empty_documents, 1);
        assert_eq!(result.clusters.len(), 1, "{result:#?}");
        let c = &result.clusters[0];
        assert_eq!(names(&docs, &c.members), ["base", "copy", "near"]);
        // Every member is dated: the oldest is kept.
        assert_eq!(docs[c.representative as usize].id, "copy");
        assert_eq!(c.pairs.len(), 3);
        assert!(c.pairs.iter().all(|p| p.jaccard >= 0.8));
        assert_eq!(result.duplicates(), 2);
        assert_eq!(result.kept(), vec![1, 2, 4, 5]);
    }

    #[test]
    fn containment_groups_excerpts() {
        let docs = fingerprints(&corpus(), true);
        let options = DedupOptions {
            containment: Some(0.9),
            ..DedupOptions::default()
        };
        let result = dedup(&docs, &options).unwrap();
        assert_eq!(result.clusters.len(), 1);
        let c = &result.clusters[0];
        assert_eq!(
            names(&docs, &c.members),
            ["base", "copy", "near", "excerpt"]
        );
        let excerpt_pair = c.pairs.iter().find(|p| p.right == 4).unwrap();
        assert!(excerpt_pair.jaccard < 0.8);
        assert_eq!(excerpt_pair.right_in_left, Some(1.0));
    }

    #[test]
    fn exact_join_and_serial_agree_with_lsh() {
        let docs = fingerprints(&corpus(), true);
        let lsh = dedup(&docs, &DedupOptions::default()).unwrap();
        let serial = dedup(
            &docs,
            &DedupOptions {
                parallel: false,
                ..DedupOptions::default()
            },
        )
        .unwrap();
        assert_eq!(lsh, serial);
        let exact = dedup(
            &docs,
            &DedupOptions {
                exact_join: true,
                ..DedupOptions::default()
            },
        )
        .unwrap();
        assert_eq!(exact.clusters, lsh.clusters);
        assert_eq!(exact.lsh, None);
    }

    #[test]
    fn signatures_alone_verify_on_the_estimate() {
        let mut items = corpus();
        for (_, _, date) in &mut items {
            *date = None;
        }
        let docs = fingerprints(&items, false);
        let result = dedup(&docs, &DedupOptions::default()).unwrap();
        assert_eq!(result.verification, Verification::Estimate);
        let c = &result.clusters[0];
        assert_eq!(names(&docs, &c.members), ["base", "copy", "near"]);
        // Undated: the longest is kept, ties to the first.
        assert_eq!(docs[c.representative as usize].id, "base");
        assert!(c.pairs.iter().all(|p| p.left_in_right.is_none()));
        let with_containment = DedupOptions {
            containment: Some(0.5),
            ..DedupOptions::default()
        };
        assert!(dedup(&docs, &with_containment).is_err());
    }

    #[test]
    fn applied_clusters_rebuild_the_result() {
        let docs = fingerprints(&corpus(), false);
        let options = DedupOptions::default();
        let found = dedup(&docs, &options).unwrap();
        let mut assignments = Vec::new();
        for c in &found.clusters {
            for &m in &c.members {
                assignments.push(ClusterAssignment {
                    id: docs[m as usize].id.clone(),
                    cluster: docs[c.members[0] as usize].id.clone(),
                });
            }
        }
        let applied = apply_clusters(&docs, &assignments, &options).unwrap();
        assert_eq!(applied.clusters, found.clusters);
        assert_eq!(applied.kept(), found.kept());
        let unknown = [ClusterAssignment {
            id: "nope".into(),
            cluster: "x".into(),
        }];
        assert!(apply_clusters(&docs, &unknown, &options).is_err());
        let twice = [
            ClusterAssignment {
                id: "base".into(),
                cluster: "x".into(),
            },
            ClusterAssignment {
                id: "base".into(),
                cluster: "y".into(),
            },
        ];
        assert!(apply_clusters(&docs, &twice, &options).is_err());
    }

    #[test]
    fn union_find_groups() {
        let mut uf = UnionFind::new(6);
        uf.union(4, 5);
        uf.union(0, 2);
        uf.union(2, 4);
        assert_eq!(uf.groups(), vec![vec![0, 2, 4, 5]]);
        uf.union(1, 3);
        assert_eq!(uf.groups(), vec![vec![0, 2, 4, 5], vec![1, 3]]);
    }
}
