//! The archive index: one file holding, per archived document, its id,
//! metadata, the fingerprint that retrieval needs and (optionally) its text
//! compressed, so that `lineage check` can verify and align against an
//! archive without its original files.
//!
//! # Retrieval
//!
//! Whole-document Jaccard cannot find a summary in its source (a summary
//! wholly contained in a source four times longer has Jaccard at most 0.25),
//! so the index estimates one-way containment instead, the way sourmash does
//! with FracMinHash: each document keeps every content shingle (stemmed
//! content-word 2-gram, see [`shingle`](crate::text::shingle)) whose hash falls
//! below `u64::MAX / scale`, and an inverted list maps each kept hash to the
//! documents holding it. A query counts, per archived document, the kept
//! hashes they share; `shared / kept(query)` estimates how much of the query
//! occurs in that document, whatever their lengths. Content shingles survive
//! rewording far better than 5-word shingles, so rewrites and summaries are
//! found, not only copies. The best candidates are then verified by the
//! exact score and alignment ([`check`](crate::archive::check)); nothing is reported
//! on the estimate alone.
//!
//! A one-sentence summary shares few content 2-grams with its article, but
//! most of its rare words. An index built with words (flag bit 1, the
//! default) also keeps every document's distinct stemmed content words in a
//! second inverted list, and [`Index::word_candidates`] ranks archived
//! documents by the share of the query's words they hold, each word
//! weighted by its rarity in English ([`crate::compare::rarity`]) as condensation
//! weighs it ([`crate::compare::condense`]).
//!
//! # File format
//!
//! All integers little-endian:
//!
//! ```text
//! header    magic    8 bytes  89 'L' 'N' 'G' 'I' 'X' '\r' '\n'
//!           version  u16      2 with words, 1 without (as before words)
//!           flags    u16      bit 0: records carry their text;
//!                             bit 1: a words section follows the postings
//!           raw      u32      words per raw shingle
//!           content  u32      content words per content shingle
//!           seed     u64      seed of the shingle hashes
//!           scale    u32      keep a hash h when h <= u64::MAX / scale
//!           reserved u32      zero
//! record    tag      u8       1
//!           id, title, url, date: u32 length + UTF-8 (0xFFFF_FFFF: none)
//!           bytes    u64      length of the text
//!           tokens   u64      words
//!           hash     u64      xxh3-64 of the text (re-adding it is a no-op)
//!           terms    u32      kept content-shingle hashes
//!           text     u32 length + LZ4 block (0xFFFF_FFFF: not stored)
//! postings  tag      u8       2
//!           count    u64
//!           count x u64       (hash << 32 | document), sorted
//! words     tag      u8       3 (with flag bit 1)
//!           count    u64
//!           count x u64       (stem hash << 32 | document), sorted
//! end       tag      u8       0
//!           records  u64
//!           checksum u64      xxh3-64 of every byte before it
//! ```
//!
//! A file is read whole and its checksum verified before anything in it is
//! used: a truncated, bit-flipped or foreign file is an [`Error::BadIndex`]
//! and is never modified. Writers ([`add_to_file`]) take an exclusive lock
//! on `INDEX.lock`, read the current file, write the new one to a temporary
//! file, fsync it and rename it over the old one ([`atomic`](crate::store::atomic)),
//! so two concurrent writers serialise and a crash leaves the old or the new
//! index, never a mix.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::source::{Document, Metadata};
use crate::text::shingle::{content_shingles, content_term, ShingleParams};
use crate::text::tokenize::{words, Tokenized};

/// First bytes of every index file.
pub(crate) const MAGIC: [u8; 8] = [0x89, b'L', b'N', b'G', b'I', b'X', b'\r', b'\n'];

/// The format version this library writes for an index with words; one
/// without words is written as version 1, which lineage before word lists
/// reads too. Both are read.
pub(crate) const VERSION: u16 = 2;

const HEADER_LEN: usize = 40;
const FLAG_TEXT: u16 = 1;
const FLAG_WORDS: u16 = 2;
const TAG_END: u8 = 0;
const TAG_RECORD: u8 = 1;
const TAG_POSTINGS: u8 = 2;
const TAG_WORDS: u8 = 3;
const NONE: u32 = u32::MAX;

/// What every document of an index was fingerprinted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexParams {
    /// Shingle sizes and seed (the content view is what is indexed; the
    /// raw size and seed are what `check` scores with).
    pub shingle: ShingleParams,
    /// Keep one content-shingle hash in `scale` (1 keeps all).
    pub scale: u32,
    /// Whether documents carry their text, compressed.
    pub store_text: bool,
    /// Whether documents' distinct content words are indexed too, for
    /// retrieving summaries ([`Index::word_candidates`]). Indexes written
    /// before this existed have none.
    pub words: bool,
}

