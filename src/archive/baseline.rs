//! A baseline: findings accepted once, so that a CI run fails only on new
//! ones (`lineage check --baseline`, `--write-baseline`).

use serde::{Deserialize, Serialize};

use crate::archive::check::Finding;

/// One accepted finding in a baseline file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Accepted {
    /// DERIVED's id.
    pub derived: String,
    /// SOURCE's id.
    pub source: String,
}

impl Accepted {
    /// The baseline entry that accepts `f`.
    pub fn of(f: &Finding) -> Accepted {
        Accepted {
            derived: f.report.derived.clone(),
            source: f.report.source.clone(),
        }
    }
}
