//! From the text lineage compares back to the file it was read from.
//!
//! The text of an HTML page or a feed item is not the file: tags are left
//! out, entities decoded, whitespace folded, blocks separated by blank
//! lines, and the bytes may have been transcoded from the page's charset.
//! A [`SourceMap`] carried on the [`Document`](super::Document) takes a
//! byte range of that text back to the bytes of the file as written, and
//! tells the file's line of a text offset, so that reports point into the
//! file a user opens.
//!
//! It is built without the parser's help (the DOM keeps no positions):
//! the file's character data is scanned once (`Hay`: tags, comments,
//! scripts and styles skipped, entities decoded as the HTML parser decodes
//! them, whitespace dropped, each character remembering the file bytes it
//! came from), and each line of the extracted text, its whitespace
//! dropped too, is found in it in order. A line that is not found whole
//! (a rare rewrite by the extractor) is found word by word near where the
//! previous one ended; a word not found at all maps to its neighbours.
//! The map is piecewise: `Segment`s of text bytes that are copied one
//! for one from the file, and single characters that are not (an entity,
//! a transcoded character).
//!
//! Feeds go through two levels: the XML (or JSON) of the feed file, then
//! the HTML inside an item's content (escaped or in CDATA), both read in
//! one scan that keeps each character's file bytes.

use std::ops::Range;

use crate::source::decode::Charset;

/// Where the bytes of a document's text come from in its file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceMap {
    /// Text ranges with their file ranges, in text order (and file order).
    segments: Vec<Segment>,
    /// File offsets of the file's line feeds.
    newlines: std::sync::Arc<Vec<usize>>,
}

/// A piece of the text and the file bytes it was read from. When both
/// have the same length the bytes correspond one for one; otherwise the
/// piece is one character (an entity, a transcoded character) taken whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    text: usize,
    text_end: usize,
    file: usize,
    file_end: usize,
}

impl Segment {
    fn one_for_one(&self) -> bool {
        self.text_end.checked_sub(self.text) == self.file_end.checked_sub(self.file)
    }
}

impl SourceMap {
    /// The file bytes that hold the text bytes `range`: from the first
    /// mapped byte at or after its start to the last mapped byte before its
    /// end. `None` when nothing of the range was found in the file.
    pub fn file_range(&self, range: Range<usize>) -> Option<Range<usize>> {
        let first = self.segments.partition_point(|s| s.text_end <= range.start);
        let seg = self.segments.get(first)?;
        if seg.text >= range.end {
            return None;
        }
        let start = if seg.text <= range.start && seg.one_for_one() {
            seg.file + (range.start - seg.text)
        } else {
            seg.file
        };
        let last = self.segments.partition_point(|s| s.text < range.end);
        let seg = self.segments.get(last.checked_sub(1)?)?;
        let end = if range.end < seg.text_end && seg.one_for_one() {
            seg.file + (range.end - seg.text)
        } else {
            seg.file_end
        };
        Some(start..end.max(start))
    }

    /// [`file_range`](Self::file_range), or where nothing of the range was
    /// found, the empty range at the next byte that was (at the end of the
    /// last one when none follows).
    pub fn to_file(&self, range: Range<usize>) -> Range<usize> {
        if let Some(r) = self.file_range(range.clone()) {
            return r;
        }
        let at = self
            .file_range(range.start..usize::MAX)
            .map(|r| r.start)
            .or_else(|| self.segments.last().map(|s| s.file_end))
            .unwrap_or(0);
        at..at
    }

    /// The 1-based lines of the file where the text bytes `range` start
    /// and end; `None` when nothing of the text was found in the file.
    pub fn lines(&self, range: Range<usize>) -> Option<(usize, usize)> {
        if self.segments.is_empty() {
            return None;
        }
        let r = self.to_file(range);
        Some((
            self.file_line(r.start),
            self.file_line(r.end.saturating_sub(1).max(r.start)),
        ))
    }

