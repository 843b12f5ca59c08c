//! Feed input: an RSS, Atom or JSON Feed file in, one document per item out.
//!
//! Feeds are parsed by [feed-rs](https://github.com/feed-rs/feed-rs) (RSS
//! 0.9x, 1.0 and 2.0, Atom, JSON Feed 1.x). For each item:
//!
//! - id: the item's link, else its id (`guid`), else `FILE#N` (N counts
//!   items from 1);
//! - text: the item's content (`content:encoded`, Atom `content`,
//!   `content_html` / `content_text`), else its summary (`description`);
//!   HTML is turned into plain text with paragraphs kept
//!   (`html_to_text`);
//! - meta: title, link, and the published (else updated) date as RFC 3339
//!   in UTC (`2024-03-05T08:30:00Z`).
//!
//! An item without text is an [`Error::EmptyFeedItem`] and the other items
//! go on; a file that is not a feed at all is one [`Error::Feed`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::source::html::{first_markup, html_to_text, rfc3339, Markup};
use crate::source::offsets::{Hay, Outer, Transcoded};
use crate::source::{Document, Metadata};

/// Reads the items of a feed file held in `bytes`; `path` names the file in
/// default ids and in errors.
pub fn read_feed(path: &Path, bytes: &[u8]) -> Vec<Result<Document>> {
    use crate::source::decode::{decode, xml_encoding};
    let declared = xml_encoding(bytes);
    let decoded = decode(bytes, declared.as_deref());
    let transcoded = Transcoded::of(bytes, &decoded.text, decoded.charset, decoded.lossy);
    let outer = if bytes.trim_ascii_start().starts_with(b"{") {
        Outer::Json
    } else {
        Outer::Xml
    };
    // Where each item's text is in the file, searched in item order.
    let mut hay = Hay::new(&decoded.text, &transcoded, outer);
    let bytes = &*with_rss_root(as_utf8(bytes, &decoded));
    // feed-rs fills a missing id with a hash or a random UUID; an empty one
    // tells us there was none, so that the fallback id is stable.
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = match parser.parse(bytes) {
        Ok(feed) => feed,
        Err(err) => {
            return vec![Err(Error::Feed {
                path: path.to_path_buf(),
                message: err.to_string(),
            })]
        }
    };
    feed.entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            item_document(path, i + 1, entry).map(|mut doc| {
                doc.source_map = Some(std::sync::Arc::new(hay.map(&doc.text)));
                doc
            })
        })
        .collect()
}

/// An `<rss>` root repaired as feedparser tolerates it, in one copy: a
/// root without a version (feed-rs finds no feed in it) is given
/// `version="2.0"`, and items not inside a `<channel>` (feed-rs finds no
/// root) get one around them.
fn with_rss_root(bytes: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    use memchr::memmem;
    let head = &bytes[..bytes.len().min(4096)];
    let Some(at) = memmem::find(head, b"<rss") else {
        return bytes;
    };
    let after = head.get(at + 4);
    let tag_end = memchr::memchr(b'>', &bytes[at..]).map(|e| at + e);
    let tag = &bytes[at..tag_end.unwrap_or(bytes.len())];
    // `tag` stops before the `>`: `<rss>` is a root without a version too.
    let add_version = matches!(tag.get(4), Some(b' ' | b'\t' | b'\r' | b'\n') | None)
        && memmem::find(tag, b"version").is_none();
    let channel = tag_end
        .filter(|_| matches!(after, Some(b' ' | b'\t' | b'\r' | b'\n' | b'>')))
        .and_then(|end| {
            let open_end = end + 1;
            let close = memmem::rfind(&bytes, b"</rss")?;
            let bare = close >= open_end
                && bytes[open_end - 2] != b'/'
                && memmem::find(&bytes[open_end..close], b"<channel").is_none();
            bare.then_some((open_end, close))
        });
    if !add_version && channel.is_none() {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() + 40);
    out.extend_from_slice(&bytes[..at + 4]);
    if add_version {
        out.extend_from_slice(b" version=\"2.0\"");
    }
    match channel {
        Some((open_end, close)) => {
            out.extend_from_slice(&bytes[at + 4..open_end]);
            out.extend_from_slice(b"<channel>");
            out.extend_from_slice(&bytes[open_end..close]);
            out.extend_from_slice(b"</channel>");
            out.extend_from_slice(&bytes[close..]);
        }
        None => out.extend_from_slice(&bytes[at + 4..]),
    }
    std::borrow::Cow::Owned(out)
}

