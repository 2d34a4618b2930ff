#include "fastshear/radon.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fastshear/fft.hpp"
#include "fastshear/infra/heuristics.hpp"
#include "fastshear/infra/parallel.hpp"

#include "fastshear/infra/isa.hpp"

#if FASTSHEAR_ISA_X86
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_* values.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#define FS_AVX512 FASTSHEAR_TARGET_AVX512
#endif

namespace fastshear {

namespace {

// The footprint weights of one pixel projected to u (in bins) with width F (in bins): calls
// f(k, w) for every bin k in [0, n) it overlaps.
template <typename F_> inline void footprint(double u, double F, int n, F_&& f) {
    const double h = 0.5 * F, lo = u - h, hi = u + h, invF = 1.0 / F;
    // clamp in double before converting: a wide footprint (a tiny det_spacing) or a far
    // projection puts these bounds far outside int's range (float-to-int overflow is UB)
    const double f0 = std::ceil(lo - 0.5), f1 = std::floor(hi + 0.5);
    if (!(f0 <= n - 1) || !(f1 >= 0)) return;  // also false for NaN
    const int k0 = f0 < 0 ? 0 : static_cast<int>(f0);
    const int k1 = f1 > n - 1 ? n - 1 : static_cast<int>(f1);
    for (int k = k0; k <= k1; ++k) {
        const double w = std::min(hi, k + 0.5) - std::max(lo, k - 0.5);
        if (w > 0) f(k, w * invF);
    }
}

struct Frame {
    double cx, cy, cdet, d, ds, dd;
    bool fan;
    // detector position u (bins), footprint width F (bins), line-integral scale, FBP weight
    inline void project(double c, double s, double X, double Y, double& u, double& F, double& sc) const {
        const double sp = X * c + Y * s;
        if (!fan) {
            u = sp / d + cdet;
            F = 1.0 / d;
            sc = 1.0 / d;
        } else {
            const double t = -X * s + Y * c, D = ds + t, mag = (ds + dd) / D;
            u = sp * mag / d + cdet;
            F = mag / d;
            sc = (ds + dd) * std::sqrt(D * D + sp * sp) / (d * D * D);
        }
    }
    inline double interp_pos(double c, double s, double X, double Y, double& wt) const {
        const double sp = X * c + Y * s;
        if (!fan) {
            wt = 1.0;
            return sp / d + cdet;
        }
        const double t = -X * s + Y * c, D = ds + t;
        wt = ds * ds / (D * D);
        return sp * (ds + dd) / (D * d) + cdet;
    }
};

Frame frame_of(const RadonGeometry& g) {
    return Frame{static_cast<double>(g.cols / 2), static_cast<double>(g.rows / 2), static_cast<double>(g.n_det / 2),
                 g.det_spacing, g.source_distance, g.detector_distance, g.fan};
}

// ---- portable kernels for parallel beam with unit bins (no AVX-512): the hat, on padded rows ----
// u is the bin position plus the padding, always > 0, so truncation is floor. The adjoint loop is
// written for the compiler's vectoriser (gathers in its AVX2 variant), the forward
// scatters into four interleaved accumulators (consecutive pixels share bins).
template <typename T>
inline __attribute__((always_inline)) void hat_adjoint_row_impl(const T* sp, size_t W, int na, const double* base,
                                                               const double* c, int jlo, int jhi, T* out) {
    const int n = jhi - jlo + 1;
    for (int j = 0; j < n; ++j) out[jlo + j] = T(0);
    for (int a = 0; a < na; ++a) {
        const T* __restrict row = sp + static_cast<size_t>(a) * W;
        const T b0 = static_cast<T>(base[a] + jlo * c[a]), ca = static_cast<T>(c[a]);
        T* __restrict o = out + jlo;
        for (int j = 0; j < n; ++j) {
            const T u = b0 + static_cast<T>(j) * ca;
            const int k = static_cast<int>(u);
            const T f = u - static_cast<T>(k);
            const T v0 = row[k], v1 = row[k + 1];
            o[j] += v0 + f * (v1 - v0);
        }
    }
}
template <typename T>
inline __attribute__((always_inline)) void hat_forward_row_impl(const T* x, double base, double c, int jlo, int jhi,
                                                               T* acc, size_t stride) {
    const T b0 = static_cast<T>(base + jlo * c), ca = static_cast<T>(c);
    for (int j = 0; j <= jhi - jlo; ++j) {
        const T v = x[jlo + j];
        const T u = b0 + static_cast<T>(j) * ca;
        const int k = static_cast<int>(u);
        const T f = u - static_cast<T>(k);
        T* q = acc + (j & 3) * stride + k;
        q[0] += v - v * f;
        q[1] += v * f;
    }
}
// Compiled for the baseline and for AVX2 (isa.hpp); the AVX2 variant runs from isa::level::avx2 on.
#define FASTSHEAR_RADON_HAT_ROWS(ATTR)                                                                           \
    ATTR void hat_adjoint_row(const float* sp, size_t W, int na, const double* base, const double* c, int jlo,  \
                              int jhi, float* out) {                                                             \
        hat_adjoint_row_impl(sp, W, na, base, c, jlo, jhi, out);                                                 \
    }                                                                                                            \
    ATTR void hat_adjoint_row(const double* sp, size_t W, int na, const double* base, const double* c, int jlo, \
                              int jhi, double* out) {                                                            \
        hat_adjoint_row_impl(sp, W, na, base, c, jlo, jhi, out);                                                 \
    }                                                                                                            \
    ATTR void hat_forward_row(const float* x, double base, double c, int jlo, int jhi, float* acc, size_t stride) { \
        hat_forward_row_impl(x, base, c, jlo, jhi, acc, stride);                                                 \
    }                                                                                                            \
    ATTR void hat_forward_row(const double* x, double base, double c, int jlo, int jhi, double* acc,            \
                              size_t stride) {                                                                   \
        hat_forward_row_impl(x, base, c, jlo, jhi, acc, stride);                                                 \
    }
namespace hat_generic {
FASTSHEAR_RADON_HAT_ROWS(FASTSHEAR_ISA_NOATTR)
}
#if FASTSHEAR_ISA_X86
namespace hat_avx2 {
FASTSHEAR_RADON_HAT_ROWS(FASTSHEAR_TARGET_AVX2)
}
#endif
#undef FASTSHEAR_RADON_HAT_ROWS
template <typename... A> void hat_adjoint_row(A... a) {
#if FASTSHEAR_ISA_X86
    if (isa::best() >= isa::level::avx2) return hat_avx2::hat_adjoint_row(a...);
#endif
    hat_generic::hat_adjoint_row(a...);
}
template <typename... A> void hat_forward_row(A... a) {
#if FASTSHEAR_ISA_X86
    if (isa::best() >= isa::level::avx2) return hat_avx2::hat_forward_row(a...);
#endif
    hat_generic::hat_forward_row(a...);
}

#if FASTSHEAR_ISA_X86
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
    FS_AVX512 static inline V lanes() {
        return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
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
    FS_AVX512 static inline void store_idx(int* p, I v) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi64_epi32(v));
    }
    FS_AVX512 static inline int first(I v) { return static_cast<int>(_mm_cvtsi128_si64(_mm512_castsi512_si128(v))); }
    FS_AVX512 static inline int last(I v) {
        return static_cast<int>(_mm_extract_epi64(_mm512_extracti32x4_epi32(v, 3), 1));
    }
};

