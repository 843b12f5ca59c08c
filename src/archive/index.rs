//! What the archive keeps per document, and an index of documents in
//! memory: the unit a segment is written from (`segment`)
//! and what `check --within` searches.
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
//! most of its rare words. An index built with words (the default) also
//! keeps every document's distinct stemmed content words in a second
//! inverted list, and `retrieve::word_candidates`
//! ranks archived documents by the share of the query's words they hold,
//! each word weighted by its rarity in English ([`crate::compare::rarity`])
//! as condensation weighs it (`crate::compare::condense`).
//!
//! Keys are full 64-bit hashes: at 100M documents, 32-bit ones would
//! collide for a few percent of a query's shingles.
//!
//! # The single-file format of lineage 0.1
//!
//! Archives were one file before they were segmented
//! ([`disk`](super::disk)); `read_legacy` reads one (magic
//! `89 'L' 'N' 'G' 'I' 'X' '\r' '\n'`, versions 1 and 2, a checksum over
//! the whole file) so that the next `index add` converts it. Its 32-bit
//! inverted lists are not read: the documents are fingerprinted again from
//! their stored texts.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::source::{Document, Metadata};
use crate::text::shingle::{content_shingles, content_term, ShingleParams};
use crate::text::tokenize::{words, Tokenized};

/// First bytes of a single-file index of lineage 0.1.
pub(crate) const LEGACY_MAGIC: [u8; 8] = [0x89, b'L', b'N', b'G', b'I', b'X', b'\r', b'\n'];

/// The newest single-file format version (2: with words; 1: without).
const LEGACY_VERSION: u16 = 2;

const LEGACY_HEADER_LEN: usize = 40;
const TAG_END: u8 = 0;
const TAG_RECORD: u8 = 1;
const TAG_POSTINGS: u8 = 2;
const TAG_WORDS: u8 = 3;
const NONE: u32 = u32::MAX;

/// What every document of an index was fingerprinted with.
///
/// # Examples
///
/// An index that keeps one content shingle in ten and no texts:
///
/// ```
/// use lineage::{Index, IndexParams};
///
/// let params = IndexParams { scale: 10, store_text: false, ..IndexParams::default() };
/// let index = Index::new(params)?;
/// assert_eq!(index.params().scale, 10);
/// assert!(Index::new(IndexParams { scale: 0, ..params }).is_err());
/// # Ok::<(), lineage::Error>(())
/// ```
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
    /// retrieving summaries. Indexes written before this existed have
    /// none.
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
    /// or below `u64::MAX / scale`, sorted, distinct.
    pub fn keep(&self, content_set: &[u64]) -> Vec<u64> {
        let max = u64::MAX / u64::from(self.scale.max(1));
        let mut kept: Vec<u64> = content_set.iter().copied().filter(|&h| h <= max).collect();
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
    /// A record from its fields (as a segment stores them).
    pub(crate) fn from_parts(
        id: String,
        meta: Metadata,
        bytes: u64,
        tokens: u64,
        text_hash: u64,
        terms: u32,
        text: Option<Vec<u8>>,
    ) -> IndexedDoc {
        IndexedDoc {
            id,
            meta,
            bytes,
            tokens,
            text_hash,
            terms,
            text,
        }
    }

    /// The document's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The stored LZ4 block, when the text is stored.
    pub(crate) fn text_block(&self) -> Option<&[u8]> {
        self.text.as_deref()
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
        // The block's own size first: a damaged one would allocate up to
        // 4 GB before failing.
        let size = block
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if size.map(u64::from) != Some(self.bytes) {
            return Err(bad(format!(
                "text of {} does not match its length",
                self.id
            )));
        }
        let bytes = lz4_flex::decompress_size_prepended(block)
            .map_err(|e| bad(format!("text of {} does not decompress: {e}", self.id)))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| bad(format!("text of {} is not UTF-8", self.id)))?;
        if xxh3_64(text.as_bytes()) != self.text_hash {
            return Err(bad(format!("text of {} does not match its hash", self.id)));
        }
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
    /// Its kept hashes, sorted, distinct.
    pub hashes: Vec<u64>,
    /// Its distinct stemmed content words (stem hashes, sorted), when the
    /// index keeps words.
    pub(crate) words: Vec<u64>,
}

impl Entry {
    /// The document's id.
    pub fn id(&self) -> &str {
        &self.doc.id
    }

    /// xxh3-64 of the document's text.
    pub(crate) fn text_hash(&self) -> u64 {
        self.doc.text_hash
    }
}

