//! HTML input: one web page in, its main text out.
//!
//! A page is one [`Document`] whose id is the path. The main text is found by
//! [dom_smoothie](https://github.com/niklak/dom_smoothie), a port of Mozilla's
//! Readability, so navigation, share buttons, comments and footers are left
//! out; block elements end in a blank line, so paragraphs stay apart (the
//! alignment stage works on sentences). Around it, general rules that
//! need no knowledge of a site:
//!
//! - before: figure captions go, and so do short elements (under 150
//!   characters) whose class or id names boilerplate (`BOILERPLATE`:
//!   captions, credits, share bars, related links, ads, newsletters);
//!   Readability then scores with its class weights but without its own
//!   removal of "unlikely" elements, which took out whole articles whose
//!   container's class said `comment` or `sidebar`;
//! - after, inside the article it chose: the same class rule up to 800
//!   characters, blocks of which more than 60% is link text (lists of
//!   related articles), and the headings that no text follows before the
//!   next heading (their section was boilerplate);
//! - when an `<article>` element of the page (or one marked as a schema.org
//!   article's body, `itemprop="articleBody"`) holds at least 80% of that
//!   text and more, it is taken instead (without its scripts, footer,
//!   asides, navigation and forms, cleaned as above), keeping of what it
//!   adds only paragraphs of 80 characters or more: Readability often
//!   settles on one section of an article, or leaves out its lead;
//! - elements whose class or id names a consent dialog (`CONSENT`) go
//!   whatever their length;
//! - a text under 1000 characters is replaced by the page's densest block
//!   of paragraphs when that holds more than twice as much: on some pages
//!   Readability settles on a small wrong element;
//! - the page's lead, the first paragraph whose text is the description
//!   the page declares (`<meta name="description">` or Open Graph's, of
//!   50 characters or more, perhaps cut short with an ellipsis), is put
//!   first when the text does not hold it: pages mark their lead as a
//!   teaser, and it often stands above the article's container.
//!
//! On the 300 labelled pages of `../shared/data/web/pages`
//! (`scripts/extract_eval.py`) this keeps 9.9% of the boilerplate snippets
//! (Readability alone: 14.6%) and finds 95.5% of the main-text ones
//! (91.2%; soft hyphens, which cut words in two, are dropped too).
//! Pages are parsed without what no rule reads: their scripts (but
//! JSON-LD), styles and comments, the content of their inline drawings
//! (`svg`), navigation (`nav`), drop-down lists (`select`) and footers,
//! and the attributes that nothing reads (`data-*`, event
//! handlers, most `aria-*`, `title`, most `style`, images' alternative
//! sources, all of a `<link>`'s); link addresses are cut short, and
//! indentation between tags (outside `<pre>`) is shortened to its line
//! ends.
//! When Readability finds no article the whole `<body>` is taken instead,
//! still without scripts and styles.
//! The title is Readability's (the `<title>` tidied) and the date is
//! `article:published_time` (or JSON-LD `datePublished`), else the first
//! `<time datetime>`, in RFC 3339 UTC when it parses as RFC 3339 (as feed
//! dates are) and as written otherwise.
//!
//! `html_to_text` is the plain converter used for HTML fragments such as
//! feed item content, which are already the article and need no boilerplate
//! removal.

use dom_smoothie::{Config, Readability, TextMode};

use crate::error::Result;
use crate::source::offsets::{Hay, Outer};
use crate::source::{Document, Metadata};

/// Elements whose text is never prose.
const NOT_TEXT: &str = "script, style, noscript, template";

/// What was taken out of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extracted {
    /// The main text, paragraphs separated by blank lines.
    pub(crate) text: String,
    /// The page title, when it has one.
    pub(crate) title: Option<String>,
    /// The publish date (RFC 3339 UTC when it parses as such).
    pub(crate) date: Option<String>,
}

/// Reads a page from raw bytes in the charset it declares (`<meta
/// charset>`, `http-equiv`) when they are not UTF-8, else as text is read
/// ([`Document::from_bytes`]).
pub fn read_html(id: impl Into<String>, bytes: Vec<u8>) -> Result<Document> {
    read_page(id, bytes, true)
}

/// [`read_html`], with the text's [`SourceMap`](crate::source::offsets::SourceMap)
/// only when `map` is asked for (a command that reports no offsets, such
/// as `lineage extract`, saves its cost: about a quarter of the time).
pub(crate) fn read_page(id: impl Into<String>, bytes: Vec<u8>, map: bool) -> Result<Document> {
    let declared = crate::source::decode::html_charset(&bytes);
    let (mut doc, transcoded) = Document::decoded(id, bytes, declared.as_deref(), map)?;
    let page = extract(&doc.text);
    if map {
        let map = Hay::new(&doc.text, &transcoded, Outer::Html).map(&page.text);
        doc.source_map = Some(std::sync::Arc::new(map));
    }
    doc.text = page.text;
    doc.meta = Metadata {
        title: page.title,
        url: None,
        date: page.date,
    };
    Ok(doc)
}

/// Elements nested deeper than this are flattened before parsing
/// ([`flatten_deep`]). Real pages nest a few dozen levels; 100,000 unclosed
/// `<div>`s overflowed the parser's stack, and extraction time grew with
/// the square of the depth (16,000 levels: 84 s).
pub(crate) const MAX_DEPTH: usize = 256;

/// Elements that never hold others.
const VOID: &[&[u8]] = &[
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"param",
    b"source", b"track", b"wbr",
];

/// Elements a parser closes by itself when the next one starts: counting
/// them would make a page of unclosed paragraphs look deep.
const IMPLIED_END: &[&[u8]] = &[
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"option",
    b"optgroup",
    b"rp",
    b"rt",
    b"tbody",
    b"thead",
    b"tfoot",
    b"colgroup",
    b"caption",
];

/// Elements whose content is text, not markup.
const RAW_TEXT: &[&[u8]] = &[b"script", b"style", b"textarea", b"title", b"xmp"];

/// `html` with the tags that would nest elements deeper than `max_depth`
/// left out (their text kept), so that parsing stays linear in the page's
/// size and never recurses too deep; the page itself when it is shallower
/// (every real page). Depth is counted as a parser would, roughly: void
/// and self-closing elements add nothing, elements with implied ends are
/// not counted, and the content of scripts and styles is skipped.
#[cfg(test)]
pub(crate) fn flatten_deep(html: &str, max_depth: usize) -> std::borrow::Cow<'_, str> {
    prepare(html, max_depth, false)
}

