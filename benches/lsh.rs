//! Benchmarks of the dedup stages after sketching: choosing bands and rows,
//! LSH candidate generation, exact verification and union-find.
//!
//! The corpus is synthetic so that the bench runs without ../shared:
//! 20,000 signatures of K = 128 slots, a tenth of them near copies (a few
//! slots changed) of an earlier one, like a news feed with rewrites.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lineage::corpus::dedup::{intersection_size, UnionFind};
use lineage::kernels::hash::fmix64;
use lineage::lsh::candidates::{lsh_candidates, CandidatePair};
use lineage::lsh::{band_key, band_keys_into, optimal_params, LshParams, LshWeights};

const DOCS: usize = 20_000;
const K: usize = 128;

fn signatures() -> Vec<Vec<u32>> {
    let mut sigs: Vec<Vec<u32>> = Vec::with_capacity(DOCS);
    for d in 0..DOCS {
        let sig = if d % 10 == 9 {
            let mut s = sigs[d - 7].clone();
            for i in 0..8 {
                let at = (fmix64((d * 31 + i) as u64) % K as u64) as usize;
                s[at] = fmix64((d * 977 + i) as u64) as u32;
            }
            s
        } else {
            (0..K).map(|i| fmix64((d * K + i) as u64) as u32).collect()
        };
        sigs.push(sig);
    }
    sigs
}

fn bench_params(c: &mut Criterion) {
    let mut group = c.benchmark_group("lsh_params");
    for t in [0.5, 0.8, 0.9] {
        group.bench_with_input(BenchmarkId::from_parameter(t), &t, |b, &t| {
            b.iter(|| optimal_params(black_box(t), K, LshWeights::EQUAL))
        });
    }
    group.finish();
}

fn bench_candidates(c: &mut Criterion) {
    let sigs = signatures();
    let views: Vec<Option<&[u32]>> = sigs.iter().map(|s| Some(s.as_slice())).collect();
    let mut group = c.benchmark_group("lsh_candidates");
    group.sample_size(20);
    for (name, params) in [
        (
            "9x13",
            LshParams {
                bands: 9,
                rows_per_band: 13,
            },
        ),
        (
            "16x8",
            LshParams {
                bands: 16,
                rows_per_band: 8,
            },
        ),
    ] {
        for parallel in [false, true] {
            let id = format!("{name}/{}", if parallel { "parallel" } else { "serial" });
            group.bench_function(id, |b| {
                b.iter(|| lsh_candidates(black_box(&views), params, parallel))
            });
        }
    }
    group.finish();
}

/// All band keys of `sigs`, a signature at a time, folded into one value.
fn key_all<'a>(
    sigs: impl Iterator<Item = &'a [u32]>,
    params: LshParams,
    keys: &mut Vec<u64>,
) -> u64 {
    sigs.fold(0u64, |acc, s| {
        keys.clear();
        band_keys_into(s, params, keys);
        keys.iter().fold(acc, |acc, &k| acc ^ black_box(k))
    })
}

/// Every band key of every signature at 9 x 13 (threshold 0.8 with equal
/// weights) and at 16 x 8 (the default recall weight: what the Parquet
/// writer and `lineage dedup` use at 0.8).
fn bench_band_keys(c: &mut Criterion) {
    let sigs = signatures();
    let mut group = c.benchmark_group("lsh_band_keys");
    for (bands, rows_per_band) in [(9, 13), (16, 8)] {
        let params = LshParams {
            bands,
            rows_per_band,
        };
        let name = format!("{bands}x{rows_per_band}");
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                sigs.iter()
                    .flat_map(|s| (0..params.bands).map(move |band| band_key(s, params, band)))
                    .fold(0u64, |acc, k| acc ^ black_box(k))
            })
        });
        // The same keys as the Parquet writer computes them, all bands of
        // a signature at once.
        group.bench_function(format!("{name}_at_once"), |b| {
            let mut keys = Vec::with_capacity(params.bands);
            b.iter(|| key_all(sigs.iter().map(Vec::as_slice), params, &mut keys))
        });
        // One Parquet row group: 512 signatures side by side, in the
        // caches, as the writer keys them.
        let group_sigs: Vec<u32> = sigs.iter().take(512).flatten().copied().collect();
        group.bench_function(format!("{name}_row_group"), |b| {
            let mut keys = Vec::with_capacity(params.bands);
            b.iter(|| key_all(group_sigs.chunks_exact(K), params, &mut keys))
        });
    }
    group.finish();
}

fn bench_verify_and_union(c: &mut Criterion) {
    let sets: Vec<Vec<u64>> = (0..2_000u64)
        .map(|d| {
            let mut s: Vec<u64> = (0..150).map(|i| fmix64(d / 2 * 1000 + i)).collect();
            s.sort_unstable();
            s
        })
        .collect();
    let mut group = c.benchmark_group("dedup");
    group.bench_function("verify_1000_pairs", |b| {
        b.iter(|| {
            (0..1000)
                .map(|i| intersection_size(&sets[2 * i], &sets[2 * i + 1]))
                .sum::<usize>()
        })
    });
    let edges: Vec<CandidatePair> = (0..DOCS as u32 / 2)
        .map(|i| CandidatePair::new(i, (fmix64(u64::from(i)) % DOCS as u64) as u32))
        .filter(|p| p.left != p.right)
        .collect();
    group.bench_function("union_find_10k_edges", |b| {
        b.iter(|| {
            let mut uf = UnionFind::new(DOCS);
            for e in &edges {
                uf.union(e.left, e.right);
            }
            uf.groups().len()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_params,
    bench_candidates,
    bench_band_keys,
    bench_verify_and_union
);
criterion_main!(benches);