/// The feed as UTF-8 ([`decode`](crate::source::decode::decode), with
/// the encoding its XML declaration names), and the declaration rewritten
/// to say so, for the XML parser.
fn as_utf8<'a>(
    bytes: &'a [u8],
    decoded: &crate::source::decode::Decoded<'_>,
) -> std::borrow::Cow<'a, [u8]> {
    use crate::source::decode::Charset;
    // UTF-8 with a few broken bytes goes as decoded (the broken bytes
    // replaced): the XML parser refuses the whole feed for one of them.
    if decoded.charset == Charset::Utf8 && !decoded.lossy {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let text = decoded.text.trim_start_matches('\u{feff}');
    let text = declared_utf8(text).unwrap_or_else(|| text.to_string());
    std::borrow::Cow::Owned(text.into_bytes())
}

/// `text` with its XML declaration's encoding replaced by `utf-8`, or
/// `None` when it declares none.
fn declared_utf8(text: &str) -> Option<String> {
    let end = text.starts_with("<?xml").then(|| text.find("?>"))??;
    let at = text[..end].find("encoding")?;
    let open = at + text[at..end].find(['"', '\''])?;
    let quote = text[open..].chars().next()?;
    let close = open + 1 + text[open + 1..end].find(quote)?;
    Some(format!("{}utf-8{}", &text[..=open], &text[close..]))
}

fn item_document(path: &Path, number: usize, entry: feed_rs::model::Entry) -> Result<Document> {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"))
        .or_else(|| entry.links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|href| !href.is_empty());
    let guid = Some(entry.id.trim().to_string()).filter(|id| !id.is_empty());
    let named = link.clone().or(guid);
    let content = entry
        .content
        .and_then(|c| {
            let html = is_html(c.content_type.as_ref());
            c.body.map(|body| (body, html))
        })
        .map(|(body, html)| plain(&body, html))
        .filter(|text| !text.trim().is_empty());
    let summary = || {
        entry
            .summary
            .map(|s| plain(&s.content, is_html(s.content_type.as_ref())))
            .filter(|text| !text.trim().is_empty())
    };
    let Some(text) = content.or_else(summary) else {
        return Err(Error::EmptyFeedItem {
            path: path.to_path_buf(),
            item: match &named {
                Some(name) => format!("#{number} ({name})"),
                None => format!("#{number}"),
            },
        });
    };
    let title = entry
        .title
        .map(|t| plain(&t.content, is_html(t.content_type.as_ref())))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let date = entry.published.or(entry.updated).map(|d| rfc3339(&d));
    let id = named.unwrap_or_else(|| format!("{}#{number}", path.display()));
    let mut doc = Document::new(id, text);
    doc.meta = Metadata {
        title,
        url: link,
        date,
    };
    Ok(doc)
}

fn is_html(media_type: &str) -> bool {
    media_type.contains("html")
}

fn plain(text: &str, html: bool) -> String {
    if html {
        html_to_text(text)
    } else {
        text.trim().to_string()
    }
}

/// Whether the first bytes of a file look like an XML feed: an `<rss>`,
/// `<feed>` or RSS 1.0 `<rdf:RDF>` root after any XML declaration and
/// comments.
pub(crate) fn looks_like_xml_feed(head: &[u8]) -> bool {
    matches!(first_markup(head), Some(Markup::Element(name)) if matches!(name, b"rss" | b"feed" | b"RDF"))
}