/// [`flatten_deep`], and with `blank_code` scripts and styles left out too
/// (tags and content), except JSON-LD, which holds the page's metadata:
/// every extraction removes them, and a third of the bytes
/// of real pages are code the HTML tokenizer would otherwise read character
/// by character. With `blank_code` the attributes no rule reads go too
/// ([`slim_tag`]).
fn prepare(html: &str, max_depth: usize, blank_code: bool) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out = Splice::new(html);
    let (mut depth, mut excess, mut at) = (0usize, 0usize, 0usize);
    // Tags before this are inside an element whose content is kept as
    // written ([`AS_WRITTEN`]).
    let mut as_written = 0usize;
    // Whitespace before this is inside an element that keeps it as
    // written (`pre`, `listing`).
    let mut spaced = 0usize;
    while let Some(lt) = memchr::memchr(b'<', &bytes[at..]).map(|i| at + i) {
        let Some(gt) = memchr::memchr(b'>', &bytes[lt..]).map(|i| lt + i) else {
            break;
        };
        if blank_code && lt >= at + 2 && at >= as_written && at >= spaced {
            if let Some(short) = short_space(&bytes[at..lt]) {
                out.replace(at, lt, short);
            }
        }
        let tag = &bytes[lt + 1..gt];
        at = gt + 1;
        if blank_code && bytes[lt..].starts_with(b"<!--") {
            // A comment goes whole (it may hold `>`): no extraction reads it.
            let end = memchr::memmem::find(&bytes[lt + 4..], b"-->")
                .map_or(bytes.len(), |e| lt + 4 + e + 3);
            out.replace(lt, end, "");
            at = end;
            continue;
        }
        let closing = tag.first() == Some(&b'/');
        let name = name(if closing { &tag[1..] } else { tag });
        let lower = name.to_ascii_lowercase();
        let markup = name.is_empty() || tag.first().is_some_and(|c| matches!(c, b'!' | b'?'));
        // A start tag's unread attributes go (it is never dropped below
        // when it ends here).
        let slim = |out: &mut Splice<'_>| {
            if let Some(slim) = slim_tag(&html[lt..=gt], &lower) {
                out.replace(lt, gt + 1, &slim);
            }
        };
        let slim_here = blank_code && !closing && !markup && lt >= as_written;
        if blank_code && !closing && matches!(lower.as_slice(), b"pre" | b"listing") {
            // `<pre/>` opens a `pre` all the same.
            spaced = spaced.max(end_tag(bytes, at, &lower).unwrap_or(bytes.len()));
        }
        if markup
            || VOID.contains(&lower.as_slice())
            || IMPLIED_END.contains(&lower.as_slice())
            || (!closing && tag.last() == Some(&b'/'))
        {
            if slim_here {
                slim(&mut out);
                if AS_WRITTEN.contains(&lower.as_slice()) {
                    // `<iframe/>` starts an iframe all the same.
                    as_written = end_tag(bytes, at, &lower).unwrap_or(bytes.len());
                }
            }
            continue;
        }
        if !closing && RAW_TEXT.contains(&lower.as_slice()) {
            // Skip to the element's end tag: its content is not markup.
            let end = end_tag(bytes, at, &lower).unwrap_or(bytes.len());
            if blank_code && is_code(&lower, tag) {
                // The whole element goes, its tags too.
                let close =
                    memchr::memchr(b'>', &bytes[end..]).map_or(bytes.len(), |i| end + i + 1);
                out.replace(lt, close, "");
                at = close;
                continue;
            }
            at = end;
            continue;
        }
        let drop = if closing {
            if excess > 0 {
                excess -= 1;
                true
            } else {
                depth = depth.saturating_sub(1);
                false
            }
        } else if depth >= max_depth {
            excess += 1;
            true
        } else {
            depth += 1;
            false
        };
        if drop {
            out.replace(lt, gt + 1, "");
            continue;
        }
        if slim_here {
            slim(&mut out);
            if AS_WRITTEN.contains(&lower.as_slice()) {
                as_written = end_tag(bytes, at, &lower).unwrap_or(bytes.len());
            }
        }
        if blank_code && !closing && EMPTIED.contains(&lower.as_slice()) {
            let end = end_tag(bytes, at, &lower).unwrap_or(bytes.len());
            out.replace(at, end, "");
            at = end;
        }
    }
    out.finish()
}

/// A text with some of its byte ranges replaced, built as the ranges
/// come, in order; the text itself, not a copy, when none is.
struct Splice<'a> {
    text: &'a str,
    out: Option<String>,
    /// Bytes of `text` before this are in `out` (or replaced).
    copied: usize,
}

impl<'a> Splice<'a> {
    fn new(text: &'a str) -> Splice<'a> {
        Splice {
            text,
            out: None,
            copied: 0,
        }
    }

    /// Puts `with` in place of `text[from..to]`; `from` is at or after
    /// the end of the last range replaced.
    fn replace(&mut self, from: usize, to: usize, with: &str) {
        let text = self.text;
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[self.copied..from]);
        out.push_str(with);
        self.copied = to;
    }

    fn finish(self) -> std::borrow::Cow<'a, str> {
        match self.out {
            None => std::borrow::Cow::Borrowed(self.text),
            Some(mut out) => {
                out.push_str(&self.text[self.copied..]);
                std::borrow::Cow::Owned(out)
            }
        }
    }
}

/// The whitespace that stands for `space`, a run of it between two tags
/// that holds a line end, when it is longer: a paragraph break (two line
/// ends) when it holds more than one, else a line end. Indentation is a
/// seventh of what is left of a page to parse; text is trimmed around
/// each line end (`tidy`, `formatted_text`), so the line ends are all
/// that is read of it. Spaces within a line are kept as written.
fn short_space(space: &[u8]) -> Option<&'static str> {
    let mut lines = 0;
    for (i, &b) in space.iter().enumerate() {
        match b {
            b'\n' => lines += 1,
            // The parser reads a lone carriage return as a line end.
            b'\r' if space.get(i + 1) != Some(&b'\n') => lines += 1,
            b' ' | b'\t' | b'\r' | b'\x0c' => {}
            _ => return None,
        }
    }
    let short = match lines {
        0 => return None,
        1 => "\n",
        _ => "\n\n",
    };
    (short.len() < space.len()).then_some(short)
}

/// Elements whose content goes before parsing: drawings, menus, drop-down
/// lists and footers hold many elements and no prose. Emptying `nav` and
/// `select` takes a tenth off the time of extraction, `footer` another
/// 6%; they change 8 of the 300 pages of `scripts/extract_eval.py` (menus
/// and footers gone), none of its snippets.
const EMPTIED: &[&[u8]] = &[b"svg", b"nav", b"select", b"footer"];

/// Elements whose content [`slim_tag`] leaves as written: the parser
/// keeps the content of some as text that Readability reads as markup
/// (`noscript`, for its images), and Readability looks for video
/// addresses in all of an `object`.
const AS_WRITTEN: &[&[u8]] = &[
    b"noscript",
    b"iframe",
    b"noembed",
    b"noframes",
    b"object",
    b"plaintext",
];

/// Elements whose attributes [`slim_tag`] keeps (but an image's
/// alternative sources): Readability reads any attribute of images and
/// embedded media for their addresses.
const MEDIA: &[&[u8]] = &[
    b"img", b"image", b"picture", b"figure", b"source", b"video", b"audio", b"track", b"iframe",
    b"embed", b"object",
];

/// Characters of a link's address kept by [`slim_tag`]: Readability only
/// asks whether it starts with `#`, `http` or `javascript:`.
const HREF_KEPT: usize = 16;

