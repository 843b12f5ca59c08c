//! `lineage._lineage`: the Rust half of the Python package.
//!
//! In: Python strings, iterables of texts or `(id, text)` pairs, options
//! with the CLI's names and defaults. Out: the library's own serde records
//! as JSON text (the records `lineage ... --format json` prints), and
//! signatures as little-endian `u32` bytes; `lineage/__init__.py` turns
//! them into typed Python objects. The Python layer never reimplements a
//! stage: every number comes from the library calls the CLI makes.
//!
//! The GIL is released while the library works (rayon's threads, as in
//! the CLI); errors become `lineage.LineageError` with the library's
//! one-line message; a panic becomes the same exception, never a crash.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use lineage::archive::disk::{read_params, Archive, ArchiveWriter, BATCH_BYTES};
use lineage::archive::index::{entry, IndexParams};
use lineage::compare::rarity::{Rarity, RarityTable};
use lineage::pipeline::{CheckOptions, Config, DedupOptions};
use lineage::sketch::{DocFingerprint, Signature, SketchParams};
use lineage::source::Document;
use lineage::text::shingle::ShingleParams;

create_exception!(
    _lineage,
    LineageError,
    PyException,
    "A lineage error: bad input or options, an unreadable or damaged file."
);

/// Runs `work` without the GIL, turning library errors and panics into
/// `LineageError`.
fn run<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce() -> lineage::Result<T> + Send,
) -> PyResult<T> {
    let outcome = py.detach(|| {
        catch_unwind(AssertUnwindSafe(|| match threads {
            None => work().map_err(|e| e.to_string()),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| format!("cannot start {n} threads: {e}"))
                .and_then(|pool| pool.install(|| work().map_err(|e| e.to_string()))),
        }))
    });
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(LineageError::new_err(message)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(LineageError::new_err(format!(
                "internal error (a bug in lineage, please report it): {what}"
            )))
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| LineageError::new_err(e.to_string()))
}

/// Word-rarity tables read with `weights=`, loaded once per process (the
/// CLI loads one per run).
static TABLES: Mutex<Option<HashMap<PathBuf, RarityTable>>> = Mutex::new(None);

fn rarity(path: &Path) -> lineage::Result<RarityTable> {
    let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
    let tables = tables.get_or_insert_with(HashMap::new);
    if let Some(table) = tables.get(path) {
        return Ok(*table);
    }
    let table = Rarity::load(path)?.leak();
    tables.insert(path.to_path_buf(), table);
    Ok(table)
}

/// Scoring options, as the CLI's flags of the same names set them (a
/// dict from the Python layer; `None` takes the library's default).
#[derive(Clone, FromPyObject)]
#[pyo3(from_item_all)]
struct ScoreOptions {
    threshold: Option<f64>,
    shingle_size: Option<usize>,
    content_size: Option<usize>,
    num_perm: Option<usize>,
    seed: Option<u64>,
    weights: Option<PathBuf>,
    count_quotes: bool,
}

impl ScoreOptions {
    fn config(&self) -> lineage::Result<Config> {
        let base = Config::default();
        let mut config = Config {
            shingle: ShingleParams {
                raw_size: self.shingle_size.unwrap_or(base.shingle.raw_size),
                content_size: self.content_size.unwrap_or(base.shingle.content_size),
                seed: self.seed.unwrap_or(base.shingle.seed),
            },
            num_perm: self.num_perm.unwrap_or(base.num_perm),
            threshold: self.threshold.unwrap_or(base.threshold),
            count_quotes: self.count_quotes,
            ..base
        };
        if let Some(path) = &self.weights {
            config.rarity = rarity(path)?;
        }
        config.validate()?;
        Ok(config)
    }
}

/// Scores DERIVED against SOURCE: the JSON record of `lineage score
/// --format json` (without its `type`).
#[pyfunction]
fn score(
    py: Python<'_>,
    derived: String,
    source: String,
    derived_id: String,
    source_id: String,
    options: ScoreOptions,
) -> PyResult<String> {
    let report = run(py, Some(1), || {
        let config = options.config()?;
        lineage::pipeline::score_pair(
            &Document::new(derived_id, derived),
            &Document::new(source_id, source),
            &config,
        )
    })?;
    json(&report)
}