impl Default for IndexParams {
    fn default() -> Self {
        IndexParams {
            shingle: ShingleParams::default(),
            scale: 1,
            store_text: true,
            words: true,
        }
    }
}

impl IndexParams {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<()> {
        self.shingle.validate()?;
        if self.scale == 0 {
            return Err(Error::InvalidParam("scale must be at least 1".into()));
        }
        Ok(())
    }

    /// The kept hashes of a sorted set of content-shingle hashes: those at
    /// or below `u64::MAX / scale`, truncated to 32 bits, sorted, distinct.
    pub fn keep(&self, content_set: &[u64]) -> Vec<u32> {
        let max = u64::MAX / u64::from(self.scale.max(1));
        let mut kept: Vec<u32> = content_set
            .iter()
            .filter(|&&h| h <= max)
            .map(|&h| h as u32)
            .collect();
        kept.sort_unstable();
        kept.dedup();
        kept
    }
}

/// One archived document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedDoc {
    /// Its id (path, JSON Lines id or feed link).
    pub(crate) id: String,
    /// Title, link and publish date, where the input had them.
    pub(crate) meta: Metadata,
    /// Length of the text in bytes.
    pub(crate) bytes: u64,
    /// Words.
    pub(crate) tokens: u64,
    /// xxh3-64 of the text.
    pub(crate) text_hash: u64,
    /// Kept content-shingle hashes (its entries in the inverted list).
    pub(crate) terms: u32,
    /// The text as an LZ4 block with its length prepended, when stored.
    text: Option<Vec<u8>>,
}

impl IndexedDoc {
    /// Whether the text is stored.
    pub(crate) fn has_text(&self) -> bool {
        self.text.is_some()
    }

    /// Bytes the stored text takes, compressed.
    pub(crate) fn stored_text_bytes(&self) -> usize {
        self.text.as_ref().map_or(0, Vec::len)
    }

    /// The stored text as a [`Document`], or `None` when the index was
    /// built without texts. `path` names the index in errors.
    pub(crate) fn document(&self, path: &Path) -> Result<Option<Document>> {
        let Some(block) = &self.text else {
            return Ok(None);
        };
        let bad = |message: String| Error::BadIndex {
            path: path.to_path_buf(),
            message,
        };
        let bytes = lz4_flex::decompress_size_prepended(block)
            .map_err(|e| bad(format!("text of {} does not decompress: {e}", self.id)))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| bad(format!("text of {} is not UTF-8", self.id)))?;
        let mut doc = Document::new(self.id.clone(), text);
        doc.meta = self.meta.clone();
        Ok(Some(doc))
    }
}

/// A document fingerprinted for the index, ready to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The record.
    pub(crate) doc: IndexedDoc,
    /// Its kept hashes.
    pub hashes: Vec<u32>,
    /// Its distinct stemmed content words (stem hashes truncated to 32
    /// bits, sorted), when the index keeps words.
    pub(crate) words: Vec<u32>,
}

/// The distinct content words of a document as the index keeps them: stem
/// hashes ([`content_term`]) truncated to 32 bits, sorted, distinct.
pub(crate) fn word_keys(terms: &[u64]) -> Vec<u32> {
    let mut words: Vec<u32> = terms.iter().map(|&t| t as u32).collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Fingerprints one document for the index: tokens, content shingles, the
/// kept hashes and (if the index stores texts) the compressed text.
pub fn entry(doc: &Document, params: &IndexParams) -> Entry {
    let (normalized, tokens) = words(&doc.text);
    let tokenized = Tokenized {
        normalized,
        tokens,
        sentences: Vec::new(),
    };
    let content = content_shingles(&tokenized, &params.shingle);
    let terms: Vec<u64> = if params.words {
        content
            .units
            .iter()
            .filter_map(|&u| content_term(tokenized.token_text(u as usize)))
            .collect()
    } else {
        Vec::new()
    };
    entry_of(doc, tokenized.tokens.len(), &content.set(), &terms, params)
}

/// The entry of a document already shingled: its word count, sorted
/// distinct content-shingle hashes and content terms (a
/// [`Fingerprint`](crate::compare::Fingerprint) has all three), so a caller
/// that has them does not tokenise twice.
pub(crate) fn entry_of(
    doc: &Document,
    tokens: usize,
    content_set: &[u64],
    content_terms: &[u64],
    params: &IndexParams,
) -> Entry {
    let hashes = params.keep(content_set);
    Entry {
        doc: IndexedDoc {
            id: doc.id.clone(),
            meta: doc.meta.clone(),
            bytes: doc.text.len() as u64,
            tokens: tokens as u64,
            text_hash: xxh3_64(doc.text.as_bytes()),
            terms: hashes.len() as u32,
            text: params
                .store_text
                .then(|| lz4_flex::compress_prepend_size(doc.text.as_bytes())),
        },
        hashes,
        words: if params.words {
            word_keys(content_terms)
        } else {
            Vec::new()
        },
    }
}

/// How many candidates a query keeps, and which.
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
    /// Least distinctive share (see [`Candidate::distinctive`]) of a
    /// candidate.
    pub min_distinctive: f64,
    /// Least rarity-weighted share of the query's words a document must
    /// hold to be a candidate by words ([`Index::word_candidates`]); a
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

/// Hashes a document position for the per-query tallies of retrieval.
/// At 1M documents a query's words touch millions of postings, and
/// SipHash, the standard map's DoS-resistant default, took most of the
/// time; positions come from the index, not from an attacker. Fibonacci
/// hashing: odd-constant multiplication spreads consecutive positions.
#[derive(Default)]
struct DocHasher(u64);

impl std::hash::Hasher for DocHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Per-document tallies of one query.
type DocTally<V> = HashMap<u32, V, std::hash::BuildHasherDefault<DocHasher>>;

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
    /// when it was found by words ([`Index::word_candidates`]); 0 when not.
    pub(crate) word_share: f64,
}

