#include "fastshear/shearlet2d.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "fastshear/parallel.hpp"

namespace fastshear {

namespace {

// Complex kernels on interleaved arrays of n values, compiled for AVX-512, AVX2 and the baseline
// and picked at run time (the distributed build carries no -march flag).
#define FASTSHEAR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define FASTSHEAR_KERNELS(T)                                                                    \
    /* out = a * conj(b) */                                                                     \
    FASTSHEAR_CLONES void mul_conj(const T* __restrict a, const T* __restrict b,                \
                                   T* __restrict out, size_t n) {                               \
        for (size_t j = 0; j < n; ++j) {                                                        \
            T ar = a[2 * j], ai = a[2 * j + 1], br = b[2 * j], bi = b[2 * j + 1];               \
            out[2 * j] = ar * br + ai * bi;                                                     \
            out[2 * j + 1] = ai * br - ar * bi;                                                 \
        }                                                                                       \
    }                                                                                           \
    /* acc += a * b */                                                                          \
    FASTSHEAR_CLONES void mul_acc(const T* __restrict a, const T* __restrict b,                 \
                                  T* __restrict acc, size_t n) {                                \
        for (size_t j = 0; j < n; ++j) {                                                        \
            T ar = a[2 * j], ai = a[2 * j + 1], br = b[2 * j], bi = b[2 * j + 1];               \
            acc[2 * j] += ar * br - ai * bi;                                                    \
            acc[2 * j + 1] += ar * bi + ai * br;                                                \
        }                                                                                       \
    }                                                                                           \
    /* acc += p (2n reals) */                                                                   \
    FASTSHEAR_CLONES void add_to(T* __restrict acc, const T* __restrict p, size_t n) {          \
        for (size_t j = 0; j < 2 * n; ++j) acc[j] += p[j];                                      \
    }                                                                                           \
    /* a *= w (complex by real) */                                                              \
    FASTSHEAR_CLONES void scale_by(T* __restrict a, const T* __restrict w, size_t n) {          \
        for (size_t j = 0; j < n; ++j) {                                                        \
            a[2 * j] *= w[j];                                                                   \
            a[2 * j + 1] *= w[j];                                                               \
        }                                                                                       \
    }

FASTSHEAR_KERNELS(float)
FASTSHEAR_KERNELS(double)
#undef FASTSHEAR_KERNELS
#undef FASTSHEAR_CLONES

template <typename T> const T* re(const std::complex<T>* p) { return reinterpret_cast<const T*>(p); }
template <typename T> T* re(std::complex<T>* p) { return reinterpret_cast<T*>(p); }

constexpr int kChunks = 8;        // band chunks of a synthesis (fixed: results independent of threads)
constexpr int kItemsPerBlock = 16;  // chunk partial sums held at once

}  // namespace

template <typename T>
FilterBank2D<T>::FilterBank2D(int n, int m, int k, const std::complex<double>* filters)
    : n_(n), m_(m), k_(k), mh_(m / 2 + 1) {
    if (n < 1 || m < 1 || k < 1) throw std::invalid_argument("FilterBank2D: sizes must be positive");
    const size_t H = half_size();
    filt_ = aligned_buffer<cpx>(static_cast<size_t>(k) * H);
    inv_w_ = aligned_buffer<T>(H);
    weights_.assign(H, 0.0);
    const double scale = 1.0 / (static_cast<double>(n) * m);
    // A column of the half spectrum stands for itself and its mirror, except column 0 and, for
    // even M, column M/2.
    std::vector<double> mult(mh_, 2.0);
    mult[0] = 1.0;
    if (m % 2 == 0) mult[mh_ - 1] = 1.0;
    energies_.assign(k, 0.0);
    for (int i = 0; i < k; ++i) {
        const std::complex<double>* f = filters + static_cast<size_t>(i) * H;
        cpx* dst = filt_.data() + static_cast<size_t>(i) * H;
        double e = 0.0;
        for (size_t j = 0; j < H; ++j) {
            const double a = std::norm(f[j]);
            weights_[j] += a;
            e += mult[j % mh_] * a;
            dst[j] = cpx(static_cast<T>(f[j].real() * scale), static_cast<T>(f[j].imag() * scale));
        }
        energies_[i] = e;
    }
    for (size_t j = 0; j < H; ++j) inv_w_[j] = weights_[j] > 0 ? static_cast<T>(1.0 / weights_[j]) : T(0);
    r2c_ = &fft_plan<T>::get(fft_kind::r2c, {n, m});
    c2r_ = &fft_plan<T>::get(fft_kind::c2r, {n, m});
}

template <typename T>
void FilterBank2D<T>::forward(const T* x, T* out, size_t batch, int threads) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    aligned_buffer<cpx> spec(batch * H);
    region_errors err;
    int nt = resolve_threads(threads, batch);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long b = 0; b < static_cast<long>(batch); ++b)
        err.run([&] { r2c_->r2c(x + b * P, spec.data() + b * H); });
    err.rethrow();

    const size_t work = batch * K;
    nt = resolve_threads(threads, work);
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * H);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        err.run([&] {
            const size_t b = w / K, i = w % K;
            cpx* t = tmp.data() + static_cast<size_t>(thread_id()) * H;
            mul_conj(re(spec.data() + b * H), re(filt_.data() + i * H), re(t), H);
            c2r_->c2r(t, out + static_cast<size_t>(w) * P);
        });
    }
    err.rethrow();
}

template <typename T>
void FilterBank2D<T>::synthesize(const T* c, T* out, size_t batch, int threads, bool dual) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    const int nch = std::min(k_, kChunks);
    const size_t per_block = std::max<size_t>(1, kItemsPerBlock / nch);  // images per block
    const size_t block = std::min(batch, per_block);
    aligned_buffer<cpx> part(block * nch * H);
    int nt = resolve_threads(threads, block * nch);
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * H);
    region_errors err;

    for (size_t b0 = 0; b0 < batch; b0 += block) {
        const size_t nb = std::min(block, batch - b0);
        const size_t work = nb * nch;
        // partial sums over fixed chunks of bands
#pragma omp parallel for num_threads(nt) schedule(dynamic)
        for (long w = 0; w < static_cast<long>(work); ++w) {
            err.run([&] {
                const size_t b = b0 + w / nch, ch = w % nch;
                const size_t lo = ch * K / nch, hi = (ch + 1) * K / nch;
                cpx* acc = part.data() + static_cast<size_t>(w) * H;
                cpx* t = tmp.data() + static_cast<size_t>(thread_id()) * H;
                std::memset(static_cast<void*>(acc), 0, H * sizeof(cpx));
                for (size_t i = lo; i < hi; ++i) {
                    r2c_->r2c(c + (b * K + i) * P, t);
                    mul_acc(re(t), re(filt_.data() + i * H), re(acc), H);
                }
            });
        }
        err.rethrow();
        // reduce the chunks in order, weight, inverse FFT
        int nt2 = resolve_threads(threads, nb);
#pragma omp parallel for num_threads(nt2) schedule(static)
        for (long bb = 0; bb < static_cast<long>(nb); ++bb) {
            err.run([&] {
                cpx* acc = part.data() + static_cast<size_t>(bb) * nch * H;
                for (int ch = 1; ch < nch; ++ch) add_to(re(acc), re(acc + static_cast<size_t>(ch) * H), H);
                if (dual) scale_by(re(acc), inv_w_.data(), H);
                c2r_->c2r(acc, out + (b0 + bb) * P);
            });
        }
        err.rethrow();
    }
}

template class FilterBank2D<float>;
template class FilterBank2D<double>;

}  // namespace fastshear
