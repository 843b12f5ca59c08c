//! Charsets (issue 23): declared Latin-1, undeclared Latin-1, UTF-16 with
//! a byte-order mark and GB2312 pages and feeds give the same documents as
//! their UTF-8 conversions, and a JSON Feed is told by its content. Real files from `tests/data/web` (see
//! tests/data/README.md); the conversions are made here.

use std::path::{Path, PathBuf};

use crate::util::{lineage, run};

fn web(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/web")
        .join(name)
}

/// The fingerprint file of `path` (ids are item links, so equal files
/// mean equal documents), and what lineage printed.
fn sketch(path: &Path, out: &Path) -> (Vec<u8>, String) {
    let r = run(lineage().arg("sketch").arg(path).arg("-o").arg(out));
    assert_eq!(r.code, Some(0), "{}: {}", path.display(), r.stderr);
    (std::fs::read(out).unwrap(), r.stderr)
}

fn latin1_to_utf8(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()
}

#[test]
fn an_undeclared_latin1_feed_reads_like_its_utf8_and_utf16_conversions() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(web("uolNoticias.rss")).unwrap();
    let utf8 = latin1_to_utf8(&original);
    assert!(utf8.contains("Últimas Notícias"));
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(utf8.encode_utf16().flat_map(u16::to_le_bytes));
    let files = [
        ("latin1.rss", original),
        ("utf8.rss", utf8.into_bytes()),
        ("utf16.rss", utf16),
    ];
    let mut sketches = Vec::new();
    for (name, bytes) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (fp, stderr) = sketch(&path, &dir.path().join(format!("{name}.lfp")));
        // 15 items, as feedparser finds: 11 with text, 4 link-only notes.
        assert!(stderr.contains("11 documents"), "{name}: {stderr}");
        assert_eq!(stderr.matches("skipped feed item").count(), 4, "{stderr}");
        sketches.push(fp);
    }
    assert_eq!(sketches[0], sketches[1], "Latin-1 and UTF-8 differ");
    assert_eq!(sketches[2], sketches[1], "UTF-16 and UTF-8 differ");
}

#[test]
fn a_gb2312_feed_reads_like_its_utf8_version() {
    let dir = tempfile::tempdir().unwrap();
    let items = [
        (
            "https://news.example.cn/1",
            "北京市政府周二宣布，地铁新线将于明年年底开通，连接城市东部和机场。",
        ),
        (
            "https://news.example.cn/2",
            "气象部门预计本周末将有大范围降雨，提醒市民出行注意安全。",
        ),
    ];
    let feed = |encoding: &str| {
        let mut s = format!("<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<rss version=\"2.0\"><channel><title>新闻</title>\n");
        for (link, text) in items {
            s.push_str(&format!(
                "<item><title>新闻</title><link>{link}</link><description>{text}</description></item>\n"
            ));
        }
        s + "</channel></rss>\n"
    };
    let utf8 = dir.path().join("utf8.rss");
    std::fs::write(&utf8, feed("utf-8")).unwrap();
    let gb = dir.path().join("gb2312.rss");
    std::fs::write(&gb, encoding_rs::GBK.encode(&feed("gb2312")).0).unwrap();
    let (a, stderr) = sketch(&utf8, &dir.path().join("a.lfp"));
    assert!(stderr.contains("2 documents"), "{stderr}");
    let (b, _) = sketch(&gb, &dir.path().join("b.lfp"));
    assert_eq!(a, b);
}

/// The score of a page against its UTF-8 conversion: identical text gives
/// a Jaccard of 1.
fn jaccard(a: &Path, b: &Path) -> f64 {
    let r = run(lineage().args(["score", "--format", "json"]).arg(a).arg(b));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    v["jaccard"].as_f64().unwrap()
}

#[test]
fn a_latin1_page_declared_or_not_reads_like_its_utf8_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let declared = web("next2games.de.anno.html");
    let original = std::fs::read(&declared).unwrap();
    let declaration: &[u8] = b"charset=\"ISO-8859-1\"";
    let at = find(&original, declaration).expect("the page declares its charset");
    let utf8 = latin1_to_utf8(&original).replace("charset=\"ISO-8859-1\"", "charset=\"utf-8\"");
    let converted = dir.path().join("utf8.html");
    std::fs::write(&converted, &utf8).unwrap();
    assert_eq!(jaccard(&declared, &converted), 1.0);
    // The same bytes with the declaration removed: guessed, same text.
    let mut stripped = original[..at].to_vec();
    stripped.extend_from_slice(&original[at + declaration.len()..]);
    let undeclared = dir.path().join("undeclared.html");
    std::fs::write(&undeclared, stripped).unwrap();
    assert_eq!(jaccard(&undeclared, &converted), 1.0);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// NPR's real JSON Feed writes its version URL with escaped slashes
/// (`https:\/\/jsonfeed.org\/...`); named `.json`, it is still told
/// from its content to be a feed, and gives its 25 items.
#[test]
fn a_json_feed_with_escaped_slashes_is_a_feed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stderr) = sketch(&web("npr-feed.json"), &dir.path().join("npr.lfp"));
    assert!(stderr.contains("25 documents"), "{stderr}");
}
