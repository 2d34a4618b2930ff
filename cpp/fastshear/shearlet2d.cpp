#include "fastshear/shearlet2d.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "fastshear/complex_kernels.hpp"
#include "fastshear/infra/heuristics.hpp"
#include "fastshear/infra/isa.hpp"
#include "fastshear/infra/parallel.hpp"

#if FASTSHEAR_ISA_X86
#include <immintrin.h>
#endif

namespace fastshear {

namespace {

// Kernels of the paired transforms with complex filters (the generic ones are in complex_kernels.hpp).
#define FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T(T, ATTR)                                                                  \
    /* One row of a paired synthesis. z: row r of Z = fft2(c_a + i c_b), zr: row (N-r)%N of Z   \
       reversed (zr[j] = Z(-r, -j), see reverse_row); for the half-row columns j < mh, with     \
       x+iy = Z(r,j), u+iv = Z(-r,-j): F(c_a) = ((x+u) + i(y-v))/2, F(c_b) = ((y+v) + i(u-x))/2, \
       acc += F(c_a) pa + F(c_b) pb, complex filters pa, pb (mh interleaved values each). */     \
    ATTR void pair_mac_cpx(const T* __restrict z, const T* __restrict zr,           \
                                       const T* __restrict pa, const T* __restrict pb,          \
                                       T* __restrict acc, size_t mh) {                          \
        const T h = T(0.5);                                                                     \
        for (size_t j = 0; j < mh; ++j) {                                                       \
            T x = z[2 * j], y = z[2 * j + 1], u = zr[2 * j], v = zr[2 * j + 1];                 \
            T ar = x + u, ai = y - v, br = y + v, bi = u - x;                                   \
            T qr = pa[2 * j], qi = pa[2 * j + 1], sr = pb[2 * j], si = pb[2 * j + 1];           \
            acc[2 * j] += h * (ar * qr - ai * qi + br * sr - bi * si);                          \
            acc[2 * j + 1] += h * (ar * qi + ai * qr + br * si + bi * sr);                      \
        }                                                                                       \
    }                                                                                          \
    /* Paired decomposition with complex filters: row r of the full spectrum                   \
       Z = X conj(Fa) + i X conj(Fb) of two bands, columns c < mh from the half spectrum's row r  \
       (x; fa, fb: mh interleaved values each) ... */                                            \
    ATTR void fwd_pack_cpx(const T* __restrict x, const T* __restrict fa, const T* __restrict fb, T* __restrict z, size_t mh) {\
        for (size_t c = 0; c < mh; ++c) {                                                      \
            const T xr = x[2 * c], xi = x[2 * c + 1];                                          \
            const T gr = fa[2 * c] + fb[2 * c + 1], gi = fb[2 * c] - fa[2 * c + 1];  /* conj(Fa) + i conj(Fb) */\
            z[2 * c] = xr * gr - xi * gi;                                                      \
            z[2 * c + 1] = xr * gi + xi * gr;                                                  \
        }                                                                                      \
    }                                                                                          \
    /* ... and columns mh <= c < m from row (N-r)%N (x): Z = conj(X(-r, m-c)) (Fa + i Fb)(-r, m-c) */\
    ATTR void fwd_pack_cpx_mirror(const T* __restrict x, const T* __restrict fa, const T* __restrict fb, T* __restrict z, size_t mh, size_t m) {\
        for (size_t c = mh; c < m; ++c) {                                                      \
            const size_t j = m - c;                                                            \
            const T xr = x[2 * j], xi = -x[2 * j + 1];  /* conj(X) */                          \
            const T hr = fa[2 * j] - fb[2 * j + 1], hi = fa[2 * j + 1] + fb[2 * j];  /* Fa + i Fb */\
            z[2 * c] = xr * hr - xi * hi;                                                      \
            z[2 * c + 1] = xr * hi + xi * hr;                                                  \
        }                                                                                      \
    }

#define FASTSHEAR_SHEARLET2D_PAIR_KERNELS(ATTR) FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T(float, ATTR) FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T(double, ATTR)
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_SHEARLET2D_PAIR_KERNELS)
#undef FASTSHEAR_SHEARLET2D_PAIR_KERNELS
#undef FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T
FASTSHEAR_ISA_DISPATCH(pair_mac_cpx)
FASTSHEAR_ISA_DISPATCH(fwd_pack_cpx)
FASTSHEAR_ISA_DISPATCH(fwd_pack_cpx_mirror)

// rev[j] = row[(m - j) % m] for the complex values j < mh of a row of m: the mirrored frequencies
// of a row, in the order of the half row. A complex float moves as one 64-bit unit (vectorised).
typedef uint64_t u64_alias __attribute__((may_alias));
#define FASTSHEAR_REVERSE_ROW_F32(ATTR)                                                  \
    ATTR void reverse_row(const float* row, float* rev, size_t mh, size_t m) {          \
        const u64_alias* s = reinterpret_cast<const u64_alias*>(row);                  \
        u64_alias* d = reinterpret_cast<u64_alias*>(rev);                              \
        d[0] = s[0];                                                                   \
        for (size_t j = 1; j < mh; ++j) d[j] = s[m - j];                               \
    }
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_REVERSE_ROW_F32)
#undef FASTSHEAR_REVERSE_ROW_F32
void reverse_row(const float* row, float* rev, size_t mh, size_t m) { FASTSHEAR_ISA_CALL(reverse_row, row, rev, mh, m); }
void reverse_row(const double* row, double* rev, size_t mh, size_t m) {
    rev[0] = row[0];
    rev[1] = row[1];
    for (size_t j = 1; j < mh; ++j) {
        rev[2 * j] = row[2 * (m - j)];
        rev[2 * j + 1] = row[2 * (m - j) + 1];
    }
}
// Rows r0 .. r0+nr-1 of the full spectra W = Y_a + i Y_b of two real images' row transforms, from
// their column-transformed half spectra stored transposed (ya, yb: (M/2+1, N), ya[kx N + r] =
// Y_a(r, kx)): W(r, kx) = Y_a + i Y_b for kx < M/2+1 and, as Y_a(r, M-kx) = conj Y_a(r, kx) (the
// rows of a real image), W(r, M-kx) = conj Y_a + i conj Y_b. The columns a real row transform
// takes as real (kx = 0 and, for even M, M/2) take the real parts only, as FFTW's c2r does.
// w: nr rows of M complex values. With 8 rows and AVX2, in 8 x 8 tiles transposed in registers
// (each cache line of ya, yb and w touched once; element by element this took a quarter of the
// decomposition's time at 512 x 512).
#if FASTSHEAR_ISA_X86
// 4 x 4 transpose of 64-bit units: rows q0..q3 of a block -> its columns o[0..3]
FASTSHEAR_TARGET_AVX2 inline void transpose4(__m256d q0, __m256d q1, __m256d q2, __m256d q3, __m256d* o) {
    const __m256d t0 = _mm256_unpacklo_pd(q0, q1), t1 = _mm256_unpackhi_pd(q0, q1);
    const __m256d t2 = _mm256_unpacklo_pd(q2, q3), t3 = _mm256_unpackhi_pd(q2, q3);
    o[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    o[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    o[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    o[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}
// Columns kx0 <= kx < kx0 + 8 of 8 rows; ya, yb at row r0 of column 0.
FASTSHEAR_TARGET_AVX2 void gather_tile_avx2(const float* ya, const float* yb, size_t n, size_t kx0,
                                                      size_t m, float* w) {
    __m256d d[8][2], mi[8][2];  // per column k: rows 0-3, 4-7 as 64-bit units
    const __m256 zero = _mm256_setzero_ps();
    for (size_t k = 0; k < 8; ++k) {
        const float* a = ya + 2 * (kx0 + k) * n;
        const float* b = yb + 2 * (kx0 + k) * n;
        for (int h = 0; h < 2; ++h) {
            const __m256 av = _mm256_loadu_ps(a + 8 * h), bv = _mm256_loadu_ps(b + 8 * h);
            const __m256 bs = _mm256_permute_ps(bv, 0xB1);  // (b.im, b.re)
            d[k][h] = _mm256_castps_pd(_mm256_addsub_ps(av, bs));  // (a.re - b.im, a.im + b.re)
            mi[k][h] = _mm256_castps_pd(_mm256_addsub_ps(bs, _mm256_sub_ps(zero, av)));  // (a.re + b.im, b.re - a.im)
        }
    }
    __m256d o[4];
    for (int h = 0; h < 2; ++h)        // rows 4h .. 4h+3
        for (int g = 0; g < 2; ++g) {  // columns 4g .. 4g+3
            transpose4(d[4 * g][h], d[4 * g + 1][h], d[4 * g + 2][h], d[4 * g + 3][h], o);
            for (int r = 0; r < 4; ++r)
                _mm256_storeu_pd(reinterpret_cast<double*>(w + 2 * ((4 * h + r) * m + kx0 + 4 * g)), o[r]);
            // mirrors: column kx0 + k goes to M - kx0 - k, so the columns enter reversed
            transpose4(mi[4 * g + 3][h], mi[4 * g + 2][h], mi[4 * g + 1][h], mi[4 * g][h], o);
            for (int r = 0; r < 4; ++r)
                _mm256_storeu_pd(reinterpret_cast<double*>(w + 2 * ((4 * h + r) * m + m - kx0 - 4 * g - 3)), o[r]);
        }
}
// The low (high = false) or high 128-bit lanes of a and b. The selector of _mm256_permute2f128_pd
// must be a compile-time immediate: a run-time one compiles only where -O3 unrolls the caller's
// loop (GCC rejects it at -O0 to -O2, e.g. in Debug or sanitizer builds).
FASTSHEAR_TARGET_AVX2 inline __m256d lanes(__m256d a, __m256d b, bool high) {
    return high ? _mm256_permute2f128_pd(a, b, 0x31) : _mm256_permute2f128_pd(a, b, 0x20);
}
// The same for complex doubles: columns kx0 <= kx < kx0 + 4 of 4 rows (128-bit units).
FASTSHEAR_TARGET_AVX2 void gather_tile_avx2(const double* ya, const double* yb, size_t n, size_t kx0,
                                                      size_t m, double* w) {
    __m256d d[4][2], mi[4][2];  // per column k: rows 0-1, 2-3
    const __m256d zero = _mm256_setzero_pd();
    for (size_t k = 0; k < 4; ++k) {
        const double* a = ya + 2 * (kx0 + k) * n;
        const double* b = yb + 2 * (kx0 + k) * n;
        for (int h = 0; h < 2; ++h) {
            const __m256d av = _mm256_loadu_pd(a + 4 * h), bv = _mm256_loadu_pd(b + 4 * h);
            const __m256d bs = _mm256_permute_pd(bv, 0x5);  // (b.im, b.re)
            d[k][h] = _mm256_addsub_pd(av, bs);
            mi[k][h] = _mm256_addsub_pd(bs, _mm256_sub_pd(zero, av));
        }
    }
    for (int r = 0; r < 4; ++r) {
        const int h = r / 2;
        const bool high = r % 2;
        double* row = w + 2 * r * m;
        _mm256_storeu_pd(row + 2 * kx0, lanes(d[0][h], d[1][h], high));
        _mm256_storeu_pd(row + 2 * (kx0 + 2), lanes(d[2][h], d[3][h], high));
        _mm256_storeu_pd(row + 2 * (m - kx0 - 3), lanes(mi[3][h], mi[2][h], high));
        _mm256_storeu_pd(row + 2 * (m - kx0 - 1), lanes(mi[1][h], mi[0][h], high));
    }
}
// The inverse direction (paired synthesis): from row spectra v (8 rows of M complex values) of
// z = c_a + i c_b, the half rows of c_a and c_b, Y_a(r, kx) = (V(r, kx) + conj V(r, M-kx)) / 2,
// Y_b(r, kx) = (V(r, kx) - conj V(r, M-kx)) / 2i, for columns kx0 <= kx < kx0 + 8, written
// transposed (ya[kx N + r], at row r0 of column 0).
FASTSHEAR_TARGET_AVX2 void split_tile_avx2(const float* v, size_t m, size_t kx0, size_t n, float* ya,
                                                     float* yb) {
    __m256d z[8][2], zm[8][2];  // per row r: columns kx0 + 0-3, 4-7; mirrors M - kx0 - 7 .. M - kx0
    for (size_t r = 0; r < 8; ++r)
        for (int h = 0; h < 2; ++h) {
            z[r][h] = _mm256_loadu_pd(reinterpret_cast<const double*>(v + 2 * (r * m + kx0 + 4 * h)));
            zm[r][h] = _mm256_loadu_pd(reinterpret_cast<const double*>(v + 2 * (r * m + m - kx0 - 7 + 4 * h)));
        }
    const __m256 half = _mm256_set1_ps(0.5f), zero = _mm256_setzero_ps();
    __m256d zt[4], mt[4];
    for (int h = 0; h < 2; ++h)        // rows 4h .. 4h+3
        for (int g = 0; g < 2; ++g) {  // columns kx0 + 4g .. 4g+3
            transpose4(z[4 * h][g], z[4 * h + 1][g], z[4 * h + 2][g], z[4 * h + 3][g], zt);
            // mirror block 1 - g holds columns kx0 + 7 - 4(1-g) - j ... : kx0 + 4g + k at j = 3 - k
            transpose4(zm[4 * h][1 - g], zm[4 * h + 1][1 - g], zm[4 * h + 2][1 - g], zm[4 * h + 3][1 - g], mt);
            for (int k = 0; k < 4; ++k) {
                const __m256 a = _mm256_castpd_ps(zt[k]), b = _mm256_castpd_ps(mt[3 - k]);
                const __m256 ra = _mm256_mul_ps(half, _mm256_addsub_ps(a, _mm256_sub_ps(zero, b)));
                const __m256 sa = _mm256_permute_ps(a, 0xB1), sb = _mm256_permute_ps(b, 0xB1);
                const __m256 rb = _mm256_mul_ps(half, _mm256_addsub_ps(sb, _mm256_sub_ps(zero, sa)));
                const size_t o = 2 * ((kx0 + 4 * g + k) * n + 4 * h);
                _mm256_storeu_ps(ya + o, ra);
                _mm256_storeu_ps(yb + o, rb);
            }
        }
}
// The same for complex doubles: columns kx0 <= kx < kx0 + 4 of 4 rows.
FASTSHEAR_TARGET_AVX2 void split_tile_avx2(const double* v, size_t m, size_t kx0, size_t n, double* ya,
                                                     double* yb) {
    const __m256d half = _mm256_set1_pd(0.5), zero = _mm256_setzero_pd();
    for (int rp = 0; rp < 2; ++rp)       // rows 2rp, 2rp+1
        for (int kp = 0; kp < 2; ++kp) {  // columns kx0 + 2kp, +1
            const double* v0 = v + 2 * (2 * rp * m);
            const double* v1 = v0 + 2 * m;
            const __m256d a0 = _mm256_loadu_pd(v0 + 2 * (kx0 + 2 * kp)), a1 = _mm256_loadu_pd(v1 + 2 * (kx0 + 2 * kp));
            const __m256d b0 = _mm256_loadu_pd(v0 + 2 * (m - kx0 - 2 * kp - 1)), b1 = _mm256_loadu_pd(v1 + 2 * (m - kx0 - 2 * kp - 1));
            for (int k = 0; k < 2; ++k) {
                const __m256d a = lanes(a0, a1, k != 0);
                const __m256d b = lanes(b0, b1, k == 0);
                const __m256d ra = _mm256_mul_pd(half, _mm256_addsub_pd(a, _mm256_sub_pd(zero, b)));
                const __m256d sa = _mm256_permute_pd(a, 0x5), sb = _mm256_permute_pd(b, 0x5);
                const __m256d rb = _mm256_mul_pd(half, _mm256_addsub_pd(sb, _mm256_sub_pd(zero, sa)));
                const size_t o = 2 * ((kx0 + 2 * kp + k) * n + 2 * rp);
                _mm256_storeu_pd(ya + o, ra);
                _mm256_storeu_pd(yb + o, rb);
            }
        }
}
// The tiles need AVX2 (isa::level::avx2 and above).
bool have_avx2() { return isa::best() >= isa::level::avx2; }
#endif

template <typename T>
void gather_pair_rows(const std::complex<T>* ya, const std::complex<T>* yb, size_t n, size_t r0, size_t nr,
                      size_t mh, size_t m, std::complex<T>* w) {  // n: the leading dimension of ya, yb
    using C = std::complex<T>;
    const size_t last = (m % 2 == 0) ? mh - 1 : mh;  // first column without a mirror (or mh)
    for (size_t r = 0; r < nr; ++r) {  // the real columns
        const C a = ya[r0 + r], b = yb[r0 + r];
        w[r * m] = C(a.real(), b.real());
        if (last < mh) {
            const C a2 = ya[last * n + r0 + r], b2 = yb[last * n + r0 + r];
            w[r * m + last] = C(a2.real(), b2.real());
        }
    }
    size_t kx0 = 1;
#if FASTSHEAR_ISA_X86
    if constexpr (std::is_same<T, float>::value) {
        if (nr == 8 && have_avx2())
            for (; kx0 + 8 <= last; kx0 += 8) gather_tile_avx2(re(ya + r0), re(yb + r0), n, kx0, m, re(w));
    } else {
        if (nr == 8 && have_avx2())
            for (; kx0 + 4 <= last; kx0 += 4) {
                gather_tile_avx2(re(ya + r0), re(yb + r0), n, kx0, m, re(w));
                gather_tile_avx2(re(ya + r0 + 4), re(yb + r0 + 4), n, kx0, m, re(w + 4 * m));
            }
    }
#endif
    for (size_t kx = kx0; kx < last; ++kx)
        for (size_t r = 0; r < nr; ++r) {
            const C a = ya[kx * n + r0 + r], b = yb[kx * n + r0 + r];
            w[r * m + kx] = C(a.real() - b.imag(), a.imag() + b.real());
            w[r * m + m - kx] = C(a.real() + b.imag(), b.real() - a.imag());
        }
}

// The inverse of gather_pair_rows: from the row spectra v (nr rows of M complex values) of
// z = c_a + i c_b for rows r0 .. r0+nr-1, the half rows of c_a and c_b, transposed into ya, yb
// ((M/2+1, N), see split_tile_avx2).
template <typename T>
void split_pair_rows(const std::complex<T>* v, size_t nr, size_t m, size_t mh, size_t n, size_t r0,
                     std::complex<T>* ya, std::complex<T>* yb) {
    using C = std::complex<T>;
    const T h = T(0.5);
    auto one = [&](size_t r, size_t kx) {
        const C z = v[r * m + kx], u = v[r * m + (m - kx) % m];
        ya[kx * n + r0 + r] = C(h * (z.real() + u.real()), h * (z.imag() - u.imag()));
        yb[kx * n + r0 + r] = C(h * (z.imag() + u.imag()), h * (u.real() - z.real()));
    };
    [[maybe_unused]] const size_t last = (m % 2 == 0) ? mh - 1 : mh;  // used by the x86 tiles
    size_t kx0 = 1;
#if FASTSHEAR_ISA_X86
    if constexpr (std::is_same<T, float>::value) {
        if (nr == 8 && have_avx2())
            for (; kx0 + 8 <= last; kx0 += 8) split_tile_avx2(re(v), m, kx0, n, re(ya + r0), re(yb + r0));
    } else {
        if (nr == 8 && have_avx2())
            for (; kx0 + 4 <= last; kx0 += 4)
                for (size_t q = 0; q < 8; q += 4) split_tile_avx2(re(v + q * m), m, kx0, n, re(ya + r0 + q), re(yb + r0 + q));
    }
#endif
    for (size_t r = 0; r < nr; ++r) {
        one(r, 0);
        for (size_t kx = kx0; kx < mh; ++kx) one(r, kx);
    }
}

// b[j ldb + i] = a[i lda + j] for i < rows, j < cols: a transpose of complex values. Complex
// floats move as 64-bit units in 8 x 8 tiles gathered in a local buffer (each cache line of a and
// b is touched once, also when the leading dimensions are multiples of 4 KB: a direct blocked
// loop was 1.6x slower at 512 x 512); complex doubles in direct 16 x 16 blocks (faster for them).
template <typename U>
void transpose_direct(const U* a, size_t lda, U* b, size_t ldb, size_t rows, size_t cols) {
    constexpr size_t B = 16;
    for (size_t i0 = 0; i0 < rows; i0 += B)
        for (size_t j0 = 0; j0 < cols; j0 += B) {
            const size_t i1 = std::min(rows, i0 + B), j1 = std::min(cols, j0 + B);
            for (size_t j = j0; j < j1; ++j)
                for (size_t i = i0; i < i1; ++i) b[j * ldb + i] = a[i * lda + j];
        }
}
template <typename U>
void transpose_tiled(const U* a, size_t lda, U* b, size_t ldb, size_t rows, size_t cols) {
    constexpr size_t B = 8;
    U tile[B][B];
    for (size_t i0 = 0; i0 < rows; i0 += B)
        for (size_t j0 = 0; j0 < cols; j0 += B) {
            if (i0 + B <= rows && j0 + B <= cols) {
                for (size_t i = 0; i < B; ++i)
                    for (size_t j = 0; j < B; ++j) tile[j][i] = a[(i0 + i) * lda + j0 + j];
                for (size_t j = 0; j < B; ++j)
                    for (size_t i = 0; i < B; ++i) b[(j0 + j) * ldb + i0 + i] = tile[j][i];
            } else {
                const size_t i1 = std::min(rows, i0 + B), j1 = std::min(cols, j0 + B);
                for (size_t i = i0; i < i1; ++i)
                    for (size_t j = j0; j < j1; ++j) b[j * ldb + i] = a[i * lda + j];
            }
        }
}
struct __attribute__((may_alias)) cd_unit { double re, im; };
void transpose(const float* a, size_t lda, float* b, size_t ldb, size_t rows, size_t cols) {
    transpose_tiled(reinterpret_cast<const u64_alias*>(a), lda, reinterpret_cast<u64_alias*>(b), ldb, rows, cols);
}
void transpose(const double* a, size_t lda, double* b, size_t ldb, size_t rows, size_t cols) {
    transpose_direct(reinterpret_cast<const cd_unit*>(a), lda, reinterpret_cast<cd_unit*>(b), ldb, rows, cols);
}
// b = a^T for a of rows x cols
template <typename T> void transpose(const T* a, T* b, size_t rows, size_t cols) {
    transpose(a, cols, b, rows, rows, cols);
}


// block sizes and path choices: infra/heuristics.hpp
using heuristics::kColBlock;
using heuristics::kPairBlock;
using heuristics::kRowBlock;

}  // namespace

template <typename T>
FilterBank2D<T>::FilterBank2D(int n, int m, int k, const std::complex<double>* filters)
    : n_(n), m_(m), k_(k), mh_(m / 2 + 1), ldy_(up8(static_cast<size_t>(n)) + 8) {
    if (n < 1 || m < 1 || k < 1) throw std::invalid_argument("FilterBank2D: sizes must be positive");
    const size_t H = half_size();
    inv_w_ = aligned_buffer<T>(H);
    weights_.assign(H, 0.0);
    const double scale = 1.0 / (static_cast<double>(n) * m);
    // A column of the half spectrum stands for itself and its mirror, except column 0 and, for
    // even M, column M/2.
    std::vector<double> mult(mh_, 2.0);
    mult[0] = 1.0;
    if (m % 2 == 0) mult[mh_ - 1] = 1.0;
    energies_.assign(k, 0.0);
    const size_t KH = static_cast<size_t>(k) * H, nn = n, mh = mh_;
    double max_abs2 = 0.0, max_imag2 = 0.0;  // squared: no hypot per value
    for (size_t j = 0; j < KH; ++j) {
        max_abs2 = std::max(max_abs2, std::norm(filters[j]));
        max_imag2 = std::max(max_imag2, filters[j].imag() * filters[j].imag());
    }
    real_ = max_imag2 <= heuristics::kRealFilterTol2 * max_abs2;  // max |imag| <= 1e-14 max |psi|
    // two bands per complex FFT where that beats two real transforms (see the heuristic)
    pairs_ = heuristics::shearlet2d_pairs<T>(k, real_);
    // real filters are kept transposed, (K, M/2+1, N): both directions work on transposed spectra
    if (real_)
        filt_t_ = aligned_buffer<T>(KH);
    else
        filt_ = aligned_buffer<cpx>(KH);
    const int nt = resolve_threads(0, k);
    // W, summed over the bands in their order for every frequency (rows shared among the threads)
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long r = 0; r < static_cast<long>(nn); ++r)
        for (int i = 0; i < k; ++i) {
            const std::complex<double>* f = filters + static_cast<size_t>(i) * H + r * mh;
            double* wr = weights_.data() + r * mh;
            for (size_t c = 0; c < mh; ++c) wr[c] += std::norm(f[c]);
        }
    // per band: its energy and its stored (scaled, maybe transposed) spectrum
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (int i = 0; i < k; ++i) {
        const std::complex<double>* f = filters + static_cast<size_t>(i) * H;
        double e = 0.0;
        for (size_t r = 0; r < nn; ++r)
            for (size_t c = 0; c < mh; ++c) e += mult[c] * std::norm(f[r * mh + c]);
        energies_[i] = e;
        if (real_) {
            T* dst = filt_t_.data() + static_cast<size_t>(i) * H;
            constexpr size_t B = 16;  // tiles: both sides touched a cache line at a time
            for (size_t r0 = 0; r0 < nn; r0 += B)
                for (size_t c0 = 0; c0 < mh; c0 += B) {
                    const size_t r1 = std::min(nn, r0 + B), c1 = std::min(mh, c0 + B);
                    for (size_t c = c0; c < c1; ++c)
                        for (size_t r = r0; r < r1; ++r) dst[c * nn + r] = static_cast<T>(f[r * mh + c].real() * scale);
                }
        } else {
            cpx* dst = filt_.data() + static_cast<size_t>(i) * H;
            for (size_t j = 0; j < H; ++j)
                dst[j] = cpx(static_cast<T>(f[j].real() * scale), static_cast<T>(f[j].imag() * scale));
        }
    }
    for (size_t j = 0; j < H; ++j) inv_w_[j] = weights_[j] > 0 ? static_cast<T>(1.0 / weights_[j]) : T(0);
    if (!real_) {  // whole-plane transforms
        r2c_ = &fft_plan<T>::get(fft_kind::r2c, {n, m});
        c2r_ = &fft_plan<T>::get(fft_kind::c2r, {n, m});
        if (pairs_) {
            c2c_ = &fft_plan<T>::get(fft_kind::c2c_forward, {n, m});
            c2c_inv_ = &fft_plan<T>::get(fft_kind::c2c_backward, {n, m});
        }
        return;
    }
    // real filters: blocks of rows (length M) and of columns (length N)
    const int ld = static_cast<int>(ldy_);
    rows_r2c_ = make_blocks(fft_kind::r2c, m, nn, kRowBlock);
    rows_c2r_ = make_blocks(fft_kind::c2r, m, nn, kRowBlock);
    if (pairs_) {
        rows_fwd_ = make_blocks(fft_kind::c2c_forward, m, nn, kPairBlock);
        rows_bwd_ = make_blocks(fft_kind::c2c_backward, m, nn, kPairBlock);
    }
    cols_fwd_ = make_blocks(fft_kind::c2c_forward, n, mh, kColBlock);
    cols_bwd_ = make_blocks(fft_kind::c2c_backward, n, mh, kColBlock);
    cols_from_y_ = make_blocks(fft_kind::c2c_forward, n, mh, kColBlock, ld, 0);
    cols_into_y_ = make_blocks(fft_kind::c2c_backward, n, mh, kColBlock, 0, ld);
    inv_w_t_ = aligned_buffer<T>(H);
    for (size_t r = 0; r < nn; ++r)
        for (size_t c = 0; c < mh; ++c) inv_w_t_[c * nn + r] = inv_w_[r * mh + c];
}

template <typename T>
typename FilterBank2D<T>::block_plans FilterBank2D<T>::make_blocks(fft_kind kind, int len, size_t count, size_t block,
                                                                   int idist, int odist) {
    block_plans p;
    p.size = std::min(block, count);
    p.full = &fft_plan<T>::get(kind, {len}, static_cast<int>(p.size), idist, odist);
    if (count % p.size) p.rest = &fft_plan<T>::get(kind, {len}, static_cast<int>(count % p.size), idist, odist);
    return p;
}

template <typename T>
void FilterBank2D<T>::forward(const T* x, T* out, size_t batch, int threads) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    aligned_buffer<cpx> spec(batch * H);
    if (real_)  // the real-filter path reads the spectra transposed, (M/2+1, N)
        spectra_t(x, spec.data(), batch, threads);
    else
        rfft2_batch(x, spec.data(), batch, n_, m_, threads);
    region_errors err;

    // work items: single bands, or pairs of bands through one complex FFT
    const size_t per = pairs_ ? (K + 1) / 2 : K;
    const size_t work = batch * per;
    const int nt = resolve_threads(threads, work);
    const size_t S = real_ ? real_scratch() : (pairs_ ? 2 * up8(P) : up8(H));
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * S);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        err.run([&] {
            const size_t b = w / per, i = pairs_ ? 2 * (w % per) : w % per;
            const cpx* X = spec.data() + b * H;
            cpx* t = tmp.data() + static_cast<size_t>(thread_id()) * S;
            T* dst = out + (b * K + i) * P;
            const bool pair = pairs_ && i + 1 < K;
            if (real_ && pair) {
                forward_pair_t(X, i, t, dst, dst + P);
            } else if (real_) {
                forward_single_t(X, i, t, dst);
            } else if (pair) {
                forward_pair(X, i, t, dst, dst + P);
            } else {
                mul_conj(re(X), re(filt_.data() + i * H), re(t), H);
                c2r_->c2r(t, dst);
            }
        });
    }
    err.rethrow();
}

