//! Issue #4's acceptance on the real data in `../shared` (skipped, with a
//! note, when it is not there): a Reuters archive checked with an RSS feed,
//! and retrieval recall on Clough & Stevenson.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::{lineage, run, sample};

fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: ../shared/data not found, archive acceptance tests skipped");
        None
    }
}

/// Decodes the SGML entities Reuters-21578 uses.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 8) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let ch = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => entity
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
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

/// The Reuters bodies as JSON Lines (`{"id": NEWID, "text": body}`), as
/// `benches/peers/extract.py` writes them.
fn reuters_jsonl(data: &Path, out: &Path) -> usize {
    let dir = data.join("reuters21578");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sgm"))
        .collect();
    names.sort();
    let mut lines = String::new();
    let mut n = 0;
    for name in names {
        // Latin-1: every byte is the code point of the same value.
        let text: String = std::fs::read(&name)
            .unwrap()
            .iter()
            .map(|&b| b as char)
            .collect();
        for article in text.split("<REUTERS").skip(1) {
            let Some(id) = article
                .split("NEWID=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
            else {
                continue;
            };
            let Some(body) = article
                .split("<BODY>")
                .nth(1)
                .and_then(|s| s.split("</BODY>").next())
            else {
                continue;
            };
            let record = serde_json::json!({"id": id, "text": unescape(body)});
            lines.push_str(&record.to_string());
            lines.push('\n');
            n += 1;
        }
    }
    std::fs::write(out, lines).unwrap();
    n
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An RSS 2.0 feed with one item per (link, title, text).
fn rss(path: &Path, items: &[(&str, &str, String)]) {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\n<title>Test feed</title><link>https://feed.example.org/</link><description>items to check</description>\n",
    );
    for (i, (link, title, text)) in items.iter().enumerate() {
        xml.push_str(&format!(
            "<item><title>{}</title><link>{}</link><pubDate>Mon, 2{i} Nov 2026 08:00:00 GMT</pubDate><description>{}</description></item>\n",
            xml_escape(title),
            xml_escape(link),
            xml_escape(text)
        ));
    }
    xml.push_str("</channel></rss>\n");
    std::fs::write(path, xml).unwrap();
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

#[test]
fn reuters_archive_and_a_feed_with_one_rewrite() {
    let Some(data) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("reuters.jsonl");
    assert!(reuters_jsonl(&data, &jsonl) > 19_000);
    let index = dir.path().join("reuters.idx");
    let add = run(lineage()
        .args(["index", "add", "-q"])
        .arg(&index)
        .arg(&jsonl)
        .arg(sample("original.txt")));
    assert_eq!(add.code, Some(0), "{}", add.stderr);

    let clough = data.join("clough_stevenson/corpus-20090418");
    let unrelated: Vec<(&str, &str, String)> = [
        (
            "https://feed.example.org/inheritance",
            "Inheritance",
            "orig_taska.txt",
        ),
        (
            "https://feed.example.org/pagerank",
            "PageRank",
            "orig_taskb.txt",
        ),
        (
            "https://feed.example.org/bayes",
            "Bayes' theorem",
            "orig_taskd.txt",
        ),
    ]
    .into_iter()
    .map(|(link, title, file)| (link, title, read_lossy(&clough.join(file))))
    .collect();
    let mut items = vec![(
        "https://feed.example.org/rewrite",
        "A rewrite",
        read_lossy(&sample("rewrite.txt")),
    )];
    items.extend(unrelated.iter().cloned());
    let feed = dir.path().join("feed.rss");
    rss(&feed, &items);
    let out = run(lineage()
        .args(["check", "-q", "--format", "json"])
        .arg(&index)
        .arg(&feed));
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let findings: Vec<_> = out
        .json()
        .into_iter()
        .filter(|r| r["type"] == "finding")
        .collect();
    assert_eq!(findings.len(), 1, "{}", out.stdout);
    let f = &findings[0];
    assert_eq!(f["derived"], "https://feed.example.org/rewrite");
    assert!(f["source"].as_str().unwrap().ends_with("original.txt"));
    assert!(f["passages"].as_array().unwrap().len() >= 3);
    assert_eq!(f["derived_meta"]["title"], "A rewrite");

    let clean_feed = dir.path().join("clean.rss");
    rss(&clean_feed, &unrelated);
    let clean = run(lineage().args(["check", "-q"]).arg(&index).arg(&clean_feed));
    assert_eq!(clean.code, Some(0), "{}", clean.stdout);
}

#[test]
fn clough_answers_find_their_original_among_reuters() {
    let Some(data) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("reuters.jsonl");
    reuters_jsonl(&data, &jsonl);
    let corpus = data.join("clough_stevenson/corpus-20090418");
    let originals: Vec<PathBuf> = "abcde"
        .chars()
        .map(|t| corpus.join(format!("orig_task{t}.txt")))
        .collect();
    let index = dir.path().join("clough.idx");
    let add = run(lineage()
        .args(["index", "add", "-q"])
        .arg(&index)
        .arg(&jsonl)
        .args(&originals));
    assert_eq!(add.code, Some(0), "{}", add.stderr);

    let labels = std::fs::read_to_string(data.join("clough_stevenson/labels.csv")).unwrap();
    let mut answers: Vec<(PathBuf, String, String)> = Vec::new();
    for line in labels.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let (file, task, category) = (cols[0], cols[3], cols[4]);
        if ["cut", "light", "heavy", "non"].contains(&category) {
            answers.push((
                corpus.join(file),
                format!("orig_task{task}.txt"),
                category.into(),
            ));
        }
    }
    let out = run(lineage()
        .args(["check", "-q", "--format", "json"])
        .arg(&index)
        .args(answers.iter().map(|a| &a.0)));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let mut reported: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in out.json().into_iter().filter(|r| r["type"] == "finding") {
        let (checked, other) = if r["checked_is_derived"] == true {
            (&r["derived"], &r["source"])
        } else {
            (&r["source"], &r["derived"])
        };
        let other = other.as_str().unwrap();
        let name = other.rsplit('/').next().unwrap_or(other).to_string();
        reported
            .entry(checked.as_str().unwrap().to_string())
            .or_default()
            .push(name);
    }
    let mut right: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (path, original, category) in &answers {
        let found = reported.get(path.to_str().unwrap());
        let hit = if category == "non" {
            found.is_some()
        } else {
            found.is_some_and(|f| f.contains(original))
        };
        let e = right.entry(category.as_str()).or_default();
        e.0 += usize::from(hit);
        e.1 += 1;
    }
    eprintln!("Clough recall (right original reported / answers): {right:?}");
    let share = |c: &str| right[c].0 as f64 / right[c].1 as f64;
    assert!(share("heavy") >= 0.95, "{right:?}");
    assert!(share("light") >= 1.0, "{right:?}");
    // Two `cut` answers were pasted from parts of the Wikipedia articles that
    // the corpus's originals do not include (g2pE_taskc is about information
    // retrieval, not the vector space model; g4pD_taskb quotes PageRank
    // passages absent from orig_taskb): 17 of 19 is every cut answer that
    // copies its original.
    assert!(right["cut"].0 >= 17, "{right:?}");
    assert!(share("non") <= 0.05, "{right:?}");
}
