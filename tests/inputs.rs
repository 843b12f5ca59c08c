//! Document inputs (issue #4) end to end: feeds, HTML pages, standard
//! input, forced formats and JSON Lines metadata fields, through
//! `lineage sketch` and `lineage dedup`. Fixtures are written here.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{lineage, run, Run};

const PARA1: &str = "The harbour bridge reopened to traffic on Tuesday morning after eight months \
    of repairs to its steel deck, the city council said, ahead of the schedule agreed with \
    contractors last spring and slightly under the budget set by the transport committee.";
const PARA2: &str = "Engineers replaced more than four hundred corroded plates and repainted the \
    main span, which carries about forty thousand vehicles a day between the old town and the \
    northern suburbs, and they installed sensors that will report strain in real time.";
const PARA3: &str = "Commuters who had faced long detours through the industrial district \
    welcomed the news, although cyclists said the new lane markings were confusing at the \
    southern end and asked the council to review them before the summer season begins.";
const OTHER: &str = "The regional orchestra announced its winter programme, with three new \
    commissions by local composers, a cycle of Beethoven symphonies conducted by a guest from \
    Vienna, and free lunchtime concerts for schools in the library hall every other Friday.";

/// An RSS 2.0 feed: the bridge story in `content:encoded` (dated after the
/// page), an unrelated item with only a description, and optionally an
/// item with no text at all.
fn rss(with_empty_item: bool) -> String {
    let empty = if with_empty_item {
        "<item><title>Photo gallery</title><link>https://news.example.org/photos</link></item>"
    } else {
        ""
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Example News</title><link>https://news.example.org/</link><description>News</description>
{empty}
<item>
  <title>Harbour bridge reopens</title>
  <link>https://news.example.org/bridge</link>
  <pubDate>Wed, 06 Mar 2024 10:00:00 GMT</pubDate>
  <content:encoded><![CDATA[<p>{PARA1}</p><p>{PARA2}</p><p>{PARA3}</p>]]></content:encoded>
</item>
<item>
  <title>Winter concerts</title>
  <guid isPermaLink="false">concerts-2024</guid>
  <description>{OTHER}</description>
</item>
</channel></rss>"#
    )
}

/// The bridge story as a web page around boilerplate, published first.
fn page() -> String {
    format!(
        r##"<!DOCTYPE html><html><head><title>Harbour bridge reopens | Daily Example</title>
<meta property="article:published_time" content="2024-03-05T09:30:00+01:00"></head>
<body><nav class="menu"><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
<article><p>{PARA1}</p><p>{PARA2}</p><p>{PARA3}</p>
<div class="share social"><a href="#">Share on Facebook</a> <a href="#">Share by email</a></div></article>
<footer class="site-footer"><p>Copyright 2024 Daily Example. All rights reserved.</p></footer>
</body></html>"##
    )
}

fn dedup(dir: &Path, args: &[&str]) -> Run {
    run(lineage().current_dir(dir).arg("dedup").args(args))
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn dedup_reads_a_feed_and_a_page_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    std::fs::write(dir.path().join("in/news.rss"), rss(false)).unwrap();
    std::fs::write(dir.path().join("in/page.html"), page()).unwrap();
    let out = dedup(
        dir.path(),
        &["--format", "json", "--keep", "keep.txt", "in"],
    );
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let records = out.json();
    let cluster = &records[0];
    assert_eq!(cluster["type"], "cluster", "{}", out.stdout);
    let members: BTreeSet<&str> = cluster["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        BTreeSet::from(["https://news.example.org/bridge", "in/page.html"])
    );
    // The page is the older copy (its date, written with an offset, is
    // compared in UTC with the feed's), so it is the one kept.
    let keep: BTreeSet<String> = lines(&dir.path().join("keep.txt")).into_iter().collect();
    assert_eq!(
        keep,
        BTreeSet::from(["in/page.html".to_string(), "concerts-2024".to_string()])
    );
}

#[test]
fn sketch_reads_a_feed_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(lineage()
        .current_dir(dir.path())
        .args(["sketch", "-q", "-", "-o", "feed.lfp"])
        .write_stdin(rss(false)));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = dedup(dir.path(), &["--keep", "keep.txt", "feed.lfp"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&dir.path().join("keep.txt")),
        ["https://news.example.org/bridge", "concerts-2024"]
    );
}

#[test]
fn html_on_standard_input_is_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("copy.txt"),
        [PARA1, PARA2, PARA3].join("\n\n"),
    )
    .unwrap();
    let out = run(lineage()
        .current_dir(dir.path())
        .args(["dedup", "--format", "json", "-", "copy.txt"])
        .write_stdin(page()));
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let pair = &out.json()[0]["pairs"][0];
    // Same words once the menu, share links and footer are gone.
    assert_eq!(pair["jaccard"], 1.0, "{}", out.stdout);
}

