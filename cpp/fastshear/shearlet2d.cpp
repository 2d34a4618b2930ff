#include "fastshear/shearlet2d.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "fastshear/complex_kernels.hpp"
#include "fastshear/parallel.hpp"

namespace fastshear {

namespace {

// Kernels of the paired synthesis (the generic ones are in complex_kernels.hpp).
#define FASTSHEAR_KERNELS(T)                                                                    \
    /* One row of a paired synthesis. z: row r of Z = fft2(c_a + i c_b), zr: row (N-r)%N of Z   \
       reversed (zr[j] = Z(-r, -j), see reverse_row); for the half-row columns j < mh, with     \
       x+iy = Z(r,j), u+iv = Z(-r,-j): F(c_a) = ((x+u) + i(y-v))/2, F(c_b) = ((y+v) + i(u-x))/2, \
       acc += F(c_a) pa + F(c_b) pb. Real filters pa, pb (mh values each). */                   \
    FASTSHEAR_CLONES void pair_mac_real(const T* __restrict z, const T* __restrict zr,          \
                                        const T* __restrict pa, const T* __restrict pb,         \
                                        T* __restrict acc, size_t mh) {                         \
        const T h = T(0.5);                                                                     \
        for (size_t j = 0; j < mh; ++j) {                                                       \
            T x = z[2 * j], y = z[2 * j + 1], u = zr[2 * j], v = zr[2 * j + 1];                 \
            acc[2 * j] += h * ((x + u) * pa[j] + (y + v) * pb[j]);                              \
            acc[2 * j + 1] += h * ((y - v) * pa[j] + (u - x) * pb[j]);                          \
        }                                                                                       \
    }                                                                                           \
    /* The same with complex filters pa, pb (mh interleaved values each). */                    \
    FASTSHEAR_CLONES void pair_mac_cpx(const T* __restrict z, const T* __restrict zr,           \
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
    /* Paired decomposition: row r of the full spectrum Z = X conj(Fa) + i X conj(Fb) of two bands,\
       columns c < mh from the half spectrum's row r (x) ... */                                \
    FASTSHEAR_CLONES void fwd_pack_real(const T* __restrict x, const T* __restrict fa, const T* __restrict fb, T* __restrict z, size_t mh) {\
        for (size_t c = 0; c < mh; ++c) {                                                      \
            const T xr = x[2 * c], xi = x[2 * c + 1];                                          \
            z[2 * c] = xr * fa[c] - xi * fb[c];                                                \
            z[2 * c + 1] = xi * fa[c] + xr * fb[c];                                            \
        }                                                                                      \
    }                                                                                          \
    /* ... and columns mh <= c < m from row (N-r)%N (x): Z = conj(X(-r, m-c)) (Fa + i Fb)(-r, m-c) */\
    FASTSHEAR_CLONES void fwd_pack_real_mirror(const T* __restrict x, const T* __restrict fa, const T* __restrict fb, T* __restrict z, size_t mh, size_t m) {\
        for (size_t c = mh; c < m; ++c) {                                                      \
            const size_t j = m - c;                                                            \
            const T xr = x[2 * j], xi = x[2 * j + 1];                                          \
            z[2 * c] = xr * fa[j] + xi * fb[j];                                                \
            z[2 * c + 1] = xr * fb[j] - xi * fa[j];                                            \
        }                                                                                      \
    }                                                                                          \
    /* The same with complex filters (mh interleaved values each). */                          \
    FASTSHEAR_CLONES void fwd_pack_cpx(const T* __restrict x, const T* __restrict fa, const T* __restrict fb, T* __restrict z, size_t mh) {\
        for (size_t c = 0; c < mh; ++c) {                                                      \
            const T xr = x[2 * c], xi = x[2 * c + 1];                                          \
            const T gr = fa[2 * c] + fb[2 * c + 1], gi = fb[2 * c] - fa[2 * c + 1];  /* conj(Fa) + i conj(Fb) */\
            z[2 * c] = xr * gr - xi * gi;                                                      \
            z[2 * c + 1] = xr * gi + xi * gr;                                                  \
        }                                                                                      \
    }                                                                                          \
    FASTSHEAR_CLONES void fwd_pack_cpx_mirror(const T* __restrict x, const T* __restrict fa, const T* __restrict fb, T* __restrict z, size_t mh, size_t m) {\
        for (size_t c = mh; c < m; ++c) {                                                      \
            const size_t j = m - c;                                                            \
            const T xr = x[2 * j], xi = -x[2 * j + 1];  /* conj(X) */                          \
            const T hr = fa[2 * j] - fb[2 * j + 1], hi = fa[2 * j + 1] + fb[2 * j];  /* Fa + i Fb */\
            z[2 * c] = xr * hr - xi * hi;                                                      \
            z[2 * c + 1] = xr * hi + xi * hr;                                                  \
        }                                                                                      \
    }

FASTSHEAR_KERNELS(float)
FASTSHEAR_KERNELS(double)
#undef FASTSHEAR_KERNELS

// rev[j] = row[(m - j) % m] for the complex values j < mh of a row of m: the mirrored frequencies
// of a row, in the order of the half row. A complex float moves as one 64-bit unit (vectorised).
typedef uint64_t u64_alias __attribute__((may_alias));
FASTSHEAR_CLONES void reverse_row(const float* row, float* rev, size_t mh, size_t m) {
    const u64_alias* s = reinterpret_cast<const u64_alias*>(row);
    u64_alias* d = reinterpret_cast<u64_alias*>(rev);
    d[0] = s[0];
    for (size_t j = 1; j < mh; ++j) d[j] = s[m - j];
}
void reverse_row(const double* row, double* rev, size_t mh, size_t m) {
    rev[0] = row[0];
    rev[1] = row[1];
    for (size_t j = 1; j < mh; ++j) {
        rev[2 * j] = row[2 * (m - j)];
        rev[2 * j + 1] = row[2 * (m - j) + 1];
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


constexpr size_t kColBlock = 16;  // columns transformed at once by a single-band synthesis
constexpr int kChunks = 8;        // band chunks of a synthesis (fixed: results independent of threads)
constexpr int kItemsPerBlock = 16;  // chunk partial sums held at once

}  // namespace

template <typename T>
FilterBank2D<T>::FilterBank2D(int n, int m, int k, const std::complex<double>* filters)
    : n_(n), m_(m), k_(k), mh_(m / 2 + 1) {
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
    const size_t KH = static_cast<size_t>(k) * H;
    double max_abs = 0.0, max_imag = 0.0;
    for (size_t j = 0; j < KH; ++j) {
        max_abs = std::max(max_abs, std::abs(filters[j]));
        max_imag = std::max(max_imag, std::abs(filters[j].imag()));
    }
    real_ = max_imag <= 1e-14 * max_abs;
    // Pairs where FFTW's complex transforms beat two real ones: single precision (measured at
    // 128 to 512 square, 1 thread: 1.2-1.3x faster syntheses); in double precision they do not.
    pairs_ = std::is_same<T, float>::value && k >= 2;
    if (real_)
        filt_r_ = aligned_buffer<T>(KH);
    else
        filt_ = aligned_buffer<cpx>(KH);
    for (int i = 0; i < k; ++i) {
        const std::complex<double>* f = filters + static_cast<size_t>(i) * H;
        double e = 0.0;
        for (size_t j = 0; j < H; ++j) {
            const double a = std::norm(f[j]);
            weights_[j] += a;
            e += mult[j % mh_] * a;
        }
        energies_[i] = e;
        if (real_) {
            T* dst = filt_r_.data() + static_cast<size_t>(i) * H;
            for (size_t j = 0; j < H; ++j) dst[j] = static_cast<T>(f[j].real() * scale);
        } else {
            cpx* dst = filt_.data() + static_cast<size_t>(i) * H;
            for (size_t j = 0; j < H; ++j)
                dst[j] = cpx(static_cast<T>(f[j].real() * scale), static_cast<T>(f[j].imag() * scale));
        }
    }
    for (size_t j = 0; j < H; ++j) inv_w_[j] = weights_[j] > 0 ? static_cast<T>(1.0 / weights_[j]) : T(0);
    r2c_ = &fft_plan<T>::get(fft_kind::r2c, {n, m});
    c2r_ = &fft_plan<T>::get(fft_kind::c2r, {n, m});
    if (real_) {
        // the synthesis works on transposed spectra (M/2+1, N): a second copy of the filters
        filt_t_ = aligned_buffer<T>(KH);
        for (int i = 0; i < k; ++i) {
            const T* src = filt_r_.data() + static_cast<size_t>(i) * H;
            T* dst = filt_t_.data() + static_cast<size_t>(i) * H;
            for (int r = 0; r < n; ++r)
                for (int c = 0; c < mh_; ++c) dst[static_cast<size_t>(c) * n + r] = src[static_cast<size_t>(r) * mh_ + c];
        }
        rows_r2c_ = &fft_plan<T>::get(fft_kind::r2c, {m}, n);
        cblk_ = std::min<size_t>(kColBlock, mh_);
        cols_h_ = &fft_plan<T>::get(fft_kind::c2c_forward, {n}, static_cast<int>(cblk_));
        if (mh_ % cblk_) cols_rem_ = &fft_plan<T>::get(fft_kind::c2c_forward, {n}, static_cast<int>(mh_ % cblk_));
        if (pairs_) {
            rows_ = &fft_plan<T>::get(fft_kind::c2c_forward, {m}, n);
            cols_ = &fft_plan<T>::get(fft_kind::c2c_forward, {n}, m);
        }
    } else if (pairs_) {
        c2c_ = &fft_plan<T>::get(fft_kind::c2c_forward, {n, m});
    }
    if (pairs_) c2c_inv_ = &fft_plan<T>::get(fft_kind::c2c_backward, {n, m});  // paired decomposition
}

template <typename T>
void FilterBank2D<T>::forward(const T* x, T* out, size_t batch, int threads) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    aligned_buffer<cpx> spec(batch * H);
    rfft2_batch(x, spec.data(), batch, n_, m_, threads);
    region_errors err;

    // work items: single bands, or (float) pairs of bands through one complex FFT
    const size_t per = pairs_ ? (K + 1) / 2 : K;
    const size_t work = batch * per;
    const int nt = resolve_threads(threads, work);
    const size_t S = pairs_ ? 2 * up8(P) : up8(H);
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * S);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        err.run([&] {
            const size_t b = w / per, i = pairs_ ? 2 * (w % per) : w % per;
            const cpx* X = spec.data() + b * H;
            cpx* t = tmp.data() + static_cast<size_t>(thread_id()) * S;
            T* dst = out + (b * K + i) * P;
            if (pairs_ && i + 1 < K) {
                forward_pair(X, i, t, dst, dst + P);
                return;
            }
            if (real_)
                mul_real(re(X), filt_r_.data() + i * H, re(t), H);
            else
                mul_conj(re(X), re(filt_.data() + i * H), re(t), H);
            c2r_->c2r(t, dst);
        });
    }
    err.rethrow();
}

// Bands i and i+1 of one image: the full spectrum Z = X conj(F_i) + i X conj(F_i+1) (rows of the
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
        if (real_) {
            const T *fa = filt_r_.data() + i * H, *fb = fa + H;
            fwd_pack_real(x, fa + r * mh, fb + r * mh, zr, mh);
            fwd_pack_real_mirror(xm, fa + rm * mh, fb + rm * mh, zr, mh, m);
        } else {
            const T *fa = re(filt_.data() + i * H), *fb = re(filt_.data() + (i + 1) * H);
            fwd_pack_cpx(x, fa + 2 * r * mh, fb + 2 * r * mh, zr, mh);
            fwd_pack_cpx_mirror(xm, fa + 2 * rm * mh, fb + 2 * rm * mh, zr, mh, m);
        }
    }
    c2c_inv_->c2c(t, Z);
    stream_unpack(re(Z), da, db, P);
    stream_fence();
}

