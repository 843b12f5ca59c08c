//! The archive on disk: a small manifest at the path the user names, and
//! the immutable segments it lists in a folder beside it.
//!
//! In: a path. Out: an [`Archive`] that answers retrieval from memory-mapped
//! segments without loading them, and an [`ArchiveWriter`] that adds a
//! segment per batch of documents.
//!
//! ```text
//! archive.idx             the manifest
//! archive.idx.lock        the writers' lock
//! archive.idx.segments/   0000000001.seg, 0000000002.seg, ...
//! ```
//!
//! # Manifest
//!
//! All integers little-endian:
//!
//! ```text
//! magic    89 'L' 'N' 'G' 'A' 'R' 'C' '\n'
//! version  u16 (1), flags u16, raw u32, content u32, seed u64, scale u32
//!          (the parameters, laid out as in a segment's header)
//! reserved u32
//! next     u64      sequence number of the next segment
//! count    u32      segments, oldest first; per segment: sequence number
//!                   u64, documents u32, file bytes u64, footer checksum u64
//! checksum u64      xxh3-64 of every byte before it
//! ```
//!
//! # Writing
//!
//! Writers hold an exclusive lock on `INDEX.lock` from reading the manifest
//! to replacing it. `index add` writes the new documents as a new segment
//! (temporary file, fsync, rename), then replaces the manifest the same way;
//! a crash before the manifest's rename leaves the old archive and an
//! unnamed segment that the next writer removes. A large input is written
//! a batch (a segment) at a time, so memory does not grow with it, and the
//! segments one writer wrote are merged into one when it finishes; small
//! segments left by many small adds are merged ten at a time as they
//! accumulate (size-tiered, as log-structured stores do). A document whose id is
//! archived already is skipped when its text is the same and replaced when
//! not: the new segment lists the old document as deleted (a tombstone),
//! and retrieval skips it. [`compact`] merges every segment into one and
//! drops the replaced documents; it is never needed for correctness.
//!
//! Readers take no lock: a manifest names only finished segments, and a
//! segment is never changed once named. A reader that finds a segment gone
//! (a compaction removed it after the reader read the manifest) reads the
//! manifest again.
//!
//! An archive written by lineage 0.1 is one file (see
//! [`index`](super::index)): [`Archive::open`] reads it whole, and the next
//! writer converts it into a manifest and one segment.

use std::fs::File;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::archive::index::{
    legacy_header, legacy_index, AddSummary, Entry, Index, IndexParams, IndexedDoc, LEGACY_MAGIC,
};
use crate::archive::retrieve::Searchable;
use crate::archive::segment::{self, DocList, List, Segment};
use crate::error::{Error, Result};
use crate::kernels::hash::MulHasher;

/// First bytes of a manifest.
pub(crate) const MAGIC: [u8; 8] = [0x89, b'L', b'N', b'G', b'A', b'R', b'C', b'\n'];
const VERSION: u16 = 1;
const HEADER_LEN: usize = 36;
/// Bytes [`read_params`] reads: a manifest's header, or a lineage 0.1
/// index's.
const HEAD_LEN: usize = 40;
const ENTRY_LEN: usize = 28;
/// Most times a reader re-reads the manifest when a segment it names was
/// removed by a compaction in the meantime.
const OPEN_RETRIES: usize = 8;
/// Bytes of text a writer gathers into one segment: about 35,000 news
/// articles, a few hundred MB of memory while they are fingerprinted and
/// written (callers batch by it; [`ArchiveWriter::add`] takes any size).
pub const BATCH_BYTES: usize = 32 << 20;
/// Segments of one order of magnitude merged into one ([`ArchiveWriter`]).
const MERGE_FANOUT: usize = 10;
/// The largest merge an `index add` does by itself.
const MERGE_MAX_DOCS: u64 = 2_000_000;

/// One segment as the manifest lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SegmentEntry {
    seq: u64,
    docs: u32,
    bytes: u64,
    footer_sum: u64,
}

/// The manifest in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Manifest {
    params: IndexParams,
    next_seq: u64,
    segments: Vec<SegmentEntry>,
}

impl Manifest {
    fn new(params: IndexParams) -> Manifest {
        Manifest {
            params,
            next_seq: 1,
            segments: Vec::new(),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 20 + ENTRY_LEN * self.segments.len());
        out.extend_from_slice(&MAGIC);
        segment::put_params(&mut out, VERSION, &self.params);
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.next_seq.to_le_bytes());
        out.extend_from_slice(&(self.segments.len() as u32).to_le_bytes());
        for s in &self.segments {
            out.extend_from_slice(&s.seq.to_le_bytes());
            out.extend_from_slice(&s.docs.to_le_bytes());
            out.extend_from_slice(&s.bytes.to_le_bytes());
            out.extend_from_slice(&s.footer_sum.to_le_bytes());
        }
        let sum = xxh3_64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    fn decode(b: &[u8]) -> std::result::Result<Manifest, String> {
        if b.len() < HEADER_LEN + 20 || b[..8] != MAGIC {
            return Err("not a lineage archive manifest (wrong magic bytes or truncated)".into());
        }
        let (body, sum) = b.split_at(b.len() - 8);
        if xxh3_64(body).to_le_bytes() != sum {
            return Err("manifest checksum mismatch: the file is truncated or damaged".into());
        }
        let (version, params) = segment::get_params(body);
        if version != VERSION {
            return Err(format!(
                "manifest format version {version}, this lineage reads version {VERSION}"
            ));
        }
        params
            .validate()
            .map_err(|e| format!("damaged header ({e})"))?;
        let le64 = |at: usize| u64::from_le_bytes(body[at..at + 8].try_into().unwrap_or([0; 8]));
        let le32 = |at: usize| u32::from_le_bytes(body[at..at + 4].try_into().unwrap_or([0; 4]));
        let next_seq = le64(HEADER_LEN);
        let count = le32(HEADER_LEN + 8) as usize;
        if body.len() != HEADER_LEN + 12 + count * ENTRY_LEN {
            return Err("manifest length does not match its segment count".into());
        }
        let segments: Vec<SegmentEntry> = (0..count)
            .map(|i| {
                let at = HEADER_LEN + 12 + i * ENTRY_LEN;
                SegmentEntry {
                    seq: le64(at),
                    docs: le32(at + 8),
                    bytes: le64(at + 12),
                    footer_sum: le64(at + 20),
                }
            })
            .collect();
        if segments.windows(2).any(|w| w[0].seq >= w[1].seq)
            || segments.last().is_some_and(|s| s.seq >= next_seq)
        {
            return Err("manifest segments out of order".into());
        }
        Ok(Manifest {
            params,
            next_seq,
            segments,
        })
    }
}

