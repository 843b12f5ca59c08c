//! `lineage sketch` and `lineage dedup` end to end on hand-made corpora.

use std::path::Path;

use crate::util::{lineage, run};

const BASE: &str = "The central bank raised its benchmark interest rate by half a point on Tuesday, \
    citing persistent inflation in food and energy prices, and signalled that further increases \
    were likely before the end of the year as wage growth remained strong and the currency \
    weakened against the dollar for the third consecutive month, analysts said in notes to clients.";

/// Exact duplicate, near duplicate, excerpt, unrelated.
fn hand_made(dir: &Path) {
    std::fs::write(dir.join("a_base.txt"), BASE).unwrap();
    std::fs::write(dir.join("b_copy.txt"), BASE).unwrap();
    std::fs::write(
        dir.join("c_near.txt"),
        BASE.replace("clients.", "investors."),
    )
    .unwrap();
    let excerpt = &BASE[..BASE.find(" and signalled").unwrap()];
    std::fs::write(dir.join("d_excerpt.txt"), excerpt).unwrap();
    std::fs::write(
        dir.join("e_other.txt"),
        "A completely different story about football, weather and the harvest in the north.",
    )
    .unwrap();
}

/// A few hundred generated documents with planted near duplicates, as JSON
/// Lines (deterministic).
fn generated(path: &Path) {
    let words = [
        "market",
        "shares",
        "rose",
        "fell",
        "percent",
        "company",
        "said",
        "quarter",
        "profit",
        "loss",
        "bank",
        "rate",
        "oil",
        "prices",
        "trade",
        "deficit",
        "billion",
        "dlrs",
        "year",
        "analysts",
        "expected",
        "government",
        "minister",
        "talks",
        "agreement",
        "export",
    ];
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut lines = String::new();
    let mut docs: Vec<String> = Vec::new();
    for i in 0..300 {
        let text = if i % 10 == 9 {
            // A near copy of an earlier document: one word changed.
            let mut w: Vec<&str> = docs[i - 5].split(' ').collect();
            let at = next() % w.len();
            w[at] = "changed";
            w.join(" ")
        } else {
            (0..60)
                .map(|_| words[next() % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        };
        lines.push_str(&format!("{{\"id\":\"doc{i:03}\",\"text\":\"{text}\"}}\n"));
        docs.push(text);
    }
    std::fs::write(path, lines).unwrap();
}

fn stdout(args: &[&str], dir: &Path) -> (Vec<u8>, i32) {
    let out = lineage().current_dir(dir).args(args).output().unwrap();
    (out.stdout, out.status.code().unwrap_or(-1))
}

#[test]
fn clusters_exact_and_near_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    hand_made(dir.path());
    let (out, code) = stdout(&["dedup", "."], dir.path());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("cluster 1 (3 documents, keep ./a_base.txt)"),
        "{text}"
    );
    assert!(
        text.contains("5 documents, 1 clusters, 2 duplicates removed, 3 kept"),
        "{text}"
    );
    assert!(!text.contains("d_excerpt"), "{text}");
}

#[test]
fn containment_groups_the_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    hand_made(dir.path());
    let (out, code) = stdout(
        &["dedup", "--containment", "0.9", "--format", "json", "."],
        dir.path(),
    );
    assert_eq!(code, 1);
    let text = String::from_utf8(out).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "cluster");
    let members: Vec<&str> = first["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        [
            "./a_base.txt",
            "./b_copy.txt",
            "./c_near.txt",
            "./d_excerpt.txt"
        ]
    );
    let pairs = first["pairs"].as_array().unwrap();
    let excerpt = pairs
        .iter()
        .find(|p| p["right"] == "./d_excerpt.txt")
        .unwrap();
    assert_eq!(excerpt["right_in_left"], 1.0);
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["params"]["containment"], 0.9);
}

#[test]
fn no_duplicates_exits_zero_and_keep_lists_everything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.txt"), BASE).unwrap();
    std::fs::write(
        dir.path().join("y.txt"),
        "nothing like the other text at all here",
    )
    .unwrap();
    let (_, code) = stdout(
        &["dedup", "--keep", "keep.txt", "x.txt", "y.txt"],
        dir.path(),
    );
    assert_eq!(code, 0);
    let keep = std::fs::read_to_string(dir.path().join("keep.txt")).unwrap();
    assert_eq!(keep, "x.txt\ny.txt\n");
}

#[test]
fn keep_file_holds_one_representative_per_cluster() {
    let dir = tempfile::tempdir().unwrap();
    hand_made(dir.path());
    let (_, code) = stdout(&["dedup", "-q", "--keep", "keep.txt", "."], dir.path());
    assert_eq!(code, 1);
    let keep = std::fs::read_to_string(dir.path().join("keep.txt")).unwrap();
    assert_eq!(keep, "./a_base.txt\n./d_excerpt.txt\n./e_other.txt\n");
}