// Per-thread scratch of a synthesis, in complex values, in parts of 64-byte multiples: with paired
// synthesis z and Z (N M each) and a reversed row, else the spectrum of a band (H); at
// block_offset() two blocks of columns (cblk_ N each); at buffer_offset() a band (N M reals).
template <typename T> size_t FilterBank2D<T>::block_offset() const {
    const size_t P = static_cast<size_t>(n_) * m_;
    return pairs_ ? 2 * up8(P) + up8(std::max(n_, mh_)) : up8(half_size());
}
template <typename T> size_t FilterBank2D<T>::buffer_offset() const {
    return block_offset() + 2 * up8(cblk_ * n_);
}
template <typename T> size_t FilterBank2D<T>::scratch_size() const {
    const size_t P = static_cast<size_t>(n_) * m_;
    return buffer_offset() + up8((P + 1) / 2);
}

// Partial sum over the bands lo..hi-1 of one image (c: its K bands) into acc, in scratch t
// (scratch_size()). Real filters: acc is the transposed half spectrum (M/2+1, N) and the
// transforms are rows, a transpose, then contiguous column transforms (FFTW's 2D plans copy
// columns to buffers and back). Complex filters: acc is the half spectrum (N, M/2+1).
template <typename T>
void FilterBank2D<T>::synth_chunk(const T* c, cpx* acc, cpx* t, size_t lo, size_t hi) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, mh = mh_, m = m_, n = n_;
    size_t i = lo;
    bool first = true;  // the first band of a chunk sets acc (no zeroing pass)
    if (pairs_ && hi - lo >= 2) {
        std::memset(static_cast<void*>(acc), 0, H * sizeof(cpx));
        first = false;
        cpx* z = t;
        cpx* Z = z + up8(P);
        cpx* rev = Z + up8(P);
        for (; i + 1 < hi; i += 2) {
            interleave(c + i * P, c + (i + 1) * P, re(z), P);
            if (real_) {
                rows_->c2c(z, Z);
                transpose(re(Z), re(z), n, m);
                cols_->c2c(z, Z);  // Z: fft2 transposed, (M, N)
                const T* fa = filt_t_.data() + i * H;
                const T* fb = fa + H;
                for (size_t col = 0; col < mh; ++col) {
                    reverse_row(re(Z + (col ? m - col : 0) * n), re(rev), n, n);
                    pair_mac_real(re(Z + col * n), re(rev), fa + col * n, fb + col * n, re(acc + col * n), n);
                }
            } else {
                c2c_->c2c(z, Z);
                const cpx* fa = filt_.data() + i * H;
                const cpx* fb = fa + H;
                for (size_t r = 0; r < n; ++r) {
                    reverse_row(re(Z + (r ? n - r : 0) * m), re(rev), mh, m);
                    pair_mac_cpx(re(Z + r * m), re(rev), re(fa + r * mh), re(fb + r * mh), re(acc + r * mh), mh);
                }
            }
        }
    }
    cpx* t1 = t;
    cpx* t2 = t + block_offset();
    cpx* t3 = t2 + up8(cblk_ * n);
    T* buf = reinterpret_cast<T*>(t + buffer_offset());
    for (; i < hi; ++i, first = false) {
        // A band is read from memory once, by a streaming copy into a cached buffer: FFTW reading
        // it directly from memory is slower (by about 0.15 ms per 512 x 512 band in float64).
        std::memcpy(buf, c + i * P, P * sizeof(T));
        if (real_) {
            rows_r2c_->r2c(buf, t1);
            // the columns in blocks: transposed into t2, transformed into t3 and multiplied while
            // cached (the transposed spectrum (M/2+1, N) is never stored whole)
            for (size_t c0 = 0; c0 < mh; c0 += cblk_) {
                const size_t nc = std::min(cblk_, mh - c0), len = nc * n;
                transpose(re(t1 + c0), mh, re(t2), n, n, nc);
                (nc == cblk_ ? cols_h_ : cols_rem_)->c2c(t2, t3);
                const T* f = filt_t_.data() + i * H + c0 * n;
                if (first)
                    mul_real(re(t3), f, re(acc + c0 * n), len);
                else
                    mac_real(re(t3), f, re(acc + c0 * n), len);
            }
        } else {
            r2c_->r2c(buf, t1);
            const cpx* f = filt_.data() + i * H;
            if (first)
                mul(re(t1), re(f), re(acc), H);
            else
                mul_acc(re(t1), re(f), re(acc), H);
        }
    }
}