/// The start tag `tag` (from `<` to `>`) of an element named `name`
/// (lower case) without the attributes that neither these rules nor
/// Readability read, and with the addresses of links cut short
/// ([`HREF_KEPT`]); `None` when nothing goes or when the tag is not
/// plain enough to be sure how the parser reads it. A third of the bytes
/// left after [`prepare`] blanks the code are attributes, and the parser
/// reads, copies and stores each one.
///
/// What goes: `data-*` (but Readability's own `data-readability-*`),
/// event handlers (`on*`), `aria-*` other than `aria-hidden` and
/// `aria-modal`, `title`, and `style` unless it mentions `display` or
/// `visibility` (how Readability tells hidden elements). Images and
/// embedded media ([`MEDIA`]) keep theirs, but `img` and `source` lose
/// their alternative sources (`srcset`, `sizes` and their `data-`
/// forms; an `img` only when it has a `src`). A `<link>` loses all.
fn slim_tag(tag: &str, name: &[u8]) -> Option<String> {
    if name == b"link" {
        // Links to style sheets, icons, feeds and other languages: no
        // extraction reads their attributes, but the element stays, bare:
        // Readability tells a block holding only a paragraph, and where
        // loose text breaks, by elements.
        return (tag != "<link>").then(|| "<link>".to_string());
    }
    let image = matches!(name, b"img" | b"source");
    if MEDIA.contains(&name) && !image {
        return None;
    }
    let b = tag.as_bytes();
    let end = b.len().checked_sub(1)?;
    let space = |c: u8| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    // The tag name, as the tokenizer reads it.
    let mut i = 1;
    while i < end && !space(b[i]) && b[i] != b'/' {
        i += 1;
    }
    if !b[1..i].eq_ignore_ascii_case(name) {
        return None;
    }
    let link = name == b"a";
    // Byte ranges of `tag` left out.
    let mut gone: Vec<(usize, usize)> = Vec::new();
    // An image's alternative sources (`srcset`, `sizes`, their lazy
    // `data-` forms), which only Readability's HTML output reads, go when
    // it has a `src` (without one, Readability would take it for an
    // image with no address and remove it).
    let (mut has_src, mut sources) = (false, Vec::new());
    loop {
        while i < end && space(b[i]) {
            i += 1;
        }
        if i == end {
            break;
        }
        if b[i] == b'/' {
            // Only a closing `/>` is plain: elsewhere a `/` would join
            // what is left around an attribute that goes.
            if i + 1 == end {
                break;
            }
            return None;
        }
        let start = i;
        i += 1;
        while i < end && !space(b[i]) && !matches!(b[i], b'/' | b'=') {
            i += 1;
        }
        let attr = b[start..i].to_ascii_lowercase();
        let mut j = i;
        while j < end && space(b[j]) {
            j += 1;
        }
        // The value and its quote, if any.
        let mut value: Option<(usize, usize, bool)> = None;
        if j < end && b[j] == b'=' {
            j += 1;
            while j < end && space(b[j]) {
                j += 1;
            }
            if j < end && matches!(b[j], b'"' | b'\'') {
                let q = b[j];
                let close = j + 1 + memchr::memchr(q, &b[j + 1..end])?;
                value = Some((j + 1, close, true));
                i = close + 1;
            } else {
                let mut k = j;
                while k < end && !space(b[k]) {
                    k += 1;
                }
                value = Some((j, k, false));
                i = k;
            }
        }
        if image {
            has_src |= attr == b"src";
            let plain = attr.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-');
            if plain && (attr.ends_with(b"srcset") || attr.ends_with(b"sizes")) {
                sources.push((start, i));
            }
            continue;
        }
        let text = value.map_or(&b[0..0], |(s, e, _)| &b[s..e]);
        let unread = (attr.starts_with(b"data-") && !attr.starts_with(b"data-readability"))
            || attr.starts_with(b"on")
            || (attr.starts_with(b"aria-") && !matches!(&attr[..], b"aria-hidden" | b"aria-modal"))
            || attr == b"title"
            || (attr == b"style"
                && memchr::memchr(b'&', text).is_none()
                && !has_word(text, b"display")
                && !has_word(text, b"visibility"));
        if unread {
            gone.push((start, i));
        } else if link && attr == b"href" {
            // A quoted address without character references in what is
            // kept, cut at a character boundary.
            if let Some((s, e, true)) = value {
                let mut cut = s + HREF_KEPT;
                while cut < e && !tag.is_char_boundary(cut) {
                    cut += 1;
                }
                if cut < e && memchr::memchr(b'&', &b[s..cut]).is_none() {
                    gone.push((cut, e));
                }
            }
        }
    }
    if image && (has_src || name == b"source") {
        gone = sources;
    }
    if gone.is_empty() {
        return None;
    }
    let mut slim = String::with_capacity(tag.len());
    let mut from = 0;
    for (s, e) in gone {
        slim.push_str(&tag[from..s]);
        from = e;
    }
    slim.push_str(&tag[from..]);
    Some(slim)
}

/// Whether `text` holds `word` in any case.
fn has_word(text: &[u8], word: &[u8]) -> bool {
    text.windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// Whether an element named `name` (lower case) whose start tag is `tag`
/// holds code: a style, or a script other than JSON-LD data.
fn is_code(name: &[u8], tag: &[u8]) -> bool {
    match name {
        b"style" => true,
        b"script" => !tag
            .windows(b"ld+json".len())
            .any(|w| w.eq_ignore_ascii_case(b"ld+json")),
        _ => false,
    }
}

/// Where the end tag `</name` (any case) starts at or after `from`.
fn end_tag(bytes: &[u8], mut from: usize, name: &[u8]) -> Option<usize> {
    while let Some(i) = memchr::memmem::find(&bytes[from..], b"</").map(|i| from + i) {
        let rest = &bytes[i + 2..];
        if rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name) {
            return Some(i);
        }
        from = i + 2;
    }
    None
}

/// The main text, title and date of a page.
pub(crate) fn extract(html: &str) -> Extracted {
    let html = &*prepare(html, MAX_DEPTH, true);
    let config = Config {
        // Readability's own text is only checked for being empty, which
        // the raw text tells as well as the formatted one, and cheaper.
        text_mode: TextMode::Raw,
        // The article keeps its classes for `post_clean`.
        keep_classes: true,
        min_score_to_adjust: MIN_SCORE_TO_ADJUST,
        ..Config::default()
    };
    let page = dom_query::Document::from(html);
    // Read before Readability changes the page, so that it need not be
    // parsed a second time for the date.
    let page_date = page_date(&page);
    let lead = lead(&page);
    pre_clean(&page);
    // A copy of the page when it holds article elements, kept from
    // Readability's changes (copying a tree is cheaper than parsing).
    let whole = page.select(ARTICLES).exists().then(|| page.clone());
    // Moderate: without Readability's removal of "unlikely" elements by
    // their class names before scoring, which `pre_clean` has done with
    // a limit on their length (it also took out elements holding the
    // article when their class said `comment` or `sidebar`).
    let mut reader = Readability::with_document(page, None, Some(config));
    let article = reader.as_mut().ok().and_then(|r| {
        let article = r
            .parse_with_policy(dom_smoothie::ParsePolicy::Moderate)
            .ok()
            .filter(|a| !a.text_content.trim().is_empty())?;
        // The article as it stands in Readability's tree, cleaned there:
        // not written out as HTML and parsed again.
        let root = *r.doc.select("#readability-page-1").nodes().first()?;
        Some((
            post_clean(&root, true),
            article.title,
            article.published_time,
        ))
    });
    // The page is parsed again only when Readability left something out.
    let dom = std::cell::OnceCell::new();
    let dom = || dom.get_or_init(|| dom_query::Document::from(html));
    let (text, title, date) = match article {
        Some((text, title, date)) => (text, Some(title), date),
        None => (body_text(dom()), None, None),
    };
    // Readability often settles on one part of an article (a section, the
    // body without its lead): an `<article>` element holding most of its
    // text gives the rest.
    let text = match &whole {
        Some(copy) => articles(copy)
            .into_iter()
            .find_map(|node| {
                dom_query::Selection::from(node)
                    .select("script, style, noscript, template, footer, aside, nav, form")
                    .remove();
                grow(&text, &post_clean(&node, true))
            })
            .unwrap_or(text),
        None => text,
    };
    // A short text is checked against the page's densest block: on some
    // pages Readability settles on a small wrong element.
    let text = match chars(&text) < SHORT_ARTICLE {
        true => match densest_text(html) {
            Some(alt) if chars(&alt) > 2 * chars(&text) => alt,
            _ => text,
        },
        false => text,
    };
    let text = match lead {
        Some(lead) if !squashed(&text).contains(&squashed(&lead)) => format!("{lead}\n\n{text}"),
        _ => text,
    };
    let title = title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| non_empty(dom().select("head title").text().trim()));
    let date = date.or(page_date).map(|d| normalize_date(&d));
    Extracted { text, title, date }
}

