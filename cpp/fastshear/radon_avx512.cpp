// The Radon transform's AVX-512 kernels and their drivers (Radon2D's *_avx512 members), compiled
// with target attributes (infra/isa.hpp) and run when isa::best() is avx512 (Radon2D::par_vec,
// fan_vec; radon.cpp dispatches). Parallel beam with unit bins: gathers through in-register
// permutes; footprints narrower than heuristics::kRadonMaxVectorFootprint bins (fan beam, other
// spacings): 3- to 6-tap gathers (the taps a footprint of its width can overlap). Empty off x86-64.
#include "fastshear/infra/isa.hpp"
#include "fastshear/radon.hpp"

#if FASTSHEAR_ISA_X86
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "fastshear/infra/heuristics.hpp"
#include "fastshear/infra/memory.hpp"
#include "fastshear/infra/parallel.hpp"

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized (and, in the unpacks and shuffles of
// transpose_block, -Wuninitialized) on their own _mm512_undefined_* values.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#define FS_AVX512 FASTSHEAR_TARGET_AVX512

namespace fastshear {

namespace {

// ---- AVX-512 kernels for parallel beam with unit detector bins (the hat kernel) ----
struct simd_f32 {
    using T = float;
    using V = __m512;
    using I = __m512i;
    using M = __mmask16;
    static constexpr int L = 16;
    static constexpr int WOF = 24;  // window offset of the forward gather for negative steps
    FS_AVX512 static inline V set1(T a) { return _mm512_set1_ps(a); }
    FS_AVX512 static inline V zero() { return _mm512_setzero_ps(); }
    FS_AVX512 static inline V lanes() { return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
    FS_AVX512 static inline V load(const T* p) { return _mm512_loadu_ps(p); }
    FS_AVX512 static inline void store(T* p, V v) { _mm512_storeu_ps(p, v); }
    FS_AVX512 static inline void store_n(T* p, V v, int n) {
        _mm512_mask_storeu_ps(p, static_cast<M>((n >= L) ? 0xFFFFu : ((1u << n) - 1u)), v);
    }
    FS_AVX512 static inline V floor(V v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
    FS_AVX512 static inline I to_int(V v) { return _mm512_cvttps_epi32(v); }
    FS_AVX512 static inline I iadd(I a, int b) { return _mm512_add_epi32(a, _mm512_set1_epi32(b)); }
    FS_AVX512 static inline V perm(V lo, I idx, V hi) { return _mm512_permutex2var_ps(lo, idx, hi); }
    FS_AVX512 static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    FS_AVX512 static inline V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
    FS_AVX512 static inline V add(V a, V b) { return _mm512_add_ps(a, b); }
    FS_AVX512 static inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    FS_AVX512 static inline V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    FS_AVX512 static inline V max(V a, V b) { return _mm512_max_ps(a, b); }
    FS_AVX512 static inline V abs(V a) { return _mm512_abs_ps(a); }
    FS_AVX512 static inline V min(V a, V b) { return _mm512_min_ps(a, b); }
    FS_AVX512 static inline V div(V a, V b) { return _mm512_div_ps(a, b); }
    FS_AVX512 static inline V sqrt(V a) { return _mm512_sqrt_ps(a); }
    FS_AVX512 static inline V ceil(V v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
    FS_AVX512 static inline V gather(const T* base, I idx) { return _mm512_i32gather_ps(idx, base, 4); }
    FS_AVX512 static inline V load_n(const T* p, int n) {
        return _mm512_maskz_loadu_ps(static_cast<M>((n >= L) ? 0xFFFFu : ((1u << n) - 1u)), p);
    }
    FS_AVX512 static inline int first(I v) { return _mm_cvtsi128_si32(_mm512_castsi512_si128(v)); }
    FS_AVX512 static inline int last(I v) { return _mm_extract_epi32(_mm512_extracti32x4_epi32(v, 3), 3); }
    using IE = int;  // an index lane
    FS_AVX512 static inline I load_i(const IE* p) { return _mm512_loadu_si512(p); }
    FS_AVX512 static inline M cmp_ge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
    FS_AVX512 static inline V mask_add(V a, M m, V b) { return _mm512_mask_add_ps(a, m, a, b); }
    FS_AVX512 static inline I mask_inc(I a, M m) { return _mm512_mask_add_epi32(a, m, a, _mm512_set1_epi32(1)); }
    using IS = __m512i;  // 32-bit lane indices for stores
    FS_AVX512 static inline void store_idx(int* p, I v) { _mm512_storeu_si512(p, v); }
};

struct simd_f64 {
    using T = double;
    using V = __m512d;
    using I = __m512i;
    using M = __mmask8;
    static constexpr int L = 8;
    static constexpr int WOF = 10;
    FS_AVX512 static inline V set1(T a) { return _mm512_set1_pd(a); }
    FS_AVX512 static inline V zero() { return _mm512_setzero_pd(); }
    FS_AVX512 static inline V lanes() { return _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7); }
    FS_AVX512 static inline V load(const T* p) { return _mm512_loadu_pd(p); }
    FS_AVX512 static inline void store(T* p, V v) { _mm512_storeu_pd(p, v); }
    FS_AVX512 static inline void store_n(T* p, V v, int n) {
        _mm512_mask_storeu_pd(p, static_cast<M>((n >= L) ? 0xFFu : ((1u << n) - 1u)), v);
    }
    FS_AVX512 static inline V floor(V v) { return _mm512_roundscale_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
    FS_AVX512 static inline I to_int(V v) { return _mm512_cvtepi32_epi64(_mm512_cvttpd_epi32(v)); }
    FS_AVX512 static inline I iadd(I a, int b) { return _mm512_add_epi64(a, _mm512_set1_epi64(b)); }
    FS_AVX512 static inline V perm(V lo, I idx, V hi) { return _mm512_permutex2var_pd(lo, idx, hi); }
    FS_AVX512 static inline V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    FS_AVX512 static inline V fnma(V a, V b, V c) { return _mm512_fnmadd_pd(a, b, c); }
    FS_AVX512 static inline V add(V a, V b) { return _mm512_add_pd(a, b); }
    FS_AVX512 static inline V mul(V a, V b) { return _mm512_mul_pd(a, b); }
    FS_AVX512 static inline V sub(V a, V b) { return _mm512_sub_pd(a, b); }
    FS_AVX512 static inline V max(V a, V b) { return _mm512_max_pd(a, b); }
    FS_AVX512 static inline V abs(V a) { return _mm512_abs_pd(a); }
    FS_AVX512 static inline V min(V a, V b) { return _mm512_min_pd(a, b); }
    FS_AVX512 static inline V div(V a, V b) { return _mm512_div_pd(a, b); }
    FS_AVX512 static inline V sqrt(V a) { return _mm512_sqrt_pd(a); }
    FS_AVX512 static inline V ceil(V v) { return _mm512_roundscale_pd(v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
    FS_AVX512 static inline V gather(const T* base, I idx) { return _mm512_i64gather_pd(idx, base, 8); }
    FS_AVX512 static inline V load_n(const T* p, int n) {
        return _mm512_maskz_loadu_pd(static_cast<M>((n >= L) ? 0xFFu : ((1u << n) - 1u)), p);
    }
    using IE = long long;
    FS_AVX512 static inline I load_i(const IE* p) { return _mm512_loadu_si512(p); }
    FS_AVX512 static inline M cmp_ge(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
    FS_AVX512 static inline V mask_add(V a, M m, V b) { return _mm512_mask_add_pd(a, m, a, b); }
    FS_AVX512 static inline I mask_inc(I a, M m) { return _mm512_mask_add_epi64(a, m, a, _mm512_set1_epi64(1)); }
    FS_AVX512 static inline void store_idx(int* p, I v) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi64_epi32(v));
    }
    FS_AVX512 static inline int first(I v) { return static_cast<int>(_mm_cvtsi128_si64(_mm512_castsi512_si128(v))); }
    FS_AVX512 static inline int last(I v) {
        return static_cast<int>(_mm_extract_epi64(_mm512_extracti32x4_epi32(v, 3), 1));
    }
};

template <typename T> struct simd_of;
template <> struct simd_of<float> {
    using type = simd_f32;
};
template <> struct simd_of<double> {
    using type = simd_f64;
};

// out_i[q] = (int)floor(v_q) + ioff, out_f[q] = v_q - floor(v_q), v_q = a0[q] + a1[q] * t (a0[q] + t when
// a1 is null, start + q * step when a0 is null too): the per-chunk scalar set-up of the kernels below, 8 at
// a time.
template <typename T>
FS_AVX512 inline void split_floor(int n, const double* a0, const double* a1, double t, double start, double step,
                                  const int* ioff, int ioff_c, int* out_i, T* out_f) {
    int q = 0;
    const __m512d vt = _mm512_set1_pd(t);
    for (; q + 8 <= n; q += 8) {
        __m512d v;
        if (a1)
            v = _mm512_fmadd_pd(_mm512_loadu_pd(a1 + q), vt, _mm512_loadu_pd(a0 + q));
        else if (a0)
            v = _mm512_add_pd(_mm512_loadu_pd(a0 + q), vt);
        else
            v = _mm512_fmadd_pd(_mm512_add_pd(_mm512_set1_pd(q), _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7)),
                                _mm512_set1_pd(step), _mm512_set1_pd(start));
        const __m512d f = _mm512_roundscale_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        __m256i k = _mm512_cvttpd_epi32(f);
        k = _mm256_add_epi32(
            k, ioff ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ioff + q)) : _mm256_set1_epi32(ioff_c));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out_i + q), k);
        const __m512d fr = _mm512_sub_pd(v, f);
        if constexpr (sizeof(T) == 4)
            _mm256_storeu_ps(reinterpret_cast<float*>(out_f + q), _mm512_cvtpd_ps(fr));
        else
            _mm512_storeu_pd(reinterpret_cast<double*>(out_f + q), fr);
    }
    for (; q < n; ++q) {
        const double v = a1 ? a0[q] + a1[q] * t : a0 ? a0[q] + t : start + q * step;
        const double f = std::floor(v);
        out_i[q] = static_cast<int>(f) + (ioff ? ioff[q] : ioff_c);
        out_f[q] = static_cast<T>(v - f);
    }
}

// split_floor's values of one angle for every chunk of a row at once (few angles: vectorised over the
// chunks instead of the angles): v_q = base + c * (jlo + q L), q < nch, out_i[q] = floor(v_q) + ioff,
// out_f[q] = v_q - floor(v_q); the same operations as split_floor's with a1, so the same values.
template <typename T>
FS_AVX512 inline void chunk_floor(int nch, double base, double c, int jlo, int L, int ioff, int* out_i, T* out_f) {
    const __m512d vb = _mm512_set1_pd(base), vc = _mm512_set1_pd(c),
                  step = _mm512_mul_pd(_mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_pd(L));
    for (int q = 0; q < nch; q += 8) {
        const __mmask8 mk = static_cast<__mmask8>(nch - q >= 8 ? 0xFFu : (1u << (nch - q)) - 1u);
        const __m512d j0 = _mm512_add_pd(_mm512_set1_pd(static_cast<double>(jlo) + static_cast<double>(q) * L), step);
        const __m512d v = _mm512_fmadd_pd(vc, j0, vb);
        const __m512d f = _mm512_roundscale_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        const __m512i k = _mm512_add_epi32(_mm512_castsi256_si512(_mm512_cvttpd_epi32(f)), _mm512_set1_epi32(ioff));
        _mm512_mask_storeu_epi32(out_i + q, mk, k);
        const __m512d fr = _mm512_sub_pd(v, f);
        if constexpr (sizeof(T) == 4)
            _mm512_mask_storeu_ps(reinterpret_cast<float*>(out_f + q), mk, _mm512_castps256_ps512(_mm512_cvtpd_ps(fr)));
        else
            _mm512_mask_storeu_pd(reinterpret_cast<double*>(out_f + q), mk, fr);
    }
}

// dst[c * ds + r] = src[r * ss + c] for a block of 16 x 16 floats (8 x 8 doubles), in registers: the
// forward's column copies (a scalar strided copy of the image cost more than the projection at
// few angles).
FS_AVX512 inline void transpose_block(const float* src, size_t ss, float* dst, size_t ds) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ss);
    for (int i = 0; i < 16; i += 2) {  // per 128-bit lane k: (r_i, r_i+1) of columns 4k, 4k+1 | 4k+2, 4k+3
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {  // r[i + q]: rows i .. i+3 of the columns 4k + q in lane k
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // t[h + q]: columns q, q + 8 of rows h .. h + 7; t[h + 4 + q]: columns q + 4, q + 12
    for (int h = 0; h < 16; h += 8)
        for (int q = 0; q < 4; ++q) {
            t[h + q] = _mm512_shuffle_f32x4(r[h + q], r[h + 4 + q], 0x88);
            t[h + 4 + q] = _mm512_shuffle_f32x4(r[h + q], r[h + 4 + q], 0xdd);
        }
    for (int c = 0; c < 8; ++c) {  // column c (c < 8) from t[c] (rows 0-7) and t[c + 8] (rows 8-15)
        _mm512_storeu_ps(dst + c * ds, _mm512_shuffle_f32x4(t[c], t[c + 8], 0x88));
        _mm512_storeu_ps(dst + (c + 8) * ds, _mm512_shuffle_f32x4(t[c], t[c + 8], 0xdd));
    }
}
FS_AVX512 inline void transpose_block(const double* src, size_t ss, double* dst, size_t ds) {
    __m512d r[8], t[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm512_loadu_pd(src + i * ss);
    for (int i = 0; i < 8; i += 2) {  // per 128-bit lane k: (r_i, r_i+1) of column 2k | 2k + 1
        t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {  // r[i]: columns 0, 4; r[i + 1]: 2, 6; r[i + 2]: 1, 5; r[i + 3]: 3, 7
        r[i] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0x88);
        r[i + 1] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0xdd);
        r[i + 2] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0x88);
        r[i + 3] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0xdd);
    }
    constexpr int col[4] = {0, 2, 1, 3};
    for (int q = 0; q < 4; ++q) {
        _mm512_storeu_pd(dst + col[q] * ds, _mm512_shuffle_f64x2(r[q], r[q + 4], 0x88));
        _mm512_storeu_pd(dst + (col[q] + 4) * ds, _mm512_shuffle_f64x2(r[q], r[q + 4], 0xdd));
    }
}

