//! `lineage dedup`'s clusters as text for a person or as JSON Lines.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::corpus::dedup::{DedupOptions, DedupResult, DuplicatePair};
use crate::sketch::{DocFingerprint, SketchParams};

/// One run of `lineage dedup`: the documents, the clusters found, and how.
#[derive(Debug, Clone, Copy)]
pub struct DedupRun<'a> {
    /// The documents, in corpus order (cluster members index them).
    pub docs: &'a [DocFingerprint],
    /// The clusters.
    pub result: &'a DedupResult,
    /// The sketch parameters of the documents.
    pub params: &'a SketchParams,
    /// The dedup options.
    pub options: &'a DedupOptions,
    /// The cluster file applied (`--from-parquet`), if any.
    pub clusters_from: Option<&'a Path>,
}

/// Scores in JSON keep four decimals.
fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn pair_json(docs: &[DocFingerprint], p: &DuplicatePair) -> serde_json::Value {
    json!({
        "left": docs[p.left as usize].id,
        "right": docs[p.right as usize].id,
        "jaccard": round(p.jaccard),
        "left_in_right": p.left_in_right.map(round),
        "right_in_left": p.right_in_left.map(round),
    })
}

fn summary_json(run: &DedupRun<'_>) -> serde_json::Value {
    let (docs, result) = (run.docs, run.result);
    let (params, options) = (run.params, run.options);
    json!({
        "documents": docs.len(),
        "empty_documents": result.empty_documents,
        "clusters": result.clusters.len(),
        "duplicates": result.duplicates(),
        "kept": docs.len() - result.duplicates(),
        "candidates": result.candidates,
        "verified_pairs": result.verified_pairs,
        "verification": result.verification,
        "clusters_from": run.clusters_from.map(|p| p.display().to_string()),
        "params": {
            "threshold": options.threshold,
            "containment": options.containment,
            "exact_join": options.exact_join,
            "lsh": result.lsh,
            "lsh_weights": options.lsh_weights,
            "num_perm": params.num_perm,
            "shingle_size": params.shingle_size,
            "seed": params.seed,
            "scheme": params.scheme,
        },
    })
}

/// The clusters as JSON Lines, one `cluster` record each (its members, its
/// representative and its verified pairs), then one `summary` record.
pub fn write_json(out: &mut impl Write, run: &DedupRun<'_>) -> std::io::Result<()> {
    let (docs, result) = (run.docs, run.result);
    for (n, c) in result.clusters.iter().enumerate() {
        let members: Vec<serde_json::Value> = c
            .members
            .iter()
            .map(|&m| {
                let d = &docs[m as usize];
                json!({"id": d.id, "tokens": d.tokens, "bytes": d.bytes, "date": d.date})
            })
            .collect();
        let pairs: Vec<serde_json::Value> = c.pairs.iter().map(|p| pair_json(docs, p)).collect();
        let line = json!({
            "cluster": n + 1,
            "size": c.members.len(),
            "representative": docs[c.representative as usize].id,
            "members": members,
            "pairs": pairs,
        });
        out.write_all(super::json::tagged_line("cluster", &line).as_bytes())?;
    }
    out.write_all(super::json::tagged_line("summary", &summary_json(run)).as_bytes())
}

/// The clusters as text for a person: each cluster with the document kept
/// and its verified pairs, then the counts and how the pairs were found.
pub fn write_text(out: &mut impl Write, run: &DedupRun<'_>) -> std::io::Result<()> {
    let (docs, result) = (run.docs, run.result);
    let (params, options) = (run.params, run.options);
    let id = |i: u32| docs[i as usize].id.as_str();
    for (n, c) in result.clusters.iter().enumerate() {
        writeln!(
            out,
            "cluster {} ({} documents, keep {})",
            n + 1,
            c.members.len(),
            id(c.representative)
        )?;
        for p in &c.pairs {
            write!(
                out,
                "  {} ~ {}  jaccard {:.3}",
                id(p.left),
                id(p.right),
                p.jaccard
            )?;
            if let (Some(a), Some(b)) = (p.left_in_right, p.right_in_left) {
                write!(out, "  containment {:.3}/{:.3}", a, b)?;
            }
            writeln!(out)?;
        }
    }
    if !result.clusters.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} documents, {} clusters, {} duplicates removed, {} kept",
        docs.len(),
        result.clusters.len(),
        result.duplicates(),
        docs.len() - result.duplicates()
    )?;
    let mut how = match result.lsh {
        Some(l) => format!("LSH {} bands x {} rows", l.bands, l.rows_per_band),
        None => "exact join".to_string(),
    };
    if let Some(file) = run.clusters_from {
        how = format!("{how} inside the clusters of {}", file.display());
    }
    let mut containment = String::new();
    if let Some(c) = options.containment {
        containment = format!(", containment {c}");
    }
    writeln!(
        out,
        "threshold {}{containment}; candidates {} by {how}, {} verified ({:?}); K={} shingles of {} words, seed {}{}",
        options.threshold,
        result.candidates,
        result.verified_pairs,
        result.verification,
        params.num_perm,
        params.shingle_size,
        params.seed,
        if result.empty_documents > 0 {
            format!("; {} empty documents never pair", result.empty_documents)
        } else {
            String::new()
        }
    )?;
    Ok(())
}