/// The folder of the segments of the archive whose manifest is at `path`
/// (after links).
pub fn segments_dir(path: &Path) -> PathBuf {
    let path = crate::store::atomic::target(path);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".segments");
    path.with_file_name(name)
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:010}.seg"))
}

/// The lock file writers of `path` take: `INDEX.lock` beside it.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// One part of an open archive.
#[derive(Debug)]
enum Part {
    /// A segment file, mapped.
    Segment(Segment),
    /// A lineage 0.1 single-file index, read whole.
    Memory(Index),
}

impl Part {
    fn docs(&self) -> u32 {
        match self {
            Part::Segment(s) => s.docs(),
            Part::Memory(i) => i.docs().len() as u32,
        }
    }

    fn lookup(&self, list: List, key: u64) -> Result<Option<DocList<'_>>> {
        match self {
            Part::Segment(s) => s.lookup(list, key),
            Part::Memory(i) => Ok(i.lookup(list, key)?.pop().map(|p| p.1)),
        }
    }

    fn terms(&self, doc: u32) -> Result<u32> {
        match self {
            Part::Segment(s) => s.terms(doc),
            Part::Memory(i) => Ok(i.docs()[doc as usize].terms),
        }
    }

    fn record(&self, doc: u32) -> Result<IndexedDoc> {
        match self {
            Part::Segment(s) => s.record(doc),
            Part::Memory(i) => Ok(i.docs()[doc as usize].clone()),
        }
    }

    fn find_id(&self, id: &str) -> Result<Option<u32>> {
        match self {
            Part::Segment(s) => s.find_id(id),
            Part::Memory(i) => Ok(i.position(id)),
        }
    }
}

/// An archive open for reading.
#[derive(Debug)]
pub struct Archive {
    path: PathBuf,
    params: IndexParams,
    parts: Vec<Part>,
    /// The first archive-wide number of each part.
    bases: Vec<u32>,
    /// Per part, one bit per replaced document (empty: none replaced).
    deleted: Vec<Vec<u64>>,
    tombstones: usize,
    manifest: Option<Manifest>,
}

impl Archive {
    /// An archive of no document.
    fn empty(path: PathBuf, params: IndexParams) -> Archive {
        Archive {
            path,
            params,
            parts: Vec::new(),
            bases: Vec::new(),
            deleted: Vec::new(),
            tombstones: 0,
            manifest: None,
        }
    }

