//! criterion benches, one group per pipeline stage, on the texts in
//! `samples/` (about 22 KB together; see `samples/README.md`).
//!
//! Throughput is in bytes of *source text* per second for every stage, the
//! sketch included (it runs over precomputed shingle hashes, but what a user
//! feeds in is text), so the stages can be compared and added up.
//!
//! Run: `cargo bench --bench stages` (add `-- --quick` for a short run, or a
//! group name such as `sketch` to run one stage).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lineage::compare::{compare, Config, Fingerprint};
use lineage::sketch::Sketcher;
use lineage::source::Document;
use lineage::text::normalize::normalize;
use lineage::text::shingle::{content_shingles, raw_shingles};
use lineage::text::tokenize::tokenize;

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn sample(name: &str) -> String {
    let path = samples_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `samples/*.txt` (file name order) joined by blank lines. `ascii`
/// keeps only the pure-ASCII files (the Reuters stories), which take the
/// normaliser's fast path.
fn corpus(ascii: bool) -> String {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("samples/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| sample(n))
        .filter(|text| !ascii || text.is_ascii())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// (name, text) of the two corpora.
fn corpora() -> [(&'static str, String); 2] {
    [("samples", corpus(false)), ("reuters-ascii", corpus(true))]
}

fn bench_normalize(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize");
    for (name, text) in corpora() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| normalize(black_box(text)))
        });
    }
    group.finish();
}

fn bench_tokenize(c: &mut Criterion) {
    let mut group = c.benchmark_group("tokenize");
    for (name, text) in corpora() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        // Includes normalisation: tokenize() always normalises first.
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| tokenize(black_box(text)))
        });
    }
    group.finish();
}

fn bench_shingle(c: &mut Criterion) {
    let text = corpus(false);
    let tokens = tokenize(&text);
    let params = Config::default().shingle;
    let mut group = c.benchmark_group("shingle");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("raw", |b| {
        b.iter(|| raw_shingles(black_box(&tokens), &params))
    });
    // The stem memo is per thread and warm after the first iteration, as it
    // is for every document after the first in a real run.
    group.bench_function("content", |b| {
        b.iter(|| content_shingles(black_box(&tokens), &params))
    });
    group.finish();
}

fn bench_sketch(c: &mut Criterion) {
    let text = corpus(false);
    let config = Config::default();
    let hashes = raw_shingles(&tokenize(&text), &config.shingle).hashes;
    let sketcher = Sketcher::new(config.sketch_params()).expect("default params are valid");
    let mut group = c.benchmark_group("sketch");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function(
        BenchmarkId::new("oph", format!("K={}", config.num_perm)),
        |b| b.iter(|| sketcher.sketch(black_box(&hashes).iter().copied())),
    );
    // Short documents leave bins empty, so densification runs: 126
    // shingles (a median Reuters body) fill about 80 of 128 bins.
    let short: Vec<&[u64]> = hashes.chunks_exact(126).collect();
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function(
        BenchmarkId::new("oph-short-docs", format!("K={}", config.num_perm)),
        |b| {
            b.iter(|| {
                short
                    .iter()
                    .map(|doc| sketcher.sketch(black_box(doc).iter().copied()).slots[0])
                    .fold(0u32, |a, s| a ^ s)
            })
        },
    );
    group.finish();
}

fn bench_fingerprint(c: &mut Criterion) {
    let doc = Document::new("samples", corpus(false));
    let config = Config::default();
    let mut group = c.benchmark_group("fingerprint");
    group.throughput(Throughput::Bytes(doc.text.len() as u64));
    // Stages 1-4 end to end on one document.
    group.bench_function("stages-1-4", |b| {
        b.iter(|| Fingerprint::new(black_box(&doc), &config).expect("valid config"))
    });
    group.finish();
}

fn bench_score(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("score");
    for (name, derived, source) in [
        ("seed-pair", "rewrite.txt", "original.txt"),
        (
            "reuters-unrelated",
            "reuters-grain.txt",
            "reuters-crude.txt",
        ),
    ] {
        let d = Document::new(derived, sample(derived));
        let s = Document::new(source, sample(source));
        let fd = Fingerprint::new(&d, &config).expect("valid config");
        let fs = Fingerprint::new(&s, &config).expect("valid config");
        group.throughput(Throughput::Bytes((d.text.len() + s.text.len()) as u64));
        group.bench_function(BenchmarkId::new("compare", name), |b| {
            b.iter(|| compare(black_box(&fd), black_box(&fs), &config).expect("same params"))
        });
    }
    group.finish();
}

criterion_group!(
    stages,
    bench_normalize,
    bench_tokenize,
    bench_shingle,
    bench_sketch,
    bench_fingerprint,
    bench_score
);
criterion_main!(stages);