// Bands i and i+1 of one image with complex filters: the full spectrum Z = X conj(F_i) + i X conj(F_i+1) (rows of the
// half spectrum and their mirrors), one complex inverse FFT, and its real and imaginary parts
// streamed to the two bands. t: scratch of 2 N M complex values.
template <typename T>
void FilterBank2D<T>::forward_pair(const cpx* X, size_t i, cpx* t, T* da, T* db) const {
    const size_t n = n_, m = m_, mh = mh_, H = half_size(), P = n * m;
    T* z = re(t);
    cpx* Z = t + up8(P);
    for (size_t r = 0; r < n; ++r) {
        const size_t rm = (n - r) % n;
        const T *x = re(X + r * mh), *xm = re(X + rm * mh);
        T* zr = z + 2 * r * m;
        const T *fa = re(filt_.data() + i * H), *fb = re(filt_.data() + (i + 1) * H);
        fwd_pack_cpx(x, fa + 2 * r * mh, fb + 2 * r * mh, zr, mh);
        fwd_pack_cpx_mirror(xm, fa + 2 * rm * mh, fb + 2 * rm * mh, zr, mh, m);
    }
    c2c_inv_->c2c(t, Z);
    stream_unpack(re(Z), da, db, P);
    stream_fence();
}

// The transposed half spectra XT (B, M/2+1, N) of a batch x (B, N, M): real FFTs of blocks of rows
// into a natural-layout half spectrum, then blocks of its columns transposed and transformed
// (contiguous). Both passes are shared among the threads also for one image.
template <typename T>
void FilterBank2D<T>::spectra_t(const T* x, cpx* XT, size_t batch, int threads) const {
    const size_t n = n_, m = m_, mh = mh_, H = half_size(), P = n * m;
    aligned_buffer<cpx> nat(batch * H);
    region_errors err;
    const size_t nrb = (n + kRowBlock - 1) / kRowBlock, ncb = (mh + kColBlock - 1) / kColBlock;
    const int nt1 = resolve_threads(threads, batch * nrb);
#pragma omp parallel for num_threads(nt1) schedule(static)
    for (long w = 0; w < static_cast<long>(batch * nrb); ++w) {
        err.run([&] {
            const size_t b = w / nrb, r0 = (w % nrb) * kRowBlock;
            rows_r2c_(std::min(kRowBlock, n - r0)).r2c(x + b * P + r0 * m, nat.data() + b * H + r0 * mh);
        });
    }
    err.rethrow();
    const int nt2 = resolve_threads(threads, batch * ncb);
    const size_t B = up8(kColBlock * n);
    aligned_buffer<cpx> blk(static_cast<size_t>(nt2) * B);
#pragma omp parallel for num_threads(nt2) schedule(static)
    for (long w = 0; w < static_cast<long>(batch * ncb); ++w) {
        err.run([&] {
            const size_t b = w / ncb, c0 = (w % ncb) * kColBlock, nc = std::min(kColBlock, mh - c0);
            cpx* t = blk.data() + static_cast<size_t>(thread_id()) * B;
            transpose(re(nat.data() + b * H + c0), mh, re(t), n, n, nc);
            cols_fwd_(nc).c2c(t, XT + b * H + c0 * n);
        });
    }
    err.rethrow();
}