    /// Opens the archive at `path`: reads its manifest and maps its
    /// segments (or, for a lineage 0.1 index, reads it whole).
    pub fn open(path: &Path) -> Result<Archive> {
        let mut last = None;
        for _ in 0..OPEN_RETRIES {
            match Archive::open_once(path) {
                Err(Error::Read { path: p, source })
                    if source.kind() == std::io::ErrorKind::NotFound && p != path =>
                {
                    // A segment named by the manifest is gone: a compaction
                    // replaced the manifest since it was read.
                    last = Some(Error::Read { path: p, source });
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| Error::BadIndex {
            path: path.to_path_buf(),
            message: "its segments keep changing".into(),
        }))
    }

    fn open_once(path: &Path) -> Result<Archive> {
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
        let bad = |message: String| Error::BadIndex {
            path: path.to_path_buf(),
            message,
        };
        if bytes.starts_with(&LEGACY_MAGIC) {
            let index = legacy_index(path, &bytes)?;
            let params = *index.params();
            let mut archive = Archive::empty(path.to_path_buf(), params);
            archive.push(Part::Memory(index))?;
            return Ok(archive);
        }
        let manifest = Manifest::decode(&bytes).map_err(bad)?;
        let dir = segments_dir(path);
        let mut archive = Archive::empty(path.to_path_buf(), manifest.params);
        for entry in &manifest.segments {
            let seg = Segment::open(&segment_path(&dir, entry.seq))?;
            check_listed(&seg, entry, &manifest.params)?;
            archive.push(Part::Segment(seg))?;
        }
        archive.manifest = Some(manifest);
        Ok(archive)
    }

    /// An archive held in memory (not written anywhere): an index's
    /// documents, searched as an archive on disk is. `path` names it in
    /// errors.
    pub fn in_memory(index: Index, path: &Path) -> Archive {
        let mut archive = Archive::empty(path.to_path_buf(), *index.params());
        // One part in memory: no deletes, no overflow.
        let _ = archive.push(Part::Memory(index));
        archive
    }

    /// Adds a part after the others and applies its deletes.
    fn push(&mut self, part: Part) -> Result<()> {
        let base = self
            .bases
            .last()
            .zip(self.parts.last())
            .map_or(0u64, |(b, p)| u64::from(*b) + u64::from(p.docs()));
        let base = u32::try_from(base)
            .ok()
            .filter(|b| b.checked_add(part.docs()).is_some())
            .ok_or_else(|| Error::BadIndex {
                path: self.path.clone(),
                message: "more than 4,294,967,295 documents".into(),
            })?;
        let deletes = match &part {
            Part::Segment(s) => s.deletes()?,
            Part::Memory(_) => Vec::new(),
        };
        self.bases.push(base);
        self.parts.push(part);
        self.deleted.push(Vec::new());
        for (seq, doc) in deletes {
            let Some(i) = self.parts.iter().position(|p| match p {
                Part::Segment(s) => s.seq() == seq,
                Part::Memory(_) => false,
            }) else {
                continue;
            };
            if doc >= self.parts[i].docs() {
                continue;
            }
            let bits = &mut self.deleted[i];
            if bits.is_empty() {
                bits.resize((self.parts[i].docs() as usize).div_ceil(64), 0);
            }
            let (w, b) = (doc as usize / 64, 1u64 << (doc % 64));
            if bits[w] & b == 0 {
                bits[w] |= b;
                self.tombstones += 1;
            }
        }
        Ok(())
    }

    /// The manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parameters every document was fingerprinted with.
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// Documents, replaced ones excluded.
    pub fn len(&self) -> usize {
        self.numbers() as usize - self.tombstones
    }

    /// Whether the archive holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Documents ever written, replaced ones included: archive-wide
    /// numbers run below this.
    fn numbers(&self) -> u32 {
        self.bases
            .last()
            .zip(self.parts.last())
            .map_or(0, |(b, p)| b + p.docs())
    }

    /// The part holding archive-wide document `doc`, and its number there.
    fn locate(&self, doc: u32) -> Option<(usize, u32)> {
        let i = self.bases.partition_point(|&b| b <= doc).checked_sub(1)?;
        let local = doc - self.bases[i];
        (local < self.parts[i].docs()).then_some((i, local))
    }

    /// The record of archive-wide document `doc`.
    pub fn record(&self, doc: u32) -> Result<IndexedDoc> {
        let (i, local) = self.locate(doc).ok_or_else(|| Error::BadIndex {
            path: self.path.clone(),
            message: format!("document {doc} out of range"),
        })?;
        self.parts[i].record(local)
    }

    /// The path of the file holding archive-wide document `doc`, for
    /// errors.
    pub(crate) fn file_of(&self, doc: u32) -> &Path {
        match self.locate(doc).map(|(i, _)| &self.parts[i]) {
            Some(Part::Segment(s)) => s.path(),
            _ => &self.path,
        }
    }

    fn part_deleted(&self, part: usize, local: u32) -> bool {
        let bits = &self.deleted[part];
        !bits.is_empty() && bits[local as usize / 64] & (1 << (local % 64)) != 0
    }

    /// Figures for `lineage index stats`.
    pub fn stats(&self) -> Result<IndexStats> {
        let mut s = IndexStats {
            documents: self.len(),
            tombstones: self.tombstones,
            segments: Vec::new(),
            file_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            text_bytes: 0,
            stored_text_bytes: 0,
            list_bytes: 0,
            bytes_per_doc: 0.0,
            bytes_per_doc_without_text: 0.0,
            format: if self.manifest.is_some() {
                "segmented"
            } else {
                "single file (lineage 0.1; the next index add converts it)"
            },
            params: self.params,
        };
        for (i, part) in self.parts.iter().enumerate() {
            let Part::Segment(seg) = part else {
                for d in self.docs_of(i) {
                    let r = part.record(d)?;
                    s.text_bytes += r.bytes;
                    s.stored_text_bytes += r.stored_text_bytes() as u64;
                }
                continue;
            };
            let (text, stored) = seg.text_bytes();
            s.text_bytes += text;
            s.stored_text_bytes += stored;
            s.list_bytes += seg.list_bytes();
            s.file_bytes += seg.file_bytes();
            s.segments.push(SegmentStats {
                file: seg.path().display().to_string(),
                documents: seg.docs(),
                replaced: self.deleted[i]
                    .iter()
                    .map(|w| w.count_ones() as usize)
                    .sum(),
                bytes: seg.file_bytes(),
            });
        }
        let docs = self.numbers().max(1) as f64;
        s.bytes_per_doc = s.file_bytes as f64 / docs;
        s.bytes_per_doc_without_text =
            s.file_bytes.saturating_sub(s.stored_text_bytes) as f64 / docs;
        Ok(s)
    }

    fn docs_of(&self, part: usize) -> std::ops::Range<u32> {
        0..self.parts[part].docs()
    }

    /// Reads every byte of every segment: checksums of every page,
    /// every record, every key in order; the manifest's description of
    /// each segment. The first damage found is the error, naming its file.
    pub fn verify(&self) -> Result<()> {
        self.parts.par_iter().try_for_each(|p| match p {
            Part::Segment(s) => s.verify(),
            Part::Memory(_) => Ok(()),
        })
    }
}

/// Checks that a segment is the one the manifest lists.
fn check_listed(seg: &Segment, entry: &SegmentEntry, params: &IndexParams) -> Result<()> {
    let wrong = |what: &str| {
        Error::BadIndex {
        path: seg.path().to_path_buf(),
        message: format!(
            "not the segment the manifest lists ({what} differ); restore it from a backup or rebuild the archive"
        ),
    }
    };
    if seg.seq() != entry.seq || seg.docs() != entry.docs {
        return Err(wrong("sequence numbers or document counts"));
    }
    if seg.file_bytes() != entry.bytes || seg.footer_sum() != entry.footer_sum {
        return Err(wrong("sizes or checksums"));
    }
    if seg.params() != params {
        return Err(wrong("parameters"));
    }
    Ok(())
}

impl Searchable for Archive {
    fn params(&self) -> &IndexParams {
        &self.params
    }