template <typename T> struct simd_of;
template <> struct simd_of<float> { using type = simd_f32; };
template <> struct simd_of<double> { using type = simd_f64; };

// out_i[q] = (int)floor(v_q) + ioff, out_f[q] = v_q - floor(v_q), v_q = a0[q] + a1[q] * t (or a0 + q * step
// when a1 is null): the per-chunk scalar set-up of the kernels below, 8 at a time.
template <typename T>
FS_AVX512 inline void split_floor(int n, const double* a0, const double* a1, double t, double start, double step,
                                  const int* ioff, int ioff_c, int* out_i, T* out_f) {
    int q = 0;
    const __m512d vt = _mm512_set1_pd(t);
    for (; q + 8 <= n; q += 8) {
        __m512d v;
        if (a1)
            v = _mm512_fmadd_pd(_mm512_loadu_pd(a1 + q), vt, _mm512_loadu_pd(a0 + q));
        else
            v = _mm512_fmadd_pd(_mm512_add_pd(_mm512_set1_pd(q), _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7)),
                                _mm512_set1_pd(step), _mm512_set1_pd(start));
        const __m512d f = _mm512_roundscale_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        __m256i k = _mm512_cvttpd_epi32(f);
        k = _mm256_add_epi32(k, ioff ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ioff + q))
                                     : _mm256_set1_epi32(ioff_c));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out_i + q), k);
        const __m512d fr = _mm512_sub_pd(v, f);
        if constexpr (sizeof(T) == 4)
            _mm256_storeu_ps(reinterpret_cast<float*>(out_f + q), _mm512_cvtpd_ps(fr));
        else
            _mm512_storeu_pd(reinterpret_cast<double*>(out_f + q), fr);
    }
    for (; q < n; ++q) {
        const double v = a1 ? a0[q] + a1[q] * t : start + q * step;
        const double f = std::floor(v);
        out_i[q] = static_cast<int>(f) + (ioff ? ioff[q] : ioff_c);
        out_f[q] = static_cast<T>(v - f);
    }
}

