//! Stage 6: exact scores of a pair from full shingle sets.
//!
//! In: the sorted, distinct shingle hashes of DERIVED and SOURCE for each view
//! (stage 3), and their MinHash signatures (stage 4). Out: the [`Overlap`] of each view (the
//! figures) and a [`Verdict`].
//!
//! Scores are exact: a 400-word article has about 400 distinct shingles, so a
//! sorted merge costs no more than sketching and gives containment, which
//! MinHash estimates badly for sets of unequal size. The MinHash estimate is
//! reported next to the exact Jaccard so users can see the two agree.
//!
//! * `jaccard`: |D ∩ S| / |D ∪ S| on raw 5-shingles, the classic
//!   near-duplicate measure; symmetric.
//! * `containment`: |D ∩ S| / |D|, how much of DERIVED occurs in SOURCE.
//! * `reverse_containment`: |D ∩ S| / |S|.
//! * `score`: how much of DERIVED is derived from SOURCE, in [0, 1]; see
//!   `derivation_score`.

use serde::{Deserialize, Serialize};

/// Size of the intersection of two sorted, distinct hash lists.
pub fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Set overlap figures of one view.
///
/// # Examples
///
/// ```
/// use lineage::compare::score::Overlap;
///
/// let overlap = Overlap::of(&[1, 2, 3, 4], &[3, 4, 5, 6, 7, 8]);
/// assert_eq!(overlap.containment(), 0.5);
/// assert_eq!(overlap.reverse_containment(), 2.0 / 6.0);
/// assert_eq!(overlap.jaccard(), 0.25);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Overlap {
    /// Distinct shingles of DERIVED.
    pub derived_shingles: usize,
    /// Distinct shingles of SOURCE.
    pub source_shingles: usize,
    /// Distinct shingles in both.
    pub shared: usize,
}

impl Overlap {
    /// Overlap of two sorted, distinct hash lists.
    pub fn of(derived: &[u64], source: &[u64]) -> Overlap {
        Overlap {
            derived_shingles: derived.len(),
            source_shingles: source.len(),
            shared: intersection_size(derived, source),
        }
    }

    /// |D ∩ S| / |D ∪ S|; 0 when both are empty.
    pub fn jaccard(&self) -> f64 {
        let union = self.derived_shingles + self.source_shingles - self.shared;
        ratio(self.shared, union)
    }

    /// |D ∩ S| / |D|; 0 when DERIVED is empty.
    pub fn containment(&self) -> f64 {
        ratio(self.shared, self.derived_shingles)
    }

    /// |D ∩ S| / |S|; 0 when SOURCE is empty.
    pub fn reverse_containment(&self) -> f64 {
        ratio(self.shared, self.source_shingles)
    }

