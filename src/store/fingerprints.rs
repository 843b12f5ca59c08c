//! Fingerprint files: the versioned binary format `lineage sketch` writes and
//! `lineage dedup` (and later an archive index) reads back.
//!
//! In: [`DocFingerprint`]s, one per document, in input order. Out: a file
//! whose bytes depend only on the documents and the parameters (never on the
//! number of threads or the time), checked end to end by a checksum.
//!
//! Layout, all integers little-endian:
//!
//! ```text
//! header   magic     8 bytes  89 'L' 'N' 'G' 'F' 'P' '\r' '\n'
//!          version   u16      1
//!          flags     u16      bit 0: records carry their shingle sets
//!          num_perm  u32      signature slots, K
//!          shingle   u32      words per raw shingle
//!          seed      u64      seed of the shingle and slot hashes
//!          scheme    u8       0 = one-permutation hashing, densified
//!          reserved  3 bytes  zero
//! record   tag       u8       1
//!          id        u32 length + UTF-8 bytes
//!          date      u32 length + UTF-8 bytes (length 0xFFFF_FFFF: unknown)
//!          bytes     u64      length of the text in bytes
//!          tokens    u64      words
//!          shingles  u64      raw shingles (with repeats)
//!          slots     K x u32  the signature
//!          set       u32 count + count x u64, sorted distinct shingle
//!                             hashes (only when flag bit 0 is set)
//! end      tag       u8       0
//!          records   u64      number of records
//!          checksum  u64      xxh3-64 of every byte before it
//! ```
//!
//! The magic's first byte is not ASCII and it holds `\r\n`, so a text file
//! is never taken for a fingerprint file and a newline-mangling transfer is
//! caught at once (the PNG trick). Readers refuse versions they do not know.
//! [`FingerprintWriter`] writes to a temporary file beside the target,
//! syncs it and renames it into place, so a reader never sees half a file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use crate::error::{Error, Result};
use crate::sketch::{DocFingerprint, Scheme, SketchParams};
use crate::store::atomic::{BackgroundSync, SYNC_EVERY};

/// First bytes of every fingerprint file.
pub(crate) const MAGIC: [u8; 8] = [0x89, b'L', b'N', b'G', b'F', b'P', b'\r', b'\n'];

/// The format version this library writes (and the only one it reads).
pub(crate) const VERSION: u16 = 1;

const FLAG_SHINGLE_SETS: u16 = 1;
const TAG_RECORD: u8 = 1;
const TAG_END: u8 = 0;
const NO_DATE: u32 = u32::MAX;
/// Longest id or date accepted when reading (guards against corrupt lengths).
const MAX_STRING: u32 = 1 << 20;
/// Largest shingle set accepted when reading.
const MAX_SET: u32 = 1 << 28;

/// What every record of a file was computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FingerprintHeader {
    /// Format version.
    pub(crate) version: u16,
    /// Shingle size, seed, slots and scheme of every signature.
    pub params: SketchParams,
    /// Whether records carry their sorted distinct shingle hashes, which
    /// exact verification needs.
    pub shingle_sets: bool,
}

impl FingerprintHeader {
    /// A header for the current version.
    pub fn new(params: SketchParams, shingle_sets: bool) -> FingerprintHeader {
        FingerprintHeader {
            version: VERSION,
            params,
            shingle_sets,
        }
    }
}

/// Writes the format to any [`Write`]; see [`FingerprintWriter`] for files.
pub struct FingerprintEncoder<W: Write> {
    out: W,
    hasher: Xxh3,
    header: FingerprintHeader,
    records: u64,
    /// The record being encoded, reused from record to record.
    scratch: Vec<u8>,
}

