//! JSON rendering: one object per line (JSON Lines).
//!
//! Each line is a flat object whose `type` field says what it is (`pair`),
//! followed by the fields of [`PairReport`], so `jq '.score'` works directly.

use serde::Serialize;

use crate::report::PairReport;

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    data: &'a T,
}

/// Renders one pair report as a single JSON line, ending with a newline.
pub fn render_pair(r: &PairReport) -> String {
    let mut line = serde_json::to_string(&Tagged {
        kind: "pair",
        data: r,
    })
    .unwrap_or_else(|e| format!("{{\"type\":\"error\",\"message\":\"{e}\"}}"));
    line.push('\n');
    line
}

/// Renders a multi-source attribution as a single JSON line.
pub fn render_attribution(a: &crate::pipeline::Attribution) -> String {
    let mut line = serde_json::to_string(&Tagged {
        kind: "attribution",
        data: a,
    })
    .unwrap_or_else(|e| format!("{{\"type\":\"error\",\"message\":\"{e}\"}}"));
    line.push('\n');
    line
}

/// Renders an evaluation as a single JSON line.
pub fn render_evaluation(e: &crate::eval::Evaluation) -> String {
    let mut line = serde_json::to_string(&Tagged {
        kind: "evaluation",
        data: e,
    })
    .unwrap_or_else(|e| format!("{{\"type\":\"error\",\"message\":\"{e}\"}}"));
    line.push('\n');
    line
}
