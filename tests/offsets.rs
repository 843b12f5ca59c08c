//! Passages of HTML pages and feed items point into the files as written
//! (issue 23, acceptance 2): each passage's byte range in `--format json`
//! slices the page to text holding the passage's words (tags and entities
//! aside), and a GitHub annotation's line is the page's line where the
//! passage's first word is. The pages are real (`tests/data/README.md`):
//! one in UTF-8 with many entities, one in Latin-1.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{lineage, run, str_field};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/web")
        .join(name)
}

/// The pages: a UTF-8 page with named and numeric entities, and a page in
/// Latin-1 (declared `iso-8859-1`), whose byte offsets differ from those
/// of its text as UTF-8.
const PAGES: &[&str] = &["kath.net-Menschensohn.html", "next2games.de.anno.html"];

/// The file's bytes as text, decoded as the page says.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// `text` with tags and comments left out and character references
/// decoded, without whitespace: what a reader sees of a slice of markup.
fn seen(text: &str) -> String {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        plain.push_str(&rest[..lt]);
        let end = if rest[lt..].starts_with("<!--") {
            rest[lt..].find("-->").map(|e| lt + e + 3)
        } else {
            rest[lt..].find('>').map(|e| lt + e + 1)
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    plain.push_str(rest);
    let mut out = String::new();
    let mut rest = plain.as_str();
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|&e| e < 40);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            match name.strip_prefix('#') {
                Some(num) => match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                }
                .and_then(char::from_u32)
                .map(String::from),
                None => markup5ever::data::NAMED_ENTITIES
                    .get(&rest[1..=e])
                    .filter(|v| v.0 != 0)
                    .map(|&(a, b)| {
                        [a, b]
                            .into_iter()
                            .filter(|&c| c != 0)
                            .filter_map(char::from_u32)
                            .collect()
                    }),
            }
        });
        match (decoded, end) {
            (Some(d), Some(e)) => {
                out.push_str(&d);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.chars().filter(|c| !c.is_whitespace()).collect()
}

fn words(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn range(v: &Value) -> Range<usize> {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}")) as usize;
    n("start")..n("end")
}

/// A folder with the page's extracted text (`page.txt`) and an excerpt of
/// it (`excerpt.txt`: every other paragraph of some length, one of them
/// reworded), which the page's passages are found against.
fn texts(page: &Path) -> (tempfile::TempDir, String) {
    let r = run(lineage().args(["extract", "--format", "json"]).arg(page));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let text = str_field(&r.one_json(), "text").to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("page.txt"), &text).unwrap();
    let mut kept: Vec<String> = text
        .split("\n\n")
        .filter(|p| p.len() > 80)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(kept.len() >= 3, "{text}");
    kept[1] = kept[1].replacen(' ', " indeed ", 1);
    std::fs::write(dir.path().join("excerpt.txt"), kept.join("\n\n")).unwrap();
    (dir, text)
}

/// `lineage score DERIVED SOURCE --format json`'s passages.
fn passages(derived: &Path, source: &Path) -> Vec<Value> {
    let r = run(lineage()
        .args(["score", "--format", "json"])
        .arg(derived)
        .arg(source));
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
    r.one_json()["passages"].as_array().unwrap().clone()
}

/// Each passage of the page, as a range of its text (from scoring the
/// extracted text) and as a range of its file (from scoring the page),
/// slices the file to what holds the passage's words.
fn assert_slices_hold_words(
    html: &[u8],
    text: &str,
    in_text: &[Value],
    in_file: &[Value],
    side: &str,
) {
    assert!(!in_file.is_empty());
    assert_eq!(in_text.len(), in_file.len());
    for (t, f) in in_text.iter().zip(in_file) {
        let (t, f) = if side == "derived" {
            (range(&t["derived"]), range(&f["derived"]))
        } else {
            (range(&t["source"]), range(&f["source"]))
        };
        let want = words(&text[t]);
        let got = seen(&decode(&html[f.clone()]));
        assert!(
            got.contains(&want),
            "{side} {f:?} of the file holds\n{got}\nnot\n{want}"
        );
    }
}

#[test]
fn passage_ranges_of_a_page_slice_the_page() {
    for name in PAGES {
        let page = data(name);
        let html = std::fs::read(&page).unwrap();
        let (dir, text) = texts(&page);
        let txt = dir.path().join("page.txt");
        let excerpt = dir.path().join("excerpt.txt");
        // The page as DERIVED, then as SOURCE.
        assert_slices_hold_words(
            &html,
            &text,
            &passages(&txt, &excerpt),
            &passages(&page, &excerpt),
            "derived",
        );
        assert_slices_hold_words(
            &html,
            &text,
            &passages(&excerpt, &txt),
            &passages(&excerpt, &page),
            "source",
        );
        // The text inputs are unchanged: offsets into the text file.
        let plain = passages(&txt, &excerpt);
        let p = range(&plain[0]["derived"]);
        assert!(text.get(p).is_some());
    }
}

