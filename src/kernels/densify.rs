//! The sketcher's densification with AVX-512: empty bins filled from their
//! probes 64 at a time in byte planes, and the SSE2 scan for empty slots.
//! Only on x86-64.

use std::arch::x86_64::__m512i;

use super::EMPTY_SLOT;

/// Proof that this processor runs the kernel (AVX-512 F, BW and VBMI):
/// only [`Kernels::get`](super::Kernels::get) makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DensifyKernels(pub(super) ());

impl DensifyKernels {
    /// Fills the empty slots of `mins` (at most 256) from their probes in
    /// `table`; `deep_probe` gives the value of a bin still empty after
    /// them. Leaves `mins` as it is when no bin, or every bin, is empty.
    pub(crate) fn densify(
        self,
        table: &PlaneProbes,
        mins: &mut [u32],
        deep_probe: impl Fn(&[u32; 256], usize) -> u32,
    ) {
        // SAFETY: a `DensifyKernels` exists only where `Kernels::get`
        // found the features the functions are compiled for.
        unsafe {
            if table.blocks <= 2 {
                densify_planes::<2>(table, mins, deep_probe);
            } else {
                densify_planes::<4>(table, mins, deep_probe);
            }
        }
    }
}

/// Bins of one byte-plane block: the lanes of one AVX-512 byte vector.
pub(crate) const PLANE_BLOCK: usize = 64;

/// Position of bin `bin` in the byte planes of
/// the kernel, and (the map is its own inverse) the
/// bin at a position: in each block of 64 bins, bin `64c + 16q + 4l + i`
/// (`q`, `l`, `i` < 4) sits at `64c + 16l + 4q + i`. That is the order in
/// which in-lane byte shuffles and 32/64-bit unpacks turn four vectors of
/// 16 slots into four byte planes, and 8/16-bit unpacks turn them back.
pub(crate) fn plane_position(bin: usize) -> usize {
    (bin & !63) | ((bin >> 2) & 3) << 4 | ((bin >> 4) & 3) << 2 | (bin & 3)
}

/// The first probes of every bin for `num_perm <= 256` (the sketcher's
/// table, 4 probes a row), laid out for the kernel:
/// lane `x` of block `c` is the bin at plane position `64c + x`, and its
/// probes are given as plane positions too (below 256, so bytes).
#[derive(Debug, Clone)]
pub(crate) struct PlaneProbes {
    /// Blocks of 64 bins, `ceil(num_perm / 64)`: 1 to 4.
    pub(crate) blocks: usize,
    /// Bit `x` of `valid[c]`: position `64c + x` holds a bin below
    /// `num_perm` (the others are padding).
    pub(crate) valid: [u64; 4],
    /// `rows[c][r][d][x]`: the plane position of attempt `4r + d + 1` of
    /// the bin at position `64c + x` (0 for padding).
    pub(crate) rows: [Vec<[[u8; PLANE_BLOCK]; 4]>; 4],
}