// Adjoint of one image row segment: x[j0 .. j0+n) = sum_a hat-interpolation of the padded
// sinogram rows at u = base[a] + j c[a]. ws[a], fr[a]: per-chunk scratch.
template <typename S>
FS_AVX512 void adjoint_row_simd(const typename S::T* sp, size_t W, int na, const double* base, const double* c,
                                const typename S::T* cT, const int* woff, const int* wadj, int jlo, int jhi,
                                typename S::T* xrow, int* ws, typename S::T* fr) {
    using T = typename S::T;
    using V = typename S::V;
    using I = typename S::I;
    constexpr int L = S::L;
    const V lanes = S::lanes();
    for (int j0 = jlo; j0 <= jhi; j0 += L) {
        split_floor<T>(na, base, c, static_cast<double>(j0), 0, 0, wadj, 0, ws, fr);
        V acc0 = S::zero(), acc1 = S::zero();
        int a = 0;
        for (; a + 1 < na; a += 2) {
            {
                const T* row = sp + static_cast<size_t>(a) * W + ws[a];
                const V lo = S::load(row), hi = S::load(row + L);
                const V v = S::fma(lanes, S::set1(cT[a]), S::set1(fr[a]));
                const V vf = S::floor(v);
                const I idx = S::iadd(S::to_int(vf), woff[a]);
                const V f = S::sub(v, vf);
                const V g0 = S::perm(lo, idx, hi), g1 = S::perm(lo, S::iadd(idx, 1), hi);
                acc0 = S::add(acc0, g0);
                acc0 = S::fma(f, S::sub(g1, g0), acc0);
            }
            {
                const int b = a + 1;
                const T* row = sp + static_cast<size_t>(b) * W + ws[b];
                const V lo = S::load(row), hi = S::load(row + L);
                const V v = S::fma(lanes, S::set1(cT[b]), S::set1(fr[b]));
                const V vf = S::floor(v);
                const I idx = S::iadd(S::to_int(vf), woff[b]);
                const V f = S::sub(v, vf);
                const V g0 = S::perm(lo, idx, hi), g1 = S::perm(lo, S::iadd(idx, 1), hi);
                acc1 = S::add(acc1, g0);
                acc1 = S::fma(f, S::sub(g1, g0), acc1);
            }
        }
        for (; a < na; ++a) {
            const T* row = sp + static_cast<size_t>(a) * W + ws[a];
            const V lo = S::load(row), hi = S::load(row + L);
            const V v = S::fma(lanes, S::set1(cT[a]), S::set1(fr[a]));
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

// Forward projection of one line of pixels (zero padded by `pad` on both sides) onto the bins
// [kstart, kend) of acc: acc[k] += sum_j line[j] * max(0, 1 - |U0 + j cc - k|), |cc| >= 1/sqrt2.
template <typename S>
FS_AVX512 void forward_line_simd(const typename S::T* line, int pad, double U0, double cc, int kstart, int kend,
                                 typename S::T* acc, int* jbs, typename S::T* fracs) {
    using T = typename S::T;
    using V = typename S::V;
    using I = typename S::I;
    constexpr int L = S::L;
    const double invc = 1.0 / cc, r = std::fabs(invc);
    const int wof = cc < 0 ? S::WOF : 0;
    const V lanes = S::lanes(), vinvc = S::set1(static_cast<T>(invc));
    const V absc = S::set1(static_cast<T>(std::fabs(cc))), one = S::set1(T(1)), zero = S::zero();
    const V two = S::set1(T(2));
    const int nit = (kend - kstart + L - 1) / L;
    // per chunk n (bins k0 = kstart + n L): jb = floor(tb - r), frac = tb - r - jb, tb = (k0 - U0) / cc
    split_floor<T>(nit, nullptr, nullptr, 0, (kstart - U0) * invc - r, L * invc, nullptr, pad - wof, jbs, fracs);
    const V one_r = S::set1(static_cast<T>(1.0 - r));
    const T rT = static_cast<T>(r);
    for (int it = 0; it < nit; ++it) {
        const int k0 = kstart + it * L;
        // tau: pixel coordinate (relative to jb) where u = k for each bin k of the chunk; the
        // contributing pixels are jf, jf+1, jf+2 with jf the first integer above tau - r, at
        // signed distances d0 < 0, d0 + 1, d0 + 2 > 0 (in pixels) from tau.
        const V tau = S::fma(lanes, vinvc, S::set1(fracs[it] + rT));
        const V jf = S::floor(S::add(tau, one_r));
        const I idx = S::iadd(S::to_int(jf), wof);
        const V d0 = S::sub(jf, tau);
        const T* wp = line + jbs[it];
        const V lo = S::load(wp), hi = S::load(wp + L);
        const V w0 = S::max(zero, S::fma(absc, d0, one));
        const V w1 = S::fnma(absc, S::abs(S::add(d0, one)), one);
        const V w2 = S::max(zero, S::fnma(absc, S::add(d0, two), one));
        V sum = S::mul(w0, S::perm(lo, idx, hi));
        sum = S::fma(w1, S::perm(lo, S::iadd(idx, 1), hi), sum);
        sum = S::fma(w2, S::perm(lo, S::iadd(idx, 2), hi), sum);
        S::store(acc + k0, S::add(S::load(acc + k0), sum));
    }
}
// ---- AVX-512 kernels for fan beam (footprints narrower than 2 bins: at most 3 taps) ----
// The taps of L pixels (X lanes, one Y) at one angle: first bin k0 and the weights of k0, k0+1,
// k0+2, each the footprint overlap times sqrt(1 + (s/D)^2) (= the generic kernel's weight times
// its scale). forward and adjoint call this on the same chunks, so their weights are identical.
template <typename S> struct FanConst {
    typename S::T ds, kF, cdet;  // source distance, (Ds + Dd) / d, detector centre (bins)
    typename S::T invd;          // 1 / d
    bool fan;                    // false: parallel beam (footprint 1 / d, no magnification)
};
template <typename S>
FS_AVX512 inline void fan_taps(typename S::V X, typename S::T Y, typename S::T c, typename S::T s,
                               const FanConst<S>& fc, typename S::V& kf, typename S::V& w0, typename S::V& w1,
                               typename S::V& w2) {
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
    const V e0 = S::add(kf, half);  // right edge of bin k0
    w0 = S::mul(S::max(zero, S::sub(S::min(hi, e0), lo)), g);
    const V e1 = S::add(e0, one);
    w1 = S::mul(S::max(zero, S::sub(S::min(hi, e1), S::max(lo, e0))), g);
    w2 = S::mul(S::max(zero, S::sub(hi, S::max(lo, e1))), g);
}

template <typename S, bool Interp>
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
                V kf, w0, w1, w2;
                fan_taps<S>(X, Y, cs[a], sn[a], fc, kf, w0, w1, w2);
                const I k = S::iadd(S::to_int(kf), padl);
                const int k_a = S::first(k), k_b = S::last(k);
                const int kmin = std::min(k_a, k_b) - 1, kmax = std::max(k_a, k_b) + 1;
                if (kmax + 2 - kmin < 2 * L) {  // monotone in the chunk: one window of 2L bins
                    const V lo = S::load(row + kmin), hi = S::load(row + kmin + L);
                    const I rel = S::iadd(k, -kmin);
                    acc = S::fma(w0, S::perm(lo, rel, hi), acc);
                    acc = S::fma(w1, S::perm(lo, S::iadd(rel, 1), hi), acc);
                    acc = S::fma(w2, S::perm(lo, S::iadd(rel, 2), hi), acc);
                } else {
                    acc = S::fma(w0, S::gather(row, k), acc);
                    acc = S::fma(w1, S::gather(row, S::iadd(k, 1)), acc);
                    acc = S::fma(w2, S::gather(row, S::iadd(k, 2)), acc);
                }
            }
        }
        S::store_n(xrow + j0, acc, jhi - j0 + 1);
    }
}

