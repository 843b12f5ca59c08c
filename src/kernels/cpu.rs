//! `Kernels`: which SIMD kernels this processor runs, detected once.
//!
//! In: the processor's features (`is_x86_feature_detected!`, the only
//! place lineage asks) and the `LINEAGE_PORTABLE` environment variable.
//! Out: one token, copied to every stage that has a kernel. Each of its
//! parts proves that the processor runs one family of kernels; none can
//! be made outside this module's detection, so the kernels' `unsafe`
//! calls rest on it.
//!
//! Every kernel gives the same result as its portable twin, so the
//! switch changes only the speed: `LINEAGE_PORTABLE=1` (any value but
//! empty or `0`), set before the first document is processed, runs the
//! portable code only. Tests compare the two paths with
//! `Kernels::PORTABLE` against `Kernels::get()`.

use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
use super::ascii::avx512::AsciiKernels;
use super::bands::BandKernels;
#[cfg(target_arch = "x86_64")]
use super::densify::DensifyKernels;
use super::words::imp::WordKernels;

/// The environment variable that turns every kernel off.
pub const PORTABLE_ENV: &str = "LINEAGE_PORTABLE";

/// The kernels this processor runs (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kernels {
    /// The word hash and the five-word combine (AVX-512 F, DQ, BW).
    words: Option<WordKernels>,
    /// The band keys (AVX-512 F, DQ).
    bands: Option<BandKernels>,
    /// The ASCII word finder (AVX-512 F, BW, VBMI2).
    #[cfg(target_arch = "x86_64")]
    ascii: Option<AsciiKernels>,
    /// The sketcher's densification (AVX-512 F, BW, VBMI).
    #[cfg(target_arch = "x86_64")]
    densify: Option<DensifyKernels>,
}

impl Kernels {
    /// No kernel: the portable code everywhere.
    pub(crate) const PORTABLE: Kernels = Kernels {
        words: None,
        bands: None,
        #[cfg(target_arch = "x86_64")]
        ascii: None,
        #[cfg(target_arch = "x86_64")]
        densify: None,
    };

    /// The kernels of this processor, detected on the first call, or
    /// [`Kernels::PORTABLE`] when `LINEAGE_PORTABLE` asks for it.
    pub(crate) fn get() -> Kernels {
        static DETECTED: OnceLock<Kernels> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            if portable_requested() {
                Kernels::PORTABLE
            } else {
                Kernels::detect()
            }
        })
    }

    /// The kernels whose features this processor has.
    #[cfg(target_arch = "x86_64")]
    fn detect() -> Kernels {
        let f = is_x86_feature_detected!("avx512f");
        let bw = f && is_x86_feature_detected!("avx512bw");
        let dq = f && is_x86_feature_detected!("avx512dq");
        let vbmi = bw && is_x86_feature_detected!("avx512vbmi");
        let vbmi2 = bw && is_x86_feature_detected!("avx512vbmi2");
        Kernels {
            words: (dq && bw).then_some(WordKernels(())),
            bands: dq.then_some(BandKernels(())),
            ascii: vbmi2.then_some(AsciiKernels(())),
            densify: vbmi.then_some(DensifyKernels(())),
        }
    }

    /// Without x86-64, no kernel.
    #[cfg(not(target_arch = "x86_64"))]
    fn detect() -> Kernels {
        Kernels::PORTABLE
    }

    /// The word hash and five-word combine kernels, if this processor runs them.
    pub(crate) fn words(self) -> Option<WordKernels> {
        self.words
    }

    /// The band key kernel, if this processor runs it.
    pub(crate) fn bands(self) -> Option<BandKernels> {
        self.bands
    }

    /// The ASCII word finder kernels, if this processor runs them.
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn ascii(self) -> Option<AsciiKernels> {
        self.ascii
    }

    /// The densification kernel, if this processor runs it.
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn densify(self) -> Option<DensifyKernels> {
        self.densify
    }
}

/// Whether `LINEAGE_PORTABLE` is set to something other than empty or `0`.
fn portable_requested() -> bool {
    std::env::var_os(PORTABLE_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether the kernels are off (`LINEAGE_PORTABLE`), or the processor has
/// none of them: then every stage runs its portable code. The results are
/// the same either way.
///
/// # Examples
///
/// ```
/// // `LINEAGE_PORTABLE=1 lineage sketch ...` writes the same file, slower.
/// let _portable: bool = lineage::kernels::portable();
/// ```
pub fn portable() -> bool {
    Kernels::get() == Kernels::PORTABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_happens_once() {
        assert_eq!(Kernels::get(), Kernels::get());
        assert_eq!(Kernels::PORTABLE.words(), None);
        assert_eq!(Kernels::PORTABLE.bands(), None);
    }
}
