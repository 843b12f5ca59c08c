//! `lineage eval`: score labelled pairs and report how well the score
//! separates them.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Context;
use lineage::eval::{evaluate, AtThreshold, Evaluation, Scored};
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
    let entries = read_list(&args.labelled, 3)?;
    let results: Vec<anyhow::Result<Scored>> = entries
        .into_par_iter()
        .map(|entry| {
            let entry = entry?;
            let label = entry.extra.first().cloned().unwrap_or_default();
            let d = args.common.read(&entry.derived)?;
            let s = args.common.read(&entry.source)?;
            let report = score_pair(&d, &s, &config)
                .with_context(|| format!("{}:{}", args.labelled.display(), entry.line))?;
            Ok(Scored {
                score: report.score,
                positive: positive.contains(&label),
                category: label,
            })
        })
        .collect();
    let mut code = ExitCode::Clean;
    let mut scored = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(s) => scored.push(s),
            Err(err) => {
                eprintln!("lineage: {}", crate::message(&err));
                code = ExitCode::Error;
            }
        }
    }
    let e = evaluate(&scored, &config.thresholds, config.threshold, &args.order);
    let text = match args.common.format {
        Format::Json => json::render_evaluation(&e),
        Format::Text => render(&e),
    };
    let mut out = std::io::stdout().lock();
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
