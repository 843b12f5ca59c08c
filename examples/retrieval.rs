//! Measures the two containment-aware retrieval designs issue #4 names, on
//! the same data, so the index keeps the better one:
//!
//! * **FracMinHash** (what `lineage index` uses): every content shingle
//!   (stemmed content-word 2-gram) in an inverted list; candidates ranked
//!   by shared distinctive hashes ([`Index::candidates`]).
//! * **Passage MinHash LSH**: windows of 50 content words (stride 25), each
//!   sketched with K=32 over its content shingles, banded for a low
//!   Jaccard threshold (16 bands x 2 rows: a window pair at Jaccard 0.2
//!   becomes a candidate with probability 0.48, at 0.3 with 0.80);
//!   candidates ranked by matching windows.
//!
//! Task: the 95 Clough & Stevenson answers against an archive of the five
//! originals plus the 19,043 Reuters bodies. Reported per design and per
//! category: recall of the right original among the candidates, candidates
//! per query, build time, bytes per document, query time.
//!
//! Usage: `cargo run --release --example retrieval -- REUTERS.jsonl CLOUGH_DIR`
//! (`benches/peers/extract.py` writes the JSON Lines; CLOUGH_DIR is
//! `../shared/data/clough_stevenson`).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use lineage::archive::index::{entry, Index, IndexParams};
use lineage::archive::retrieve::RetrievalOptions;
use lineage::lsh::{band_key, LshParams};
use lineage::sketch::{SketchParams, Sketcher};
use lineage::source::Document;
use lineage::text::shingle::{content_shingles, ShingleParams};
use lineage::text::tokenize::tokenize;

const WINDOW: usize = 50;
const STRIDE: usize = 25;
const TOP: usize = 10;

fn load(reuters: &Path, clough: &Path) -> (Vec<Document>, Vec<(Document, usize, String)>) {
    let mut docs: Vec<Document> = Vec::new();
    let corpus = clough.join("corpus-20090418");
    for t in ["a", "b", "c", "d", "e"] {
        let bytes = std::fs::read(corpus.join(format!("orig_task{t}.txt"))).expect("original");
        docs.push(Document::new(
            format!("orig_task{t}"),
            String::from_utf8_lossy(&bytes),
        ));
    }
    for line in std::fs::read_to_string(reuters)
        .expect("reuters jsonl")
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        docs.push(Document::new(
            v["id"].as_str().unwrap_or_default(),
            v["text"].as_str().unwrap_or_default(),
        ));
    }
    let mut answers = Vec::new();
    let labels = std::fs::read_to_string(clough.join("labels.csv")).expect("labels");
    for line in labels.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if !["cut", "light", "heavy", "non"].contains(&cols[4]) {
            continue;
        }
        let bytes = std::fs::read(corpus.join(cols[0])).expect("answer");
        let task = "abcde".find(cols[3]).expect("task a-e");
        answers.push((
            Document::new(cols[0], String::from_utf8_lossy(&bytes)),
            task,
            cols[4].to_string(),
        ));
    }
    (docs, answers)
}

/// Band keys of every window of a document.
fn window_keys(doc: &Document, sketcher: &Sketcher, lsh: LshParams) -> Vec<u64> {
    let tokens = tokenize(&doc.text);
    let shingles = content_shingles(&tokens, &ShingleParams::default());
    let h = &shingles.hashes;
    let mut keys = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + WINDOW).min(h.len());
        let sig = sketcher.sketch(h[start..end].iter().copied());
        if !sig.is_empty() {
            keys.extend((0..lsh.bands).map(|b| band_key(&sig.slots, lsh, b)));
        }
        if end == h.len() {
            break;
        }
        start += STRIDE;
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

struct Tally {
    name: &'static str,
    hits: HashMap<String, (usize, usize)>,
    candidates: usize,
    queries: usize,
    query_secs: f64,
}

impl Tally {
    fn new(name: &'static str) -> Tally {
        Tally {
            name,
            hits: HashMap::new(),
            candidates: 0,
            queries: 0,
            query_secs: 0.0,
        }
    }

