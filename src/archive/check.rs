//! Checking new documents against an archive index: retrieval, then the
//! exact verification every reported pair goes through.
//!
//! In: an [`Archive`] and documents. Out: one [`DocCheck`] per document, with
//! its [`Finding`]s: pairs at or above the threshold, scored and aligned by
//! [`compare::compare`](crate::compare::compare) exactly as `lineage
//! score` would, with the publish dates telling which is older where both
//! are known.
//!
//! Each document is fingerprinted once; the index proposes the archived
//! documents that hold the most of its content shingles
//! (`candidates`) and, for an index with words, those holding most
//! of its rare words (`word_candidates`: a one-sentence summary
//! shares few 2-grams with its article); each candidate's stored text (or, for an index
//! built without texts, the file its id names) is fingerprinted and
//! compared. The archive is presumed older: the checked document is DERIVED
//! unless both dates say otherwise, and the pair is a finding when either
//! one-way score reaches the threshold (the new text takes enough from the
//! archived one, or holds enough of it). Findings with no word-for-word
//! passage (reworded or condensed only) are kept for one source alone, the
//! one holding most of the checked text's rare words, and only when no
//! other candidate holds nearly as much ([`AMBIGUOUS_SHARE`]): word overlap
//! cannot tell two archived articles on one story apart.
//! With `within`, the documents of one run are also checked against each
//! other.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::archive::disk::Archive;
use crate::archive::index::{entry_of, Entry, Index, IndexParams};
use crate::archive::retrieve::{
    candidates, word_candidates, Candidate, RetrievalOptions, Searchable,
};
use crate::compare::score::Verdict;
use crate::compare::PairReport;
use crate::compare::{compare, Config, Fingerprint};
use crate::error::{Error, Result};
use crate::source::offsets::SourceMap;
use crate::source::{Document, Metadata};

/// The default finding threshold of `check`: lower than `score`'s, because
/// an archive check wants heavy rewrites too and retrieval has already
/// required distinctive shared wording. On Clough & Stevenson, answers
/// written without the source score at most 0.03 against it (one at 0.17)
/// and heavy revisions at least 0.118.
pub const DEFAULT_THRESHOLD: f64 = 0.1;

/// How to check.
///
/// # Examples
///
/// ```
/// use lineage::archive::check::DEFAULT_THRESHOLD;
/// use lineage::{CheckOptions, Config};
///
/// let options = CheckOptions { within: true, ..CheckOptions::default() };
/// assert_eq!(options.config.threshold, DEFAULT_THRESHOLD);
/// assert!(options.config.threshold < Config::default().threshold);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CheckOptions {
    /// Scoring parameters and the finding threshold. Its shingle
    /// parameters must be the index's.
    pub config: Config,
    /// How many candidates to verify per document.
    pub retrieval: RetrievalOptions,
    /// Also check the documents against each other.
    pub within: bool,
}

impl Default for CheckOptions {
    /// `lineage check`'s defaults: a finding from [`DEFAULT_THRESHOLD`]
    /// (not the pair threshold of [`Config::default`]).
    fn default() -> Self {
        CheckOptions {
            config: Config {
                threshold: DEFAULT_THRESHOLD,
                ..Config::default()
            },
            retrieval: RetrievalOptions::default(),
            within: false,
        }
    }
}

/// Which of the two documents of a finding was published first, by the
/// dates the inputs give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Older {
    /// DERIVED's date is earlier than SOURCE's: the dates contradict the
    /// scores, worth a look.
    Derived,
    /// SOURCE's date is earlier: consistent with copying.
    Source,
    /// The same date.
    Same,
    /// At least one date is missing.
    Unknown,
}

impl Older {
    /// Compares two dates as given (RFC 3339 and ISO 8601 dates in the
    /// same time zone order correctly as strings).
    pub fn of(derived: Option<&str>, source: Option<&str>) -> Older {
        match (derived, source) {
            (Some(d), Some(s)) => match d.cmp(s) {
                std::cmp::Ordering::Less => Older::Derived,
                std::cmp::Ordering::Greater => Older::Source,
                std::cmp::Ordering::Equal => Older::Same,
            },
            _ => Older::Unknown,
        }
    }
}

/// Where the SOURCE of a finding lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// In the archive index.
    Archive,
    /// Among the documents checked in the same run (`within`).
    Input,
}