    fn live_docs(&self) -> usize {
        self.len()
    }

    fn is_deleted(&self, doc: u32) -> bool {
        self.tombstones > 0
            && self
                .locate(doc)
                .is_some_and(|(i, l)| self.part_deleted(i, l))
    }

    fn deleted(&self) -> usize {
        self.tombstones
    }

    fn lookup(&self, list: List, key: u64) -> Result<Vec<(u32, DocList<'_>)>> {
        let mut out = Vec::new();
        for (part, &base) in self.parts.iter().zip(&self.bases) {
            if let Some(docs) = part.lookup(list, key)? {
                out.push((base, docs));
            }
        }
        Ok(out)
    }

    fn terms(&self, doc: u32) -> Result<u32> {
        let (i, local) = self.locate(doc).ok_or_else(|| Error::BadIndex {
            path: self.path.clone(),
            message: format!("document {doc} out of range"),
        })?;
        self.parts[i].terms(local)
    }
}

/// What `lineage index stats` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexStats {
    /// Documents (replaced ones excluded).
    pub documents: usize,
    /// Replaced documents still in segments (dropped by a compaction).
    pub tombstones: usize,
    /// The segments, oldest first.
    pub segments: Vec<SegmentStats>,
    /// Bytes of the manifest and every segment.
    pub file_bytes: u64,
    /// Total length of the texts, uncompressed.
    pub text_bytes: u64,
    /// Bytes the stored texts take, compressed.
    pub stored_text_bytes: u64,
    /// Bytes of the inverted lists: the retrieval fingerprint.
    pub list_bytes: u64,
    /// File bytes per document written.
    pub bytes_per_doc: f64,
    /// File bytes per document written, stored texts excluded: everything
    /// the archive keeps per document besides the text (id, metadata,
    /// counts, fingerprint).
    pub bytes_per_doc_without_text: f64,
    /// The archive's layout.
    pub format: &'static str,
    /// Parameters.
    pub params: IndexParams,
}

/// One segment in [`IndexStats`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentStats {
    /// Its file.
    pub file: String,
    /// Documents written in it.
    pub documents: u32,
    /// Of those, replaced by a later segment.
    pub replaced: usize,
    /// Its size.
    pub bytes: u64,
}

/// The parameters of the archive at `path`, or `None` when there is no
/// file there. Only the first bytes are read.
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
    let mut head = Vec::with_capacity(HEAD_LEN);
    file.by_ref()
        .take(HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let bad = |message: String| Error::BadIndex {
        path: path.to_path_buf(),
        message,
    };
    let params = if head.starts_with(&LEGACY_MAGIC) {
        legacy_header(&head).map_err(bad)?
    } else if head.starts_with(&MAGIC) && head.len() >= HEAD_LEN {
        segment::get_params(&head).1
    } else {
        return Err(bad(
            "not a lineage index (wrong magic bytes or truncated)".into()
        ));
    };
    // Only the header was read: impossible parameters there are damage.
    params
        .validate()
        .map_err(|e| bad(format!("damaged header ({e})")))?;
    Ok(Some(params))
}

/// A writer of the archive at `path`: holds the writers' lock until it is
/// dropped or [`finish`](Self::finish)ed.
#[derive(Debug)]
pub struct ArchiveWriter {
    path: PathBuf,
    dir: PathBuf,
    _lock: File,
    manifest: Manifest,
    archive: Archive,
    existed: bool,
    summary: AddSummary,
    /// Position in the manifest of the first segment holding documents of
    /// this writer's adds: [`finish`](Self::finish) merges from there.
    run_start: usize,
    /// Parts before this one hold documents this writer did not add (and
    /// may hold some it did); later parts hold only documents it added.
    own_from: usize,
    /// Hashes of the ids this writer added: an id not among them is
    /// looked up in the parts before `own_from` only.
    run_ids: std::collections::HashSet<u64, std::hash::BuildHasherDefault<MulHasher>>,
    /// The segment being written in the background
    /// ([`add_in_background`](Self::add_in_background)).
    pending: Option<Pending>,
}

/// A segment being written on a thread of its own, committed by
/// [`ArchiveWriter::settle`].
#[derive(Debug)]
struct Pending {
    seq: u64,
    file: PathBuf,
    /// What the batch does, counted once the segment is committed.
    summary: AddSummary,
    handle: std::thread::JoinHandle<std::io::Result<u64>>,
}

