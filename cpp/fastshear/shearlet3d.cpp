#include "fastshear/shearlet3d.hpp"


#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "fastshear/parallel.hpp"

namespace fastshear {

namespace {

// The kernels work on interleaved (re, im) arrays of n complex values. They are compiled for
// AVX-512, AVX2 and the baseline and picked at run time (the distributed build carries no -march
// flag); without this the float kernels ran at baseline SSE2 and cost as much as the float FFTs.
#define FASTSHEAR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define FASTSHEAR_KERNELS(T)                                                                      \
    /* out = in * conj(s * v)       (s a complex scalar, v a vector) */                           \
    FASTSHEAR_CLONES void sv_conj(const T* __restrict in, T sr, T si, const T* __restrict v,     \
                                  T* __restrict out, size_t n) {                                  \
        for (size_t z = 0; z < n; ++z) {                                                          \
            T vr = v[2 * z], vi = v[2 * z + 1];                                                   \
            T wr = sr * vr - si * vi, wi = -(sr * vi + si * vr);                                  \
            T xr = in[2 * z], xi = in[2 * z + 1];                                                 \
            out[2 * z] = xr * wr - xi * wi;                                                       \
            out[2 * z + 1] = xr * wi + xi * wr;                                                   \
        }                                                                                         \
    }                                                                                             \
    /* out = in * conj(u * v) */                                                                  \
    FASTSHEAR_CLONES void uv_conj(const T* __restrict in, const T* __restrict u,                 \
                                  const T* __restrict v, T* __restrict out, size_t n) {           \
        for (size_t z = 0; z < n; ++z) {                                                          \
            T ur = u[2 * z], ui = u[2 * z + 1], vr = v[2 * z], vi = v[2 * z + 1];                 \
            T wr = ur * vr - ui * vi, wi = -(ur * vi + ui * vr);                                  \
            T xr = in[2 * z], xi = in[2 * z + 1];                                                 \
            out[2 * z] = xr * wr - xi * wi;                                                       \
            out[2 * z + 1] = xr * wi + xi * wr;                                                   \
        }                                                                                         \
    }                                                                                             \
    /* acc += in * (s * v) */                                                                     \
    FASTSHEAR_CLONES void sv_acc(const T* __restrict in, T sr, T si, const T* __restrict v,      \
                                 T* __restrict acc, size_t n) {                                   \
        for (size_t z = 0; z < n; ++z) {                                                          \
            T vr = v[2 * z], vi = v[2 * z + 1];                                                   \
            T wr = sr * vr - si * vi, wi = sr * vi + si * vr;                                     \
            T xr = in[2 * z], xi = in[2 * z + 1];                                                 \
            acc[2 * z] += xr * wr - xi * wi;                                                      \
            acc[2 * z + 1] += xr * wi + xi * wr;                                                  \
        }                                                                                         \
    }                                                                                             \
    /* acc += in * (u * v) */                                                                     \
    FASTSHEAR_CLONES void uv_acc(const T* __restrict in, const T* __restrict u,                  \
                                 const T* __restrict v, T* __restrict acc, size_t n) {            \
        for (size_t z = 0; z < n; ++z) {                                                          \
            T ur = u[2 * z], ui = u[2 * z + 1], vr = v[2 * z], vi = v[2 * z + 1];                 \
            T wr = ur * vr - ui * vi, wi = ur * vi + ui * vr;                                     \
            T xr = in[2 * z], xi = in[2 * z + 1];                                                 \
            acc[2 * z] += xr * wr - xi * wi;                                                      \
            acc[2 * z + 1] += xr * wi + xi * wr;                                                  \
        }                                                                                         \
    }

FASTSHEAR_KERNELS(float)
FASTSHEAR_KERNELS(double)
#undef FASTSHEAR_KERNELS
#undef FASTSHEAR_CLONES

template <typename T> const T* re(const std::complex<T>* p) { return reinterpret_cast<const T*>(p); }
template <typename T> T* re(std::complex<T>* p) { return reinterpret_cast<T*>(p); }

constexpr int kChunks = 8;  // band chunks of a synthesis (fixed: results independent of threads)

size_t padded(size_t n) { return (n + 7) / 8 * 8; }  // 8 complex values: >= 64 bytes
template <typename T> size_t padded_real(size_t n) { return (n + 15) / 16 * 16; }  // >= 64 bytes

// Whether FFTW sees p as aligned like the buffers the plans were made on (alloc_aligned).
template <typename T> bool aligned_like_plan(const T* p) { return fftw_traits<T>::alignment_of(p) == 0; }

}  // namespace

template <typename T>
FilterBank3D<T>::FilterBank3D(int n1, int n2, int n3, int m12, const std::complex<double>* p12,
                              int m13, const std::complex<double>* p13, int m32,
                              const std::complex<double>* p32t, const std::vector<Band3D>& bands,
                              int threads)
    : n1_(n1), n2_(n2), n3_(n3), h3_(n3 / 2 + 1), bands_(bands) {
    if (n1 < 1 || n2 < 1 || n3 < 1) throw std::invalid_argument("FilterBank3D: sizes must be positive");
    if (bands.empty()) throw std::invalid_argument("FilterBank3D: at least one band is needed");
    for (const Band3D& b : bands) {
        bool ok = false;
        switch (b.form) {
            case 0: ok = b.ia >= 0 && b.ia < m12 && b.ib >= 0 && b.ib < m32; break;
            case 1: ok = b.ia >= 0 && b.ia < m13 && b.ib >= 0 && b.ib < m32; break;
            case 2: ok = b.ia >= 0 && b.ia < m12 && b.ib >= 0 && b.ib < m13; break;
            default: break;
        }
        if (!ok)
            throw std::invalid_argument("FilterBank3D: band (" + std::to_string(b.form) + ", " + std::to_string(b.ia) +
                                        ", " + std::to_string(b.ib) + ") refers to no slice");
    }
    stride_ = padded(half_size());
    const size_t s12 = static_cast<size_t>(n1) * n2, s13 = static_cast<size_t>(n1) * h3_,
                 s32 = static_cast<size_t>(n2) * h3_;
    const double N = static_cast<double>(volume());
    const double f = 1.0 / std::sqrt(N);
    auto copy = [f](aligned_buffer<cpx>& dst, const std::complex<double>* src, size_t n) {
        dst = aligned_buffer<cpx>(std::max<size_t>(n, 1));
        for (size_t i = 0; i < n; ++i)
            dst[i] = cpx(static_cast<T>(src[i].real() * f), static_cast<T>(src[i].imag() * f));
    };
    copy(p12_, p12, static_cast<size_t>(m12) * s12);
    copy(p13_, p13, static_cast<size_t>(m13) * s13);
    copy(p32t_, p32t, static_cast<size_t>(m32) * s32);

    // W = sum_j |a_j|^2 |b_j|^2 in double from the unscaled factors, each voxel summed in band order.
    std::vector<double> q12(static_cast<size_t>(m12) * s12), q13(static_cast<size_t>(m13) * s13),
        q32(static_cast<size_t>(m32) * s32);
    for (size_t i = 0; i < q12.size(); ++i) q12[i] = std::norm(p12[i]);
    for (size_t i = 0; i < q13.size(); ++i) q13[i] = std::norm(p13[i]);
    for (size_t i = 0; i < q32.size(); ++i) q32[i] = std::norm(p32t[i]);
    weights_.assign(half_size(), 0.0);
    inv_w_ = aligned_buffer<T>(half_size());
    const int h3 = h3_;
    int nt = resolve_threads(threads, n1);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int x = 0; x < n1; ++x) {
        double* wx = weights_.data() + static_cast<size_t>(x) * n2 * h3;
        for (const Band3D& b : bands_) {
            for (int y = 0; y < n2; ++y) {
                double* w = wx + static_cast<size_t>(y) * h3;
                if (b.form == 0) {
                    double s = q12[b.ia * s12 + static_cast<size_t>(x) * n2 + y];
                    const double* v = q32.data() + b.ib * s32 + static_cast<size_t>(y) * h3;
                    for (int z = 0; z < h3; ++z) w[z] += s * v[z];
                } else if (b.form == 1) {
                    const double* u = q13.data() + b.ia * s13 + static_cast<size_t>(x) * h3;
                    const double* v = q32.data() + b.ib * s32 + static_cast<size_t>(y) * h3;
                    for (int z = 0; z < h3; ++z) w[z] += u[z] * v[z];
                } else {
                    double s = q12[b.ia * s12 + static_cast<size_t>(x) * n2 + y];
                    const double* v = q13.data() + b.ib * s13 + static_cast<size_t>(x) * h3;
                    for (int z = 0; z < h3; ++z) w[z] += s * v[z];
                }
            }
        }
        for (size_t i = 0; i < static_cast<size_t>(n2) * h3; ++i) {
            size_t k = static_cast<size_t>(x) * n2 * h3 + i;
            inv_w_[k] = weights_[k] > 0 ? static_cast<T>(1.0 / weights_[k]) : T(0);
        }
    }
    r2c_ = &fft_plan<T>::get(fft_kind::r2c, {n1, n2, n3});
    c2r_ = &fft_plan<T>::get(fft_kind::c2r, {n1, n2, n3});
}