    /// The same overlap seen from the other side.
    pub fn reversed(&self) -> Overlap {
        Overlap {
            derived_shingles: self.source_shingles,
            source_shingles: self.derived_shingles,
            shared: self.shared,
        }
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// The one-way derivation score.
///
/// It is the larger of two kinds of evidence:
///
/// * **Aligned** ([`aligned_score`]): the share of DERIVED inside aligned
///   passages, counting text copied word for word in full and reworded
///   text at [`REWORDED_WEIGHT`]: a copy scores 1, a full paraphrase that
///   weight.
/// * **Condensed** ([`condensed_score`]): the rarity-weighted share of
///   DERIVED's content words found in SOURCE ([`crate::compare::condense`]), above
///   the share two texts on one topic reach, scaled so that a summary
///   whose rare words all come from SOURCE scores [`CONDENSED_WEIGHT`].
///
/// Neither uses the texts' lengths.
pub(crate) fn derivation_score(aligned: f64, condensed: f64) -> f64 {
    aligned.max(condensed).clamp(0.0, 1.0)
}

/// The aligned evidence: with an alignment (`coverage` and
/// `verbatim_coverage` of DERIVED, see [`crate::compare::align::Alignment`]) the
/// share of DERIVED inside passages, verbatim text in full and reworded
/// text at [`REWORDED_WEIGHT`]; raw containment is verbatim evidence too, and
/// what remains for texts too short to hold a passage. Without an
/// alignment, the larger of raw containment and content containment above
/// `CONTENT_FLOOR`. Paraphrase seeds can fire on two texts about the same
/// thing; verbatim runs almost never do, so verbatim text ranks higher (on
/// Clough & Stevenson this orders cut > light > heavy > non, see README,
/// "Calibration").
pub fn aligned_score(raw: &Overlap, content: &Overlap, alignment: Option<(f64, f64)>) -> f64 {
    let score = match alignment {
        Some((coverage, verbatim_coverage)) => {
            let verbatim = verbatim_coverage.clamp(0.0, coverage);
            (verbatim + REWORDED_WEIGHT * (coverage - verbatim)).max(raw.containment())
        }
        None => {
            let content_evidence =
                ((content.containment() - CONTENT_FLOOR) / (1.0 - CONTENT_FLOOR)).max(0.0);
            raw.containment().max(content_evidence)
        }
    };
    score.clamp(0.0, 1.0)
}

/// The condensed evidence of a condensation `share` (see
/// [`derivation_score`]): `CONDENSED_WEIGHT * share ^ CONDENSED_POWER`,
/// convex so that the shares two texts on one topic reach stay near 0
/// while keeping their order.
pub(crate) fn condensed_score(share: f64) -> f64 {
    (CONDENSED_WEIGHT * share.clamp(0.0, 1.0).powf(CONDENSED_POWER)).clamp(0.0, 1.0)
}

/// The condensation share whose [`condensed_score`] is `score`.
pub(crate) fn condensed_share_for(score: f64) -> f64 {
    (score / CONDENSED_WEIGHT)
        .clamp(0.0, 1.0)
        .powf(1.0 / CONDENSED_POWER)
}

/// Weight of reworded (aligned but not verbatim) text in the score; see
/// `derivation_score`.
pub const REWORDED_WEIGHT: f64 = 0.4;

/// Content-pair containment reached by chance between unrelated texts on one
/// topic; see [`aligned_score`].
pub(crate) const CONTENT_FLOOR: f64 = 0.05;

/// Exponent of the condensation share in [`condensed_score`]: the hardest
/// negatives of the `dev` split of `../shared/data/summaries` (another
/// article sharing most of a summary's content words) have a median share
/// of 0.11-0.19, which this maps to 0.04-0.08.
pub(crate) const CONDENSED_POWER: f64 = 1.4;

/// Score of a summary all of whose rare words come from SOURCE: below a
/// copy's 1, since word overlap alone cannot prove copying; see
/// [`condensed_score`].
pub(crate) const CONDENSED_WEIGHT: f64 = 0.85;

/// The relation a pair's scores indicate, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The same text, give or take a few words.
    Duplicate,
    /// Mostly the same text both ways, with edits.
    NearDuplicate,
    /// Most of DERIVED comes from SOURCE, passage by passage (copied or
    /// rewritten).
    Derived,
    /// Consistent with a summary of SOURCE: DERIVED's rare words come from
    /// SOURCE, but no passage was copied or reworded. Another outlet's
    /// independent account of the same event can look the same.
    Summary,
    /// Some of DERIVED comes from SOURCE.
    Partial,
    /// No evidence of copying.
    Unrelated,
}

impl Verdict {
    /// The snake_case name used in output.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Duplicate => "duplicate",
            Verdict::NearDuplicate => "near_duplicate",
            Verdict::Derived => "derived",
            Verdict::Summary => "summary",
            Verdict::Partial => "partial",
            Verdict::Unrelated => "unrelated",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the verdict lines fall. Defaults are calibrated on the labelled data
/// in `../shared/data` (see README, "Calibration").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Raw Jaccard at or above which a pair is a duplicate.
    pub duplicate: f64,
    /// Score, in both directions, at or above which a pair is a near-duplicate.
    pub near_duplicate: f64,
    /// Score at or above which DERIVED is derived from SOURCE.
    pub derived: f64,
    /// Score at or above which DERIVED partly comes from SOURCE.
    pub partial: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            duplicate: 0.9,
            near_duplicate: 0.8,
            derived: 0.35,
            partial: 0.15,
        }
    }
}

impl Thresholds {
    /// The verdict for a pair's one-way `score`, its `reverse_score` (SOURCE
    /// scored against DERIVED) and raw `jaccard`. `aligned` is the part of
    /// `score` backed by passages ([`aligned_score`]): a score that reaches
    /// the `derived` line on condensation alone is a [`Verdict::Summary`].
    pub(crate) fn verdict(
        &self,
        score: f64,
        reverse_score: f64,
        jaccard: f64,
        aligned: f64,
    ) -> Verdict {
        if jaccard >= self.duplicate {
            Verdict::Duplicate
        } else if score >= self.near_duplicate && reverse_score >= self.near_duplicate {
            Verdict::NearDuplicate
        } else if score >= self.derived
            && Direction::of(score, reverse_score) != Direction::SourceFromDerived
        {
            // A summary scored against its source the wrong way round has
            // a high reverse score: the source is not derived from it.
            if aligned >= self.derived {
                Verdict::Derived
            } else {
                Verdict::Summary
            }
        } else if score >= self.partial {
            Verdict::Partial
        } else {
            Verdict::Unrelated
        }
    }