// Adjoint of one image row segment: x[j0 .. j0+n) = sum_a hat-interpolation of the padded
// sinogram rows at u = base[a] + j c[a]. ws[a], fr[a]: per-chunk scratch.
// PRE (few angles): ws, fr hold the values of every chunk already, angle a's at [a * nch, (a + 1) * nch)
// (chunk_floor), instead of being computed per chunk for all angles (split_floor).
template <typename S, bool PRE>
FS_AVX512 void adjoint_row_simd(const typename S::T* sp, size_t W, int na, const double* base, const double* c,
                                const typename S::T* cT, const int* woff, const int* wadj, int jlo, int jhi,
                                typename S::T* xrow, int* ws_, typename S::T* fr_, int nch) {
    using T = typename S::T;
    using V = typename S::V;
    using I = typename S::I;
    constexpr int L = S::L;
    const V lanes = S::lanes();
    for (int j0 = jlo, ch = 0; j0 <= jhi; j0 += L, ++ch) {
        // ws[a * st], fr[a * st]: angle a's window start and fraction for this chunk
        const int st = PRE ? nch : 1;
        const int* ws = PRE ? ws_ + ch : ws_;
        const T* fr = PRE ? fr_ + ch : fr_;
        if (!PRE) split_floor<T>(na, base, c, static_cast<double>(j0), 0, 0, wadj, 0, ws_, fr_);
        V acc0 = S::zero(), acc1 = S::zero();
        int a = 0;
        for (; a + 1 < na; a += 2) {
            {
                const T* row = sp + static_cast<size_t>(a) * W + ws[a * st];
                const V lo = S::load(row), hi = S::load(row + L);
                const V v = S::fma(lanes, S::set1(cT[a]), S::set1(fr[a * st]));
                const V vf = S::floor(v);
                const I idx = S::iadd(S::to_int(vf), woff[a]);
                const V f = S::sub(v, vf);
                const V g0 = S::perm(lo, idx, hi), g1 = S::perm(lo, S::iadd(idx, 1), hi);
                acc0 = S::add(acc0, g0);
                acc0 = S::fma(f, S::sub(g1, g0), acc0);
            }
            {
                const int b = a + 1;
                const T* row = sp + static_cast<size_t>(b) * W + ws[b * st];
                const V lo = S::load(row), hi = S::load(row + L);
                const V v = S::fma(lanes, S::set1(cT[b]), S::set1(fr[b * st]));
                const V vf = S::floor(v);
                const I idx = S::iadd(S::to_int(vf), woff[b]);
                const V f = S::sub(v, vf);
                const V g0 = S::perm(lo, idx, hi), g1 = S::perm(lo, S::iadd(idx, 1), hi);
                acc1 = S::add(acc1, g0);
                acc1 = S::fma(f, S::sub(g1, g0), acc1);
            }
        }
        for (; a < na; ++a) {
            const T* row = sp + static_cast<size_t>(a) * W + ws[a * st];
            const V lo = S::load(row), hi = S::load(row + L);
            const V v = S::fma(lanes, S::set1(cT[a]), S::set1(fr[a * st]));
            const V vf = S::floor(v);
            const I idx = S::iadd(S::to_int(vf), woff[a]);
            const V f = S::sub(v, vf);
            const V g0 = S::perm(lo, idx, hi), g1 = S::perm(lo, S::iadd(idx, 1), hi);
            acc0 = S::add(acc0, g0);
            acc0 = S::fma(f, S::sub(g1, g0), acc0);
        }
        S::store_n(xrow + j0, S::add(acc0, acc1), jhi - j0 + 1);
    }
}