// Per-thread scratch of the real-filter path (both directions), in complex values: Y_a and Y_b,
// transposed half spectra (M/2+1, ldy_) of one or two bands, a block of columns and two blocks of
// rows (kPairBlock complex rows or kRowBlock real ones and their half spectra).
template <typename T> size_t FilterBank2D<T>::real_scratch() const {
    return 2 * up8(mh_ * ldy_) + up8(kColBlock * n_) + 2 * row_block();
}
template <typename T> size_t FilterBank2D<T>::row_block() const {
    return up8(std::max(kPairBlock * m_, kRowBlock * mh_));
}
template <typename T> typename FilterBank2D<T>::real_parts FilterBank2D<T>::parts(cpx* t) const {
    const size_t Y = up8(mh_ * ldy_);
    real_parts p;
    p.ya = t;
    p.yb = t + Y;
    p.blk = t + 2 * Y;
    p.w = p.blk + up8(kColBlock * n_);
    p.v = p.w + row_block();
    return p;
}

// The decomposition with real filters, from an image's transposed half spectrum XT (M/2+1, N):
// the columns of X F_i are inverse transformed in blocks (contiguous, the product formed while
// cached) into Y_i, stored transposed, then the rows in blocks. FFTW's 2D plans of the same
// transforms copy columns to buffers and back; here the only transposes are of the row blocks.
template <typename T>
void FilterBank2D<T>::columns_t(const cpx* XT, size_t i, cpx* y, cpx* blk) const {
    const size_t n = n_, mh = mh_;
    const T* f = filt_t_.data() + i * half_size();
    for (size_t c0 = 0; c0 < mh; c0 += kColBlock) {
        const size_t nc = std::min(kColBlock, mh - c0);
        mul_real(re(XT + c0 * n), f + c0 * n, re(blk), nc * n);
        cols_into_y_(nc).c2c(blk, y + c0 * ldy_);
    }
}

