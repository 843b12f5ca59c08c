//! One immutable segment of an archive: the records of the documents one
//! `index add` (or one batch of it) wrote, and their two inverted lists,
//! laid out so that a check reads only what it needs from a memory map.
//!
//! In: the documents of a batch ([`write_index`]) or the live documents of
//! several segments ([`merge`]). Out: a file that [`Segment::open`] maps
//! and answers lookups from: a key's documents ([`Segment::lookup`]), a
//! document's record ([`Segment::record`]), an id's position
//! ([`Segment::find_id`]).
//!
//! # File format
//!
//! All integers little-endian. The file is a sequence of 4 KiB pages, each
//! with its xxh3-64 checksum in a table near the end; every read verifies
//! the pages it touches (once per process), so damage is found where it is
//! read, and [`Segment::verify`] reads everything.
//!
//! ```text
//! header    64 bytes: magic 89 'L' 'N' 'G' 'S' 'E' 'G' '\n', version u16,
//!           flags u16 (bit 0 texts, bit 1 words), raw u32, content u32,
//!           seed u64, scale u32, documents u32, sequence number u64,
//!           zero to 64 bytes
//! records   per document: id, title, url, date (u32 length + UTF-8,
//!           0xFFFF_FFFF none), bytes u64, tokens u64, text hash u64,
//!           terms u32, text (u32 length + LZ4 block, or none)
//! docs      per document: record offset u64, record length u32, terms u32
//! ids       per document, sorted: xxh3-64 of the id u64, document u32
//! deletes   documents of earlier segments this one replaces:
//!           segment sequence number u64, document u32
//! for the content-shingle list, then the word list:
//!   lists   for every key held by several documents: count u32, then
//!           the documents u32, ascending
//!   keys    blocks of up to 128 keys, ascending: LEB128 key minus the
//!           block's previous key (0 for the first), LEB128 value:
//!           document << 1 | 1 for a key of one document, else the
//!           key's offset in `lists` (in u32 units) << 1
//!   dir     per block: first key u64, block offset u64 (from the file's
//!           start)
//! sums      xxh3-64 of every 4 KiB page before this section
//! footer    per section above (records .. word dir): offset u64,
//!           length u64; bytes of the texts u64; bytes of the stored
//!           (compressed) texts u64; pages u64; xxh3-64 of `sums`;
//!           xxh3-64 of the footer so far; 'L' 'N' 'G' 'S' 'E' 'N' 'D' '\n'
//! ```
//!
//! Documents are numbered from 0 within a segment; an archive numbers them
//! on from one segment to the next. A segment is written to a temporary
//! file, synced and renamed into place; it is never modified afterwards,
//! which is what makes mapping it safe: the archive only ever removes a
//! segment's name (after a compaction), never its bytes under a reader.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use crate::archive::index::{Index, IndexParams, IndexedDoc};
use crate::error::{Error, Result};
use crate::source::Metadata;
use crate::text::shingle::ShingleParams;

pub(crate) const MAGIC: [u8; 8] = [0x89, b'L', b'N', b'G', b'S', b'E', b'G', b'\n'];
const END_MAGIC: [u8; 8] = *b"LNGSEND\n";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 64;
const PAGE: usize = 4096;
const BLOCK_KEYS: usize = 128;
const SECTIONS: usize = 10;
const FOOTER_LEN: usize = SECTIONS * 16 + 8 * 5 + 8;
const FLAG_TEXT: u16 = 1;
const FLAG_WORDS: u16 = 2;
const NONE: u32 = u32::MAX;
/// Bytes per entry of the docs, ids and deletes sections.
const DOC_ENTRY: usize = 16;
const ID_ENTRY: usize = 12;
const DELETE_ENTRY: usize = 12;
/// Documents (and 16 times as many keys and postings) a merge reads
/// between letting the system drop the pages it read
/// ([`Segment::release`]).
const RELEASE_EVERY: u32 = 65_536;

/// The sections, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Records = 0,
    Docs,
    Ids,
    Deletes,
    PostingLists,
    PostingKeys,
    PostingDir,
    WordLists,
    WordKeys,
    WordDir,
}

/// Which inverted list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    /// Kept content-shingle hashes.
    Postings,
    /// Stemmed content words.
    Words,
}

impl List {
    fn sections(self) -> (Section, Section, Section) {
        match self {
            List::Postings => (
                Section::PostingLists,
                Section::PostingKeys,
                Section::PostingDir,
            ),
            List::Words => (Section::WordLists, Section::WordKeys, Section::WordDir),
        }
    }
}

/// The documents holding one key in one segment (or in an index in
/// memory), ascending. Those of a segment are checked as they are read:
/// a lookup that only needs a list's length reads none of it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DocList<'a> {
    /// A key of one document.
    One(u32),
    /// `count` little-endian u32 documents at byte `at` of a segment.
    Le {
        /// The segment.
        seg: &'a Segment,
        /// Where the documents start.
        at: usize,
        /// How many.
        count: usize,
    },
    /// `(key, document)` pairs of an index in memory.
    Pairs(&'a [(u64, u32)]),
}