impl<W: Write> FingerprintEncoder<W> {
    /// Writes the header.
    pub fn new(out: W, header: FingerprintHeader) -> std::io::Result<Self> {
        let mut enc = FingerprintEncoder {
            out,
            hasher: Xxh3::new(),
            header,
            records: 0,
            scratch: Vec::new(),
        };
        let p = header.params;
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&header.version.to_le_bytes());
        let flags = if header.shingle_sets {
            FLAG_SHINGLE_SETS
        } else {
            0
        };
        bytes.extend_from_slice(&flags.to_le_bytes());
        bytes.extend_from_slice(&(p.num_perm as u32).to_le_bytes());
        bytes.extend_from_slice(&(p.shingle_size as u32).to_le_bytes());
        bytes.extend_from_slice(&p.seed.to_le_bytes());
        bytes.push(scheme_code(p.scheme));
        bytes.extend_from_slice(&[0, 0, 0]);
        enc.put(&bytes)?;
        Ok(enc)
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.out.write_all(bytes)
    }

    /// Appends one record. Its slot count must match the header, and it
    /// must carry a shingle set exactly when the header says so.
    pub fn write(&mut self, doc: &DocFingerprint) -> std::io::Result<()> {
        if doc.slots.len() != self.header.params.num_perm
            || doc.shingle_set.is_some() != self.header.shingle_sets
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "fingerprint of {} does not match the file's parameters",
                    doc.id
                ),
            ));
        }
        let set_len = doc.shingle_set.as_ref().map_or(0, |s| 4 + 8 * s.len());
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        bytes.reserve(64 + doc.id.len() + 4 * doc.slots.len() + set_len);
        bytes.push(TAG_RECORD);
        put_str(&mut bytes, Some(&doc.id));
        put_str(&mut bytes, doc.date.as_deref());
        bytes.extend_from_slice(&doc.bytes.to_le_bytes());
        bytes.extend_from_slice(&doc.tokens.to_le_bytes());
        bytes.extend_from_slice(&doc.shingles.to_le_bytes());
        let at = bytes.len();
        bytes.resize(at + 4 * doc.slots.len(), 0);
        for (dst, slot) in bytes[at..].chunks_exact_mut(4).zip(&doc.slots) {
            dst.copy_from_slice(&slot.to_le_bytes());
        }
        if let Some(set) = &doc.shingle_set {
            bytes.extend_from_slice(&(set.len() as u32).to_le_bytes());
            let at = bytes.len();
            bytes.resize(at + 8 * set.len(), 0);
            for (dst, h) in bytes[at..].chunks_exact_mut(8).zip(set) {
                dst.copy_from_slice(&h.to_le_bytes());
            }
        }
        let written = self.put(&bytes);
        self.scratch = bytes;
        written?;
        self.records += 1;
        Ok(())
    }

    /// Writes the end marker, count and checksum; returns the output and
    /// the number of records.
    pub fn finish(mut self) -> std::io::Result<(W, u64)> {
        let mut bytes = vec![TAG_END];
        bytes.extend_from_slice(&self.records.to_le_bytes());
        self.put(&bytes)?;
        let checksum = self.hasher.digest();
        self.out.write_all(&checksum.to_le_bytes())?;
        self.out.flush()?;
        Ok((self.out, self.records))
    }
}

impl<W: Write> std::fmt::Debug for FingerprintEncoder<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintEncoder")
            .field("header", &self.header)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

fn put_str(bytes: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            // Ids and dates longer than 1 MiB are cut (at a char boundary)
            // so that readers can bound what they allocate.
            let mut end = s.len().min(MAX_STRING as usize);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            bytes.extend_from_slice(&(end as u32).to_le_bytes());
            bytes.extend_from_slice(&s.as_bytes()[..end]);
        }
        None => bytes.extend_from_slice(&NO_DATE.to_le_bytes()),
    }
}

fn scheme_code(scheme: Scheme) -> u8 {
    match scheme {
        Scheme::OnePermutationDensified => 0,
    }
}