#[test]
fn output_is_byte_identical_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    generated(&dir.path().join("corpus.jsonl"));
    hand_made(dir.path());
    let run = |threads: &str| {
        let (json, code) = stdout(
            &[
                "dedup",
                "--threads",
                threads,
                "--format",
                "json",
                "--containment",
                "0.9",
                ".",
            ],
            dir.path(),
        );
        assert_eq!(code, 1);
        let (_, code) = stdout(
            &[
                "sketch",
                "-q",
                "--threads",
                threads,
                "--batch-size",
                "7",
                "--shingle-sets",
                ".",
                "-o",
                &format!("t{threads}.lfp"),
            ],
            dir.path(),
        );
        assert_eq!(code, 0);
        let sketch = std::fs::read(dir.path().join(format!("t{threads}.lfp"))).unwrap();
        std::fs::remove_file(dir.path().join(format!("t{threads}.lfp"))).unwrap();
        (json, sketch)
    };
    let one = run("1");
    let two = run("2");
    assert!(one.0.len() > 1000);
    assert_eq!(one, two);
}

#[test]
fn dedup_reads_a_sketch_file() {
    let dir = tempfile::tempdir().unwrap();
    generated(&dir.path().join("corpus.jsonl"));
    let direct = stdout(&["dedup", "--format", "json", "corpus.jsonl"], dir.path());
    for (flags, verification) in [(vec![], "estimate"), (vec!["--shingle-sets"], "exact")] {
        let mut args = vec!["sketch", "-q", "corpus.jsonl", "-o", "c.lfp"];
        args.extend(flags);
        assert_eq!(stdout(&args, dir.path()).1, 0);
        let (out, code) = stdout(&["dedup", "--format", "json", "c.lfp"], dir.path());
        assert_eq!(code, 1);
        let text = String::from_utf8(out).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(summary["verification"], verification);
        assert_eq!(summary["documents"], 300);
        if verification == "exact" {
            assert_eq!(text.as_bytes(), direct.0.as_slice());
        }
    }
    // Containment needs the shingle sets.
    let args = ["sketch", "-q", "corpus.jsonl", "-o", "c.lfp"];
    assert_eq!(stdout(&args, dir.path()).1, 0);
    let out = lineage()
        .current_dir(dir.path())
        .args(["dedup", "--containment", "0.8", "c.lfp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shingle-sets"));
}