// Bands i and i+1: the rows of W = Y_a + i Y_b (the full rows, see gather_pair_rows) take one
// complex inverse FFT each, which gives c_a + i c_b, streamed to the two bands.
template <typename T>
void FilterBank2D<T>::forward_pair_t(const cpx* XT, size_t i, cpx* t, T* da, T* db) const {
    const size_t n = n_, m = m_;
    const real_parts p = parts(t);
    columns_t(XT, i, p.ya, p.blk);
    columns_t(XT, i + 1, p.yb, p.blk);
    for (size_t r0 = 0; r0 < n; r0 += kPairBlock) {
        const size_t nr = std::min(kPairBlock, n - r0);
        gather_pair_rows(p.ya, p.yb, ldy_, r0, nr, mh_, m, p.w);
        rows_bwd_(nr).c2c(p.w, p.v);
        for (size_t r = 0; r < nr; ++r) stream_unpack(re(p.v + r * m), da + (r0 + r) * m, db + (r0 + r) * m, m);
    }
    stream_fence();
}

// Band i alone (the last of an odd count): blocks of rows of Y_i transposed back, real inverse FFTs.
template <typename T>
void FilterBank2D<T>::forward_single_t(const cpx* XT, size_t i, cpx* t, T* dst) const {
    const size_t n = n_, m = m_, mh = mh_;
    const real_parts p = parts(t);
    columns_t(XT, i, p.ya, p.blk);
    for (size_t r0 = 0; r0 < n; r0 += kRowBlock) {
        const size_t nr = std::min(kRowBlock, n - r0);
        transpose(re(p.ya + r0), ldy_, re(p.w), mh, mh, nr);
        rows_c2r_(nr).c2r(p.w, re(p.v));
        stream_copy(dst + r0 * m, re(p.v), nr * m);
    }
    stream_fence();
}