#[test]
fn github_annotations_point_at_the_line_of_the_first_word() {
    for name in PAGES {
        let page = data(name);
        let html = std::fs::read(&page).unwrap();
        let (dir, text) = texts(&page);
        let index = dir.path().join("excerpt.idx");
        let add = run(lineage()
            .args(["index", "add", "--quiet"])
            .arg(&index)
            .arg(dir.path().join("excerpt.txt")));
        assert_eq!(add.code, Some(0), "{}", add.stderr);
        let check = |input: &Path, format: &str| {
            let r = run(lineage()
                .args(["check", "--quiet", "--format", format])
                .arg(&index)
                .arg(input));
            assert_eq!(r.code, Some(1), "{}", r.stderr);
            r
        };
        let github = check(&page, "github");
        let line: usize = github
            .stdout
            .split_once(",line=")
            .and_then(|(_, rest)| rest.split(',').next())
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("{}", github.stdout));
        // The first passage: as text (from checking the text) and in the
        // file (from checking the page, as JSON).
        let first = |r: &crate::util::Run| r.json()[0]["passages"][0].clone();
        let in_text = range(&first(&check(&dir.path().join("page.txt"), "json"))["derived"]);
        let in_file = range(&first(&check(&page, "json"))["derived"]);
        let first_word = text[in_text.clone()].split_whitespace().next().unwrap();
        let file = decode(&html);
        let before = decode(&html[..in_file.start]);
        assert_eq!(line, 1 + before.matches('\n').count(), "{name}");
        assert!(
            seen(&decode(&html[in_file.clone()])).starts_with(&words(first_word)),
            "{name}: {first_word:?} does not start {in_file:?}"
        );
        let on_line = file.lines().nth(line - 1).unwrap();
        assert!(
            seen(on_line).contains(&words(first_word)),
            "{name}: line {line} is {on_line:?}, the passage starts with {first_word:?}"
        );
        // The message's line range agrees with the annotation's.
        assert!(
            github.stdout.contains(&format!("%0Alines {line}-")),
            "{}",
            github.stdout
        );
    }
}

/// Unescapes the strings of a JSON file's slice (`\"`, `\/`, `\uXXXX`).
fn json_unescaped(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let unit = u32::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                out.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
            }
            Some('n' | 't' | 'r') => out.push(' '),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[test]
fn feed_item_lines_map_into_the_feed_file() {
    let feeds = [
        data("uolNoticias.rss"),
        data("npr-feed.json"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/html/feed.rss"),
    ];
    for path in feeds {
        let bytes = std::fs::read(&path).unwrap();
        let file = decode(&bytes);
        let mut lines = 0;
        for result in lineage::source::feed::read_feed(&path, &bytes) {
            let Ok(doc) = result else { continue };
            let map = doc.source_map.clone().expect("a feed item has a map");
            let mut at = 0;
            for line in doc.text.split_inclusive('\n') {
                let r = at..at + line.trim_end().len();
                at += line.len();
                if line.trim().is_empty() {
                    continue;
                }
                lines += 1;
                let f = map.file_range(r).expect("every line is found");
                let mut slice = decode(&bytes[f.clone()]);
                if path.extension().is_some_and(|e| e == "json") {
                    slice = json_unescaped(&slice);
                }
                // XML, then the HTML escaped inside it (an item may
                // hold markup as text: read the line the same way).
                let got = seen(&seen_spaced(&slice));
                assert!(
                    got.contains(&seen(line)),
                    "{}: {f:?} is {:?}, not {line:?}",
                    path.display(),
                    &file.get(f.clone()).unwrap_or("")
                );
            }
        }
        assert!(lines > 3, "{}", path.display());
    }
}

/// One level of markup and references decoded, spaces kept (so that a
/// second level can be read).
fn seen_spaced(text: &str) -> String {
    let text = text.replace("<![CDATA[", "").replace("]]>", "");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let named = [
            ("&lt;", "<"),
            ("&gt;", ">"),
            ("&amp;", "&"),
            ("&quot;", "\""),
            ("&apos;", "'"),
        ];
        match named.iter().find(|(n, _)| rest.starts_with(n)) {
            Some((n, c)) => {
                out.push_str(c);
                rest = &rest[n.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