template <typename S>
FS_AVX512 void fan_forward_row(const typename S::T* xrow, typename S::T c, typename S::T s, const FanConst<S>& fc,
                               int padl, typename S::T Y, int cx, int jlo, int jhi, typename S::T* acc0,
                               size_t stride) {
    using T = typename S::T;
    using V = typename S::V;
    using I = typename S::I;
    constexpr int L = S::L;
    alignas(64) int ks[L];
    alignas(64) T p0[L], p1[L], p2[L];
    const V lanes = S::lanes();
    const V xmax = S::set1(static_cast<T>(jhi - cx));
    for (int j0 = jlo; j0 <= jhi; j0 += L) {
        const int n = std::min(L, jhi - j0 + 1);
        const V X = S::min(S::add(lanes, S::set1(static_cast<T>(j0 - cx))), xmax);
        const V v = S::load_n(xrow + j0, n);
        V kf, w0, w1, w2;
        fan_taps<S>(X, Y, c, s, fc, kf, w0, w1, w2);
        const I k = S::iadd(S::to_int(kf), padl);
        S::store_idx(ks, k);
        S::store(p0, S::mul(w0, v));
        S::store(p1, S::mul(w1, v));
        S::store(p2, S::mul(w2, v));
        // lane l accumulates into acc0 + (l % 4) * stride: consecutive pixels, which share bins,
        // do not wait on each other's stores
        for (int l = 0; l < n; ++l) {
            T* q = acc0 + (l & 3) * stride + ks[l];
            q[0] += p0[l];
            q[1] += p1[l];
            q[2] += p2[l];
        }
    }
}
#endif

}  // namespace

