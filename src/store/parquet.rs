//! Fingerprints and clusters as Apache Parquet, for engines that are not
//! lineage (Spark, DuckDB, pandas).
//!
//! In: [`DocFingerprint`]s with their [`SketchParams`] and the LSH
//! `Banding` to key them for. Out: a Parquet file of one row per document,
//! written in row groups of `ParquetSketchWriter::ROW_GROUP_DOCS` as the
//! documents stream (encoded on a writer thread of its own when a core is
//! free for it, so encoding overlaps sketching, or else inline), to a
//! temporary file that is synced and renamed into
//! place (like [`crate::store::fingerprints::FingerprintWriter`]). Also the way
//! back: [`read_parquet_sketch`] reads such a file, and
//! [`read_cluster_assignments`] reads the `id, cluster` file (or folder of
//! part files) a Spark job writes.
//!
//! Schema (the names Spark, DuckDB and pandas see):
//!
//! ```text
//! message lineage_sketch {
//!   required binary id (STRING);
//!   optional binary date (STRING);
//!   required int64 bytes;
//!   required int64 tokens;
//!   required int64 shingles;
//!   required group signature (LIST)   { repeated group list { required int32 element (INTEGER(32,false)); } }
//!   required group band_keys (LIST)   { repeated group list { required int64 element; } }
//!   required group shingle_set (LIST) { repeated group list { required int64 element; } }  -- only with shingle sets
//! }
//! ```
//!
//! * `signature`: the K slots as unsigned 32-bit integers (Spark reads them
//!   as `bigint`, DuckDB as `UINTEGER`, pyarrow as `uint32`). An empty slot
//!   is 4294967295.
//! * `band_keys`: one key per LSH band, in band order, from
//!   [`crate::lsh::band_key`]. The keys are unsigned 64-bit hashes stored as
//!   signed `int64` with the same bits, because Spark has no unsigned 64-bit
//!   type (it would read `UINT_64` as `decimal(20,0)`, slow to join);
//!   equality, all a join needs, is unchanged. A document without shingles
//!   has no band keys, so it never pairs, as in `lineage dedup`.
//! * `shingle_set`: the sorted distinct shingle hashes, same bit-cast, for
//!   exact verification (only when asked for: 8 bytes per shingle).
//!
//! The file's key-value metadata names every parameter, so a job reading it
//! needs nothing else: see `MetadataKey`.
//! Pages are uncompressed: signatures and keys are random bits, which no
//! codec shrinks, and skipping it keeps writing as fast as the native file.
//! The scalar columns go through the `parquet` crate's column writers; the
//! list columns are encoded here, one PLAIN data page per row group whose
//! levels follow from the row lengths, because the crate's writer spent
//! more on their levels than on their values (see `list_chunk`).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, EncodingMask, PageType};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::metadata::{ColumnChunkMetaData, KeyValue, PageEncodingStats};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::reader::{ChunkReader, FileReader, Length, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnDescPtr;

use crate::corpus::dedup::ClusterAssignment;
use crate::error::{Error, Result};
use crate::lsh::{band_keys_into, lsh_params_for, min_equal_slots, LshParams, LshWeights};
use crate::sketch::DocFingerprint;
use crate::sketch::{Scheme, SketchParams, EMPTY_SLOT};
use crate::source::untrusted;
use crate::store::atomic::{commit, temp_path, BackgroundSync, SYNC_EVERY};

/// The value of [`MetadataKey::Format`] in files this library writes.
pub(crate) const FORMAT: &str = "lineage-sketch/1";

/// Keys of the file's key-value metadata, all prefixed `lineage.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetadataKey {
    /// `lineage.format`: [`FORMAT`].
    Format,
    /// `lineage.version`: the lineage version that wrote the file.
    Version,
    /// `lineage.num_perm`: signature slots, K.
    NumPerm,
    /// `lineage.shingle_size`: words per shingle.
    ShingleSize,
    /// `lineage.seed`: seed of the shingle and slot hashes.
    Seed,
    /// `lineage.scheme`: the sketching scheme.
    Scheme,
    /// `lineage.threshold`: the Jaccard threshold the bands were chosen for.
    Threshold,
    /// `lineage.bands`: LSH bands, b (= band keys per document).
    Bands,
    /// `lineage.rows_per_band`: signature slots per band, r.
    RowsPerBand,
    /// `lineage.false_positive_weight`: weight of false positives when the
    /// bands were chosen.
    FalsePositiveWeight,
    /// `lineage.false_negative_weight`: weight of false negatives.
    FalseNegativeWeight,
    /// `lineage.min_equal_slots`: the fewest equal signature slots for which
    /// a pair passes verification at the threshold (see
    /// [`min_equal_slots`]); compare integers with it to agree with
    /// `lineage dedup` exactly.
    MinEqualSlots,
    /// `lineage.shingle_sets`: `true` when rows carry `shingle_set`.
    ShingleSets,
    /// `lineage.band_key_encoding`: how band keys are stored.
    BandKeyEncoding,
}

impl MetadataKey {
    /// Every key, in the order they are written.
    pub(crate) const ALL: [MetadataKey; 14] = [
        MetadataKey::Format,
        MetadataKey::Version,
        MetadataKey::NumPerm,
        MetadataKey::ShingleSize,
        MetadataKey::Seed,
        MetadataKey::Scheme,
        MetadataKey::Threshold,
        MetadataKey::Bands,
        MetadataKey::RowsPerBand,
        MetadataKey::FalsePositiveWeight,
        MetadataKey::FalseNegativeWeight,
        MetadataKey::MinEqualSlots,
        MetadataKey::ShingleSets,
        MetadataKey::BandKeyEncoding,
    ];

    /// The key as written in the file.
    pub(crate) fn name(self) -> &'static str {
        match self {
            MetadataKey::Format => "lineage.format",
            MetadataKey::Version => "lineage.version",
            MetadataKey::NumPerm => "lineage.num_perm",
            MetadataKey::ShingleSize => "lineage.shingle_size",
            MetadataKey::Seed => "lineage.seed",
            MetadataKey::Scheme => "lineage.scheme",
            MetadataKey::Threshold => "lineage.threshold",
            MetadataKey::Bands => "lineage.bands",
            MetadataKey::RowsPerBand => "lineage.rows_per_band",
            MetadataKey::FalsePositiveWeight => "lineage.false_positive_weight",
            MetadataKey::FalseNegativeWeight => "lineage.false_negative_weight",
            MetadataKey::MinEqualSlots => "lineage.min_equal_slots",
            MetadataKey::ShingleSets => "lineage.shingle_sets",
            MetadataKey::BandKeyEncoding => "lineage.band_key_encoding",
        }
    }
}

/// What `lineage.band_key_encoding` says.
pub(crate) const BAND_KEY_ENCODING: &str =
    "int64 holding the bits of the u64 band key, one per band in band order; none for a document without shingles";

/// The LSH banding a sketch's band keys are computed for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Banding {
    /// The Jaccard threshold the bands were chosen for.
    pub(crate) threshold: f64,
    /// The error weights they were chosen with.
    pub(crate) weights: LshWeights,
    /// Bands and rows.
    pub(crate) lsh: LshParams,
}

impl Banding {
    /// The banding `lineage dedup` uses at `threshold` with `weights`
    /// ([`lsh_params_for`]).
    pub(crate) fn for_threshold(
        threshold: f64,
        num_perm: usize,
        weights: LshWeights,
    ) -> Result<Banding> {
        check_threshold(threshold)?;
        let lsh = lsh_params_for(threshold, num_perm, weights)?;
        lsh.validate(num_perm)?;
        Ok(Banding {
            threshold,
            weights,
            lsh,
        })
    }
}