/// Writes a fingerprint file atomically: to `.NAME.tmp` beside the target,
/// then fsync and rename. Dropped without [`finish`](Self::finish), it
/// removes the temporary file.
///
/// # Examples
///
/// ```
/// use lineage::store::fingerprints::{read_fingerprints, FingerprintHeader, FingerprintWriter};
/// use lineage::{pipeline::sketch, sketch::SketchParams, Document};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("docs.lfp");
/// let docs = sketch(&[Document::new("a", "the quick brown fox")], SketchParams::default(), false)?;
/// let mut writer = FingerprintWriter::create(&path, FingerprintHeader::new(SketchParams::default(), false))?;
/// writer.write(&docs[0])?;
/// assert_eq!(writer.finish()?, 1);
/// assert_eq!(read_fingerprints(&path)?.1, docs);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FingerprintWriter {
    encoder: Option<FingerprintEncoder<BufWriter<File>>>,
    path: PathBuf,
    temp: PathBuf,
    /// Syncs what was written so far while the rest is written.
    sync: BackgroundSync,
}

impl FingerprintWriter {
    /// Starts a file at `path`.
    pub fn create(path: &Path, header: FingerprintHeader) -> Result<FingerprintWriter> {
        crate::store::atomic::remove_dead_temps(path);
        let temp = crate::store::atomic::temp_path(path);
        let write_err = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        let file = File::create(&temp).map_err(write_err)?;
        let encoder = FingerprintEncoder::new(BufWriter::with_capacity(1 << 20, file), header)
            .map_err(write_err)?;
        Ok(FingerprintWriter {
            encoder: Some(encoder),
            path: path.to_path_buf(),
            temp,
            sync: BackgroundSync::new(SYNC_EVERY),
        })
    }

    fn write_err(&self, source: std::io::Error) -> Error {
        Error::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Appends one record.
    pub fn write(&mut self, doc: &DocFingerprint) -> Result<()> {
        let Some(enc) = self.encoder.as_mut() else {
            return Ok(());
        };
        let result = enc.write(doc).and_then(|()| {
            if !self.sync.due(4 * doc.slots.len() + doc.id.len() + 64) {
                return Ok(());
            }
            enc.out.flush()?;
            self.sync.start(enc.out.get_ref())
        });
        result.map_err(|e| self.write_err(e))
    }

    /// Ends the file, syncs it to disk and renames it into place; returns
    /// the number of records.
    pub fn finish(mut self) -> Result<u64> {
        let Some(encoder) = self.encoder.take() else {
            return Ok(0);
        };
        let (out, records) = encoder.finish().map_err(|e| self.write_err(e))?;
        self.sync.wait().map_err(|e| self.write_err(e))?;
        let file = out
            .into_inner()
            .map_err(|e| self.write_err(e.into_error()))?;
        crate::store::atomic::commit(file, &self.temp, &self.path)
            .map_err(|e| self.write_err(e))?;
        Ok(records)
    }
}

impl Drop for FingerprintWriter {
    fn drop(&mut self) {
        if self.encoder.is_some() {
            crate::store::atomic::discard(&self.temp, &self.path);
        }
    }
}

/// Whether the file at `path` starts with the fingerprint magic.
pub fn is_fingerprint_file(path: &Path) -> bool {
    let mut head = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == MAGIC
}

/// Streams the records of a fingerprint file, checking the checksum and
/// count at the end (the last item is an error when they do not match).
///
/// # Examples
///
/// Records one at a time, from any reader:
///
/// ```
/// use lineage::store::fingerprints::{FingerprintEncoder, FingerprintHeader, FingerprintReader};
/// use lineage::{pipeline::sketch, sketch::SketchParams, Document};
///
/// let docs = sketch(&[Document::new("a", "the quick brown fox")], SketchParams::default(), false)?;
/// let mut encoder = FingerprintEncoder::new(Vec::new(), FingerprintHeader::new(SketchParams::default(), false))?;
/// encoder.write(&docs[0])?;
/// let (bytes, _) = encoder.finish()?;
/// let reader = FingerprintReader::new(bytes.as_slice(), "memory".as_ref())?;
/// assert_eq!(reader.collect::<Result<Vec<_>, _>>()?, docs);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FingerprintReader<R: Read> {
    input: R,
    path: PathBuf,
    hasher: Xxh3,
    header: FingerprintHeader,
    records: u64,
    done: bool,
}

impl FingerprintReader<BufReader<File>> {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        FingerprintReader::new(BufReader::with_capacity(1 << 20, file), path)
    }
}