#[test]
fn forced_format_wins_over_detection() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("news.rss"), rss(false)).unwrap();
    std::fs::write(dir.path().join("page.txt"), page()).unwrap();
    let out = dedup(
        dir.path(),
        &["--input-format", "text", "--keep", "keep.txt", "news.rss"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(lines(&dir.path().join("keep.txt")), ["news.rss"]);
    // A .txt extension says text; --input-format html says otherwise (a
    // plain text read as HTML is its text).
    std::fs::write(
        dir.path().join("copy.txt"),
        [PARA1, PARA2, PARA3].join("\n\n"),
    )
    .unwrap();
    let jaccard = |forced: &[&str]| {
        let mut args = forced.to_vec();
        args.extend(["--format", "json", "page.txt", "copy.txt"]);
        let out = dedup(dir.path(), &args);
        out.json()[0]["pairs"][0]["jaccard"].as_f64()
    };
    assert_eq!(jaccard(&["--input-format", "html"]), Some(1.0));
    assert!(jaccard(&[]).is_none_or(|j| j < 1.0));
}

/// A link-only item is a note, not an error (issue 23): the feed was read,
/// so the exit status is that of the run (0 here), and `-q` hides it.
#[test]
fn item_without_text_is_a_note_and_the_others_are_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("news.rss"), rss(true)).unwrap();
    let out = dedup(dir.path(), &["--keep", "keep.txt", "news.rss"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let stderr = out.stderr_lines();
    assert_eq!(stderr.len(), 1, "{}", out.stderr);
    for needle in [
        "lineage: news.rss: skipped feed item #1 (https://news.example.org/photos): no text",
        "fetch the page to read it as HTML",
    ] {
        assert!(
            stderr[0].contains(needle),
            "{needle:?} missing: {}",
            stderr[0]
        );
    }
    assert_eq!(
        lines(&dir.path().join("keep.txt")),
        ["https://news.example.org/bridge", "concerts-2024"]
    );
    let out = dedup(dir.path(), &["-q", "--keep", "keep.txt", "news.rss"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr_lines().is_empty(), "{}", out.stderr);
}

#[test]
fn malformed_feed_is_one_error_for_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.rss"),
        "<rss version=\"2.0\"><channel><item>",
    )
    .unwrap();
    std::fs::write(dir.path().join("ok.txt"), OTHER).unwrap();
    let out = dedup(dir.path(), &["--keep", "keep.txt", "bad.rss", "ok.txt"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let stderr = out.stderr_lines();
    assert_eq!(stderr.len(), 1, "{}", out.stderr);
    assert!(
        stderr[0].starts_with("lineage: bad.rss: not a readable RSS, Atom or JSON feed"),
        "{}",
        stderr[0]
    );
    assert!(stderr[0].contains("--input-format text"), "{}", stderr[0]);
    assert_eq!(lines(&dir.path().join("keep.txt")), ["ok.txt"]);
}

#[test]
fn jsonl_metadata_fields_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let record = |id: &str, published: &str| {
        serde_json::json!({"key": id, "body": OTHER, "published": published}).to_string()
    };
    std::fs::write(
        dir.path().join("docs.jsonl"),
        format!(
            "{}\n{}\n",
            record("late", "2024-02-01"),
            record("early", "2024-01-01")
        ),
    )
    .unwrap();
    let keep = |extra: &[&str]| {
        let mut args = vec![
            "--id-field",
            "key",
            "--text-field",
            "body",
            "--keep",
            "keep.txt",
        ];
        args.extend_from_slice(extra);
        args.push("docs.jsonl");
        let out = dedup(dir.path(), &args);
        assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
        lines(&dir.path().join("keep.txt"))
    };
    // Without dates the first copy is kept; with them, the oldest.
    assert_eq!(keep(&[]), ["late"]);
    assert_eq!(keep(&["--date-field", "published"]), ["early"]);
}

#[test]
fn score_reads_a_page_and_refuses_a_feed_of_several_items() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("page.html"), page()).unwrap();
    std::fs::write(
        dir.path().join("story.txt"),
        format!("{PARA1}\n\n{PARA2}\n\n{PARA3}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("feed.rss"), rss(false)).unwrap();
    let out = run(lineage().current_dir(dir.path()).args([
        "score",
        "--format",
        "json",
        "page.html",
        "story.txt",
    ]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let r = out.one_json();
    // The menu, share links and footer are gone: the page is the story.
    assert_eq!(r["verdict"], "duplicate", "{r}");
    let out = run(lineage()
        .current_dir(dir.path())
        .args(["score", "feed.rss", "story.txt"]));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("feed.rss: holds 2 documents, expected one"),
        "{}",
        out.stderr
    );
}

/// Gzip and zstd inputs, by extension or by their magic bytes alone, from
/// a file or standard input, give the same sketch as the plain file; a
/// truncated stream is one error naming the cause.
#[test]
fn compressed_inputs_sketch_like_the_plain_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut plain = String::new();
    for (i, text) in [PARA1, PARA2, PARA1].iter().enumerate() {
        plain.push_str(&format!("{{\"id\":\"r{i}\",\"text\":\"{text}\"}}\n"));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(plain.as_bytes(), 3).unwrap();
    let files = [
        ("c.jsonl", plain.as_bytes()),
        ("c.jsonl.gz", gz.as_slice()),
        ("c.jsonl.zst", zst.as_slice()),
        ("gzip-without-extension", gz.as_slice()),
    ];
    let sketch = |input: &str, stdin: Option<&[u8]>| -> Vec<u8> {
        let out = dir.path().join(format!("{input}.lfp"));
        let mut cmd = lineage();
        cmd.current_dir(dir.path())
            .args(["sketch", "-q", "--input-format", "auto", input, "-o"])
            .arg(&out);
        if let Some(bytes) = stdin {
            cmd.write_stdin(bytes.to_vec());
        }
        let r = run(&mut cmd);
        assert_eq!(r.code, Some(0), "{input}: {}", r.stderr);
        std::fs::read(&out).unwrap()
    };
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let expected = sketch("c.jsonl", None);
    for (name, _) in &files[1..] {
        assert_eq!(sketch(name, None), expected, "{name}");
    }
    let from_stdin = dir.path().join("stdin.lfp");
    let r = run(lineage()
        .args(["sketch", "-q", "-", "-o"])
        .arg(&from_stdin)
        .write_stdin(zst.clone()));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(std::fs::read(&from_stdin).unwrap(), expected);
    // A compressed text is scored like the text.
    let text = std::fs::read(crate::util::sample("original.txt")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).unwrap();
    std::fs::write(dir.path().join("original.txt.gz"), gz.finish().unwrap()).unwrap();
    let r = run(lineage()
        .arg("score")
        .arg(crate::util::sample("rewrite.txt"))
        .arg(dir.path().join("original.txt.gz")));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stdout.starts_with("derived: 82%"), "{}", r.stdout);
    // Cut short: one error line with the cause.
    std::fs::write(dir.path().join("cut.jsonl.gz"), gz_prefix(&plain)).unwrap();
    let r =
        run(lineage()
            .current_dir(dir.path())
            .args(["sketch", "cut.jsonl.gz", "-o", "cut.lfp"]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("cut.jsonl.gz: cannot read: ") && r.stderr.contains("cut short"),
        "{}",
        r.stderr
    );
}

fn gz_prefix(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    bytes[..bytes.len() / 2].to_vec()
}

/// A text on standard input is named with --id (in reports and in an
/// archive), and `index add` refuses to store one named `-`, which the
/// next one would replace. `score --pairs -` reads the list from
/// standard input.
#[test]
fn standard_input_has_a_name_and_a_pair_list() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("a.idx");
    let original = std::fs::read_to_string(crate::util::sample("original.txt")).unwrap();
    let r = run(lineage()
        .args(["index", "add"])
        .arg(&index)
        .arg("-")
        .write_stdin(original.clone()));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("pass --id NAME"), "{}", r.stderr);
    assert!(!index.exists());
    for (id, sample) in [
        ("news/original", "original.txt"),
        ("news/acq", "reuters-acq.txt"),
    ] {
        let r = run(lineage()
            .args(["index", "add", "-q", "--id", id])
            .arg(&index)
            .arg("-")
            .write_stdin(std::fs::read(crate::util::sample(sample)).unwrap()));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
    }
    let r = run(lineage()
        .args(["check", "--format", "json", "--id", "incoming"])
        .arg(&index)
        .arg("-")
        .write_stdin(std::fs::read(crate::util::sample("rewrite.txt")).unwrap()));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stdout.contains("\"derived\":\"incoming\"")
            && r.stdout.contains("\"source\":\"news/original\""),
        "{}",
        r.stdout
    );
    let r = run(lineage()
        .current_dir(crate::util::samples_dir())
        .args(["score", "--pairs", "-", "--format", "json"])
        .write_stdin("rewrite.txt\toriginal.txt\nreuters-acq.txt\toriginal.txt\n"));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
}