/// A passage of a finding as text, shortened for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excerpt {
    /// The passage in DERIVED.
    pub derived: String,
    /// The passage in SOURCE.
    pub source: String,
    /// 1-based line of the passage's start in DERIVED's text (in its
    /// file, for a page or feed item read from one).
    pub derived_line: usize,
    /// 1-based line of the passage's end, likewise.
    pub derived_end_line: usize,
}

/// One pair at or above the threshold, verified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The full pair report: DERIVED is the document that takes text.
    #[serde(flatten)]
    pub report: PairReport,
    /// Whether DERIVED is the document being checked (false: the archived
    /// document is the one inside the checked one).
    pub checked_is_derived: bool,
    /// Where SOURCE comes from.
    pub source_kind: SourceKind,
    /// DERIVED's title, link and date.
    pub derived_meta: Metadata,
    /// SOURCE's title, link and date.
    pub source_meta: Metadata,
    /// Which was published first.
    pub older: Older,
    /// The index's containment estimate that made it a candidate.
    pub estimated_containment: f64,
    /// The part of it made of distinctive content shingles.
    pub distinctive_containment: f64,
    /// The index's estimate of the share of DERIVED's rare words found in
    /// SOURCE, when the candidate was found by words (0 when not).
    pub estimated_word_share: f64,
    /// The passages as text.
    pub excerpts: Vec<Excerpt>,
    /// DERIVED's text, for renderers that show passages in full.
    #[serde(skip)]
    pub derived_text: String,
    /// SOURCE's text.
    #[serde(skip)]
    pub source_text: String,
    /// Where DERIVED's text is in its file (an HTML page, a feed item).
    #[serde(skip)]
    pub derived_map: Option<std::sync::Arc<SourceMap>>,
    /// Where SOURCE's text is in its file.
    #[serde(skip)]
    pub source_map: Option<std::sync::Arc<SourceMap>>,
}

/// The outcome for one checked document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocCheck {
    /// The document's id.
    pub id: String,
    /// Its title, link and date.
    pub meta: Metadata,
    /// Candidates verified.
    pub candidates: usize,
    /// Findings, best score first.
    pub findings: Vec<Finding>,
    /// Non-fatal problems (a candidate whose text is not available).
    pub warnings: Vec<String>,
}

impl DocCheck {
    /// Whether any finding is at or above the threshold.
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// The shingle configuration an index implies for scoring.
pub fn config_for(index: &IndexParams, base: Config) -> Config {
    Config {
        shingle: index.shingle,
        ..base
    }
}

const EXCERPT_CHARS: usize = 300;

fn excerpt(text: &str, range: std::ops::Range<usize>) -> String {
    let s = text.get(range).unwrap_or("");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s,
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..byte.min(text.len())]).count()
}

fn finding(
    report: PairReport,
    derived: &Document,
    source: &Document,
    checked_is_derived: bool,
    source_kind: SourceKind,
    candidate: &Candidate,
) -> Finding {
    let excerpts = report
        .passages
        .iter()
        .map(|p| {
            let (derived_line, derived_end_line) = derived
                .source_map
                .as_ref()
                .and_then(|m| m.lines(p.derived.clone()))
                .unwrap_or_else(|| {
                    (
                        line_of(&derived.text, p.derived.start),
                        line_of(&derived.text, p.derived.end.saturating_sub(1)),
                    )
                });
            Excerpt {
                derived: excerpt(&derived.text, p.derived.clone()),
                source: excerpt(&source.text, p.source.range()),
                derived_line,
                derived_end_line,
            }
        })
        .collect();
    Finding {
        older: Older::of(derived.meta.date.as_deref(), source.meta.date.as_deref()),
        derived_meta: derived.meta.clone(),
        source_meta: source.meta.clone(),
        checked_is_derived,
        source_kind,
        estimated_containment: candidate.containment,
        distinctive_containment: candidate.distinctive,
        estimated_word_share: candidate.word_share,
        excerpts,
        report,
        derived_text: derived.text.clone(),
        source_text: source.text.clone(),
        derived_map: derived.source_map.clone(),
        source_map: source.source_map.clone(),
    }
}

