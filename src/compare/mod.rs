//! Stage 6: verify a pair, comparing two texts.
//!
//! - [`score`]: exact Jaccard, one-way containment, the derivation score and
//!   a verdict.
//! - [`align`]: the passages behind the score (verbatim, reworded,
//!   condensed, quoted), with byte ranges into both texts.
//! - `condense`: the evidence a summary leaves, its rare words weighted by
//!   [`rarity`], the background model of word rarity.

pub mod align;
mod attribute;
pub(crate) mod condense;
mod config;
mod fingerprint;
mod pair;
pub mod rarity;
pub mod score;

pub use attribute::{attribute, Attribution, SourceShare};
pub use config::Config;
pub use fingerprint::Fingerprint;
pub use pair::{compare, PairReport};