/// The parameters a Parquet sketch records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParquetSketchHeader {
    /// Shingle size, seed, slots and scheme of every signature.
    pub params: SketchParams,
    /// The banding of the band keys.
    pub(crate) banding: Banding,
    /// Whether rows carry their shingle sets.
    pub shingle_sets: bool,
}

impl ParquetSketchHeader {
    /// The key-value metadata naming every parameter.
    pub(crate) fn metadata(&self) -> Vec<KeyValue> {
        MetadataKey::ALL
            .iter()
            .map(|&key| KeyValue::new(key.name().to_string(), self.value(key)))
            .collect()
    }

    fn value(&self, key: MetadataKey) -> String {
        let (p, b) = (&self.params, &self.banding);
        match key {
            MetadataKey::Format => FORMAT.to_string(),
            MetadataKey::Version => env!("CARGO_PKG_VERSION").to_string(),
            MetadataKey::NumPerm => p.num_perm.to_string(),
            MetadataKey::ShingleSize => p.shingle_size.to_string(),
            MetadataKey::Seed => p.seed.to_string(),
            MetadataKey::Scheme => scheme_name(p.scheme).to_string(),
            MetadataKey::Threshold => b.threshold.to_string(),
            MetadataKey::Bands => b.lsh.bands.to_string(),
            MetadataKey::RowsPerBand => b.lsh.rows_per_band.to_string(),
            MetadataKey::FalsePositiveWeight => b.weights.false_positive.to_string(),
            MetadataKey::FalseNegativeWeight => b.weights.false_negative.to_string(),
            MetadataKey::MinEqualSlots => min_equal_slots(b.threshold, p.num_perm).to_string(),
            MetadataKey::ShingleSets => self.shingle_sets.to_string(),
            MetadataKey::BandKeyEncoding => BAND_KEY_ENCODING.to_string(),
        }
    }

    /// The Parquet schema of the rows.
    fn schema(&self) -> String {
        let list = |name: &str, element: &str| {
            format!(
                "required group {name} (LIST) {{ repeated group list {{ required {element}; }} }}"
            )
        };
        let mut s = String::from(
            "message lineage_sketch { required binary id (STRING); optional binary date (STRING); \
             required int64 bytes; required int64 tokens; required int64 shingles; ",
        );
        s.push_str(&list("signature", "int32 element (INTEGER(32,false))"));
        s.push_str(&list("band_keys", "int64 element"));
        if self.shingle_sets {
            s.push_str(&list("shingle_set", "int64 element"));
        }
        s.push_str(" }");
        s
    }
}

fn check_threshold(threshold: f64) -> Result<()> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(Error::InvalidParam(format!(
            "threshold must be in (0, 1], got {threshold}"
        )));
    }
    Ok(())
}

fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::OnePermutationDensified => "one_permutation_densified",
    }
}

/// One list column being gathered: every row's values, one after the
/// other, and how many each row has.
#[derive(Debug, Default)]
struct ListColumn<T> {
    values: Vec<T>,
    lengths: Vec<usize>,
}

impl<T: Copy> ListColumn<T> {
    fn push(&mut self, items: &[T]) {
        self.values.extend_from_slice(items);
        self.lengths.push(items.len());
    }

    fn clear(&mut self) {
        self.values.clear();
        self.lengths.clear();
    }
}

/// The rows of one row group, column by column.
#[derive(Debug, Default)]
struct RowGroup {
    ids: Vec<ByteArray>,
    dates: Vec<ByteArray>,
    date_defined: Vec<i16>,
    bytes: Vec<i64>,
    tokens: Vec<i64>,
    shingles: Vec<i64>,
    /// The K slots of every row, row after row. Every row has exactly K,
    /// so the list levels are the same for every row ([`list_chunk`]).
    signature: Vec<u32>,
    band_keys: ListColumn<u64>,
    shingle_set: ListColumn<u64>,
}

impl RowGroup {
    /// Room for a full row group of signatures of `num_perm` slots, so
    /// that filling it never moves the buffers.
    fn with_capacity(rows: usize, num_perm: usize) -> RowGroup {
        RowGroup {
            ids: Vec::with_capacity(rows),
            bytes: Vec::with_capacity(rows),
            tokens: Vec::with_capacity(rows),
            shingles: Vec::with_capacity(rows),
            date_defined: Vec::with_capacity(rows),
            signature: Vec::with_capacity(rows * num_perm),
            ..RowGroup::default()
        }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn clear(&mut self) {
        self.ids.clear();
        self.dates.clear();
        self.date_defined.clear();
        self.bytes.clear();
        self.tokens.clear();
        self.shingles.clear();
        self.signature.clear();
        self.band_keys.clear();
        self.shingle_set.clear();
    }

    /// Fills `band_keys` from the signatures (on the writer thread, when
    /// the group is written). A document without shingles (every slot
    /// empty) gets no band keys.
    fn key_bands(&mut self, lsh: LshParams, num_perm: usize) {
        self.band_keys.clear();
        let mut keys = Vec::with_capacity(lsh.bands);
        let signatures = self.signature.chunks_exact(num_perm.max(1));
        for slots in signatures {
            keys.clear();
            if slots.iter().any(|&s| s != EMPTY_SLOT) {
                band_keys_into(slots, lsh, &mut keys);
            }
            self.band_keys.push(&keys);
        }
    }
}

/// Writes a Parquet sketch atomically (see the module docs). Dropped
/// without [`finish`](Self::finish), it removes the temporary file.
///
/// Rows are gathered here. Full row groups go, by default, to a writer
/// thread, which computes their band keys and encodes them (the file is
/// synced in the background every few megabytes), so the encoding overlaps the sketching of the next
/// documents on a core that would otherwise idle. When every core already
/// sketches, that thread only competes with the sketching threads for the
/// cores; [`set_background(false)`](Self::set_background) then encodes each
/// full group on the calling thread instead.
///
/// # Examples
///
/// ```
/// use lineage::store::parquet::{read_parquet_sketch, ParquetSketchWriter};
/// use lineage::{lsh::LshWeights, pipeline::sketch, sketch::SketchParams, Document};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("docs.parquet");
/// let params = SketchParams::default();
/// let docs = sketch(&[Document::new("a", "the quick brown fox")], params, false)?;
/// let mut writer = ParquetSketchWriter::create_for_threshold(&path, params, 0.8, LshWeights::default(), false)?;
/// writer.write(&docs[0])?;
/// assert_eq!(writer.finish()?, 1);
/// assert_eq!(read_parquet_sketch(&path)?.1, docs);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ParquetSketchWriter {
    params: SketchParams,
    shingle_sets: bool,
    banding: Banding,
    group: RowGroup,
    rows: u64,
    path: PathBuf,
    temp: PathBuf,
    /// Where full row groups are encoded.
    encoder: Encoder,
    /// Whether the first full group starts a writer thread.
    background: bool,
    /// The first write error, reported again by later calls.
    failed: Option<(std::io::ErrorKind, String)>,
}

/// Where a [`ParquetSketchWriter`] encodes its row groups.
enum Encoder {
    /// On the calling thread (also the state before a writer thread
    /// starts).
    Inline(Box<GroupWriter>),
    /// On a writer thread of its own.
    Thread(WriterThread),
    /// Neither: the writer stopped (finished, or failed).
    Stopped,
}

/// A writer thread and the channels to it.
struct WriterThread {
    /// Full row groups to it.
    groups: std::sync::mpsc::SyncSender<RowGroup>,
    /// Written row groups back from it, cleared, for reuse.
    spare: std::sync::mpsc::Receiver<RowGroup>,
    handle: std::thread::JoinHandle<std::io::Result<File>>,
    /// Set on drop: the thread skips the groups still queued.
    cancel: Arc<AtomicBool>,
}