#[test]
fn a_bad_record_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.jsonl"),
        format!("{{\"id\":\"a\",\"text\":\"{BASE}\"}}\nnot json\n{{\"id\":\"b\",\"text\":\"{BASE}\"}}\n"),
    )
    .unwrap();
    let out = lineage()
        .current_dir(dir.path())
        .args(["dedup", "c.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("c.jsonl:2: not valid JSON"), "{stderr}");
    assert!(stderr.contains("skipped"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("a ~ b  jaccard 1.000"), "{stdout}");
}

#[test]
fn a_damaged_sketch_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    generated(&dir.path().join("corpus.jsonl"));
    assert_eq!(
        stdout(&["sketch", "-q", "corpus.jsonl", "-o", "c.lfp"], dir.path()).1,
        0
    );
    let path = dir.path().join("c.lfp");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let out = lineage()
        .current_dir(dir.path())
        .args(["dedup", "c.lfp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("checksum") && stderr.contains("lineage sketch"),
        "{stderr}"
    );
}

/// Writes an `id, cluster` Parquet file, as a Spark job would.
fn write_cluster_file(path: &Path, rows: &[(String, String)]) {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let schema = parquet::schema::parser::parse_message_type(
        "message c { required binary id (STRING); required binary cluster (STRING); }",
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(file, Arc::new(schema), props).unwrap();
    let mut rg = w.next_row_group().unwrap();
    for column in 0..2 {
        let values: Vec<ByteArray> = rows
            .iter()
            .map(|(id, c)| ByteArray::from(if column == 0 { id.as_str() } else { c.as_str() }))
            .collect();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(&values, None, None)
            .unwrap();
        col.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_sketch_dedups_like_the_native_file_and_takes_cluster_files_back() {
    let dir = tempfile::tempdir().unwrap();
    generated(&dir.path().join("corpus.jsonl"));
    for sets in [false, true] {
        let flags: &[&str] = if sets { &["--shingle-sets"] } else { &[] };
        for out in ["c.lfp", "c.parquet"] {
            let mut args = vec!["sketch", "-q", "corpus.jsonl", "-o", out];
            args.extend(flags);
            assert_eq!(stdout(&args, dir.path()).1, 0);
        }
        let magic = std::fs::read(dir.path().join("c.parquet")).unwrap();
        assert_eq!(&magic[..4], b"PAR1");
        let native = stdout(&["dedup", "--format", "json", "c.lfp"], dir.path());
        let parquet = stdout(&["dedup", "--format", "json", "c.parquet"], dir.path());
        assert_eq!(native.1, 1);
        assert_eq!(
            String::from_utf8(parquet.0.clone()).unwrap(),
            String::from_utf8(native.0).unwrap()
        );

        // The clusters as an id, cluster file, labelled by their first member.
        let text = String::from_utf8(parquet.0).unwrap();
        let mut rows = Vec::new();
        let mut cluster_lines = Vec::new();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["type"] == "cluster" {
                let members = v["members"].as_array().unwrap();
                let label = members[0]["id"].as_str().unwrap().to_string();
                for m in members {
                    rows.push((m["id"].as_str().unwrap().to_string(), label.clone()));
                }
                cluster_lines.push(line.to_string());
            }
        }
        assert!(!rows.is_empty());
        write_cluster_file(&dir.path().join("clusters.parquet"), &rows);
        let args = [
            "dedup",
            "--format",
            "json",
            "--from-parquet",
            "clusters.parquet",
            "c.parquet",
        ];
        let (back, code) = stdout(&args, dir.path());
        assert_eq!(code, 1);
        let back = String::from_utf8(back).unwrap();
        let back_lines: Vec<&str> = back
            .lines()
            .filter(|l| l.contains(r#""type":"cluster""#))
            .collect();
        assert_eq!(back_lines, cluster_lines);
        let keep = stdout(&["dedup", "--keep", "-", "c.parquet"], dir.path()).0;
        let args = [
            "dedup",
            "--from-parquet",
            "clusters.parquet",
            "--keep",
            "-",
            "c.lfp",
        ];
        assert_eq!(stdout(&args, dir.path()).0, keep);
        assert!(!keep.is_empty());
    }
    // A cluster file is applied to the sketch it came from, not to documents.
    let out = lineage()
        .current_dir(dir.path())
        .args([
            "dedup",
            "--from-parquet",
            "clusters.parquet",
            "corpus.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sketch"));
}

/// Shards sketched apart deduplicate as one corpus: `dedup a.lfp b.lfp`
/// prints what `dedup` of the whole corpus prints; shards sketched with
/// other options are refused, naming both.
#[test]
fn shards_dedup_as_one_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let samples = crate::util::samples_dir();
    let mut names: Vec<_> = std::fs::read_dir(&samples)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    let (first, second) = names.split_at(names.len() / 2);
    let sketch = |files: &[String], out: &str, extra: &[&str]| {
        let r = run(lineage()
            .current_dir(&samples)
            .args(["sketch", "-q", "--shingle-sets", "-o"])
            .arg(dir.path().join(out))
            .args(extra)
            .args(files));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        dir.path().join(out)
    };
    let a = sketch(first, "a.lfp", &[]);
    let b = sketch(second, "b.lfp", &[]);
    let whole = sketch(&names, "whole.lfp", &[]);
    let dedup = |files: &[&Path]| {
        let r = run(lineage().args(["dedup", "--format", "json"]).args(files));
        assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
        r.stdout
    };
    assert_eq!(dedup(&[&a, &b]), dedup(&[&whole]));
    let other = sketch(second, "other.lfp", &["--seed", "7"]);
    let r = run(lineage().arg("dedup").arg(&a).arg(&other));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("other.lfp: sketched with other options than")
            && r.stderr.contains("--seed 7"),
        "{}",
        r.stderr
    );
}

/// A library caller who takes every default gets what `lineage dedup` with
/// no flags gives: the defaults are set once, in the library.
#[test]
fn library_defaults_are_the_cli_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    generated(&corpus);
    run(lineage()
        .current_dir(dir.path())
        .args(["sketch", "corpus.jsonl", "-o", "s.lfp"]));
    let (out, _) = stdout(&["dedup", "s.lfp", "--format", "json"], dir.path());
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8(out).unwrap().lines().last().unwrap()).unwrap();
    let data = &summary;

    let (_, docs) =
        lineage::store::fingerprints::read_fingerprints(&dir.path().join("s.lfp")).unwrap();
    let options = lineage::corpus::dedup::DedupOptions::default();
    let result = lineage::corpus::dedup::dedup(&docs, &options).unwrap();
    let lsh = result.lsh.unwrap();
    assert_eq!(data["params"]["lsh"]["bands"], lsh.bands);
    assert_eq!(data["params"]["lsh"]["rows_per_band"], lsh.rows_per_band);
    assert_eq!(data["params"]["threshold"], options.threshold);
    assert_eq!(data["candidates"], result.candidates);
    assert_eq!(data["clusters"], result.clusters.len());
    assert_eq!(data["verified_pairs"], result.verified_pairs);

    let check = lineage::archive::check::CheckOptions::default();
    let help = lineage().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains(&format!("[default: {}]", check.config.threshold)),
        "check --threshold default differs from CheckOptions::default()"
    );
}
