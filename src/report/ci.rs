//! What the CI renderers ([`sarif`](super::sarif), [`junit`](super::junit),
//! [`github`](super::github)) share: the run they describe and where a
//! finding points.
//!
//! In: the [`DocCheck`]s of a `lineage check` run, a predicate telling which
//! findings are accepted in the baseline, and a [`RunInfo`]. Out: a
//! [`Location`] per finding, in the checked document.
//!
//! A document id is mapped to a location this way:
//!
//! - `-` (standard input) becomes `stdin`;
//! - an id with a URL scheme (`https://...`, a feed item's link or guid) is
//!   kept as it is;
//! - an id ending in `:LINE` (the default id of a JSON Lines record,
//!   `FILE:LINE`) points at that line of FILE: the passage lines of such a
//!   record count lines inside its text, not in the file, so they are not
//!   used;
//! - anything else is a path: relative paths stay relative (code scanning
//!   resolves them against the repository root, so run `lineage check`
//!   from there), `\` becomes `/`, and the passage lines are lines of the
//!   file: for an HTML page (or a feed item), lines of the file as written,
//!   through the document's [`SourceMap`](crate::source::offsets::SourceMap),
//!   not of its extracted text.

use crate::archive::check::{DocCheck, Finding};
use crate::compare::score::Verdict;

/// What the renderers say about the run besides its findings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunInfo<'a> {
    /// The `lineage` version that ran (the binary passes its
    /// `CARGO_PKG_VERSION`).
    pub(crate) tool_version: &'a str,
    /// Where to read about the tool (a URL); `None` leaves it out.
    pub(crate) information_uri: Option<&'a str>,
    /// The index the documents were checked against, as given.
    pub(crate) index: &'a str,
    /// Documents in the index.
    pub(crate) archived: usize,
    /// The finding threshold.
    pub(crate) threshold: f64,
}

/// Whether a finding is accepted in the baseline (reported, not failing).
pub(crate) type IsAccepted<'a> = &'a dyn Fn(&Finding) -> bool;

/// Where a finding points in the checked document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// The document as a path or URL, unencoded (`stdin` for `-`).
    pub(crate) path: String,
    /// Whether `path` is a URL rather than a file path.
    pub(crate) is_url: bool,
    /// 1-based first line, when known.
    pub(crate) start_line: Option<usize>,
    /// 1-based last line, when known.
    pub(crate) end_line: Option<usize>,
    /// The checked document's text of the first passage, shortened.
    pub(crate) snippet: Option<String>,
}

/// Whether `id` starts with a URL scheme (`scheme://`).
pub(crate) fn is_url(id: &str) -> bool {
    match id.split_once("://") {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        }
        None => false,
    }
}

/// Splits a JSON Lines default id `FILE:LINE`.
fn record_line(id: &str) -> Option<(&str, usize)> {
    let (file, line) = id.rsplit_once(':')?;
    if file.is_empty() || line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((file, line.parse().ok()?))
}

/// 1-based line of byte `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..at.min(text.len())]).count()
}

/// Where `finding`, reported under the checked document `id`, points: the
/// document's first passage.
pub(crate) fn location(id: &str, finding: &Finding) -> Location {
    let checked_is_derived = finding.checked_is_derived;
    let first = finding.report.passages.first();
    // The checked document is DERIVED unless the archived one was found to
    // be the copy; the passage lines are in the checked document's text.
    let lines = first.map(|p| {
        let (text, map, range) = if checked_is_derived {
            (
                &finding.derived_text,
                &finding.derived_map,
                p.derived.clone(),
            )
        } else {
            (&finding.source_text, &finding.source_map, p.source.range())
        };
        // A page or feed item: lines of the file as written.
        map.as_ref()
            .and_then(|m| m.lines(range.clone()))
            .unwrap_or_else(|| {
                (
                    line_of(text, range.start),
                    line_of(text, range.end.saturating_sub(1).max(range.start)),
                )
            })
    });
    let snippet = finding.excerpts.first().map(|e| {
        if checked_is_derived {
            e.derived.clone()
        } else {
            e.source.clone()
        }
    });
    if id == "-" {
        return Location {
            path: "stdin".into(),
            is_url: false,
            start_line: lines.map(|l| l.0),
            end_line: lines.map(|l| l.1),
            snippet,
        };
    }
    if is_url(id) {
        return Location {
            path: id.into(),
            is_url: true,
            start_line: None,
            end_line: None,
            snippet,
        };
    }
    if let Some((file, line)) = record_line(id) {
        return Location {
            path: file.replace('\\', "/"),
            is_url: false,
            start_line: Some(line),
            end_line: Some(line),
            snippet,
        };
    }
    Location {
        path: id.replace('\\', "/"),
        is_url: false,
        start_line: lines.map(|l| l.0),
        end_line: lines.map(|l| l.1),
        snippet,
    }
}

/// The id of the other document of a finding (the archived one, or the
/// other input with `within`).
pub(crate) fn other_id(finding: &Finding) -> &str {
    if finding.checked_is_derived {
        &finding.report.source
    } else {
        &finding.report.derived
    }
}

/// The stable rule id of a verdict (`lineage/near-duplicate`).
pub(crate) fn rule_id(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Duplicate => "lineage/duplicate",
        Verdict::NearDuplicate => "lineage/near-duplicate",
        Verdict::Derived => "lineage/derived",
        Verdict::Summary => "lineage/summary",
        Verdict::Partial => "lineage/partial",
        Verdict::Unrelated => "lineage/contained",
    }
}

