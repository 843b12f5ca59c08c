//! Retrieval: the archived documents worth verifying for a query, from the
//! inverted lists of an archive on disk ([`disk`](super::disk)) or of an
//! index in memory ([`Index`]), by the same rules.
//!
//! In: a query's kept content-shingle hashes, or its content words with
//! their weights. Out: [`Candidate`]s, best first.
//!
//! Both searches visit the fewest postings that give the same answer as a
//! count over every posting of every query key:
//! - By content shingles, a candidate must share at least one distinctive
//!   hash (held by at most [`RetrievalOptions::rare_documents`] documents)
//!   whenever [`RetrievalOptions::min_distinctive`] is above 0; so only
//!   the short lists of the rare hashes propose documents, and the longer
//!   lists are only asked whether they hold a proposed document.
//! - By words, a document holding none of the rarest words that carry more
//!   than `1 - min_word_share` of the query's weight cannot reach the
//!   share (prefix filtering, as in set-similarity joins); only those words'
//!   lists propose documents, and each proposal is dropped as soon as the
//!   words left cannot lift it to the share.
//!
//! At 1M archived documents a query's common words hold hundreds of
//! thousands of postings; this is what keeps a check in milliseconds.

use std::collections::HashMap;

use serde::Serialize;

use crate::archive::index::{Index, IndexParams};
use crate::archive::segment::{DocList, List};
use crate::error::Result;
use crate::kernels::hash::MulHasher;

/// What retrieval needs from an archive: its documents are numbered from 0
/// in the order they were added.
pub(crate) trait Searchable: Sync {
    /// The parameters every document was fingerprinted with.
    fn params(&self) -> &IndexParams;
    /// Documents that count (replaced ones excluded).
    fn live_docs(&self) -> usize;
    /// Whether document `doc` was replaced.
    fn is_deleted(&self, doc: u32) -> bool;
    /// How many documents were replaced (and still sit in lists).
    fn deleted(&self) -> usize;
    /// The documents holding `key`: `(first number, list)` per part.
    fn lookup(&self, list: List, key: u64) -> Result<Vec<(u32, DocList<'_>)>>;
    /// Kept content-shingle hashes of document `doc`.
    fn terms(&self, doc: u32) -> Result<u32>;
}

impl Searchable for Index {
    fn params(&self) -> &IndexParams {
        Index::params(self)
    }

    fn live_docs(&self) -> usize {
        self.docs().len()
    }

    fn is_deleted(&self, _doc: u32) -> bool {
        false
    }

    fn deleted(&self) -> usize {
        0
    }

    fn lookup(&self, list: List, key: u64) -> Result<Vec<(u32, DocList<'_>)>> {
        let pairs = match list {
            List::Postings => self.posting_pairs(),
            List::Words => self.word_pairs(),
        };
        let lo = pairs.partition_point(|p| p.0 < key);
        let hi = lo + pairs[lo..].partition_point(|p| p.0 <= key);
        Ok(if hi > lo {
            vec![(0, DocList::Pairs(&pairs[lo..hi]))]
        } else {
            Vec::new()
        })
    }

    fn terms(&self, doc: u32) -> Result<u32> {
        Ok(self.docs()[doc as usize].terms)
    }
}

/// How many candidates a query keeps, and which.
///
/// # Examples
///
/// ```
/// use lineage::archive::retrieve::RetrievalOptions;
/// use lineage::CheckOptions;
///
/// let retrieval = RetrievalOptions { max_candidates: 5, ..RetrievalOptions::default() };
/// let options = CheckOptions { retrieval, ..CheckOptions::default() };
/// assert_eq!(options.retrieval.max_candidates, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RetrievalOptions {
    /// Most candidates per query, best first.
    pub max_candidates: usize,
    /// Least estimated containment of the query in a candidate.
    pub min_containment: f64,
    /// Least number of shared hashes (lowered for queries with fewer).
    pub min_shared: u32,
    /// Hashes held by more than this share of the documents (and by more
    /// than 64) are skipped: boilerplate such as "mln dlrs" says nothing
    /// about which document a text comes from.
    pub max_document_share: f64,
    /// A hash held by at most this many documents is distinctive.
    pub rare_documents: usize,
    /// Least distinctive share (see `Candidate::distinctive`) of a
    /// candidate.
    pub min_distinctive: f64,
    /// Least rarity-weighted share of the query's words a document must
    /// hold to be a candidate by words (`word_candidates`); a
    /// summary needs about 0.53 (with repeats credited less) to be a
    /// finding.
    pub min_word_share: f64,
}