    /// The part of a `score` that counts towards a finding below the
    /// `derived` line: condensation alone is evidence only from that line
    /// up (a [`Verdict::Summary`]); below it, only passages (`aligned`)
    /// count. A lower finding threshold (`check`'s) so catches weak copies
    /// without flagging every text on the same topic.
    pub(crate) fn evidence(&self, score: f64, aligned: f64) -> f64 {
        if score >= self.derived {
            score
        } else {
            aligned.min(score)
        }
    }

    /// Whether a pair is a finding at `threshold`: its score reaches it and
    /// the copying does not clearly run the other way.
    pub(crate) fn is_finding(
        &self,
        threshold: f64,
        score: f64,
        reverse_score: f64,
        jaccard: f64,
    ) -> bool {
        score >= threshold
            && (Direction::of(score, reverse_score) != Direction::SourceFromDerived
                || self.verdict(score, reverse_score, jaccard, score) <= Verdict::NearDuplicate)
    }
}

/// Which way the copying runs, from the two one-way scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// DERIVED draws on SOURCE more than the other way round.
    DerivedFromSource,
    /// SOURCE draws on DERIVED more than the other way round: the arguments
    /// are probably the wrong way round.
    SourceFromDerived,
    /// Both ways about equally (duplicates, or nothing shared).
    Mutual,
}

impl Direction {
    /// The direction the two one-way scores indicate; within `0.1` of each
    /// other they are mutual.
    pub fn of(score: f64, reverse_score: f64) -> Direction {
        if score > reverse_score + 0.1 {
            Direction::DerivedFromSource
        } else if reverse_score > score + 0.1 {
            Direction::SourceFromDerived
        } else {
            Direction::Mutual
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_figures() {
        let o = Overlap::of(&[1, 2, 3, 4], &[3, 4, 5, 6, 7, 8]);
        assert_eq!(o.shared, 2);
        assert!((o.jaccard() - 0.25).abs() < 1e-12);
        assert!((o.containment() - 0.5).abs() < 1e-12);
        assert!((o.reverse_containment() - 2.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn empty_sets_score_zero() {
        let o = Overlap::of(&[], &[1, 2]);
        assert_eq!(o.jaccard(), 0.0);
        assert_eq!(o.containment(), 0.0);
        assert_eq!(aligned_score(&o, &o, None), 0.0);
        assert_eq!(derivation_score(0.0, condensed_score(0.0)), 0.0);
    }

    #[test]
    fn condensed_evidence_starts_above_the_topic_floor() {
        assert!(condensed_score(0.15) < 0.1);
        assert!((condensed_score(1.0) - CONDENSED_WEIGHT).abs() < 1e-12);
        assert!(condensed_score(0.6) > condensed_score(0.5));
        let share = condensed_share_for(0.35);
        assert!((condensed_score(share) - 0.35).abs() < 1e-12);
    }

    #[test]
    fn verdict_ladder() {
        let t = Thresholds::default();
        assert_eq!(t.verdict(1.0, 1.0, 0.95, 1.0), Verdict::Duplicate);
        assert_eq!(t.verdict(0.9, 0.85, 0.6, 0.9), Verdict::NearDuplicate);
        assert_eq!(t.verdict(0.9, 0.3, 0.1, 0.9), Verdict::Derived);
        // Only condensation: consistent with a summary, not "copied".
        assert_eq!(t.verdict(0.5, 0.1, 0.0, 0.1), Verdict::Summary);
        assert_eq!(t.verdict(0.3, 0.1, 0.0, 0.3), Verdict::Partial);
        // The wrong way round: the source is not derived from its summary.
        assert_eq!(t.verdict(0.4, 0.6, 0.05, 0.4), Verdict::Partial);
        assert!(!t.is_finding(0.35, 0.4, 0.6, 0.05));
        assert!(t.is_finding(0.35, 0.6, 0.4, 0.05));
        assert_eq!(t.verdict(0.05, 0.0, 0.0, 0.05), Verdict::Unrelated);
        // Below the derived line only passages count.
        assert_eq!(t.evidence(0.3, 0.05), 0.05);
        assert_eq!(t.evidence(0.4, 0.05), 0.4);
    }
}
