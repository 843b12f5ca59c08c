//! criterion bench of the corpus pipeline ([`fingerprint_corpus`], what
//! `lineage sketch` and `lineage dedup` run) on one JSON Lines file, at one
//! thread and on every core. It runs in process: without the start and
//! exit of a process, which `benches/peers` times too, so the ratio of the
//! two medians is the pipeline's own parallel efficiency.
//!
//! The input is `LINEAGE_BENCH_JSONL` if set; else the Reuters bodies that
//! `benches/peers/run.sh` extracts (`benches/peers/work/reuters.jsonl`), if
//! present; else a stand-in of about 16 MB built from `samples/` (each
//! record two of its ASCII paragraphs and a number). The bench prints
//! which.
//!
//! Run: `cargo bench --bench corpus`. Efficiency on `n` cores:
//! median at one thread / (n x median on `n` cores).

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lineage::corpus::{fingerprint_corpus, CorpusEvent, CorpusOptions};
use lineage::source::input::{InputOptions, Inputs};

/// The binary's allocator, so that the pipeline allocates as it does in
/// `lineage sketch`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes the stand-in corpus into `dir` and returns its path.
fn stand_in(dir: &Path) -> PathBuf {
    let mut paragraphs = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(repo().join("samples"))
        .expect("samples/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(&name).expect("a readable sample");
        paragraphs.extend(
            text.split("\n\n")
                .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                // ASCII, as the Reuters bodies (the tokeniser's fast path).
                .filter(|p| p.len() > 80 && p.is_ascii()),
        );
    }
    let path = dir.join("stand-in.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("a temp file"));
    let (mut bytes, mut i) = (0, 0usize);
    while bytes < 16 << 20 {
        let a = &paragraphs[i % paragraphs.len()];
        let b = &paragraphs[(i * 7 + 3) % paragraphs.len()];
        let record =
            serde_json::json!({ "id": format!("s{i}"), "text": format!("{a} {b} record {i}") });
        let line = format!("{record}\n");
        bytes += line.len();
        out.write_all(line.as_bytes())
            .expect("a writable temp file");
        i += 1;
    }
    out.flush().expect("a writable temp file");
    path
}

/// Fingerprints every record of `inputs` on `threads` threads; returns a
/// checksum of the signatures, so nothing is optimised away.
fn run(inputs: &Inputs, threads: usize, pool: &rayon::ThreadPool) -> u64 {
    let options = CorpusOptions {
        parallel: threads > 1,
        ..CorpusOptions::default()
    };
    let mut sum = 0u64;
    pool.install(|| {
        fingerprint_corpus(inputs, options, |event| {
            if let CorpusEvent::Fingerprint(fp) = event {
                sum = sum.wrapping_add(fp.slots.iter().map(|&s| u64::from(s)).sum::<u64>());
            }
            Ok(())
        })
    })
    .expect("the corpus reads");
    sum
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let peers = repo().join("benches/peers/work/reuters.jsonl");
    let path = match std::env::var_os("LINEAGE_BENCH_JSONL") {
        Some(p) => PathBuf::from(p),
        None if peers.is_file() => peers,
        None => stand_in(dir.path()),
    };
    let bytes = std::fs::metadata(&path).expect("the input exists").len();
    eprintln!("corpus bench input: {} ({bytes} bytes)", path.display());
    let inputs = Inputs::open(std::slice::from_ref(&path), InputOptions::default());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("corpus");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(bytes));
    let mut counts = vec![1];
    if cores > 1 {
        counts.push(cores);
    }
    for threads in counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| black_box(run(&inputs, threads, &pool)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