// Forward projection at one angle of the lines [l0, l1) (line l: `lines + l * stride`, its pixels
// zero padded) onto the chunks it0 <= it <= it1 of L bins (k0 = it L) of acc, each line onto the
// chunks [itlo[l], ithi[l]] that its pixels reach:
// acc[k] += sum_l sum_j line_l[j] * max(0, 1 - |U0_l + j cc - k|), |cc| >= 1/sqrt2.
// base[l] = (pad - wof) - r - U0_l / cc (r = 1 / |cc|): chunk k0's window of line l starts at
// jb = floor(base[l] + k0 / cc). Each chunk stays in registers over the block's lines (two sums,
// even and odd lines: the order of the additions depends on the block size only, not on the
// threads); jbs, fracs: scratch for l1 - l0 values.
//
// Bin k0 + q lies at tau_q = frac + r + q / cc + wof pixels from the window's start (frac = base[l]
// + k0 / cc - jb); with q / cc = n_q + g_q (n_q integer, 0 <= g_q < 1), its pixels within r are
// jf, jf + 1, jf + 2, jf = n_q + wof + 1 + m (the first integer above tau_q - r; m = [frac >= 1 - g_q]),
// at h - r, h + 1 - r, h + 2 - r from it, h = 1 + m - g_q - frac in (0, 1]: weights |cc| h,
// 1 - ||cc| h + |cc| - 1| and max(0, 2 - 2 |cc| - |cc| h) (|cc| r = 1).
template <typename S>
FS_AVX512 void forward_block_simd(const typename S::T* lines, size_t stride, int l0, int l1, const int* itlo,
                                  const int* ithi, const double* base, double cc, int it0, int it1, typename S::T* acc,
                                  int* jbs, typename S::T* fracs) {
    using T = typename S::T;
    using V = typename S::V;
    using I = typename S::I;
    using M = typename S::M;
    constexpr int L = S::L;
    const double invc = 1.0 / cc, ac = std::fabs(cc);
    const int wof = cc < 0 ? S::WOF : 0;
    alignas(64) T one_g[L], a_g[L];
    alignas(64) typename S::IE n_q[L];
    for (int q = 0; q < L; ++q) {
        const double v = q * invc, fl = std::floor(v);
        one_g[q] = static_cast<T>(1 - (v - fl));
        a_g[q] = static_cast<T>(ac * (1 - (v - fl)));
        n_q[q] = static_cast<typename S::IE>(fl) + wof + 1;
    }
    const V vone_g = S::load(one_g), va_g = S::load(a_g), vac = S::set1(static_cast<T>(ac));
    const I n0 = S::load_i(n_q);
    const V one = S::set1(T(1)), zero = S::zero(), c1 = S::set1(static_cast<T>(ac - 1)),
            c2 = S::set1(static_cast<T>(2 - 2 * ac));
    const auto step = [&](V& a, int l, const T* f, const int* jb) FS_AVX512 {
        const V fr = S::set1(f[l]);
        const M m = S::cmp_ge(fr, vone_g);
        const V w0 = S::mask_add(S::fnma(fr, vac, va_g), m, vac);
        const V w1 = S::sub(one, S::abs(S::add(w0, c1)));
        const V w2 = S::max(zero, S::sub(c2, w0));
        const T* wp = lines + static_cast<size_t>(l) * stride + jb[l];
        const V lo = S::load(wp), hi = S::load(wp + L);
        const I i0 = S::mask_inc(n0, m);
        a = S::fma(w0, S::perm(lo, i0, hi), a);
        a = S::fma(w1, S::perm(lo, S::iadd(i0, 1), hi), a);
        a = S::fma(w2, S::perm(lo, S::iadd(i0, 2), hi), a);
    };
    const T* f = fracs - l0;  // indexed by line
    const int* jb = jbs - l0;
    for (int it = it0; it <= it1; ++it) {
        const int k0 = it * L;
        // the lines of the block that reach the chunk: [la, lb] less any that do not between
        int la = l0, lb = l1 - 1;
        while (la <= lb && (it < itlo[la] || it > ithi[la])) ++la;
        while (lb > la && (it < itlo[lb] || it > ithi[lb])) --lb;
        if (la > lb) continue;
        split_floor<T>(lb + 1 - la, base + la, nullptr, static_cast<double>(k0) * invc, 0, 0, nullptr, 0,
                       jbs + (la - l0), fracs + (la - l0));
        V a0 = S::load(acc + k0), a1 = S::zero();
        int l = la;
        for (; l < lb; l += 2) {
            if (it >= itlo[l] && it <= ithi[l]) step(a0, l, f, jb);
            if (it >= itlo[l + 1] && it <= ithi[l + 1]) step(a1, l + 1, f, jb);
        }
        if (l == lb) step(a0, l, f, jb);
        S::store(acc + k0, S::add(a0, a1));
    }
}

