#include "fastshear/prox.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

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

template <typename T>
void admm_l1_split(const T* kx, T* zh, T* lh, const T* w, std::size_t batch, std::size_t bands, std::size_t band_size,
                   T rho, double* stats, int threads) {
    const std::size_t nb = batch * bands;
    std::vector<double> part(nb * 5);
    const std::ptrdiff_t n_items = static_cast<std::ptrdiff_t>(nb);
    const int nt = resolve_threads(threads, nb);
    const T inv_rho = T(1) / rho;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (std::ptrdiff_t b = 0; b < n_items; ++b) {
        const T wb = w[static_cast<std::size_t>(b) % bands];
        const T t = wb * inv_rho;
        const std::size_t off = static_cast<std::size_t>(b) * band_size;
        const T* kb = kx + off;
        T* zb = zh + off;
        T* lb = lh + off;
        T s_l = 0, s_z = 0, s_k = 0, s_zz = 0, s_a = 0;
#pragma omp simd reduction(+ : s_l, s_z, s_k, s_zz, s_a)
        for (std::size_t i = 0; i < band_size; ++i) {
            const T k = kb[i];
            const T lo = lb[i];
            const T v = k + lo;
            const T ln = std::min(std::max(v, -t), t);
            const T zn = v - ln;
            const T dl = ln - lo;
            const T dz = zn - zb[i];
            s_l += dl * dl;
            s_z += dz * dz;
            s_k += k * k;
            s_zz += zn * zn;
            s_a += std::abs(k);
            lb[i] = ln;
            zb[i] = zn;
        }
        double* pb = part.data() + 5 * static_cast<std::size_t>(b);
        pb[0] = s_l;
        pb[1] = s_z;
        pb[2] = s_k;
        pb[3] = s_zz;
        pb[4] = static_cast<double>(wb) * static_cast<double>(s_a);
    }
    for (std::size_t p = 0; p < batch; ++p) {
        double acc[5] = {0, 0, 0, 0, 0};
        for (std::size_t b = 0; b < bands; ++b)
            for (int k = 0; k < 5; ++k) acc[k] += part[5 * (p * bands + b) + static_cast<std::size_t>(k)];
        for (int k = 0; k < 5; ++k) stats[5 * p + static_cast<std::size_t>(k)] = acc[k];
    }
}

template <typename T>
void admm_momentum(T* z, T* l, T* zh, T* lh, T* d, const unsigned char* keep, const double* fac, std::size_t batch,
                   std::size_t per_problem, int threads) {
    // chunks of a problem's values: enough items for the threads, each a contiguous run
    const std::size_t chunk = 1 << 14;
    const std::size_t per = (per_problem + chunk - 1) / chunk;
    const std::ptrdiff_t n_items = static_cast<std::ptrdiff_t>(batch * per);
    const int nt = resolve_threads(threads, batch * per);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (std::ptrdiff_t it = 0; it < n_items; ++it) {
        const std::size_t p = static_cast<std::size_t>(it) / per;
        const std::size_t lo = p * per_problem + (static_cast<std::size_t>(it) % per) * chunk;
        const std::size_t hi = std::min(lo + chunk, (p + 1) * per_problem);
        if (keep[p]) {
            const T f = static_cast<T>(fac[p]);
#pragma omp simd
            for (std::size_t i = lo; i < hi; ++i) {
                const T zn = zh[i], ln = lh[i];
                const T zo = z[i], lo_ = l[i];
                z[i] = zn;
                l[i] = ln;
                const T zhat = zn + f * (zn - zo);
                const T lhat = ln + f * (ln - lo_);
                zh[i] = zhat;
                lh[i] = lhat;
                d[i] = zhat - lhat;
            }
        } else {
#pragma omp simd
            for (std::size_t i = lo; i < hi; ++i) {
                zh[i] = z[i];
                lh[i] = l[i];
                d[i] = z[i] - l[i];
            }
        }
    }
}

template void admm_l1_split<float>(const float*, float*, float*, const float*, std::size_t, std::size_t, std::size_t,
                                   float, double*, int);
template void admm_l1_split<double>(const double*, double*, double*, const double*, std::size_t, std::size_t,
                                    std::size_t, double, double*, int);
template void admm_momentum<float>(float*, float*, float*, float*, float*, const unsigned char*, const double*,
                                   std::size_t, std::size_t, int);
template void admm_momentum<double>(double*, double*, double*, double*, double*, const unsigned char*, const double*,
                                    std::size_t, std::size_t, int);

}  // namespace fastshear