// Synthesis with real filters, into acc (transposed, (M/2+1, N)). Bands i and i+1 (ca, cb): blocks
// of rows of z = c_a + i c_b are transformed and split into the half rows of c_a and c_b, stored
// transposed (split_pair_rows); then synth_columns.
template <typename T>
void FilterBank2D<T>::synth_pair_t(const T* ca, const T* cb, size_t i, cpx* acc, cpx* t, bool first) const {
    const size_t n = n_, m = m_;
    const real_parts p = parts(t);
    for (size_t r0 = 0; r0 < n; r0 += kPairBlock) {
        const size_t nr = std::min(kPairBlock, n - r0);
        interleave(ca + r0 * m, cb + r0 * m, re(p.w), nr * m);
        rows_fwd_(nr).c2c(p.w, p.v);
        split_pair_rows(p.v, nr, m, mh_, ldy_, r0, p.ya, p.yb);
    }
    synth_columns(p, i, 2, acc, first);
}

// Band i alone: blocks of rows copied into a cached buffer (a band is read from memory once; FFTW
// reading it from memory directly is slower), real FFTs, transposed into Y_a; then synth_columns.
template <typename T>
void FilterBank2D<T>::synth_single_t(const T* c, size_t i, cpx* acc, cpx* t, bool first) const {
    const size_t n = n_, m = m_, mh = mh_;
    const real_parts p = parts(t);
    for (size_t r0 = 0; r0 < n; r0 += kRowBlock) {
        const size_t nr = std::min(kRowBlock, n - r0);
        std::memcpy(re(p.w), c + r0 * m, nr * m * sizeof(T));
        rows_r2c_(nr).r2c(re(p.w), p.v);
        transpose(re(p.v), mh, re(p.ya + r0), ldy_, nr, mh);
    }
    synth_columns(p, i, 1, acc, first);
}

