//! JUnit XML rendering of a `lineage check` run, for CI test reports
//! (GitLab, Jenkins, Azure Pipelines and the like).
//!
//! In: the [`DocCheck`]s, which findings are accepted, and a `RunInfo`.
//! Out: one `<testsuites>` document holding one `<testsuite name="lineage
//! check">` with one `<testcase classname="lineage.check" name=ID>` per
//! checked document. A document with failing findings has one `<failure>`:
//! its message is the first finding's headline, its body every failing
//! finding with its passages. Findings accepted in the baseline do not
//! fail; they are listed in the test case's `<system-out>`.
//!
//! XML is escaped here: `&<>"'` become entities, line breaks in attributes
//! become character references, and characters XML 1.0 does not allow
//! (controls other than tab and line breaks, lone surrogates cannot occur
//! in a `String`, U+FFFE and U+FFFF) become U+FFFD.

use std::fmt::Write;

use crate::archive::check::{DocCheck, Finding};
use crate::report::ci::{self, IsAccepted, RunInfo};
use crate::report::human;

/// Whether XML 1.0 allows `c` in a document.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for element content or a double-quoted attribute value.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if !xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value: as [`escape`], and line breaks and tabs as
/// character references, which attribute normalization would otherwise
/// turn into spaces.
pub(crate) fn escape_attr(s: &str) -> String {
    escape(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// A finding with its passages, as plain text.
fn details(out: &mut String, f: &Finding) {
    let _ = writeln!(out, "{}", human::headline(&f.report));
    let _ = writeln!(
        out,
        "  score {:.3}, coverage {:.3} ({:.3} word for word), {} passages",
        f.report.score,
        f.report.coverage,
        f.report.verbatim_coverage,
        f.report.passages.len()
    );
    if let Some(title) = &f.source_meta.title {
        let _ = writeln!(out, "  source title: {title}");
    }
    if !f.checked_is_derived {
        let _ = writeln!(
            out,
            "  note: the archived {} is dated after the checked {}, so it is taken as the copy",
            f.report.derived, f.report.source
        );
    }
    for e in &f.excerpts {
        let _ = writeln!(
            out,
            "  lines {}-{} of {}: {}",
            e.derived_line, e.derived_end_line, f.report.derived, e.derived
        );
        let _ = writeln!(out, "    from {}: {}", f.report.source, e.source);
    }
}

fn testcase(out: &mut String, check: &DocCheck, is_accepted: IsAccepted<'_>) {
    let failing: Vec<&Finding> = ci::failing(check, is_accepted).collect();
    let accepted: Vec<&Finding> = ci::accepted(check, is_accepted).collect();
    let _ = write!(
        out,
        "    <testcase classname=\"lineage.check\" name=\"{}\"",
        escape_attr(&check.id)
    );
    if failing.is_empty() && accepted.is_empty() && check.warnings.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    if let Some(first) = failing.first() {
        let mut message = human::headline(&first.report);
        if failing.len() > 1 {
            let _ = write!(message, " (and {} more findings)", failing.len() - 1);
        }
        let mut body = String::new();
        for f in &failing {
            details(&mut body, f);
        }
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            escape_attr(&message),
            ci::rule_id(first.report.verdict),
            escape(&body)
        );
    }
    if !accepted.is_empty() || !check.warnings.is_empty() {
        let mut text = String::new();
        for f in &accepted {
            text.push_str("accepted in the baseline: ");
            details(&mut text, f);
        }
        for w in &check.warnings {
            let _ = writeln!(text, "warning: {w}");
        }
        let _ = writeln!(out, "      <system-out>{}</system-out>", escape(&text));
    }
    out.push_str("    </testcase>\n");
}

/// Renders the run as a JUnit XML document, ending with a newline.
pub fn render(checks: &[DocCheck], is_accepted: IsAccepted<'_>, run: &RunInfo<'_>) -> String {
    let tests = checks.len();
    let failures = checks
        .iter()
        .filter(|c| ci::failing(c, is_accepted).next().is_some())
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = format!("tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\"");
    let _ = writeln!(out, "<testsuites name=\"lineage\" {counts}>");
    let _ = writeln!(out, "  <testsuite name=\"lineage check\" {counts}>");
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("lineage.version", run.tool_version.to_string()),
        ("index", run.index.to_string()),
        ("archived", run.archived.to_string()),
        ("threshold", run.threshold.to_string()),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape_attr(&value)
        );
    }
    out.push_str("    </properties>\n");
    for check in checks {
        testcase(&mut out, check, is_accepted);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::score::Verdict;
    use crate::report::ci::tests::{check, finding, info as ci_info};

    fn info() -> RunInfo<'static> {
        ci_info("a&b.idx")
    }

    #[test]
    fn escaping_covers_markup_quotes_breaks_and_invalid_chars() {
        assert_eq!(
            escape("a<b>&\"c\"'d'\u{1}\u{FFFF}é"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;\u{FFFD}\u{FFFD}é"
        );
        assert_eq!(escape_attr("a\nb\tc\r"), "a&#10;b&#9;c&#13;");
        assert_eq!(escape("keep\nlines"), "keep\nlines");
    }

    #[test]
    fn one_testcase_per_document_and_only_failing_ones_fail() {
        let checks = [
            check(
                "new <1>.txt",
                vec![finding("new <1>.txt", "old.txt", Verdict::Derived)],
            ),
            check("clean.txt", vec![]),
            check(
                "accepted.txt",
                vec![finding("accepted.txt", "old.txt", Verdict::Partial)],
            ),
        ];
        let xml = render(
            &checks,
            &|f: &Finding| f.report.derived == "accepted.txt",
            &info(),
        );
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert_eq!(xml.matches("<failure ").count(), 1);
        assert!(xml.contains("tests=\"3\" failures=\"1\" errors=\"0\""));
        assert!(xml.contains("name=\"new &lt;1&gt;.txt\""));
        assert!(xml.contains("<testcase classname=\"lineage.check\" name=\"clean.txt\"/>"));
        assert!(xml.contains("<system-out>accepted in the baseline: partial"));
        assert!(xml.contains("value=\"a&amp;b.idx\""));
        assert!(xml.contains("source title: The &lt;Source&gt; &amp; &quot;Co&quot;"));
        assert!(xml.contains("lines 2-3 of new &lt;1&gt;.txt: copied words here"));
    }
}