template <typename T> Radon2D<T>::Radon2D(const RadonGeometry& g) : g_(g) {
    if (g.rows < 1 || g.cols < 1) throw std::invalid_argument("image shape must be positive");
    if (g.n_det < 1) throw std::invalid_argument("n_det must be >= 1, got " + std::to_string(g.n_det));
    if (g.theta.empty()) throw std::invalid_argument("theta must hold at least one angle");
    if (!(g.det_spacing > 0) || !std::isfinite(g.det_spacing)) throw std::invalid_argument("det_spacing must be > 0");
    for (double t : g.theta)
        if (!std::isfinite(t)) throw std::invalid_argument("theta must be finite");
    const long long big = 1 << 24;
    if (g.rows > big || g.cols > big || g.n_det > big) throw std::invalid_argument("sizes above 2^24 are not supported");
    const int n = g.rows, m = g.cols;
    const int cx = m / 2, cy = n / 2;
    jlo_.assign(n, 0);
    jhi_.assign(n, m - 1);
    ilo_.assign(m, 0);
    ihi_.assign(m, n - 1);
    double rmax2 = 0;  // largest squared pixel distance from the centre inside the support
    if (g.circle) {
        const long long R = std::min(n, m) / 2, R2 = R * R;
        // The support of each row (column): the integer offsets t with t^2 + y^2 <= R^2 form
        // [-s, s], s = isqrt(R^2 - y^2); O(n + m), not a scan of every pixel.
        auto isqrt = [](long long v) {
            long long s = static_cast<long long>(std::sqrt(static_cast<double>(v)));
            while (s > 0 && s * s > v) --s;
            while ((s + 1) * (s + 1) <= v) ++s;
            return s;
        };
        auto span = [&](long long y, int c, int len, int& lo, int& hi) {
            lo = len;
            hi = -1;
            const long long rem = R2 - y * y;
            if (rem < 0) return;
            const long long s = isqrt(rem);
            const long long a = std::max<long long>(0, c - s), b = std::min<long long>(len - 1, c + s);
            if (a <= b) { lo = static_cast<int>(a); hi = static_cast<int>(b); }
        };
        for (int i = 0; i < n; ++i) span(static_cast<long long>(cy) - i, cx, m, jlo_[i], jhi_[i]);
        for (int j = 0; j < m; ++j) span(static_cast<long long>(j) - cx, cy, n, ilo_[j], ihi_[j]);
        rmax2 = static_cast<double>(R2);
    } else {
        const double ax = std::max(cx, m - 1 - cx), ay = std::max(cy, n - 1 - cy);
        rmax2 = ax * ax + ay * ay;
    }
    if (g.fan) {
        if (!std::isfinite(g.source_distance) || !std::isfinite(g.detector_distance))
            throw std::invalid_argument("source_distance and detector_distance must be finite");
        if (g.detector_distance < 0) throw std::invalid_argument("detector_distance must be >= 0");
        const double need = std::sqrt(rmax2) + 1.0;
        if (!(g.source_distance > need))
            throw std::invalid_argument("source_distance must exceed the object's radius + 1 = " + std::to_string(need) +
                                        " (the source would be inside the object), got " +
                                        std::to_string(g.source_distance));
    }
    rsup_ = std::sqrt(rmax2);
    fmax_ = g.fan ? (g.source_distance + g.detector_distance) / (g.det_spacing * (g.source_distance - rsup_))
                  : 1.0 / g.det_spacing;
    cos_.resize(g.theta.size());
    sin_.resize(g.theta.size());
    for (size_t a = 0; a < g.theta.size(); ++a) {
        cos_[a] = std::cos(g.theta[a]);
        sin_[a] = std::sin(g.theta[a]);
    }
}

template <typename T> bool Radon2D<T>::par_vec() const {
    return kernel_ == 0 && !g_.fan && g_.det_spacing == 1.0 && isa::best() >= isa::level::avx512;
}
template <typename T> bool Radon2D<T>::fan_vec() const {
    return kernel_ == 0 && (g_.fan || g_.det_spacing != 1.0) && fmax_ < heuristics::kRadonMaxVectorFootprint && isa::best() >= isa::level::avx512;
}
template <typename T> bool Radon2D<T>::vector_kernels() const { return par_vec() || fan_vec(); }

// ---------------------------------------------------------------- portable kernels
template <typename T> void Radon2D<T>::forward_generic(const T* x, T* sino, size_t batch, int threads) const {
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const Frame fr = frame_of(g_);
    const size_t work = batch * na;
    const int nt = resolve_threads(threads, work);
    region_errors err;
#pragma omp parallel num_threads(nt)
    {
        std::vector<double> acc;
        err.run([&] { acc.resize(nd); });
#pragma omp for schedule(dynamic)
        for (long w = 0; w < static_cast<long>(work); ++w) {
            if (acc.size() != static_cast<size_t>(nd)) continue;
            const size_t b = w / na;
            const int a = static_cast<int>(w % na);
            const double c = cos_[a], s = sin_[a];
            std::fill(acc.begin(), acc.end(), 0.0);
            const T* xb = x + b * image_size();
            for (int i = 0; i < n; ++i) {
                const T* row = xb + static_cast<size_t>(i) * m;
                for (int j = jlo_[i]; j <= jhi_[i]; ++j) {
                    const double v = row[j];
                    if (v == 0) continue;
                    double u, F, sc;
                    fr.project(c, s, j - fr.cx, fr.cy - i, u, F, sc);
                    const double vs = v * sc;
                    footprint(u, F, nd, [&](int k, double wt) { acc[k] += wt * vs; });
                }
            }
            T* out = sino + w * static_cast<size_t>(nd);
            for (int k = 0; k < nd; ++k) out[k] = static_cast<T>(acc[k]);
        }
    }
    err.rethrow();
}