/// Readability corrects a candidate's score by its link density only
/// when the score is above this (dom_smoothie's default is 5, its
/// documentation suggests 5 to 10): each correction counts the text of
/// every link in the candidate. This is a change of heuristic, not only
/// of speed (a candidate scoring 5 to 10 keeps its links' weight), but
/// with 10 the texts of the 300 pages of `scripts/extract_eval.py` are
/// byte for byte the same, for 2% fewer instructions (with 40 they are
/// not).
const MIN_SCORE_TO_ADJUST: f32 = 10.0;

/// Article elements: `<article>`, and elements marked as a schema.org
/// article's body (`itemprop="articleBody"`, as blog platforms write
/// theirs).
const ARTICLES: &str = r#"article, [itemprop~="articleBody"]"#;

/// The page's [`ARTICLES`] that are not inside another.
fn articles<'a>(page: &'a dom_query::Document) -> Vec<dom_query::NodeRef<'a>> {
    let Ok(matcher) = dom_query::Matcher::new(ARTICLES) else {
        return Vec::new();
    };
    page.select_matcher(&matcher)
        .nodes()
        .iter()
        .filter(|a| !a.ancestors_it(None).any(|p| p.is_match(&matcher)))
        .copied()
        .collect()
}

/// `alt` in place of `text` when it holds more and most of `text`: at least
/// 80% of the characters of `text` are in paragraphs that `alt` has too.
/// Of the paragraphs `alt` adds, only those of [`GROWN_PARAGRAPH`]
/// characters or more are taken.
fn grow(text: &str, alt: &str) -> Option<String> {
    let all = chars(text);
    if chars(alt) <= all {
        return None;
    }
    let ours: std::collections::HashSet<&str> = text.split("\n\n").collect();
    let kept: usize = alt
        .split("\n\n")
        .filter(|p| ours.contains(p))
        .map(chars)
        .sum();
    if kept * 10 < all * 8 {
        return None;
    }
    let grown: Vec<&str> = alt
        .split("\n\n")
        .filter(|p| ours.contains(p) || chars(p) >= GROWN_PARAGRAPH)
        .collect();
    Some(grown.join("\n\n"))
}

/// See [`grow`].
const GROWN_PARAGRAPH: usize = 80;

/// Class and id words of boilerplate: captions, credits, share bars,
/// related links, ads, newsletters, author boxes.
const BOILERPLATE: &[&str] = &[
    "caption",
    "credit",
    "copyright",
    "share",
    "social",
    "related",
    "teaser",
    "newsletter",
    "promo",
    "advert",
    "sponsor",
    "breadcrumb",
    "subscribe",
    "recommend",
    "author-box",
    "authorbox",
    "author-bio",
    "rating",
    "comment",
    "widget",
    "sidebar",
    "byline",
    "tags",
    "cookie",
    "banner",
    "popup",
    "modal",
    "outbrain",
    "taboola",
    // Tables of contents (the "Easy Table of Contents" and "Table of
    // Contents Plus" plugins, and by name).
    "ez-toc",
    "toc_container",
    "table-of-contents",
];

/// A matcher of a word list in any case, built once in `cell`: one pass
/// over a class attribute instead of one search for each word.
type WordMatcher = std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>;

/// Whether `names` holds any of `words`, in any case.
fn names_any(cell: &WordMatcher, words: &[&str], names: &str) -> bool {
    cell.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .ok()
    })
    .as_ref()
    .is_some_and(|m| m.is_match(names))
}

/// Whether class or id `names` hold a [`BOILERPLATE`] word.
fn boilerplate_name(names: &str) -> bool {
    static MATCHER: WordMatcher = WordMatcher::new();
    names_any(&MATCHER, BOILERPLATE, names)
}

/// Class and id words of consent dialogs (cookies, data protection): such
/// an element goes whatever its length, as no article is held in one, and
/// the long legal text of some was taken for the article.
const CONSENT: &[&str] = &["consent", "gdpr", "dsgvo"];

/// Whether class or id `names` name a consent dialog ([`CONSENT`]).
fn consent_name(names: &str) -> bool {
    static MATCHER: WordMatcher = WordMatcher::new();
    names_any(&MATCHER, CONSENT, names)
}

/// Extracted texts shorter than this (in characters other than
/// whitespace) are compared with [`densest_text`].
const SHORT_ARTICLE: usize = 1000;

/// Boilerplate elements named by their class or id are removed from the
/// page when their text is shorter than this (in characters other than
/// whitespace): a caption, a share bar or a teaser is short, an article
/// container whose class happens to say `comment` is not.
const PAGE_BOILERPLATE_CHARS: usize = 150;

/// The same limit when looking for the densest block (measured: 150
/// finds 4 fewer of the 905 labelled snippets).
const DENSEST_BOILERPLATE_CHARS: usize = 400;

/// The same limit inside the article Readability chose, where a longer
/// block (a related-articles box, an author's biography) still is not the
/// article.
const ARTICLE_BOILERPLATE_CHARS: usize = 800;

/// Removes boilerplate from the page before Readability sees it: figure
/// captions, and short elements whose class or id names boilerplate.
fn pre_clean(page: &dom_query::Document) {
    page.select("figcaption").remove();
    doom(&named(&page.root()), PAGE_BOILERPLATE_CHARS);
}

/// The elements under `root` that have a class or an id, in document
/// order: what `[class], [id]` selects, without matching a selector at
/// each node.
fn named<'a>(root: &dom_query::NodeRef<'a>) -> Vec<dom_query::NodeRef<'a>> {
    root.descendants_it()
        .filter(|n| {
            n.element_ref().is_some_and(|e| {
                e.attrs.iter().any(|a| {
                    a.name.local == dom_query::local_name!("class")
                        || a.name.local == dom_query::local_name!("id")
                })
            })
        })
        .collect()
}

/// Characters of the text under `node` that are not whitespace, counted
/// until `limit` is reached (an element far longer than a limit is not
/// read to its end).
fn chars_under(node: &dom_query::NodeRef<'_>, limit: usize) -> usize {
    let mut n = 0;
    for d in node.descendants_it() {
        if n >= limit {
            break;
        }
        n += d.query_or(0, |t| match &t.data {
            dom_query::NodeData::Text { contents } => chars(contents),
            _ => 0,
        });
    }
    n
}