// The column transforms of `count` bands i.. held in Y_a (and Y_b), block by block, multiplied by
// their filters and added to acc while cached: each block of acc is read and written once
// (`first`: the first band sets acc instead).
template <typename T>
void FilterBank2D<T>::synth_columns(const real_parts& p, size_t i, int count, cpx* acc, bool first) const {
    const size_t n = n_, mh = mh_, H = half_size();
    for (size_t c0 = 0; c0 < mh; c0 += kColBlock) {
        const size_t nc = std::min(kColBlock, mh - c0), len = nc * n;
        for (int q = 0; q < count; ++q) {
            cols_from_y_(nc).c2c((q ? p.yb : p.ya) + c0 * ldy_, p.blk);
            const T* f = filt_t_.data() + (i + q) * H + c0 * n;
            if (first && !q)
                mul_real(re(p.blk), f, re(acc + c0 * n), len);
            else
                mac_real(re(p.blk), f, re(acc + c0 * n), len);
        }
    }
}

// The image x (N, M) from a sum over bands kept transposed, accT (M/2+1, N) (destroyed), weighted
// by 1/W when `dual`: contiguous inverse column FFTs in blocks, each transposed into tmp (N, M/2+1,
// H values), then real inverse FFTs of blocks of rows. The threads share both passes.
template <typename T>
void FilterBank2D<T>::image_t(cpx* accT, cpx* tmp, T* x, bool dual, int threads) const {
    const size_t n = n_, m = m_, mh = mh_;
    const size_t ncb = (mh + kColBlock - 1) / kColBlock, nrb = (n + kRowBlock - 1) / kRowBlock, B = up8(kColBlock * n);
    region_errors err;
    const int nt1 = resolve_threads(threads, ncb);
    aligned_buffer<cpx> blk(static_cast<size_t>(nt1) * B);
#pragma omp parallel for num_threads(nt1) schedule(static)
    for (long w = 0; w < static_cast<long>(ncb); ++w) {
        err.run([&] {
            const size_t c0 = w * kColBlock, nc = std::min(kColBlock, mh - c0);
            cpx* a = accT + c0 * n;
            cpx* t = blk.data() + static_cast<size_t>(thread_id()) * B;
            if (dual) scale_by(re(a), inv_w_t_.data() + c0 * n, nc * n);
            cols_bwd_(nc).c2c(a, t);
            transpose(re(t), n, re(tmp + c0), mh, nc, n);
        });
    }
    err.rethrow();
    const int nt2 = resolve_threads(threads, nrb);
#pragma omp parallel for num_threads(nt2) schedule(static)
    for (long w = 0; w < static_cast<long>(nrb); ++w) {
        err.run([&] {
            const size_t r0 = w * kRowBlock;
            rows_c2r_(std::min(kRowBlock, n - r0)).c2r(tmp + r0 * mh, x + r0 * m);
        });
    }
    err.rethrow();
}