/// Whether the first bytes of a file look like a JSON Feed: an object with
/// `"version": "https://jsonfeed.org/version/..."`.
pub(crate) fn looks_like_json_feed(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if !head.trim_ascii_start().starts_with(b"{") {
        return false;
    }
    let key = b"\"version\"";
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&head[from..], key) {
        let at = from + found;
        from = at + key.len();
        // A key, not the inside of a string that mentions it.
        if at > 0 && head[at - 1] == b'\\' {
            continue;
        }
        let rest = head[from..].trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b":") else {
            continue;
        };
        // PHP writes `https:\/\/jsonfeed.org\/...`: JSON allows escaped
        // slashes, so they are read as slashes.
        let value: Vec<u8> = rest
            .trim_ascii_start()
            .iter()
            .take(64)
            .filter(|&&b| b != b'\\')
            .copied()
            .collect();
        if value.starts_with(b"\"https://jsonfeed.org/version/")
            || value.starts_with(b"\"http://jsonfeed.org/version/")
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> Vec<Result<Document>> {
        read_feed(Path::new(name), text.as_bytes())
    }

    fn docs(results: Vec<Result<Document>>) -> Vec<Document> {
        results.into_iter().map(|r| r.unwrap()).collect()
    }

    /// Two items: HTML in `content:encoded`, and a plain `description` with
    /// only a `guid`.
    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Example News</title>
  <link>https://news.example.org/</link>
  <description>All the news</description>
  <item>
    <title>Harbour bridge reopens</title>
    <link>https://news.example.org/bridge</link>
    <guid>https://news.example.org/?p=1</guid>
    <pubDate>Tue, 05 Mar 2024 08:30:00 GMT</pubDate>
    <description>The bridge is open again.</description>
    <content:encoded><![CDATA[<p>The harbour bridge <em>reopened</em> on Tuesday.</p><p>Repairs took eight months.</p>]]></content:encoded>
  </item>
  <item>
    <title>Council meets</title>
    <guid isPermaLink="false">item-2</guid>
    <description>The council met &lt;b&gt;on Monday&lt;/b&gt; to discuss the budget.</description>
  </item>
</channel>
</rss>"#;

    #[test]
    fn rss_items() {
        let docs = docs(read("news.rss", RSS));
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, "https://news.example.org/bridge");
        assert_eq!(
            docs[0].text,
            "The harbour bridge reopened on Tuesday.\n\nRepairs took eight months."
        );
        assert_eq!(
            docs[0].meta.title.as_deref(),
            Some("Harbour bridge reopens")
        );
        assert_eq!(
            docs[0].meta.url.as_deref(),
            Some("https://news.example.org/bridge")
        );
        assert_eq!(docs[0].meta.date.as_deref(), Some("2024-03-05T08:30:00Z"));
        assert_eq!(docs[1].id, "item-2");
        assert_eq!(
            docs[1].text,
            "The council met on Monday to discuss the budget."
        );
        assert_eq!(docs[1].meta.url, None);
        assert_eq!(docs[1].meta.date, None);
    }

    /// Two entries: HTML `content` with an alternate and a self link, and a
    /// text `summary` with neither link nor id.
    const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example Blog</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-03-06T10:00:00Z</updated>
  <entry>
    <title type="html">Notes on &lt;i&gt;bridges&lt;/i&gt;</title>
    <link rel="self" href="https://blog.example.org/feed/1"/>
    <link rel="alternate" href="https://blog.example.org/bridges"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <published>2024-03-05T09:00:00+01:00</published>
    <updated>2024-03-06T10:00:00Z</updated>
    <content type="html">&lt;p&gt;Bridges need paint.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Steel&lt;/li&gt;&lt;li&gt;Cables&lt;/li&gt;&lt;/ul&gt;</content>
  </entry>
  <entry>
    <title>Untitled thoughts</title>
    <updated>2024-03-07T10:00:00Z</updated>
    <summary>Just a short plain summary.</summary>
  </entry>