/// Scores many `(derived, source, derived_id, source_id)` pairs in
/// parallel: one JSON record or error message per pair, in order.
#[pyfunction]
#[pyo3(signature = (pairs, options, threads=None))]
fn score_many(
    py: Python<'_>,
    pairs: Vec<(String, String, String, String)>,
    options: ScoreOptions,
    threads: Option<usize>,
) -> PyResult<Vec<(bool, String)>> {
    let docs: Vec<(Document, Document)> = pairs
        .into_iter()
        .map(|(d, s, di, si)| (Document::new(di, d), Document::new(si, s)))
        .collect();
    let results = run(py, threads, || {
        let config = options.config()?;
        Ok(lineage::pipeline::score_pairs(&docs, &config))
    })?;
    results
        .into_iter()
        .map(|r| match r {
            Ok(report) => Ok((true, json(&report)?)),
            Err(e) => Ok((false, e.to_string())),
        })
        .collect()
}

fn sketch_params(num_perm: usize, shingle_size: usize, seed: u64) -> lineage::Result<SketchParams> {
    let params = SketchParams {
        num_perm,
        shingle_size,
        seed,
        ..SketchParams::default()
    };
    params.validate()?;
    Ok(params)
}

/// The ids of `fingerprints` and their slots as little-endian `u32`s, row
/// after row.
fn ids_and_slots(
    py: Python<'_>,
    fingerprints: Vec<DocFingerprint>,
) -> (Vec<String>, Bound<'_, PyBytes>) {
    let mut bytes = Vec::with_capacity(fingerprints.iter().map(|f| f.slots.len() * 4).sum());
    for f in &fingerprints {
        for s in &f.slots {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
    }
    let ids = fingerprints.into_iter().map(|f| f.id).collect();
    (ids, PyBytes::new(py, &bytes))
}

/// Pulls up to `batch` documents from `items` (strings, numbered from
/// `next_id`, or `(id, text)` pairs).
fn next_batch(
    items: &Bound<'_, PyAny>,
    batch: usize,
    next_id: &mut u64,
) -> PyResult<Vec<Document>> {
    let mut docs = Vec::with_capacity(batch.min(4096));
    while docs.len() < batch {
        let Some(item) = items.call_method0("__next__").map(Some).or_else(|e| {
            if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(items.py()) {
                Ok(None)
            } else {
                Err(e)
            }
        })?
        else {
            break;
        };
        let doc = if let Ok(text) = item.extract::<String>() {
            Document::new(next_id.to_string(), text)
        } else if let Ok(pair) = item.cast::<PyTuple>() {
            let (id, text): (Bound<'_, PyAny>, String) = pair.extract().map_err(|_| {
                LineageError::new_err(format!(
                    "document {next_id}: expected a str or an (id, text) pair of str"
                ))
            })?;
            Document::new(id.str()?.to_string(), text)
        } else {
            return Err(LineageError::new_err(format!(
                "document {next_id}: expected a str or an (id, text) pair, got {}",
                item.get_type().name()?
            )));
        };
        *next_id += 1;
        docs.push(doc);
    }
    Ok(docs)
}

/// Hands the documents of the iterator `items` to `f`, `batch` at a time
/// (only one batch of texts is held at once).
fn for_each_batch(
    items: &Bound<'_, PyAny>,
    batch: usize,
    mut f: impl FnMut(Vec<Document>) -> PyResult<()>,
) -> PyResult<()> {
    let mut next_id = 0u64;
    loop {
        let docs = next_batch(items, batch.max(1), &mut next_id)?;
        if docs.is_empty() {
            return Ok(());
        }
        f(docs)?;
    }
}

/// Fingerprints every document of the iterator `items`, `batch` texts at a
/// time, without the GIL.
fn fingerprint_all(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    params: SketchParams,
    shingle_sets: bool,
    batch: usize,
    threads: Option<usize>,
) -> PyResult<Vec<DocFingerprint>> {
    let mut all = Vec::new();
    for_each_batch(items, batch, |docs| {
        let mut fps = run(py, threads, || {
            lineage::pipeline::sketch(&docs, params, shingle_sets)
        })?;
        all.append(&mut fps);
        Ok(())
    })?;
    Ok(all)
}

