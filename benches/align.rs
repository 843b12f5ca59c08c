//! Passage alignment on the seed pair (a 394-word rewrite of a 574-word
//! article): the `align` stage alone on prepared fingerprints, and the whole
//! pairwise comparison (exact scores, both alignments, verdict).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lineage::compare::align::{align, shared_quotes};
use lineage::compare::{compare, Config, Fingerprint};
use lineage::source::Document;

const ORIGINAL: &str = include_str!("../samples/original.txt");
const REWRITE: &str = include_str!("../samples/rewrite.txt");

fn bench(c: &mut Criterion) {
    let config = Config::default();
    let d = Document::new("rewrite.txt", REWRITE);
    let s = Document::new("original.txt", ORIGINAL);
    let fd = Fingerprint::new(&d, &config).expect("fingerprint");
    let fs = Fingerprint::new(&s, &config).expect("fingerprint");
    let mut g = c.benchmark_group("align");
    g.throughput(Throughput::Bytes((REWRITE.len() + ORIGINAL.len()) as u64));
    let quotes = shared_quotes(&fd, &fs);
    g.bench_function("seed_pair", |b| {
        b.iter(|| align(&fd, &fs, &config.align, &quotes, false))
    });
    g.bench_function("compare_seed_pair", |b| {
        b.iter(|| compare(&fd, &fs, &config).expect("compare"))
    });
    g.bench_function("fingerprint_and_compare_seed_pair", |b| {
        b.iter(|| {
            let fd = Fingerprint::new(&d, &config).expect("fingerprint");
            let fs = Fingerprint::new(&s, &config).expect("fingerprint");
            compare(&fd, &fs, &config).expect("compare")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