// Per-thread scratch of a synthesis, in complex values: with real filters real_scratch(); with
// complex filters z and Z (N M each) and a reversed row for pairs, else a band's spectrum (H),
// then a band (N M reals), at band_offset().
template <typename T> size_t FilterBank2D<T>::band_offset() const {
    const size_t P = static_cast<size_t>(n_) * m_;
    return pairs_ ? 2 * up8(P) + up8(std::max(n_, mh_)) : up8(half_size());
}
template <typename T> size_t FilterBank2D<T>::scratch_size() const {
    const size_t P = static_cast<size_t>(n_) * m_;
    return real_ ? real_scratch() : band_offset() + up8((P + 1) / 2);
}

// Partial sum over the bands lo..hi-1 of one image (c: its K bands) into acc, in scratch t
// (scratch_size()). Real filters: acc is the transposed half spectrum (M/2+1, N); pairs through
// synth_pair_t, a band alone through synth_single_t. Complex filters: acc is the half spectrum
// (N, M/2+1), whole-plane transforms.
template <typename T>
void FilterBank2D<T>::synth_chunk(const T* c, cpx* acc, cpx* t, size_t lo, size_t hi) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, mh = mh_, m = m_, n = n_;
    size_t i = lo;
    bool first = true;  // the first band of a chunk sets acc (no zeroing pass)
    if (real_) {
        for (; pairs_ && i + 1 < hi; i += 2, first = false) synth_pair_t(c + i * P, c + (i + 1) * P, i, acc, t, first);
        if (i < hi) synth_single_t(c + i * P, i, acc, t, first);
        return;
    }
    if (pairs_ && hi - lo >= 2) {
        std::memset(static_cast<void*>(acc), 0, H * sizeof(cpx));
        first = false;
        cpx* z = t;
        cpx* Z = z + up8(P);
        cpx* rev = Z + up8(P);
        for (; i + 1 < hi; i += 2) {
            interleave(c + i * P, c + (i + 1) * P, re(z), P);
            c2c_->c2c(z, Z);
            const cpx* fa = filt_.data() + i * H;
            const cpx* fb = fa + H;
            for (size_t r = 0; r < n; ++r) {
                reverse_row(re(Z + (r ? n - r : 0) * m), re(rev), mh, m);
                pair_mac_cpx(re(Z + r * m), re(rev), re(fa + r * mh), re(fb + r * mh), re(acc + r * mh), mh);
            }
        }
    }
    T* buf = reinterpret_cast<T*>(t + band_offset());
    for (; i < hi; ++i, first = false) {
        // A band is read from memory once, by a streaming copy into a cached buffer: FFTW reading
        // it directly from memory is slower (by about 0.15 ms per 512 x 512 band in float64).
        std::memcpy(buf, c + i * P, P * sizeof(T));
        r2c_->r2c(buf, t);
        const cpx* f = filt_.data() + i * H;
        if (first)
            mul(re(t), re(f), re(acc), H);
        else
            mul_acc(re(t), re(f), re(acc), H);
    }
}