    /// The 1-based line of the file byte `at`.
    fn file_line(&self, at: usize) -> usize {
        1 + self.newlines.partition_point(|&n| n < at)
    }

    /// The 1-based line of the file that holds the text byte `at` (the
    /// first mapped byte at or after it); `None` when nothing at or after
    /// it was found in the file.
    pub fn line_of(&self, at: usize) -> Option<usize> {
        let file = self.file_range(at..usize::MAX)?.start;
        Some(self.file_line(file))
    }

    /// Whether nothing of the text was found in the file.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }
}

/// From offsets in decoded text (UTF-8) to offsets in the file's bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Transcoded {
    /// The text is the file's bytes.
    #[default]
    Same,
    /// Anchors `(text, file)` in text order: from each anchor on, bytes
    /// correspond one for one up to the next anchor. Every character whose
    /// width differs between the text and the file has an anchor, and so
    /// has the character after it.
    Anchors(Vec<(usize, usize)>),
}

impl Transcoded {
    /// How the decoded `text` of `bytes` maps back to them.
    pub(crate) fn of(bytes: &[u8], text: &str, charset: Charset, lossy: bool) -> Transcoded {
        let mut anchors = Vec::new();
        match charset {
            Charset::Utf8 if !lossy => return Transcoded::Same,
            Charset::Utf8 => lossy_utf8(bytes, &mut anchors),
            Charset::Bom(name) | Charset::Detected(name) | Charset::Declared(name) => {
                let encoding = encoding_rs::Encoding::for_label(name.as_bytes());
                if name.starts_with("UTF-32") {
                    fixed(text, 4, |_| 4, &mut anchors);
                } else if name.starts_with("UTF-16") {
                    let bom = usize::from(matches!(charset, Charset::Bom(_))) * 2;
                    fixed(text, bom, |c: char| c.len_utf16() * 2, &mut anchors);
                } else if let Some(encoding) = encoding {
                    if encoding.is_single_byte() {
                        fixed(text, 0, |_| 1, &mut anchors);
                    } else {
                        by_decoder(bytes, encoding, &mut anchors);
                    }
                } else {
                    return Transcoded::Same;
                }
            }
        }
        Transcoded::Anchors(anchors)
    }

    /// The file offset of the text offset `at` (a character boundary).
    pub(crate) fn file(&self, at: usize) -> usize {
        match self {
            Transcoded::Same => at,
            Transcoded::Anchors(anchors) => {
                match anchors.partition_point(|&(text, _)| text <= at) {
                    0 => at,
                    i => {
                        let (text, file) = anchors[i - 1];
                        file + (at - text)
                    }
                }
            }
        }
    }
}

/// Pushes the anchor of a character at `text` read from `file` (a
/// replacement of the last one when it is at the same text offset).
fn anchor(anchors: &mut Vec<(usize, usize)>, text: usize, file: usize) {
    match anchors.last_mut() {
        Some(last) if last.0 == text => last.1 = file,
        Some(&mut (t, f)) if file - f == text - t => {}
        _ => anchors.push((text, file)),
    }
}

/// Anchors of a text whose characters each took `width(c)` file bytes
/// after a mark of `start` bytes.
fn fixed(
    text: &str,
    start: usize,
    width: impl Fn(char) -> usize,
    anchors: &mut Vec<(usize, usize)>,
) {
    let mut file = start;
    for (at, c) in text.char_indices() {
        anchor(anchors, at, file);
        file += width(c);
    }
    anchor(anchors, text.len(), file);
}

/// Anchors of UTF-8 decoded lossily: each invalid sequence became one
/// U+FFFD.
fn lossy_utf8(bytes: &[u8], anchors: &mut Vec<(usize, usize)>) {
    let (mut text, mut file) = (0, 0);
    for chunk in bytes.utf8_chunks() {
        text += chunk.valid().len();
        file += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            anchor(anchors, text, file);
            text += char::REPLACEMENT_CHARACTER.len_utf8();
            file += chunk.invalid().len();
            anchor(anchors, text, file);
        }
    }
}