impl std::fmt::Debug for ParquetSketchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSketchWriter")
            .field("path", &self.path)
            .field("params", &self.params)
            .field("banding", &self.banding)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

fn parquet_err(e: parquet::errors::ParquetError) -> std::io::Error {
    std::io::Error::other(e)
}

/// Index of the `signature` column in the schema (see the module docs).
const SIGNATURE_COLUMN: usize = 5;

/// Row groups the writer thread may have queued besides the one it
/// encodes: each queued group is encoded after the input ends, so one.
const QUEUED_GROUPS: usize = 1;

/// The file under the Parquet writer: a buffer whose `flush` does nothing.
/// The crate flushes its sink at the end of every column chunk, which
/// would cost a system call per column of every row group (Reuters: 193
/// write calls, 14 without); the writer flushes the buffer itself before
/// each sync and at the end.
struct HeldFlush(BufWriter<File>);

impl std::io::Write for HeldFlush {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Encodes full row groups into the file, on whichever thread owns it.
struct GroupWriter {
    writer: SerializedFileWriter<HeldFlush>,
    /// The list columns, encoded by [`list_chunk`]: signature, band keys
    /// and, with shingle sets, shingle_set.
    lists: Vec<ColumnDescPtr>,
    /// The buffer [`list_chunk`] encodes into.
    chunk: Vec<u8>,
    lsh: LshParams,
    num_perm: usize,
    /// File bytes at the end of the last group written.
    written: usize,
    /// Syncs the groups written so far while the next are encoded.
    sync: BackgroundSync,
}

impl GroupWriter {
    /// Writes `group` (band keys first); every few megabytes the file is
    /// synced in the background. The group is cleared for reuse.
    fn write(&mut self, group: &mut RowGroup) -> std::io::Result<()> {
        group.key_bands(self.lsh, self.num_perm);
        write_group(
            &mut self.writer,
            group,
            &self.lists,
            &mut self.chunk,
            self.num_perm,
        )
        .map_err(parquet_err)?;
        let written = self.writer.bytes_written();
        if self.sync.due(written.saturating_sub(self.written)) {
            self.writer.flush()?;
            let file = self.writer.inner_mut();
            std::io::Write::flush(&mut file.0)?;
            self.sync.start(file.0.get_ref())?;
        }
        self.written = written;
        group.clear();
        Ok(())
    }

    /// Writes the footer and returns the file.
    fn finish(mut self) -> std::io::Result<File> {
        self.sync.wait()?;
        let out = self.writer.into_inner().map_err(parquet_err)?;
        out.0.into_inner().map_err(|e| e.into_error())
    }
}

impl ParquetSketchWriter {
    /// Documents per row group: a group's buffers stay in the caches, the
    /// thread that emits encodes a group while the others go on
    /// sketching, and the last group, written after the input ends, is
    /// quick. Reuters at 2 threads on 2 cores, Parquet over native wall
    /// time (when batches of 512 ended at a barrier): 1.37 with 2,048 per
    /// group, 1.21 with 512 (512 rows of 128 slots are still 256 KiB a
    /// group).
    pub(crate) const ROW_GROUP_DOCS: usize = 512;

    /// Starts a file at `path`.
    pub(crate) fn create(path: &Path, header: ParquetSketchHeader) -> Result<ParquetSketchWriter> {
        header.banding.lsh.validate(header.params.num_perm)?;
        header.params.validate()?;
        let write_err = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        let schema = parse_message_type(&header.schema()).map_err(|e| write_err(parquet_err(e)))?;
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Compression::UNCOMPRESSED)
            .set_encoding(Encoding::PLAIN)
            .set_dictionary_enabled(false)
            // Pages and batches of the scalar columns, the only ones the
            // crate's column writers encode (the list columns: `list_chunk`).
            .set_data_page_size_limit(128 << 10)
            .set_write_batch_size(16 << 10)
            // Min/max of random hashes prune nothing; only ids get them.
            .set_statistics_enabled(EnabledStatistics::None)
            .set_column_statistics_enabled("id".into(), EnabledStatistics::Chunk)
            .set_created_by(format!("lineage {}", env!("CARGO_PKG_VERSION")))
            .build();
        crate::store::atomic::remove_dead_temps(path);
        let temp = temp_path(path);
        let file = File::create(&temp).map_err(write_err)?;
        // A 1 MiB buffer, as the native writer's: the list chunks come
        // in 8 KiB pieces (`append_column` copies through a small
        // buffer), and each piece should not cost a system call. Reuters at
        // 2 threads, Parquet over native wall time: 1.16 with 64 KiB, 1.11
        // with 1 MiB.
        let mut writer = SerializedFileWriter::new(
            HeldFlush(BufWriter::with_capacity(1 << 20, file)),
            Arc::new(schema),
            Arc::new(props),
        )
        .map_err(|e| {
            crate::store::atomic::discard(&temp, path);
            write_err(parquet_err(e))
        })?;
        for kv in header.metadata() {
            writer.append_key_value_metadata(kv);
        }
        let schema = writer.schema_descr();
        let lists = (SIGNATURE_COLUMN..schema.num_columns())
            .map(|c| schema.column(c))
            .collect();
        let encoder = GroupWriter {
            writer,
            lists,
            chunk: Vec::new(),
            lsh: header.banding.lsh,
            num_perm: header.params.num_perm,
            written: 0,
            sync: BackgroundSync::new(SYNC_EVERY),
        };
        Ok(ParquetSketchWriter {
            params: header.params,
            shingle_sets: header.shingle_sets,
            banding: header.banding,
            group: RowGroup::with_capacity(Self::ROW_GROUP_DOCS, header.params.num_perm),
            rows: 0,
            path: path.to_path_buf(),
            temp,
            encoder: Encoder::Inline(Box::new(encoder)),
            background: true,
            failed: None,
        })
    }

    /// Starts a file at `path` whose band keys are for the banding
    /// `lineage dedup` picks at `threshold` with `weights`
    /// (`Banding::for_threshold`).
    pub fn create_for_threshold(
        path: &Path,
        params: SketchParams,
        threshold: f64,
        weights: LshWeights,
        shingle_sets: bool,
    ) -> Result<ParquetSketchWriter> {
        params.validate()?;
        let banding = Banding::for_threshold(threshold, params.num_perm, weights)?;
        Self::create(
            path,
            ParquetSketchHeader {
                params,
                banding,
                shingle_sets,
            },
        )
    }

    /// Whether full row groups are encoded on a writer thread of their own
    /// (the default) or on the thread that calls [`write`](Self::write).
    /// Takes effect only before the first row group is full. The file is
    /// the same either way.
    pub fn set_background(&mut self, background: bool) {
        self.background = background;
    }

