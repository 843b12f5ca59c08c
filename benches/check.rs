//! `lineage check`: opening an archive (its manifest read, its segments
//! mapped), then one article (the seed rewrite) against it, retrieval
//! alone and retrieval plus verification; and `index add`'s
//! fingerprinting of one article.
//!
//! The index is the file named by `LINEAGE_BENCH_INDEX` (build it with
//! `lineage index add`, for instance from the Reuters bodies
//! `benches/peers/extract.py` writes or from a synthetic archive of
//! millions of articles, `scripts/archive_bench.py generate`), or else an
//! index of `samples/` built in memory.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use lineage::archive::check::{check_document, CheckOptions, DEFAULT_THRESHOLD};
use lineage::archive::disk::Archive;
use lineage::archive::index::{entry, Index, IndexParams};
use lineage::archive::retrieve::RetrievalOptions;
use lineage::compare::{Config, Fingerprint};
use lineage::source::Document;

const REWRITE: &str = include_str!("../samples/rewrite.txt");

fn samples_index() -> Archive {
    let params = IndexParams::default();
    let mut index = Index::new(params).expect("parameters are valid");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("samples/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt") && !p.ends_with("rewrite.txt"))
        .collect();
    names.sort();
    let entries = names
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("sample is UTF-8");
            entry(&Document::new(p.display().to_string(), text), &params)
        })
        .collect();
    index.add(entries);
    Archive::in_memory(index, &dir)
}

fn bench(c: &mut Criterion) {
    let path = std::env::var_os("LINEAGE_BENCH_INDEX").map(PathBuf::from);
    let index = match &path {
        Some(p) => Archive::open(p).expect("LINEAGE_BENCH_INDEX is an index"),
        None => samples_index(),
    };
    let doc = Document::new("rewrite.txt", REWRITE);
    let options = CheckOptions {
        config: Config {
            threshold: DEFAULT_THRESHOLD,
            ..lineage::archive::check::config_for(index.params(), Config::default())
        },
        retrieval: RetrievalOptions::default(),
        within: false,
    };
    let name = format!("check/{}_docs", index.len());
    let mut g = c.benchmark_group(name);
    if let Some(p) = &path {
        g.bench_function("open", |b| b.iter(|| Archive::open(p).expect("open")));
    }
    g.bench_function("retrieve", |b| {
        b.iter(|| {
            let fp = Fingerprint::new(&doc, &options.config).expect("fingerprint");
            let query = index.params().keep(&fp.content_set);
            index
                .candidates(&query, &options.retrieval, None)
                .expect("retrieve")
        })
    });
    g.bench_function("check_one_article", |b| {
        b.iter(|| check_document(&doc, &index, &options).expect("check"))
    });
    g.bench_function("index_entry", |b| b.iter(|| entry(&doc, index.params())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
