//! Evaluation against labelled pairs: how users calibrate lineage on their
//! own data, and how the figures in the README are produced.
//!
//! In: one [`Scored`] pair per labelled line (score, label, optional
//! category). Out: an [`Evaluation`]: ROC-AUC, precision/recall/F1 at every
//! verdict threshold and at the threshold with the best F1, a confusion
//! table at the finding threshold, mean score per category and, when the
//! categories are ordered, Spearman's rank correlation of score with that
//! order.

use serde::Serialize;

use crate::compare::score::Thresholds;

/// One scored, labelled pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// The score lineage gave.
    pub score: f64,
    /// Whether the pair is a positive (derived) one.
    pub positive: bool,
    /// The label as written (a category or 1/0).
    pub category: String,
}

/// Precision, recall and F1 at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AtThreshold {
    /// Scores at or above this are predicted positive.
    pub threshold: f64,
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// True negatives.
    pub tn: usize,
    /// False negatives.
    pub fn_: usize,
    /// tp / (tp + fp), 0 when nothing is predicted positive.
    pub precision: f64,
    /// tp / (tp + fn).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl AtThreshold {
    /// Counts for predicting positive at `score >= threshold`.
    pub fn of(pairs: &[Scored], threshold: f64) -> AtThreshold {
        let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
        for p in pairs {
            match (p.score >= threshold, p.positive) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, false) => tn += 1,
                (false, true) => fn_ += 1,
            }
        }
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        AtThreshold {
            threshold,
            tp,
            fp,
            tn,
            fn_,
            precision,
            recall,
            f1,
        }
    }
}

/// Mean score of one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryStats {
    /// The category (label as written).
    pub category: String,
    /// Pairs in it.
    pub count: usize,
    /// Whether it counts as positive.
    pub positive: bool,
    /// Mean score.
    pub mean: f64,
    /// Lowest score.
    pub min: f64,
    /// Highest score.
    pub max: f64,
}

/// Everything `lineage eval` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Pairs evaluated.
    pub pairs: usize,
    /// Positive pairs among them.
    pub positives: usize,
    /// Area under the ROC curve of score, positives against negatives
    /// (ties count one half).
    pub roc_auc: f64,
    /// Spearman correlation of score with the category order, when given.
    pub spearman: Option<f64>,
    /// At each verdict threshold (partial, derived, near-duplicate).
    pub at_verdicts: Vec<(String, AtThreshold)>,
    /// At the finding threshold in use: the confusion table.
    pub at_finding: AtThreshold,
    /// At the threshold with the best F1 (the lowest such threshold).
    pub best_f1: AtThreshold,
    /// Per category, in order of first appearance (or of `order`).
    pub categories: Vec<CategoryStats>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// ROC-AUC by the Mann-Whitney statistic (ties count one half); 0.5 when
/// either class is empty.
pub(crate) fn roc_auc(pairs: &[Scored]) -> f64 {
    let ranks = average_ranks(&pairs.iter().map(|p| p.score).collect::<Vec<_>>());
    let n_pos = pairs.iter().filter(|p| p.positive).count();
    let n_neg = pairs.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return 0.5;
    }
    let rank_sum: f64 = pairs
        .iter()
        .zip(&ranks)
        .filter(|(p, _)| p.positive)
        .map(|(_, r)| r)
        .sum();
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    u / (n_pos * n_neg) as f64
}

/// 1-based ranks with ties given their average rank.
pub(crate) fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = avg;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation (Pearson on average ranks); `None` when either
/// side is constant.
pub(crate) fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let rx = average_ranks(x);
    let ry = average_ranks(y);
    let n = x.len() as f64;
    let mx = rx.iter().sum::<f64>() / n;
    let my = ry.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// One scored pair of a grouped evaluation file (`GROUP` column, as in
/// `../shared/data/summaries/pairs.tsv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupedScore {
    /// The pair's group (`xsum_model_pos`, `xsum_model_hardneg`, ...).
    pub group: String,
    /// The score lineage gave.
    pub score: f64,
    /// Whether the pair is a finding at the threshold in use.
    pub finding: bool,
}