/// Anchors of a multi-byte legacy encoding (GBK, Big5, Shift_JIS, ...),
/// found by feeding the decoder one byte at a time: each character is
/// read from the bytes fed since the previous one came out.
fn by_decoder(
    bytes: &[u8],
    encoding: &'static encoding_rs::Encoding,
    anchors: &mut Vec<(usize, usize)>,
) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::new();
    let mut from = 0;
    for i in 0..bytes.len() {
        let before = out.len();
        out.reserve(decoder.max_utf8_buffer_length(1).unwrap_or(16));
        let _ = decoder.decode_to_string(&bytes[i..=i], &mut out, i + 1 == bytes.len());
        if out.len() > before {
            anchor(anchors, before, from);
            from = i + 1;
        }
    }
    anchor(anchors, out.len(), bytes.len());
}

/// The character data of a file without whitespace, each character with
/// the file bytes it came from.
#[derive(Debug, Default)]
pub(crate) struct Hay {
    /// The characters, whitespace left out.
    text: String,
    /// For each byte of `text`, the file range of its character.
    from: Vec<(usize, usize)>,
    /// File offsets of the file's line feeds.
    newlines: std::sync::Arc<Vec<usize>>,
    /// Where the next search starts in `text`.
    cursor: usize,
}

/// A character of decoded text with its file range.
type Located = (char, usize, usize);

/// How a file is read before its HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outer {
    /// The file is the HTML page.
    Html,
    /// An XML feed: its markup and entities first, CDATA as it is.
    Xml,
    /// A JSON feed: the contents of its strings.
    Json,
}

impl Hay {
    /// The character data of `text`, decoded from a file as `transcoded`
    /// says.
    pub(crate) fn new(text: &str, transcoded: &Transcoded, outer: Outer) -> Hay {
        let mut located: Vec<Located> = Vec::with_capacity(text.len());
        located.extend(
            text.char_indices()
                .map(|(at, c)| (c, transcoded.file(at), transcoded.file(at + c.len_utf8()))),
        );
        let newlines = located
            .iter()
            .filter(|l| l.0 == '\n')
            .map(|l| l.1)
            .collect();
        let inner = match outer {
            Outer::Html => located,
            Outer::Xml => markup(&located, true),
            Outer::Json => json_strings(&located),
        };
        let mut hay = Hay {
            newlines: std::sync::Arc::new(newlines),
            text: String::with_capacity(inner.len()),
            from: Vec::with_capacity(inner.len()),
            cursor: 0,
        };
        for (c, start, end) in markup(&inner, false) {
            if !unseen(c) {
                let at = hay.text.len();
                hay.text.push(c);
                hay.from
                    .extend(std::iter::repeat_n((start, end), hay.text.len() - at));
            }
        }
        hay
    }