/// Findings of `check` that fail the run.
pub(crate) fn failing<'a>(
    check: &'a DocCheck,
    is_accepted: IsAccepted<'a>,
) -> impl Iterator<Item = &'a Finding> + 'a {
    check.findings.iter().filter(move |f| !is_accepted(f))
}

/// Findings of `check` accepted in the baseline.
pub(crate) fn accepted<'a>(
    check: &'a DocCheck,
    is_accepted: IsAccepted<'a>,
) -> impl Iterator<Item = &'a Finding> + 'a {
    check.findings.iter().filter(move |f| is_accepted(f))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::archive::check::{Excerpt, Older, SourceKind};
    use crate::compare::align::{Passage, PassageKind, SourceSpan};
    use crate::compare::score::{Direction, Overlap};
    use crate::compare::Config;
    use crate::compare::PairReport;
    use crate::source::Metadata;

    /// The run info of the renderers' tests, with `index` as the index.
    pub(crate) fn info(index: &'static str) -> RunInfo<'static> {
        RunInfo {
            tool_version: "0.1.0",
            information_uri: None,
            index,
            archived: 3,
            threshold: 0.1,
        }
    }

    /// A finding of `derived` (checked) taking lines 2-3 from `source`.
    pub(crate) fn finding(derived: &str, source: &str, verdict: Verdict) -> Finding {
        let derived_text = "intro\ncopied words here\nand here\n".to_string();
        let start = derived_text.find("copied").unwrap();
        let end = derived_text.find("here\n").unwrap() + "here\nand here".len();
        let report = PairReport {
            derived: derived.into(),
            source: source.into(),
            score: 0.5,
            verdict,
            finding: true,
            direction: Direction::DerivedFromSource,
            reverse_score: 0.25,
            jaccard: 0.2,
            jaccard_estimate: 0.2,
            containment: 0.5,
            reverse_containment: 0.25,
            content_containment: 0.5,
            content_reverse_containment: 0.25,
            derived_tokens: 6,
            source_tokens: 12,
            derived_bytes: derived_text.len(),
            source_bytes: 40,
            raw: Overlap::of(&[], &[]),
            content: Overlap::of(&[], &[]),
            coverage: 0.75,
            verbatim_coverage: 0.5,
            reverse_coverage: 0.3,
            aligned_score: 0.6,
            reverse_aligned_score: 0.3,
            condensation: 0.5,
            reverse_condensation: 0.2,
            passages: vec![Passage {
                derived: start..end,
                source: SourceSpan {
                    start: 0,
                    end: 10,
                    path: source.into(),
                },
                similarity: 1.0,
                verbatim: 1.0,
                content: 1.0,
                kind: PassageKind::Verbatim,
                draws_on: Vec::new(),
            }],
            params: Config::default(),
            warnings: Vec::new(),
        };
        Finding {
            report,
            checked_is_derived: true,
            source_kind: SourceKind::Archive,
            derived_meta: Metadata::default(),
            source_meta: Metadata {
                title: Some("The <Source> & \"Co\"".into()),
                url: Some("https://example.org/a?b=1&c=2".into()),
                date: None,
            },
            older: Older::Unknown,
            estimated_containment: 0.5,
            estimated_word_share: 0.0,
            distinctive_containment: 0.4,
            excerpts: vec![Excerpt {
                derived: "copied words here and here".into(),
                source: "the source".into(),
                derived_line: 2,
                derived_end_line: 3,
            }],
            derived_text,
            source_text: "the source text, forty bytes of it here.".into(),
            derived_map: None,
            source_map: None,
        }
    }

    /// A checked document with these findings.
    pub fn check(id: &str, findings: Vec<Finding>) -> DocCheck {
        DocCheck {
            id: id.into(),
            meta: Metadata::default(),
            candidates: findings.len(),
            findings,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_path_points_at_the_first_passage_lines() {
        let f = finding("docs/new post.txt", "old.txt", Verdict::Derived);
        let loc = location("docs/new post.txt", &f);
        assert_eq!(loc.path, "docs/new post.txt");
        assert_eq!((loc.start_line, loc.end_line), (Some(2), Some(3)));
        assert!(!loc.is_url);
    }

    #[test]
    fn urls_records_and_stdin_map_as_documented() {
        let f = finding("x", "old.txt", Verdict::Derived);
        let url = location("https://example.org/item/1", &f);
        assert!(url.is_url);
        assert_eq!(url.start_line, None);
        let record = location("feeds\\items.jsonl:17", &f);
        assert_eq!(record.path, "feeds/items.jsonl");
        assert_eq!((record.start_line, record.end_line), (Some(17), Some(17)));
        assert_eq!(location("-", &f).path, "stdin");
        assert!(!is_url("C:/x"));
        assert!(!is_url("a b://x"));
    }

    #[test]
    fn a_checked_source_points_at_its_own_passage() {
        let mut f = finding("archived", "checked", Verdict::Derived);
        f.checked_is_derived = false;
        f.source_text = "line one\nline two\n".into();
        f.report.passages[0].source = SourceSpan {
            start: 9,
            end: 17,
            path: "checked".into(),
        };
        let loc = location("checked", &f);
        assert_eq!((loc.start_line, loc.end_line), (Some(2), Some(2)));
        assert_eq!(loc.snippet.as_deref(), Some("the source"));
    }
}