/// Verifies an archived candidate. The archive is presumed to hold the
/// older text: the checked document is DERIVED unless the dates say the
/// archived one is newer. A pair is a finding when either one-way score
/// reaches the threshold: the checked text takes enough from the archived
/// one, or holds enough of it (a short archived item quoted whole in a
/// long new one).
fn verify_archived(
    checked: &Fingerprint<'_>,
    archived: &Document,
    candidate: &Candidate,
    config: &Config,
) -> Result<(Option<Finding>, f64)> {
    let theirs = Fingerprint::new(archived, config)?;
    let newer_archive = Older::of(
        checked.doc.meta.date.as_deref(),
        archived.meta.date.as_deref(),
    ) == Older::Derived;
    let (derived, source) = if newer_archive {
        (&theirs, checked)
    } else {
        (checked, &theirs)
    };
    let mut report = compare(derived, source, config)?;
    let share = if newer_archive {
        report.reverse_condensation
    } else {
        report.condensation
    };
    let t = &config.thresholds;
    let evidence = t
        .evidence(report.score, report.aligned_score)
        .max(t.evidence(report.reverse_score, report.reverse_aligned_score));
    if evidence < config.threshold {
        return Ok((None, share));
    }
    // The orientation is known, so the verdict follows the one-way score
    // even when the other way is stronger (a text copied whole and
    // extended).
    report.verdict = t.verdict(
        report.score,
        report.reverse_score,
        report.jaccard,
        report.aligned_score,
    );
    if report.verdict == Verdict::Partial && report.score >= t.derived {
        report.verdict = if report.aligned_score >= t.derived {
            Verdict::Derived
        } else {
            Verdict::Summary
        };
    }
    report.finding = true;
    let found = finding(
        report,
        derived.doc,
        source.doc,
        !newer_archive,
        SourceKind::Archive,
        candidate,
    );
    Ok((Some(found), share))
}

/// Verifies a pair of checked documents: the scores say which is derived.
fn verify_input(
    checked: &Fingerprint<'_>,
    other: &Fingerprint<'_>,
    candidate: &Candidate,
    config: &Config,
) -> Result<(Option<Finding>, f64)> {
    let report = compare(checked, other, config)?;
    let share = report.condensation;
    let found = report.finding.then(|| {
        finding(
            report,
            checked.doc,
            other.doc,
            true,
            SourceKind::Input,
            candidate,
        )
    });
    Ok((found, share))
}

/// A verified candidate of a checked document: the other document's id,
/// the condensation share of the checked text in it (the rarity-weighted
/// share of the checked text's content words the other holds, see
/// [`crate::compare::condense`]) and the hash of the other's text.
type Verified = (String, f64, u64);

/// A checked document's findings before [`finish`], with its verified
/// candidates.
type Unpruned = (DocCheck, Vec<Verified>);

/// What checking a document against the others of its run adds: candidates
/// verified, findings, and the verified candidates.
type WithinRun = (usize, Vec<Finding>, Vec<Verified>);

/// The share of the checked text's rare words held by the other document of
/// a finding.
fn checked_share(f: &Finding) -> f64 {
    if f.checked_is_derived {
        f.report.condensation
    } else {
        f.report.reverse_condensation
    }
}

/// The id of the other document of a finding (not the checked one).
fn other_id(f: &Finding) -> &str {
    if f.checked_is_derived {
        &f.report.source
    } else {
        &f.report.derived
    }
}

/// A checked text whose words a runner-up holds more than this share of
/// what the best holds is ambiguous by words alone: see
/// `keep_best_summary`.
pub const AMBIGUOUS_SHARE: f64 = 0.82;

/// Findings without a word-for-word passage (reworded or condensed evidence
/// only) rest on shared words, and word overlap cannot tell two archived
/// articles on one story apart. Of those, a checked document keeps one:
/// the finding whose other document holds the largest share of its rare
/// words (a summary is of one article), and only when no other verified
/// candidate holds more than [`AMBIGUOUS_SHARE`] of that share (otherwise
/// the words fit two archived texts about equally, and naming either would
/// be a guess; an exact copy of the best text is no rival). Findings with a
/// verbatim passage are always kept.
///
/// Set on the `dev` split (`scripts/summaries_check.py --split dev`, the
/// articles of the split plus 19,043 Reuters bodies): keeping the best by
/// score, 96.6% of findings named the summary's own article; keeping the
/// best by share, 97.4%; with the margin, 99.2% (the margin that keeps at
/// least 99% and loses the fewest summaries: 0.8 gives 99.4%, 0.85 98.8%,
/// 0.9 98.9%), while the share of summaries found against their own
/// article fell from 66.0% to 65.1% (pairwise findings: 65.4%).
fn keep_best_summary(findings: &mut Vec<Finding>, verified: &[Verified]) {
    let weak = |f: &Finding| {
        !f.report
            .passages
            .iter()
            .any(|p| p.kind == crate::compare::align::PassageKind::Verbatim)
    };
    let Some(best) = findings.iter().filter(|f| weak(f)).max_by(|a, b| {
        checked_share(a)
            .total_cmp(&checked_share(b))
            .then(a.report.score.total_cmp(&b.report.score))
            .then_with(|| other_id(b).cmp(other_id(a)))
    }) else {
        return;
    };
    let (id, share) = (other_id(best).to_string(), checked_share(best));
    // A copy of the best text is no rival: either names the same text.
    let hash = verified.iter().find(|v| v.0 == id).map(|v| v.2);
    let ambiguous = verified
        .iter()
        .any(|v| v.0 != id && Some(v.2) != hash && v.1 > AMBIGUOUS_SHARE * share);
    let mut kept = false;
    findings.retain(|f| {
        if !weak(f) {
            return true;
        }
        let keep = !ambiguous && !kept && other_id(f) == id && checked_share(f) >= share;
        kept |= keep;
        keep
    });
}

fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.report
            .score
            .total_cmp(&a.report.score)
            .then_with(|| a.report.source.cmp(&b.report.source))
            .then_with(|| a.report.derived.cmp(&b.report.derived))
    });
}

/// Checks one document against the archive.
pub fn check_document(
    doc: &Document,
    archive: &Archive,
    options: &CheckOptions,
) -> Result<DocCheck> {
    let config = config_for(archive.params(), options.config);
    let (mut out, verified) =
        check_fingerprint(&Fingerprint::new(doc, &config)?, archive, &config, options)?;
    finish(&mut out, &verified);
    Ok(out)
}

/// Keeps the findings [`keep_best_summary`] keeps, best first.
fn finish(out: &mut DocCheck, verified: &[Verified]) {
    keep_best_summary(&mut out.findings, verified);
    sort_findings(&mut out.findings);
}

/// [`check_document`] of a document already fingerprinted with `config`,
/// before [`finish`]: every finding, and every verified candidate.
fn check_fingerprint(
    fp: &Fingerprint<'_>,
    archive: &Archive,
    config: &Config,
    options: &CheckOptions,
) -> Result<Unpruned> {
    let doc = fp.doc;
    let query = archive.params().keep(&fp.content_set);
    let candidates = with_word_candidates(
        candidates(archive, &query, &options.retrieval, None)?,
        archive,
        fp,
        config,
        &options.retrieval,
        None,
    )?;
    let mut out = DocCheck {
        id: doc.id.clone(),
        meta: doc.meta.clone(),
        candidates: candidates.len(),
        findings: Vec::new(),
        warnings: Vec::new(),
    };
    let mut verified = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let archived = archive.record(c.doc)?;
        let other = match archived.document(archive.file_of(c.doc))? {
            Some(d) => d,
            // An index without texts names the files: a check that cannot
            // read one, or reads another text than was indexed, has not
            // verified the item, and says so rather than pass it.
            None => match crate::source::read_document(Path::new(&archived.id)) {
                Ok(mut d) if xxh3_64(d.text.as_bytes()) == archived.text_hash => {
                    d.meta = archived.meta.clone();
                    d
                }
                Ok(_) => {
                    return Err(Error::Unverified {
                        archived: archived.id.clone(),
                        message: "the file changed since it was indexed (re-add it with lineage index add)"
                            .into(),
                    })
                }
                Err(e) => {
                    return Err(Error::Unverified {
                        archived: archived.id.clone(),
                        message: format!(
                            "the index stores no texts and {e} (run check where the index was built, or rebuild the index without --no-text)"
                        ),
                    })
                }
            },
        };
        let (found, share) = verify_archived(fp, &other, c, config)?;
        verified.push((other.id.clone(), share, xxh3_64(other.text.as_bytes())));
        out.findings.extend(found);
    }
    Ok((out, verified))
}