// The lines of one angle for forward_block_simd: line l < nl (pixels [p0[l], p1[l]], which lie at
// u = U0_l + j cc, U0_l = u0 + l du) reaches the chunks [itlo[l], ithi[l]] of L bins (bins
// floor(min u) .. floor(max u) + 1 within [0, nd); itlo > ithi: none), base[l] = off - U0_l / cc.
template <int L>
FS_AVX512 void forward_lines_setup(int nl, const int* p0, const int* p1, double u0, double du, double cc, int nd,
                                   double off, int* itlo, int* ithi, double* base) {
    const __m512d vu0 = _mm512_set1_pd(u0), vdu = _mm512_set1_pd(du), vcc = _mm512_set1_pd(cc);
    const __m512d vmic = _mm512_set1_pd(-1.0 / cc), voff = _mm512_set1_pd(off),
                  iota = _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512d zero = _mm512_setzero_pd(), vnd = _mm512_set1_pd(nd), two = _mm512_set1_pd(2),
                  one = _mm512_set1_pd(1);
    const __m512d invl = _mm512_set1_pd(1.0 / L);
    constexpr int fl = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
    for (int l = 0; l < nl; l += 8) {
        const __mmask16 mk = static_cast<__mmask16>((1u << std::min(8, nl - l)) - 1u);
        const __m512d a = _mm512_cvtepi32_pd(_mm512_castsi512_si256(_mm512_maskz_loadu_epi32(mk, p0 + l)));
        const __m512d b = _mm512_cvtepi32_pd(_mm512_castsi512_si256(_mm512_maskz_loadu_epi32(mk, p1 + l)));
        const __m512d U0 = _mm512_fmadd_pd(_mm512_add_pd(_mm512_set1_pd(l), iota), vdu, vu0);
        const __m512d ua = _mm512_fmadd_pd(a, vcc, U0), ub = _mm512_fmadd_pd(b, vcc, U0);
        const __m512d ks = _mm512_max_pd(zero, _mm512_roundscale_pd(_mm512_min_pd(ua, ub), fl));
        const __m512d ke = _mm512_min_pd(vnd, _mm512_add_pd(_mm512_roundscale_pd(_mm512_max_pd(ua, ub), fl), two));
        const __mmask8 ok = _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ) & _mm512_cmp_pd_mask(ks, ke, _CMP_LT_OQ);
        const __m512d lo = _mm512_mask_blend_pd(ok, one, _mm512_roundscale_pd(_mm512_mul_pd(ks, invl), fl));
        const __m512d hi = _mm512_maskz_roundscale_pd(ok, _mm512_mul_pd(_mm512_sub_pd(ke, one), invl), fl);
        _mm512_mask_storeu_epi32(itlo + l, mk, _mm512_castsi256_si512(_mm512_cvttpd_epi32(lo)));
        _mm512_mask_storeu_epi32(ithi + l, mk, _mm512_castsi256_si512(_mm512_cvttpd_epi32(hi)));
        _mm512_mask_storeu_pd(base + l, static_cast<__mmask8>(mk), _mm512_fmadd_pd(U0, vmic, voff));
    }
}
// ---- AVX-512 kernels for fan beam (footprints narrower than K - 1 bins: at most K taps) ----
// The taps of L pixels (X lanes, one Y) at one angle: first bin k0 and the weights of k0, ...,
// k0+K-1, each the footprint overlap times sqrt(1 + (s/D)^2) (= the generic kernel's weight times
// its scale). forward and adjoint call this on the same chunks, so their weights are identical.
// fan_taps_for: K for footprints up to fmax bins (0: too wide, the portable kernels).
inline int fan_taps_for(double fmax) {
    for (int k = 3; k <= 6; ++k)
        if (fmax < k - 1 - 0.01) return k;
    return 0;
}
// f(std::integral_constant<int, K>{}) for K = taps (3 to 6; fan_taps_for's 0 never gets here)
template <typename F> inline void with_taps(int taps, F&& f) {
    switch (taps) {
        case 3: return f(std::integral_constant<int, 3>{});
        case 4: return f(std::integral_constant<int, 4>{});
        case 5: return f(std::integral_constant<int, 5>{});
        default: return f(std::integral_constant<int, 6>{});
    }
}
template <typename S> struct FanConst {
    typename S::T ds, kF, cdet;  // source distance, (Ds + Dd) / d, detector centre (bins)
    typename S::T invd;          // 1 / d
    bool fan;                    // false: parallel beam (footprint 1 / d, no magnification)
};
template <typename S, int K>
FS_AVX512 inline void fan_taps(typename S::V X, typename S::T Y, typename S::T c, typename S::T s,
                               const FanConst<S>& fc, typename S::V& kf, typename S::V (&w)[K]) {
    using T = typename S::T;
    using V = typename S::V;
    const V one = S::set1(T(1)), half = S::set1(T(0.5)), zero = S::zero();
    const V sp = S::fma(X, S::set1(c), S::set1(Y * s));
    V F, u, g;
    if (fc.fan) {
        const V D = S::fnma(X, S::set1(s), S::set1(Y * c + fc.ds));
        const V invD = S::div(one, D);
        F = S::mul(S::set1(fc.kF), invD);
        u = S::fma(sp, F, S::set1(fc.cdet));
        const V q = S::mul(sp, invD);
        g = S::sqrt(S::fma(q, q, one));
    } else {
        F = S::set1(fc.invd);
        u = S::fma(sp, F, S::set1(fc.cdet));
        g = one;
    }
    const V h = S::mul(F, half);
    const V lo = S::sub(u, h), hi = S::add(u, h);
    kf = S::ceil(S::sub(lo, half));
    V e = S::add(kf, half);  // right edge of bin k0
    w[0] = S::mul(S::max(zero, S::sub(S::min(hi, e), lo)), g);
    for (int t = 1; t < K - 1; ++t) {
        const V en = S::add(e, one);
        w[t] = S::mul(S::max(zero, S::sub(S::min(hi, en), S::max(lo, e))), g);
        e = en;
    }
    w[K - 1] = S::mul(S::max(zero, S::sub(hi, S::max(lo, e))), g);
}

