#include "fastshear/prox.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "fastshear/infra/isa.hpp"
#include "fastshear/infra/parallel.hpp"

namespace fastshear {

template <typename T>
DualStepStats l1_dual_step(T* y, const T* kx, const T* kx_old, const T* w, std::size_t batch, std::size_t bands,
                           std::size_t band_size, T sigma, T theta, int threads) {
    const std::size_t nb = batch * bands;
    const std::ptrdiff_t n_items = static_cast<std::ptrdiff_t>(nb);
    const int nt = resolve_threads(threads, nb);
    const T inv_sigma = T(1) / sigma;
    double value = 0.0, residual = 0.0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : value, residual)
    for (std::ptrdiff_t b = 0; b < n_items; ++b) {
        const T wb = w[static_cast<std::size_t>(b) % bands];
        const std::size_t off = static_cast<std::size_t>(b) * band_size;
        T* yb = y + off;
        const T* kb = kx + off;
        const T* ob = kx_old + off;
        T v_acc = 0, r_acc = 0;
#pragma omp simd reduction(+ : v_acc, r_acc)
        for (std::size_t i = 0; i < band_size; ++i) {
            const T k = kb[i];
            const T d = theta * (k - ob[i]);
            const T yo = yb[i];
            T yn = yo + sigma * (k + d);
            yn = std::min(std::max(yn, -wb), wb);
            yb[i] = yn;
            const T r = (yo - yn) * inv_sigma + d;
            r_acc += r * r;
            v_acc += std::abs(k);
        }
        value += static_cast<double>(wb) * static_cast<double>(v_acc);
        residual += static_cast<double>(r_acc);
    }
    return {value, residual};
}

template DualStepStats l1_dual_step<float>(float*, const float*, const float*, const float*, std::size_t, std::size_t,
                                           std::size_t, float, float, int);
template DualStepStats l1_dual_step<double>(double*, const double*, const double*, const double*, std::size_t,
                                            std::size_t, std::size_t, double, double, int);

namespace {
// One band of admm_l1_step; Extrapolate: fac != 0 (the previous iterate is read).
template <bool Extrapolate, typename T>
inline __attribute__((always_inline)) void admm_l1_band_impl(const T* kb, T* zc, T* zo, T* lc, T* lo, T* db, T f, T g,
                                                             T t, std::size_t n, double* out) {
    T s_l = 0, s_z = 0, s_k = 0, s_zz = 0, s_a = 0;
#pragma omp simd reduction(+ : s_l, s_z, s_k, s_zz, s_a)
    for (std::size_t i = 0; i < n; ++i) {
        const T zcv = zc[i], lcv = lc[i];
        T zh = zcv, lh = lcv;
        if constexpr (Extrapolate) {
            zh += f * (zcv - zo[i]);
            lh += f * (lcv - lo[i]);
        }
        const T k = kb[i];
        const T v = k + lh;
        const T ln = std::min(std::max(v, -t), t);
        const T zn = v - ln;
        const T dl = ln - lh;
        const T dz = zn - zh;
        s_l += dl * dl;
        s_z += dz * dz;
        s_k += k * k;
        s_zz += zn * zn;
        s_a += std::abs(k);
        zo[i] = zn;
        lo[i] = ln;
        db[i] = (zn + g * (zn - zcv)) - (ln + g * (ln - lcv));
    }
    out[0] = s_l;
    out[1] = s_z;
    out[2] = s_k;
    out[3] = s_zz;
    out[4] = s_a;
}

// Compiled for every ISA level (infra/isa.hpp); the wider vectors pay where the pass is not bound
// by memory (one thread, data in cache).
#define FASTSHEAR_ADMM_BANDS(ATTR)                                                                                   \
    ATTR void admm_l1_band(const float* kb, float* zc, float* zo, float* lc, float* lo, float* db, float f, float g, \
                           float t, std::size_t n, bool extrapolate, double* out) {                                  \
        if (extrapolate)                                                                                             \
            admm_l1_band_impl<true>(kb, zc, zo, lc, lo, db, f, g, t, n, out);                                        \
        else                                                                                                         \
            admm_l1_band_impl<false>(kb, zc, zo, lc, lo, db, f, g, t, n, out);                                       \
    }                                                                                                                \
    ATTR void admm_l1_band(const double* kb, double* zc, double* zo, double* lc, double* lo, double* db, double f,   \
                           double g, double t, std::size_t n, bool extrapolate, double* out) {                       \
        if (extrapolate)                                                                                             \
            admm_l1_band_impl<true>(kb, zc, zo, lc, lo, db, f, g, t, n, out);                                        \
        else                                                                                                         \
            admm_l1_band_impl<false>(kb, zc, zo, lc, lo, db, f, g, t, n, out);                                       \
    }
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_ADMM_BANDS)
#undef FASTSHEAR_ADMM_BANDS
FASTSHEAR_ISA_DISPATCH(admm_l1_band)
}  // namespace

