//! Parquet tables of texts as input: one document per row, columns named
//! as for JSON Lines. The tables in tests/data/parquet were written by
//! pyarrow (tests/data/parquet/make.py says how).

use std::path::PathBuf;

use crate::util::{lineage, run, sample_text, str_field};

fn table(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/parquet")
        .join(name)
}

const ROWS: [&str; 4] = [
    "original",
    "rewrite",
    "reuters-tseng",
    "reuters-tseng-corrected",
];

#[test]
fn rows_are_documents_with_their_columns() {
    for text_field in ["text", "meta.body", "/meta/body"] {
        let r = run(lineage()
            .args(["extract", "--format", "json", "--text-field", text_field])
            .arg(table("texts.parquet")));
        assert_eq!(r.code, Some(0), "{text_field}: {}", r.stderr);
        let docs = r.json();
        let ids: Vec<&str> = docs.iter().map(|d| str_field(d, "id")).collect();
        assert_eq!(ids, ROWS, "{text_field}");
        for (doc, id) in docs.iter().zip(ROWS) {
            assert_eq!(str_field(doc, "text"), sample_text(&format!("{id}.txt")));
        }
        assert_eq!(str_field(&docs[0], "title"), "State Department denial");
        assert!(docs[1].get("title").is_none(), "a null title is no title");
        assert_eq!(str_field(&docs[1], "date"), "2024-01-03T00:00:00Z");
    }
}

#[test]
fn sketch_of_a_table_equals_the_sketch_of_the_same_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let dates = [
        Some("2024-01-02T00:00:00Z"),
        Some("2024-01-03T00:00:00Z"),
        None,
        None,
    ];
    let mut jsonl = String::new();
    for (id, date) in ROWS.iter().zip(dates) {
        let mut record = serde_json::json!({"id": id, "text": sample_text(&format!("{id}.txt"))});
        if let Some(date) = date {
            record["date"] = date.into();
        }
        jsonl.push_str(&format!("{record}\n"));
    }
    std::fs::write(dir.path().join("texts.jsonl"), jsonl).unwrap();
    let sketch = |input: PathBuf, out: &str| {
        let r = run(lineage()
            .arg("sketch")
            .arg(input)
            .arg("-o")
            .arg(dir.path().join(out))
            .args(["-q", "--shingle-sets"]));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        std::fs::read(dir.path().join(out)).unwrap()
    };
    assert_eq!(
        sketch(table("texts.parquet"), "a.lfp"),
        sketch(dir.path().join("texts.jsonl"), "b.lfp")
    );
}

#[test]
fn dedup_reads_a_table_of_texts_not_as_a_sketch() {
    let r = run(lineage()
        .args(["dedup", "--keep", "-"])
        .arg(table("texts.parquet")));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    // The corrected Reuters story and its first version are one cluster.
    assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
}

/// Damaged Parquet files on which the `parquet` crate's decoders panic
/// (tests/data/README.md): one error line each, exit 2, never a panic.
#[test]
fn a_damaged_table_is_one_error_line() {
    let reliability = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/reliability");
    for name in [
        "clusters-9c61c42f21.parquet",
        "parquet-4613964a23.parquet",
        "parquet-ea63f0422f.parquet",
        "parquet-1877224146.parquet",
    ] {
        let r = run(lineage()
            .args(["extract", "--input-format", "parquet", "--text-field", "id"])
            .arg(reliability.join(name)));
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        let lines = r.stderr_lines();
        assert_eq!(lines.len(), 1, "{name}: {}", r.stderr);
        assert!(
            lines[0].contains(name) && lines[0].contains("not a readable Parquet table"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn named_columns_integer_ids_and_a_bad_row() {
    let r = run(lineage()
        .args(["extract", "--format", "json"])
        .args(["--text-field", "body", "--id-field", "n"])
        .arg(table("numbered.parquet")));
    // Row 2 has no text: one line naming the file and row, the others read.
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let ids: Vec<String> = r
        .json()
        .iter()
        .map(|d| str_field(d, "id").to_string())
        .collect();
    assert_eq!(ids, ["10", "12"]);
    let lines = r.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].contains("numbered.parquet:2: no text in column 'body'"),
        "{}",
        r.stderr
    );
    // Without --text-field: the columns it has, and the fix.
    let r = run(lineage().arg("extract").arg(table("numbered.parquet")));
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("no column 'text'")
            && r.stderr.contains("columns: n, body")
            && r.stderr.contains("--text-field"),
        "{}",
        r.stderr
    );
    // Without an id column, ids are FILE:ROW.
    let r = run(lineage()
        .args(["extract", "--format", "json", "--text-field", "body"])
        .arg(table("numbered.parquet")));
    let first = &r.json()[0];
    assert!(
        str_field(first, "id").ends_with("numbered.parquet:1"),
        "{first}"
    );
}