/// `found` (by content 2-grams) followed by the documents found by words
/// that are not among them: a one-sentence summary shares few 2-grams with
/// its article but most of its rare words. Each word weighs as
/// condensation weighs it ([`crate::compare::condense`]): its rarity in English to
/// the power [`CondenseParams::rarity_power`](crate::compare::condense::CondenseParams),
/// or 1 for a text the rarity table does not cover.
fn with_word_candidates<S: Searchable>(
    mut found: Vec<Candidate>,
    index: &S,
    fp: &Fingerprint<'_>,
    config: &Config,
    retrieval: &RetrievalOptions,
    exclude: Option<u32>,
) -> Result<Vec<Candidate>> {
    if !index.params().words {
        return Ok(found);
    }
    let table = config.rarity.get();
    let covered = table.covers(&crate::compare::condense::word_terms(fp));
    let mut terms = fp.content_terms.clone();
    terms.sort_unstable();
    terms.dedup();
    let mut query: Vec<(u64, f64)> = terms
        .iter()
        .map(|&t| {
            let w = if covered {
                crate::compare::condense::background_weight(table, t, config.condense.rarity_power)
            } else {
                1.0
            };
            (t, w)
        })
        .collect();
    query.sort_unstable_by_key(|&(k, _)| k);
    query.dedup_by_key(|&mut (k, _)| k);
    for (doc, share) in word_candidates(index, &query, retrieval, exclude)? {
        match found.iter_mut().find(|c| c.doc == doc) {
            Some(c) => c.word_share = share,
            None => found.push(Candidate {
                doc,
                shared: 0,
                containment: 0.0,
                rare: 0,
                distinctive: 0.0,
                word_share: share,
            }),
        }
    }
    Ok(found)
}