/// What an `add` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AddSummary {
    /// New documents.
    pub added: usize,
    /// Documents whose id was already indexed with another text: replaced.
    pub updated: usize,
    /// Documents already indexed with the same text: nothing done.
    pub unchanged: usize,
    /// Documents in the index afterwards.
    pub total: usize,
}

/// An archive index in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    params: IndexParams,
    docs: Vec<IndexedDoc>,
    /// `(hash << 32) | document`, sorted.
    postings: Vec<u64>,
    /// `(stem hash << 32) | document`, sorted (empty without words).
    words: Vec<u64>,
    by_id: HashMap<String, u32>,
}

impl Index {
    /// An empty index.
    pub fn new(params: IndexParams) -> Result<Index> {
        params.validate()?;
        Ok(Index {
            params,
            docs: Vec::new(),
            postings: Vec::new(),
            words: Vec::new(),
            by_id: HashMap::new(),
        })
    }

    /// The parameters every document was fingerprinted with.
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// The documents, in the order they were first added.
    pub fn docs(&self) -> &[IndexedDoc] {
        &self.docs
    }

    /// Entries in the inverted list.
    pub fn postings(&self) -> usize {
        self.postings.len()
    }

    /// Fingerprints `docs` for the index (in parallel, [`entry`]) and adds
    /// them in order, as [`add`](Self::add) does.
    pub fn add_documents(&mut self, docs: &[Document]) -> AddSummary {
        let params = self.params;
        let entries = docs.par_iter().map(|d| entry(d, &params)).collect();
        self.add(entries)
    }

    /// Adds documents in order. A document whose id is indexed already is
    /// a no-op when its text is the same and replaces the old one (in its
    /// place) when not.
    pub fn add(&mut self, entries: Vec<Entry>) -> AddSummary {
        let mut summary = AddSummary::default();
        let mut replaced: Vec<u32> = Vec::new();
        let mut fresh: Vec<u64> = Vec::new();
        let mut fresh_words: Vec<u64> = Vec::new();
        for Entry { doc, hashes, words } in entries {
            let at = match self.by_id.get(&doc.id) {
                Some(&at) if self.docs[at as usize].text_hash == doc.text_hash => {
                    summary.unchanged += 1;
                    continue;
                }
                Some(&at) => {
                    summary.updated += 1;
                    replaced.push(at);
                    fresh.retain(|p| *p as u32 != at);
                    fresh_words.retain(|p| *p as u32 != at);
                    self.docs[at as usize] = doc;
                    at
                }
                None => {
                    summary.added += 1;
                    let at = self.docs.len() as u32;
                    self.by_id.insert(doc.id.clone(), at);
                    self.docs.push(doc);
                    at
                }
            };
            fresh.extend(hashes.iter().map(|&h| u64::from(h) << 32 | u64::from(at)));
            if self.params.words {
                fresh_words.extend(words.iter().map(|&w| u64::from(w) << 32 | u64::from(at)));
            }
        }
        if !replaced.is_empty() {
            replaced.sort_unstable();
            self.postings
                .retain(|p| replaced.binary_search(&(*p as u32)).is_err());
            self.words
                .retain(|p| replaced.binary_search(&(*p as u32)).is_err());
        }
        if !fresh.is_empty() {
            fresh.sort_unstable();
            self.postings = merge_sorted(&self.postings, &fresh);
        }
        if !fresh_words.is_empty() {
            fresh_words.sort_unstable();
            self.words = merge_sorted(&self.words, &fresh_words);
        }
        summary.total = self.docs.len();
        summary
    }