template <typename T> void Radon2D<T>::adjoint_generic(const T* sino, T* x, size_t batch, int threads) const {
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const Frame fr = frame_of(g_);
    const size_t work = batch * n;
    const int nt = resolve_threads(threads, work);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        const size_t b = w / n;
        const int i = static_cast<int>(w % n);
        const T* sb = sino + b * sino_size();
        T* row = x + static_cast<size_t>(w) * m;
        for (int j = 0; j < m; ++j) row[j] = T(0);
        for (int j = jlo_[i]; j <= jhi_[i]; ++j) {
            double sum = 0;
            for (int a = 0; a < na; ++a) {
                double u, F, sc;
                fr.project(cos_[a], sin_[a], j - fr.cx, fr.cy - i, u, F, sc);
                const T* sa = sb + static_cast<size_t>(a) * nd;
                double part = 0;
                footprint(u, F, nd, [&](int k, double wt) { part += wt * sa[k]; });
                sum += part * sc;
            }
            row[j] = static_cast<T>(sum);
        }
    }
}

// ---------------------------------------------------------------- portable hat kernels
namespace {
struct HatPad {
    int padl;
    size_t W;
};
HatPad hat_padding(int n, int m, int nd) {
    // every pixel projects within `reach` bins of the centre; one more bin for the second tap
    const double reach = std::hypot(n / 2.0 + 1, m / 2.0 + 1) + 2;
    const int cdet = nd / 2;
    const int padl = std::max(0, static_cast<int>(std::ceil(reach - cdet))) + 4;
    const int padr = std::max(0, static_cast<int>(std::ceil(reach - (nd - 1 - cdet)))) + 4;
    return {padl, static_cast<size_t>(padl) + nd + padr};
}
}  // namespace

template <typename T> void Radon2D<T>::forward_hat(const T* x, T* sino, size_t batch, int threads) const {
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const HatPad hp = hat_padding(n, m, nd);
    const double cx = m / 2, cy = n / 2, cdet = nd / 2;
    const size_t work = batch * na;
    const int nt = resolve_threads(threads, work);
    aligned_buffer<T> accs(static_cast<size_t>(nt) * 4 * hp.W);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        const size_t b = w / na;
        const int a = static_cast<int>(w % na);
        T* acc = accs.data() + static_cast<size_t>(thread_id()) * 4 * hp.W;
        std::fill(acc, acc + 4 * hp.W, T(0));
        const T* xb = x + b * image_size();
        for (int i = 0; i < n; ++i) {
            if (jlo_[i] > jhi_[i]) continue;
            const double base = -cx * cos_[a] + (cy - i) * sin_[a] + cdet + hp.padl;
            hat_forward_row(xb + static_cast<size_t>(i) * m, base, cos_[a], jlo_[i], jhi_[i], acc, hp.W);
        }
        T* out = sino + static_cast<size_t>(w) * nd;
        const size_t W = hp.W, o = hp.padl;
        for (int k = 0; k < nd; ++k) out[k] = (acc[o + k] + acc[W + o + k]) + (acc[2 * W + o + k] + acc[3 * W + o + k]);
    }
}

template <typename T> void Radon2D<T>::adjoint_hat(const T* sino, T* x, size_t batch, int threads) const {
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const HatPad hp = hat_padding(n, m, nd);
    const double cx = m / 2, cy = n / 2, cdet = nd / 2;
    aligned_buffer<T> sp(static_cast<size_t>(na) * hp.W);
    std::memset(static_cast<void*>(sp.data()), 0, sp.size() * sizeof(T));
    const int nt = resolve_threads(threads, n);
    std::vector<double> bases(static_cast<size_t>(nt) * na);
    for (size_t b = 0; b < batch; ++b) {
        const T* sb = sino + b * sino_size();
        T* xb = x + b * image_size();
#pragma omp parallel num_threads(nt)
        {
#pragma omp for schedule(static)
            for (int a = 0; a < na; ++a)
                std::copy(sb + static_cast<size_t>(a) * nd, sb + static_cast<size_t>(a + 1) * nd,
                          sp.data() + a * hp.W + hp.padl);
            double* base = bases.data() + static_cast<size_t>(thread_id()) * na;
#pragma omp for schedule(dynamic, 4)
            for (int i = 0; i < n; ++i) {
                T* row = xb + static_cast<size_t>(i) * m;
                std::fill(row, row + m, T(0));
                if (jlo_[i] > jhi_[i]) continue;
                for (int a = 0; a < na; ++a) base[a] = -cx * cos_[a] + (cy - i) * sin_[a] + cdet + hp.padl;
                hat_adjoint_row(sp.data(), hp.W, na, base, cos_.data(), jlo_[i], jhi_[i], row);
            }
        }
    }
}