template <typename T> void FilterBank3D<T>::apply_conj(int j, const cpx* in, cpx* out) const {
    const Band3D& b = bands_[j];
    const size_t n2 = n2_, h3 = h3_, s12 = static_cast<size_t>(n1_) * n2, s13 = n1_ * h3, s32 = n2 * h3;
    for (size_t x = 0; x < static_cast<size_t>(n1_); ++x) {
        for (size_t y = 0; y < n2; ++y) {
            const size_t o = (x * n2 + y) * h3;
            if (b.form == 1) {
                uv_conj(re(in + o), re(p13_.data() + b.ia * s13 + x * h3), re(p32t_.data() + b.ib * s32 + y * h3),
                        re(out + o), h3);
            } else {
                const cpx s = p12_[b.ia * s12 + x * n2 + y];
                const cpx* v = b.form == 0 ? p32t_.data() + b.ib * s32 + y * h3 : p13_.data() + b.ib * s13 + x * h3;
                sv_conj(re(in + o), s.real(), s.imag(), re(v), re(out + o), h3);
            }
        }
    }
}

template <typename T> void FilterBank3D<T>::accumulate(int j, const cpx* in, cpx* acc) const {
    const Band3D& b = bands_[j];
    const size_t n2 = n2_, h3 = h3_, s12 = static_cast<size_t>(n1_) * n2, s13 = n1_ * h3, s32 = n2 * h3;
    for (size_t x = 0; x < static_cast<size_t>(n1_); ++x) {
        for (size_t y = 0; y < n2; ++y) {
            const size_t o = (x * n2 + y) * h3;
            if (b.form == 1) {
                uv_acc(re(in + o), re(p13_.data() + b.ia * s13 + x * h3), re(p32t_.data() + b.ib * s32 + y * h3),
                       re(acc + o), h3);
            } else {
                const cpx s = p12_[b.ia * s12 + x * n2 + y];
                const cpx* v = b.form == 0 ? p32t_.data() + b.ib * s32 + y * h3 : p13_.data() + b.ib * s13 + x * h3;
                sv_acc(re(in + o), s.real(), s.imag(), re(v), re(acc + o), h3);
            }
        }
    }
}

