//! Plain-text rendering of reports for a person at a terminal.
//!
//! The verdict comes first, in words, then the figures with one line each on
//! what they mean.

use std::fmt::Write;

use crate::report::PairReport;
use crate::score::{Direction, Verdict};

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// One sentence saying what the verdict means for this pair.
pub fn headline(r: &PairReport) -> String {
    let how_much = pct(r.score);
    match r.verdict {
        Verdict::Duplicate => format!(
            "duplicate: {} and {} are the same text",
            r.derived, r.source
        ),
        Verdict::NearDuplicate => format!(
            "near_duplicate: {} and {} are mostly the same text ({how_much} one way, {} the other)",
            r.derived,
            r.source,
            pct(r.reverse_score)
        ),
        Verdict::Derived => format!(
            "derived: {how_much} of {} comes from {}",
            r.derived, r.source
        ),
        Verdict::Partial => format!(
            "partial: {how_much} of {} comes from {}",
            r.derived, r.source
        ),
        Verdict::Unrelated => format!(
            "unrelated: no evidence that {} comes from {} ({how_much})",
            r.derived, r.source
        ),
    }
}

/// Renders one pair report as text, ending with a newline.
pub fn render_pair(r: &PairReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(r));
    if r.direction == Direction::SourceFromDerived {
        let _ = writeln!(
            out,
            "  note: the other way round is stronger ({} of {} comes from {}): the arguments may be swapped",
            pct(r.reverse_score),
            r.source,
            r.derived
        );
    }
    let finding = if r.finding {
        format!(
            "finding: score {:.2} >= threshold {:.2}",
            r.score, r.params.threshold
        )
    } else {
        format!(
            "no finding: score {:.2} < threshold {:.2}",
            r.score, r.params.threshold
        )
    };
    let rows: [(&str, String, String); 7] = [
        ("verdict", r.verdict.to_string(), finding),
        (
            "score",
            format!("{:.3}", r.score),
            "how much of DERIVED is derived from SOURCE".into(),
        ),
        (
            "reverse",
            format!("{:.3}", r.reverse_score),
            "how much of SOURCE is derived from DERIVED".into(),
        ),
        (
            "containment",
            format!("{:.3}", r.containment),
            format!(
                "verbatim: share of DERIVED's {}-word shingles found in SOURCE (reverse {:.3})",
                r.params.shingle.raw_size, r.reverse_containment
            ),
        ),
        (
            "content",
            format!("{:.3}", r.content_containment),
            format!(
                "reworded: share of DERIVED's stemmed content-word {}-grams found in SOURCE (reverse {:.3})",
                r.params.shingle.content_size, r.content_reverse_containment
            ),
        ),
        (
            "jaccard",
            format!("{:.3}", r.jaccard),
            format!(
                "classic near-duplicate measure, symmetric (MinHash estimate {:.3}, K={})",
                r.jaccard_estimate, r.params.num_perm
            ),
        ),
        (
            "lengths",
            format!("{}/{}", r.derived_tokens, r.source_tokens),
            format!(
                "words in DERIVED/SOURCE; {}/{} distinct shingles, {} shared",
                r.raw.derived_shingles, r.raw.source_shingles, r.raw.shared
            ),
        ),
    ];
    for (name, value, meaning) in rows {
        let _ = writeln!(out, "  {name:<12} {value:<15} {meaning}");
    }
    out
}
