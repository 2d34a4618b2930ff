#include "fastshear/prox.hpp"

#include <algorithm>
#include <cmath>

#include "fastshear/parallel.hpp"

namespace fastshear {

template <typename T>
DualStepStats l1_dual_step(T* y, const T* kx, const T* kx_old, const T* w, std::size_t batch,
                           std::size_t bands, std::size_t band_size, T sigma, T theta, int threads) {
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

template DualStepStats l1_dual_step<float>(float*, const float*, const float*, const float*, std::size_t,
                                           std::size_t, std::size_t, float, float, int);
template DualStepStats l1_dual_step<double>(double*, const double*, const double*, const double*,
                                            std::size_t, std::size_t, std::size_t, double, double, int);

}  // namespace fastshear