impl DocList<'_> {
    pub(crate) fn len(&self) -> usize {
        match self {
            DocList::One(_) => 1,
            DocList::Le { count, .. } => *count,
            DocList::Pairs(p) => p.len(),
        }
    }

    fn get(&self, i: usize) -> Result<u32> {
        Ok(match self {
            DocList::One(d) => *d,
            DocList::Le { seg, at, .. } => {
                seg.doc_in_range(u32_at(seg.bytes(at + 4 * i, 4)?, 0))?
            }
            DocList::Pairs(p) => p[i].1,
        })
    }

    /// Whether `doc` is in the list (binary search: reads a few pages of
    /// a long list, not all of it).
    pub(crate) fn contains(&self, doc: u32) -> Result<bool> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid)?.cmp(&doc) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Hands every document to `f`, in order (the whole list read).
    pub(crate) fn for_each(&self, mut f: impl FnMut(u32)) -> Result<()> {
        match self {
            DocList::One(d) => f(*d),
            DocList::Le { seg, at, count } => {
                for b in seg.bytes(*at, 4 * count)?.chunks_exact(4) {
                    f(seg.doc_in_range(u32_at(b, 0))?);
                }
            }
            DocList::Pairs(p) => p.iter().for_each(|p| f(p.1)),
        }
        Ok(())
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// A LEB128 number at `*at` in `b`, advancing `*at`; `None` past the end
/// or beyond 64 bits.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        out |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The header's parameters and flags, as the old single-file index wrote
/// them (bytes 8 to 40): shared with the manifest.
pub(crate) fn put_params(out: &mut Vec<u8>, version: u16, params: &IndexParams) {
    out.extend_from_slice(&version.to_le_bytes());
    let flags =
        if params.store_text { FLAG_TEXT } else { 0 } | if params.words { FLAG_WORDS } else { 0 };
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&(params.shingle.raw_size as u32).to_le_bytes());
    out.extend_from_slice(&(params.shingle.content_size as u32).to_le_bytes());
    out.extend_from_slice(&params.shingle.seed.to_le_bytes());
    out.extend_from_slice(&params.scale.to_le_bytes());
}

/// Reads what [`put_params`] wrote at `b[8..36]`: version and parameters.
pub(crate) fn get_params(b: &[u8]) -> (u16, IndexParams) {
    let version = u16::from_le_bytes([b[8], b[9]]);
    let flags = u16::from_le_bytes([b[10], b[11]]);
    let params = IndexParams {
        shingle: ShingleParams {
            raw_size: u32_at(b, 12) as usize,
            content_size: u32_at(b, 16) as usize,
            seed: u64_at(b, 20),
        },
        scale: u32_at(b, 28),
        store_text: flags & FLAG_TEXT != 0,
        words: flags & FLAG_WORDS != 0,
    };
    (version, params)
}

/// The encoded record of a document (see the module docs).
pub(crate) fn encode_record(doc: &IndexedDoc, out: &mut Vec<u8>) {
    let put = |out: &mut Vec<u8>, b: Option<&[u8]>| match b {
        Some(b) => {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        None => out.extend_from_slice(&NONE.to_le_bytes()),
    };
    put(out, Some(doc.id.as_bytes()));
    put(out, doc.meta.title.as_deref().map(str::as_bytes));
    put(out, doc.meta.url.as_deref().map(str::as_bytes));
    put(out, doc.meta.date.as_deref().map(str::as_bytes));
    out.extend_from_slice(&doc.bytes.to_le_bytes());
    out.extend_from_slice(&doc.tokens.to_le_bytes());
    out.extend_from_slice(&doc.text_hash.to_le_bytes());
    out.extend_from_slice(&doc.terms.to_le_bytes());
    put(out, doc.text_block());
}

/// Decodes a record; the error says what is wrong.
fn decode_record(b: &[u8]) -> std::result::Result<IndexedDoc, String> {
    struct Fields<'a> {
        b: &'a [u8],
        at: usize,
    }
    impl<'a> Fields<'a> {
        fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
            let end = self
                .at
                .checked_add(n)
                .filter(|&e| e <= self.b.len())
                .ok_or("a record runs past its end")?;
            let out = &self.b[self.at..end];
            self.at = end;
            Ok(out)
        }
        fn field(&mut self) -> std::result::Result<Option<&'a [u8]>, String> {
            let n = u32_at(self.take(4)?, 0);
            if n == NONE {
                Ok(None)
            } else {
                self.take(n as usize).map(Some)
            }
        }
        fn text(&mut self) -> std::result::Result<Option<String>, String> {
            self.field()?
                .map(|b| {
                    std::str::from_utf8(b)
                        .map(str::to_string)
                        .map_err(|_| "invalid UTF-8 in a record".to_string())
                })
                .transpose()
        }
    }
    let mut f = Fields { b, at: 0 };
    let id = f.text()?.ok_or("a record without an id")?;
    let meta = Metadata {
        title: f.text()?,
        url: f.text()?,
        date: f.text()?,
    };
    let fixed = f.take(28)?;
    let block = f.field()?.map(<[u8]>::to_vec);
    if f.at != b.len() {
        return Err("a record longer than its fields".into());
    }
    Ok(IndexedDoc::from_parts(
        id,
        meta,
        u64_at(fixed, 0),
        u64_at(fixed, 8),
        u64_at(fixed, 16),
        u32_at(fixed, 24),
        block,
    ))
}

/// What a segment's tables keep of a record besides its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordMeta<'a> {
    id: &'a str,
    terms: u32,
    /// Length of the text.
    bytes: u64,
    /// Bytes of its stored copy.
    stored: u64,
}

