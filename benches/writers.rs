//! criterion benches of the two fingerprint file writers, native and
//! Apache Parquet, on the same synthetic fingerprints (K = 128 random
//! slots, ids like JSON Lines record ids), so that the cost Parquet adds
//! to `lineage sketch` can be seen without the sketching around it.
//!
//! Each iteration creates the file in a temporary folder, writes every
//! fingerprint and finishes it (sync and rename included).
//!
//! Run: `cargo bench --bench writers`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lineage::kernels::hash::fmix64;
use lineage::lsh::LshWeights;
use lineage::sketch::DocFingerprint;
use lineage::sketch::SketchParams;
use lineage::store::fingerprints::{FingerprintHeader, FingerprintWriter};
use lineage::store::parquet::ParquetSketchWriter;

/// The allocator of the `lineage` binary, so that the buffers the writers
/// allocate per row group cost what they cost there.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Fingerprints per file: about the Reuters corpus.
const DOCS: usize = 19_043;

fn fingerprints(params: SketchParams) -> Vec<DocFingerprint> {
    (0..DOCS)
        .map(|d| DocFingerprint {
            id: format!("reuters.jsonl:{}", d + 1),
            date: None,
            bytes: 800,
            tokens: 130,
            shingles: 126,
            slots: (0..params.num_perm)
                .map(|i| fmix64((d * params.num_perm + i) as u64) as u32)
                .collect(),
            shingle_set: None,
        })
        .collect()
}

fn bench_writers(c: &mut Criterion) {
    let params = SketchParams::default();
    let docs = fingerprints(params);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut group = c.benchmark_group("write");
    group.throughput(Throughput::Elements(DOCS as u64));
    group.sample_size(20);
    group.bench_function("native", |b| {
        let path = dir.path().join("s.lfp");
        b.iter(|| {
            let header = FingerprintHeader::new(params, false);
            let mut w = FingerprintWriter::create(&path, header).expect("create");
            for doc in &docs {
                w.write(black_box(doc)).expect("write");
            }
            w.finish().expect("finish")
        })
    });
    // "parquet": row groups encoded on a writer thread (the default, and
    // `lineage sketch` with a core to spare); "parquet_inline": on the
    // calling thread, as `sketch` writes when every core sketches, which
    // shows the CPU time Parquet adds there.
    for (name, background) in [("parquet", true), ("parquet_inline", false)] {
        group.bench_function(name, |b| {
            let path = dir.path().join(format!("{name}.parquet"));
            b.iter(|| {
                let mut w = ParquetSketchWriter::create_for_threshold(
                    &path,
                    params,
                    0.8,
                    LshWeights::EQUAL,
                    false,
                )
                .expect("create");
                w.set_background(background);
                for doc in &docs {
                    w.write(black_box(doc)).expect("write");
                }
                w.finish().expect("finish")
            })
        });
    }
    group.finish();
}

criterion_group!(writers, bench_writers);
criterion_main!(writers);