    /// The documents sharing at least `min_shared` of the query's kept
    /// hashes, an estimated containment (either way) of at least
    /// `min_containment` and a distinctive share of at least
    /// `min_distinctive`; best first (most rare hashes shared, then most
    /// hashes, then first indexed), at most `max_candidates`; `exclude` is
    /// never returned.
    pub fn candidates(
        &self,
        query: &[u32],
        options: &RetrievalOptions,
        exclude: Option<u32>,
    ) -> Vec<Candidate> {
        if query.is_empty() {
            return Vec::new();
        }
        let common = ((self.docs.len() as f64 * options.max_document_share) as usize).max(64);
        let mut shared: DocTally<(u32, u32)> = DocTally::default();
        for &h in query {
            let h = u64::from(h);
            let lo = self.postings.partition_point(|&p| p >> 32 < h);
            let hi = lo + self.postings[lo..].partition_point(|&p| p >> 32 <= h);
            if hi - lo > common {
                continue;
            }
            let rare = u32::from(hi - lo <= options.rare_documents);
            for &p in &self.postings[lo..hi] {
                let e = shared.entry(p as u32).or_insert((0, 0));
                e.0 += 1;
                e.1 += rare;
            }
        }
        let min_shared = options.min_shared.min(query.len() as u32).max(1);
        let mut found: Vec<Candidate> = shared
            .into_iter()
            .filter(|&(doc, (n, _))| n >= min_shared && Some(doc) != exclude)
            .map(|(doc, (n, rare))| {
                let smaller = (query.len() as u32)
                    .min(self.docs[doc as usize].terms)
                    .max(1);
                Candidate {
                    doc,
                    shared: n,
                    rare,
                    containment: f64::from(n) / query.len() as f64,
                    distinctive: f64::from(rare) / f64::from(smaller),
                    word_share: 0.0,
                }
            })
            .filter(|c| {
                c.containment.max(c.distinctive) >= options.min_containment
                    && c.distinctive >= options.min_distinctive
            })
            .collect();
        found.sort_by(|a, b| {
            (b.rare, b.shared)
                .cmp(&(a.rare, a.shared))
                .then(a.doc.cmp(&b.doc))
        });
        found.truncate(options.max_candidates);
        found
    }

    /// The documents holding at least [`RetrievalOptions::min_word_share`]
    /// of the query's words, weighted: `query` lists the query's distinct
    /// content words (stem hashes, see [`word_keys`]) with their weights.
    /// Words held by more than [`RetrievalOptions::max_document_share`] of
    /// the documents (and more than 64) are not looked up: they tell no
    /// article from another. Best first (highest share, then first
    /// indexed), at most `max_candidates`; `exclude` is never returned.
    /// Empty for an index without words.
    pub(crate) fn word_candidates(
        &self,
        query: &[(u32, f64)],
        options: &RetrievalOptions,
        exclude: Option<u32>,
    ) -> Vec<(u32, f64)> {
        let total: f64 = query.iter().map(|&(_, w)| w).sum();
        if self.words.is_empty() || total <= 0.0 {
            return Vec::new();
        }
        let common = ((self.docs.len() as f64 * options.max_document_share) as usize).max(64);
        let mut held: DocTally<f64> = DocTally::default();
        for &(word, weight) in query {
            let h = u64::from(word);
            let lo = self.words.partition_point(|&p| p >> 32 < h);
            let hi = lo + self.words[lo..].partition_point(|&p| p >> 32 <= h);
            if hi - lo > common {
                continue;
            }
            for &p in &self.words[lo..hi] {
                *held.entry(p as u32).or_insert(0.0) += weight;
            }
        }
        let mut found: Vec<(u32, f64)> = held
            .into_iter()
            .map(|(doc, w)| (doc, w / total))
            .filter(|&(doc, share)| share >= options.min_word_share && Some(doc) != exclude)
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(options.max_candidates);
        found
    }