// ---------------------------------------------------------------- dispatch
template <typename T> void Radon2D<T>::forward(const T* x, T* sino, size_t batch, int threads) const {
    if (batch == 0) return;
#if FASTSHEAR_ISA_X86
    if (fan_vec()) {
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
                fan_forward_row<S>(xb + static_cast<size_t>(i) * m, c, s, fc, padl, static_cast<T>(cy - i), cx, jlo_[i],
                                   jhi_[i], acc0, W);
            }
            T* out = sino + static_cast<size_t>(w) * nd;
            for (int k = 0; k < nd; ++k)
                out[k] = (acc0[padl + k] + acc0[W + padl + k]) + (acc0[2 * W + padl + k] + acc0[3 * W + padl + k]);
        }
        return;
    }
    if (par_vec()) {
        using S = typename simd_of<T>::type;
        constexpr int L = S::L;
        const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
        const int pad = 64;
        const size_t lr = static_cast<size_t>(m) + 2 * pad, lc = static_cast<size_t>(n) + 2 * pad;
        aligned_buffer<T> xr(static_cast<size_t>(n) * lr), xc(static_cast<size_t>(m) * lc);
        std::memset(static_cast<void*>(xr.data()), 0, xr.size() * sizeof(T));
        std::memset(static_cast<void*>(xc.data()), 0, xc.size() * sizeof(T));
        const double cx = m / 2, cy = n / 2, cdet = nd / 2;
        const int nt = resolve_threads(threads, na);
        aligned_buffer<T> accs(static_cast<size_t>(nt) * (nd + 2 * L));
        const size_t nit_max = static_cast<size_t>(nd) / L + 4;
        std::vector<int> jbs(static_cast<size_t>(nt) * nit_max);
        std::vector<T> fracs(static_cast<size_t>(nt) * nit_max);
        for (size_t b = 0; b < batch; ++b) {
            const T* xb = x + b * image_size();
            T* sb = sino + b * sino_size();
#pragma omp parallel num_threads(nt)
            {
#pragma omp for schedule(static)
                for (int i = 0; i < n; ++i) {
                    T* dst = xr.data() + i * lr + pad;
                    const T* src = xb + static_cast<size_t>(i) * m;
                    for (int j = jlo_[i]; j <= jhi_[i]; ++j) dst[j] = src[j];
                }
#pragma omp for schedule(static)
                for (int j = 0; j < m; ++j) {
                    T* dst = xc.data() + j * lc + pad;
                    for (int i = ilo_[j]; i <= ihi_[j]; ++i) dst[i] = xb[static_cast<size_t>(i) * m + j];
                }
#pragma omp for schedule(dynamic)
                for (int a = 0; a < na; ++a) {
                    T* acc = accs.data() + static_cast<size_t>(thread_id()) * (nd + 2 * L);
                    std::fill(acc, acc + nd + 2 * L, T(0));
                    const double c = cos_[a], s = sin_[a];
                    const bool by_rows = std::fabs(c) >= std::fabs(s);
                    const int nl = by_rows ? n : m;
                    const double cc = by_rows ? c : -s;
                    for (int l = 0; l < nl; ++l) {
                        const int p0 = by_rows ? jlo_[l] : ilo_[l], p1 = by_rows ? jhi_[l] : ihi_[l];
                        if (p0 > p1) continue;
                        const double U0 = by_rows ? (-cx * c + (cy - l) * s + cdet) : ((l - cx) * c + cy * s + cdet);
                        const double ua = U0 + p0 * cc, ub = U0 + p1 * cc;
                        const int ks = std::max(0, static_cast<int>(std::floor(std::min(ua, ub))));
                        const int ke = std::min(nd, static_cast<int>(std::floor(std::max(ua, ub))) + 2);
                        if (ks >= ke) continue;
                        const T* line = by_rows ? xr.data() + l * lr : xc.data() + l * lc;
                        forward_line_simd<S>(line, pad, U0, cc, ks, ke, acc, jbs.data() + thread_id() * nit_max,
                                             fracs.data() + thread_id() * nit_max);
                    }
                    std::copy(acc, acc + nd, sb + static_cast<size_t>(a) * nd);
                }
            }
        }
        return;
    }
#endif
    if (kernel_ != 1 && !g_.fan && g_.det_spacing == 1.0) {
        forward_hat(x, sino, batch, threads);
        return;
    }
    forward_generic(x, sino, batch, threads);
}

template <typename T> void Radon2D<T>::adjoint(const T* sino, T* x, size_t batch, int threads) const {
    if (batch == 0) return;
#if FASTSHEAR_ISA_X86
    if (fan_vec()) {
        fan_backproject(sino, x, batch, threads, false);
        return;
    }
    if (par_vec()) {
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
        const int nt = resolve_threads(threads, n);
        std::vector<double> bases(static_cast<size_t>(nt) * na);
        std::vector<int> wss(static_cast<size_t>(nt) * na);
        std::vector<T> frs(static_cast<size_t>(nt) * na);
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
                    std::fill(row, row + m, T(0));
                    if (jlo_[i] > jhi_[i]) continue;
                    for (int a = 0; a < na; ++a) base[a] = -cx * cos_[a] + (cy - i) * sin_[a] + cdet;
                    adjoint_row_simd<S>(sp.data(), W, na, base, cd.data(), cT.data(), woff.data(), wadj.data(), jlo_[i],
                                        jhi_[i], row, wss.data() + static_cast<size_t>(t) * na,
                                        frs.data() + static_cast<size_t>(t) * na);
                }
            }
        }
        return;
    }