    fn write_err(&self, source: std::io::Error) -> Error {
        Error::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Appends one document; a full row group is encoded.
    pub fn write(&mut self, doc: &DocFingerprint) -> Result<()> {
        if doc.slots.len() != self.params.num_perm || doc.shingle_set.is_some() != self.shingle_sets
        {
            return Err(self.write_err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "fingerprint of {} does not match the file's parameters",
                    doc.id
                ),
            )));
        }
        let g = &mut self.group;
        g.ids.push(ByteArray::from(doc.id.as_bytes().to_vec()));
        match &doc.date {
            Some(d) => {
                g.dates.push(ByteArray::from(d.as_bytes().to_vec()));
                g.date_defined.push(1);
            }
            None => g.date_defined.push(0),
        }
        g.bytes.push(doc.bytes as i64);
        g.tokens.push(doc.tokens as i64);
        g.shingles.push(doc.shingles as i64);
        g.signature.extend_from_slice(&doc.slots);
        if let Some(set) = &doc.shingle_set {
            g.shingle_set.push(set);
        }
        if g.len() >= Self::ROW_GROUP_DOCS {
            self.send_group()?;
        }
        Ok(())
    }

    /// Starts the writer thread with the encoder, if it is to run in the
    /// background and has not started yet.
    fn start_thread(&mut self) -> std::io::Result<()> {
        if !self.background {
            return Ok(());
        }
        let mut encoder = match std::mem::replace(&mut self.encoder, Encoder::Stopped) {
            Encoder::Inline(encoder) => encoder,
            other => {
                self.encoder = other;
                return Ok(());
            }
        };
        let (groups, queued) = std::sync::mpsc::sync_channel::<RowGroup>(QUEUED_GROUPS);
        let (recycle, spare) = std::sync::mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let cancelled = Arc::clone(&cancel);
        let handle = std::thread::Builder::new()
            .name("lineage-parquet".into())
            .spawn(move || {
                for mut group in queued {
                    if cancelled.load(Ordering::Relaxed) {
                        return Err(std::io::Error::other("Parquet writer dropped"));
                    }
                    encoder.write(&mut group)?;
                    // The receiver is gone only when the writer is being
                    // dropped.
                    let _ = recycle.send(group);
                }
                encoder.finish()
            })?;
        self.encoder = Encoder::Thread(WriterThread {
            groups,
            spare,
            handle,
            cancel,
        });
        Ok(())
    }

    /// Encodes the gathered rows, or hands them to the writer thread.
    fn send_group(&mut self) -> Result<()> {
        if self.group.len() == 0 {
            return Ok(());
        }
        if let Some((kind, message)) = &self.failed {
            return Err(self.write_err(std::io::Error::new(*kind, message.clone())));
        }
        let rows = self.group.len() as u64;
        let sent = self.start_thread().and_then(|()| match &mut self.encoder {
            Encoder::Inline(encoder) => encoder.write(&mut self.group),
            Encoder::Thread(thread) => {
                let next = thread.spare.try_recv().unwrap_or_else(|_| {
                    RowGroup::with_capacity(Self::ROW_GROUP_DOCS, self.params.num_perm)
                });
                let full = std::mem::replace(&mut self.group, next);
                if thread.groups.send(full).is_ok() {
                    Ok(())
                } else {
                    // The thread stopped on an error: its result says which.
                    match self.join() {
                        Err(e) => Err(e),
                        Ok(_) => Err(std::io::Error::other("the Parquet writer thread stopped")),
                    }
                }
            }
            Encoder::Stopped => Err(std::io::Error::other("the Parquet writer already stopped")),
        });
        if let Err(error) = sent {
            // Reported now and by every later call.
            self.failed = Some((error.kind(), error.to_string()));
            self.encoder = Encoder::Stopped;
            return Err(self.write_err(error));
        }
        self.rows += rows;
        Ok(())
    }

    /// Stops the encoder; the file once it wrote the footer.
    fn join(&mut self) -> std::io::Result<File> {
        match std::mem::replace(&mut self.encoder, Encoder::Stopped) {
            Encoder::Inline(encoder) => encoder.finish(),
            Encoder::Thread(thread) => {
                drop(thread.groups);
                match thread.handle.join() {
                    Ok(result) => result,
                    Err(_) => Err(std::io::Error::other("the Parquet writer thread panicked")),
                }
            }
            Encoder::Stopped => Err(std::io::Error::other("the Parquet writer already stopped")),
        }
    }

    /// Writes the last row group and the footer, syncs the file and renames
    /// it into place; returns the number of rows.
    pub fn finish(mut self) -> Result<u64> {
        if let Some((kind, message)) = self.failed.take() {
            return Err(self.write_err(std::io::Error::new(kind, message)));
        }
        // The last group is encoded where the others were, without
        // starting a thread for it alone.
        self.background &= matches!(self.encoder, Encoder::Thread(_));
        self.send_group()?;
        let result = self
            .join()
            .and_then(|file| commit(file, &self.temp, &self.path));
        if let Err(e) = result {
            crate::store::atomic::discard(&self.temp, &self.path);
            return Err(self.write_err(e));
        }
        // Committed: nothing for Drop to remove.
        self.temp = PathBuf::new();
        Ok(self.rows)
    }
}

impl Drop for ParquetSketchWriter {
    fn drop(&mut self) {
        if let Encoder::Thread(thread) = &self.encoder {
            thread.cancel.store(true, Ordering::Relaxed);
            let _ = self.join();
        }
        if !self.temp.as_os_str().is_empty() {
            crate::store::atomic::discard(&self.temp, &self.path);
        }
    }
}

/// How many values each row of a list column has.
#[derive(Debug, Clone, Copy)]
enum RowLengths<'a> {
    /// `rows` rows of `len` values each (the signature column).
    Uniform { rows: usize, len: usize },
    /// One length per row (band keys, shingle sets).
    Each(&'a [usize]),
}

impl RowLengths<'_> {
    fn for_each(self, mut f: impl FnMut(usize)) {
        match self {
            RowLengths::Uniform { rows, len } => (0..rows).for_each(|_| f(len)),
            RowLengths::Each(lengths) => lengths.iter().for_each(|&n| f(n)),
        }
    }

    fn rows(self) -> usize {
        match self {
            RowLengths::Uniform { rows, .. } => rows,
            RowLengths::Each(lengths) => lengths.len(),
        }
    }

    /// Rows `start..end` alone.
    fn slice(self, start: usize, end: usize) -> Self {
        match self {
            RowLengths::Uniform { len, .. } => RowLengths::Uniform {
                rows: end.saturating_sub(start),
                len,
            },
            RowLengths::Each(lengths) => {
                RowLengths::Each(lengths.get(start..end).unwrap_or_default())
            }
        }
    }

    /// The rows split into pages at row boundaries: each page takes rows
    /// until its values pass `max_values` (at least one row a page).
    fn pages(self, max_values: usize) -> Vec<PageRange> {
        let mut pages = Vec::new();
        let mut page = PageRange::default();
        self.for_each(|n| {
            if !page.rows.is_empty() && page.values.len() + n > max_values {
                let next = PageRange {
                    rows: page.rows.end..page.rows.end,
                    values: page.values.end..page.values.end,
                };
                pages.push(std::mem::replace(&mut page, next));
            }
            page.rows.end += 1;
            page.values.end += n;
        });
        if !page.rows.is_empty() {
            pages.push(page);
        }
        pages
    }
}

/// The rows and values of one data page of a list column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PageRange {
    rows: std::ops::Range<usize>,
    values: std::ops::Range<usize>,
}

/// Values in one data page of a list column before the next row starts a
/// new page: 64 MiB of int64. Row groups of signatures and band keys stay
/// one page; only shingle sets of very long documents are split, so that
/// no page passes the 2 GiB a page header can state.
const LIST_PAGE_VALUES: usize = 8 << 20;

/// Values written PLAIN, as little-endian bytes: the u32 slots as int32
/// and the u64 hashes as int64, keeping their bits (the schema's
/// UINT_32 annotation tells readers the slots are unsigned; the hashes
/// stay signed for Spark, see the module docs).
trait PlainValue: Copy {
    const WIDTH: usize;
    /// Appends `values` to `out`, little-endian, one after another.
    fn extend_plain(values: &[Self], out: &mut Vec<u8>);
}

impl PlainValue for u32 {
    const WIDTH: usize = 4;
    fn extend_plain(values: &[Self], out: &mut Vec<u8>) {
        // Written out without zeroing the space first (a memset was ~1.5%
        // of a Parquet sketch's CPU); the loop compiles to vector stores.
        out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }
}