    /// Reads and checks an index file.
    pub fn load(path: &Path) -> Result<Index> {
        let bytes = std::fs::read(path).map_err(|source| {
            if path.is_dir() {
                Error::IsDirectory {
                    path: path.to_path_buf(),
                }
            } else {
                Error::Read {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        decode(&bytes).map_err(|message| Error::BadIndex {
            path: path.to_path_buf(),
            message,
        })
    }

    /// The index as file bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let text_bytes: usize = self.docs.iter().map(IndexedDoc::stored_text_bytes).sum();
        let mut out = Vec::with_capacity(
            HEADER_LEN
                + 128 * self.docs.len()
                + text_bytes
                + 8 * (self.postings.len() + self.words.len())
                + 48,
        );
        out.extend_from_slice(&MAGIC);
        let version: u16 = if self.params.words { VERSION } else { 1 };
        out.extend_from_slice(&version.to_le_bytes());
        let flags = if self.params.store_text { FLAG_TEXT } else { 0 }
            | if self.params.words { FLAG_WORDS } else { 0 };
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&(self.params.shingle.raw_size as u32).to_le_bytes());
        out.extend_from_slice(&(self.params.shingle.content_size as u32).to_le_bytes());
        out.extend_from_slice(&self.params.shingle.seed.to_le_bytes());
        out.extend_from_slice(&self.params.scale.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        for doc in &self.docs {
            out.push(TAG_RECORD);
            put_str(&mut out, Some(&doc.id));
            put_str(&mut out, doc.meta.title.as_deref());
            put_str(&mut out, doc.meta.url.as_deref());
            put_str(&mut out, doc.meta.date.as_deref());
            out.extend_from_slice(&doc.bytes.to_le_bytes());
            out.extend_from_slice(&doc.tokens.to_le_bytes());
            out.extend_from_slice(&doc.text_hash.to_le_bytes());
            out.extend_from_slice(&doc.terms.to_le_bytes());
            put_bytes(&mut out, doc.text.as_deref());
        }
        put_list(&mut out, TAG_POSTINGS, &self.postings);
        if self.params.words {
            put_list(&mut out, TAG_WORDS, &self.words);
        }
        out.push(TAG_END);
        out.extend_from_slice(&(self.docs.len() as u64).to_le_bytes());
        let checksum = xxh3_64(&out);
        out.extend_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Figures for `lineage index stats`; `file_bytes` is the file's size.
    pub fn stats(&self, file_bytes: u64) -> IndexStats {
        let docs = self.docs.len();
        let stored: usize = self.docs.iter().map(IndexedDoc::stored_text_bytes).sum();
        let text: u64 = self.docs.iter().map(|d| d.bytes).sum();
        let mut dates: Vec<&str> = self
            .docs
            .iter()
            .filter_map(|d| d.meta.date.as_deref())
            .collect();
        dates.sort_unstable();
        let per_doc = |n: u64| {
            if docs == 0 {
                0.0
            } else {
                n as f64 / docs as f64
            }
        };
        let without_text = file_bytes.saturating_sub(stored as u64);
        IndexStats {
            documents: docs,
            with_text: self.docs.iter().filter(|d| d.has_text()).count(),
            text_bytes: text,
            stored_text_bytes: stored as u64,
            postings: self.postings.len(),
            word_postings: self.words.len(),
            file_bytes,
            fingerprint_bytes_per_doc: per_doc(8 * (self.postings.len() + self.words.len()) as u64),
            bytes_per_doc_without_text: per_doc(without_text),
            oldest: dates.first().map(|d| d.to_string()),
            newest: dates.last().map(|d| d.to_string()),
            params: self.params,
        }
    }
}

/// What `lineage index stats` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexStats {
    /// Documents.
    pub documents: usize,
    /// Documents whose text is stored.
    pub with_text: usize,
    /// Total length of the texts, uncompressed.
    pub text_bytes: u64,
    /// Bytes the stored texts take, compressed.
    pub stored_text_bytes: u64,
    /// Entries in the inverted list.
    pub postings: usize,
    /// Entries in the inverted list of words.
    pub word_postings: usize,
    /// Size of the file.
    pub file_bytes: u64,
    /// Inverted-list bytes per document (both lists): the retrieval
    /// fingerprint.
    pub fingerprint_bytes_per_doc: f64,
    /// File bytes per document, stored texts excluded: everything the
    /// index keeps per document besides the text (id, metadata, counts,
    /// fingerprint).
    pub bytes_per_doc_without_text: f64,
    /// Earliest publish date, where documents have one.
    pub oldest: Option<String>,
    /// Latest publish date.
    pub newest: Option<String>,
    /// Parameters.
    pub params: IndexParams,
}

/// Merges two sorted lists.
fn merge_sorted(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// A section of sorted `u64` entries: tag, count, entries.
fn put_list(out: &mut Vec<u8>, tag: u8, list: &[u64]) {
    out.push(tag);
    out.extend_from_slice(&(list.len() as u64).to_le_bytes());
    for p in list {
        out.extend_from_slice(&p.to_le_bytes());
    }
}

fn put_str(out: &mut Vec<u8>, s: Option<&str>) {
    put_bytes(out, s.map(str::as_bytes));
}

fn put_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        None => out.extend_from_slice(&NONE.to_le_bytes()),
    }
}

/// A bounds-checked reader over the file's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("record runs past the end at byte {}", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u8(&mut self) -> std::result::Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> std::result::Result<u32, String> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> std::result::Result<u64, String> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    fn bytes(&mut self) -> std::result::Result<Option<&'a [u8]>, String> {
        match self.u32()? {
            NONE => Ok(None),
            n => self.take(n as usize).map(Some),
        }
    }