impl ArchiveWriter {
    /// Locks the archive at `path` and opens it, creating it with
    /// `params` when there is none (written by the first
    /// [`add`](Self::add), or by [`finish`](Self::finish)). An existing
    /// file that is not a sound archive is refused and left as it is, as
    /// is one whose parameters differ from `params` when `require_params`
    /// is set. A lineage 0.1 index is converted: one segment holding its
    /// documents, and a manifest in its place.
    pub fn open(path: &Path, params: IndexParams, require_params: bool) -> Result<ArchiveWriter> {
        // Through a link, the file it names is the archive: its lock, its
        // segments and its replacement.
        let path = crate::store::atomic::target(path);
        let write_err = |source| Error::Write {
            path: path.clone(),
            source,
        };
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(&path))
            .map_err(write_err)?;
        lock.lock().map_err(write_err)?;
        crate::store::atomic::remove_stale_temps(&path);
        let dir = segments_dir(&path);
        let existed = path.try_exists().map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let (manifest, archive) = if existed {
            let archive = Archive::open(&path)?;
            if require_params && archive.params != params {
                return Err(Error::ParamsMismatch {
                    left: format!("{:?}", archive.params),
                    right: format!("{params:?}"),
                });
            }
            match archive.manifest.clone() {
                Some(m) => (m, archive),
                None => convert(&path, &dir, archive)?,
            }
        } else {
            if has_segments(&dir) {
                return Err(Error::BadIndex {
                    path: path.clone(),
                    message: format!(
                        "the manifest is missing but {} holds segments; restore the manifest (or move that folder away to start a new archive)",
                        dir.display()
                    ),
                });
            }
            params.validate()?;
            (Manifest::new(params), Archive::empty(path.clone(), params))
        };
        remove_unlisted(&dir, &manifest);
        Ok(ArchiveWriter {
            path,
            dir,
            _lock: lock,
            run_start: manifest.segments.len(),
            own_from: manifest.segments.len(),
            run_ids: Default::default(),
            manifest,
            archive,
            existed,
            summary: AddSummary::default(),
            pending: None,
        })
    }

    /// The archive as written so far.
    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// What every committed [`add`](Self::add) so far did.
    pub fn summary(&self) -> AddSummary {
        AddSummary {
            total: self.archive.len(),
            ..self.summary
        }
    }

    /// Adds a batch of documents as one segment (nothing is written when
    /// nothing changes) and commits it: the manifest names the segment
    /// when this returns.
    pub fn add(&mut self, entries: Vec<Entry>) -> Result<AddSummary> {
        let summary = self.add_in_background(entries)?;
        self.settle()?;
        Ok(AddSummary {
            total: self.archive.len(),
            ..summary
        })
    }

    /// As [`add`](Self::add), but the segment is written on a thread of
    /// its own while the caller prepares the next batch (fingerprinting
    /// one batch while the last one is written and synced keeps both
    /// cores busy), and committed by the next `add`, `add_in_background`,
    /// [`settle`](Self::settle) or [`finish`](Self::finish), which report
    /// its errors. A batch not yet committed is lost if the process dies,
    /// as any uncommitted batch is; the archive stays sound.
    pub fn add_in_background(&mut self, entries: Vec<Entry>) -> Result<AddSummary> {
        // Earlier batches first: their ids must be found as archived.
        self.settle()?;
        let mut batch = Index::new(self.manifest.params)?;
        let mut deletes: Vec<(u64, u32)> = Vec::new();
        let mut summary = AddSummary::default();
        let mut kept = Vec::with_capacity(entries.len());
        let mut replacing = std::collections::HashSet::new();
        // An id already kept from this batch goes to the batch, where the
        // last occurrence wins, as in input order; any other is compared
        // with the archive.
        let mut kept_ids = std::collections::HashSet::new();
        for e in entries {
            if !kept_ids.contains(e.id()) {
                if let Some((part, local)) = self.find_archived(e.id())? {
                    if self.archive.parts[part].record(local)?.text_hash == e.text_hash() {
                        summary.unchanged += 1;
                        continue;
                    }
                    if replacing.insert(e.id().to_string()) {
                        match &self.archive.parts[part] {
                            Part::Segment(seg) => deletes.push((seg.seq(), local)),
                            Part::Memory(_) => return Err(unconverted()),
                        }
                    }
                }
            }
            kept_ids.insert(e.id().to_string());
            kept.push(e);
        }
        self.run_ids
            .extend(kept.iter().map(|e| xxh3_64(e.id().as_bytes())));
        let in_batch = batch.add(kept);
        let replaced = replacing.len();
        summary.added = in_batch.added - replaced;
        summary.updated = in_batch.updated + replaced;
        summary.unchanged += in_batch.unchanged;
        summary.total = self.archive.len() + summary.added;
        if in_batch.added + in_batch.updated > 0 || !deletes.is_empty() {
            self.write_segment(batch, deletes, summary)?;
        } else {
            self.count(summary);
        }
        Ok(summary)
    }

    /// Commits the segment being written in the background, if any: the
    /// manifest names it when this returns.
    pub fn settle(&mut self) -> Result<()> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let written = p.handle.join().unwrap_or_else(|_| {
            Err(std::io::Error::other(
                "the thread writing the segment panicked",
            ))
        });
        written.map_err(|source| Error::Write {
            path: p.file.clone(),
            source,
        })?;
        self.commit_segment(p.file, p.seq)?;
        self.count(p.summary);
        Ok(())
    }

    fn count(&mut self, batch: AddSummary) {
        self.summary.added += batch.added;
        self.summary.updated += batch.updated;
        self.summary.unchanged += batch.unchanged;
        self.summary.total = self.archive.len();
    }

    /// The live document whose id is `id`: searched in the segments this
    /// writer wrote only when it added that id (a large input, added a
    /// batch at a time, does not search every batch for every document).
    fn find_archived(&self, id: &str) -> Result<Option<(usize, u32)>> {
        let archive = &self.archive;
        let ours = self.run_ids.contains(&xxh3_64(id.as_bytes()));
        let parts = if ours {
            archive.parts.len()
        } else {
            self.own_from.min(archive.parts.len())
        };
        for i in (0..parts).rev() {
            if let Some(local) = archive.parts[i].find_id(id)? {
                if !archive.part_deleted(i, local) {
                    return Ok(Some((i, local)));
                }
            }
        }
        Ok(None)
    }

    /// Starts writing `batch` as the next segment on a thread of its own.
    fn write_segment(
        &mut self,
        batch: Index,
        deletes: Vec<(u64, u32)>,
        summary: AddSummary,
    ) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|source| Error::Write {
            path: self.dir.clone(),
            source,
        })?;
        let seq = self.manifest.next_seq;
        let file = segment_path(&self.dir, seq);
        let path = file.clone();
        let handle = std::thread::Builder::new()
            .name("lineage-segment".into())
            .spawn(move || segment::write_index(&path, &batch, seq, &deletes))
            .map_err(|source| Error::Write {
                path: file.clone(),
                source,
            })?;
        self.pending = Some(Pending {
            seq,
            file,
            summary,
            handle,
        });
        Ok(())
    }

    /// Opens the finished segment `file`, lists it in the manifest and
    /// replaces the manifest.
    fn commit_segment(&mut self, file: PathBuf, seq: u64) -> Result<()> {
        let seg = Segment::open(&file)?;
        self.manifest.segments.push(SegmentEntry {
            seq,
            docs: seg.docs(),
            bytes: seg.file_bytes(),
            footer_sum: seg.footer_sum(),
        });
        self.manifest.next_seq = seq + 1;
        self.write_manifest()?;
        self.archive.push(Part::Segment(seg))?;
        self.existed = true;
        Ok(())
    }

    fn write_manifest(&self) -> Result<()> {
        crate::store::atomic::write_atomic(&self.path, &self.manifest.encode()).map_err(|source| {
            Error::Write {
                path: self.path.clone(),
                source,
            }
        })
    }

    /// Merges every segment into one, dropping replaced documents; the
    /// old segments are removed once the manifest names the new one.
    pub fn compact(&mut self) -> Result<CompactSummary> {
        let before = self.manifest.segments.len();
        let dropped = self.archive.tombstones;
        if before > 1 || dropped > 0 {
            self.merge_newest(before)?;
        }
        Ok(CompactSummary {
            segments_before: before,
            dropped,
            documents: self.archive.len(),
        })
    }

    /// Merges the newest segments while [`MERGE_FANOUT`] of them are of
    /// the same order of magnitude (size-tiered, as log-structured stores
    /// do): a run of small adds does not leave thousands of files for each
    /// check to search, and each document is rewritten about once per
    /// factor of ten the archive grows. Merges past [`MERGE_MAX_DOCS`] are
    /// left to `index compact`, so that one add never rewrites the archive.
    fn merge_tiers(&mut self) -> Result<()> {
        let level = |docs: u32| (f64::from(docs.max(1))).log10().floor() as i32;
        loop {
            let segs = &self.manifest.segments;
            let Some(last) = segs.last() else {
                return Ok(());
            };
            let l = level(last.docs);
            let k = segs.iter().rev().take_while(|s| level(s.docs) <= l).count();
            let docs: u64 = segs.iter().rev().take(k).map(|s| u64::from(s.docs)).sum();
            if k < MERGE_FANOUT || docs > MERGE_MAX_DOCS {
                return Ok(());
            }
            self.merge_newest(k)?;
        }
    }

    /// Merges the newest `k` segments into one, dropping their replaced
    /// documents and keeping their tombstones of older segments; the old
    /// files are removed once the manifest names the new one.
    fn merge_newest(&mut self, k: usize) -> Result<()> {
        let n = self.archive.parts.len();
        let first = n - k.min(n);
        self.run_start = self.run_start.min(first);
        std::fs::create_dir_all(&self.dir).map_err(|source| Error::Write {
            path: self.dir.clone(),
            source,
        })?;
        let seq = self.manifest.next_seq;
        let file = segment_path(&self.dir, seq);
        let archive = &self.archive;
        let merged: Vec<&Segment> = archive.parts[first..]
            .iter()
            .filter_map(|p| match p {
                Part::Segment(s) => Some(s),
                Part::Memory(_) => None,
            })
            .collect();
        let merged_seqs: Vec<u64> = merged.iter().map(|s| s.seq()).collect();
        let mut carried = Vec::new();
        for s in &merged {
            carried.extend(
                s.deletes()?
                    .into_iter()
                    .filter(|d| !merged_seqs.contains(&d.0)),
            );
        }
        carried.sort_unstable();
        carried.dedup();
        let deleted: Vec<Box<dyn Fn(u32) -> bool + '_>> = (first..n)
            .map(|i| Box::new(move |d| archive.part_deleted(i, d)) as Box<dyn Fn(u32) -> bool>)
            .collect();
        let parts: Vec<(&Segment, &dyn Fn(u32) -> bool)> = merged
            .iter()
            .copied()
            .zip(deleted.iter().map(|d| d.as_ref()))
            .collect();
        segment::merge(&file, &self.manifest.params, seq, &parts, &carried)?;
        drop(parts);
        drop(deleted);
        let old: Vec<PathBuf> = merged_seqs
            .iter()
            .map(|&s| segment_path(&self.dir, s))
            .collect();
        let seg = Segment::open(&file)?;
        self.manifest.segments.truncate(first);
        self.manifest.segments.push(SegmentEntry {
            seq,
            docs: seg.docs(),
            bytes: seg.file_bytes(),
            footer_sum: seg.footer_sum(),
        });
        self.manifest.next_seq = seq + 1;
        self.write_manifest()?;
        // Reopen from the new manifest: numbers and tombstones change.
        let mut archive = Archive {
            manifest: Some(self.manifest.clone()),
            ..Archive::empty(self.path.clone(), self.manifest.params)
        };
        let mut kept: Vec<Part> = std::mem::take(&mut self.archive.parts);
        kept.truncate(first);
        for part in kept {
            archive.push(part)?;
        }
        archive.push(Part::Segment(seg))?;
        self.archive = archive;
        // The merged part may hold documents from before this writer.
        self.own_from = self.archive.parts.len();
        for f in old {
            let _ = std::fs::remove_file(f);
        }
        Ok(())
    }

    /// Merges the segments this writer wrote into one (a large input,
    /// added a batch at a time, ends as one segment, which checks search
    /// fastest), then small segments left by earlier adds
    /// (`MERGE_FANOUT`), writes the manifest of a new, empty archive if nothing
    /// was added, and releases the lock; returns what every
    /// [`add`](Self::add) did.
    pub fn finish(mut self) -> Result<AddSummary> {
        self.settle()?;
        let written = self.manifest.segments.len().saturating_sub(self.run_start);
        if written > 1 {
            self.merge_newest(written)?;
        }
        self.merge_tiers()?;
        if !self.existed {
            self.write_manifest()?;
        }
        let mut summary = self.summary;
        summary.total = self.archive.len();
        Ok(summary)
    }
}