/// Signatures of the texts of `items`: `(ids, K, bytes)`, the bytes being
/// the slots `lineage sketch` writes for the same texts.
#[pyfunction]
#[pyo3(signature = (items, num_perm, shingle_size, seed, batch, threads=None))]
fn sketch<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    num_perm: usize,
    shingle_size: usize,
    seed: u64,
    batch: usize,
    threads: Option<usize>,
) -> PyResult<(Vec<String>, usize, Bound<'py, PyBytes>)> {
    let params = sketch_params(num_perm, shingle_size, seed).map_err(to_py)?;
    let fps = fingerprint_all(py, items, params, false, batch, threads)?;
    let (ids, bytes) = ids_and_slots(py, fps);
    Ok((ids, num_perm, bytes))
}

/// The defaults of the options, as the library sets them (the Python
/// layer reads them here rather than writing them a second time).
#[pyfunction]
fn defaults() -> PyResult<String> {
    let sketch = SketchParams::default();
    let dedup = DedupOptions::default();
    let config = Config::default();
    let check = CheckOptions::default();
    let index = IndexParams::default();
    Ok(serde_json::json!({
        "num_perm": sketch.num_perm,
        "shingle_size": sketch.shingle_size,
        "content_size": config.shingle.content_size,
        "seed": sketch.seed,
        "threshold": config.threshold,
        "dedup_threshold": dedup.threshold,
        "recall_weight": dedup.lsh_weights.false_negative,
        "check_threshold": check.config.threshold,
        "index_scale": index.scale,
        "index_store_text": index.store_text,
    })
    .to_string())
}

fn to_py(e: lineage::Error) -> PyErr {
    LineageError::new_err(e.to_string())
}

/// Deduplicates the texts of `items` as `lineage dedup` does with
/// documents: `(ids, JSON of the result)`. With `exact`, shingle sets are
/// kept for exact verification (the CLI's way); without, pairs are
/// verified on the signatures and memory holds only signatures.
#[pyfunction]
#[pyo3(signature = (items, threshold, containment, recall_weight, exact, batch, threads=None))]
#[allow(clippy::too_many_arguments)]
fn dedup(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    threshold: f64,
    containment: Option<f64>,
    recall_weight: f64,
    exact: bool,
    batch: usize,
    threads: Option<usize>,
) -> PyResult<(Vec<String>, String)> {
    let options = DedupOptions {
        threshold,
        containment,
        lsh_weights: lineage::lsh::LshWeights::recall(recall_weight),
        ..DedupOptions::default()
    };
    options.validate().map_err(to_py)?;
    let fps = fingerprint_all(py, items, SketchParams::default(), exact, batch, threads)?;
    let result = run(py, threads, || {
        lineage::corpus::dedup::dedup(&fps, &options)
    })?;
    let ids = fps.into_iter().map(|f| f.id).collect();
    Ok((ids, json(&result)?))
}

/// An archive index file, as `lineage index` and `lineage check` use it.
#[pyclass(module = "lineage._lineage")]
struct IndexFile {
    path: PathBuf,
}

#[pymethods]
impl IndexFile {
    #[new]
    fn new(path: PathBuf) -> Self {
        IndexFile { path }
    }

    /// Adds the documents of `items` (replacing those whose id is already
    /// there): the JSON of the summary `lineage index add` reports.
    #[pyo3(signature = (items, batch, threads=None))]
    fn add(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        batch: usize,
        threads: Option<usize>,
    ) -> PyResult<String> {
        use rayon::prelude::*;
        let path = self.path.clone();
        let existing = run(py, Some(1), || read_params(&path))?;
        let params = existing.unwrap_or_default();
        let mut writer = run(py, Some(1), || {
            // Entries are fingerprinted with `params`: refuse an archive
            // another writer created with others since they were read.
            ArchiveWriter::open(&path, params, true)
        })?;
        // Entries, not texts, accumulate, up to a segment's worth.
        let (mut entries, mut bytes) = (Vec::new(), 0usize);
        for_each_batch(items, batch, |docs| {
            bytes += docs.iter().map(|d| d.text.len()).sum::<usize>();
            let mut more = run(py, threads, || {
                Ok(docs.par_iter().map(|d| entry(d, &params)).collect())
            })?;
            entries.append(&mut more);
            if bytes >= BATCH_BYTES {
                let full = std::mem::take(&mut entries);
                bytes = 0;
                run(py, threads, || writer.add(full))?;
            }
            Ok(())
        })?;
        let summary = run(py, threads, move || {
            writer.add(entries)?;
            writer.finish()
        })?;
        json(&summary)
    }