    fn string(&mut self) -> std::result::Result<Option<String>, String> {
        let at = self.at;
        match self.bytes()? {
            None => Ok(None),
            Some(b) => std::str::from_utf8(b)
                .map(|s| Some(s.to_string()))
                .map_err(|_| format!("invalid UTF-8 in a string at byte {at}")),
        }
    }
}

/// Reads the header after the magic bytes.
fn header(c: &mut Cursor<'_>) -> std::result::Result<IndexParams, String> {
    let version = u16::from_le_bytes([c.u8()?, c.u8()?]);
    if !(1..=VERSION).contains(&version) {
        return Err(format!(
            "format version {version}, this lineage reads versions 1 to {VERSION}"
        ));
    }
    let flags = u16::from_le_bytes([c.u8()?, c.u8()?]);
    if (version == VERSION) != (flags & FLAG_WORDS != 0) {
        return Err(format!(
            "format version {version} with flags {flags:#06b}: word lists come with version {VERSION} only"
        ));
    }
    let raw_size = c.u32()? as usize;
    let content_size = c.u32()? as usize;
    let seed = c.u64()?;
    let scale = c.u32()?;
    c.u32()?;
    let params = IndexParams {
        shingle: ShingleParams {
            raw_size,
            content_size,
            seed,
        },
        scale,
        store_text: flags & FLAG_TEXT != 0,
        words: flags & FLAG_WORDS != 0,
    };
    Ok(params)
}

/// A count, then that many `(key << 32 | document)` entries, which must be
/// sorted and name documents below `docs`.
fn read_list(c: &mut Cursor<'_>, docs: usize, what: &str) -> std::result::Result<Vec<u64>, String> {
    let n = c.u64()? as usize;
    let raw = c.take(
        n.checked_mul(8)
            .ok_or_else(|| format!("impossible {what} length"))?,
    )?;
    let list: Vec<u64> = raw
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .collect();
    if list.windows(2).any(|w| w[0] > w[1]) || list.iter().any(|&p| p & 0xFFFF_FFFF >= docs as u64)
    {
        return Err(format!("{what} out of order or out of range"));
    }
    Ok(list)
}

fn decode(bytes: &[u8]) -> std::result::Result<Index, String> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err("not a lineage index (wrong magic bytes)".into());
    }
    if bytes.len() < HEADER_LEN + 17 {
        return Err(format!("truncated ({} bytes)", bytes.len()));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut expected = [0u8; 8];
    expected.copy_from_slice(sum);
    if xxh3_64(body) != u64::from_le_bytes(expected) {
        return Err("checksum mismatch: the file is truncated or damaged".into());
    }
    let mut c = Cursor {
        bytes: body,
        at: MAGIC.len(),
    };
    let params = header(&mut c)?;
    let mut index = Index::new(params).map_err(|e| e.to_string())?;
    let mut seen_words = false;
    let mut total_bytes: u64 = 0;
    loop {
        match c.u8()? {
            TAG_RECORD => {
                let id = c.string()?.ok_or("a record without an id")?;
                let meta = Metadata {
                    title: c.string()?,
                    url: c.string()?,
                    date: c.string()?,
                };
                let doc = IndexedDoc {
                    id,
                    meta,
                    bytes: c.u64()?,
                    tokens: c.u64()?,
                    text_hash: c.u64()?,
                    terms: c.u32()?,
                    text: c.bytes()?.map(<[u8]>::to_vec),
                };
                // Lengths a real archive cannot reach are damage (summed in
                // `stats`, they would overflow).
                total_bytes = total_bytes
                    .checked_add(doc.bytes)
                    .and_then(|t| t.checked_add(doc.tokens))
                    .ok_or("document lengths beyond any real archive")?;
                let at = index.docs.len() as u32;
                if index.by_id.insert(doc.id.clone(), at).is_some() {
                    return Err(format!("id {} appears twice", doc.id));
                }
                index.docs.push(doc);
            }
            TAG_POSTINGS => {
                index.postings = read_list(&mut c, index.docs.len(), "inverted list")?;
            }
            TAG_WORDS if index.params.words && !seen_words => {
                index.words = read_list(&mut c, index.docs.len(), "word list")?;
                seen_words = true;
            }
            TAG_END => {
                let records = c.u64()?;
                if records != index.docs.len() as u64 || c.at != body.len() {
                    return Err("record count or length does not match".into());
                }
                if seen_words != index.params.words {
                    return Err("the word list the header announces is missing".into());
                }
                return Ok(index);
            }
            tag => return Err(format!("unknown section {tag} at byte {}", c.at - 1)),
        }
    }
}

