//! `lineage dedup --output FILE`: the kept documents written back as the
//! JSON Lines records they were read from, byte for byte, in input order.

use std::path::Path;

use crate::util::{lineage, run, sample, sample_text};

/// Two JSON Lines shards holding two clusters (a Reuters story and its
/// corrected version; an article and its exact copy) and an unrelated
/// rewrite. Records are written the ways real files come: keys in any
/// order, extra fields, non-ASCII kept as is, a CRLF line end, a blank
/// line, no line end at the very end. Returns the shards' lines.
fn shards(dir: &Path) -> Vec<Vec<u8>> {
    let json = |s: &str| serde_json::to_string(s).unwrap();
    let tseng = sample_text("reuters-tseng.txt");
    let corrected = sample_text("reuters-tseng-corrected.txt");
    let original = sample_text("original.txt");
    let rewrite = sample_text("rewrite.txt");
    let first = [
        format!("{{\"id\":\"tseng\",\"text\":{}}}\n", json(&tseng)),
        format!(
            "{{\"text\": {},   \"id\": \"tseng-corrected\", \"extra\": [1, {{\"é\": \"ü\"}}]}}\r\n",
            json(&corrected)
        ),
        "\n".to_string(),
        format!("{{\"id\":\"original\",\"text\":{}}}\n", json(&original)),
    ];
    let second = [
        format!(
            "{{\"id\":\"rewrite\",\"text\":{},\"title\":\"Naïve copy\"}}\n",
            json(&rewrite)
        ),
        // Exact copy of `original`, without a final line end.
        format!("{{\"id\":\"original-copy\",\"text\":{}}}", json(&original)),
    ];
    std::fs::write(dir.join("a.jsonl"), first.concat()).unwrap();
    std::fs::write(dir.join("b.jsonl"), second.concat()).unwrap();
    first
        .iter()
        .chain(second.iter())
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.clone().into_bytes())
        .collect()
}

fn ids_of(jsonl: &[u8]) -> Vec<String> {
    String::from_utf8(jsonl.to_vec())
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn kept_records_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let lines = shards(dir.path());
    let r = run(lineage()
        .current_dir(dir.path())
        .args(["dedup", "a.jsonl", "b.jsonl"])
        .args(["--keep", "keep.txt", "--output", "kept.jsonl"]));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stdout.contains("2 clusters"), "{}", r.stdout);
    let keep: Vec<String> = std::fs::read_to_string(dir.path().join("keep.txt"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(keep.len(), 3, "{keep:?}");
    let kept = std::fs::read(dir.path().join("kept.jsonl")).unwrap();
    // The kept ids are the keep-list, in the same (input) order.
    assert_eq!(ids_of(&kept), keep);
    // Each kept record is its line as read, byte for byte (the CRLF and
    // the extra fields included); the last one gains the line end it
    // lacked.
    let expected: Vec<u8> = lines
        .iter()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_slice(l.trim_ascii()).unwrap();
            keep.iter().any(|k| v["id"] == k.as_str())
        })
        .flat_map(|l| {
            let mut l = l.clone();
            if !l.ends_with(b"\n") {
                l.push(b'\n');
            }
            l
        })
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&kept),
        String::from_utf8_lossy(&expected)
    );
    // Deduplicated once, the output has nothing left to remove.
    let again = run(lineage()
        .current_dir(dir.path())
        .args(["dedup", "kept.jsonl", "--keep", "-"]));
    assert_eq!(again.code, Some(0), "{}{}", again.stdout, again.stderr);
    assert_eq!(again.stdout.lines().collect::<Vec<_>>(), keep);
    // `--output -` prints the same records instead of the report.
    let piped = lineage()
        .current_dir(dir.path())
        .args(["dedup", "a.jsonl", "b.jsonl", "--output", "-"])
        .output()
        .unwrap();
    assert_eq!(piped.status.code(), Some(1));
    assert_eq!(piped.stdout, kept);
}

#[test]
fn output_is_refused_where_it_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    shards(dir.path());
    let before = std::fs::read(dir.path().join("a.jsonl")).unwrap();
    let dedup = |args: &[&str]| run(lineage().current_dir(dir.path()).arg("dedup").args(args));
    // Over an input.
    let r = dedup(&["a.jsonl", "b.jsonl", "--output", "a.jsonl"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("would replace the input"), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.path().join("a.jsonl")).unwrap(), before);
    // An input that is not JSON Lines: named, nothing written.
    let text = sample("original.txt");
    let r = dedup(&["a.jsonl", text.to_str().unwrap(), "--output", "k.jsonl"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("original.txt: not JSON Lines") && r.stderr.contains("--glob"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(!dir.path().join("k.jsonl").exists());
    // Standard input cannot be read twice; a sketch holds no text.
    let r = dedup(&["-", "--output", "k.jsonl"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("standard input"), "{}", r.stderr);
    let sketch = run(lineage()
        .current_dir(dir.path())
        .args(["sketch", "a.jsonl", "-o", "a.lfp", "-q"]));
    assert_eq!(sketch.code, Some(0), "{}", sketch.stderr);
    let r = dedup(&["a.lfp", "--output", "k.jsonl"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("holds no text"), "{}", r.stderr);
    assert!(!dir.path().join("k.jsonl").exists());
}
