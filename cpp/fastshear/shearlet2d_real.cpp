// The 2D filter bank's real-filter path (shearlet2d.hpp): every 2D FFT as blocks of 1D FFTs of
// rows and of contiguous columns, on half spectra stored transposed; pairs of bands through one
// complex FFT (infra/pair_fft.hpp), with AVX2 tiles for the pair's gather and split.
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
#include "fastshear/infra/pair_fft.hpp"
#include "fastshear/infra/parallel.hpp"
#include "fastshear/infra/transpose.hpp"

#if FASTSHEAR_ISA_X86
#include <immintrin.h>
#endif

namespace fastshear {

namespace {

// Rows r0 .. r0+nr-1 of the full spectra W = Y_a + i Y_b of two real images' row transforms, from
// their column-transformed half spectra stored transposed (ya, yb: (M/2+1, N), ya[kx N + r] =
// Y_a(r, kx)): W(r, kx) = Y_a + i Y_b for kx < M/2+1 and, as Y_a(r, M-kx) = conj Y_a(r, kx) (the
// rows of a real image), W(r, M-kx) = conj Y_a + i conj Y_b. The columns a real row transform
// takes as real (kx = 0 and, for even M, M/2) take the real parts only, as FFTW's c2r does.
// w: nr rows of M complex values. With 8 rows and AVX2, in 8 x 8 tiles transposed in registers
// (each cache line of ya, yb and w touched once; element by element this took a quarter of the
// decomposition's time at 512 x 512). The tiles compute pair_join / pair_join_conj and pair_split
// of infra/pair_fft.hpp (the same expressions in the same order) in vector registers.
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
FASTSHEAR_TARGET_AVX2 void gather_tile_avx2(const float* ya, const float* yb, size_t n, size_t kx0, size_t m,
                                            float* w) {
    __m256d d[8][2], mi[8][2];  // per column k: rows 0-3, 4-7 as 64-bit units
    const __m256 zero = _mm256_setzero_ps();
    for (size_t k = 0; k < 8; ++k) {
        const float* a = ya + 2 * (kx0 + k) * n;
        const float* b = yb + 2 * (kx0 + k) * n;
        for (int h = 0; h < 2; ++h) {
            const __m256 av = _mm256_loadu_ps(a + 8 * h), bv = _mm256_loadu_ps(b + 8 * h);
            const __m256 bs = _mm256_permute_ps(bv, 0xB1);                               // (b.im, b.re)
            d[k][h] = _mm256_castps_pd(_mm256_addsub_ps(av, bs));                        // (a.re - b.im, a.im + b.re)
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
FASTSHEAR_TARGET_AVX2 void gather_tile_avx2(const double* ya, const double* yb, size_t n, size_t kx0, size_t m,
                                            double* w) {
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
FASTSHEAR_TARGET_AVX2 void split_tile_avx2(const float* v, size_t m, size_t kx0, size_t n, float* ya, float* yb) {
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
FASTSHEAR_TARGET_AVX2 void split_tile_avx2(const double* v, size_t m, size_t kx0, size_t n, double* ya, double* yb) {
    const __m256d half = _mm256_set1_pd(0.5), zero = _mm256_setzero_pd();
    for (int rp = 0; rp < 2; ++rp)        // rows 2rp, 2rp+1
        for (int kp = 0; kp < 2; ++kp) {  // columns kx0 + 2kp, +1
            const double* v0 = v + 2 * (2 * rp * m);
            const double* v1 = v0 + 2 * m;
            const __m256d a0 = _mm256_loadu_pd(v0 + 2 * (kx0 + 2 * kp)), a1 = _mm256_loadu_pd(v1 + 2 * (kx0 + 2 * kp));
            const __m256d b0 = _mm256_loadu_pd(v0 + 2 * (m - kx0 - 2 * kp - 1)),
                          b1 = _mm256_loadu_pd(v1 + 2 * (m - kx0 - 2 * kp - 1));
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
void gather_pair_rows(const std::complex<T>* ya, const std::complex<T>* yb, size_t n, size_t r0, size_t nr, size_t mh,
                      size_t m, std::complex<T>* w) {  // n: the leading dimension of ya, yb
    using C = std::complex<T>;
    const size_t last = (m % 2 == 0) ? mh - 1 : mh;  // first column without a mirror (or mh)
    for (size_t r = 0; r < nr; ++r) {                // the real columns
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
            T zr, zi;
            pair_join(a.real(), a.imag(), b.real(), b.imag(), zr, zi);
            w[r * m + kx] = C(zr, zi);
            pair_join_conj(a.real(), a.imag(), b.real(), b.imag(), zr, zi);
            w[r * m + m - kx] = C(zr, zi);
        }
}

// The inverse of gather_pair_rows: from the row spectra v (nr rows of M complex values) of
// z = c_a + i c_b for rows r0 .. r0+nr-1, the half rows of c_a and c_b, transposed into ya, yb
// ((M/2+1, N), see split_tile_avx2).
template <typename T>
void split_pair_rows(const std::complex<T>* v, size_t nr, size_t m, size_t mh, size_t n, size_t r0, std::complex<T>* ya,
                     std::complex<T>* yb) {
    using C = std::complex<T>;
    auto one = [&](size_t r, size_t kx) {
        const C z = v[r * m + kx], u = v[r * m + (m - kx) % m];
        T ar, ai, br, bi;
        pair_split(z.real(), z.imag(), u.real(), u.imag(), ar, ai, br, bi);
        ya[kx * n + r0 + r] = C(ar, ai);
        yb[kx * n + r0 + r] = C(br, bi);
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
                for (size_t q = 0; q < 8; q += 4)
                    split_tile_avx2(re(v + q * m), m, kx0, n, re(ya + r0 + q), re(yb + r0 + q));
    }
#endif
    for (size_t r = 0; r < nr; ++r) {
        one(r, 0);
        for (size_t kx = kx0; kx < mh; ++kx) one(r, kx);
    }
}

// block sizes and path choices: infra/heuristics.hpp
using heuristics::kColBlock;
using heuristics::kPairBlock;
using heuristics::kRowBlock;

}  // namespace

// The transposed half spectra XT (B, M/2+1, N) of a batch x (B, N, M): real FFTs of blocks of rows
// into a natural-layout half spectrum, then blocks of its columns transposed and transformed
// (contiguous). Both passes are shared among the threads also for one image.
template <typename T> void FilterBank2D<T>::spectra_t(const T* x, cpx* XT, size_t batch, int threads) const {
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
            transpose_complex(re(nat.data() + b * H + c0), mh, re(t), n, n, nc);
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
template <typename T> void FilterBank2D<T>::columns_t(const cpx* XT, size_t i, cpx* y, cpx* blk) const {
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
template <typename T> void FilterBank2D<T>::forward_pair_t(const cpx* XT, size_t i, cpx* t, T* da, T* db) const {
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
template <typename T> void FilterBank2D<T>::forward_single_t(const cpx* XT, size_t i, cpx* t, T* dst) const {
    const size_t n = n_, m = m_, mh = mh_;
    const real_parts p = parts(t);
    columns_t(XT, i, p.ya, p.blk);
    for (size_t r0 = 0; r0 < n; r0 += kRowBlock) {
        const size_t nr = std::min(kRowBlock, n - r0);
        transpose_complex(re(p.ya + r0), ldy_, re(p.w), mh, mh, nr);
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
template <typename T> void FilterBank2D<T>::synth_single_t(const T* c, size_t i, cpx* acc, cpx* t, bool first) const {
    const size_t n = n_, m = m_, mh = mh_;
    const real_parts p = parts(t);
    for (size_t r0 = 0; r0 < n; r0 += kRowBlock) {
        const size_t nr = std::min(kRowBlock, n - r0);
        std::memcpy(re(p.w), c + r0 * m, nr * m * sizeof(T));
        rows_r2c_(nr).r2c(re(p.w), p.v);
        transpose_complex(re(p.v), mh, re(p.ya + r0), ldy_, nr, mh);
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
template <typename T> void FilterBank2D<T>::image_t(cpx* accT, cpx* tmp, T* x, bool dual, int threads) const {
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
            transpose_complex(re(t), n, re(tmp + c0), mh, nc, n);
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

template void FilterBank2D<float>::spectra_t(const float*, std::complex<float>*, size_t, int) const;
template void FilterBank2D<float>::columns_t(const std::complex<float>*, size_t, std::complex<float>*,
                                             std::complex<float>*) const;
template void FilterBank2D<float>::forward_pair_t(const std::complex<float>*, size_t, std::complex<float>*, float*,
                                                  float*) const;
template void FilterBank2D<float>::forward_single_t(const std::complex<float>*, size_t, std::complex<float>*,
                                                    float*) const;
template void FilterBank2D<float>::synth_pair_t(const float*, const float*, size_t, std::complex<float>*,
                                                std::complex<float>*, bool) const;
template void FilterBank2D<float>::synth_single_t(const float*, size_t, std::complex<float>*, std::complex<float>*,
                                                  bool) const;
template void FilterBank2D<float>::image_t(std::complex<float>*, std::complex<float>*, float*, bool, int) const;
template size_t FilterBank2D<float>::real_scratch() const;
template void FilterBank2D<double>::spectra_t(const double*, std::complex<double>*, size_t, int) const;
template void FilterBank2D<double>::columns_t(const std::complex<double>*, size_t, std::complex<double>*,
                                              std::complex<double>*) const;
template void FilterBank2D<double>::forward_pair_t(const std::complex<double>*, size_t, std::complex<double>*, double*,
                                                   double*) const;
template void FilterBank2D<double>::forward_single_t(const std::complex<double>*, size_t, std::complex<double>*,
                                                     double*) const;
template void FilterBank2D<double>::synth_pair_t(const double*, const double*, size_t, std::complex<double>*,
                                                 std::complex<double>*, bool) const;
template void FilterBank2D<double>::synth_single_t(const double*, size_t, std::complex<double>*, std::complex<double>*,
                                                   bool) const;
template void FilterBank2D<double>::image_t(std::complex<double>*, std::complex<double>*, double*, bool, int) const;
template size_t FilterBank2D<double>::real_scratch() const;

template size_t FilterBank2D<float>::row_block() const;
template FilterBank2D<float>::real_parts FilterBank2D<float>::parts(std::complex<float>*) const;
template size_t FilterBank2D<double>::row_block() const;
template FilterBank2D<double>::real_parts FilterBank2D<double>::parts(std::complex<double>*) const;

template void FilterBank2D<float>::synth_columns(const FilterBank2D<float>::real_parts&, size_t, int,
                                                 std::complex<float>*, bool) const;
template void FilterBank2D<double>::synth_columns(const FilterBank2D<double>::real_parts&, size_t, int,
                                                  std::complex<double>*, bool) const;
}  // namespace fastshear
