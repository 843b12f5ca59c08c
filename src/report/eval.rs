//! `lineage eval` as text for a person (JSON is in [`super::json`]).

use std::fmt::Write as _;

use crate::eval::{AtThreshold, Evaluation, GroupedEvaluation};

/// One line of the threshold table.
fn row(name: &str, a: &AtThreshold) -> String {
    format!(
        "  {name:<16} {:>9.3} {:>9.3} {:>9.3} {:>9.3}   tp {} fp {} tn {} fn {}\n",
        a.threshold, a.precision, a.recall, a.f1, a.tp, a.fp, a.tn, a.fn_
    )
}

/// The evaluation as text: the counts, ROC-AUC (and Spearman), precision,
/// recall and F1 at each verdict line, at the finding threshold and at the
/// best F1, the confusion table and the scores per category.
pub fn render(e: &Evaluation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} pairs, {} positive, {} negative",
        e.pairs,
        e.positives,
        e.pairs - e.positives
    );
    let _ = writeln!(out, "  ROC-AUC          {:.4}", e.roc_auc);
    if let Some(rho) = e.spearman {
        let _ = writeln!(
            out,
            "  Spearman         {rho:.4}  (score against the --order ranking)"
        );
    }
    let _ = writeln!(
        out,
        "\n  {:<16} {:>9} {:>9} {:>9} {:>9}",
        "at", "threshold", "precision", "recall", "F1"
    );
    for (name, a) in &e.at_verdicts {
        out.push_str(&row(name, a));
    }
    out.push_str(&row("finding", &e.at_finding));
    out.push_str(&row("best F1", &e.best_f1));
    let _ = writeln!(
        out,
        "\n  confusion at the finding threshold {:.3}:\n                    predicted +   predicted -\n    actual +        {:>11}   {:>11}\n    actual -        {:>11}   {:>11}",
        e.at_finding.threshold, e.at_finding.tp, e.at_finding.fn_, e.at_finding.fp, e.at_finding.tn
    );
    let _ = writeln!(
        out,
        "\n  {:<16} {:>5} {:>8} {:>8} {:>8} {:>8}",
        "category", "pairs", "label", "mean", "min", "max"
    );
    for c in &e.categories {
        let _ = writeln!(
            out,
            "  {:<16} {:>5} {:>8} {:>8.3} {:>8.3} {:>8.3}",
            c.category,
            c.count,
            if c.positive { "+" } else { "-" },
            c.mean,
            c.min,
            c.max
        );
    }
    out
}

/// Per group of a labelled file: the share of findings at `threshold`, the
/// median score, and ROC-AUC of each positive group against its negatives.
pub fn render_groups(g: &GroupedEvaluation, threshold: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n  {:<32} {:>5} {:>9} {:>8}   (findings at threshold {threshold:.2})",
        "group", "pairs", "findings", "median"
    );
    for s in &g.groups {
        let _ = writeln!(
            out,
            "  {:<32} {:>5} {:>8.1}% {:>8.3}",
            s.group,
            s.pairs,
            s.findings * 100.0,
            s.median
        );
    }
    let _ = writeln!(
        out,
        "\n  {:<32} {:<32} {:>8}",
        "positive", "against", "ROC-AUC"
    );
    for a in &g.aucs {
        let _ = writeln!(
            out,
            "  {:<32} {:<32} {:>8.4}",
            a.positive, a.negative, a.roc_auc
        );
    }
    out
}