/// Removes the elements of `nodes` whose class or id names boilerplate and
/// whose text is shorter than `max_len` characters.
fn doom(nodes: &[dom_query::NodeRef<'_>], max_len: usize) {
    use dom_query::local_name;
    let mut doomed = Vec::new();
    for node in nodes {
        // By name: a CSS selector would be parsed again for each node.
        if node.qual_name_ref().is_some_and(|n| {
            matches!(
                n.local,
                local_name!("html")
                    | local_name!("body")
                    | local_name!("article")
                    | local_name!("main")
            )
        }) {
            continue;
        }
        let names = [node.attr("class"), node.attr("id")];
        let names = names.iter().flatten();
        let hit = names.clone().any(|names| {
            boilerplate_name(names)
                || names
                    .split([' ', '-', '_'])
                    .any(|w| w.eq_ignore_ascii_case("ad") || w.eq_ignore_ascii_case("ads"))
        });
        let dialog = names.clone().any(|names| consent_name(names));
        if dialog || hit && chars_under(node, max_len) < max_len {
            doomed.push(*node);
        }
    }
    for node in doomed {
        node.remove_from_parent();
    }
}

/// The text of `root` (Readability's article) after dropping link lists
/// (blocks mostly made of links) and the headings they leave alone; with
/// `classes`, figure captions and boilerplate classes ([`doom`]) too.
fn post_clean(root: &dom_query::NodeRef<'_>, classes: bool) -> String {
    let dom = dom_query::Selection::from(*root);
    if classes {
        dom.select("figcaption").remove();
        doom(&named(root), ARTICLE_BOILERPLATE_CHARS);
    }
    let doomed = link_lists(root);
    if doomed.first().is_some_and(|n| n.id == root.id) {
        // The whole article is a list of links.
        return String::new();
    }
    for node in doomed {
        node.remove_from_parent();
    }
    for h in lonely_headings(root) {
        h.remove_from_parent();
    }
    tidy(&root.formatted_text())
}

/// Whether an element named `name` is checked for link lists by
/// [`post_clean`]: `p`, `li`, `ul`, `ol`, `div`, `section`, `table`, `dl`.
fn is_block(name: &dom_query::LocalName) -> bool {
    use dom_query::local_name;
    matches!(
        *name,
        local_name!("p")
            | local_name!("li")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("div")
            | local_name!("section")
            | local_name!("table")
            | local_name!("dl")
    )
}

/// The blocks ([`is_block`]) under `root` (and `root` when it is one), in document
/// order, of which more than 60% of the text is in links. The text of
/// each block and of the links in it is counted in one walk over the
/// text under `root`, not read again for each block and each link.
fn link_lists<'a>(root: &dom_query::NodeRef<'a>) -> Vec<dom_query::NodeRef<'a>> {
    // Per block: characters, and characters in links (counted once for
    // each link holding them, as reading each link's text would).
    let mut counts: std::collections::HashMap<dom_query::NodeId, (usize, usize)> =
        std::collections::HashMap::new();
    let mut blocks = Vec::new();
    if root.qual_name_ref().is_some_and(|n| is_block(&n.local)) {
        blocks.push(*root);
    }
    for node in root.descendants_it() {
        let (block, len) = node.query_or((false, 0), |t| match &t.data {
            dom_query::NodeData::Element(e) => (is_block(&e.name.local), 0),
            dom_query::NodeData::Text { contents } => (false, chars(contents)),
            _ => (false, 0),
        });
        if block {
            blocks.push(node);
        }
        if len == 0 {
            continue;
        }
        let mut links = 0;
        for a in node.ancestors_it(None) {
            let (block, link) = a.qual_name_ref().map_or((false, false), |n| {
                (is_block(&n.local), n.local == dom_query::local_name!("a"))
            });
            if block {
                let c = counts.entry(a.id).or_default();
                c.0 += len;
                c.1 += len * links;
            }
            if a.id == root.id {
                break;
            }
            links += usize::from(link);
        }
    }
    blocks
        .into_iter()
        .filter(|b| {
            counts
                .get(&b.id)
                // More than 60% of the text in links: a list of links.
                .is_some_and(|&(len, links)| len > 0 && links * 10 > len * 6)
        })
        .collect()
}

/// The headings under `root` that no text follows before the next heading
/// or the end (their section was boilerplate and is gone). Text is taken
/// in document order, so a heading wrapped alone in its own block (a
/// lead, a subtitle) is not lonely when paragraphs follow the block.
fn lonely_headings<'a>(root: &dom_query::NodeRef<'a>) -> Vec<dom_query::NodeRef<'a>> {
    use dom_query::local_name;
    let heading = |n: &dom_query::NodeRef<'_>| {
        n.qual_name_ref().is_some_and(|n| {
            matches!(
                n.local,
                local_name!("h1")
                    | local_name!("h2")
                    | local_name!("h3")
                    | local_name!("h4")
                    | local_name!("h5")
                    | local_name!("h6")
            )
        })
    };
    // The runs of text in document order, each with the heading it is in.
    let mut runs: Vec<Option<dom_query::NodeRef<'a>>> = Vec::new();
    for node in root.descendants_it() {
        let text = node.query_or(false, |t| match &t.data {
            dom_query::NodeData::Text { contents } => !contents.trim().is_empty(),
            _ => false,
        });
        if !text {
            continue;
        }
        let owner = node
            .ancestors_it(None)
            .take_while(|a| a.id != root.id)
            .find(|a| heading(a));
        if runs.last().map(|r| r.map(|h| h.id)) != Some(owner.map(|h| h.id)) {
            runs.push(owner);
        }
    }
    let mut lonely = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if let Some(h) = run {
            if !matches!(runs.get(i + 1), Some(None)) {
                lonely.push(*h);
            }
        }
    }
    lonely
}

/// Characters of `text` that are not whitespace.
fn chars(text: &str) -> usize {
    // ASCII a byte at a time (most text, and the indentation between
    // tags), the rest a character at a time.
    let bytes = text.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            // `char::is_whitespace` in ASCII: tab, line feed, vertical
            // tab, form feed, carriage return, space.
            n += usize::from(!matches!(
                b,
                b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b' '
            ));
            i += 1;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            n += usize::from(!c.is_whitespace());
            i += c.len_utf8();
        }
    }
    n
}

/// The text of the element that holds the most paragraph text (each
/// paragraph counts for its parent, half for its grandparent), after
/// dropping navigation, forms and boilerplate classes: the fallback for a
/// page where Readability picked a small wrong element.
fn densest_text(html: &str) -> Option<String> {
    let page = dom_query::Document::from(html);
    page.select("script, style, noscript, template, nav, header, footer, aside, form, figcaption")
        .remove();
    doom(&named(&page.root()), DENSEST_BOILERPLATE_CHARS);
    let mut scores: std::collections::HashMap<dom_query::NodeId, (usize, dom_query::NodeRef<'_>)> =
        std::collections::HashMap::new();
    for p in page.select("p, pre, blockquote, li, td").nodes() {
        let text: usize = chars(&p.text());
        let links: usize = p.find(&["a"]).iter().map(|a| chars(&a.text())).sum();
        let own = text.saturating_sub(links);
        if own < 25 {
            continue;
        }
        if let Some(parent) = p.parent() {
            scores.entry(parent.id).or_insert((0, parent)).0 += own;
            if let Some(grand) = parent.parent() {
                scores.entry(grand.id).or_insert((0, grand)).0 += own / 2;
            }
        }
    }
    let best = scores
        .into_values()
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.id.cmp(&a.1.id)))?;
    let text = post_clean(&best.1, false);
    (!text.is_empty()).then_some(text)
}

/// The text of an HTML fragment (or page) with its paragraphs kept as
/// blank-line separated blocks, without scripts or styles.
pub(crate) fn html_to_text(html: &str) -> String {
    let dom = dom_query::Document::fragment(&*prepare(html, MAX_DEPTH, true));
    dom.select(NOT_TEXT).remove();
    tidy(&dom.root().formatted_text())
}

/// The whole `<body>` text, the fallback when Readability finds no article.
fn body_text(dom: &dom_query::Document) -> String {
    dom.select(NOT_TEXT).remove();
    let body = dom.select("body");
    if body.exists() {
        tidy(&body.formatted_text())
    } else {
        tidy(&dom.formatted_text())
    }
}