impl PlainValue for u64 {
    const WIDTH: usize = 8;
    fn extend_plain(values: &[Self], out: &mut Vec<u8>) {
        out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }
}

/// Encodes one list column chunk of a row group by hand, for the list
/// columns of the schema (`required group (LIST) { repeated group list {
/// required element } }`): uncompressed data pages (format v1) of PLAIN
/// values, whose levels follow from the row lengths, one page a row group
/// unless its values pass `max_page_values` ([`LIST_PAGE_VALUES`]).
///
/// The `parquet` crate's column writer would take two i16 levels per
/// value (128 per document for the signature), check them and RLE-encode
/// them, and copy the values twice. Here a row of n values has repetition
/// levels 0 then n - 1 ones and definition levels n ones (an empty row: one
/// 0 of each), written as RLE runs, equal neighbours merged, and the values
/// are copied once, behind a page header written by [`data_page_header`].
/// Readers see the same schema, encodings and values as from the column
/// writer (the round-trip tests; pyarrow, DuckDB and Spark: see the commit
/// messages).
///
/// The chunk is written into `chunk` (cleared first, so that its buffer
/// serves every group).
fn list_chunk<T: PlainValue>(
    descr: &ColumnDescPtr,
    values: &[T],
    lengths: RowLengths,
    max_page_values: usize,
    chunk: &mut Vec<u8>,
) -> parquet::errors::Result<ColumnCloseResult> {
    let general = |m: &str| parquet::errors::ParquetError::General(m.to_string());
    let rows = lengths.rows();
    let (mut levels_count, mut values_count) = (0usize, 0usize);
    lengths.for_each(|n| {
        levels_count += n.max(1);
        values_count += n;
    });
    if values_count != values.len() || rows == 0 {
        return Err(general("list values do not match their row lengths"));
    }
    chunk.clear();
    let pages = lengths.pages(max_page_values);
    let mut locations = Vec::with_capacity(pages.len());
    for page in &pages {
        let page_rows = lengths.slice(page.rows.start, page.rows.end);
        let page_values = values.get(page.values.clone()).unwrap_or_default();
        let offset = chunk.len();
        list_page(page_rows, page_values, chunk)?;
        locations.push(PageLocation {
            offset: offset as i64,
            compressed_page_size: i32::try_from(chunk.len() - offset)
                .map_err(|_| general("page too large"))?,
            first_row_index: page.rows.start as i64,
        });
    }
    let size = chunk.len() as i64;
    let metadata = ColumnChunkMetaData::builder(descr.clone())
        .set_compression(Compression::UNCOMPRESSED)
        .set_encodings_mask(EncodingMask::new_from_encodings(
            [Encoding::PLAIN, Encoding::RLE].iter(),
        ))
        .set_page_encoding_stats(vec![PageEncodingStats {
            page_type: PageType::DATA_PAGE,
            encoding: Encoding::PLAIN,
            count: i32::try_from(pages.len()).map_err(|_| general("too many pages"))?,
        }])
        .set_total_compressed_size(size)
        .set_total_uncompressed_size(size)
        .set_num_values(levels_count as i64)
        .set_data_page_offset(0)
        .build()?;
    Ok(ColumnCloseResult {
        bytes_written: chunk.len() as u64,
        rows_written: rows as u64,
        metadata,
        bloom_filter: None,
        column_index: None,
        offset_index: Some(OffsetIndexMetaData {
            page_locations: locations,
            unencoded_byte_array_data_bytes: None,
        }),
    })
}

/// Appends one data page of `lengths` rows holding `values` to `chunk`:
/// header, repetition and definition levels, values.
fn list_page<T: PlainValue>(
    lengths: RowLengths,
    values: &[T],
    chunk: &mut Vec<u8>,
) -> parquet::errors::Result<()> {
    let too_large = || parquet::errors::ParquetError::General("list page too large".into());
    let mut levels_count = 0usize;
    lengths.for_each(|n| levels_count += n.max(1));
    // Repetition levels, then definition levels, each behind its length
    // as 4 bytes (v1 page).
    let mut page_levels = Vec::with_capacity(8 * lengths.rows() + 16);
    levels(&mut page_levels, |runs| {
        lengths.for_each(|n| {
            runs.push(0, 1);
            runs.push(1, n.saturating_sub(1));
        })
    })?;
    levels(&mut page_levels, |runs| {
        lengths.for_each(|n| {
            if n == 0 {
                runs.push(0, 1);
            } else {
                runs.push(1, n);
            }
        })
    })?;
    let body = page_levels.len() + T::WIDTH * values.len();
    // The page header, then the body straight behind it: the values are
    // copied once, from the row group into the chunk.
    chunk.reserve(body + 32);
    data_page_header(
        chunk,
        i32::try_from(body).map_err(|_| too_large())?,
        i32::try_from(levels_count).map_err(|_| too_large())?,
    );
    chunk.extend_from_slice(&page_levels);
    T::extend_plain(values, chunk);
    Ok(())
}

/// Writes the Thrift (compact protocol) `PageHeader` of an uncompressed
/// v1 data page of `size` bytes holding `num_values` levels: PLAIN values,
/// RLE levels, no statistics and no checksum. These are the bytes the
/// crate's `SerializedPageWriter` writes for that page (a test compares
/// them), written here so that the page body can follow in the same
/// buffer instead of being copied behind the header.
fn data_page_header(out: &mut Vec<u8>, size: i32, num_values: i32) {
    /// Field header of an i32 field one id after the previous field.
    const NEXT_I32: u8 = 0x15;
    let i32_field = |out: &mut Vec<u8>, v: i32| {
        out.push(NEXT_I32);
        uleb128(out, u64::from(((v << 1) ^ (v >> 31)) as u32));
    };
    i32_field(out, 0); // 1: type = DATA_PAGE
    i32_field(out, size); // 2: uncompressed_page_size
    i32_field(out, size); // 3: compressed_page_size
    out.push(0x2C); // 5: data_page_header, a struct two ids on
    i32_field(out, num_values); // 1: num_values
    i32_field(out, 0); // 2: encoding = PLAIN
    i32_field(out, 3); // 3: definition_level_encoding = RLE
    i32_field(out, 3); // 4: repetition_level_encoding = RLE
    out.push(0); // end of DataPageHeader
    out.push(0); // end of PageHeader
}

/// Appends RLE-hybrid levels of bit width 1, written by `encode` as runs,
/// to a v1 data page, behind their length as 4 little-endian bytes.
fn levels(page: &mut Vec<u8>, encode: impl FnOnce(&mut Runs)) -> parquet::errors::Result<()> {
    let at = page.len();
    page.extend_from_slice(&[0; 4]);
    let mut runs = Runs {
        out: page,
        value: 0,
        count: 0,
    };
    encode(&mut runs);
    runs.flush();
    let len = u32::try_from(page.len() - at - 4)
        .map_err(|_| parquet::errors::ParquetError::General("levels too long".into()))?;
    if let Some(prefix) = page.get_mut(at..at + 4) {
        prefix.copy_from_slice(&len.to_le_bytes());
    }
    Ok(())
}

/// RLE runs of 1-bit levels being written into a page; equal neighbours
/// merge.
struct Runs<'a> {
    out: &'a mut Vec<u8>,
    value: u8,
    count: usize,
}

impl Runs<'_> {
    /// `count` more copies of `value`.
    fn push(&mut self, value: u8, count: usize) {
        if count == 0 {
            return;
        }
        if value != self.value {
            self.flush();
            self.value = value;
        }
        self.count += count;
    }

    /// Writes the pending run: its length shifted left once as a ULEB128
    /// varint, then the value in one byte.
    fn flush(&mut self) {
        if self.count == 0 {
            return;
        }
        uleb128(self.out, (self.count as u64) << 1);
        self.out.push(self.value);
        self.count = 0;
    }
}