#endif
    if (kernel_ != 1 && !g_.fan && g_.det_spacing == 1.0) {
        adjoint_hat(sino, x, batch, threads);
        return;
    }
    adjoint_generic(sino, x, batch, threads);
}

template <typename T>
void Radon2D<T>::fan_backproject(const T* sino, T* x, size_t batch, int threads, bool interp) const {
#if FASTSHEAR_ISA_X86
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
                    interp ? fan_adjoint_row<S, true>(sp.data(), W, na, cs.data(), sn.data(), fc, padl, static_cast<T>(cy - i), cx,
                                       jlo_[i], jhi_[i], row)
                           : fan_adjoint_row<S, false>(sp.data(), W, na, cs.data(), sn.data(), fc, padl, static_cast<T>(cy - i), cx,
                                       jlo_[i], jhi_[i], row);
                }
            }
        }
#else
    (void)sino; (void)x; (void)batch; (void)threads; (void)interp;
#endif
}

// ---------------------------------------------------------------- FBP pieces
template <typename T>
void Radon2D<T>::filter(const T* in, T* out, size_t batch, const double* preweight, const double* response, int pad,
                        int threads) const {
    const int nd = g_.n_det, na = n_angles();
    if (pad < nd) throw std::invalid_argument("filter padding shorter than the detector");
    using cpx = std::complex<T>;
    const fft_plan<T>& r2c = fft_plan<T>::get(fft_kind::r2c, {pad});
    const fft_plan<T>& c2r = fft_plan<T>::get(fft_kind::c2r, {pad});
    const int H = pad / 2 + 1;
    std::vector<T> resp(H);
    for (int k = 0; k < H; ++k) resp[k] = static_cast<T>(response[k] / pad);
    const size_t rows = batch * na;
    const int nt = resolve_threads(threads, rows);
    region_errors err;
#pragma omp parallel num_threads(nt)
    {
        aligned_buffer<T> buf;
        aligned_buffer<cpx> spec;
        err.run([&] {
            buf = aligned_buffer<T>(pad);
            spec = aligned_buffer<cpx>(H);
        });
#pragma omp for schedule(static)
        for (long r = 0; r < static_cast<long>(rows); ++r) {
            if (buf.size() == 0) continue;
            err.run([&] {
                const int a = static_cast<int>(r % na);
                const T* src = in + static_cast<size_t>(r) * nd;
                const double* pw = preweight + static_cast<size_t>(a) * nd;
                for (int k = 0; k < nd; ++k) buf[k] = static_cast<T>(src[k] * pw[k]);
                for (int k = nd; k < pad; ++k) buf[k] = T(0);
                r2c.r2c(buf.data(), spec.data());
                for (int k = 0; k < H; ++k) spec[k] *= resp[k];
                c2r.c2r(spec.data(), buf.data());
                std::copy(buf.data(), buf.data() + nd, out + static_cast<size_t>(r) * nd);
            });
        }
    }
    err.rethrow();
}

template <typename T> void Radon2D<T>::backproject_interp(const T* q, T* x, size_t batch, int threads) const {
    if (batch == 0) return;
    // Parallel beam with unit bins: the adjoint's hat weights are exactly linear interpolation.
    if (!g_.fan && g_.det_spacing == 1.0) {
        adjoint(q, x, batch, threads);
        return;
    }
    if (fan_vec()) {
        fan_backproject(q, x, batch, threads, true);
        return;
    }
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const Frame fr = frame_of(g_);
    const size_t work = batch * n;
    const int nt = resolve_threads(threads, work);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        const size_t b = w / n;
        const int i = static_cast<int>(w % n);
        const T* qb = q + b * sino_size();
        T* row = x + static_cast<size_t>(w) * m;
        for (int j = 0; j < m; ++j) row[j] = T(0);
        for (int j = jlo_[i]; j <= jhi_[i]; ++j) {
            double sum = 0;
            for (int a = 0; a < na; ++a) {
                double wt;
                const double u = fr.interp_pos(cos_[a], sin_[a], j - fr.cx, fr.cy - i, wt);
                const double kf = std::floor(u);
                if (kf < -1 || kf > nd - 1) continue;
                const int k = static_cast<int>(kf);
                const double f = u - kf;
                const T* qa = qb + static_cast<size_t>(a) * nd;
                const double v0 = k >= 0 ? qa[k] : 0.0, v1 = k + 1 < nd ? qa[k + 1] : 0.0;
                sum += wt * (v0 + f * (v1 - v0));
            }
            row[j] = static_cast<T>(sum);
        }
    }
}

template class Radon2D<float>;
template class Radon2D<double>;

}  // namespace fastshear