    fn record(&mut self, category: &str, found: bool, candidates: usize) {
        let e = self.hits.entry(category.to_string()).or_default();
        e.0 += usize::from(found);
        e.1 += 1;
        self.candidates += candidates;
        self.queries += 1;
    }

    fn print(&self, build_secs: f64, bytes_per_doc: f64) {
        let mut cats: Vec<_> = self.hits.iter().collect();
        cats.sort();
        let recall: Vec<String> = cats
            .iter()
            .map(|(c, (h, n))| format!("{c} {h}/{n}"))
            .collect();
        println!(
            "{:<22} recall@{TOP} [{}]  {:.1} candidates/query  build {:.2} s  {:.0} B/doc  {:.3} ms/query",
            self.name,
            recall.join(", "),
            self.candidates as f64 / self.queries as f64,
            build_secs,
            bytes_per_doc,
            1e3 * self.query_secs / self.queries as f64,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: retrieval REUTERS.jsonl CLOUGH_DIR");
        std::process::exit(2);
    }
    let (docs, answers) = load(Path::new(&args[1]), Path::new(&args[2]));
    println!(
        "{} archived documents, {} answers",
        docs.len(),
        answers.len()
    );

    // FracMinHash inverted index, as lineage index builds it.
    let params = IndexParams::default();
    let t = Instant::now();
    let mut index = Index::new(params).expect("params");
    index.add(docs.iter().map(|d| entry(d, &params)).collect());
    let build = t.elapsed().as_secs_f64();
    let mut frac = Tally::new("fracminhash");
    // The same without the distinctive-wording gate, for reference.
    let mut frac_all = Tally::new("fracminhash, no gate");
    let gated = RetrievalOptions {
        max_candidates: TOP,
        ..RetrievalOptions::default()
    };
    let ungated = RetrievalOptions {
        min_distinctive: 0.0,
        ..gated
    };
    for (doc, task, cat) in &answers {
        for (tally, opts) in [(&mut frac, &gated), (&mut frac_all, &ungated)] {
            let t = Instant::now();
            let q = entry(doc, &params).hashes;
            let found = index.candidates(&q, opts, None);
            tally.query_secs += t.elapsed().as_secs_f64();
            let hit = found.iter().any(|c| c.doc as usize == *task);
            tally.record(
                cat,
                if cat == "non" {
                    !found.is_empty() && hit
                } else {
                    hit
                },
                found.len(),
            );
        }
    }
    let bytes = 8.0 * index.postings() as f64 / docs.len() as f64;
    frac.print(build, bytes);
    frac_all.print(build, bytes);

    // Passage MinHash LSH.
    let sketcher = Sketcher::new(SketchParams {
        num_perm: 32,
        shingle_size: 2,
        ..SketchParams::default()
    })
    .expect("params");
    let lsh = LshParams {
        bands: 16,
        rows_per_band: 2,
    };
    let t = Instant::now();
    let mut table: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut entries = 0usize;
    for (i, d) in docs.iter().enumerate() {
        for k in window_keys(d, &sketcher, lsh) {
            table.entry(k).or_default().push(i as u32);
            entries += 1;
        }
    }
    let build = t.elapsed().as_secs_f64();
    let mut passages = Tally::new("passage minhash lsh");
    for (doc, task, cat) in &answers {
        let t = Instant::now();
        let mut votes: HashMap<u32, u32> = HashMap::new();
        for k in window_keys(doc, &sketcher, lsh) {
            for &d in table.get(&k).map(Vec::as_slice).unwrap_or_default() {
                *votes.entry(d).or_default() += 1;
            }
        }
        let mut ranked: Vec<(u32, u32)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(TOP);
        passages.query_secs += t.elapsed().as_secs_f64();
        let hit = ranked.iter().any(|&(d, _)| d as usize == *task);
        passages.record(cat, hit, ranked.len());
    }
    passages.print(build, 16.0 * entries as f64 / docs.len() as f64);
}
