//! [`Config`]: everything that changes the result of a comparison, with
//! its defaults, recorded in every report.

use serde::Serialize;

use crate::compare::align::AlignParams;
use crate::compare::condense::CondenseParams;
use crate::compare::rarity::RarityTable;
use crate::compare::score::Thresholds;
use crate::error::{Error, Result};
use crate::sketch::SketchParams;
use crate::text::shingle::ShingleParams;

/// Everything that changes a result. Recorded in every report.
///
/// # Examples
///
/// ```
/// use lineage::Config;
///
/// let config = Config { threshold: 0.5, ..Config::default() };
/// config.validate()?;
/// assert_eq!(config.sketch_params().num_perm, config.num_perm);
/// assert!(Config { threshold: 1.5, ..Config::default() }.validate().is_err());
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Config {
    /// Shingle sizes and seed.
    pub shingle: ShingleParams,
    /// MinHash slots per signature.
    pub num_perm: usize,
    /// Verdict thresholds.
    pub thresholds: Thresholds,
    /// Score at or above which a pair is a finding (exit code 1).
    pub threshold: f64,
    /// Passage alignment parameters.
    pub align: AlignParams,
    /// Condensation parameters.
    pub condense: CondenseParams,
    /// The background model of word rarity (`--weights`).
    pub rarity: RarityTable,
    /// Count quotations both texts contain towards the score
    /// (`--count-quotes`); by default they are reported as `quote` passages
    /// and left out.
    pub count_quotes: bool,
}

impl Default for Config {
    fn default() -> Self {
        let thresholds = Thresholds::default();
        Config {
            shingle: ShingleParams::default(),
            num_perm: SketchParams::default().num_perm,
            threshold: thresholds.derived,
            thresholds,
            align: AlignParams::default(),
            condense: CondenseParams::default(),
            rarity: RarityTable::default(),
            count_quotes: false,
        }
    }
}

impl Config {
    /// The MinHash parameters this configuration implies.
    pub fn sketch_params(&self) -> SketchParams {
        SketchParams {
            num_perm: self.num_perm,
            shingle_size: self.shingle.raw_size,
            seed: self.shingle.seed,
            ..SketchParams::default()
        }
    }

    /// Checks every parameter.
    pub fn validate(&self) -> Result<()> {
        self.shingle.validate()?;
        self.sketch_params().validate()?;
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(Error::InvalidParam(format!(
                "threshold must be between 0 and 1, got {}",
                self.threshold
            )));
        }
        Ok(())
    }
}
