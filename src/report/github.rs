//! GitHub Actions workflow commands for a `lineage check` run: annotations
//! on the checked files of a pull request.
//!
//! In: the [`DocCheck`]s, which findings are accepted, and a `RunInfo`.
//! Out: one line per finding, `::error file=PATH,line=L,endLine=E,title=
//! lineage: VERDICT::MESSAGE` for a failing finding and `::notice ...` for
//! one accepted in the baseline. The location is the checked document's
//! first passage (see `ci`); a document whose id is a URL or
//! standard input gets no `file` and shows on the run's summary instead.
//! The run's summary line is left to the caller (the binary prints it on
//! standard error).
//!
//! Escaping follows the runner's rules
//! (<https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts>):
//! in the message `%`, `\r`, `\n` become `%25`, `%0D`, `%0A`; in property
//! values `:` and `,` also become `%3A` and `%2C`.

use std::fmt::Write;

use crate::archive::check::{DocCheck, Finding};
use crate::report::ci::{self, IsAccepted, RunInfo};
use crate::report::human;

/// Escapes a command's message.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn message(f: &Finding, accepted: bool) -> String {
    let mut text = human::headline(&f.report);
    if accepted {
        text.push_str(" [accepted in the baseline]");
    }
    if let Some(title) = &f.source_meta.title {
        let _ = write!(text, "\nsource title: {title}");
    }
    for e in f.excerpts.iter().take(3) {
        let _ = write!(
            text,
            "\nlines {}-{} of {}: {}\n  from {}: {}",
            e.derived_line,
            e.derived_end_line,
            f.report.derived,
            e.derived,
            f.report.source,
            e.source
        );
    }
    if f.excerpts.len() > 3 {
        let _ = write!(text, "\n(and {} more passages)", f.excerpts.len() - 3);
    }
    text
}

fn command(out: &mut String, check: &DocCheck, f: &Finding, accepted: bool) {
    let loc = ci::location(&check.id, f);
    let mut props = Vec::new();
    if !loc.is_url && check.id != "-" {
        props.push(format!("file={}", escape_property(&loc.path)));
        if let Some(line) = loc.start_line {
            props.push(format!("line={line}"));
        }
        if let Some(end) = loc.end_line {
            props.push(format!("endLine={end}"));
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("lineage: {}", f.report.verdict))
    ));
    let _ = writeln!(
        out,
        "::{} {}::{}",
        if accepted { "notice" } else { "error" },
        props.join(","),
        escape_data(&message(f, accepted))
    );
}

/// Renders one workflow command per finding, each ending with a newline.
pub fn render(checks: &[DocCheck], is_accepted: IsAccepted<'_>, _run: &RunInfo<'_>) -> String {
    let mut out = String::new();
    for check in checks {
        for f in &check.findings {
            command(&mut out, check, f, is_accepted(f));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::score::Verdict;
    use crate::report::ci::tests::{check, finding, info as ci_info};

    fn info() -> RunInfo<'static> {
        ci_info("a.idx")
    }

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("100%\r\nok: a,b"), "100%25%0D%0Aok: a,b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn failing_findings_are_errors_and_baselined_ones_notices() {
        let checks = [
            check(
                "dir/a,b.txt",
                vec![finding("dir/a,b.txt", "old.txt", Verdict::Derived)],
            ),
            check("ok.txt", vec![]),
            check(
                "https://x.org/item",
                vec![finding("https://x.org/item", "old.txt", Verdict::Partial)],
            ),
        ];
        let text = render(
            &checks,
            &|f: &Finding| f.report.verdict == Verdict::Partial,
            &info(),
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with(
                "::error file=dir/a%2Cb.txt,line=2,endLine=3,title=lineage%3A derived::derived: "
            ),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("%0Alines 2-3 of dir/a,b.txt: copied words here"));
        assert!(
            lines[1].starts_with("::notice title=lineage%3A partial::partial: "),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("[accepted in the baseline]"));
    }
}