/// The distinct content words of a document as the index keeps them: stem
/// hashes ([`content_term`]), sorted, distinct.
pub(crate) fn word_keys(terms: &[u64]) -> Vec<u64> {
    let mut words = terms.to_vec();
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

/// An index in memory: the documents of one batch, written out as a
/// segment, or of one `check --within` run.
///
/// # Examples
///
/// Adding a document again with the same text changes nothing:
///
/// ```
/// use lineage::{Document, Index, IndexParams};
///
/// let mut index = Index::new(IndexParams::default())?;
/// let doc = Document::new("a.txt", "the quick brown fox jumps over the lazy dog");
/// assert_eq!(index.add_documents(&[doc.clone()]).added, 1);
/// assert_eq!(index.add_documents(&[doc]).unchanged, 1);
/// assert_eq!(index.docs()[0].id(), "a.txt");
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    params: IndexParams,
    docs: Vec<IndexedDoc>,
    /// `(hash, document)`, sorted.
    postings: Vec<(u64, u32)>,
    /// `(stem hash, document)`, sorted (empty without words).
    words: Vec<(u64, u32)>,
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

    /// The inverted list: `(hash, document)`, sorted.
    pub(crate) fn posting_pairs(&self) -> &[(u64, u32)] {
        &self.postings
    }

    /// The inverted list of words: `(stem hash, document)`, sorted.
    pub(crate) fn word_pairs(&self) -> &[(u64, u32)] {
        &self.words
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
        // Sized once: growing vectors of millions of pairs was a
        // twentieth of building an archive.
        let mut fresh: Vec<(u64, u32)> =
            Vec::with_capacity(entries.iter().map(|e| e.hashes.len()).sum());
        let mut fresh_words: Vec<(u64, u32)> =
            Vec::with_capacity(entries.iter().map(|e| e.words.len()).sum());
        for Entry { doc, hashes, words } in entries {
            let at = match self.by_id.get(&doc.id) {
                Some(&at) if self.docs[at as usize].text_hash == doc.text_hash => {
                    summary.unchanged += 1;
                    continue;
                }
                Some(&at) => {
                    summary.updated += 1;
                    replaced.push(at);
                    fresh.retain(|p| p.1 != at);
                    fresh_words.retain(|p| p.1 != at);
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
            fresh.extend(hashes.iter().map(|&h| (h, at)));
            if self.params.words {
                fresh_words.extend(words.iter().map(|&w| (w, at)));
            }
        }
        if !replaced.is_empty() {
            replaced.sort_unstable();
            self.postings
                .retain(|p| replaced.binary_search(&p.1).is_err());
            self.words.retain(|p| replaced.binary_search(&p.1).is_err());
        }
        if !fresh.is_empty() {
            let fresh = sort_pairs(fresh);
            self.postings = if self.postings.is_empty() {
                fresh
            } else {
                merge_sorted(&self.postings, &fresh)
            };
        }
        if !fresh_words.is_empty() {
            let fresh = sort_pairs(fresh_words);
            self.words = if self.words.is_empty() {
                fresh
            } else {
                merge_sorted(&self.words, &fresh)
            };
        }
        summary.total = self.docs.len();
        summary
    }

    /// The position of the document whose id is `id`.
    pub(crate) fn position(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }
}

/// Sorts `(key, document)` pairs. Keys are uniform 64-bit hashes, so one
/// counting pass on their top bits spreads the pairs over buckets of about
/// 256, each then sorted on its own (in parallel): on a batch of 35,000
/// news articles (4.5M pairs) several times faster than a comparison sort
/// of 16-byte pairs, which took a fifth of building an archive.
fn sort_pairs(pairs: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    let n = pairs.len();
    if n < 4096 {
        let mut pairs = pairs;
        pairs.sort_unstable();
        return pairs;
    }
    let bits = (n / 256).next_power_of_two().trailing_zeros().clamp(4, 24);
    let shift = 64 - bits;
    let mut starts = vec![0usize; (1usize << bits) + 1];
    for p in &pairs {
        starts[(p.0 >> shift) as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut at = starts.clone();
    let mut out = vec![(0u64, 0u32); n];
    for p in pairs {
        let b = (p.0 >> shift) as usize;
        out[at[b]] = p;
        at[b] += 1;
    }
    // Split `out` at the bucket boundaries and sort each bucket.
    let mut buckets: Vec<&mut [(u64, u32)]> = Vec::with_capacity(starts.len() - 1);
    let mut rest: &mut [(u64, u32)] = &mut out;
    for w in starts.windows(2) {
        let (bucket, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
        buckets.push(bucket);
        rest = tail;
    }
    buckets
        .par_iter_mut()
        .with_min_len(64)
        .for_each(|b| b.sort_unstable());
    out
}

/// Merges two sorted lists.
fn merge_sorted(a: &[(u64, u32)], b: &[(u64, u32)]) -> Vec<(u64, u32)> {
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

/// A bounds-checked reader over a legacy file's bytes.
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

/// Reads the parameters of a legacy header (after the magic bytes).
pub(crate) fn legacy_header(bytes: &[u8]) -> std::result::Result<IndexParams, String> {
    if bytes.len() < LEGACY_HEADER_LEN {
        return Err(format!("truncated ({} bytes)", bytes.len()));
    }
    let (version, params) = crate::archive::segment::get_params(bytes);
    if !(1..=LEGACY_VERSION).contains(&version) {
        return Err(format!(
            "format version {version}, this lineage reads versions 1 to {LEGACY_VERSION}"
        ));
    }
    if (version == LEGACY_VERSION) != params.words {
        return Err(format!(
            "format version {version}: word lists come with version {LEGACY_VERSION} only"
        ));
    }
    Ok(params)
}

/// A count, then that many 8-byte entries: skipped (the 32-bit lists of
/// the single-file format are rebuilt from the texts).
fn skip_list(c: &mut Cursor<'_>, what: &str) -> std::result::Result<(), String> {
    let n = c.u64()? as usize;
    c.take(
        n.checked_mul(8)
            .ok_or_else(|| format!("impossible {what} length"))?,
    )?;
    Ok(())
}

/// The parameters and records of a single-file index of lineage 0.1,
/// checked against its checksum.
pub(crate) fn decode_legacy(
    bytes: &[u8],
) -> std::result::Result<(IndexParams, Vec<IndexedDoc>), String> {
    if bytes.len() < LEGACY_MAGIC.len() || bytes[..LEGACY_MAGIC.len()] != LEGACY_MAGIC {
        return Err("not a lineage index (wrong magic bytes)".into());
    }
    if bytes.len() < LEGACY_HEADER_LEN + 17 {
        return Err(format!("truncated ({} bytes)", bytes.len()));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut expected = [0u8; 8];
    expected.copy_from_slice(sum);
    if xxh3_64(body) != u64::from_le_bytes(expected) {
        return Err("checksum mismatch: the file is truncated or damaged".into());
    }
    let params = legacy_header(body)?;
    params.validate().map_err(|e| e.to_string())?;
    // Records follow the 36 bytes of magic, version, flags and parameters.
    let mut c = Cursor {
        bytes: body,
        at: 36,
    };
    let mut docs = Vec::new();
    let mut seen_words = false;
    loop {
        match c.u8()? {
            TAG_RECORD => {
                let id = c.string()?.ok_or("a record without an id")?;
                let meta = Metadata {
                    title: c.string()?,
                    url: c.string()?,
                    date: c.string()?,
                };
                docs.push(IndexedDoc {
                    id,
                    meta,
                    bytes: c.u64()?,
                    tokens: c.u64()?,
                    text_hash: c.u64()?,
                    terms: c.u32()?,
                    text: c.bytes()?.map(<[u8]>::to_vec),
                });
            }
            TAG_POSTINGS => skip_list(&mut c, "inverted list")?,
            TAG_WORDS if params.words && !seen_words => {
                skip_list(&mut c, "word list")?;
                seen_words = true;
            }
            TAG_END => {
                let records = c.u64()?;
                if records != docs.len() as u64 || c.at != body.len() {
                    return Err("record count or length does not match".into());
                }
                if seen_words != params.words {
                    return Err("the word list the header announces is missing".into());
                }
                return Ok((params, docs));
            }
            tag => return Err(format!("unknown section {tag} at byte {}", c.at - 1)),
        }
    }
}

/// The documents of a legacy index, as an index in memory: each record
/// fingerprinted again from its stored text (or, for an index built
/// without texts, from the file its id names, which must still hold the
/// text that was indexed).
pub(crate) fn legacy_index(path: &Path, bytes: &[u8]) -> Result<Index> {
    let (params, docs) = decode_legacy(bytes).map_err(|message| Error::BadIndex {
        path: path.to_path_buf(),
        message,
    })?;
    let entries: Vec<Entry> = docs
        .par_iter()
        .map(|d| {
            let doc = match d.document(path)? {
                Some(doc) => doc,
                None => {
                    let mut doc = crate::source::read_document(Path::new(&d.id)).map_err(|e| {
                        Error::BadIndex {
                            path: path.to_path_buf(),
                            message: format!(
                                "converting this lineage 0.1 index needs the texts it does not store, and {e}; rebuild it with lineage index add"
                            ),
                        }
                    })?;
                    if xxh3_64(doc.text.as_bytes()) != d.text_hash {
                        return Err(Error::BadIndex {
                            path: path.to_path_buf(),
                            message: format!(
                                "converting this lineage 0.1 index needs the text of {}, which changed since it was indexed; rebuild it with lineage index add",
                                d.id
                            ),
                        });
                    }
                    doc.meta = d.meta.clone();
                    doc
                }
            };
            let mut e = entry(&doc, &params);
            e.doc.text = d.text.clone();
            Ok(e)
        })
        .collect::<Result<_>>()?;
    let mut index = Index::new(params)?;
    index.add(entries);
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::retrieve::{candidates, word_candidates, RetrievalOptions};

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
    /// `lineage index add` of lineage 0.1 (commit 297a95d) on
    /// `samples/original.txt` and `samples/reuters-grain.txt`.
    const LEGACY: &[u8] = include_bytes!("../../tests/data/legacy/v2.idx");

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
        let options = RetrievalOptions::default();
        let found = candidates(&index, &q.hashes, &options, None).unwrap();
        assert_eq!(found.first().map(|c| c.doc), Some(0));
        assert!(found[0].containment > 0.3, "{found:?}");
        assert!(found.iter().all(|c| c.doc != 1));
        assert!(candidates(&index, &q.hashes, &options, Some(0))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn words_find_a_summary() {
        let index = index();
        assert!(index.params().words && !index.word_pairs().is_empty());
        let q = entry(&doc("q", SUMMARY), index.params());
        let query: Vec<(u64, f64)> = q.words.iter().map(|&w| (w, 1.0)).collect();
        let options = RetrievalOptions::default();
        let found = word_candidates(&index, &query, &options, None).unwrap();
        assert_eq!(found.first().map(|c| c.0), Some(0), "{found:?}");
        assert!(found.iter().all(|c| c.0 != 1));
        // An index without words keeps none and finds nothing by words.
        let mut plain = Index::new(IndexParams {
            words: false,
            ..IndexParams::default()
        })
        .unwrap();
        plain.add(vec![entry(&doc("a", STORY), plain.params())]);
        assert!(plain.word_pairs().is_empty());
        assert!(word_candidates(&plain, &query, &options, None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn pairs_sort_as_a_comparison_sort_does() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for n in [0, 1, 100, 4096, 50_000] {
            let pairs: Vec<(u64, u32)> = (0..n)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Repeated keys too: a tenth of the pairs share one.
                    (if i % 10 == 0 { 42 << 40 } else { x }, (x >> 40) as u32)
                })
                .collect();
            let mut want = pairs.clone();
            want.sort_unstable();
            assert_eq!(sort_pairs(pairs), want, "n = {n}");
        }
    }

    #[test]
    fn keys_are_64_bit() {
        let q = entry(&doc("q", STORY), &IndexParams::default());
        assert!(q.hashes.iter().any(|&h| h > u64::from(u32::MAX)));
        assert!(q.words.iter().any(|&h| h > u64::from(u32::MAX)));
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
        assert!(
            candidates(&index, &q.hashes, &RetrievalOptions::default(), None)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_legacy_index_is_read_with_its_texts() {
        let (params, docs) = decode_legacy(LEGACY).unwrap();
        assert_eq!(params, IndexParams::default());
        let ids: Vec<&str> = docs.iter().map(|d| d.id()).collect();
        assert_eq!(ids, ["original.txt", "reuters-grain.txt"]);
        let text = docs[0].document(Path::new("x")).unwrap().unwrap();
        assert_eq!(text.text, include_str!("../../samples/original.txt"));
        // Fingerprinted again from the texts, with 64-bit keys.
        let index = legacy_index(Path::new("x"), LEGACY).unwrap();
        let fresh = entry(
            &doc("original.txt", include_str!("../../samples/original.txt")),
            &params,
        );
        let first: Vec<u64> = index
            .posting_pairs()
            .iter()
            .filter(|p| p.1 == 0)
            .map(|p| p.0)
            .collect();
        assert_eq!(first, fresh.hashes);
    }

    #[test]
    fn every_damage_to_a_legacy_index_is_refused() {
        for cut in [0, 7, 20, LEGACY.len() / 2, LEGACY.len() - 1] {
            assert!(decode_legacy(&LEGACY[..cut]).is_err(), "cut at {cut}");
        }
        for at in (0..LEGACY.len()).step_by(7) {
            let mut damaged = LEGACY.to_vec();
            damaged[at] ^= 0x10;
            assert!(decode_legacy(&damaged).is_err(), "flip at {at}");
        }
        // A version 1 header (no words) over a file with a word list.
        let mut b = LEGACY[..LEGACY.len() - 8].to_vec();
        b[8..10].copy_from_slice(&1u16.to_le_bytes());
        let sum = xxh3_64(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        let e = decode_legacy(&b).unwrap_err();
        assert!(e.contains("version"), "{e}");
    }
}