/// Figures of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    /// The group.
    pub group: String,
    /// Pairs in it.
    pub pairs: usize,
    /// Share of them that are findings.
    pub findings: f64,
    /// Median score.
    pub median: f64,
}

/// ROC-AUC of a positive group against one negative group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupAuc {
    /// The positive group (`*_pos`).
    pub positive: String,
    /// The negative group (`*_neg`, `*_hardneg`).
    pub negative: String,
    /// ROC-AUC, ties counting one half.
    pub roc_auc: f64,
}

/// Everything a grouped evaluation reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupedEvaluation {
    /// Per group, sorted by name.
    pub groups: Vec<GroupStats>,
    /// For every group named `X_pos`, its AUC against `X_neg` and
    /// `X_hardneg` where present.
    pub aucs: Vec<GroupAuc>,
}

/// Evaluates pairs by group: the share of findings and the median score of
/// each group, and each positive group's ROC-AUC against its negative
/// groups (`X_pos` against `X_neg` and `X_hardneg`).
pub fn evaluate_groups(pairs: &[GroupedScore]) -> GroupedEvaluation {
    let mut by: std::collections::BTreeMap<&str, Vec<&GroupedScore>> = Default::default();
    for p in pairs {
        by.entry(p.group.as_str()).or_default().push(p);
    }
    let groups = by
        .iter()
        .map(|(g, v)| {
            let mut scores: Vec<f64> = v.iter().map(|p| p.score).collect();
            scores.sort_by(f64::total_cmp);
            let mid = scores.len() / 2;
            let median = if scores.len() % 2 == 1 {
                scores[mid]
            } else {
                (scores[mid - 1] + scores[mid]) / 2.0
            };
            GroupStats {
                group: g.to_string(),
                pairs: v.len(),
                findings: ratio(v.iter().filter(|p| p.finding).count(), v.len()),
                median,
            }
        })
        .collect();
    let mut aucs = Vec::new();
    for (g, pos) in &by {
        let Some(prefix) = g.strip_suffix("_pos") else {
            continue;
        };
        for suffix in ["_neg", "_hardneg"] {
            let name = format!("{prefix}{suffix}");
            let Some(neg) = by.get(name.as_str()) else {
                continue;
            };
            let scored: Vec<Scored> = pos
                .iter()
                .map(|p| (p, true))
                .chain(neg.iter().map(|p| (p, false)))
                .map(|(p, positive)| Scored {
                    score: p.score,
                    positive,
                    category: p.group.clone(),
                })
                .collect();
            aucs.push(GroupAuc {
                positive: g.to_string(),
                negative: name,
                roc_auc: roc_auc(&scored),
            });
        }
    }
    GroupedEvaluation { groups, aucs }
}