template <typename T> void FilterBank3D<T>::check_selection(const int* sel, size_t nsel) const {
    if (sel)
        for (size_t i = 0; i < nsel; ++i)
            if (sel[i] < 0 || sel[i] >= bands())
                throw std::out_of_range("FilterBank3D: band " + std::to_string(sel[i]) + " out of range");
}

template <typename T>
void FilterBank3D<T>::forward(const T* x, T* out, size_t batch, const int* sel, size_t nsel, int threads) const {
    const size_t N = volume(), S = stride_;
    const size_t K = sel ? nsel : bands_.size();
    check_selection(sel, nsel);
    if (batch == 0 || K == 0) return;
    aligned_buffer<cpx> spec(batch * S);
    region_errors err;
    int nt = resolve_threads(threads, batch);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long b = 0; b < static_cast<long>(batch); ++b)
        err.run([&] { r2c_->r2c(x + b * N, spec.data() + b * S); });
    err.rethrow();

    const size_t work = batch * K;
    nt = resolve_threads(threads, work);
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * S);
    // Bands that do not start on FFTW's alignment (odd volumes) go through a per-thread aligned
    // real buffer (the plan's own fallback would allocate one per call).
    const size_t R = padded_real<T>(N);
    const bool odd = !aligned_like_plan(out) || (N * sizeof(T)) % 64 != 0;
    aligned_buffer<T> rtmp(odd ? static_cast<size_t>(nt) * R : 0);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        err.run([&] {
            const size_t b = w / K, i = w % K;
            cpx* t = tmp.data() + static_cast<size_t>(thread_id()) * S;
            apply_conj(sel ? sel[i] : static_cast<int>(i), spec.data() + b * S, t);
            T* dst = out + static_cast<size_t>(w) * N;
            if (odd && !aligned_like_plan(dst)) {
                T* r = rtmp.data() + static_cast<size_t>(thread_id()) * R;
                c2r_->c2r(t, r);
                std::memcpy(dst, r, N * sizeof(T));
            } else {
                c2r_->c2r(t, dst);
            }
        });
    }
    err.rethrow();
}