/// The parameters in the header of the index at `path`, or `None` when
/// there is no file there. Only the header is read: [`Index::load`] checks
/// the rest.
pub fn read_params(path: &Path) -> Result<Option<IndexParams>> {
    use std::io::Read;
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut head = Vec::with_capacity(HEADER_LEN);
    file.by_ref()
        .take(HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let bad = |message: String| Error::BadIndex {
        path: path.to_path_buf(),
        message,
    };
    if head.len() < MAGIC.len() || head[..MAGIC.len()] != MAGIC {
        return Err(bad("not a lineage index (wrong magic bytes)".into()));
    }
    if head.len() < HEADER_LEN {
        return Err(bad(format!("truncated ({} bytes)", head.len())));
    }
    let mut c = Cursor {
        bytes: &head,
        at: MAGIC.len(),
    };
    let params = header(&mut c).map_err(bad)?;
    // Only the header was read: impossible parameters there are damage.
    params
        .validate()
        .map_err(|e| bad(format!("damaged header ({e})")))?;
    Ok(Some(params))
}

/// The lock file writers of `path` take: `INDEX.lock` beside it.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Adds `entries` to the index file at `path`, creating it with `params`
/// when it does not exist. Holds the writers' lock from reading the old
/// file to renaming the new one, so concurrent adds serialise and none is
/// lost; writes nothing when nothing changed. An existing file that is not
/// a sound index is refused and left as it is, as is one whose
/// parameters differ from `params` when `require_params` is set.
pub fn add_to_file(
    path: &Path,
    params: IndexParams,
    require_params: bool,
    entries: Vec<Entry>,
) -> Result<AddSummary> {
    // Through a link, the file it names is the index: its lock, its
    // temporary files and its replacement.
    let path = &crate::store::atomic::target(path);
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(path))
        .map_err(write_err)?;
    lock.lock().map_err(write_err)?;
    crate::store::atomic::remove_stale_temps(path);
    let existed = path.exists();
    let mut index = if existed {
        let index = Index::load(path)?;
        if require_params && index.params != params {
            return Err(Error::ParamsMismatch {
                left: format!("{:?}", index.params),
                right: format!("{params:?}"),
            });
        }
        index
    } else {
        Index::new(params)?
    };
    let summary = index.add(entries);
    if summary.added + summary.updated > 0 || !existed {
        crate::store::atomic::write_atomic(path, &index.encode()).map_err(write_err)?;
    }
    drop(lock);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, text: &str) -> Document {
        Document::new(id, text)
    }

    const STORY: &str = "The central bank raised interest rates by half a point on Tuesday, \
        citing persistent inflation in housing and services. Analysts had expected a smaller \
        move. The governor said further increases remained possible if wage growth stayed strong.";
    const SUMMARY: &str = "Citing persistent inflation in housing and services, the central bank \
        raised interest rates by half a point; the governor said further increases remained possible.";
    const OTHER: &str = "The football club confirmed the signing of a young striker from Brazil \
        on a five year contract, with the fee undisclosed but reported to be a club record.";

    fn index() -> Index {
        let params = IndexParams::default();
        let mut index = Index::new(params).unwrap();
        let entries = vec![
            entry(&doc("story", STORY), &params),
            entry(&doc("other", OTHER), &params),
        ];
        index.add(entries);
        index
    }

    #[test]
    fn summary_retrieves_its_source_first() {
        let index = index();
        let q = entry(&doc("q", SUMMARY), index.params());
        let found = index.candidates(&q.hashes, &RetrievalOptions::default(), None);
        assert_eq!(found.first().map(|c| c.doc), Some(0));
        assert!(found[0].containment > 0.3, "{found:?}");
        assert!(found.iter().all(|c| c.doc != 1));
        assert!(index
            .candidates(&q.hashes, &RetrievalOptions::default(), Some(0))
            .is_empty());
    }

    #[test]
    fn words_find_a_summary_and_survive_a_round_trip() {
        let index = index();
        assert!(index.params().words && !index.words.is_empty());
        let q = entry(&doc("q", SUMMARY), index.params());
        let query: Vec<(u32, f64)> = q.words.iter().map(|&w| (w, 1.0)).collect();
        let found = index.word_candidates(&query, &RetrievalOptions::default(), None);
        assert_eq!(found.first().map(|c| c.0), Some(0), "{found:?}");
        assert!(found.iter().all(|c| c.0 != 1));
        let back = decode(&index.encode()).unwrap();
        assert_eq!(back.words, index.words);
        // An index without words keeps none and finds nothing by words.
        let mut plain = Index::new(IndexParams {
            words: false,
            ..IndexParams::default()
        })
        .unwrap();
        plain.add(vec![entry(&doc("a", STORY), plain.params())]);
        assert!(plain.words.is_empty());
        let back = decode(&plain.encode()).unwrap();
        assert!(!back.params().words);
        assert!(back
            .word_candidates(&query, &RetrievalOptions::default(), None)
            .is_empty());
    }

    #[test]
    fn the_word_list_matches_the_header() {
        // Rewrites the version and flags of an encoded index and its checksum.
        let relabel = |bytes: &[u8], version: u16, flags: u16| -> Vec<u8> {
            let mut b = bytes[..bytes.len() - 8].to_vec();
            b[8..10].copy_from_slice(&version.to_le_bytes());
            b[10..12].copy_from_slice(&flags.to_le_bytes());
            let sum = xxh3_64(&b);
            b.extend_from_slice(&sum.to_le_bytes());
            b
        };
        let mut plain = Index::new(IndexParams {
            words: false,
            ..IndexParams::default()
        })
        .unwrap();
        plain.add(vec![entry(&doc("a", STORY), plain.params())]);
        let bytes = plain.encode();
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 1);
        // Announced but missing.
        let e = decode(&relabel(&bytes, VERSION, FLAG_TEXT | FLAG_WORDS)).unwrap_err();
        assert!(e.contains("missing"), "{e}");
        // A word list under version 1.
        let words = index().encode();
        assert_eq!(u16::from_le_bytes([words[8], words[9]]), VERSION);
        let e = decode(&relabel(&words, 1, FLAG_TEXT | FLAG_WORDS)).unwrap_err();
        assert!(e.contains("version"), "{e}");
        // A word list the header does not announce.
        let e = decode(&relabel(&words, 1, FLAG_TEXT)).unwrap_err();
        assert!(e.contains("unknown section 3"), "{e}");
    }

    #[test]
    fn round_trip_and_text() {
        let index = index();
        let bytes = index.encode();
        let back = decode(&bytes).unwrap();
        assert_eq!(back, index);
        let text = back.docs()[0].document(Path::new("x")).unwrap().unwrap();
        assert_eq!(text.text, STORY);
    }

    #[test]
    fn readding_is_a_noop_and_changed_text_replaces() {
        let mut index = index();
        let params = *index.params();
        let before = index.clone();
        let s = index.add(vec![entry(&doc("story", STORY), &params)]);
        assert_eq!((s.added, s.updated, s.unchanged, s.total), (0, 0, 1, 2));
        assert_eq!(index, before);
        let s = index.add(vec![entry(&doc("story", OTHER), &params)]);
        assert_eq!((s.added, s.updated), (0, 1));
        let q = entry(&doc("q", SUMMARY), &params);
        assert!(index
            .candidates(&q.hashes, &RetrievalOptions::default(), None)
            .is_empty());
    }

    #[test]
    fn every_damage_is_refused() {
        let bytes = index().encode();
        for cut in [0, 7, 20, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for at in (0..bytes.len()).step_by(7) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            assert!(decode(&damaged).is_err(), "flip at {at}");
        }
        assert!(decode(b"plain text, not an index at all, long enough to pass").is_err());
    }

    #[test]
    fn add_to_file_creates_then_extends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.idx");
        let params = IndexParams::default();
        let s = add_to_file(&path, params, false, vec![entry(&doc("a", STORY), &params)]).unwrap();
        assert_eq!(s.total, 1);
        let s = add_to_file(&path, params, false, vec![entry(&doc("b", OTHER), &params)]).unwrap();
        assert_eq!((s.added, s.total), (1, 2));
        let other = IndexParams { scale: 4, ..params };
        assert!(add_to_file(&path, other, true, Vec::new()).is_err());
        assert_eq!(Index::load(&path).unwrap().docs().len(), 2);
    }
}
