//! Every hash and every SIMD kernel, on plain slices.
//!
//! The stages above say what they compute; the code here says how fast.
//! [`hash`] holds the hashes every stage shares (the word hash, the
//! shingle combine, MurmurHash3's finaliser) with their scalar loops;
//! `words` their AVX-512 twins, run only behind a `Kernels` token that
//! proves the processor has the features; [`ascii`] the byte scans.

pub(crate) mod ascii;
pub(crate) mod bands;
#[cfg(target_arch = "x86_64")]
pub(crate) mod densify;
pub mod hash;
mod words;

#[cfg(target_arch = "x86_64")]
pub(crate) use words::imp::fmix64_lanes;
pub(crate) use words::imp::Kernels;

/// Value of a MinHash bin no shingle fell into (before densification) and
/// of every slot of an empty document (re-exported as
/// `sketch::EMPTY_SLOT`).
pub(crate) const EMPTY_SLOT: u32 = u32::MAX;
