// Fused proximal steps of the primal-dual solvers: one pass over a coefficient array instead of
// the five or six array passes the same update takes in NumPy.
#pragma once

#include <cstddef>

namespace fastshear {

struct DualStepStats {
    double value;     // sum_i w_b |kx_i|   (the l1 term at the current primal point)
    double residual;  // sum_i ((y_old_i - y_new_i) / sigma + theta (kx_i - kx_old_i))^2
};

// PDHG dual step for F = ||.||_{1,w} with per-band weights, on arrays of `batch * bands` bands of
// `band_size` values each (band b uses weight w[b]):
//   y <- clip(y + sigma * (kx + theta (kx - kx_old)), -w_b, w_b)
// together with the l1 value at kx and the squared dual residual.
template <typename T>
DualStepStats l1_dual_step(T* y, const T* kx, const T* kx_old, const T* w, std::size_t batch,
                           std::size_t bands, std::size_t band_size, T sigma, T theta, int threads);

}  // namespace fastshear