template <typename S, bool Interp, int K>
FS_AVX512 void fan_adjoint_row(const typename S::T* sp, size_t W, int na, const typename S::T* cs,
                               const typename S::T* sn, const FanConst<S>& fc, int padl, typename S::T Y, int cx,
                               int jlo, int jhi, typename S::T* xrow) {
    using T = typename S::T;
    using V = typename S::V;
    using I = typename S::I;
    constexpr int L = S::L;
    const V lanes = S::lanes();
    const V xmax = S::set1(static_cast<T>(jhi - cx));
    for (int j0 = jlo; j0 <= jhi; j0 += L) {
        const V X = S::min(S::add(lanes, S::set1(static_cast<T>(j0 - cx))), xmax);
        V acc = S::zero();
        for (int a = 0; a < na; ++a) {
            const T* row = sp + static_cast<size_t>(a) * W;
            if constexpr (Interp) {
                // FBP: linear interpolation at u, weight Ds^2 / D^2
                const V spv = S::fma(X, S::set1(cs[a]), S::set1(Y * sn[a]));
                V u, wt;
                if (fc.fan) {
                    const V D = S::fnma(X, S::set1(sn[a]), S::set1(Y * cs[a] + fc.ds));
                    const V invD = S::div(S::set1(T(1)), D);
                    u = S::fma(S::mul(spv, invD), S::set1(fc.kF), S::set1(fc.cdet));
                    const V wd = S::mul(S::set1(fc.ds), invD);
                    wt = S::mul(wd, wd);
                } else {
                    u = S::fma(spv, S::set1(fc.invd), S::set1(fc.cdet));
                    wt = S::set1(T(1));
                }
                const V kf = S::floor(u);
                const V f = S::sub(u, kf);
                const I k = S::iadd(S::to_int(kf), padl);
                V g0, g1;
                const int k_a = S::first(k), k_b = S::last(k);
                const int kmin = std::min(k_a, k_b) - 1, kmax = std::max(k_a, k_b) + 1;
                if (kmax + 1 - kmin < 2 * L) {  // monotone in the chunk: one window of 2L bins
                    const V lo = S::load(row + kmin), hi = S::load(row + kmin + L);
                    const I rel = S::iadd(k, -kmin);
                    g0 = S::perm(lo, rel, hi);
                    g1 = S::perm(lo, S::iadd(rel, 1), hi);
                } else {
                    g0 = S::gather(row, k);
                    g1 = S::gather(row, S::iadd(k, 1));
                }
                acc = S::fma(wt, S::fma(f, S::sub(g1, g0), g0), acc);
            } else {
                V kf, w[K];
                fan_taps<S, K>(X, Y, cs[a], sn[a], fc, kf, w);
                const I k = S::iadd(S::to_int(kf), padl);
                const int k_a = S::first(k), k_b = S::last(k);
                const int kmin = std::min(k_a, k_b) - 1, kmax = std::max(k_a, k_b) + 1;
                if (kmax + K - 1 - kmin < 2 * L) {  // monotone in the chunk: one window of 2L bins
                    const V lo = S::load(row + kmin), hi = S::load(row + kmin + L);
                    const I rel = S::iadd(k, -kmin);
                    for (int t = 0; t < K; ++t) acc = S::fma(w[t], S::perm(lo, S::iadd(rel, t), hi), acc);
                } else {
                    for (int t = 0; t < K; ++t) acc = S::fma(w[t], S::gather(row, S::iadd(k, t)), acc);
                }
            }
        }
        S::store_n(xrow + j0, acc, jhi - j0 + 1);
    }
}