template <typename T>
void FilterBank2D<T>::synthesize(const T* c, T* out, size_t batch, int threads, bool dual) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    const int nch = std::min(k_, heuristics::kSynthesisChunks);
    const size_t per_block = std::max<size_t>(1, heuristics::kSynthesisItemsPerBlock / nch);  // images per block
    const size_t block = std::min(batch, per_block);
    int nt = resolve_threads(threads, block * nch);
    const size_t scratch = scratch_size();
    auto chunk = [&](size_t b, int ch, cpx* acc, cpx* t) {
        const auto [lo, hi] = chunk_range(K, nch, ch);
        synth_chunk(c + b * K * P, acc, t, lo, hi);
    };
    // sum (in acc) -> weighted half spectrum -> image; tmp: H complex values
    auto finish = [&](cpx* acc, cpx* tmp, T* x, int nthreads) {
        if (real_) {
            image_t(acc, tmp, x, dual, nthreads);
            return;
        }
        if (dual) scale_by(re(acc), inv_w_.data(), H);
        c2r_->c2r(acc, x);
    };
    if (nt == 1) {
        // One thread: the chunks of an image one after the other, each added to the total while
        // it is still in cache (the same sums in the same order as the parallel code below).
        aligned_buffer<cpx> sums(2 * up8(H) + scratch);
        cpx* total = sums.data();
        cpx* acc = total + up8(H);
        cpx* t = acc + up8(H);
        for (size_t b = 0; b < batch; ++b) {
            for (int ch = 0; ch < nch; ++ch) {
                chunk(b, ch, ch ? acc : total, t);
                if (ch) add_to(re(total), re(acc), H);
            }
            finish(total, acc, out + b * P, 1);
        }
        return;
    }
    const size_t stride = static_cast<size_t>(std::max(nch, 2)) * H;  // per image: chunks, >= 2
    aligned_buffer<cpx> part(block * stride);
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * scratch);
    region_errors err;

    for (size_t b0 = 0; b0 < batch; b0 += block) {
        const size_t nb = std::min(block, batch - b0);
        const size_t work = nb * nch;
        // partial sums over fixed chunks of bands
#pragma omp parallel for num_threads(nt) schedule(dynamic)
        for (long w = 0; w < static_cast<long>(work); ++w) {
            err.run([&] {
                const size_t bb = w / nch, ch = w % nch;
                chunk(b0 + bb, static_cast<int>(ch), part.data() + bb * stride + ch * H,
                      tmp.data() + static_cast<size_t>(thread_id()) * scratch);
            });
        }
        err.rethrow();
        // reduce the chunks in order, in cache-sized blocks of the spectrum shared among the
        // threads (element-wise, so any split gives the same sums), then weight, inverse FFT
        reduce_chunks(re(part.data()), nb, 2 * stride, nch, 2 * H, 2 * H, 2 * heuristics::kSynthesisReduceBlock,
                      threads, [](T* acc, const T* p, size_t n) { add_to(acc, p, n / 2); });
        // the images: in parallel, or (fewer images than threads) each shared among the threads
        int nt2 = resolve_threads(threads, nb);
        if (real_ && static_cast<int>(nb) < nt) {
            for (size_t bb = 0; bb < nb; ++bb) {
                cpx* acc = part.data() + bb * stride;
                finish(acc, acc + H, out + (b0 + bb) * P, threads);
            }
            continue;
        }
#pragma omp parallel for num_threads(nt2) schedule(static)
        for (long bb = 0; bb < static_cast<long>(nb); ++bb) {
            err.run([&] {
                cpx* acc = part.data() + static_cast<size_t>(bb) * stride;
                finish(acc, acc + H, out + (b0 + bb) * P, 1);
            });
        }
        err.rethrow();
    }
}

template class FilterBank2D<float>;
template class FilterBank2D<double>;

}  // namespace fastshear