impl<'a> RecordMeta<'a> {
    fn of(doc: &'a IndexedDoc) -> RecordMeta<'a> {
        RecordMeta {
            id: &doc.id,
            terms: doc.terms,
            bytes: doc.bytes,
            stored: doc.stored_text_bytes() as u64,
        }
    }

    /// Reads it from an encoded record without decoding the rest: a merge
    /// copies records as they are.
    fn read(b: &'a [u8]) -> std::result::Result<RecordMeta<'a>, String> {
        let short = || "a record runs past its end".to_string();
        let mut at = 0usize;
        let field = |at: &mut usize| -> std::result::Result<Option<&'a [u8]>, String> {
            let n = u32_at(b.get(*at..*at + 4).ok_or_else(short)?, 0);
            *at += 4;
            if n == NONE {
                return Ok(None);
            }
            let f = b.get(*at..*at + n as usize).ok_or_else(short)?;
            *at += n as usize;
            Ok(Some(f))
        };
        let id = field(&mut at)?.ok_or("a record without an id")?;
        let id = std::str::from_utf8(id).map_err(|_| "invalid UTF-8 in a record".to_string())?;
        for _ in 0..3 {
            field(&mut at)?;
        }
        let fixed = b.get(at..at + 28).ok_or_else(short)?;
        at += 28;
        let stored = field(&mut at)?.map_or(0, |t| t.len() as u64);
        Ok(RecordMeta {
            id,
            terms: u32_at(fixed, 24),
            bytes: u64_at(fixed, 0),
            stored,
        })
    }
}

/// A file being written whose 4 KiB pages are checksummed on the way.
struct PagedWriter {
    out: BufWriter<File>,
    pos: u64,
    page: Xxh3,
    fill: usize,
    sums: Vec<u64>,
}

impl PagedWriter {
    fn new(file: File) -> PagedWriter {
        PagedWriter {
            out: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
            page: Xxh3::new(),
            fill: 0,
            sums: Vec::new(),
        }
    }

    fn write(&mut self, mut b: &[u8]) -> std::io::Result<()> {
        self.out.write_all(b)?;
        self.pos += b.len() as u64;
        while !b.is_empty() {
            let n = (PAGE - self.fill).min(b.len());
            self.page.update(&b[..n]);
            self.fill += n;
            b = &b[n..];
            if self.fill == PAGE {
                self.sums.push(self.page.digest());
                self.page.reset();
                self.fill = 0;
            }
        }
        Ok(())
    }

    /// Zero bytes up to a multiple of 8.
    fn align(&mut self) -> std::io::Result<()> {
        let pad = (8 - (self.pos % 8) as usize) % 8;
        self.write(&[0u8; 8][..pad])
    }

    /// Closes the last page; returns the page checksums.
    fn close_pages(&mut self) -> Vec<u64> {
        if self.fill > 0 {
            self.sums.push(self.page.digest());
            self.page.reset();
            self.fill = 0;
        }
        std::mem::take(&mut self.sums)
    }
}

/// Builds a segment file: records first, then the two lists, each built
/// apart ([`ListWriter`], possibly on another thread) and appended.
pub(crate) struct SegmentWriter {
    w: PagedWriter,
    temp: PathBuf,
    path: PathBuf,
    docs: u32,
    written: u32,
    doc_table: Vec<u8>,
    ids: Vec<(u64, u32)>,
    sections: [(u64, u64); SECTIONS],
    records_start: u64,
    text_bytes: u64,
    stored_bytes: u64,
}

/// One inverted list being built apart from its segment: its lists and
/// its key blocks each go to a temporary file beside the segment, and
/// [`SegmentWriter::append_list`] copies them in. Building the two lists
/// apart lets them be built at the same time as each other and as the
/// records. The temporary files are removed when it is dropped.
pub(crate) struct ListWriter {
    which: List,
    lists_path: PathBuf,
    keys_path: PathBuf,
    lists: BufWriter<File>,
    keys: BufWriter<File>,
    units: u64,
    keys_len: u64,
    block: Vec<u8>,
    in_block: usize,
    prev: u64,
    /// Per block: first key, offset in the key blocks.
    dir: Vec<(u64, u64)>,
    scratch: Vec<u8>,
}

impl SegmentWriter {
    /// Starts the segment `path` (written to a temporary file beside it
    /// until [`finish`](Self::finish)) of `docs` documents.
    pub(crate) fn create(
        path: &Path,
        params: &IndexParams,
        seq: u64,
        docs: u32,
    ) -> std::io::Result<SegmentWriter> {
        let temp = crate::store::atomic::temp_path(path);
        let mut w = PagedWriter::new(File::create(&temp)?);
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(&MAGIC);
        put_params(&mut header, VERSION, params);
        header.extend_from_slice(&docs.to_le_bytes());
        header.extend_from_slice(&seq.to_le_bytes());
        header.resize(HEADER_LEN, 0);
        w.write(&header)?;
        Ok(SegmentWriter {
            records_start: w.pos,
            w,
            temp,
            path: path.to_path_buf(),
            docs,
            written: 0,
            doc_table: Vec::with_capacity(docs as usize * DOC_ENTRY),
            ids: Vec::with_capacity(docs as usize),
            sections: [(0, 0); SECTIONS],
            text_bytes: 0,
            stored_bytes: 0,
        })
    }

    /// Appends the next document: what the tables keep of it, and its
    /// encoded record ([`encode_record`]).
    pub(crate) fn record(&mut self, meta: RecordMeta<'_>, record: &[u8]) -> std::io::Result<()> {
        let at = self.w.pos;
        self.w.write(record)?;
        self.doc_table.extend_from_slice(&at.to_le_bytes());
        self.doc_table
            .extend_from_slice(&(record.len() as u32).to_le_bytes());
        self.doc_table.extend_from_slice(&meta.terms.to_le_bytes());
        self.ids.push((xxh3_64(meta.id.as_bytes()), self.written));
        self.text_bytes += meta.bytes;
        self.stored_bytes += meta.stored;
        self.written += 1;
        Ok(())
    }