template <typename S, int K>
FS_AVX512 void fan_forward_row(const typename S::T* xrow, typename S::T c, typename S::T s, const FanConst<S>& fc,
                               int padl, typename S::T Y, int cx, int jlo, int jhi, typename S::T* acc0,
                               size_t stride) {
    using T = typename S::T;
    using V = typename S::V;
    using I = typename S::I;
    constexpr int L = S::L;
    alignas(64) int ks[L];
    alignas(64) T p[K][L];
    const V lanes = S::lanes();
    const V xmax = S::set1(static_cast<T>(jhi - cx));
    for (int j0 = jlo; j0 <= jhi; j0 += L) {
        const int n = std::min(L, jhi - j0 + 1);
        const V X = S::min(S::add(lanes, S::set1(static_cast<T>(j0 - cx))), xmax);
        const V v = S::load_n(xrow + j0, n);
        V kf, w[K];
        fan_taps<S, K>(X, Y, c, s, fc, kf, w);
        const I k = S::iadd(S::to_int(kf), padl);
        S::store_idx(ks, k);
        for (int t = 0; t < K; ++t) S::store(p[t], S::mul(w[t], v));
        // lane l accumulates into acc0 + (l % 4) * stride: consecutive pixels, which share bins,
        // do not wait on each other's stores
        for (int l = 0; l < n; ++l) {
            T* q = acc0 + (l & 3) * stride + ks[l];
            for (int t = 0; t < K; ++t) q[t] += p[t][l];
        }
    }
}

}  // namespace

// ---------------------------------------------------------------- the drivers (Radon2D members)
template <typename T> void Radon2D<T>::forward_fan_avx512(const T* x, T* sino, size_t batch, int threads) const {
    using S = typename simd_of<T>::type;
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const int cdet = nd / 2, cx = m / 2, cy = n / 2;
    const int ext = static_cast<int>(std::ceil(rsup_ * fmax_)) + 4;
    const int padl = std::max(0, ext - cdet) + 4, padr = std::max(0, ext + 3 - (nd - cdet)) + 4;
    const size_t W = static_cast<size_t>(padl) + nd + padr;
    const FanConst<S> fc{static_cast<T>(g_.source_distance),
                         static_cast<T>((g_.source_distance + g_.detector_distance) / g_.det_spacing),
                         static_cast<T>(cdet), static_cast<T>(1.0 / g_.det_spacing), g_.fan};
    const size_t work = batch * na;
    const int nt = resolve_threads(threads, work);
    const int taps = fan_taps_for(fmax_);
    aligned_buffer<T> accs(static_cast<size_t>(nt) * 4 * W);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        const size_t b = w / na;
        const int a = static_cast<int>(w % na);
        T* acc0 = accs.data() + static_cast<size_t>(thread_id()) * 4 * W;
        std::fill(acc0, acc0 + 4 * W, T(0));
        const T* xb = x + b * image_size();
        const T c = static_cast<T>(cos_[a]), s = static_cast<T>(sin_[a]);
        for (int i = 0; i < n; ++i) {
            if (jlo_[i] > jhi_[i]) continue;
            const T* xr = xb + static_cast<size_t>(i) * m;
            const T Y = static_cast<T>(cy - i);
            with_taps(taps, [&](auto k) {
                fan_forward_row<S, decltype(k)::value>(xr, c, s, fc, padl, Y, cx, jlo_[i], jhi_[i], acc0, W);
            });
        }
        T* out = sino + static_cast<size_t>(w) * nd;
        for (int k = 0; k < nd; ++k)
            out[k] = (acc0[padl + k] + acc0[W + padl + k]) + (acc0[2 * W + padl + k] + acc0[3 * W + padl + k]);
    }
}