/// Checks every document against the index (in parallel; the results come
/// back in input order whatever the number of threads), and with
/// `options.within` against each other: a pair of checked documents is
/// reported once, under the document that takes the text (for mutual
/// copies, the later one by date, else by input order). Each document is
/// fingerprinted once for both.
pub fn check_documents(
    docs: &[Document],
    archive: &Archive,
    options: &CheckOptions,
) -> Vec<Result<DocCheck>> {
    let config = config_for(archive.params(), options.config);
    let fps: Vec<Fingerprint<'_>> = match docs
        .par_iter()
        .map(|d| Fingerprint::new(d, &config))
        .collect::<Result<_>>()
    {
        Ok(fps) => fps,
        Err(e) => return vec![Err(e)],
    };
    let mut results: Vec<Result<Unpruned>> = fps
        .par_iter()
        .map(|fp| check_fingerprint(fp, archive, &config, options))
        .collect();
    let done = |results: Vec<Result<Unpruned>>| {
        results
            .into_iter()
            .map(|r| {
                r.map(|(mut out, verified)| {
                    finish(&mut out, &verified);
                    out
                })
            })
            .collect()
    };
    if !options.within || docs.len() < 2 {
        return done(results);
    }
    let params = IndexParams {
        store_text: false,
        ..*archive.params()
    };
    let mut run = match Index::new(params) {
        Ok(run) => run,
        Err(e) => return vec![Err(e)],
    };
    // Ids may repeat across inputs; index positions, not ids, identify
    // documents here.
    let entries: Vec<Entry> = fps
        .iter()
        .enumerate()
        .map(|(i, fp)| {
            let mut e = entry_of(
                fp.doc,
                fp.tokens.tokens.len(),
                &fp.content_set,
                &fp.content_terms,
                &params,
            );
            e.doc.id = i.to_string();
            e
        })
        .collect();
    let queries: Vec<Vec<u64>> = entries.iter().map(|e| e.hashes.clone()).collect();
    run.add(entries);
    let within: Vec<Result<WithinRun>> = fps
        .par_iter()
        .enumerate()
        .map(|(i, fp)| {
            let mut found = Vec::new();
            let mut verified = Vec::new();
            let candidates = with_word_candidates(
                candidates(&run, &queries[i], &options.retrieval, Some(i as u32))?,
                &run,
                fp,
                &config,
                &options.retrieval,
                Some(i as u32),
            )?;
            for c in &candidates {
                let j = c.doc as usize;
                let (f, share) = verify_input(fp, &fps[j], c, &config)?;
                verified.push((
                    fps[j].doc.id.clone(),
                    share,
                    xxh3_64(fps[j].doc.text.as_bytes()),
                ));
                let Some(f) = f else {
                    continue;
                };
                // Keep each pair once: under the document that takes text.
                let mutual = f.report.direction == crate::compare::score::Direction::Mutual;
                let later =
                    match Older::of(docs[i].meta.date.as_deref(), docs[j].meta.date.as_deref()) {
                        Older::Source => true,
                        Older::Derived => false,
                        Older::Same | Older::Unknown => i > j,
                    };
                if f.checked_is_derived && (!mutual || later) {
                    found.push(f);
                }
            }
            Ok((candidates.len(), found, verified))
        })
        .collect();
    for (result, extra) in results.iter_mut().zip(within) {
        match (result, extra) {
            (Ok((check, verified)), Ok((candidates, extra, more))) => {
                check.candidates += candidates;
                check.findings.extend(extra);
                verified.extend(more);
            }
            (result @ Ok(_), Err(e)) => *result = Err(e),
            (Err(_), _) => {}
        }
    }
    done(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::index::{entry, IndexParams};

    const ORIGINAL: &str = include_str!("../../samples/original.txt");
    const REWRITE: &str = include_str!("../../samples/rewrite.txt");
    const GRAIN: &str = include_str!("../../samples/reuters-grain.txt");
    const CRUDE: &str = include_str!("../../samples/reuters-crude.txt");

    fn archive() -> Archive {
        let params = IndexParams::default();
        let mut index = Index::new(params).unwrap();
        index.add(
            [("original", ORIGINAL), ("grain", GRAIN)]
                .iter()
                .map(|(id, t)| entry(&Document::new(*id, *t), &params))
                .collect(),
        );
        Archive::in_memory(index, Path::new("x"))
    }

    fn options(within: bool) -> CheckOptions {
        CheckOptions {
            config: Config::default(),
            retrieval: RetrievalOptions::default(),
            within,
        }
    }

    #[test]
    fn rewrite_is_found_with_passages_and_unrelated_is_not() {
        let index = archive();
        let docs = [
            Document::new("rewrite", REWRITE),
            Document::new("crude", CRUDE),
        ];
        let results = check_documents(&docs, &index, &options(false));
        let rewrite = results[0].as_ref().unwrap();
        assert_eq!(rewrite.findings.len(), 1);
        let f = &rewrite.findings[0];
        assert_eq!(
            (f.report.derived.as_str(), f.report.source.as_str()),
            ("rewrite", "original")
        );
        assert!(f.checked_is_derived);
        assert!(!f.excerpts.is_empty());
        assert!(results[1].as_ref().unwrap().findings.is_empty());
    }

    /// A one-sentence summary of `ORIGINAL` in other words (as in
    /// tests/summaries.rs).
    const SUMMARY: &str = "Washington denied offering Nicolas Maduro amnesty to leave office, \
        as Blinken said the evidence showed Edmundo Gonzalez won Venezuela's election.";

    fn archive_of(docs: &[(&str, &str)]) -> Archive {
        let params = IndexParams::default();
        let mut index = Index::new(params).unwrap();
        index.add(
            docs.iter()
                .map(|(id, t)| entry(&Document::new(*id, *t), &params))
                .collect(),
        );
        Archive::in_memory(index, Path::new("x"))
    }

    fn sources_of(archive: &Archive) -> Vec<String> {
        let docs = [Document::new("summary", SUMMARY)];
        let results = check_documents(&docs, archive, &options(false));
        results[0]
            .as_ref()
            .unwrap()
            .findings
            .iter()
            .map(|f| f.report.source.clone())
            .collect()
    }

    #[test]
    fn a_summary_is_named_against_one_text_and_only_when_words_tell() {
        // Found alone, and once when the archive holds its article twice.
        assert_eq!(
            sources_of(&archive_of(&[("original", ORIGINAL), ("grain", GRAIN)])),
            ["original"]
        );
        assert_eq!(
            sources_of(&archive_of(&[("original", ORIGINAL), ("copy", ORIGINAL)])),
            ["copy"]
        );
        // Two different texts holding its words alike: naming either
        // would be a guess.
        let (head, tail) = ORIGINAL.split_at(ORIGINAL.len() / 2);
        let both = format!("{tail}\n\n{head}");
        assert_eq!(
            sources_of(&archive_of(&[("original", ORIGINAL), ("other", &both)])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn within_reports_a_pair_once_under_the_copy() {
        let index = archive();
        let mut copy = Document::new("copy", GRAIN);
        copy.meta.date = Some("2026-02-01".into());
        let mut first = Document::new("first", GRAIN);
        first.meta.date = Some("2026-01-01".into());
        let docs = [copy, Document::new("crude", CRUDE), first];
        let empty = Archive::in_memory(Index::new(*index.params()).unwrap(), Path::new("x"));
        let results = check_documents(&docs, &empty, &options(true));
        let counts: Vec<usize> = results
            .iter()
            .map(|r| r.as_ref().unwrap().findings.len())
            .collect();
        assert_eq!(counts, [1, 0, 0]);
        let f = &results[0].as_ref().unwrap().findings[0];
        assert_eq!(f.report.source, "first");
        assert_eq!(f.older, Older::Source);
        assert_eq!(f.source_kind, SourceKind::Input);
    }
}