/// Appends `v` as an unsigned LEB128 varint (Thrift's and the RLE run
/// headers' integer encoding).
fn uleb128(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7F) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A column chunk encoded in memory, as
/// [`SerializedRowGroupWriter::append_column`](parquet::file::writer::SerializedRowGroupWriter::append_column)
/// reads it.
struct EncodedChunk<'a>(&'a [u8]);

impl Length for EncodedChunk<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
}

impl<'a> ChunkReader for EncodedChunk<'a> {
    type T = &'a [u8];

    fn get_read(&self, start: u64) -> parquet::errors::Result<&'a [u8]> {
        let chunk: &'a [u8] = self.0;
        usize::try_from(start)
            .ok()
            .and_then(|start| chunk.get(start..))
            .ok_or_else(|| parquet::errors::ParquetError::EOF(format!("no byte {start} in chunk")))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let read = self.get_read(start)?;
        read.get(..length)
            .map(Bytes::copy_from_slice)
            .ok_or_else(|| parquet::errors::ParquetError::EOF("chunk too short".into()))
    }
}

/// Writes `g` as one row group, column by column in schema order: the
/// scalar columns through the crate's column writers, the list columns
/// (signature, band keys, shingle sets) by [`list_chunk`].
fn write_group(
    writer: &mut SerializedFileWriter<HeldFlush>,
    g: &RowGroup,
    lists: &[ColumnDescPtr],
    chunk: &mut Vec<u8>,
    num_perm: usize,
) -> parquet::errors::Result<()> {
    let mut rg = writer.next_row_group()?;
    for column in 0..SIGNATURE_COLUMN {
        let Some(mut col) = rg.next_column()? else {
            return Err(parquet::errors::ParquetError::General(
                "missing column".into(),
            ));
        };
        match column {
            0 => col
                .typed::<ByteArrayType>()
                .write_batch(&g.ids, None, None)?,
            1 => col
                .typed::<ByteArrayType>()
                .write_batch(&g.dates, Some(&g.date_defined), None)?,
            2 => col.typed::<Int64Type>().write_batch(&g.bytes, None, None)?,
            3 => col
                .typed::<Int64Type>()
                .write_batch(&g.tokens, None, None)?,
            _ => col
                .typed::<Int64Type>()
                .write_batch(&g.shingles, None, None)?,
        };
        col.close()?;
    }
    for (i, descr) in lists.iter().enumerate() {
        let close = match i {
            0 => list_chunk(
                descr,
                &g.signature,
                RowLengths::Uniform {
                    rows: g.len(),
                    len: num_perm,
                },
                LIST_PAGE_VALUES,
                chunk,
            )?,
            1 => list_chunk(
                descr,
                &g.band_keys.values,
                RowLengths::Each(&g.band_keys.lengths),
                LIST_PAGE_VALUES,
                chunk,
            )?,
            _ => list_chunk(
                descr,
                &g.shingle_set.values,
                RowLengths::Each(&g.shingle_set.lengths),
                LIST_PAGE_VALUES,
                chunk,
            )?,
        };
        rg.append_column(&EncodedChunk(chunk), close)?;
    }
    rg.close()?;
    Ok(())
}

/// Whether `path` ends in `.parquet` (any case).
pub fn has_parquet_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Whether the file at `path` starts with the Parquet magic `PAR1`.
pub fn is_parquet_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"PAR1"
}

fn corrupt(path: &Path, message: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn open_reader(path: &Path) -> Result<SerializedFileReader<File>> {
    untrusted::open(path, |message| corrupt(path, message))
}

fn parse_header(path: &Path, kv: &HashMap<String, String>) -> Result<ParquetSketchHeader> {
    let get = |key: MetadataKey| -> Result<&str> {
        kv.get(key.name())
            .map(String::as_str)
            .ok_or_else(|| corrupt(path, format!("no {} in the metadata", key.name())))
    };
    fn num<T: std::str::FromStr>(path: &Path, key: MetadataKey, s: &str) -> Result<T> {
        s.parse()
            .map_err(|_| corrupt(path, format!("{} is not a number: {s}", key.name())))
    }
    let format = get(MetadataKey::Format)?;
    if format != FORMAT {
        return Err(corrupt(
            path,
            format!("format {format}, this lineage reads {FORMAT}"),
        ));
    }
    let scheme = get(MetadataKey::Scheme)?;
    if scheme != scheme_name(Scheme::OnePermutationDensified) {
        return Err(corrupt(path, format!("unknown scheme {scheme}")));
    }
    let value = |key| get(key).and_then(|s| num::<f64>(path, key, s));
    let count = |key| get(key).and_then(|s| num::<usize>(path, key, s));
    let params = SketchParams {
        num_perm: count(MetadataKey::NumPerm)?,
        shingle_size: count(MetadataKey::ShingleSize)?,
        seed: get(MetadataKey::Seed).and_then(|s| num(path, MetadataKey::Seed, s))?,
        scheme: Scheme::OnePermutationDensified,
    };
    params.validate()?;
    let banding = Banding {
        threshold: value(MetadataKey::Threshold)?,
        weights: LshWeights {
            false_positive: value(MetadataKey::FalsePositiveWeight)?,
            false_negative: value(MetadataKey::FalseNegativeWeight)?,
        },
        lsh: LshParams {
            bands: count(MetadataKey::Bands)?,
            rows_per_band: count(MetadataKey::RowsPerBand)?,
        },
    };
    banding.lsh.validate(params.num_perm)?;
    Ok(ParquetSketchHeader {
        params,
        banding,
        shingle_sets: get(MetadataKey::ShingleSets)? == "true",
    })
}

fn long(field: &Field) -> Option<i64> {
    match field {
        Field::Long(v) => Some(*v),
        Field::Int(v) => Some(i64::from(*v)),
        Field::UInt(v) => Some(i64::from(*v)),
        Field::ULong(v) => i64::try_from(*v).ok(),
        _ => None,
    }
}

fn string(field: &Field) -> Option<String> {
    match field {
        Field::Str(s) => Some(s.clone()),
        Field::Bytes(b) => std::str::from_utf8(b.data()).ok().map(str::to_string),
        Field::Int(_) | Field::Long(_) | Field::UInt(_) | Field::ULong(_) => {
            long(field).map(|v| v.to_string())
        }
        _ => None,
    }
}

/// Reads a Parquet sketch written by [`ParquetSketchWriter`]: its header
/// and its documents in file order. Any engine may have rewritten it, as
/// long as the columns and the metadata survive.
pub fn read_parquet_sketch(path: &Path) -> Result<(ParquetSketchHeader, Vec<DocFingerprint>)> {
    guarded(path, || read_sketch_file(path))
}

/// Runs a reader of an untrusted Parquet file ([`untrusted::guarded`]), a
/// panic inside the `parquet` crate becoming [`Error::Corrupt`].
fn guarded<T>(path: &Path, read: impl FnOnce() -> Result<T>) -> Result<T> {
    untrusted::guarded(read, |message| corrupt(path, message))
}

/// Rows a file of `bytes` bytes can plausibly hold: a footer that claims
/// more (2^40 rows in a few kilobytes) must not make the reader reserve
/// memory for them.
fn plausible_rows(claimed: i64, bytes: u64) -> usize {
    (claimed.max(0) as u64).min(bytes.saturating_mul(8)) as usize
}

fn read_sketch_file(path: &Path) -> Result<(ParquetSketchHeader, Vec<DocFingerprint>)> {
    let reader = open_reader(path)?;
    let kv: HashMap<String, String> = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
                .collect()
        })
        .unwrap_or_default();
    let header = parse_header(path, &kv)?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| corrupt(path, e.to_string()))?;
    let file_bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut docs = Vec::with_capacity(plausible_rows(
        reader.metadata().file_metadata().num_rows(),
        file_bytes,
    ));
    for (n, row) in rows.enumerate() {
        let row = row.map_err(|e| corrupt(path, format!("row {n}: {e}")))?;
        let bad = |what: &str| corrupt(path, format!("row {n}: bad or missing {what}"));
        let mut doc = DocFingerprint {
            id: String::new(),
            date: None,
            bytes: 0,
            tokens: 0,
            shingles: 0,
            slots: Vec::new(),
            shingle_set: None,
        };
        let mut have_id = false;
        for (name, field) in row.get_column_iter() {
            match (name.as_str(), field) {
                ("id", f) => {
                    doc.id = string(f).ok_or_else(|| bad("id"))?;
                    have_id = true;
                }
                ("date", Field::Null) => {}
                ("date", f) => doc.date = Some(string(f).ok_or_else(|| bad("date"))?),
                ("bytes", f) => doc.bytes = long(f).ok_or_else(|| bad("bytes"))? as u64,
                ("tokens", f) => doc.tokens = long(f).ok_or_else(|| bad("tokens"))? as u64,
                ("shingles", f) => doc.shingles = long(f).ok_or_else(|| bad("shingles"))? as u64,
                ("signature", Field::ListInternal(list)) => {
                    doc.slots = list
                        .elements()
                        .iter()
                        .map(|f| long(f).map(|v| v as u32))
                        .collect::<Option<Vec<u32>>>()
                        .ok_or_else(|| bad("signature"))?;
                }
                ("shingle_set", Field::ListInternal(list)) if header.shingle_sets => {
                    doc.shingle_set = Some(
                        list.elements()
                            .iter()
                            .map(|f| long(f).map(|v| v as u64))
                            .collect::<Option<Vec<u64>>>()
                            .ok_or_else(|| bad("shingle_set"))?,
                    );
                }
                _ => {}
            }
        }
        if !have_id {
            return Err(bad("id"));
        }
        if doc.slots.len() != header.params.num_perm {
            return Err(bad("signature"));
        }
        if header.shingle_sets && doc.shingle_set.is_none() {
            return Err(bad("shingle_set"));
        }
        docs.push(doc);
    }
    Ok((header, docs))
}

