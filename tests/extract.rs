//! `lineage extract`: the text lineage compares, per document.

use std::path::Path;

use crate::util::{lineage, run, sample, sample_text, str_field};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn a_text_file_is_printed_as_read() {
    let r = run(lineage()
        .args(["extract", "--format", "json"])
        .arg(sample("original.txt")));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let doc = r.one_json();
    assert_eq!(str_field(&doc, "type"), "document");
    assert_eq!(str_field(&doc, "text"), sample_text("original.txt"));
    assert_eq!(
        doc["bytes"].as_u64(),
        Some(sample_text("original.txt").len() as u64)
    );
}

#[test]
fn feed_items_come_out_one_by_one_with_their_metadata() {
    let r = run(lineage()
        .args(["extract", "--format", "json"])
        .arg(data("html/feed.rss")));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let docs = r.json();
    assert!(docs.len() >= 2, "{}", r.stdout);
    for d in &docs {
        assert_eq!(str_field(d, "type"), "document");
        assert!(!str_field(d, "text").is_empty());
        assert!(d["title"].is_string(), "{d}");
    }
    // The text format heads each document with its id.
    let text = run(lineage().arg("extract").arg(data("html/feed.rss")));
    let heads = text.stdout.lines().filter(|l| l.starts_with("== ")).count();
    assert_eq!(heads, docs.len(), "{}", text.stdout);
}

#[test]
fn html_gives_the_main_text_not_the_markup() {
    let r = run(lineage()
        .args(["extract", "--format", "json"])
        .arg(data("web/next2games.de.anno.html")));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let doc = r.one_json();
    let text = str_field(&doc, "text");
    assert!(text.len() > 200, "{text}");
    assert!(
        !text.contains("<div") && !text.contains("<script"),
        "{text}"
    );
}

#[test]
fn an_unreadable_input_is_reported_and_the_others_still_printed() {
    let r = run(lineage()
        .arg("extract")
        .arg(sample("original.txt"))
        .arg(sample("no-such-file.txt")));
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("no-such-file.txt"), "{}", r.stderr);
    assert!(r.stdout.starts_with("== "), "{}", r.stdout);
}
