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

// ADMM's splitting and momentum step for z = K x with f = sum_g w_b |z_g| (scaled form), in one
// pass, for a batch of `batch` problems of `bands` bands; band b holds `group` components of
// `band_size` values, and the group g of value i is the vector of its components' i-th values
// (group 1: the weighted l1 norm, e.g. of shearlet coefficients; group 2: isotropic TV's l2,1 norm
// of a gradient). Band b of every problem uses weight w[b]. z and l hold two iterates per
// problem, (batch, 2, bands * group * band_size): the current one (zc, lc) in half cur[p] (0 or
// 1) and the previous one (zo, lo) in the other half.
//   zh = zc + fac[p] (zc - zo), lh = lc + fac[p] (lc - lo)   (the extrapolated point; with
//        fac[p] == 0, zh = zc and lh = lc and the previous iterate is not read),
//   v = kx + lh,   l_new = v projected onto {|.| <= w_b / rho} per group (Moreau: v - prox_{f/rho}(v);
//        group 1: the clip to [-w_b / rho, w_b / rho]),   z_new = v - l_new, written over (zo, lo),
//   d = (z_new + g (z_new - zc)) - (l_new + g (l_new - lc)),  g = fac_next[p]: the point the next
//        x-update applies K^T to if the caller keeps the step.
// Keeping the step is flipping cur[p] (the new iterate becomes current, the old one previous);
// discarding it (a restart) is leaving cur[p] and setting d = zc - lc. stats[5 p + k] gets, for
// problem p: ||l_new - lh||^2, ||z_new - zh||^2, ||kx||^2, ||z_new||^2, sum w_b |kx_g|, summed in
// float64 per fixed chunk of a band and then in order (the same result for any thread count).
template <typename T>
void admm_l1_step(const T* kx, T* z, T* l, T* d, const unsigned char* cur, const double* fac, const double* fac_next,
                  const T* w, std::size_t batch, std::size_t bands, int group, std::size_t band_size, T rho,
                  double* stats, int threads);

// The solvers' per-problem inner products: out[p] = sum_i a[p n + i] b[p n + i] for p < batch, in
// float64, summed in fixed chunks of values and then over chunks in order (the same bits for any
// thread count).
template <typename T>
void batched_dot(const T* a, const T* b, std::size_t batch, std::size_t n, double* out, int threads);

// SPDHG's dual step for isotropic TV, lam ||grad x||_{2,1}, on `batch` images of n x m
// (x: (batch, n, m); y: (batch, 2, n, m); z, e: (batch, n, m)), in one pass over the arrays:
//   g = grad x (forward differences, 0 on the last row / column; operators.Gradient2D),
//   y_new = proj_{|.| <= lam}(y + sigma g) per pixel (the 2-vector scaled onto the disc; lam == 0:
//           y_new = 0),   d = y_new - y_old,   dz = grad^T d (Gradient2D's adjoint),
//   y <- y_new, z <- z + dz, e <- scale dz.
// out[p] = sum of d^2 over both components and every pixel of problem p: in T per run of at most
// 256 values of a row (heuristics::kSolverSumBlock), then in float64 per fixed block of rows and
// over blocks in order (the same bits for any thread count). x must not overlap y, z or e.
template <typename T>
void tv_dual_step(const T* x, T* y, T* z, T* e, std::size_t batch, std::size_t n, std::size_t m, T sigma, T lam,
                  T scale, double* out, int threads);

// SPDHG's primal step on `batch` problems of `size` values: x_new = x - tau (z + e) with tau
// shared by the problems (size values), then max(x_new, 0) if nonneg; x <- x_new. out[p] = sum of
// (x_new - x_old)^2 of problem p: in T per 256 values, then in float64 per fixed chunk and over
// chunks in order (the same bits for any thread count).
template <typename T>
void spdhg_primal_step(T* x, const T* z, const T* e, const T* tau, std::size_t batch, std::size_t size, bool nonneg,
                       double* out, int threads);

}  // namespace fastshear