    /// The map of `text`, read from this file: its lines are looked for
    /// in order from where the previous search ended. Long lines are
    /// placed first; a short one (a heading, a date, `...`) is looked for
    /// only between the long lines around it, where a chance match far
    /// ahead cannot pull the search past the rest of the text.
    pub(crate) fn map(&mut self, text: &str) -> SourceMap {
        const LONG: usize = 24;
        let mut lines = Vec::new();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let (needle, offsets) = without_space(line, at);
            if !needle.is_empty() {
                lines.push((line, at, needle, offsets));
            }
            at += line.len();
        }
        let mut cursor = self.cursor;
        let placed: Vec<Option<usize>> = lines
            .iter()
            .map(|(_, _, needle, _)| {
                if needle.len() < LONG {
                    return None;
                }
                let found =
                    memchr::memmem::find(&self.text.as_bytes()[cursor..], needle.as_bytes())?;
                cursor += found + needle.len();
                Some(cursor - needle.len())
            })
            .collect();
        let mut segments: Vec<Segment> = Vec::new();
        for (i, (line, at, needle, offsets)) in lines.iter().enumerate() {
            if let Some(found) = placed[i] {
                self.take(found, needle, offsets, &mut segments);
                continue;
            }
            let next = placed[i + 1..]
                .iter()
                .find_map(|p| *p)
                .unwrap_or(self.text.len())
                .max(self.cursor);
            self.map_line(line, *at, needle, offsets, next, &mut segments);
        }
        SourceMap {
            segments,
            newlines: self.newlines.clone(),
        }
    }

    /// Places a line not placed whole among the long lines: whole, else
    /// word by word, each within a window after the previous one, all
    /// before the hay offset `before`.
    fn map_line(
        &mut self,
        line: &str,
        at: usize,
        needle: &str,
        offsets: &[usize],
        before: usize,
        segments: &mut Vec<Segment>,
    ) {
        const WINDOW: usize = 2048;
        let before = before.min(self.text.len());
        let hay = &self.text.as_bytes()[..before];
        if let Some(found) =
            memchr::memmem::find(&hay[self.cursor.min(before)..], needle.as_bytes())
        {
            self.take(self.cursor + found, needle, offsets, segments);
            return;
        }
        let mut word_start = 0;
        for word in line.split_inclusive(char::is_whitespace) {
            let (needle, offsets) = without_space(word, at + word_start);
            word_start += word.len();
            if needle.is_empty() {
                continue;
            }
            let from = self.cursor.min(before);
            let end = (from + WINDOW).min(before);
            let window = &self.text.as_bytes()[from..end];
            if let Some(found) = memchr::memmem::find(window, needle.as_bytes()) {
                self.take(self.cursor + found, &needle, &offsets, segments);
            }
        }
    }

    /// Records that `needle` (whose characters are at the text offsets
    /// `offsets`) is the hay's text from `from`.
    fn take(&mut self, from: usize, needle: &str, offsets: &[usize], segments: &mut Vec<Segment>) {
        for ((i, c), &text) in needle.char_indices().zip(offsets) {
            let (file, file_end) = self.from[from + i];
            if file_end < file {
                // Bytes the decoder read ahead of (a broken sequence
                // resynchronised later): no range of the file holds them.
                continue;
            }
            let text_end = text + c.len_utf8();
            let piece = Segment {
                text,
                text_end,
                file,
                file_end,
            };
            match segments.last_mut() {
                Some(last)
                    if last.one_for_one()
                        && piece.one_for_one()
                        && text.checked_sub(last.text_end).is_some_and(|d| d <= 1)
                        && text.checked_sub(last.text_end) == file.checked_sub(last.file_end) =>
                {
                    last.text_end = text_end;
                    last.file_end = file_end;
                }
                Some(last) if last.file_end > file => {}
                _ => segments.push(piece),
            }
        }
        self.cursor = from + needle.len();
    }
}

/// Whether `c` is left out of the comparison of text and file: whitespace
/// (folded by the extractor) and soft hyphens (dropped by it).
fn unseen(c: char) -> bool {
    c.is_whitespace() || c == crate::source::html::SOFT_HYPHEN
}

/// `s` without its whitespace, and the text offset of each character
/// left (`at` is the offset of `s`).
fn without_space(s: &str, at: usize) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut offsets = Vec::new();
    for (i, c) in s.char_indices() {
        if !unseen(c) {
            out.push(c);
            offsets.push(at + i);
        }
    }
    (out, offsets)
}

/// Elements whose content is never text of the page.
const SKIPPED: &[&str] = &[
    "script", "style", "title", "textarea", "noscript", "template", "xmp",
];