/// `--text-field meta.body` (and a JSON pointer) reach into nested objects.
#[test]
fn nested_json_fields_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let nested = format!(
        "{{\"meta\":{{\"id\":\"a\",\"body\":\"{PARA1}\"}}}}\n{{\"meta\":{{\"id\":\"b\",\"body\":\"{PARA2}\"}}}}\n"
    );
    let flat =
        format!("{{\"id\":\"a\",\"text\":\"{PARA1}\"}}\n{{\"id\":\"b\",\"text\":\"{PARA2}\"}}\n");
    std::fs::write(dir.path().join("nested.jsonl"), nested).unwrap();
    std::fs::write(dir.path().join("flat.jsonl"), flat).unwrap();
    let sketch = |args: &[&str], out: &str| {
        let r = run(lineage()
            .current_dir(dir.path())
            .args(["sketch", "-q", "-o", out])
            .args(args));
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        std::fs::read(dir.path().join(out)).unwrap()
    };
    let expected = sketch(&["flat.jsonl"], "flat.lfp");
    let dotted = sketch(
        &[
            "--text-field",
            "meta.body",
            "--id-field",
            "meta.id",
            "nested.jsonl",
        ],
        "dotted.lfp",
    );
    let pointer = sketch(
        &[
            "--text-field",
            "/meta/body",
            "--id-field",
            "/meta/id",
            "nested.jsonl",
        ],
        "pointer.lfp",
    );
    assert_eq!(dotted, expected);
    assert_eq!(pointer, expected);
}