impl Default for RetrievalOptions {
    fn default() -> Self {
        RetrievalOptions {
            max_candidates: 10,
            min_containment: 0.05,
            min_shared: 2,
            max_document_share: 0.05,
            rare_documents: 10,
            min_distinctive: 0.1,
            min_word_share: 0.45,
        }
    }
}

/// Per-document tallies of one query.
type DocTally<V> = HashMap<u32, V, std::hash::BuildHasherDefault<MulHasher>>;

/// A candidate source for a query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Candidate {
    /// Position of the document in the index.
    pub doc: u32,
    /// Kept hashes shared with the query.
    pub(crate) shared: u32,
    /// `shared` over the query's kept hashes: the estimated share of the
    /// query found in the document.
    pub(crate) containment: f64,
    /// Shared hashes held by at most [`RetrievalOptions::rare_documents`]
    /// archived documents.
    pub(crate) rare: u32,
    /// `rare` over the kept hashes of the smaller of the two: how much of
    /// the shorter text is shared in words that few archived documents
    /// use. Template text (market reports, earnings tables) shares many
    /// common shingles and few rare ones; a copy or rewrite shares the
    /// rare ones too.
    pub(crate) distinctive: f64,
    /// The rarity-weighted share of the query's words the document holds,
    /// when it was found by words ([`word_candidates`]); 0 when not.
    pub(crate) word_share: f64,
}

/// Lists longer than this are not read: held by more than
/// [`RetrievalOptions::max_document_share`] of the documents (and more
/// than 64), a key tells no document from another.
fn common_limit(docs: usize, options: &RetrievalOptions) -> usize {
    ((docs as f64 * options.max_document_share) as usize).max(64)
}

