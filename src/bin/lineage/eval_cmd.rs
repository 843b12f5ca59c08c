//! `lineage eval`: score labelled pairs and report how well the score
//! separates them.

use std::io::Write;

use anyhow::Context;
use lineage::eval::{evaluate, evaluate_groups, GroupedScore, Scored};
use lineage::pipeline::score_pair;
use lineage::report::{eval as eval_text, json};
use lineage::source::list::read_list;
use rayon::prelude::*;

use crate::args::{EvalArgs, Format};
use crate::exit::ExitCode;

pub fn eval(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let config = args.common.config()?;
    let verbosity = args.common.verbosity;
    verbosity.detail(|| args.common.describe(&config));
    let mut stages = verbosity.stages();
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
    verbosity.detail(|| {
        format!(
            "{}: {} labelled pairs to score",
            args.labelled.display(),
            entries.iter().filter(|e| e.is_ok()).count()
        )
    });
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
    stages.done("read and score");
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
    let text = match args.format {
        Format::Json => {
            let mut out = json::render_evaluation(&e);
            if let Some(g) = &groups {
                out.push_str(&json::render_groups(g));
            }
            out
        }
        Format::Text => {
            let mut out = eval_text::render(&e);
            if let Some(g) = &groups {
                out.push_str(&eval_text::render_groups(g, config.threshold));
            }
            out
        }
    };
    stages.done("evaluate");
    let mut out = crate::stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    stages.total();
    Ok(code)
}