impl<R: Read> FingerprintReader<R> {
    /// Reads the header from `input`; `path` names the input in errors.
    pub fn new(mut input: R, path: &Path) -> Result<Self> {
        let corrupt = |message: String| Error::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        let mut head = [0u8; 32];
        input
            .read_exact(&mut head)
            .map_err(|_| corrupt("too short for a header".into()))?;
        if head[..8] != MAGIC {
            return Err(corrupt("no fingerprint magic at the start".into()));
        }
        let version = u16::from_le_bytes([head[8], head[9]]);
        if version != VERSION {
            return Err(corrupt(format!(
                "format version {version}, this lineage reads version {VERSION}"
            )));
        }
        let flags = u16::from_le_bytes([head[10], head[11]]);
        let num_perm = u32::from_le_bytes([head[12], head[13], head[14], head[15]]) as usize;
        let shingle_size = u32::from_le_bytes([head[16], head[17], head[18], head[19]]) as usize;
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&head[20..28]);
        let scheme = match head[28] {
            0 => Scheme::OnePermutationDensified,
            other => return Err(corrupt(format!("unknown sketch scheme {other}"))),
        };
        let params = SketchParams {
            num_perm,
            shingle_size,
            seed: u64::from_le_bytes(seed),
            scheme,
        };
        params.validate().map_err(|e| corrupt(e.to_string()))?;
        let mut hasher = Xxh3::new();
        hasher.update(&head);
        Ok(FingerprintReader {
            input,
            path: path.to_path_buf(),
            hasher,
            header: FingerprintHeader {
                version,
                params,
                shingle_sets: flags & FLAG_SHINGLE_SETS != 0,
            },
            records: 0,
            done: false,
        })
    }

    /// The file's header.
    pub(crate) fn header(&self) -> &FingerprintHeader {
        &self.header
    }

    fn corrupt(&self, message: impl Into<String>) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            message: format!("record {}: {}", self.records + 1, message.into()),
        }
    }

    fn take(&mut self, buf: &mut [u8]) -> Result<()> {
        match self.input.read_exact(buf) {
            Ok(()) => {
                self.hasher.update(buf);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(self.corrupt("file ends early (truncated?)"))
            }
            Err(source) => Err(Error::Read {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Reads `len` bytes, growing the buffer as they arrive: a damaged
    /// length costs what the file holds, never an allocation of its own.
    fn take_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        const STEP: usize = 1 << 20;
        let mut buf = Vec::with_capacity(len.min(STEP));
        while buf.len() < len {
            let start = buf.len();
            buf.resize(start + (len - start).min(STEP), 0);
            self.take(&mut buf[start..])?;
        }
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.take(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.take(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn string(&mut self) -> Result<Option<String>> {
        let len = self.u32()?;
        if len == NO_DATE {
            return Ok(None);
        }
        if len > MAX_STRING {
            return Err(self.corrupt(format!("string of {len} bytes")));
        }
        let mut buf = vec![0u8; len as usize];
        self.take(&mut buf)?;
        String::from_utf8(buf)
            .map(Some)
            .map_err(|_| self.corrupt("string is not UTF-8"))
    }

    fn record(&mut self) -> Result<Option<DocFingerprint>> {
        let mut tag = [0u8; 1];
        self.take(&mut tag)?;
        match tag[0] {
            TAG_RECORD => {}
            TAG_END => {
                let count = self.u64()?;
                let expected = self.hasher.digest();
                let mut b = [0u8; 8];
                self.input
                    .read_exact(&mut b)
                    .map_err(|_| self.corrupt("checksum missing (truncated?)"))?;
                if u64::from_le_bytes(b) != expected {
                    return Err(self.corrupt("checksum mismatch: the file is damaged"));
                }
                if count != self.records {
                    return Err(self.corrupt(format!(
                        "{} records, the end marker says {count}",
                        self.records
                    )));
                }
                return Ok(None);
            }
            other => return Err(self.corrupt(format!("unknown tag {other}"))),
        }
        let id = self
            .string()?
            .ok_or_else(|| self.corrupt("record has no id"))?;
        let date = self.string()?;
        let bytes = self.u64()?;
        let tokens = self.u64()?;
        let shingles = self.u64()?;
        let k = self.header.params.num_perm;
        let mut raw = vec![0u8; 4 * k];
        self.take(&mut raw)?;
        let slots = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let shingle_set = if self.header.shingle_sets {
            let n = self.u32()?;
            if n > MAX_SET {
                return Err(self.corrupt(format!("shingle set of {n} hashes")));
            }
            let raw = self.take_vec(8 * n as usize)?;
            let set: Vec<u64> = raw
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect();
            if set.windows(2).any(|w| w[0] >= w[1]) {
                return Err(self.corrupt("shingle set is not sorted"));
            }
            Some(set)
        } else {
            None
        };
        self.records += 1;
        Ok(Some(DocFingerprint {
            id,
            date,
            bytes,
            tokens,
            shingles,
            slots,
            shingle_set,
        }))
    }
}

impl<R: Read> Iterator for FingerprintReader<R> {
    type Item = Result<DocFingerprint>;

    fn next(&mut self) -> Option<Result<DocFingerprint>> {
        if self.done {
            return None;
        }
        match self.record() {
            Ok(Some(doc)) => Some(Ok(doc)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: Read> std::fmt::Debug for FingerprintReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintReader")
            .field("path", &self.path)
            .field("header", &self.header)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

/// Reads a whole fingerprint file.
pub fn read_fingerprints(path: &Path) -> Result<(FingerprintHeader, Vec<DocFingerprint>)> {
    let reader = FingerprintReader::open(path)?;
    let header = *reader.header();
    let docs = reader.collect::<Result<Vec<_>>>()?;
    Ok((header, docs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, sets: bool) -> DocFingerprint {
        DocFingerprint {
            id: id.into(),
            date: (id == "b").then(|| "2020-01-02".to_string()),
            bytes: 10,
            tokens: 3,
            shingles: 1,
            slots: (0..8).collect(),
            shingle_set: sets.then(|| vec![1, 5, 9]),
        }
    }

    fn params() -> SketchParams {
        SketchParams {
            num_perm: 8,
            ..SketchParams::default()
        }
    }

    fn encode(sets: bool) -> Vec<u8> {
        let mut enc =
            FingerprintEncoder::new(Vec::new(), FingerprintHeader::new(params(), sets)).unwrap();
        enc.write(&doc("a", sets)).unwrap();
        enc.write(&doc("b", sets)).unwrap();
        enc.finish().unwrap().0
    }

    fn decode(bytes: &[u8]) -> Result<(FingerprintHeader, Vec<DocFingerprint>)> {
        let r = FingerprintReader::new(bytes, Path::new("x.lfp"))?;
        let h = *r.header();
        Ok((h, r.collect::<Result<Vec<_>>>()?))
    }

    #[test]
    fn round_trips() {
        for sets in [false, true] {
            let (h, docs) = decode(&encode(sets)).unwrap();
            assert_eq!(h, FingerprintHeader::new(params(), sets));
            assert_eq!(docs, vec![doc("a", sets), doc("b", sets)]);
        }
    }

    #[test]
    fn damage_is_detected() {
        let bytes = encode(true);
        for i in [9, 40, bytes.len() - 12, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(decode(&bad).is_err(), "flip at {i}");
        }
        let err = decode(&bytes[..bytes.len() - 20]).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        assert!(decode(b"hello world, not a fingerprint file").is_err());
    }

    #[test]
    fn writer_renames_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.lfp");
        let mut w =
            FingerprintWriter::create(&path, FingerprintHeader::new(params(), false)).unwrap();
        w.write(&doc("a", false)).unwrap();
        assert!(!path.exists());
        assert_eq!(w.finish().unwrap(), 1);
        assert!(is_fingerprint_file(&path));
        let (_, docs) = read_fingerprints(&path).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn mismatched_record_is_refused() {
        let mut enc =
            FingerprintEncoder::new(Vec::new(), FingerprintHeader::new(params(), false)).unwrap();
        assert!(enc.write(&doc("a", true)).is_err());
    }
}