template <typename T> void Radon2D<T>::forward_par_avx512(const T* x, T* sino, size_t batch, int threads) const {
    using S = typename simd_of<T>::type;
    constexpr int L = S::L;
    // lines per block: a block's windows stay in L1 from one chunk to the next (32 to 64 lines:
    // the same time at 256 x 256; 8: 1.2x, all lines at once: 1.05x)
    constexpr int G = 32;
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const int pad = 64;
    const size_t lr = static_cast<size_t>(m) + 2 * pad, lc = static_cast<size_t>(n) + 2 * pad;
    // angles with |cos| >= |sin| project the image's rows (copied to xr), the others its columns (xc)
    bool rows = false, cols = false;
    for (int a = 0; a < na; ++a) (std::fabs(cos_[a]) >= std::fabs(sin_[a]) ? rows : cols) = true;
    aligned_buffer<T> xr(rows ? static_cast<size_t>(n) * lr : 0), xc(cols ? static_cast<size_t>(m) * lc : 0);
    // a padded line: zeros but the pixels [p0, p1] of the support (p0 > p1: none)
    const auto clear_outside = [pad](T* line, int len, int p0, int p1) {
        const int a = std::min(p0, len), b = std::max(a, p1 + 1);
        std::fill(line, line + pad + a, T(0));
        std::fill(line + pad + b, line + len + 2 * pad, T(0));
    };
    const double cx = m / 2, cy = n / 2, cdet = nd / 2;
    const size_t work = image_size() * na / heuristics::kRadonForwardWorkPerThread;
    const int nt = resolve_threads(threads, std::min<size_t>(na, std::max<size_t>(1, work)));
    const int nch = (nd + L - 1) / L;
    const size_t nlmax = static_cast<size_t>(std::max(n, m));
    aligned_buffer<T> accs(static_cast<size_t>(nt) * nch * L);
    std::vector<int> itlos(nt * nlmax), ithis(nt * nlmax), jbs(static_cast<size_t>(nt) * G);
    std::vector<double> bases(nt * nlmax);
    std::vector<T> fracs(static_cast<size_t>(nt) * G);
    for (size_t b = 0; b < batch; ++b) {
        const T* xb = x + b * image_size();
        T* sb = sino + b * sino_size();
#pragma omp parallel num_threads(nt)
        {
#pragma omp for schedule(static)
            for (int i = 0; i < (rows ? n : 0); ++i) {
                T* dst = xr.data() + i * lr;
                const T* src = xb + static_cast<size_t>(i) * m;
                if (jlo_[i] <= jhi_[i]) std::copy(src + jlo_[i], src + jhi_[i] + 1, dst + pad + jlo_[i]);
                clear_outside(dst, m, jlo_[i], jhi_[i]);
            }
            // columns, by blocks of 16 (contiguous reads; stride-m reads of a whole column miss L1)
#pragma omp for schedule(static)
            for (int j0 = 0; j0 < (cols ? m : 0); j0 += 16) {
                const int j1 = std::min(m, j0 + 16);
                T* dst = xc.data() + j0 * lc + pad;
                int i0 = 0;
                if (j1 - j0 == 16)
                    for (; i0 + L <= n; i0 += L)
                        for (int h = 0; h < 16; h += L)
                            transpose_block(xb + static_cast<size_t>(i0) * m + j0 + h, static_cast<size_t>(m),
                                            dst + h * lc + i0, lc);
                for (int i = i0; i < n; ++i) {
                    const T* src = xb + static_cast<size_t>(i) * m;
                    for (int j = j0; j < j1; ++j) dst[(j - j0) * lc + i] = src[j];
                }
                for (int j = j0; j < j1; ++j) clear_outside(xc.data() + j * lc, n, ilo_[j], ihi_[j]);
            }
            const int t = thread_id();
            T* acc = accs.data() + static_cast<size_t>(t) * nch * L;
            int* itlo = itlos.data() + t * nlmax;
            int* ithi = ithis.data() + t * nlmax;
            double* base = bases.data() + t * nlmax;
#pragma omp for schedule(dynamic)
            for (int a = 0; a < na; ++a) {
                std::fill(acc, acc + static_cast<size_t>(nch) * L, T(0));
                const double c = cos_[a], s = sin_[a];
                const bool by_rows = std::fabs(c) >= std::fabs(s);
                const int nl = by_rows ? n : m;
                const double cc = by_rows ? c : -s;
                const double r = std::fabs(1.0 / cc);
                const int wof = cc < 0 ? S::WOF : 0;
                // U0 (line l) = -cx c + (cy - l) s + cdet (rows), (l - cx) c + cy s + cdet (columns)
                forward_lines_setup<L>(nl, by_rows ? jlo_.data() : ilo_.data(), by_rows ? jhi_.data() : ihi_.data(),
                                       -cx * c + cy * s + cdet, by_rows ? -s : c, cc, nd, (pad - wof) - r, itlo, ithi,
                                       base);
                const T* lines = by_rows ? xr.data() : xc.data();
                const size_t stride = by_rows ? lr : lc;
                for (int l0 = 0; l0 < nl; l0 += G) {
                    const int l1 = std::min(nl, l0 + G);
                    int it0 = nch, it1 = -1;
                    for (int l = l0; l < l1; ++l)
                        if (itlo[l] <= ithi[l]) it0 = std::min(it0, itlo[l]), it1 = std::max(it1, ithi[l]);
                    if (it0 > it1) continue;
                    forward_block_simd<S>(lines, stride, l0, l1, itlo, ithi, base, cc, it0, it1, acc,
                                          jbs.data() + static_cast<size_t>(t) * G,
                                          fracs.data() + static_cast<size_t>(t) * G);
                }
                std::copy(acc, acc + nd, sb + static_cast<size_t>(a) * nd);
            }
        }
    }
}