/// The publish date from the page's own markup.
fn page_date(dom: &dom_query::Document) -> Option<String> {
    let meta = dom
        .select(r#"meta[property="article:published_time"]"#)
        .attr("content");
    meta.and_then(|d| non_empty(d.trim())).or_else(|| {
        dom.select("time[datetime]")
            .attr("datetime")
            .and_then(|d| non_empty(d.trim()))
    })
}

/// A date in RFC 3339 in UTC, so that dates from pages and feeds compare
/// as strings; a date in another form is kept as written.
fn normalize_date(date: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(date.trim()) {
        Ok(d) => rfc3339(&d.with_timezone(&chrono::Utc)),
        Err(_) => date.to_string(),
    }
}

/// The page's lead: the first paragraph whose text is the description the
/// page declares for itself (`<meta name="description">` or Open Graph's,
/// perhaps cut short with an ellipsis). Pages often mark their lead as a
/// teaser, which the boilerplate rules drop, and Readability leaves it
/// out when it stands above the article's container.
fn lead(dom: &dom_query::Document) -> Option<String> {
    const SHORTEST: usize = 50;
    let description = [
        r#"meta[name="description"]"#,
        r#"meta[property="og:description"]"#,
    ]
    .iter()
    .filter_map(|s| dom.select(s).attr("content"))
    .map(|d| squashed(&d))
    .find(|d| d.chars().count() >= SHORTEST)?;
    let stem = description.trim_end_matches(['…', '.', ' ']);
    dom.select("body p").iter().find_map(|p| {
        // Most paragraphs differ from the description in their first
        // words: only a paragraph that starts like it is tidied.
        let text = p.text();
        if !squashed_starts_with(&text, stem) {
            return None;
        }
        let text = tidy(&text);
        let flat = squashed(&text);
        (flat == description || flat.starts_with(stem)).then_some(text)
    })
}

/// Whether `squashed(&tidy(text))` would start with `prefix`, read
/// without building it: words of `text` (soft hyphens dropped) one space
/// apart.
fn squashed_starts_with(text: &str, prefix: &str) -> bool {
    let mut rest = prefix;
    let mut first = true;
    for word in text.split_whitespace() {
        let mut letters = word.chars().filter(|&c| c != SOFT_HYPHEN).peekable();
        if letters.peek().is_none() {
            continue;
        }
        if rest.is_empty() {
            return true;
        }
        if !first {
            match rest.strip_prefix(' ') {
                Some(r) => rest = r,
                None => return false,
            }
        }
        first = false;
        for c in letters {
            match rest.strip_prefix(c) {
                Some(r) => rest = r,
                None => return rest.is_empty(),
            }
        }
    }
    rest.is_empty()
}

/// `text` with every run of whitespace one space, trimmed.
fn squashed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The one way lineage writes a date: RFC 3339, UTC, `Z`.
pub(crate) fn rfc3339(date: &chrono::DateTime<chrono::Utc>) -> String {
    date.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// U+00AD, the soft hyphen.
pub(crate) const SOFT_HYPHEN: char = '\u{ad}';

/// Trims each line, drops soft hyphens and keeps at most one blank line
/// between blocks.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    // Soft hyphens (`&shy;`) are hyphenation hints a reader never sees:
    // left in, they cut words in two.
    let unhyphenated;
    let text = if text.contains(SOFT_HYPHEN) {
        unhyphenated = text.replace(SOFT_HYPHEN, "");
        unhyphenated.as_str()
    } else {
        text
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
        } else if !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        out.push_str(line);
    }
    out
}

/// Whether the first bytes of a file look like an HTML page: a doctype or
/// an `<html>` root after any XML declaration and comments.
pub(crate) fn looks_like_html(head: &[u8]) -> bool {
    matches!(first_markup(head), Some(Markup::Doctype(name) | Markup::Element(name)) if name.eq_ignore_ascii_case(b"html"))
}

/// The first markup of a file after whitespace, a byte order mark, XML
/// declarations, processing instructions and comments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Markup<'a> {
    /// `<!DOCTYPE name ...>`: the name.
    Doctype(&'a [u8]),
    /// `<name ...>`: the local name (without a namespace prefix).
    Element(&'a [u8]),
}

pub(crate) fn first_markup(head: &[u8]) -> Option<Markup<'_>> {
    let mut rest = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    loop {
        rest = rest.trim_ascii_start();
        if let Some(pi) = rest.strip_prefix(b"<?") {
            rest = after(pi, b"?>")?;
        } else if let Some(comment) = rest.strip_prefix(b"<!--") {
            rest = after(comment, b"-->")?;
        } else if let Some(decl) = rest.strip_prefix(b"<!") {
            let keyword = b"doctype";
            if decl.len() >= keyword.len() && decl[..keyword.len()].eq_ignore_ascii_case(keyword) {
                return Some(Markup::Doctype(name(
                    decl[keyword.len()..].trim_ascii_start(),
                )));
            }
            rest = after(decl, b">")?;
        } else if let Some(tag) = rest.strip_prefix(b"<") {
            let qualified = name(tag);
            let local = match memchr::memchr(b':', qualified) {
                Some(colon) => &qualified[colon + 1..],
                None => qualified,
            };
            return Some(Markup::Element(local));
        } else {
            return None;
        }
    }
}

/// What follows the first `end` in `s`.
fn after<'a>(s: &'a [u8], end: &[u8]) -> Option<&'a [u8]> {
    memchr::memmem::find(s, end).map(|at| &s[at + end.len()..])
}