/// Densification of up to 256 slots with AVX-512, 64 bins at a time: the
/// same slots as the sketcher's scalar densification.
///
/// The slots are split into four byte planes (byte `j` of every slot,
/// bins in [`plane_position`] order) of two or four registers each, so
/// one `VPERMI2B` reads byte `j` of the bins probed by 64 lanes at
/// once (a byte indexes 128 bytes; for `num_perm > 128`, a blend on
/// the index's top bit picks between two such lookups). A lane's bin
/// is empty when its four bytes are all `0xFF` ([`EMPTY_SLOT`]). For
/// each block of 64 bins, the empty ones (a mask) take the looked-up
/// values of their probes in probe order, four probes a row, each by
/// a masked byte blend; only bins still empty after a row go on to the
/// next (about one bin in 500 at the median Reuters fill). Values are
/// read from the planes of the original slots only. Bins still empty
/// after [`SMALL_PROBE_DEPTH`] probes (documents of a shingle or two)
/// compute their next probes as the scalar path does.
///
///
/// For up to `64 * B` bins (`B` is 2 or 4 registers per byte plane):
/// `mins` has at most that many slots; `deep_probe` gives the value of a
/// bin still empty after the table's probes.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn densify_planes<const B: usize>(
    table: &PlaneProbes,
    mins: &mut [u32],
    deep_probe: impl Fn(&[u32; 256], usize) -> u32,
) {
    use std::arch::x86_64::*;
    let k = mins.len();
    // values[b]: the four byte planes of block b's slots as densified so
    // far (all EMPTY_SLOT bytes past the end); pending[b]: its bins still
    // empty (none past the end). Every loop runs to the constant B, so
    // that the registers are not indexed at run time.
    let mut values: [[__m512i; 4]; B] = std::array::from_fn(|b| block_planes(mins, b));
    let mut pending: [u64; B] = std::array::from_fn(|b| {
        let valid = table.valid.get(b).copied().unwrap_or(0);
        values.get(b).map_or(0, |v| all_empty(v) & valid)
    });
    // planes[j][b]: byte j of the original slots of block b, read by the
    // lookups.
    let planes: [[__m512i; B]; 4] = std::array::from_fn(|j| {
        std::array::from_fn(|b| {
            values
                .get(b)
                .and_then(|v| v.get(j))
                .copied()
                .unwrap_or(_mm512_set1_epi8(-1))
        })
    });
    // No bin empty, or none filled to copy from: nothing to do.
    let some_empty = pending.iter().fold(0, |any, &p| any | p);
    let valid = table.valid.iter().chain(std::iter::repeat(&0));
    let some_filled = pending
        .iter()
        .zip(valid)
        .fold(0, |any, (&p, &v)| any | (p ^ v));
    if some_empty == 0 || some_filled == 0 {
        return;
    }
    // The first row of probes for every block, then further rows for the
    // blocks with bins still empty.
    let mut left = 0u64;
    for ((values, pending), rows) in values.iter_mut().zip(&mut pending).zip(&table.rows) {
        if let Some(row) = rows.first() {
            probe_row::<B>(&planes, row, values, pending);
        }
        left |= *pending;
    }
    let mut row = 1;
    let depth = table.rows.iter().map(Vec::len).max().unwrap_or(0);
    while left != 0 && row < depth {
        left = 0;
        for ((values, pending), rows) in values.iter_mut().zip(&mut pending).zip(&table.rows) {
            if *pending != 0 {
                if let Some(probes) = rows.get(row) {
                    probe_row::<B>(&planes, probes, values, pending);
                }
                left |= *pending;
            }
        }
        row += 1;
    }
    // Bins still empty past the table read the original slots: keep them.
    let original = (left != 0).then(|| {
        let mut original = [EMPTY_SLOT; 256];
        for (o, &m) in original.iter_mut().zip(mins.iter()) {
            *o = m;
        }
        original
    });
    for (b, values) in values.iter().enumerate() {
        let start = PLANE_BLOCK * b;
        if start >= k {
            break;
        }
        // A whole block is written in place, the last one through a copy.
        match mins.get_mut(start..start + PLANE_BLOCK) {
            Some(block) => {
                if let Ok(block) = <&mut [u32; PLANE_BLOCK]>::try_from(block) {
                    from_planes(values, block);
                }
            }
            None => {
                let mut slots = [EMPTY_SLOT; PLANE_BLOCK];
                from_planes(values, &mut slots);
                let tail = mins.get_mut(start..).unwrap_or_default();
                for (m, &s) in tail.iter_mut().zip(&slots) {
                    *m = s;
                }
            }
        }
    }
    let Some(original) = original else {
        return;
    };
    // Beyond the table (documents of a shingle or two): compute probes.
    for (b, &bits) in pending.iter().enumerate() {
        let mut bits = bits;
        while bits != 0 {
            let bin = plane_position(PLANE_BLOCK * b + bits.trailing_zeros() as usize);
            bits &= bits - 1;
            let value = deep_probe(&original, bin);
            if let Some(slot) = mins.get_mut(bin) {
                *slot = value;
            }
        }
    }
}

