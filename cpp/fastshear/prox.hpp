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
DualStepStats l1_dual_step(T* y, const T* kx, const T* kx_old, const T* w, std::size_t batch, std::size_t bands,
                           std::size_t band_size, T sigma, T theta, int threads);

// ADMM's splitting step for z = SH x with f = ||.||_{1,w} (scaled form), for a batch of `batch`
// problems of `bands` bands of `band_size` values (band b of every problem uses weight w[b]):
//   v = kx + lh,   l_new = clip(v, -w_b / rho, w_b / rho) (Moreau: v - prox_{f/rho}(v)),
//   z_new = v - l_new,
// written over lh and zh (each element is read before it is overwritten). stats[5 p + k] gets,
// for problem p: ||l_new - lh||^2, ||z_new - zh||^2, ||kx||^2, ||z_new||^2, sum w_b |kx_i|, summed
// in float64 per band and then over bands in band order (the same result for any thread count).
template <typename T>
void admm_l1_split(const T* kx, T* zh, T* lh, const T* w, std::size_t batch, std::size_t bands, std::size_t band_size,
                   T rho, double* stats, int threads);

// ADMM's momentum / restart step after admm_l1_split, per problem p of `per_problem` values:
// with the new iterate (z_new, l_new) in (zh, lh) and the previous one in (z, l),
//   keep[p]:  z <- z_new, l <- l_new, zh <- z_new + fac[p] (z_new - z_old), lh likewise;
//   !keep[p]: the step is discarded (restart): zh <- z, lh <- l, z and l unchanged;
// and in both cases d <- zh - lh, the point the next x-update applies K^T to.
template <typename T>
void admm_momentum(T* z, T* l, T* zh, T* lh, T* d, const unsigned char* keep, const double* fac, std::size_t batch,
                   std::size_t per_problem, int threads);

}  // namespace fastshear