impl Drop for ArchiveWriter {
    /// Waits for a segment still being written (never committed: the next
    /// writer removes it) before the lock is released.
    fn drop(&mut self) {
        if let Some(p) = self.pending.take() {
            let _ = p.handle.join();
        }
    }
}

/// A legacy part is converted when a writer opens the archive: never
/// reached.
fn unconverted() -> Error {
    Error::InvalidParam("a lineage 0.1 index must be converted before documents are added".into())
}

/// Writes the documents of a lineage 0.1 index as the first segment and
/// replaces the single file by a manifest naming it.
fn convert(path: &Path, dir: &Path, archive: Archive) -> Result<(Manifest, Archive)> {
    let Some(Part::Memory(index)) = archive.parts.into_iter().next() else {
        return Err(Error::BadIndex {
            path: path.to_path_buf(),
            message: "an empty lineage 0.1 index".into(),
        });
    };
    let mut manifest = Manifest::new(*index.params());
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut fresh = Archive::empty(path.to_path_buf(), manifest.params);
    if !index.docs().is_empty() {
        std::fs::create_dir_all(dir).map_err(write_err)?;
        let file = segment_path(dir, 1);
        segment::write_index(&file, &index, 1, &[]).map_err(|source| Error::Write {
            path: file.clone(),
            source,
        })?;
        let seg = Segment::open(&file)?;
        manifest.segments.push(SegmentEntry {
            seq: 1,
            docs: seg.docs(),
            bytes: seg.file_bytes(),
            footer_sum: seg.footer_sum(),
        });
        manifest.next_seq = 2;
        fresh.push(Part::Segment(seg))?;
    }
    crate::store::atomic::write_atomic(path, &manifest.encode()).map_err(write_err)?;
    fresh.manifest = Some(manifest.clone());
    Ok((manifest, fresh))
}