/// The character data of markup: tags, comments, doctypes and processing
/// instructions left out, the content of scripts and styles too,
/// character references decoded (each decoded character spans the
/// reference's file bytes). In `xml`, CDATA sections give their content
/// as it is (it is markup of the next level) and no element is skipped.
fn markup(input: &[Located], xml: bool) -> Vec<Located> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    let starts = |i: usize, s: &str| {
        s.chars().enumerate().all(|(k, c)| {
            input
                .get(i + k)
                .is_some_and(|l| l.0.eq_ignore_ascii_case(&c))
        })
    };
    let find = |from: usize, s: &str| (from..input.len()).find(|&k| starts(k, s));
    while i < input.len() {
        let (c, start, _) = input[i];
        match c {
            '<' if xml && starts(i, "<![CDATA[") => {
                let end = find(i + 9, "]]>").unwrap_or(input.len());
                out.extend_from_slice(&input[i + 9..end]);
                i = end + 3;
            }
            '<' if starts(i, "<!--") => {
                i = find(i + 4, "-->").map_or(input.len(), |e| e + 3);
            }
            '<' if input
                .get(i + 1)
                .is_some_and(|n| n.0.is_ascii_alphabetic() || matches!(n.0, '/' | '!' | '?')) =>
            {
                let name_start = i + 1 + usize::from(input[i + 1].0 == '/');
                let name: String = input[name_start..]
                    .iter()
                    .take_while(|l| l.0.is_ascii_alphanumeric())
                    .map(|l| l.0.to_ascii_lowercase())
                    .collect();
                let end = tag_end(input, i + 1);
                i = end;
                if !xml
                    && input[i.saturating_sub(2)].0 != '/'
                    && SKIPPED.contains(&name.as_str())
                    && input[name_start - 1].0 != '/'
                {
                    // Up to the end tag.
                    let close = format!("</{name}");
                    i = find(i, &close).unwrap_or(input.len());
                }
                // A tag separates words as the parser's blocks do; the
                // map needs no separator (whitespace is dropped).
            }
            '&' => {
                let (decoded, used) = reference(&input[i..]);
                let end = input[i + used - 1].2;
                for d in decoded.into_iter().flatten() {
                    out.push((d, start, end));
                }
                if decoded[0].is_none() {
                    out.push(input[i]);
                    i += 1;
                } else {
                    i += used;
                }
            }
            _ => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
    out
}

/// One past the `>` that ends the tag whose name starts at `from`
/// (quoted attribute values may hold `>`).
fn tag_end(input: &[Located], from: usize) -> usize {
    let mut quote = None;
    for (k, l) in input.iter().enumerate().skip(from) {
        match (quote, l.0) {
            (None, '>') => return k + 1,
            (None, q @ ('"' | '\'')) if input[k - 1].0 == '=' || input[k - 1].0.is_whitespace() => {
                quote = Some(q)
            }
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    input.len()
}

/// The characters a character reference at the start of `input` (`&...`)
/// stands for, and how many input characters it takes; `[None, None]`
/// when it is not one (a bare `&`).
fn reference(input: &[Located]) -> ([Option<char>; 2], usize) {
    const NONE: ([Option<char>; 2], usize) = ([None, None], 1);
    let name: String = input[1..]
        .iter()
        .take(40)
        .map(|l| l.0)
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '#' || *c == ';')
        .collect();
    if let Some(num) = name.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        let len = digits.chars().take_while(|c| c.is_digit(radix)).count();
        if len == 0 {
            return NONE;
        }
        let value = u32::from_str_radix(&digits[..len.min(8)], radix).unwrap_or(0xFFFD);
        let c = numeric(value);
        let semicolon = usize::from(digits[len..].starts_with(';'));
        let used = 2 + (num.len() - digits.len()) + len + semicolon;
        return ([Some(c), None], used);
    }
    // The longest name that is an entity (with its `;` when it has one).
    let name = name.split(';').next().unwrap_or("");
    for len in (1..=name.len()).rev() {
        let with_semicolon = input.get(1 + len).is_some_and(|l| l.0 == ';');
        let key = if with_semicolon {
            format!("{};", &name[..len])
        } else {
            name[..len].to_string()
        };
        let found = markup5ever::data::NAMED_ENTITIES
            .get(key.as_str())
            .or_else(|| markup5ever::data::NAMED_ENTITIES.get(&name[..len]))
            .filter(|&&(a, _)| a != 0);
        if let Some(&(a, b)) = found {
            let semicolon = usize::from(with_semicolon && key.ends_with(';'));
            let second = (b != 0).then(|| char::from_u32(b)).flatten();
            return ([char::from_u32(a), second], 1 + len + semicolon);
        }
    }
    NONE
}

/// The character a numeric reference stands for, as the HTML parser reads
/// it (windows-1252 for the C1 range, U+FFFD for what is no character).
fn numeric(value: u32) -> char {
    if (0x80..=0x9f).contains(&value) {
        let byte = [value as u8];
        let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        return text.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
    }
    match value {
        0 => char::REPLACEMENT_CHARACTER,
        v => char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

/// The contents of a JSON document's strings, escapes decoded (each
/// decoded character spans its escape's file bytes); a space stands
/// between strings.
fn json_strings(input: &[Located]) -> Vec<Located> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_string = false;
    let mut i = 0;
    while i < input.len() {
        let (c, start, end) = input[i];
        if !in_string {
            if c == '"' {
                in_string = true;
                out.push((' ', start, end));
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_string = false;
                i += 1;
            }
            '\\' => {
                let Some(&(e, _, e_end)) = input.get(i + 1) else {
                    break;
                };
                let simple = match e {
                    'n' => Some('\n'),
                    't' => Some('\t'),
                    'r' => Some('\r'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'u' => None,
                    other => Some(other),
                };
                if let Some(s) = simple {
                    out.push((s, start, e_end));
                    i += 2;
                    continue;
                }
                let hex = |k: usize| -> Option<u32> {
                    let digits: String = input.get(k..k + 4)?.iter().map(|l| l.0).collect();
                    u32::from_str_radix(&digits, 16).ok()
                };
                let Some(unit) = hex(i + 2) else {
                    i += 2;
                    continue;
                };
                let mut used = 6;
                let mut value = unit;
                if (0xD800..0xDC00).contains(&unit)
                    && input.get(i + 6).is_some_and(|l| l.0 == '\\')
                    && input.get(i + 7).is_some_and(|l| l.0 == 'u')
                {
                    if let Some(low) = hex(i + 8).filter(|l| (0xDC00..0xE000).contains(l)) {
                        value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        used = 12;
                    }
                }
                let end = input[(i + used - 1).min(input.len() - 1)].2;
                out.push((
                    char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER),
                    start,
                    end,
                ));
                i += used;
            }
            _ => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(file: &str, text: &str) -> SourceMap {
        Hay::new(file, &Transcoded::Same, Outer::Html).map(text)
    }

    fn slice<'a>(file: &'a str, map: &SourceMap, text: &str, word: &str) -> &'a str {
        let at = text.find(word).unwrap();
        &file[map.file_range(at..at + word.len()).unwrap()]
    }

    #[test]
    fn words_map_back_through_tags_entities_and_spaces() {
        let file = "<html><head><title>Bridge</title><script>var bridge=1;</script></head>\n<body><p>The  <b>bridge</b>\n reopened &amp; caf&eacute;s &#x263A; opened.</p>\n<p>Second</p></body></html>";
        let text = "The bridge reopened & caf\u{e9}s \u{263a} opened.\n\nSecond";
        let m = map(file, text);
        assert_eq!(slice(file, &m, text, "bridge"), "bridge");
        assert_eq!(slice(file, &m, text, "reopened"), "reopened");
        assert_eq!(slice(file, &m, text, "&"), "&amp;");
        assert_eq!(slice(file, &m, text, "caf\u{e9}s"), "caf&eacute;s");
        assert_eq!(slice(file, &m, text, "\u{263a}"), "&#x263A;");
        assert_eq!(slice(file, &m, text, "The bridge"), "The  <b>bridge");
        assert_eq!(slice(file, &m, text, "Second"), "Second");
        assert_eq!(m.line_of(0), Some(2));
        assert_eq!(m.line_of(text.find("reopened").unwrap()), Some(3));
        assert_eq!(m.line_of(text.find("Second").unwrap()), Some(4));
        assert_eq!(m.file_range(text.len()..text.len()), None);
    }

    #[test]
    fn soft_hyphens_the_text_dropped_are_skipped() {
        let file = "<p>Das Mit&shy;tel\u{ad}al&shy;ter</p>";
        let text = "Das Mittelalter";
        let m = map(file, text);
        assert_eq!(
            slice(file, &m, text, "Mittelalter"),
            "Mit&shy;tel\u{ad}al&shy;ter"
        );
    }

    #[test]
    fn transcoded_files_map_to_their_own_bytes() {
        let text = "T\u{fc}bingen am Neckar";
        let latin1 = b"T\xfcbingen am Neckar";
        let t = Transcoded::of(latin1, text, Charset::Declared("windows-1252"), false);
        let m = Hay::new(text, &t, Outer::Html).map(text);
        let at = text.find("Neckar").unwrap();
        assert_eq!(&latin1[m.file_range(at..at + 6).unwrap()], b"Neckar");
        assert_eq!(m.file_range(0..text.find(' ').unwrap()), Some(0..8));
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let t = Transcoded::of(&utf16, text, Charset::Bom("UTF-16LE"), false);
        let m = Hay::new(text, &t, Outer::Html).map(text);
        assert_eq!(m.file_range(at..at + 6), Some(2 + 2 * 12..2 + 2 * 18));
        let (gbk, _, _) = encoding_rs::GBK.encode("\u{5317}\u{4eac} ok");
        let text = "\u{5317}\u{4eac} ok";
        let t = Transcoded::of(&gbk, text, Charset::Detected("GBK"), false);
        let m = Hay::new(text, &t, Outer::Html).map(text);
        assert_eq!(m.file_range(3..6), Some(2..4));
        assert_eq!(m.file_range(7..9), Some(5..7));
    }

    #[test]
    fn feeds_map_through_escaped_and_cdata_html() {
        let file = "<rss><item><description>&lt;p&gt;Escaped &lt;em&gt;words&lt;/em&gt; here&lt;/p&gt;</description>\n<content><![CDATA[<p>Raw <b>html</b> too</p>]]></content></item></rss>";
        let mut hay = Hay::new(file, &Transcoded::Same, Outer::Xml);
        let text = "Escaped words here";
        let m = hay.map(text);
        assert_eq!(
            &file[m.file_range(0..text.len()).unwrap()],
            "Escaped &lt;em&gt;words&lt;/em&gt; here"
        );
        let text = "Raw html too";
        let m = hay.map(text);
        assert_eq!(
            &file[m.file_range(0..text.len()).unwrap()],
            "Raw <b>html</b> too"
        );
        assert_eq!(m.line_of(0), Some(2));
        let json = r#"{"items":[{"content_html":"<p>Caf\u00e9 \"quoted\"<\/p>"}]}"#;
        let text = "Caf\u{e9} \"quoted\"";
        let m = Hay::new(json, &Transcoded::Same, Outer::Json).map(text);
        assert_eq!(
            &json[m.file_range(0..text.len()).unwrap()],
            r#"Caf\u00e9 \"quoted\""#
        );
    }

    #[test]
    fn text_not_in_the_file_maps_to_nothing_and_nothing_panics() {
        let m = map("<p>abc</p>", "xyz");
        assert!(m.is_empty());
        assert_eq!(m.file_range(0..3), None);
        for file in [
            "<",
            "&",
            "&#",
            "&#x;",
            "<a href='>",
            "<!--",
            "<script>",
            "&#99999999999;",
        ] {
            let _ = map(file, "a").file_range(0..1);
        }
    }
}