template <typename T>
void FilterBank3D<T>::synthesize(const T* c, T* out, size_t batch, const int* sel, size_t nsel, int threads,
                                 bool dual) const {
    const size_t N = volume(), S = stride_, H = half_size(), K = sel ? nsel : bands_.size();
    check_selection(sel, nsel);
    if (batch == 0) return;
    if (K == 0) {
        std::memset(static_cast<void*>(out), 0, batch * N * sizeof(T));
        return;
    }
    const int nch = std::min<int>(static_cast<int>(K), kChunks);
    aligned_buffer<cpx> part(static_cast<size_t>(nch) * S);
    int nt = resolve_threads(threads, nch);
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * S);
    const size_t R = padded_real<T>(N);
    const bool odd = !aligned_like_plan(c) || (N * sizeof(T)) % 64 != 0;
    aligned_buffer<T> rtmp(odd ? static_cast<size_t>(nt) * R : 0);
    region_errors err;
    const size_t slab = static_cast<size_t>(n2_) * h3_;
    const int nt2 = resolve_threads(threads, n1_);

    for (size_t b = 0; b < batch; ++b) {
        // partial sums over fixed chunks of bands, each in band order
#pragma omp parallel for num_threads(nt) schedule(dynamic)
        for (int ch = 0; ch < nch; ++ch) {
            err.run([&] {
                const size_t lo = ch * K / nch, hi = (ch + 1) * K / nch;
                cpx* acc = part.data() + static_cast<size_t>(ch) * S;
                cpx* t = tmp.data() + static_cast<size_t>(thread_id()) * S;
                std::memset(static_cast<void*>(acc), 0, H * sizeof(cpx));
                for (size_t i = lo; i < hi; ++i) {
                    const T* src = c + (b * K + i) * N;
                    if (odd && !aligned_like_plan(src)) {
                        T* r = rtmp.data() + static_cast<size_t>(thread_id()) * R;
                        std::memcpy(r, src, N * sizeof(T));
                        src = r;
                    }
                    r2c_->r2c(src, t);
                    accumulate(sel ? sel[i] : static_cast<int>(i), t, acc);
                }
            });
        }
        err.rethrow();
        // reduce the chunks in order (voxel-wise, so any split over threads gives the same sums)
        T* a = re(part.data());
#pragma omp parallel for num_threads(nt2) schedule(static)
        for (int x = 0; x < n1_; ++x) {
            const size_t lo = static_cast<size_t>(x) * slab, hi = lo + slab;
            for (int ch = 1; ch < nch; ++ch) {
                const T* p = re(part.data() + static_cast<size_t>(ch) * S);
#pragma omp simd
                for (size_t j = 2 * lo; j < 2 * hi; ++j) a[j] += p[j];
            }
            if (dual) {
                const T* iw = inv_w_.data();
#pragma omp simd
                for (size_t j = lo; j < hi; ++j) {
                    a[2 * j] *= iw[j];
                    a[2 * j + 1] *= iw[j];
                }
            }
        }
        err.run([&] { c2r_->c2r(part.data(), out + b * N); });
        err.rethrow();
    }
}

template class FilterBank3D<float>;
template class FilterBank3D<double>;

}  // namespace fastshear