/// The leading name characters of `s`.
fn name(s: &[u8]) -> &[u8] {
    let end = s
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.')))
        .unwrap_or(s.len());
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A news page: the article sits between a site menu, share buttons,
    /// a related-links box and a footer.
    const PAGE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
  <title>Harbour bridge reopens after repairs | The Daily Example</title>
  <meta property="article:published_time" content="2024-03-05T08:30:00Z">
  <style>body { font-family: serif; }</style>
  <script>var tracking = "do not read me";</script>
</head>
<body>
  <header class="site-header">
    <nav class="menu"><ul>
      <li><a href="/">Home</a></li><li><a href="/news">News</a></li>
      <li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li>
    </ul></nav>
  </header>
  <main>
    <article>
      <h1>Harbour bridge reopens after repairs</h1>
      <p>The harbour bridge reopened to traffic on Tuesday morning after eight months of
      repairs to its steel deck, the city council said, ahead of the schedule agreed with
      contractors last spring and slightly under the budget set by the transport committee.</p>
      <p>Engineers replaced more than four hundred corroded plates and repainted the main
      span, which carries about forty thousand vehicles a day between the old town and the
      northern suburbs, and they installed sensors that will report strain in real time.</p>
      <p>Commuters who had faced long detours through the industrial district welcomed the
      news, although cyclists said the new lane markings were confusing at the southern end
      and asked the council to review them before the summer season begins.</p>
      <div class="share-buttons social"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
    </article>
    <aside class="related sidebar"><h2>Related</h2><ul><li><a href="/a">Ferry timetable changes</a></li></ul></aside>
  </main>
  <footer class="site-footer"><p>Copyright 2024 The Daily Example. All rights reserved.</p>
  <a href="/privacy">Privacy policy</a></footer>
</body>
</html>"##;

    #[test]
    fn chars_counts_what_is_not_whitespace() {
        for text in [
            "",
            "  a b\tc\n",
            "T\u{fc}bingen\u{a0}\u{2003}\u{3000}x\u{85}",
            "\u{1680}\u{2028}\u{202f}\u{205f} \u{ad}\u{1F600}",
            "\x0b\x0c\r\u{1c}\u{1f}",
        ] {
            let slow = text.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(chars(text), slow, "{text:?}");
        }
    }

    #[test]
    fn squashed_starts_with_reads_as_tidy_and_squashed_do() {
        let cases = [
            ("  The lead\n of it \u{ad}  all", "The lead of it all"),
            ("The le\u{ad}ad", "The lead"),
            ("The lead", "The lea"),
            ("The lead", "The lead, longer"),
            ("The  lead", "The  lead"),
            ("", ""),
            ("Other", "The"),
        ];
        for (text, prefix) in cases {
            let expected = squashed(&tidy(text)).starts_with(prefix);
            assert_eq!(
                squashed_starts_with(text, prefix),
                expected,
                "{text:?} {prefix:?}"
            );
        }
    }

    #[test]
    fn a_page_with_broken_utf8_in_its_title_maps_back_without_panicking() {
        // Found by fuzz/ (target html): a UTF-8 page whose title is 88
        // bytes that are not UTF-8 once overflowed the map to the file.
        let bytes = include_bytes!("../../tests/data/fuzz/html-lossy-title-offsets.html");
        let doc = read_html("fuzz.html", bytes.to_vec()).unwrap();
        let map = doc.source_map.as_ref().expect("a page keeps its map");
        let r = map.to_file(0..doc.text.len());
        assert!(r.start <= r.end && r.end <= bytes.len(), "{r:?}");
    }

    #[test]
    fn the_lead_the_page_describes_itself_with_is_kept() {
        // The lead above the article's container, marked as a teaser (as
        // on bmfsfj.de and zoo-berlin.de in ../shared/data/web/pages).
        let description = "Eight months of repairs to the steel deck end ahead of schedule \
                           and under budget, the council says.";
        let lead = format!(
            r#"<header class="intro"><h1>Harbour bridge reopens after repairs</h1>
            <p class="article-teaser">{description}</p></header>"#
        );
        let page = PAGE
            .replace(
                "<style>",
                &format!(r#"<meta name="description" content="{description}"><style>"#),
            )
            .replace("<main>", &format!("<main>{lead}"));
        let text = extract(&page).text;
        assert!(text.starts_with(description), "{text}");
        assert_eq!(text.matches("Eight months").count(), 1, "{text}");
        // A description no paragraph shows adds nothing.
        let hidden = PAGE.replace(
            "<style>",
            &format!(r#"<meta name="description" content="{description}"><style>"#),
        );
        assert_eq!(extract(&hidden).text, extract(PAGE).text);
        // Nor does one cut short with an ellipsis whose paragraph the text
        // already holds.
        let cut = PAGE.replace(
            "<style>",
            r#"<meta name="description" content="The harbour bridge reopened to traffic on Tuesday morning after eight months…"><style>"#,
        );
        assert_eq!(extract(&cut).text, extract(PAGE).text);
    }

    #[test]
    fn article_text_is_kept_and_boilerplate_dropped() {
        let doc = read_html("page.html", PAGE.as_bytes().to_vec()).unwrap();
        assert_eq!(doc.id, "page.html");
        let text = &doc.text;
        assert!(
            text.contains("The harbour bridge reopened to traffic"),
            "{text}"
        );
        assert!(text.contains("northern suburbs"), "{text}");
        assert!(text.contains("before the summer season begins."), "{text}");
        for boilerplate in [
            "Sport",
            "Weather",
            "Share on",
            "Ferry timetable",
            "Copyright",
            "Privacy",
            "tracking",
            "font-family",
        ] {
            assert!(
                !text.contains(boilerplate),
                "{boilerplate:?} kept in:\n{text}"
            );
        }
        // Paragraphs stay apart, and a paragraph's own line breaks are gone.
        assert!(text.contains("transport committee.\n\nEngineers"), "{text}");
        assert!(!text.contains("steel deck, the city council said, ahead\n"));
        assert_eq!(
            doc.meta.title.as_deref(),
            Some("Harbour bridge reopens after repairs")
        );
        assert_eq!(doc.meta.date.as_deref(), Some("2024-03-05T08:30:00Z"));
    }

    #[test]
    fn captions_link_lists_and_lonely_headings_are_dropped() {
        let article = r#"<div><p>First paragraph of the story, long enough to be a paragraph.</p>
            <figure><img src="a.jpg"><figcaption>The bridge at dawn. Photo: Agency</figcaption></figure>
            <div class="share-bar">Share this story</div>
            <p>Second paragraph with <a href="/x">one link</a> among many more words of its own.</p>
            <h2>Related coverage</h2>
            <ul><li><a href="/a">Ferry timetable changes</a></li><li><a href="/b">Tunnel closed</a></li></ul>
            </div>"#;
        let text = post_clean(&dom_query::Document::fragment(article).root(), true);
        assert!(text.contains("First paragraph"), "{text}");
        assert!(text.contains("with one link among"), "{text}");
        for gone in ["Photo", "Share this", "Related coverage", "Ferry", "Tunnel"] {
            assert!(!text.contains(gone), "{gone:?} kept in:\n{text}");
        }
    }

    #[test]
    fn code_comments_and_drawings_are_left_out_before_parsing() {
        let page = r#"<html><head><script type="application/ld+json">{"a": 1}</script>
            <script>var s = "<p>not text</p>";</script><STYLE>p > a { color: red }</STYLE></head>
            <body><nav class="menu"><a href="/">Home</a></nav><!-- a <b>comment</b> -->
            <p>Kept <svg viewBox="0 0 1 1"><path d="M0"/><title>icon</title></svg>text.</p>
            <form><select><option>Choose a city</option></select></form>
            <footer><a href="/imprint">Imprint</a></footer></body></html>"#;
        let got = prepare(page, MAX_DEPTH, true);
        assert!(got.contains(r#"{"a": 1}"#), "{got}");
        assert!(got.contains(r#"<nav class="menu"></nav>"#), "{got}");
        assert!(got.contains("<select></select>"), "{got}");
        for gone in [
            "not text", "color", "comment", "<path", "icon", "Home", "Choose",
        ] {
            assert!(!got.contains(gone), "{gone:?} in {got}");
        }
        assert!(!got.contains("<script>") && !got.contains("STYLE"), "{got}");
        assert!(
            got.contains("<p>Kept <svg viewBox=\"0 0 1 1\"></svg>text.</p>"),
            "{got}"
        );
        // The plain pre-pass keeps them all.
        assert_eq!(prepare(page, MAX_DEPTH, false), page);
    }

    #[test]
    fn unread_attributes_are_left_out_before_parsing() {
        let slim = |tag: &str, name: &str| slim_tag(tag, name.as_bytes());
        assert_eq!(
            slim(
                r#"<div class="a" data-x='1' onclick=go() aria-label="x" aria-hidden="true" title="t" style="color: red" id=b>"#,
                "div"
            )
            .as_deref(),
            Some(r#"<div class="a"    aria-hidden="true"   id=b>"#)
        );
        // What Readability reads stays: hidden styles, its own data.
        for (kept, name) in [
            (r#"<p style="DISPLAY: none">"#, "p"),
            (r#"<p style="visibility:hidden">"#, "p"),
            (r#"<p style="dis&#112;lay:none">"#, "p"),
            (r#"<table data-readability-table="true">"#, "table"),
            (r#"<img data-src="a.jpg" title="t">"#, "img"),
            (r#"<p class="a" role="dialog">"#, "p"),
        ] {
            assert_eq!(slim(kept, name), None, "{kept}");
        }
        // Link addresses keep their start.
        assert_eq!(
            slim(r#"<a href="https://example.com/a/long/path" class=x>"#, "a").as_deref(),
            Some(r#"<a href="https://example." class=x>"#)
        );
        assert_eq!(slim(r##"<a href="#top">"##, "a"), None);
        assert_eq!(
            slim(r#"<a href="https://example.com/&amp;x">"#, "a").as_deref(),
            Some(r#"<a href="https://example.">"#)
        );
        assert_eq!(slim(r#"<a href="https://exa&amp;mple.com/x">"#, "a"), None);
        // Tags the parser might read otherwise are left as they are.
        assert_eq!(slim(r#"<div/data-x="1">"#, "div"), None);
        assert_eq!(slim(r#"<div title="a"#, "div"), None);
        assert_eq!(slim(r#"<br data-x="1"/>"#, "br").as_deref(), Some("<br />"));
        // And so is the content of elements the parser keeps as text.
        let page = r#"<html><body><noscript><img data-src="a.jpg"><p data-x="1">n</p></noscript><p data-y="2">t</p></body></html>"#;
        let got = prepare(page, MAX_DEPTH, true);
        assert!(got.contains(r#"<p data-x="1">n</p>"#), "{got}");
        assert!(got.contains("<p >t</p>"), "{got}");
        // An image's alternative sources go when it has an address.
        assert_eq!(
            slim(
                r#"<img src="a.jpg" srcset="a2.jpg 2x" sizes="50vw" data-srcset="b" alt=x>"#,
                "img"
            )
            .as_deref(),
            Some(r#"<img src="a.jpg"    alt=x>"#)
        );
        assert_eq!(
            slim(r#"<img data-srcset="a.jpg 2x" class=lazy>"#, "img"),
            None
        );
        assert_eq!(
            slim(r#"<source srcset="a.webp" type="image/webp">"#, "source").as_deref(),
            Some(r#"<source  type="image/webp">"#)
        );
    }

    #[test]
    fn indentation_and_links_to_resources_are_left_out_before_parsing() {
        let page = "<html><head>\n  <link rel=stylesheet href=a.css>\n</head><body>\n\n    <p>a</p>   <pre>\n  x\n   y\n</pre>\t\t<b>b</b> <i>c</i>\r  \r<pre/>\n  z\n  </body></html>";
        let got = prepare(page, MAX_DEPTH, true);
        // Runs holding a line end are shortened (a lone carriage return
        // is one), spaces within a line and `pre` (even written `<pre/>`)
        // are not; a `<link>` stays, bare.
        assert_eq!(
            got,
            "<html><head>\n<link>\n</head><body>\n\n<p>a</p>   <pre>\n  x\n   y\n</pre>\t\t<b>b</b> <i>c</i>\n\n<pre/>\n  z\n  </body></html>"
        );
        assert_eq!(
            extract(page).text,
            extract(&page.replace("<link", "<meta")).text
        );
    }

    #[test]
    fn a_heading_alone_in_its_block_is_kept_when_text_follows() {
        // A lead in a block of its own, a heading whose section is gone, and
        // one at the end with nothing after it.
        let article = r#"<div><div class="lead"><h2>The lead, in a heading of its own.</h2></div>
            <p>The first paragraph of the story follows the lead.</p>
            <h3>Gone section</h3><h3>Next section</h3><p>Its text.</p><h4>Last words</h4></div>"#;
        let text = post_clean(&dom_query::Document::fragment(article).root(), false);
        assert!(text.starts_with("The lead, in a heading"), "{text}");
        assert!(text.contains("Next section\n\nIts text."), "{text}");
        for gone in ["Gone section", "Last words"] {
            assert!(!text.contains(gone), "{gone:?} kept in:\n{text}");
        }
    }

    #[test]
    fn an_article_element_gives_the_parts_readability_left_out() {
        let readability = "First paragraph of the body, long enough to count.\n\nSecond one.";
        let article =
            "The lead of the story, which sits above the body in a block of its own and is as long as a paragraph of the body.\n\n\
            First paragraph of the body, long enough to count.\n\nSecond one.\n\nShare\n\n\
            A later section that Readability did not take, in another block, and it is long enough to be a paragraph.";
        let grown = grow(readability, article).expect("it holds all of Readability's text");
        assert!(grown.starts_with("The lead of the story"), "{grown}");
        assert!(grown.ends_with("long enough to be a paragraph."), "{grown}");
        assert!(
            grown.contains("count.\n\nSecond one.\n\nA later"),
            "{grown}"
        );
        // A short block it adds is not a paragraph: a button, a date, a teaser.
        assert!(!grown.contains("Share"), "{grown}");
        // An element that holds little of Readability's text is another article.
        assert_eq!(
            grow(
                readability,
                "Another story entirely, with a text that is longer than the first."
            ),
            None
        );
        // Nor is a shorter one taken.
        assert_eq!(grow(readability, "Second one."), None);
    }

    #[test]
    fn article_elements_are_articles_and_article_bodies_outermost_first() {
        let page = dom_query::Document::from(
            r#"<html><body><div itemprop="description articleBody"><div>
            <article><p>Nested.</p></article></div></div>
            <div itemprop="description"><p>Not a body.</p></div>
            <article><p>Another.</p></article></body></html>"#,
        );
        let found = articles(&page);
        assert_eq!(found.len(), 2);
        assert!(found[0].attr("itemprop").is_some());
        assert!(found[1].node_name().is_some_and(|n| &*n == "article"));
    }

    #[test]
    fn consent_dialogs_go_whatever_their_length() {
        let legal =
            "Wir verarbeiten Ihre Daten zur Wiedergabe von Videos und zur Messung. ".repeat(40);
        let page = format!(
            r#"<html><body><div class="sp-dsgvo-popup"><p>{legal}</p></div>
            <article><p>The story itself, a paragraph of an ordinary length for a news article.</p></article></body></html>"#
        );
        let got = extract(&page);
        assert!(got.text.contains("The story itself"), "{}", got.text);
        assert!(!got.text.contains("Wiedergabe"), "{}", got.text);
    }

    #[test]
    fn soft_hyphens_are_dropped() {
        assert_eq!(
            html_to_text("<p>Mit&shy;tel\u{ad}al&shy;ter</p>"),
            "Mittelalter"
        );
    }

    #[test]
    fn short_page_falls_back_to_body_text() {
        let page = "<html><head><title>Note</title><script>x()</script></head>\
            <body><p>One short line.</p><p>Another.</p><time datetime=\"2023-01-02\">2 Jan</time></body></html>";
        let got = extract(page);
        assert!(got.text.contains("One short line."), "{}", got.text);
        assert!(got.text.contains("Another."), "{}", got.text);
        assert!(!got.text.contains("x()"), "{}", got.text);
        assert_eq!(got.title.as_deref(), Some("Note"));
        assert_eq!(got.date.as_deref(), Some("2023-01-02"));
    }

    #[test]
    fn dates_are_normalised_when_they_parse() {
        assert_eq!(
            normalize_date("2024-03-05T09:30:00+01:00"),
            "2024-03-05T08:30:00Z"
        );
        assert_eq!(normalize_date("5 March 2024"), "5 March 2024");
    }

    #[test]
    fn fragment_to_text_keeps_paragraphs() {
        let text = html_to_text(
            "<p>First <b>bold</b> paragraph.</p><script>no()</script><p>Second &amp; last.</p>",
        );
        assert_eq!(text, "First bold paragraph.\n\nSecond & last.");
    }

    #[test]
    fn deep_nesting_is_flattened_and_text_kept() {
        let page = format!(
            "<html><body>{}deep text{}</body></html>",
            "<div><span>".repeat(5000),
            "</span></div>".repeat(5000)
        );
        let flat = flatten_deep(&page, MAX_DEPTH);
        assert!(flat.len() < page.len() / 10, "{} bytes", flat.len());
        assert!(flat.contains("deep text"));
        assert!(extract(&page).text.contains("deep text"));
        // Unclosed, as the reliability case writes it.
        let unclosed = format!("<html><body>{}text", "<div><span><b>".repeat(20_000));
        assert!(extract(&unclosed).text.contains("text"));
        // Real pages are left as they are: paragraphs without end tags,
        // scripts holding markup, void elements.
        let shallow = format!(
            "<html><body><script>var s = '{}';</script>{}<br><img src=x></body></html>",
            "<div>".repeat(1000),
            "<p>para".repeat(2000)
        );
        assert!(matches!(
            flatten_deep(&shallow, MAX_DEPTH),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn sniffing_html() {
        assert!(looks_like_html(b"\xef\xbb\xbf <!DOCTYPE html>\n<html>"));
        assert!(looks_like_html(b"<!-- generated -->\n<HTML lang=en>"));
        assert!(looks_like_html(
            b"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"
        ));
        assert!(!looks_like_html(b"<rss version=\"2.0\">"));
        assert!(!looks_like_html(b"plain <html> text"));
        assert_eq!(
            first_markup(b"<?xml version='1.0'?>\n<!-- c -->\n<rdf:RDF>"),
            Some(Markup::Element(b"RDF"))
        );
    }
}