/// Whether `dir` holds a segment file.
fn has_segments(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".seg"))
    })
}

/// Removes segment files (and temporary files) the manifest does not
/// list: left by a writer that died before replacing the manifest, or by a
/// compaction that died before removing them. Only under the lock.
fn remove_unlisted(dir: &Path, manifest: &Manifest) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let listed = name
            .strip_suffix(".seg")
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|seq| manifest.segments.iter().any(|s| s.seq == seq));
        let ours = name.ends_with(".seg") || name.ends_with(".tmp");
        if ours && !listed {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Adds `entries` to the archive at `path` as one segment, creating the
/// archive with `params` when there is none ([`ArchiveWriter`]).
pub fn add_to_file(
    path: &Path,
    params: IndexParams,
    require_params: bool,
    entries: Vec<Entry>,
) -> Result<AddSummary> {
    let mut writer = ArchiveWriter::open(path, params, require_params)?;
    writer.add(entries)?;
    writer.finish()
}

/// What [`compact`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompactSummary {
    /// Segments before.
    pub segments_before: usize,
    /// Replaced documents dropped.
    pub dropped: usize,
    /// Documents after.
    pub documents: usize,
}

/// Merges the segments of the archive at `path` into one.
pub fn compact(path: &Path) -> Result<CompactSummary> {
    let params = read_params(path)?.ok_or_else(|| Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })?;
    let mut writer = ArchiveWriter::open(path, params, false)?;
    let summary = writer.compact()?;
    writer.finish()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::index::entry;
    use crate::source::Document;

    const V1: &str = "The council approved the harbour budget on Tuesday after a long debate \
        about river dredging and the cost of the new copper roof for the library.";
    const V2: &str = "Copper prices rose sharply as the senate debated the mining tunnel project \
        near the meadow, and traders expected further gains before the winter festival.";

    fn add(path: &Path, docs: &[(&str, &str)]) -> AddSummary {
        let params = IndexParams::default();
        let entries = docs
            .iter()
            .map(|(id, t)| entry(&Document::new(*id, *t), &params))
            .collect();
        add_to_file(path, params, false, entries).unwrap()
    }

    fn text_of(path: &Path, id: &str) -> Vec<String> {
        let archive = Archive::open(path).unwrap();
        (0..archive.numbers())
            .filter(|&d| !archive.is_deleted(d))
            .map(|d| archive.record(d).unwrap())
            .filter(|r| r.id() == id)
            .map(|r| r.document(path).unwrap().unwrap().text)
            .collect()
    }

    #[test]
    fn within_a_batch_the_last_occurrence_wins_as_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.idx");
        add(&path, &[("a", V1)]);
        let s = add(&path, &[("a", V2), ("a", V1)]);
        assert_eq!((s.added, s.updated, s.unchanged, s.total), (0, 2, 0, 1));
        assert_eq!(text_of(&path, "a"), [V1]);
        let s = add(&path, &[("a", V1), ("a", V1)]);
        assert_eq!((s.added, s.updated, s.unchanged, s.total), (0, 0, 2, 1));
        let s = add(&path, &[("a", V1), ("a", V2)]);
        assert_eq!((s.updated, s.unchanged, s.total), (1, 1, 1));
        assert_eq!(text_of(&path, "a"), [V2]);
    }

    #[test]
    fn a_writer_that_compacted_still_finds_older_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.idx");
        add(&path, &[("a", V1)]);
        add(&path, &[("b", V2)]);
        let params = IndexParams::default();
        let mut w = ArchiveWriter::open(&path, params, true).unwrap();
        w.compact().unwrap();
        let s = w
            .add(vec![entry(&Document::new("a", V1), &params)])
            .unwrap();
        assert_eq!(s.unchanged, 1);
        let s = w
            .add(vec![entry(&Document::new("b", V1), &params)])
            .unwrap();
        assert_eq!(s.updated, 1);
        w.finish().unwrap();
        assert_eq!(text_of(&path, "b"), [V1]);
        assert_eq!(Archive::open(&path).unwrap().len(), 2);
    }

    #[test]
    fn batches_written_in_the_background_are_committed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.idx");
        let params = IndexParams::default();
        let one = |id: &str, t: &str| vec![entry(&Document::new(id, t), &params)];
        let mut w = ArchiveWriter::open(&path, params, true).unwrap();
        let s = w.add_in_background(one("a", V1)).unwrap();
        assert_eq!((s.added, s.total), (1, 1));
        // Not committed yet.
        assert_eq!(w.summary().added, 0);
        // The next batch finds "a" in the batch still being written.
        let s = w.add_in_background(one("a", V2)).unwrap();
        assert_eq!((s.added, s.updated, s.total), (0, 1, 1));
        let s = w.add_in_background(one("b", V1)).unwrap();
        assert_eq!((s.added, s.total), (1, 2));
        let s = w.finish().unwrap();
        assert_eq!((s.added, s.updated, s.total), (2, 1, 2));
        assert_eq!(text_of(&path, "a"), [V2]);
        assert_eq!(text_of(&path, "b"), [V1]);
        // A writer dropped with a batch in flight leaves the archive as
        // it was committed.
        let mut w = ArchiveWriter::open(&path, params, true).unwrap();
        w.add_in_background(one("c", V1)).unwrap();
        drop(w);
        assert!(text_of(&path, "c").is_empty());
        assert_eq!(add(&path, &[("d", V2)]).total, 3);
    }

    #[test]
    fn segments_without_their_manifest_are_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.idx");
        add(&path, &[("a", V1)]);
        std::fs::rename(&path, dir.path().join("moved.idx")).unwrap();
        let params = IndexParams::default();
        let e = ArchiveWriter::open(&path, params, false).unwrap_err();
        assert!(e.to_string().contains("manifest is missing"), "{e}");
        assert!(has_segments(&segments_dir(&path)));
    }

    #[test]
    fn replaced_versions_do_not_make_wording_common() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.idx");
        // Three versions of one id, each a little different: two
        // tombstones in the lists the live version shares. With hashes
        // "distinctive" when held by one document, counting the replaced
        // versions would make none of them distinctive.
        for v in 0..3 {
            add(&path, &[("a", &format!("{V1} Version {v}."))]);
        }
        let archive = Archive::open(&path).unwrap();
        assert_eq!((archive.len(), archive.tombstones), (1, 2));
        let q = entry(&Document::new("q", V1), archive.params());
        let options = crate::archive::retrieve::RetrievalOptions {
            rare_documents: 1,
            ..Default::default()
        };
        let found = archive.candidates(&q.hashes, &options, None).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].distinctive > 0.5, "{found:?}");
    }
}
