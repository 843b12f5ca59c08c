//! `--format html` (issue 22) from the real binary: one self-contained
//! page per run, as many passages as the JSON output, hostile text as text,
//! the same bytes each time, and refused where it means nothing (dedup).
//! `tests/browser/run.py` opens the same pages in Chromium.

use std::path::PathBuf;

use crate::util::{lineage, run, samples_dir, Run};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/html")
        .join(name)
}

/// `lineage ARGS..`, run from `samples/`.
fn in_samples(args: &[&str]) -> Run {
    run(lineage().current_dir(samples_dir()).args(args))
}

/// Rows of the passage tables on a page.
fn passage_rows(page: &str) -> usize {
    page.matches("<tr data-p=").count()
}

#[test]
fn seed_pair_page_shows_the_json_passages() {
    let json = in_samples(&["score", "rewrite.txt", "original.txt", "--format", "json"]);
    let html = in_samples(&["score", "rewrite.txt", "original.txt", "--format", "html"]);
    assert_eq!(html.code, Some(1), "a finding, as in text: {}", html.stderr);
    let passages = json.one_json()["passages"].as_array().unwrap().len();
    assert!(passages >= 5);
    let page = &html.stdout;
    assert!(page.starts_with("<!DOCTYPE html>\n"));
    assert!(page.ends_with("</html>\n"));
    assert_eq!(passage_rows(page), passages);
    assert_eq!(page.matches("<section class=\"pair\"").count(), 1);
    assert!(page.contains("derived: 82% of rewrite.txt comes from original.txt"));
    assert!(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-"));
    // Self-contained: nothing to fetch.
    for outside in [" src=", "href=\"http", "@import", "url(http"] {
        assert!(!page.contains(outside), "{outside}");
    }
}

#[test]
fn the_page_is_the_same_bytes_each_time() {
    let args = ["score", "rewrite.txt", "original.txt", "--format", "html"];
    let first = in_samples(&args);
    let again = in_samples(&[&args[..], &["--threads", "1"]].concat());
    assert_eq!(first.stdout, again.stdout);
}

#[test]
fn hostile_text_renders_as_text() {
    let out = run(lineage()
        .arg("score")
        .arg(data("hostile.txt"))
        .arg(samples_dir().join("original.txt"))
        .args(["--format", "html"]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let page = &out.stdout;
    assert_eq!(
        page.matches("<script").count(),
        1,
        "the page's own script only"
    );
    assert_eq!(
        page.matches("<style").count(),
        1,
        "the page's own style only"
    );
    for element in [
        "<img",
        "<iframe",
        "<textarea",
        "</textarea",
        "<a href=\"javascript",
        "onerror=\"",
        "<svg onload",
    ] {
        assert!(!page.contains(element), "{element}");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("&lt;a href=&quot;javascript:alert(1)&quot;&gt;"));
    assert!(
        !page.contains('\u{202E}'),
        "the override is shown, not applied"
    );
    assert!(page.contains(">U+202E</span>"));
    assert!(passage_rows(page) > 0);
}

#[test]
fn several_sources_show_each_share() {
    let args = ["score", "rewrite.txt", "original.txt", "reuters-acq.txt"];
    let json = in_samples(&[&args[..], &["--format", "json"]].concat());
    let html = in_samples(&[&args[..], &["--format", "html"]].concat());
    assert_eq!(html.code, json.code);
    let passages = json.one_json()["passages"].as_array().unwrap().len();
    assert_eq!(passage_rows(&html.stdout), passages);
    assert!(html.stdout.contains("<table class=\"shares\">"));
    assert!(html.stdout.contains("82% from original.txt, 18% original"));
}

#[test]
fn pairs_make_one_page_and_a_bad_line_still_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("pairs.tsv");
    std::fs::write(
        &list,
        "rewrite.txt\toriginal.txt\nreuters-tseng-corrected.txt\treuters-tseng.txt\nmissing.txt\toriginal.txt\n",
    )
    .unwrap();
    let list = list.to_str().unwrap();
    let json = in_samples(&["score", "--pairs", list, "--format", "json"]);
    let html = in_samples(&["score", "--pairs", list, "--format", "html"]);
    assert_eq!(html.code, Some(2), "an error wins, as in text");
    assert_eq!(html.code, json.code);
    assert!(html.stderr.contains("missing.txt"), "{}", html.stderr);
    let page = &html.stdout;
    assert_eq!(page.matches("<!DOCTYPE html>").count(), 1);
    assert_eq!(page.matches("<section class=\"pair\"").count(), 2);
    let passages: usize = json
        .json()
        .iter()
        .map(|r| r["passages"].as_array().unwrap().len())
        .sum();
    assert_eq!(passage_rows(page), passages);
    assert!(page.contains("href=\"#pair-1\"") && page.contains("href=\"#pair-2\""));
}

#[test]
fn check_lists_each_finding_and_links_to_its_view() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("archive.idx");
    let index = index.to_str().unwrap();
    let add = in_samples(&[
        "index",
        "add",
        "-q",
        index,
        "original.txt",
        "reuters-acq.txt",
        "reuters-grain.txt",
    ]);
    assert_eq!(add.code, Some(0), "{}", add.stderr);
    let feed = data("feed.rss");
    let feed = feed.to_str().unwrap();
    let json = in_samples(&["check", "-q", index, feed, "--format", "json"]);
    let html = in_samples(&["check", "-q", index, feed, "--format", "html"]);
    assert_eq!(html.code, Some(1), "{}", html.stderr);
    let findings: Vec<_> = json
        .json()
        .into_iter()
        .filter(|r| r["type"] == "finding")
        .collect();
    assert_eq!(findings.len(), 2, "the rewrite and the hostile item");
    let page = &html.stdout;
    for n in 1..=findings.len() {
        assert!(page.contains(&format!("<a href=\"#pair-{n}\">")), "{n}");
        assert!(page.contains(&format!("<section class=\"pair\" id=\"pair-{n}\">")));
    }
    let passages: usize = findings
        .iter()
        .map(|f| f["passages"].as_array().unwrap().len())
        .sum();
    assert_eq!(passage_rows(page), passages);
    assert!(page.contains("checked 3 documents against 3 archived in "));
    // The hostile item's link and title are its id and title: text only.
    assert!(page.contains("<bdi>javascript:alert(1)</bdi>"));
    assert!(!page.contains("href=\"javascript"));
    assert_eq!(page.matches("<script").count(), 1);
}

#[test]
fn dedup_refuses_html() {
    let out = in_samples(&["dedup", ".", "--format", "html"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("invalid value 'html' for '--format <FORMAT>'"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}