/// The four byte planes ([`to_planes`]) of block `b` of `mins` (slots
/// `64b..64b + 64`), the slots past the end read as [`EMPTY_SLOT`].
#[target_feature(enable = "avx512f,avx512bw")]
fn block_planes(mins: &[u32], b: usize) -> [__m512i; 4] {
    let start = PLANE_BLOCK * b;
    // A whole block is read in place, a partial one through a padded copy.
    let mut padded = [EMPTY_SLOT; PLANE_BLOCK];
    let block = match mins.get(start..start + PLANE_BLOCK) {
        Some(block) => block,
        None => {
            let tail = mins.get(start..).unwrap_or_default();
            for (p, &m) in padded.iter_mut().zip(tail) {
                *p = m;
            }
            &padded
        }
    };
    match <&[u32; PLANE_BLOCK]>::try_from(block) {
        Ok(block) => to_planes(block),
        Err(_) => [std::arch::x86_64::_mm512_set1_epi8(-1); 4],
    }
}

/// One row of four probes for the 64 bins of a block: each bin of
/// `pending` takes, in probe order, the value of the first probed bin
/// that is filled (masked byte blends into the four planes of `values`)
/// and leaves `pending`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn probe_row<const B: usize>(
    planes: &[[__m512i; B]; 4],
    row: &[[u8; PLANE_BLOCK]; 4],
    values: &mut [__m512i; 4],
    pending: &mut u64,
) {
    use std::arch::x86_64::*;
    for probes in row {
        // SAFETY: `probes` is 64 readable bytes; `_mm512_loadu_si512` has
        // no alignment requirement.
        let index = unsafe { _mm512_loadu_si512(probes.as_ptr().cast()) };
        let found = lookup::<B>(planes, index);
        let empty = all_empty(&found);
        let take = *pending & !empty;
        for (value, found) in values.iter_mut().zip(found) {
            *value = _mm512_mask_mov_epi8(*value, take, found);
        }
        *pending &= empty;
    }
}

/// The four planes of the bins at the plane positions in the bytes of
/// `index`: one `VPERMI2B` per plane of two registers (128 positions), two
/// and a blend on the index's top bit per plane of four (256).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn lookup<const B: usize>(planes: &[[__m512i; B]; 4], index: __m512i) -> [__m512i; 4] {
    use std::arch::x86_64::*;
    let high = _mm512_movepi8_mask(index);
    planes.map(|plane| match plane.as_slice() {
        [p0, p1, p2, p3] => _mm512_mask_mov_epi8(
            _mm512_permutex2var_epi8(*p0, index, *p1),
            high,
            _mm512_permutex2var_epi8(*p2, index, *p3),
        ),
        [p0, p1, ..] => _mm512_permutex2var_epi8(*p0, index, *p1),
        _ => _mm512_set1_epi8(-1),
    })
}

/// Bit `x` set for every lane `x` whose four plane bytes are all `0xFF`:
/// an [`EMPTY_SLOT`].
#[target_feature(enable = "avx512f,avx512bw")]
fn all_empty(planes: &[__m512i; 4]) -> u64 {
    use std::arch::x86_64::*;
    let [p0, p1, p2, p3] = *planes;
    // 0x80: the AND of the three inputs.
    let three = _mm512_ternarylogic_epi32::<0x80>(p0, p1, p2);
    _mm512_cmpeq_epi8_mask(_mm512_and_si512(three, p3), _mm512_set1_epi8(-1))
}

