//! `lineage check`'s findings: as text for a person, as JSON Lines, or
//! through the CI renderers.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::human::{self, Style};
use crate::archive::baseline::Accepted;
use crate::archive::check::{DocCheck, Finding, Older};

/// What a run found, for the renderers.
#[derive(Debug, Clone, Copy)]
pub struct CheckRun<'a> {
    /// The index file.
    pub index: &'a Path,
    /// Documents in the index.
    pub archived: usize,
    /// One per checked document, in input order.
    pub checks: &'a [DocCheck],
    /// Accepted findings.
    pub baseline: &'a BTreeSet<Accepted>,
    /// Documents that could not be read.
    pub failed: usize,
    /// The finding threshold.
    pub threshold: f64,
}

impl CheckRun<'_> {
    /// Whether a finding is in the baseline.
    pub(crate) fn is_accepted(&self, f: &Finding) -> bool {
        self.baseline.contains(&Accepted::of(f))
    }

    /// Findings that fail the run.
    pub fn failing(&self) -> usize {
        self.checks
            .iter()
            .flat_map(|c| &c.findings)
            .filter(|f| !self.is_accepted(f))
            .count()
    }

    /// All findings.
    pub(crate) fn findings(&self) -> usize {
        self.checks.iter().map(|c| c.findings.len()).sum()
    }

    /// One line for the end of a run.
    pub fn summary(&self) -> String {
        let clean = self.checks.iter().filter(|c| c.findings.is_empty()).count();
        format!(
            "checked {} documents against {} archived in {}: {} findings ({} accepted in the baseline), {} clean{}",
            self.checks.len(),
            self.archived,
            self.index.display(),
            self.findings(),
            self.findings() - self.failing(),
            clean,
            if self.failed > 0 {
                format!(", {} inputs failed", self.failed)
            } else {
                String::new()
            }
        )
    }
}

/// A CI renderer of the library (`report::sarif::render` and the like).
pub(crate) type CiRenderer =
    fn(&[DocCheck], super::ci::IsAccepted<'_>, &super::ci::RunInfo<'_>) -> String;

/// `outcome` through one of the CI renderers ([`super::sarif::render`],
/// [`super::junit::render`], [`super::github::render`]).
pub fn render_ci(outcome: &CheckRun<'_>, render: CiRenderer) -> String {
    let index = outcome.index.display().to_string();
    let run = super::ci::RunInfo {
        tool_version: env!("CARGO_PKG_VERSION"),
        information_uri: Some(env!("CARGO_PKG_REPOSITORY")).filter(|u| !u.is_empty()),
        index: &index,
        archived: outcome.archived,
        threshold: outcome.threshold,
    };
    render(outcome.checks, &|f| outcome.is_accepted(f), &run)
}

/// What a reader should know about a finding besides its scores: which
/// document is taken as the copy and why, and when the other way round is
/// stronger.
pub(crate) fn notes(f: &Finding) -> Vec<String> {
    let mut notes = Vec::new();
    if !f.checked_is_derived {
        notes.push(format!(
            "the archived {} is dated after the checked {}, so it is taken as the copy",
            f.report.derived, f.report.source
        ));
    }
    if f.report.reverse_score > f.report.score {
        notes.push(format!(
            "{} holds {:.0}% of {} (reverse score {:.2})",
            f.report.derived,
            100.0 * f.report.reverse_coverage.max(f.report.reverse_containment),
            f.report.source,
            f.report.reverse_score
        ));
    }
    notes
}

/// The two documents' dates and which is older, in words.
pub(crate) fn dates(f: &Finding) -> String {
    let date = |m: &crate::source::Metadata| m.date.clone().unwrap_or_else(|| "-".into());
    format!(
        "{} (derived) / {} (source): {}",
        date(&f.derived_meta),
        date(&f.source_meta),
        match f.older {
            Older::Source => "the source is older",
            Older::Derived => "the derived text is older: the copy may run the other way",
            Older::Same => "same date",
            Older::Unknown => "unknown order",
        }
    )
}

/// The findings as text for a person, each with its passages side by side
/// when `passages`, then the summary line.
pub fn render_text(outcome: &CheckRun<'_>, style: Style, passages: bool) -> String {
    let mut out = String::new();
    for check in outcome.checks {
        for f in &check.findings {
            let tag = if outcome.is_accepted(f) {
                "accepted"
            } else {
                "FINDING"
            };
            out.push_str(&format!("{tag} {}\n", human::headline(&f.report)));
            for note in notes(f) {
                out.push_str(&format!("  note: {note}\n"));
            }
            out.push_str(&format!("  dates        {}\n", dates(f)));
            if let Some(title) = &f.source_meta.title {
                out.push_str(&format!("  source title {title}\n"));
            }
            out.push_str(&format!(
                "  coverage     {:.3} ({:.3} word for word), {} passages\n",
                f.report.coverage,
                f.report.verbatim_coverage,
                f.report.passages.len()
            ));
            if passages {
                out.push_str(&human::render_passages(
                    &f.report.passages,
                    &f.derived_text,
                    |_| Some(f.source_text.as_str()),
                    style,
                ));
            }
            out.push('\n');
        }
    }
    out.push_str(&outcome.summary());
    out.push('\n');
    out
}

#[derive(Serialize)]
/// A finding as one JSON record.
struct FindingLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    baselined: bool,
    #[serde(flatten)]
    finding: &'a Finding,
}

/// The findings as JSON Lines, one `finding` record each, then a `summary`
/// record.
pub fn render_json(outcome: &CheckRun<'_>) -> String {
    let mut out = String::new();
    for f in outcome.checks.iter().flat_map(|c| &c.findings) {
        // Passage ranges of pages and feed items in their files.
        let report =
            super::json::in_files(&f.report, f.derived_map.as_deref(), f.source_map.as_deref());
        let mapped;
        let f = match report {
            Cow::Borrowed(_) => f,
            Cow::Owned(report) => {
                mapped = Finding {
                    report,
                    ..f.clone()
                };
                &mapped
            }
        };
        out.push_str(&super::json::line(&FindingLine {
            kind: "finding",
            baselined: outcome.is_accepted(f),
            finding: f,
        }));
    }
    out.push_str(&super::json::tagged_line(
        "summary",
        &serde_json::json!({
            "index": outcome.index.display().to_string(),
            "archived": outcome.archived,
            "checked": outcome.checks.len(),
            "findings": outcome.findings(),
            "failing": outcome.failing(),
            "failed_inputs": outcome.failed,
            "threshold": outcome.threshold,
        }),
    ));
    out
}