template <typename T>
void admm_l1_step(const T* kx, T* z, T* l, T* d, const unsigned char* cur, const double* fac, const double* fac_next,
                  const T* w, std::size_t batch, std::size_t bands, std::size_t band_size, T rho, double* stats,
                  int threads) {
    const std::size_t nb = batch * bands, per = bands * band_size;
    std::vector<double> part(nb * 5);
    const std::ptrdiff_t n_items = static_cast<std::ptrdiff_t>(nb);
    const int nt = resolve_threads(threads, nb);
    const T inv_rho = T(1) / rho;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (std::ptrdiff_t it = 0; it < n_items; ++it) {
        const std::size_t p = static_cast<std::size_t>(it) / bands, b = static_cast<std::size_t>(it) % bands;
        const T wb = w[b];
        const std::size_t c = cur[p] ? 1 : 0;
        const std::size_t oc = (2 * p + c) * per + b * band_size, oo = (2 * p + 1 - c) * per + b * band_size;
        const std::size_t off = p * per + b * band_size;
        const T f = static_cast<T>(fac[p]), g = static_cast<T>(fac_next[p]);
        double* pb = part.data() + 5 * static_cast<std::size_t>(it);
        admm_l1_band(kx + off, z + oc, z + oo, l + oc, l + oo, d + off, f, g, wb * inv_rho, band_size, fac[p] != 0, pb);
        pb[4] *= static_cast<double>(wb);
    }
    for (std::size_t p = 0; p < batch; ++p) {
        double acc[5] = {0, 0, 0, 0, 0};
        for (std::size_t b = 0; b < bands; ++b)
            for (int k = 0; k < 5; ++k) acc[k] += part[5 * (p * bands + b) + static_cast<std::size_t>(k)];
        for (int k = 0; k < 5; ++k) stats[5 * p + static_cast<std::size_t>(k)] = acc[k];
    }
}

template <typename T>
void batched_dot(const T* a, const T* b, std::size_t batch, std::size_t n, double* out, int threads) {
    constexpr std::size_t chunk = 1 << 14;
    const std::size_t per = (n + chunk - 1) / chunk, items = batch * per;
    std::vector<double> part(items);
    // threads only where the work covers a region's start-up
    const int nt = batch * n >= (std::size_t(1) << 18) ? resolve_threads(threads, items) : 1;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (std::ptrdiff_t it = 0; it < static_cast<std::ptrdiff_t>(items); ++it) {
        const std::size_t p = static_cast<std::size_t>(it) / per, c = static_cast<std::size_t>(it) % per;
        const std::size_t lo = p * n + c * chunk, hi = p * n + std::min(n, (c + 1) * chunk);
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (std::size_t i = lo; i < hi; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
        part[static_cast<std::size_t>(it)] = s;
    }
    for (std::size_t p = 0; p < batch; ++p) {
        double s = 0;
        for (std::size_t c = 0; c < per; ++c) s += part[p * per + c];
        out[p] = s;
    }
}

template void admm_l1_step<float>(const float*, float*, float*, float*, const unsigned char*, const double*,
                                  const double*, const float*, std::size_t, std::size_t, std::size_t, float, double*,
                                  int);
template void admm_l1_step<double>(const double*, double*, double*, double*, const unsigned char*, const double*,
                                   const double*, const double*, std::size_t, std::size_t, std::size_t, double, double*,
                                   int);

template void batched_dot<float>(const float*, const float*, std::size_t, std::size_t, double*, int);
template void batched_dot<double>(const double*, const double*, std::size_t, std::size_t, double*, int);

}  // namespace fastshear