/// The four byte planes of 64 slots, bins in [`plane_position`] order:
/// byte `j` of slot `16q + 4l + i` goes to byte `16l + 4q + i` of plane
/// `j`. An in-lane byte shuffle gathers each slot quartet's bytes by
/// plane; 32- and 64-bit unpacks transpose the quartets across the four
/// vectors.
#[target_feature(enable = "avx512f,avx512bw")]
fn to_planes(slots: &[u32; PLANE_BLOCK]) -> [__m512i; 4] {
    use std::arch::x86_64::*;
    // Byte 4j + i of each 128-bit lane from byte 4i + j.
    let by_plane = _mm512_set4_epi32(0x0f0b_0703, 0x0e0a_0602, 0x0d09_0501, 0x0c08_0400);
    let s: [__m512i; 4] = std::array::from_fn(|q| {
        // SAFETY: slots 16q..16q + 16 of the 64 are 64 readable bytes;
        // `_mm512_loadu_si512` has no alignment requirement.
        let v = unsafe { _mm512_loadu_si512(slots.as_ptr().add(16 * q).cast()) };
        _mm512_shuffle_epi8(v, by_plane)
    });
    let t0 = _mm512_unpacklo_epi32(s[0], s[1]);
    let t1 = _mm512_unpackhi_epi32(s[0], s[1]);
    let t2 = _mm512_unpacklo_epi32(s[2], s[3]);
    let t3 = _mm512_unpackhi_epi32(s[2], s[3]);
    [
        _mm512_unpacklo_epi64(t0, t2),
        _mm512_unpackhi_epi64(t0, t2),
        _mm512_unpacklo_epi64(t1, t3),
        _mm512_unpackhi_epi64(t1, t3),
    ]
}

/// The 64 slots of four byte planes, the inverse of [`to_planes`]:
/// interleaving planes 0 and 1, 2 and 3 byte by byte, then the two
/// results word by word, gives slots in bin order.
#[target_feature(enable = "avx512f,avx512bw")]
fn from_planes(planes: &[__m512i; 4], slots: &mut [u32; PLANE_BLOCK]) {
    use std::arch::x86_64::*;
    let [p0, p1, p2, p3] = *planes;
    let low01 = _mm512_unpacklo_epi8(p0, p1);
    let high01 = _mm512_unpackhi_epi8(p0, p1);
    let low23 = _mm512_unpacklo_epi8(p2, p3);
    let high23 = _mm512_unpackhi_epi8(p2, p3);
    let out = [
        _mm512_unpacklo_epi16(low01, low23),
        _mm512_unpackhi_epi16(low01, low23),
        _mm512_unpacklo_epi16(high01, high23),
        _mm512_unpackhi_epi16(high01, high23),
    ];
    for (q, v) in out.into_iter().enumerate() {
        // SAFETY: slots 16q..16q + 16 of the 64 are 64 writable bytes;
        // `_mm512_storeu_si512` has no alignment requirement.
        unsafe { _mm512_storeu_si512(slots.as_mut_ptr().add(16 * q).cast(), v) };
    }
}

/// Bit `b` set for every `chunk[b] == EMPTY` of 64 slots, four per SSE2
/// compare and move-mask (SSE2 is in every x86-64 processor).
#[inline]
pub(crate) fn empty_mask64(chunk: &[u32; 64]) -> u64 {
    use std::arch::x86_64::*;
    let mut bits = 0u64;
    for (k, four) in chunk.chunks_exact(4).enumerate() {
        // SAFETY: `four` is 16 readable bytes; `_mm_loadu_si128` has no
        // alignment requirement; SSE2 is always enabled on x86_64.
        let mask = unsafe {
            let v = _mm_loadu_si128(four.as_ptr().cast::<__m128i>());
            let eq = _mm_cmpeq_epi32(v, _mm_set1_epi32(-1));
            _mm_movemask_ps(_mm_castsi128_ps(eq))
        };
        bits |= u64::from(mask as u32 & 0xf) << (4 * k);
    }
    bits
}