    /// Checks the documents of `items` against the index, as `lineage
    /// check` does: per document, its JSON record or the error that kept it
    /// from being checked (the others are still checked).
    #[pyo3(signature = (items, batch, threshold=None, threads=None))]
    fn check(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        batch: usize,
        threshold: Option<f64>,
        threads: Option<usize>,
    ) -> PyResult<Vec<(bool, String)>> {
        let path = self.path.clone();
        let index = run(py, threads, move || Archive::open(&path))?;
        let mut options = CheckOptions::default();
        options.config = lineage::archive::check::config_for(index.params(), options.config);
        if let Some(t) = threshold {
            options.config.threshold = t;
        }
        options.config.validate().map_err(to_py)?;
        let mut out = Vec::new();
        for_each_batch(items, batch, |docs| {
            let checks = run(py, threads, || {
                Ok(lineage::archive::check::check_documents(
                    &docs, &index, &options,
                ))
            })?;
            for c in checks {
                out.push(match c {
                    Ok(check) => (true, json(&check)?),
                    Err(e) => (false, e.to_string()),
                });
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The JSON of `lineage index stats --format json`.
    fn stats(&self, py: Python<'_>) -> PyResult<String> {
        let path = self.path.clone();
        let stats = run(py, Some(1), move || Archive::open(&path)?.stats())?;
        json(&stats)
    }
}

/// Reads a fingerprint file written by `lineage sketch` (native or
/// Parquet): `(ids, K, bytes, shingle size, seed)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn read_sketch<'py>(
    py: Python<'py>,
    path: PathBuf,
) -> PyResult<(Vec<String>, usize, Bound<'py, PyBytes>, usize, u64)> {
    let (params, fps) = run(py, Some(1), move || {
        if lineage::store::parquet::is_parquet_file(&path) {
            let (header, docs) = lineage::store::parquet::read_parquet_sketch(&path)?;
            Ok((header.params, docs))
        } else {
            let (header, docs) = lineage::store::fingerprints::read_fingerprints(&path)?;
            Ok((header.params, docs))
        }
    })?;
    let (ids, bytes) = ids_and_slots(py, fps);
    Ok((
        ids,
        params.num_perm,
        bytes,
        params.shingle_size,
        params.seed,
    ))
}

fn signature(bytes: &[u8], (num_perm, shingle_size, seed): (usize, usize, u64)) -> Signature {
    Signature {
        params: SketchParams {
            num_perm,
            shingle_size,
            seed,
            ..SketchParams::default()
        },
        slots: bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    }
}

/// Estimated Jaccard similarity of two signatures (slots as little-endian
/// `u32` bytes, with their `(num_perm, shingle_size, seed)`).
#[pyfunction]
fn jaccard(
    a: &[u8],
    b: &[u8],
    a_params: (usize, usize, u64),
    b_params: (usize, usize, u64),
) -> PyResult<f64> {
    signature(a, a_params)
        .jaccard(&signature(b, b_params))
        .map_err(to_py)
}

#[pymodule]
fn _lineage(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LineageError", m.py().get_type::<LineageError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(score_many, m)?)?;
    m.add_function(wrap_pyfunction!(sketch, m)?)?;
    m.add_function(wrap_pyfunction!(read_sketch, m)?)?;
    m.add_function(wrap_pyfunction!(dedup, m)?)?;
    m.add_function(wrap_pyfunction!(defaults, m)?)?;
    m.add_function(wrap_pyfunction!(jaccard, m)?)?;
    m.add_class::<IndexFile>()?;
    Ok(())
}