    /// Ends the records: writes the docs, ids and deletes sections.
    pub(crate) fn end_records(&mut self, deletes: &[(u64, u32)]) -> std::io::Result<()> {
        if self.written != self.docs {
            return Err(std::io::Error::other(format!(
                "segment announced {} documents, got {}",
                self.docs, self.written
            )));
        }
        self.sections[Section::Records as usize] =
            (self.records_start, self.w.pos - self.records_start);
        self.w.align()?;
        let table = std::mem::take(&mut self.doc_table);
        self.section(Section::Docs, &table)?;
        self.ids.sort_unstable();
        let mut ids = Vec::with_capacity(self.ids.len() * ID_ENTRY);
        for &(h, d) in &self.ids {
            ids.extend_from_slice(&h.to_le_bytes());
            ids.extend_from_slice(&d.to_le_bytes());
        }
        self.ids = Vec::new();
        self.section(Section::Ids, &ids)?;
        let mut del = Vec::with_capacity(deletes.len() * DELETE_ENTRY);
        for &(seq, d) in deletes {
            del.extend_from_slice(&seq.to_le_bytes());
            del.extend_from_slice(&d.to_le_bytes());
        }
        self.section(Section::Deletes, &del)
    }

    fn section(&mut self, s: Section, bytes: &[u8]) -> std::io::Result<()> {
        self.w.align()?;
        self.sections[s as usize] = (self.w.pos, bytes.len() as u64);
        self.w.write(bytes)
    }

    /// Appends a finished list (postings before words): its lists, its
    /// key blocks and their directory.
    pub(crate) fn append_list(&mut self, mut l: ListWriter) -> std::io::Result<()> {
        l.flush_block()?;
        let (lists, keys, dir) = l.which.sections();
        self.w.align()?;
        let lists_start = self.w.pos;
        l.lists.flush()?;
        self.copy_in(&l.lists_path)?;
        self.sections[lists as usize] = (lists_start, self.w.pos - lists_start);
        let keys_start = self.w.pos;
        l.keys.flush()?;
        self.copy_in(&l.keys_path)?;
        self.sections[keys as usize] = (keys_start, self.w.pos - keys_start);
        let mut d = Vec::with_capacity(16 * l.dir.len());
        for &(first, at) in &l.dir {
            d.extend_from_slice(&first.to_le_bytes());
            d.extend_from_slice(&(keys_start + at).to_le_bytes());
        }
        self.section(dir, &d)
    }

    /// Copies the temporary file `path` in.
    fn copy_in(&mut self, path: &Path) -> std::io::Result<()> {
        let mut from = File::open(path)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = from.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            self.w.write(&buf[..n])?;
        }
    }

    /// Writes the checksums and the footer, syncs the file and renames it
    /// into place; returns the footer's checksum (the manifest keeps it).
    pub(crate) fn finish(mut self) -> std::io::Result<u64> {
        let sums = self.w.close_pages();
        let mut table = Vec::with_capacity(8 * sums.len());
        for s in &sums {
            table.extend_from_slice(&s.to_le_bytes());
        }
        self.w.out.write_all(&table)?;
        let mut footer = Vec::with_capacity(FOOTER_LEN);
        for &(at, len) in &self.sections {
            footer.extend_from_slice(&at.to_le_bytes());
            footer.extend_from_slice(&len.to_le_bytes());
        }
        footer.extend_from_slice(&self.text_bytes.to_le_bytes());
        footer.extend_from_slice(&self.stored_bytes.to_le_bytes());
        footer.extend_from_slice(&(sums.len() as u64).to_le_bytes());
        footer.extend_from_slice(&xxh3_64(&table).to_le_bytes());
        let sum = xxh3_64(&footer);
        footer.extend_from_slice(&sum.to_le_bytes());
        footer.extend_from_slice(&END_MAGIC);
        self.w.out.write_all(&footer)?;
        let file = self.w.out.into_inner().map_err(|e| e.into_error())?;
        crate::store::atomic::commit(file, &self.temp, &self.path)?;
        Ok(sum)
    }