/// Whether any part's list holds document `doc` (numbered archive-wide).
fn holds(parts: &[(u32, DocList<'_>)], doc: u32) -> Result<bool> {
    for (base, list) in parts {
        if doc >= *base && list.contains(doc - base)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Hands every live document of `parts`, numbered archive-wide, to `f`.
fn for_each_live<S: Searchable + ?Sized>(
    s: &S,
    parts: &[(u32, DocList<'_>)],
    mut f: impl FnMut(u32),
) -> Result<()> {
    for (base, list) in parts {
        list.for_each(|d| {
            let d = base + d;
            if !s.is_deleted(d) {
                f(d);
            }
        })?;
    }
    Ok(())
}

/// The documents sharing at least `min_shared` of the query's kept
/// hashes, an estimated containment (either way) of at least
/// `min_containment` and a distinctive share of at least
/// `min_distinctive`; best first (most rare hashes shared, then most
/// hashes, then first indexed), at most `max_candidates`; `exclude` is
/// never returned.
pub(crate) fn candidates<S: Searchable + ?Sized>(
    s: &S,
    query: &[u64],
    options: &RetrievalOptions,
    exclude: Option<u32>,
) -> Result<Vec<Candidate>> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let common = common_limit(s.live_docs(), options);
    // Without a distinctive share to reach, every list proposes.
    let exhaustive = options.min_distinctive <= 0.0;
    let mut shared: DocTally<(u32, u32)> = DocTally::default();
    let mut frequent = Vec::new();
    let dead = s.deleted();
    for &h in query {
        let parts = s.lookup(List::Postings, h)?;
        let mut df: usize = parts.iter().map(|p| p.1.len()).sum();
        if dead > 0 && df <= options.rare_documents + dead {
            // Replaced versions of a document must not make its wording
            // look common: count the live holders of a short list.
            let mut live = 0;
            for_each_live(s, &parts, |_| live += 1)?;
            df = live;
        }
        if df == 0 || df > common {
            continue;
        }
        let rare = df <= options.rare_documents;
        if rare || exhaustive {
            for_each_live(s, &parts, |d| {
                let e = shared.entry(d).or_insert((0, 0));
                e.0 += 1;
                e.1 += u32::from(rare);
            })?;
        } else {
            frequent.push(parts);
        }
    }
    let min_shared = options.min_shared.min(query.len() as u32).max(1);
    let mut found = Vec::new();
    for (doc, (mut n, rare)) in shared {
        if Some(doc) == exclude {
            continue;
        }
        let smaller = (query.len() as u32).min(s.terms(doc)?).max(1);
        let distinctive = f64::from(rare) / f64::from(smaller);
        if distinctive < options.min_distinctive {
            continue;
        }
        for parts in &frequent {
            n += u32::from(holds(parts, doc)?);
        }
        let c = Candidate {
            doc,
            shared: n,
            rare,
            containment: f64::from(n) / query.len() as f64,
            distinctive,
            word_share: 0.0,
        };
        if n >= min_shared && c.containment.max(c.distinctive) >= options.min_containment {
            found.push(c);
        }
    }
    found.sort_by(|a, b| {
        (b.rare, b.shared)
            .cmp(&(a.rare, a.shared))
            .then(a.doc.cmp(&b.doc))
    });
    found.truncate(options.max_candidates);
    Ok(found)
}

/// The documents holding at least [`RetrievalOptions::min_word_share`] of
/// the query's words, weighted: `query` lists the query's distinct content
/// words (stem hashes, see [`word_keys`](crate::archive::index::word_keys))
/// with their weights. Words held by more than
/// [`RetrievalOptions::max_document_share`] of the documents (and more
/// than 64) are not looked up: they tell no article from another. Best
/// first (highest share, then first indexed), at most `max_candidates`;
/// `exclude` is never returned. Empty for an index without words.
pub(crate) fn word_candidates<S: Searchable + ?Sized>(
    s: &S,
    query: &[(u64, f64)],
    options: &RetrievalOptions,
    exclude: Option<u32>,
) -> Result<Vec<(u32, f64)>> {
    let total: f64 = query.iter().map(|&(_, w)| w).sum();
    if !s.params().words || total <= 0.0 {
        return Ok(Vec::new());
    }
    let common = common_limit(s.live_docs(), options);
    let mut looked = Vec::new();
    for &(word, weight) in query {
        let parts = s.lookup(List::Words, word)?;
        let df: usize = parts.iter().map(|p| p.1.len()).sum();
        if df > 0 && df <= common {
            looked.push((df, weight, parts));
        }
    }
    // Rarest in the archive first: the words that propose documents.
    looked.sort_by_key(|l| l.0);
    let need = options.min_word_share * total;
    // A margin for rounding: proposing too many is safe, too few is not.
    let slack = 1e-9 * total;
    let mut rest: f64 = 0.0;
    let mut split = looked.len();
    while split > 0 && rest + looked[split - 1].1 < need - slack {
        rest += looked[split - 1].1;
        split -= 1;
    }
    let mut held: DocTally<f64> = DocTally::default();
    for (_, weight, parts) in &looked[..split] {
        for_each_live(s, parts, |d| *held.entry(d).or_insert(0.0) += weight)?;
    }
    for (df, weight, parts) in &looked[split..] {
        held.retain(|_, h| *h + rest >= need - slack);
        if held.is_empty() {
            break;
        }
        if held.len() * 16 > *df {
            for_each_live(s, parts, |d| {
                if let Some(h) = held.get_mut(&d) {
                    *h += weight;
                }
            })?;
        } else {
            for (&d, h) in held.iter_mut() {
                if holds(parts, d)? {
                    *h += weight;
                }
            }
        }
        rest -= weight;
    }
    let mut found: Vec<(u32, f64)> = held
        .into_iter()
        .map(|(doc, w)| (doc, w / total))
        .filter(|&(doc, share)| share >= options.min_word_share && Some(doc) != exclude)
        .collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    found.truncate(options.max_candidates);
    Ok(found)
}

impl Index {
    /// The documents worth verifying for a query's kept hashes
    /// ([`IndexParams::keep`]), best first ([`RetrievalOptions`]);
    /// `exclude` is never returned.
    ///
    /// ```
    /// use lineage::archive::index::{entry, Index, IndexParams};
    /// use lineage::archive::retrieve::RetrievalOptions;
    /// use lineage::source::Document;
    ///
    /// let params = IndexParams::default();
    /// let mut index = Index::new(params)?;
    /// index.add_documents(&[Document::new("original", include_str!("../../samples/original.txt"))]);
    /// let query = entry(&Document::new("q", include_str!("../../samples/rewrite.txt")), &params);
    /// let found = index.candidates(&query.hashes, &RetrievalOptions::default(), None);
    /// assert_eq!(found[0].doc, 0);
    /// # Ok::<(), lineage::Error>(())
    /// ```
    pub fn candidates(
        &self,
        query: &[u64],
        options: &RetrievalOptions,
        exclude: Option<u32>,
    ) -> Vec<Candidate> {
        // An index in memory has no file to be damaged: lookups never fail.
        candidates(self, query, options, exclude).unwrap_or_default()
    }
}

impl crate::archive::disk::Archive {
    /// The documents worth verifying for a query's kept hashes
    /// ([`IndexParams::keep`]), best first; an error names a damaged
    /// segment.
    pub fn candidates(
        &self,
        query: &[u64],
        options: &RetrievalOptions,
        exclude: Option<u32>,
    ) -> Result<Vec<Candidate>> {
        candidates(self, query, options, exclude)
    }
}