template <typename T> void Radon2D<T>::adjoint_par_avx512(const T* sino, T* x, size_t batch, int threads) const {
    using S = typename simd_of<T>::type;
    constexpr int L = S::L;
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    // padding so that every window [kb - L, kb + 2L) of a chunk (even one running past the
    // row's end) stays inside the padded row
    const double reach = std::hypot(n / 2.0 + L + 2, m / 2.0 + L + 2) + 2;
    const int cdet = nd / 2;
    const int padl = std::max(0, static_cast<int>(std::ceil(reach - cdet))) + 2 * L + 2;
    const int padr = std::max(0, static_cast<int>(std::ceil(reach - (nd - 1 - cdet)))) + 2 * L + 2;
    const size_t W = static_cast<size_t>(padl) + nd + padr;
    aligned_buffer<T> sp(static_cast<size_t>(na) * W);
    std::memset(static_cast<void*>(sp.data()), 0, sp.size() * sizeof(T));
    std::vector<double> cd(na);
    std::vector<T> cT(na);
    std::vector<int> woff(na), wadj(na);
    for (int a = 0; a < na; ++a) {
        cd[a] = cos_[a];
        cT[a] = static_cast<T>(cos_[a]);
        woff[a] = cos_[a] < 0 ? L : 0;
        wadj[a] = padl - woff[a];
    }
    const double cx = m / 2, cy = n / 2;
    const size_t work = image_size() * na / heuristics::kRadonAdjointWorkPerThread;
    const int nt = resolve_threads(threads, std::min<size_t>(n, std::max<size_t>(1, work)));
    std::vector<double> bases(static_cast<size_t>(nt) * na);
    // few angles: each row's chunk set-up for all chunks at once (chunk_floor; split_floor's scalar tail per
    // chunk cost as much as the interpolation)
    const bool few = na < heuristics::kRadonFewAngles;
    const size_t scratch = few ? static_cast<size_t>(na) * ((m + L - 1) / L + 1) : static_cast<size_t>(na);
    std::vector<int> wss(static_cast<size_t>(nt) * scratch);
    std::vector<T> frs(static_cast<size_t>(nt) * scratch);
    for (size_t b = 0; b < batch; ++b) {
        const T* sb = sino + b * sino_size();
        T* xb = x + b * image_size();
#pragma omp parallel num_threads(nt)
        {
#pragma omp for schedule(static)
            for (int a = 0; a < na; ++a)
                std::copy(sb + static_cast<size_t>(a) * nd, sb + static_cast<size_t>(a + 1) * nd,
                          sp.data() + a * W + padl);
            const int t = thread_id();
            double* base = bases.data() + static_cast<size_t>(t) * na;
#pragma omp for schedule(dynamic, 4)
            for (int i = 0; i < n; ++i) {
                T* row = xb + static_cast<size_t>(i) * m;
                if (jlo_[i] > jhi_[i]) {
                    std::fill(row, row + m, T(0));
                    continue;
                }
                // zeros outside the support only: adjoint_row_simd writes every pixel of [jlo, jhi]
                std::fill(row, row + jlo_[i], T(0));
                std::fill(row + jhi_[i] + 1, row + m, T(0));
                for (int a = 0; a < na; ++a) base[a] = -cx * cos_[a] + (cy - i) * sin_[a] + cdet;
                int* ws = wss.data() + static_cast<size_t>(t) * scratch;
                T* fr = frs.data() + static_cast<size_t>(t) * scratch;
                if (few) {
                    const int nch = (jhi_[i] - jlo_[i]) / L + 1;
                    for (int a = 0; a < na; ++a)
                        chunk_floor<T>(nch, base[a], cd[a], jlo_[i], L, wadj[a], ws + a * nch, fr + a * nch);
                    adjoint_row_simd<S, true>(sp.data(), W, na, base, cd.data(), cT.data(), woff.data(), wadj.data(),
                                              jlo_[i], jhi_[i], row, ws, fr, nch);
                } else {
                    adjoint_row_simd<S, false>(sp.data(), W, na, base, cd.data(), cT.data(), woff.data(), wadj.data(),
                                               jlo_[i], jhi_[i], row, ws, fr, 0);
                }
            }
        }
    }
}

template <typename T>
void Radon2D<T>::backproject_fan_avx512(const T* sino, T* x, size_t batch, int threads, bool interp) const {
    using S = typename simd_of<T>::type;
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const int cdet = nd / 2, cx = m / 2, cy = n / 2;
    const int ext = static_cast<int>(std::ceil(rsup_ * fmax_)) + 4;
    const int padl = std::max(0, ext - cdet) + 4, padr = std::max(0, ext + 3 - (nd - cdet)) + 2 * S::L + 4;
    const size_t W = static_cast<size_t>(padl) + nd + padr;
    const FanConst<S> fc{static_cast<T>(g_.source_distance),
                         static_cast<T>((g_.source_distance + g_.detector_distance) / g_.det_spacing),
                         static_cast<T>(cdet), static_cast<T>(1.0 / g_.det_spacing), g_.fan};
    aligned_buffer<T> sp(static_cast<size_t>(na) * W);
    std::memset(static_cast<void*>(sp.data()), 0, sp.size() * sizeof(T));
    std::vector<T> cs(na), sn(na);
    for (int a = 0; a < na; ++a) {
        cs[a] = static_cast<T>(cos_[a]);
        sn[a] = static_cast<T>(sin_[a]);
    }
    const int nt = resolve_threads(threads, n);
    const int taps = fan_taps_for(fmax_);
    for (size_t b = 0; b < batch; ++b) {
        const T* sb = sino + b * sino_size();
        T* xb = x + b * image_size();
#pragma omp parallel num_threads(nt)
        {
#pragma omp for schedule(static)
            for (int a = 0; a < na; ++a)
                std::copy(sb + static_cast<size_t>(a) * nd, sb + static_cast<size_t>(a + 1) * nd,
                          sp.data() + a * W + padl);
#pragma omp for schedule(dynamic, 4)
            for (int i = 0; i < n; ++i) {
                T* row = xb + static_cast<size_t>(i) * m;
                std::fill(row, row + m, T(0));
                if (jlo_[i] > jhi_[i]) continue;
                const T Y = static_cast<T>(cy - i);
                if (interp) {  // FBP: linear interpolation, no footprint
                    fan_adjoint_row<S, true, 3>(sp.data(), W, na, cs.data(), sn.data(), fc, padl, Y, cx, jlo_[i],
                                                jhi_[i], row);
                    continue;
                }
                with_taps(taps, [&](auto k) {
                    fan_adjoint_row<S, false, decltype(k)::value>(sp.data(), W, na, cs.data(), sn.data(), fc, padl, Y,
                                                                  cx, jlo_[i], jhi_[i], row);
                });
            }
        }
    }
}

template void Radon2D<float>::forward_fan_avx512(const float*, float*, size_t, int) const;
template void Radon2D<double>::forward_fan_avx512(const double*, double*, size_t, int) const;
template void Radon2D<float>::forward_par_avx512(const float*, float*, size_t, int) const;
template void Radon2D<double>::forward_par_avx512(const double*, double*, size_t, int) const;
template void Radon2D<float>::adjoint_par_avx512(const float*, float*, size_t, int) const;
template void Radon2D<double>::adjoint_par_avx512(const double*, double*, size_t, int) const;
template void Radon2D<float>::backproject_fan_avx512(const float*, float*, size_t, int, bool) const;
template void Radon2D<double>::backproject_fan_avx512(const double*, double*, size_t, int, bool) const;

}  // namespace fastshear

#endif  // FASTSHEAR_ISA_X86
