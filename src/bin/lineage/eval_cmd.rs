//! `lineage eval`: score labelled pairs and report how well the score
//! separates them.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Context;
use lineage::eval::{
    evaluate, evaluate_groups, AtThreshold, Evaluation, GroupedEvaluation, GroupedScore, Scored,
};
use lineage::pipeline::score_pair;
use lineage::report::json;
use lineage::source::list::read_list;
use rayon::prelude::*;

use crate::args::{EvalArgs, Format};
use crate::exit::ExitCode;

pub fn eval(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let config = args.common.config()?;
    let positive: Vec<String> = if args.positive.is_empty() {
        vec!["1".into()]
    } else {
        args.positive.clone()
    };
    let entries: Vec<_> = read_list(&args.labelled, 3)?
        .into_iter()
        .filter(|e| match e {
            // Unlabelled lines, and lines of other splits, are not evaluated.
            Ok(e) => {
                e.extra.first().is_some_and(|l| l != "-")
                    && args
                        .split
                        .as_ref()
                        .is_none_or(|s| e.extra.get(2) == Some(s))
            }
            Err(_) => true,
        })
        .collect();
    let base = args.labelled.parent().unwrap_or(std::path::Path::new(""));
    let resolve = |p: &std::path::Path| {
        if p.is_relative() && !p.exists() && base.join(p).exists() {
            base.join(p)
        } else {
            p.to_path_buf()
        }
    };
    let results: Vec<anyhow::Result<(Scored, Option<GroupedScore>)>> = entries
        .into_par_iter()
        .map(|entry| {
            let entry = entry?;
            let label = entry.extra.first().cloned().unwrap_or_default();
            let d = args.common.read(&resolve(&entry.derived))?;
            let s = args.common.read(&resolve(&entry.source))?;
            let report = score_pair(&d, &s, &config)
                .with_context(|| format!("{}:{}", args.labelled.display(), entry.line))?;
            let grouped = entry.extra.get(1).map(|group| GroupedScore {
                group: group.clone(),
                score: report.score,
                finding: report.finding,
            });
            Ok((
                Scored {
                    score: report.score,
                    positive: positive.contains(&label),
                    category: label,
                },
                grouped,
            ))
        })
        .collect();
    let mut code = ExitCode::Clean;
    let mut scored = Vec::with_capacity(results.len());
    let mut grouped = Vec::new();
    for r in results {
        match r {
            Ok((s, g)) => {
                scored.push(s);
                grouped.extend(g);
            }
            Err(err) => {
                eprintln!("lineage: {}", crate::message(&err));
                code = ExitCode::Error;
            }
        }
    }
    let e = evaluate(&scored, &config.thresholds, config.threshold, &args.order);
    let groups = (!grouped.is_empty()).then(|| evaluate_groups(&grouped));
    let text = match args.common.format {
        Format::Json => {
            let mut out = json::render_evaluation(&e);
            if let Some(g) = &groups {
                out.push_str(&json::render_groups(g));
            }
            out
        }
        Format::Text => {
            let mut out = render(&e);
            if let Some(g) = &groups {
                out.push_str(&render_groups(g, config.threshold));
            }
            out
        }
    };
    let mut out = crate::stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(code)
}

fn row(name: &str, a: &AtThreshold) -> String {
    format!(
        "  {name:<16} {:>9.3} {:>9.3} {:>9.3} {:>9.3}   tp {} fp {} tn {} fn {}\n",
        a.threshold, a.precision, a.recall, a.f1, a.tp, a.fp, a.tn, a.fn_
    )
}

fn render(e: &Evaluation) -> String {
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

fn render_groups(g: &GroupedEvaluation, threshold: f64) -> String {
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