/// Evaluates scored pairs. `order` lists categories from most to least
/// derived (e.g. `cut, light, heavy, non`) for the Spearman correlation;
/// categories not in it are left out of that figure.
pub fn evaluate(
    pairs: &[Scored],
    thresholds: &Thresholds,
    finding: f64,
    order: &[String],
) -> Evaluation {
    let mut cuts: Vec<f64> = pairs.iter().map(|p| p.score).collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut best = AtThreshold::of(pairs, f64::INFINITY);
    for &t in &cuts {
        let at = AtThreshold::of(pairs, t);
        if at.f1 > best.f1 {
            best = at;
        }
    }
    let spearman = if order.is_empty() {
        None
    } else {
        let (x, y): (Vec<f64>, Vec<f64>) = pairs
            .iter()
            .filter_map(|p| {
                let pos = order.iter().position(|c| *c == p.category)?;
                Some(((order.len() - pos) as f64, p.score))
            })
            .unzip();
        spearman(&x, &y)
    };
    let mut names: Vec<String> = order.to_vec();
    for p in pairs {
        if !names.contains(&p.category) {
            names.push(p.category.clone());
        }
    }
    let categories = names
        .into_iter()
        .filter_map(|name| {
            let members: Vec<&Scored> = pairs.iter().filter(|p| p.category == name).collect();
            if members.is_empty() {
                return None;
            }
            let scores = members.iter().map(|p| p.score);
            Some(CategoryStats {
                count: members.len(),
                positive: members[0].positive,
                mean: scores.clone().sum::<f64>() / members.len() as f64,
                min: scores.clone().fold(f64::INFINITY, f64::min),
                max: scores.fold(f64::NEG_INFINITY, f64::max),
                category: name,
            })
        })
        .collect();
    Evaluation {
        pairs: pairs.len(),
        positives: pairs.iter().filter(|p| p.positive).count(),
        roc_auc: roc_auc(pairs),
        spearman,
        at_verdicts: vec![
            ("partial".into(), AtThreshold::of(pairs, thresholds.partial)),
            ("derived".into(), AtThreshold::of(pairs, thresholds.derived)),
            (
                "near_duplicate".into(),
                AtThreshold::of(pairs, thresholds.near_duplicate),
            ),
        ],
        at_finding: AtThreshold::of(pairs, finding),
        best_f1: best,
        categories,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_pair_positives_with_their_negatives() {
        let p = |group: &str, score: f64| GroupedScore {
            group: group.into(),
            score,
            finding: score >= 0.5,
        };
        let e = evaluate_groups(&[
            p("a_pos", 0.9),
            p("a_pos", 0.6),
            p("a_hardneg", 0.7),
            p("a_hardneg", 0.1),
            p("a_neg", 0.0),
            p("b_neg", 0.8),
        ]);
        let names: Vec<_> = e.groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, ["a_hardneg", "a_neg", "a_pos", "b_neg"]);
        assert_eq!(e.groups[2].findings, 1.0);
        assert_eq!(e.groups[0].findings, 0.5);
        assert_eq!(e.aucs.len(), 2);
        assert_eq!(e.aucs[0].negative, "a_neg");
        assert_eq!(e.aucs[0].roc_auc, 1.0);
        assert_eq!(e.aucs[1].negative, "a_hardneg");
        assert_eq!(e.aucs[1].roc_auc, 0.75);
    }

    fn s(score: f64, positive: bool, category: &str) -> Scored {
        Scored {
            score,
            positive,
            category: category.into(),
        }
    }

    #[test]
    fn auc_perfect_random_and_ties() {
        let perfect = [s(0.9, true, "1"), s(0.8, true, "1"), s(0.1, false, "0")];
        assert_eq!(roc_auc(&perfect), 1.0);
        let inverted = [s(0.1, true, "1"), s(0.9, false, "0")];
        assert_eq!(roc_auc(&inverted), 0.0);
        let tied = [s(0.5, true, "1"), s(0.5, false, "0")];
        assert_eq!(roc_auc(&tied), 0.5);
    }

    #[test]
    fn spearman_of_monotone_data_is_one() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((spearman(&x, &[0.1, 0.2, 0.5, 0.9]).unwrap() - 1.0).abs() < 1e-12);
        assert!((spearman(&x, &[0.9, 0.5, 0.2, 0.1]).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&x, &[1.0; 4]), None);
    }

    #[test]
    fn confusion_and_best_f1() {
        let pairs = [
            s(0.9, true, "cut"),
            s(0.6, true, "heavy"),
            s(0.4, false, "non"),
            s(0.1, false, "non"),
        ];
        let at = AtThreshold::of(&pairs, 0.5);
        assert_eq!((at.tp, at.fp, at.tn, at.fn_), (2, 0, 2, 0));
        let e = evaluate(
            &pairs,
            &Thresholds::default(),
            0.5,
            &["cut".into(), "heavy".into(), "non".into()],
        );
        assert_eq!(e.best_f1.f1, 1.0);
        assert_eq!(e.best_f1.threshold, 0.6);
        assert!((e.spearman.unwrap() - 0.9486832980505138).abs() < 1e-9);
        assert_eq!(e.categories.len(), 3);
    }
}
