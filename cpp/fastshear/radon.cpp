// The Radon transform's plan (geometry, supports, the kernel choice), its dispatch and its portable
// kernels. The AVX-512 kernels and their drivers are in radon_avx512.cpp, filtered
// backprojection's pieces in radon_fbp.cpp; the geometry both use in radon_detail.hpp.
#include "fastshear/radon.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fastshear/infra/heuristics.hpp"
#include "fastshear/infra/isa.hpp"
#include "fastshear/infra/memory.hpp"
#include "fastshear/infra/parallel.hpp"
#include "fastshear/radon_detail.hpp"

namespace fastshear {

using radon_detail::footprint;
using radon_detail::Frame;
using radon_detail::frame_of;

namespace {

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
#define FASTSHEAR_RADON_HAT_ROWS(ATTR)                                                                                \
    ATTR void hat_adjoint_row(const float* sp, size_t W, int na, const double* base, const double* c, int jlo,        \
                              int jhi, float* out) {                                                                  \
        hat_adjoint_row_impl(sp, W, na, base, c, jlo, jhi, out);                                                      \
    }                                                                                                                 \
    ATTR void hat_adjoint_row(const double* sp, size_t W, int na, const double* base, const double* c, int jlo,       \
                              int jhi, double* out) {                                                                 \
        hat_adjoint_row_impl(sp, W, na, base, c, jlo, jhi, out);                                                      \
    }                                                                                                                 \
    ATTR void hat_forward_row(const float* x, double base, double c, int jlo, int jhi, float* acc, size_t stride) {   \
        hat_forward_row_impl(x, base, c, jlo, jhi, acc, stride);                                                      \
    }                                                                                                                 \
    ATTR void hat_forward_row(const double* x, double base, double c, int jlo, int jhi, double* acc, size_t stride) { \
        hat_forward_row_impl(x, base, c, jlo, jhi, acc, stride);                                                      \
    }
#if FASTSHEAR_ISA_X86
namespace hat_generic {
FASTSHEAR_RADON_HAT_ROWS(FASTSHEAR_TARGET_GENERIC)
}
namespace hat_avx2 {
FASTSHEAR_RADON_HAT_ROWS(FASTSHEAR_TARGET_AVX2)
}
#else
namespace hat_generic {
FASTSHEAR_RADON_HAT_ROWS(FASTSHEAR_ISA_NOATTR)
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

}  // namespace

template <typename T> Radon2D<T>::Radon2D(const RadonGeometry& g) : g_(g) {
    if (g.rows < 1 || g.cols < 1) throw std::invalid_argument("image shape must be positive");
    if (g.n_det < 1) throw std::invalid_argument("n_det must be >= 1, got " + std::to_string(g.n_det));
    if (g.theta.empty()) throw std::invalid_argument("theta must hold at least one angle");
    if (!(g.det_spacing > 0) || !std::isfinite(g.det_spacing)) throw std::invalid_argument("det_spacing must be > 0");
    for (double t : g.theta)
        if (!std::isfinite(t)) throw std::invalid_argument("theta must be finite");
    const long long big = 1 << 24;
    if (g.rows > big || g.cols > big || g.n_det > big)
        throw std::invalid_argument("sizes above 2^24 are not supported");
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
            if (a <= b) {
                lo = static_cast<int>(a);
                hi = static_cast<int>(b);
            }
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
            throw std::invalid_argument(
                "source_distance must exceed the object's radius + 1 = " + std::to_string(need) +
                " (the source would be inside the object), got " + std::to_string(g.source_distance));
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
    return kernel_ == 0 && (g_.fan || g_.det_spacing != 1.0) && fmax_ < heuristics::kRadonMaxVectorFootprint &&
           isa::best() >= isa::level::avx512;
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

template <typename T> void Radon2D<T>::forward(const T* x, T* sino, size_t batch, int threads) const {
    if (batch == 0) return;
#if FASTSHEAR_ISA_X86
    if (fan_vec()) return forward_fan_avx512(x, sino, batch, threads);
    if (par_vec()) return forward_par_avx512(x, sino, batch, threads);
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
    if (fan_vec()) return backproject_fan_avx512(sino, x, batch, threads, false);
    if (par_vec()) return adjoint_par_avx512(sino, x, batch, threads);
#endif
    if (kernel_ != 1 && !g_.fan && g_.det_spacing == 1.0) {
        adjoint_hat(sino, x, batch, threads);
        return;
    }
    adjoint_generic(sino, x, batch, threads);
}

template class Radon2D<float>;
template class Radon2D<double>;

}  // namespace fastshear