</feed>"#;

    #[test]
    fn atom_entries() {
        let docs = docs(read("blog.atom", ATOM));
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, "https://blog.example.org/bridges");
        assert!(
            docs[0].text.starts_with("Bridges need paint.\n\n"),
            "{:?}",
            docs[0].text
        );
        assert!(docs[0].text.contains("Steel\nCables"), "{:?}", docs[0].text);
        assert_eq!(docs[0].meta.title.as_deref(), Some("Notes on bridges"));
        assert_eq!(docs[0].meta.date.as_deref(), Some("2024-03-05T08:00:00Z"));
        assert_eq!(docs[1].id, "blog.atom#2");
        assert_eq!(docs[1].text, "Just a short plain summary.");
        assert_eq!(docs[1].meta.date.as_deref(), Some("2024-03-07T10:00:00Z"));
    }

    /// Two items: `content_html`, and `content_text` with only an id.
    const JSON_FEED: &str = r#"{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Example JSON Feed",
  "items": [
    {
      "id": "1",
      "url": "https://json.example.org/first",
      "title": "First post",
      "content_html": "<p>Hello <a href=\"x\">world</a>.</p><p>Second paragraph.</p>",
      "date_published": "2024-01-02T03:04:05Z"
    },
    {
      "id": "post-2",
      "content_text": "Plain text body."
    }
  ]
}"#;

    #[test]
    fn json_feed_items() {
        let docs = docs(read("feed.json", JSON_FEED));
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, "https://json.example.org/first");
        assert_eq!(docs[0].text, "Hello world.\n\nSecond paragraph.");
        assert_eq!(docs[0].meta.title.as_deref(), Some("First post"));
        assert_eq!(docs[0].meta.date.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(docs[1].id, "post-2");
        assert_eq!(docs[1].text, "Plain text body.");
    }

    #[test]
    fn item_without_text_fails_alone() {
        let rss = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>Only a title</title><link>https://x.example/a</link></item>
            <item><title>Only a title too</title></item>
            <item><description>Some text.</description></item>
            </channel></rss>"#;
        let got = read("f.rss", rss);
        assert_eq!(got.len(), 3);
        let err = got[0].as_ref().unwrap_err().to_string();
        assert_eq!(
            err,
            "f.rss: feed item #1 (https://x.example/a) has no text (no content, summary or description)"
        );
        let err = got[1].as_ref().unwrap_err().to_string();
        assert!(err.starts_with("f.rss: feed item #2 has no text"), "{err}");
        assert_eq!(got[2].as_ref().unwrap().id, "f.rss#3");
    }

    #[test]
    fn lenient_where_feedparser_is() {
        // Cases from feedparser's tests/encoding (bozo_linenoise.xml,
        // encoding_attribute_crash.xml): items without a <channel>, and a
        // UTF-8 feed with one broken byte.
        let got = docs(read(
            "bare.rss",
            "<!-- a comment -->\n<rss>\n<item>\n<description>Bare item text.</description>\n</item>\n</rss>\n",
        ));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].text, "Bare item text.");
        let broken = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>\n<item><description><![CDATA[ caf\xc3\xa9 \xe2\x80\x99<> \xa9 ]]></description></item>\n</channel></rss>\n".to_vec();
        let got = read_feed(Path::new("broken.rss"), &broken);
        let got = docs(got);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].text.starts_with("café ’<> \u{fffd}"),
            "{:?}",
            got[0].text
        );
    }

    #[test]
    fn malformed_feed_is_one_error() {
        let got = read(
            "bad.rss",
            "<rss version=\"2.0\"><channel><item><title>x</titl",
        );
        let got2 = read("bad.xml", "<catalog><book/></catalog>");
        for got in [got, got2] {
            assert_eq!(got.len(), 1);
            assert!(matches!(got[0], Err(Error::Feed { .. })), "{got:?}");
        }
    }

    #[test]
    fn sniffing_feeds() {
        assert!(looks_like_xml_feed(RSS.as_bytes()));
        assert!(looks_like_xml_feed(ATOM.as_bytes()));
        assert!(looks_like_xml_feed(
            b"<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"x\">"
        ));
        assert!(!looks_like_xml_feed(b"<?xml version=\"1.0\"?><catalog/>"));
        assert!(!looks_like_xml_feed(b"<!doctype html><html>"));
        assert!(looks_like_json_feed(JSON_FEED.as_bytes()));
        assert!(looks_like_json_feed(
            br#"{"title":"t","version" : "https://jsonfeed.org/version/1","items":[]}"#
        ));
        assert!(!looks_like_json_feed(
            br#"{"text":"see \"version\": \"https://jsonfeed.org/version/1\""}"#
        ));
        assert!(!looks_like_json_feed(br#"{"version": "2.0"}"#));
        // NPR's feed, as PHP escapes slashes.
        assert!(looks_like_json_feed(
            br#"{"version":"https:\/\/jsonfeed.org\/version\/1","title":"Technology"}"#
        ));
    }
}
