//! Stage 7: how results are rendered.
//!
//! [`human`] renders a [`PairReport`](crate::compare::PairReport), the
//! result of scoring one pair, as text for a person and [`json`] as one JSON
//! object per line for programs.
//! The results of `lineage check` also render for CI: [`sarif`] (code
//! scanning), [`junit`] (test reports) and [`github`] (Actions
//! annotations), with what they share in `ci`. [`html`] renders either
//! as one self-contained page with the texts side by side. Renderers write into a
//! `String`; the binary decides where it goes.

pub mod check;
pub(crate) mod ci;
pub mod dedup;
pub mod eval;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
