//! Every hash and every SIMD kernel, on plain slices.
//!
//! The stages above say what they compute; the code here says how fast.
//! [`hash`] holds the hashes every stage shares (the word hash, the
//! shingle combine, MurmurHash3's finaliser) with their scalar loops;
//! `words` their AVX-512 twins; `ascii` the byte scans; `bands` the
//! band keys; `densify` the sketcher's densification.
//!
//! Every AVX-512 kernel runs only behind the one `Kernels` token of
//! [`cpu`], which detects the processor's features once and proves it has
//! them. Set `LINEAGE_PORTABLE=1` to run the portable code only (same
//! results, slower; see [`cpu`]).

pub(crate) mod ascii;
pub(crate) mod bands;
pub mod cpu;
#[cfg(target_arch = "x86_64")]
pub(crate) mod densify;
pub mod hash;
mod words;

pub use cpu::portable;
pub(crate) use cpu::Kernels;
#[cfg(target_arch = "x86_64")]
pub(crate) use words::imp::fmix64_lanes;

/// Value of a MinHash bin no shingle fell into (before densification) and
/// of every slot of an empty document (re-exported as
/// `sketch::EMPTY_SLOT`).
pub(crate) const EMPTY_SLOT: u32 = u32::MAX;