/// Reads the `id` and `cluster` columns of a Parquet file, or of every
/// `*.parquet` file in a folder (the part files Spark writes), in file name
/// order.
pub fn read_cluster_assignments(path: &Path) -> Result<Vec<ClusterAssignment>> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let p = entry.path();
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(['.', '_']));
            if !hidden && has_parquet_extension(&p) {
                files.push(p);
            }
        }
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for file in &files {
        guarded(file, || read_cluster_file(file, &mut out))?;
    }
    Ok(out)
}

/// Appends the `id` and `cluster` of every row of one Parquet file.
fn read_cluster_file(file: &Path, out: &mut Vec<ClusterAssignment>) -> Result<()> {
    {
        let reader = open_reader(file)?;
        let rows = reader
            .get_row_iter(None)
            .map_err(|e| corrupt(file, e.to_string()))?;
        for (n, row) in rows.enumerate() {
            let row = row.map_err(|e| corrupt(file, format!("row {n}: {e}")))?;
            let (mut id, mut cluster) = (None, None);
            for (name, field) in row.get_column_iter() {
                match name.as_str() {
                    "id" => id = string(field),
                    "cluster" => cluster = string(field),
                    _ => {}
                }
            }
            match (id, cluster) {
                (Some(id), Some(cluster)) => out.push(ClusterAssignment { id, cluster }),
                _ => {
                    return Err(corrupt(
                        file,
                        format!("row {n}: needs a non-null id and cluster column"),
                    ))
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsh::band_key;

    fn doc(n: usize, empty: bool) -> DocFingerprint {
        DocFingerprint {
            id: format!("doc{n}"),
            date: n
                .is_multiple_of(2)
                .then(|| format!("2020-01-{:02}", n % 28 + 1)),
            bytes: 100 + n as u64,
            tokens: 20 + n as u64,
            shingles: 16 + n as u64,
            slots: if empty {
                vec![u32::MAX; 16]
            } else {
                (0..16).map(|i| (i * 7 + n as u32) ^ 0xF000_0000).collect()
            },
            shingle_set: None,
        }
    }

    fn header(shingle_sets: bool) -> ParquetSketchHeader {
        let params = SketchParams {
            num_perm: 16,
            ..SketchParams::default()
        };
        ParquetSketchHeader {
            params,
            banding: Banding::for_threshold(0.8, 16, LshWeights::default()).unwrap(),
            shingle_sets,
        }
    }

    #[test]
    fn data_page_headers_are_the_crates() {
        use parquet::column::page::{CompressedPage, Page, PageWriter};
        use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
        for (size, num_values) in [(1, 1), (300, 64), (20_000, 65_536), (3_000_000, 9_000_000)] {
            let mut ours = Vec::new();
            data_page_header(&mut ours, size, num_values);
            let page = Page::DataPage {
                buf: Bytes::from(vec![7u8; size as usize]),
                num_values: num_values as u32,
                encoding: Encoding::PLAIN,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            };
            let mut sink = TrackedWrite::new(Vec::new());
            let mut writer = SerializedPageWriter::new(&mut sink);
            writer
                .write_page(CompressedPage::new(page, size as usize))
                .unwrap();
            writer.close().unwrap();
            let theirs = sink.into_inner().unwrap();
            assert_eq!(ours[..], theirs[..theirs.len() - size as usize]);
        }
    }

    #[test]
    fn long_list_columns_are_split_into_pages_at_row_boundaries() {
        let lengths = [3usize, 0, 5, 1, 4, 0];
        let rows = RowLengths::Each(&lengths);
        let ranges = |pages: Vec<PageRange>| -> Vec<(usize, usize, usize, usize)> {
            pages
                .into_iter()
                .map(|p| (p.rows.start, p.rows.end, p.values.start, p.values.end))
                .collect()
        };
        assert_eq!(
            ranges(rows.pages(5)),
            [(0, 2, 0, 3), (2, 3, 3, 8), (3, 6, 8, 13)]
        );
        assert_eq!(ranges(rows.pages(100)), [(0, 6, 0, 13)]);
        let uniform = RowLengths::Uniform { rows: 5, len: 4 };
        assert_eq!(
            ranges(uniform.pages(8)),
            [(0, 2, 0, 8), (2, 4, 8, 16), (4, 5, 16, 20)]
        );

        // A file whose list column has several pages reads back whole.
        let schema = parse_message_type(
            "message m { required group l (LIST) { repeated group list { required int64 element; } } }",
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pages.parquet");
        let props = WriterProperties::builder().build();
        let mut writer = SerializedFileWriter::new(
            File::create(&path).unwrap(),
            Arc::new(schema),
            Arc::new(props),
        )
        .unwrap();
        let descr = writer.schema_descr().column(0);
        let values: Vec<u64> = (0..13).map(|v| v * 1_000_003).collect();
        let mut chunk = Vec::new();
        let close = list_chunk(&descr, &values, rows, 5, &mut chunk).unwrap();
        assert_eq!(close.offset_index.as_ref().unwrap().page_locations.len(), 3);
        let mut rg = writer.next_row_group().unwrap();
        rg.append_column(&EncodedChunk(&chunk), close).unwrap();
        rg.close().unwrap();
        writer.close().unwrap();
        let reader = open_reader(&path).unwrap();
        let read: Vec<Vec<i64>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(
                |row| match row.unwrap().get_column_iter().next().unwrap().1 {
                    Field::ListInternal(list) => list
                        .elements()
                        .iter()
                        .map(|f| match f {
                            Field::Long(v) => *v,
                            other => panic!("{other:?}"),
                        })
                        .collect(),
                    other => panic!("{other:?}"),
                },
            )
            .collect();
        let mut at = 0;
        let expected: Vec<Vec<i64>> = lengths
            .iter()
            .map(|&n| {
                at += n;
                values[at - n..at].iter().map(|&v| v as i64).collect()
            })
            .collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn list_levels_are_merged_rle_runs() {
        // Rows of 2, 0 and 1 values. Repetition levels 0 1 | 0 | 0, and
        // definition levels 1 1 | 0 | 1, as runs (length << 1, value).
        let lengths = [2usize, 0, 1];
        let mut page = Vec::new();
        levels(&mut page, |runs| {
            for &n in &lengths {
                runs.push(0, 1);
                runs.push(1, n.saturating_sub(1));
            }
        })
        .unwrap();
        assert_eq!(page, [6, 0, 0, 0, 2, 0, 2, 1, 4, 0]);
        page.clear();
        levels(&mut page, |runs| {
            for &n in &lengths {
                if n == 0 {
                    runs.push(0, 1);
                } else {
                    runs.push(1, n);
                }
            }
        })
        .unwrap();
        assert_eq!(page, [6, 0, 0, 0, 4, 1, 2, 0, 2, 1]);
        // A run of 128 needs a two-byte varint: 256 = 0x80 0x02.
        page.clear();
        levels(&mut page, |runs| runs.push(1, 128)).unwrap();
        assert_eq!(page, [3, 0, 0, 0, 0x80, 0x02, 1]);
    }

    #[test]
    fn round_trips_rows_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let header = header(true);
        let mut writer = ParquetSketchWriter::create(&path, header).unwrap();
        let docs: Vec<DocFingerprint> = (0..ParquetSketchWriter::ROW_GROUP_DOCS + 5)
            .map(|n| {
                let mut d = doc(n, n == 3);
                d.shingle_set = Some(vec![n as u64, u64::MAX - n as u64]);
                d
            })
            .collect();
        for d in &docs {
            writer.write(d).unwrap();
        }
        assert_eq!(writer.finish().unwrap(), docs.len() as u64);
        assert!(is_parquet_file(&path));
        // Nothing left behind but the file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let (read_header, read_docs) = read_parquet_sketch(&path).unwrap();
        assert_eq!(read_header, header);
        assert_eq!(read_docs, docs);
        let reader = open_reader(&path).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 2);
    }

    #[test]
    fn band_keys_match_lsh_and_empty_documents_have_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let header = header(false);
        let mut writer = ParquetSketchWriter::create(&path, header).unwrap();
        writer.write(&doc(1, false)).unwrap();
        writer.write(&doc(2, true)).unwrap();
        writer.finish().unwrap();
        let reader = open_reader(&path).unwrap();
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let keys = |n: usize| -> Vec<i64> {
            rows[n]
                .get_column_iter()
                .find(|(name, _)| name.as_str() == "band_keys")
                .and_then(|(_, f)| match f {
                    Field::ListInternal(l) => l.elements().iter().map(long).collect(),
                    _ => None,
                })
                .unwrap()
        };
        let lsh = header.banding.lsh;
        let want: Vec<i64> = (0..lsh.bands)
            .map(|b| band_key(&doc(1, false).slots, lsh, b) as i64)
            .collect();
        assert_eq!(keys(0), want);
        assert!(keys(1).is_empty());
        let kv = reader
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap();
        for key in MetadataKey::ALL {
            assert!(kv.iter().any(|k| k.key == key.name()), "{}", key.name());
        }
    }

    #[test]
    fn a_chosen_banding_writes_the_same_file_as_a_given_one() {
        let dir = tempfile::tempdir().unwrap();
        let header = header(false);
        let known = dir.path().join("known.parquet");
        let chosen = dir.path().join("chosen.parquet");
        let mut a = ParquetSketchWriter::create(&known, header).unwrap();
        let b = &header.banding;
        let mut c = ParquetSketchWriter::create_for_threshold(
            &chosen,
            header.params,
            b.threshold,
            b.weights,
            false,
        )
        .unwrap();
        for n in 0..20 {
            a.write(&doc(n, n == 4)).unwrap();
            c.write(&doc(n, n == 4)).unwrap();
        }
        a.finish().unwrap();
        c.finish().unwrap();
        assert_eq!(
            std::fs::read(&known).unwrap(),
            std::fs::read(&chosen).unwrap()
        );
        let params = header.params;
        let bad = ParquetSketchWriter::create_for_threshold(&chosen, params, 1.5, b.weights, false);
        assert!(bad.is_err());
    }

    #[test]
    fn dropped_mid_stream_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let mut writer = ParquetSketchWriter::create(&path, header(false)).unwrap();
        // Several full row groups handed to the writer thread, one partial.
        for n in 0..3 * ParquetSketchWriter::ROW_GROUP_DOCS + 7 {
            writer.write(&doc(n, false)).unwrap();
        }
        drop(writer);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn inline_and_background_encoding_write_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, background: bool| {
            let path = dir.path().join(name);
            let mut writer = ParquetSketchWriter::create(&path, header(false)).unwrap();
            writer.set_background(background);
            for n in 0..3 * ParquetSketchWriter::ROW_GROUP_DOCS + 7 {
                writer.write(&doc(n, false)).unwrap();
            }
            assert_eq!(
                writer.finish().unwrap(),
                3 * ParquetSketchWriter::ROW_GROUP_DOCS as u64 + 7
            );
            std::fs::read(path).unwrap()
        };
        let inline = write("inline.parquet", false);
        assert_eq!(inline, write("thread.parquet", true));
        let (_, rows) = read_parquet_sketch(&dir.path().join("inline.parquet")).unwrap();
        assert_eq!(rows.len(), 3 * ParquetSketchWriter::ROW_GROUP_DOCS + 7);
        assert_eq!(rows[5], doc(5, false));
    }

    #[test]
    fn mismatched_fingerprints_are_refused_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let mut writer = ParquetSketchWriter::create(&path, header(false)).unwrap();
        let mut d = doc(1, false);
        d.slots.pop();
        assert!(writer.write(&d).is_err());
        drop(writer);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn cluster_files_read_strings_and_integers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        let schema = parse_message_type(
            "message c { optional binary id (STRING); optional int64 cluster; }",
        )
        .unwrap();
        let file = File::create(&path).unwrap();
        let mut w = SerializedFileWriter::new(
            file,
            Arc::new(schema),
            Arc::new(WriterProperties::builder().build()),
        )
        .unwrap();
        let mut rg = w.next_row_group().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>()
            .write_batch(
                &[ByteArray::from("a"), ByteArray::from("b")],
                Some(&[1, 1]),
                None,
            )
            .unwrap();
        c.close().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<Int64Type>()
            .write_batch(&[7, 7], Some(&[1, 1]), None)
            .unwrap();
        c.close().unwrap();
        rg.close().unwrap();
        w.close().unwrap();
        std::fs::write(dir.path().join("_SUCCESS"), "").unwrap();
        let got = read_cluster_assignments(dir.path()).unwrap();
        let want = ["a", "b"].map(|id| ClusterAssignment {
            id: id.into(),
            cluster: "7".into(),
        });
        assert_eq!(got, want);
    }
}