    /// Removes the temporary file of a segment that will not be finished.
    pub(crate) fn abandon(self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

impl ListWriter {
    /// Starts list `which` of the segment `path`; keys follow in ascending
    /// order ([`key`](Self::key)).
    pub(crate) fn create(path: &Path, which: List) -> std::io::Result<ListWriter> {
        let name = match which {
            List::Postings => "postings",
            List::Words => "words",
        };
        let pid = std::process::id();
        let lists_path = path.with_extension(format!("{name}.lists.{pid}.tmp"));
        let keys_path = path.with_extension(format!("{name}.keys.{pid}.tmp"));
        let lists = File::create(&lists_path)?;
        let keys = match File::create(&keys_path) {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_file(&lists_path);
                return Err(e);
            }
        };
        Ok(ListWriter {
            which,
            lists: BufWriter::with_capacity(1 << 20, lists),
            keys: BufWriter::with_capacity(1 << 20, keys),
            lists_path,
            keys_path,
            units: 0,
            keys_len: 0,
            block: Vec::with_capacity(2048),
            in_block: 0,
            prev: 0,
            dir: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// Adds a key and its documents (ascending, not empty).
    pub(crate) fn key(&mut self, key: u64, docs: &[u32]) -> std::io::Result<()> {
        let value = if let [doc] = docs {
            u64::from(*doc) << 1 | 1
        } else {
            let v = self.units << 1;
            let b = &mut self.scratch;
            b.clear();
            b.extend_from_slice(&(docs.len() as u32).to_le_bytes());
            for d in docs {
                b.extend_from_slice(&d.to_le_bytes());
            }
            self.lists.write_all(b)?;
            self.units += 1 + docs.len() as u64;
            v
        };
        if self.in_block == 0 {
            self.dir.push((key, self.keys_len));
            self.prev = key;
        }
        put_varint(&mut self.block, key - self.prev);
        put_varint(&mut self.block, value);
        self.prev = key;
        self.in_block += 1;
        if self.in_block == BLOCK_KEYS {
            self.flush_block()?;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> std::io::Result<()> {
        if self.in_block > 0 {
            self.keys.write_all(&self.block)?;
            self.keys_len += self.block.len() as u64;
            self.block.clear();
            self.in_block = 0;
        }
        Ok(())
    }
}

impl Drop for ListWriter {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lists_path);
        let _ = std::fs::remove_file(&self.keys_path);
    }
}

/// Writes the documents of an index in memory as the segment `path`, with
/// `deletes` (documents of earlier segments it replaces); returns the
/// footer's checksum. The records and the two lists are written at the
/// same time.
pub(crate) fn write_index(
    path: &Path,
    index: &Index,
    seq: u64,
    deletes: &[(u64, u32)],
) -> std::io::Result<u64> {
    let mut w = SegmentWriter::create(path, index.params(), seq, index.docs().len() as u32)?;
    let list = |which: List, pairs: &[(u64, u32)]| -> std::io::Result<ListWriter> {
        let mut l = ListWriter::create(path, which)?;
        let mut docs = Vec::new();
        let mut at = 0;
        while at < pairs.len() {
            let key = pairs[at].0;
            docs.clear();
            while at < pairs.len() && pairs[at].0 == key {
                docs.push(pairs[at].1);
                at += 1;
            }
            l.key(key, &docs)?;
        }
        Ok(l)
    };
    // Threads of their own, not rayon's: `index add` writes a batch while
    // rayon's threads fingerprint the next one.
    let (records, postings, words) = std::thread::scope(|scope| {
        let postings = scope.spawn(|| list(List::Postings, index.posting_pairs()));
        let words = scope.spawn(|| list(List::Words, index.word_pairs()));
        let records = (|| -> std::io::Result<()> {
            let mut record = Vec::new();
            for doc in index.docs() {
                record.clear();
                encode_record(doc, &mut record);
                w.record(RecordMeta::of(doc), &record)?;
            }
            w.end_records(deletes)
        })();
        let joined = |h: std::thread::ScopedJoinHandle<'_, std::io::Result<ListWriter>>| {
            h.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a list writer panicked")))
        };
        (records, joined(postings), joined(words))
    });
    let result = (|| {
        records?;
        w.append_list(postings?)?;
        w.append_list(words?)
    })();
    match result {
        Ok(()) => w.finish(),
        Err(e) => {
            w.abandon();
            Err(e)
        }
    }
}

/// An open segment: its file mapped, its footer checked, its pages
/// checked as they are read.
pub(crate) struct Segment {
    path: PathBuf,
    map: memmap2::Mmap,
    params: IndexParams,
    seq: u64,
    docs: u32,
    sections: [(usize, usize); SECTIONS],
    /// Where the page checksums start (the end of the checked bytes).
    sums_at: usize,
    /// One bit per page: checked already.
    checked: Vec<AtomicU64>,
    footer_sum: u64,
    text_bytes: u64,
    stored_bytes: u64,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("path", &self.path)
            .field("seq", &self.seq)
            .field("docs", &self.docs)
            .finish()
    }
}

impl Segment {
    /// Maps the segment at `path` and checks its footer, the checksum of
    /// its page checksums and its header.
    pub(crate) fn open(path: &Path) -> Result<Segment> {
        let file = File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        // Safety: segments are immutable once renamed into place; the
        // archive never writes to a segment file again, only removes its
        // name, which leaves the mapping valid. A segment rewritten in
        // place by something else (a `cp` over it) could change under the
        // map: restore a segment by copying it beside and renaming it.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        // Lookups jump about the file: reading ahead would only map pages
        // that are never used into the process's memory.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Random);
        let bad = |message: String| Error::BadIndex {
            path: path.to_path_buf(),
            message,
        };
        let len = map.len();
        if len < HEADER_LEN + FOOTER_LEN || map[..8] != MAGIC {
            return Err(bad(
                "not a lineage archive segment (wrong magic bytes or truncated)".into(),
            ));
        }
        let footer = &map[len - FOOTER_LEN..];
        if footer[FOOTER_LEN - 8..] != END_MAGIC {
            return Err(bad("truncated segment (no footer)".into()));
        }
        let body = &footer[..FOOTER_LEN - 16];
        let footer_sum = u64_at(footer, FOOTER_LEN - 16);
        if xxh3_64(body) != footer_sum {
            return Err(bad("damaged segment footer (checksum mismatch)".into()));
        }
        let mut sections = [(0usize, 0usize); SECTIONS];
        for (i, s) in sections.iter_mut().enumerate() {
            let at = u64_at(body, 16 * i) as usize;
            let n = u64_at(body, 16 * i + 8) as usize;
            *s = (at, n);
        }
        let (text_bytes, stored_bytes) =
            (u64_at(body, SECTIONS * 16), u64_at(body, SECTIONS * 16 + 8));
        let pages = u64_at(body, SECTIONS * 16 + 16) as usize;
        let sums_len = pages
            .checked_mul(8)
            .filter(|&n| n <= len - FOOTER_LEN)
            .ok_or_else(|| bad("damaged segment footer (page count)".into()))?;
        let sums_at = len - FOOTER_LEN - sums_len;
        if sums_at.div_ceil(PAGE) != pages
            || xxh3_64(&map[sums_at..sums_at + sums_len]) != u64_at(body, SECTIONS * 16 + 24)
        {
            return Err(bad("damaged segment (page checksums do not match)".into()));
        }
        if sections.iter().any(|&(at, n)| {
            at.checked_add(n).is_none_or(|e| e > sums_at) || at < HEADER_LEN && n > 0
        }) {
            return Err(bad("damaged segment footer (section out of range)".into()));
        }
        let checked = (0..pages.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        let mut seg = Segment {
            path: path.to_path_buf(),
            map,
            params: IndexParams::default(),
            seq: 0,
            docs: 0,
            sections,
            sums_at,
            checked,
            footer_sum,
            text_bytes,
            stored_bytes,
        };
        let header = seg.bytes(0, HEADER_LEN)?;
        let (version, params) = get_params(header);
        if version != VERSION {
            return Err(bad(format!(
                "segment format version {version}, this lineage reads version {VERSION}"
            )));
        }
        let (docs, seq) = (u32_at(header, 32), u64_at(header, 36));
        seg.params = params;
        seg.docs = docs;
        seg.seq = seq;
        params
            .validate()
            .map_err(|e| bad(format!("damaged header ({e})")))?;
        let sizes = [
            (Section::Docs, docs as usize * DOC_ENTRY),
            (Section::Ids, docs as usize * ID_ENTRY),
        ];
        if sizes.iter().any(|&(s, n)| seg.sections[s as usize].1 != n)
            || !seg.sections[Section::Deletes as usize]
                .1
                .is_multiple_of(DELETE_ENTRY)
            || [Section::PostingDir, Section::WordDir]
                .iter()
                .any(|&s| !seg.sections[s as usize].1.is_multiple_of(16))
        {
            return Err(bad(
                "damaged segment (section sizes do not match the header)".into(),
            ));
        }
        Ok(seg)
    }

    /// `doc` when the segment holds it: a list naming a document past the
    /// end is damage, not another segment's document.
    fn doc_in_range(&self, doc: u32) -> Result<u32> {
        if doc < self.docs {
            Ok(doc)
        } else {
            Err(self.bad(format!("a list names document {doc} of {}", self.docs)))
        }
    }

    fn bad(&self, message: impl Into<String>) -> Error {
        Error::BadIndex {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// `len` bytes from `at`, their pages checked.
    fn bytes(&self, at: usize, len: usize) -> Result<&[u8]> {
        let end = at
            .checked_add(len)
            .filter(|&e| e <= self.sums_at)
            .ok_or_else(|| self.bad(format!("a read past the data at byte {at}")))?;
        if len > 0 {
            for page in at / PAGE..=(end - 1) / PAGE {
                self.check_page(page)?;
            }
        }
        Ok(&self.map[at..end])
    }

    fn check_page(&self, page: usize) -> Result<()> {
        let (word, bit) = (page / 64, 1u64 << (page % 64));
        if self.checked[word].load(Ordering::Relaxed) & bit != 0 {
            return Ok(());
        }
        let start = page * PAGE;
        let end = (start + PAGE).min(self.sums_at);
        let want = u64_at(&self.map, self.sums_at + 8 * page);
        if xxh3_64(&self.map[start..end]) != want {
            return Err(self.bad(format!(
                "damaged at bytes {start}..{end} (page checksum mismatch); restore it from a backup or rebuild the archive"
            )));
        }
        self.checked[word].fetch_or(bit, Ordering::Relaxed);
        Ok(())
    }

    fn section(&self, s: Section) -> Result<&[u8]> {
        let (at, n) = self.sections[s as usize];
        self.bytes(at, n)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Lets the system drop the mapped pages read so far from this
    /// process's memory (they stay in the page cache, and are read again
    /// when touched): a merge reads whole segments once, and would
    /// otherwise hold them all in its resident memory.
    pub(crate) fn release(&self) {
        #[cfg(unix)]
        {
            // Safety: the mapping is read-only and of a file that is never
            // modified; dropped pages read back the same bytes, so no
            // reference into the map sees other data.
            #[allow(unsafe_code)]
            let _ = unsafe {
                self.map
                    .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
            };
        }
        // Pages read back from the disk are checked again.
        for word in &self.checked {
            word.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn params(&self) -> &IndexParams {
        &self.params
    }

    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    pub(crate) fn docs(&self) -> u32 {
        self.docs
    }

    pub(crate) fn footer_sum(&self) -> u64 {
        self.footer_sum
    }

    /// Bytes of the file.
    pub(crate) fn file_bytes(&self) -> u64 {
        self.map.len() as u64
    }

    /// Bytes of the documents' texts, and of their stored (compressed)
    /// copies.
    pub(crate) fn text_bytes(&self) -> (u64, u64) {
        (self.text_bytes, self.stored_bytes)
    }

    /// Bytes of the two inverted lists (lists, keys and directories).
    pub(crate) fn list_bytes(&self) -> u64 {
        (Section::PostingLists as usize..=Section::WordDir as usize)
            .map(|s| self.sections[s].1 as u64)
            .sum()
    }

    fn doc_entry(&self, doc: u32) -> Result<(usize, usize, u32)> {
        if doc >= self.docs {
            return Err(self.bad(format!("document {doc} out of range")));
        }
        let (at, _) = self.sections[Section::Docs as usize];
        let e = self.bytes(at + DOC_ENTRY * doc as usize, DOC_ENTRY)?;
        Ok((u64_at(e, 0) as usize, u32_at(e, 8) as usize, u32_at(e, 12)))
    }

    /// Kept content-shingle hashes of document `doc`.
    pub(crate) fn terms(&self, doc: u32) -> Result<u32> {
        Ok(self.doc_entry(doc)?.2)
    }

    /// The raw record bytes of document `doc`.
    pub(crate) fn raw_record(&self, doc: u32) -> Result<&[u8]> {
        let (at, len, _) = self.doc_entry(doc)?;
        let (start, n) = self.sections[Section::Records as usize];
        if at < start || at.checked_add(len).is_none_or(|e| e > start + n) {
            return Err(self.bad(format!("record {doc} out of range")));
        }
        self.bytes(at, len)
    }

    /// The record of document `doc`.
    pub(crate) fn record(&self, doc: u32) -> Result<IndexedDoc> {
        decode_record(self.raw_record(doc)?).map_err(|m| self.bad(format!("record {doc}: {m}")))
    }

    /// The document whose id is `id`, if this segment holds one.
    pub(crate) fn find_id(&self, id: &str) -> Result<Option<u32>> {
        let h = xxh3_64(id.as_bytes());
        let (at, n) = self.sections[Section::Ids as usize];
        let count = n / ID_ENTRY;
        let entry = |i: usize| -> Result<(u64, u32)> {
            let e = self.bytes(at + ID_ENTRY * i, ID_ENTRY)?;
            Ok((u64_at(e, 0), u32_at(e, 8)))
        };
        let (mut lo, mut hi) = (0, count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if entry(mid)?.0 < h {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        while lo < count {
            let (k, doc) = entry(lo)?;
            if k != h {
                break;
            }
            // The id alone: the rest of the record, text included, is
            // not decoded.
            let record = self.raw_record(doc)?;
            let meta =
                RecordMeta::read(record).map_err(|m| self.bad(format!("record {doc}: {m}")))?;
            if meta.id == id {
                return Ok(Some(doc));
            }
            lo += 1;
        }
        Ok(None)
    }

    /// The documents of earlier segments this one replaces.
    pub(crate) fn deletes(&self) -> Result<Vec<(u64, u32)>> {
        let b = self.section(Section::Deletes)?;
        Ok(b.chunks_exact(DELETE_ENTRY)
            .map(|e| (u64_at(e, 0), u32_at(e, 8)))
            .collect())
    }

    fn dir_entry(&self, dir: (usize, usize), i: usize) -> Result<(u64, usize)> {
        let e = self.bytes(dir.0 + 16 * i, 16)?;
        Ok((u64_at(e, 0), u64_at(e, 8) as usize))
    }

    /// The byte range of key block `i` of a list.
    fn block(&self, which: List, i: usize) -> Result<(u64, &[u8])> {
        let (_, keys, dir) = which.sections();
        let dir = self.sections[dir as usize];
        let keys = self.sections[keys as usize];
        let blocks = dir.1 / 16;
        let (first, start) = self.dir_entry(dir, i)?;
        let end = if i + 1 < blocks {
            self.dir_entry(dir, i + 1)?.1
        } else {
            keys.0 + keys.1
        };
        if start < keys.0 || end < start || end > keys.0 + keys.1 {
            return Err(self.bad("damaged key directory"));
        }
        Ok((first, self.bytes(start, end - start)?))
    }

    /// The documents holding `key` in list `which`.
    pub(crate) fn lookup(&self, which: List, key: u64) -> Result<Option<DocList<'_>>> {
        let (_, _, dir_s) = which.sections();
        let dir = self.sections[dir_s as usize];
        let blocks = dir.1 / 16;
        // The last block whose first key is at most `key`.
        let (mut lo, mut hi) = (0, blocks);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.dir_entry(dir, mid)?.0 <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == 0 {
            return Ok(None);
        }
        let (first, block) = self.block(which, lo - 1)?;
        let mut at = 0;
        let mut k = first;
        while at < block.len() {
            let delta = varint(block, &mut at).ok_or_else(|| self.bad("damaged key block"))?;
            let value = varint(block, &mut at).ok_or_else(|| self.bad("damaged key block"))?;
            k = k
                .checked_add(delta)
                .ok_or_else(|| self.bad("damaged key block"))?;
            if k == key {
                return self.value(which, value).map(Some);
            }
            if k > key {
                break;
            }
        }
        Ok(None)
    }

    fn value(&self, which: List, value: u64) -> Result<DocList<'_>> {
        if value & 1 == 1 {
            let doc = value >> 1;
            if doc >= u64::from(self.docs) {
                return Err(self.bad("damaged key block (document out of range)"));
            }
            return Ok(DocList::One(doc as u32));
        }
        let (lists, _, _) = which.sections();
        let (start, n) = self.sections[lists as usize];
        let at = (value >> 1)
            .checked_mul(4)
            .filter(|&a| a.checked_add(4).is_some_and(|e| e <= n as u64))
            .ok_or_else(|| self.bad("damaged key block (list out of range)"))?
            as usize;
        let count = u32_at(self.bytes(start + at, 4)?, 0) as usize;
        if at + 4 + 4 * count > n {
            return Err(self.bad("damaged list (runs past its section)"));
        }
        Ok(DocList::Le {
            seg: self,
            at: start + at + 4,
            count,
        })
    }

    /// Every key of a list with its documents, in order (for merging and
    /// verifying).
    pub(crate) fn keys(&self, which: List) -> KeyIter<'_> {
        let (_, _, dir) = which.sections();
        KeyIter {
            seg: self,
            which,
            blocks: self.sections[dir as usize].1 / 16,
            block: 0,
            bytes: &[],
            at: 0,
            key: 0,
        }
    }

    /// Reads every byte: every page's checksum, every record, every key
    /// (ascending, documents ascending and in range).
    pub(crate) fn verify(&self) -> Result<()> {
        for page in 0..self.sums_at.div_ceil(PAGE) {
            self.check_page(page)?;
        }
        for doc in 0..self.docs {
            let r = self.record(doc)?;
            r.document(&self.path)?;
        }
        self.deletes()?;
        for which in [List::Postings, List::Words] {
            let mut prev: Option<u64> = None;
            for item in self.keys(which) {
                let (key, docs) = item?;
                if prev.is_some_and(|p| p >= key) || docs.len() == 0 {
                    return Err(self.bad("keys out of order"));
                }
                prev = Some(key);
                let (mut last, mut sound) = (None, true);
                docs.for_each(|d| {
                    sound &= d < self.docs && last.is_none_or(|l| l < d);
                    last = Some(d);
                })?;
                if !sound {
                    return Err(self.bad("a list out of order or out of range"));
                }
            }
        }
        Ok(())
    }
}

/// Iterates the keys of one list of a segment.
pub(crate) struct KeyIter<'a> {
    seg: &'a Segment,
    which: List,
    blocks: usize,
    block: usize,
    bytes: &'a [u8],
    at: usize,
    key: u64,
}

impl<'a> Iterator for KeyIter<'a> {
    type Item = Result<(u64, DocList<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            if self.block >= self.blocks {
                return None;
            }
            match self.seg.block(self.which, self.block) {
                Ok((first, bytes)) => {
                    self.key = first;
                    self.bytes = bytes;
                    self.at = 0;
                    self.block += 1;
                }
                Err(e) => {
                    self.block = self.blocks;
                    return Some(Err(e));
                }
            }
        }
        let bad = || Some(Err(self.seg.bad("damaged key block")));
        let Some(delta) = varint(self.bytes, &mut self.at) else {
            return bad();
        };
        let Some(value) = varint(self.bytes, &mut self.at) else {
            return bad();
        };
        let Some(key) = self.key.checked_add(delta) else {
            return bad();
        };
        self.key = key;
        Some(self.seg.value(self.which, value).map(|d| (key, d)))
    }
}

/// Merges `parts` (segments in archive order, each with the documents to
/// drop) into one segment at `path` that replaces the documents `deletes`
/// names in other segments; returns the footer's checksum and the number
/// of documents written. Streams: memory holds one key's documents and a
/// table per document, not the segments. The postings are merged while the
/// records, then the words, are (on rayon's threads).
pub(crate) fn merge(
    path: &Path,
    params: &IndexParams,
    seq: u64,
    parts: &[(&Segment, &dyn Fn(u32) -> bool)],
    deletes: &[(u64, u32)],
) -> Result<(u64, u32)> {
    let io = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    // New numbers of the live documents of each part.
    let mut maps: Vec<Vec<u32>> = Vec::with_capacity(parts.len());
    let mut next = 0u32;
    for (seg, deleted) in parts {
        let map = (0..seg.docs())
            .map(|d| {
                if deleted(d) {
                    u32::MAX
                } else {
                    next += 1;
                    next - 1
                }
            })
            .collect();
        maps.push(map);
    }
    let segs: Vec<&Segment> = parts.iter().map(|(s, _)| *s).collect();
    let mut w = SegmentWriter::create(path, params, seq, next).map_err(io)?;
    let (records_and_words, postings) = rayon::join(
        || -> Result<ListWriter> {
            for (seg, map) in segs.iter().zip(&maps) {
                for d in 0..seg.docs() {
                    if map[d as usize] == u32::MAX {
                        continue;
                    }
                    let rec = seg.raw_record(d)?;
                    let meta =
                        RecordMeta::read(rec).map_err(|m| seg.bad(format!("record {d}: {m}")))?;
                    w.record(meta, rec).map_err(io)?;
                    if d % RELEASE_EVERY == RELEASE_EVERY - 1 {
                        seg.release();
                    }
                }
                seg.release();
            }
            w.end_records(deletes).map_err(io)?;
            merge_list(path, List::Words, &segs, &maps)
        },
        || merge_list(path, List::Postings, &segs, &maps),
    );
    let result = (|| -> Result<()> {
        let words = records_and_words?;
        w.append_list(postings?).map_err(io)?;
        w.append_list(words).map_err(io)
    })();
    match result {
        Ok(()) => Ok((w.finish().map_err(io)?, next)),
        Err(e) => {
            w.abandon();
            Err(e)
        }
    }
}

/// Merges list `which` of `segs`, renumbering documents by `maps`
/// (`u32::MAX`: dropped).
fn merge_list(
    path: &Path,
    which: List,
    segs: &[&Segment],
    maps: &[Vec<u32>],
) -> Result<ListWriter> {
    let io = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut w = ListWriter::create(path, which).map_err(io)?;
    let mut iters: Vec<_> = segs.iter().map(|s| s.keys(which)).collect();
    let mut heads: Vec<Option<(u64, DocList<'_>)>> = Vec::with_capacity(iters.len());
    // The parts' next keys, smallest first (then by part, so that
    // documents come out ascending).
    let mut next = std::collections::BinaryHeap::new();
    for (i, it) in iters.iter_mut().enumerate() {
        let head = it.next().transpose()?;
        if let Some((k, _)) = head {
            next.push(std::cmp::Reverse((k, i)));
        }
        heads.push(head);
    }
    let mut docs = Vec::new();
    let mut read = 0usize;
    while let Some(&std::cmp::Reverse((key, _))) = next.peek() {
        docs.clear();
        while let Some(mut top) = next.peek_mut() {
            let std::cmp::Reverse((k, i)) = *top;
            if k != key {
                break;
            }
            if let Some((_, list)) = heads[i].take() {
                let map = &maps[i];
                list.for_each(|d| {
                    let d = map.get(d as usize).copied().unwrap_or(u32::MAX);
                    if d != u32::MAX {
                        docs.push(d);
                    }
                })?;
            }
            heads[i] = iters[i].next().transpose()?;
            match heads[i] {
                // The part's next key replaces it at the top: one sift
                // instead of a pop and a push.
                Some((k2, _)) if k2 > key => *top = std::cmp::Reverse((k2, i)),
                Some(_) => return Err(segs[i].bad("keys out of order")),
                None => {
                    std::collections::binary_heap::PeekMut::pop(top);
                }
            }
        }
        if !docs.is_empty() {
            w.key(key, &docs).map_err(io)?;
        }
        // Keys and postings read since the last release, about 4 MB of
        // mapped pages per 65,536.
        read += 1 + docs.len();
        if read >= 16 * RELEASE_EVERY as usize {
            segs.iter().for_each(|s| s.release());
            read = 0;
        }
    }
    Ok(w)
}