template <typename T>
void FilterBank2D<T>::synthesize(const T* c, T* out, size_t batch, int threads, bool dual) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    const int nch = std::min(k_, kChunks);
    const size_t per_block = std::max<size_t>(1, kItemsPerBlock / nch);  // images per block
    const size_t block = std::min(batch, per_block);
    int nt = resolve_threads(threads, block * nch);
    const size_t scratch = scratch_size();
    auto chunk = [&](size_t b, int ch, cpx* acc, cpx* t) {
        synth_chunk(c + b * K * P, acc, t, ch * K / nch, (ch + 1) * K / nch);
    };
    // sum (in acc) -> weighted half spectrum -> image; tmp: H complex values
    auto finish = [&](cpx* acc, cpx* tmp, T* x) {
        if (real_) {
            transpose(re(acc), re(tmp), mh_, n_);
            acc = tmp;
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
            finish(total, acc, out + b * P);
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
        constexpr size_t kReduceBlock = 2048;  // complex values
        const size_t nblk = (H + kReduceBlock - 1) / kReduceBlock;
        const int nt3 = resolve_threads(threads, nb * nblk);
#pragma omp parallel for num_threads(nt3) schedule(static)
        for (long w = 0; w < static_cast<long>(nb * nblk); ++w) {
            const size_t bb = w / nblk, j0 = (w % nblk) * kReduceBlock, len = std::min(kReduceBlock, H - j0);
            cpx* acc = part.data() + bb * stride + j0;
            for (int ch = 1; ch < nch; ++ch) add_to(re(acc), re(acc + static_cast<size_t>(ch) * H), len);
        }
        int nt2 = resolve_threads(threads, nb);
#pragma omp parallel for num_threads(nt2) schedule(static)
        for (long bb = 0; bb < static_cast<long>(nb); ++bb) {
            err.run([&] {
                cpx* acc = part.data() + static_cast<size_t>(bb) * stride;
                finish(acc, acc + H, out + (b0 + bb) * P);
            });
        }
        err.rethrow();
    }
}

template class FilterBank2D<float>;
template class FilterBank2D<double>;

}  // namespace fastshear
