#include "fastshear/prox.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "fastshear/infra/heuristics.hpp"
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
// Values [0, n) of one band of admm_l1_step, in groups of G components cs apart; Extrapolate:
// fac != 0 (the previous iterate is read).
template <bool Extrapolate, int G, typename T>
inline __attribute__((always_inline)) void admm_l1_band_impl(const T* kb, T* zc, T* zo, T* lc, T* lo, T* db, T f, T g,
                                                             T t, std::size_t n, std::size_t cs, double* out) {
    T s_l = 0, s_z = 0, s_k = 0, s_zz = 0, s_a = 0;
#pragma omp simd reduction(+ : s_l, s_z, s_k, s_zz, s_a)
    for (std::size_t i = 0; i < n; ++i) {
        T zcv[G], lcv[G], zh[G], lh[G], v[G];
        T vv = 0, kk = 0, ka = 0;
        for (int c = 0; c < G; ++c) {
            const std::size_t j = i + static_cast<std::size_t>(c) * cs;
            zcv[c] = zc[j];
            lcv[c] = lc[j];
            zh[c] = zcv[c];
            lh[c] = lcv[c];
            if constexpr (Extrapolate) {
                zh[c] += f * (zcv[c] - zo[j]);
                lh[c] += f * (lcv[c] - lo[j]);
            }
            const T k = kb[j];
            v[c] = k + lh[c];
            vv += v[c] * v[c];
            kk += k * k;
            if constexpr (G == 1) ka = std::abs(k);
        }
        if constexpr (G > 1) ka = std::sqrt(kk);
        // l_new: v projected onto the ball of radius t (G == 1: the clip to [-t, t])
        T sc = 1;
        if constexpr (G > 1) {
            const T m = std::sqrt(vv);
            sc = m > t ? t / m : T(1);
        }
        for (int c = 0; c < G; ++c) {
            const std::size_t j = i + static_cast<std::size_t>(c) * cs;
            T ln;
            if constexpr (G == 1)
                ln = std::min(std::max(v[c], -t), t);
            else
                ln = v[c] * sc;
            const T zn = v[c] - ln;
            const T dl = ln - lh[c];
            const T dz = zn - zh[c];
            s_l += dl * dl;
            s_z += dz * dz;
            s_zz += zn * zn;
            zo[j] = zn;
            lo[j] = ln;
            db[j] = (zn + g * (zn - zcv[c])) - (ln + g * (ln - lcv[c]));
        }
        s_k += kk;
        s_a += ka;
    }
    out[0] = s_l;
    out[1] = s_z;
    out[2] = s_k;
    out[3] = s_zz;
    out[4] = s_a;
}

template <int G, typename T>
inline __attribute__((always_inline)) void admm_l1_band_g(const T* kb, T* zc, T* zo, T* lc, T* lo, T* db, T f, T g, T t,
                                                          std::size_t n, std::size_t cs, bool extrapolate,
                                                          double* out) {
    if (extrapolate)
        admm_l1_band_impl<true, G>(kb, zc, zo, lc, lo, db, f, g, t, n, cs, out);
    else
        admm_l1_band_impl<false, G>(kb, zc, zo, lc, lo, db, f, g, t, n, cs, out);
}

// Compiled for every ISA level (infra/isa.hpp); the wider vectors pay where the pass is not bound
// by memory (one thread, data in cache).
#define FASTSHEAR_ADMM_BANDS(ATTR)                                                                                   \
    ATTR void admm_l1_band(const float* kb, float* zc, float* zo, float* lc, float* lo, float* db, float f, float g, \
                           float t, std::size_t n, std::size_t cs, int group, bool extrapolate, double* out) {       \
        if (group == 1)                                                                                              \
            admm_l1_band_g<1>(kb, zc, zo, lc, lo, db, f, g, t, n, cs, extrapolate, out);                             \
        else                                                                                                         \
            admm_l1_band_g<2>(kb, zc, zo, lc, lo, db, f, g, t, n, cs, extrapolate, out);                             \
    }                                                                                                                \
    ATTR void admm_l1_band(const double* kb, double* zc, double* zo, double* lc, double* lo, double* db, double f,   \
                           double g, double t, std::size_t n, std::size_t cs, int group, bool extrapolate,           \
                           double* out) {                                                                            \
        if (group == 1)                                                                                              \
            admm_l1_band_g<1>(kb, zc, zo, lc, lo, db, f, g, t, n, cs, extrapolate, out);                             \
        else                                                                                                         \
            admm_l1_band_g<2>(kb, zc, zo, lc, lo, db, f, g, t, n, cs, extrapolate, out);                             \
    }
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_ADMM_BANDS)
#undef FASTSHEAR_ADMM_BANDS
FASTSHEAR_ISA_DISPATCH(admm_l1_band)
}  // namespace

template <typename T>
void admm_l1_step(const T* kx, T* z, T* l, T* d, const unsigned char* cur, const double* fac, const double* fac_next,
                  const T* w, std::size_t batch, std::size_t bands, int group, std::size_t band_size, T rho,
                  double* stats, int threads) {
    // items: fixed chunks of each band's groups (the same sums for any thread count)
    constexpr std::size_t chunk = heuristics::kSolverChunk;
    const std::size_t G = static_cast<std::size_t>(group), bs = G * band_size, per = bands * bs;
    const std::size_t nch = (band_size + chunk - 1) / chunk, items = batch * bands * nch;
    std::vector<double> part(items * 5);
    const int nt = resolve_threads(threads, items);
    const T inv_rho = T(1) / rho;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (std::ptrdiff_t it = 0; it < static_cast<std::ptrdiff_t>(items); ++it) {
        const std::size_t ch = static_cast<std::size_t>(it) % nch, pb_ = static_cast<std::size_t>(it) / nch;
        const std::size_t p = pb_ / bands, b = pb_ % bands;
        const std::size_t i0 = ch * chunk, n = std::min(chunk, band_size - i0);
        const T wb = w[b];
        const std::size_t c = cur[p] ? 1 : 0;
        const std::size_t oc = (2 * p + c) * per + b * bs + i0, oo = (2 * p + 1 - c) * per + b * bs + i0;
        const std::size_t off = p * per + b * bs + i0;
        const T f = static_cast<T>(fac[p]), g = static_cast<T>(fac_next[p]);
        double* pb = part.data() + 5 * static_cast<std::size_t>(it);
        admm_l1_band(kx + off, z + oc, z + oo, l + oc, l + oo, d + off, f, g, wb * inv_rho, n, band_size, group,
                     fac[p] != 0, pb);
        pb[4] *= static_cast<double>(wb);
    }
    const std::size_t ip = bands * nch;  // items per problem, in band and chunk order
    for (std::size_t p = 0; p < batch; ++p) {
        double acc[5] = {0, 0, 0, 0, 0};
        for (std::size_t q = 0; q < ip; ++q)
            for (int k = 0; k < 5; ++k) acc[k] += part[5 * (p * ip + q) + static_cast<std::size_t>(k)];
        for (int k = 0; k < 5; ++k) stats[5 * p + static_cast<std::size_t>(k)] = acc[k];
    }
}

namespace {
// out[p] = the sum over problem p's fixed chunks of kSolverChunk values of f(p, lo, hi) (lo, hi:
// offsets within the problem's n values), in parallel over (problem, chunk) items where the work
// covers a region's start-up, reduced in chunk order (the same bits for any thread count).
template <typename F> void chunked_sums(std::size_t batch, std::size_t n, int threads, double* out, F&& f) {
    constexpr std::size_t chunk = heuristics::kSolverChunk;
    const std::size_t per = (n + chunk - 1) / chunk, items = batch * per;
    std::vector<double> part(items);
    const int nt = batch * n >= heuristics::kSolverParallelValues ? resolve_threads(threads, items) : 1;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (std::ptrdiff_t it = 0; it < static_cast<std::ptrdiff_t>(items); ++it) {
        const std::size_t p = static_cast<std::size_t>(it) / per, lo = (static_cast<std::size_t>(it) % per) * chunk;
        part[static_cast<std::size_t>(it)] = f(p, lo, std::min(n, lo + chunk));
    }
    for (std::size_t p = 0; p < batch; ++p) {
        double s = 0;
        for (std::size_t c = 0; c < per; ++c) s += part[p * per + c];
        out[p] = s;
    }
}
}  // namespace

template <typename T>
void batched_dot(const T* a, const T* b, std::size_t batch, std::size_t n, double* out, int threads) {
    chunked_sums(batch, n, threads, out, [&](std::size_t p, std::size_t lo, std::size_t hi) {
        double s = 0;
        const T *pa = a + p * n, *pb = b + p * n;
#pragma omp simd reduction(+ : s)
        for (std::size_t i = lo; i < hi; ++i) s += static_cast<double>(pa[i]) * static_cast<double>(pb[i]);
        return s;
    });
}

template void admm_l1_step<float>(const float*, float*, float*, float*, const unsigned char*, const double*,
                                  const double*, const float*, std::size_t, std::size_t, int, std::size_t, float,
                                  double*, int);
template void admm_l1_step<double>(const double*, double*, double*, double*, const unsigned char*, const double*,
                                   const double*, const double*, std::size_t, std::size_t, int, std::size_t, double,
                                   double*, int);

template void batched_dot<float>(const float*, const float*, std::size_t, std::size_t, double*, int);
template void batched_dot<double>(const double*, const double*, std::size_t, std::size_t, double*, int);

namespace {
// One pixel of tv_dual_step's dual update from its gradient (g0, g1): y_new (written over y when
// Write), d = y_new - y_old into (d0, d1); returns |d|^2.
template <bool Write, typename T>
inline __attribute__((always_inline)) T tv_pixel(T g0, T g1, T* y0, T* y1, T* d0, T* d1, T sigma, T lam) {
    const T o0 = *y0, o1 = *y1;
    const T v0 = o0 + sigma * g0, v1 = o1 + sigma * g1;
    const T r = std::sqrt(v0 * v0 + v1 * v1);
    // lam / r where r > lam, else 1 (lam == 0: y_new = 0; r == 0 means v == 0); the division is
    // unconditional (a conditional one keeps the loop from vectorising), its NaN at r == lam == 0
    // is never selected
    const T q = lam / std::max(r, lam);
    const T s = r > lam ? q : T(1);
    const T n0 = v0 * s, n1 = v1 * s;
    if constexpr (Write) {
        *y0 = n0;
        *y1 = n1;
    }
    const T a = n0 - o0, b = n1 - o1;
    *d0 = a;
    *d1 = b;
    return a * a + b * b;
}

// The dual update of one row of m pixels: xr is the row of x, xn the next one (unread on the
// last row, Last: g0 = 0); d0, d1 get the row's d; returns the row's sum of d^2.
template <bool Last, bool Write, typename T>
inline __attribute__((always_inline)) double tv_row_dual(const T* xr, const T* xn, T* y0, T* y1, T* d0, T* d1,
                                                         std::size_t m, T sigma, T lam) {
    // sums in T over kSolverSumBlock values (vectorised), then in float64
    double s = 0;
    const std::size_t m1 = m - 1;
    for (std::size_t j0 = 0; j0 < m1; j0 += heuristics::kSolverSumBlock) {
        const std::size_t j1 = std::min(m1, j0 + heuristics::kSolverSumBlock);
        T sb = 0;
#pragma omp simd reduction(+ : sb)
        for (std::size_t j = j0; j < j1; ++j) {
            const T g0 = Last ? T(0) : xn[j] - xr[j];
            sb += tv_pixel<Write>(g0, xr[j + 1] - xr[j], y0 + j, y1 + j, d0 + j, d1 + j, sigma, lam);
        }
        s += static_cast<double>(sb);
    }
    const T g0 = Last ? T(0) : xn[m1] - xr[m1];
    return s + static_cast<double>(tv_pixel<Write>(g0, T(0), y0 + m1, y1 + m1, d0 + m1, d1 + m1, sigma, lam));
}

// dz = grad^T d of one row, in Gradient2D._adjoint's order of operations: dcur is the row's d0
// (a zero row on the last row), dprev the previous row's (a zero row on the first), d1 the row's
// d1 with d1[m - 1] == 0 and d1l = d1 - 1 with d1l[0] == 0 (the adjoint reads neither); z += dz,
// e = scale dz.
template <typename T>
inline __attribute__((always_inline)) void tv_row_adjoint(const T* dcur, const T* dprev, const T* d1, const T* d1l,
                                                          T* z, T* e, std::size_t m, T scale) {
#pragma omp simd
    for (std::size_t j = 0; j < m; ++j) {
        const T dz = ((-dcur[j] + dprev[j]) - d1[j]) + d1l[j];
        z[j] += dz;
        e[j] = scale * dz;
    }
}

// d0 of the row i (< n - 1) of an image into d0, from the old y (d1: scratch of m values).
template <typename T>
inline __attribute__((always_inline)) void tv_edge_impl(const T* x, const T* y0, std::size_t nm, std::size_t m,
                                                        std::size_t i, T* d0, T* d1, T sigma, T lam) {
    T* yr = const_cast<T*>(y0) + i * m;  // read only (Write == false)
    tv_row_dual<false, false>(x + i * m, x + (i + 1) * m, yr, yr + nm, d0, d1, m, sigma, lam);
}

// Rows [r0, r1) of one image (x, z, e: n x m; y0: its y, 2 x n x m): the dual update, dz, z and e;
// prev: d0 of row r0 - 1 (a zero row when r0 == 0); buf: 4 m + 1 values, zero where noted.
// Returns the rows' sum of d^2.
template <typename T>
inline __attribute__((always_inline)) double tv_block_impl(const T* x, T* y0, T* z, T* e, std::size_t n, std::size_t m,
                                                           std::size_t r0, std::size_t r1, const T* prev, T* buf,
                                                           T sigma, T lam, T scale) {
    // two d0 rows, d1 with a zero in front, a zero row
    T *cur = buf, *other = buf + m, *d1l = buf + 2 * m, *d1 = d1l + 1, *zero = d1 + m;
    const std::size_t nm = n * m;
    if (r0 == 0) prev = zero;
    double s = 0;
    for (std::size_t i = r0; i < r1; ++i) {
        const std::size_t o = i * m;
        if (i + 1 < n) {
            s += tv_row_dual<false, true>(x + o, x + o + m, y0 + o, y0 + nm + o, cur, d1, m, sigma, lam);
            d1[m - 1] = 0;
            tv_row_adjoint(cur, prev, d1, d1l, z + o, e + o, m, scale);
        } else {
            s += tv_row_dual<true, true>(x + o, x + o, y0 + o, y0 + nm + o, cur, d1, m, sigma, lam);
            d1[m - 1] = 0;
            tv_row_adjoint(zero, prev, d1, d1l, z + o, e + o, m, scale);
        }
        prev = cur;
        std::swap(cur, other);
    }
    return s;
}

// Compiled for every ISA level (infra/isa.hpp): the projection's square root and division run
// 8 / 16 (AVX2 / AVX-512) values wide in float32, 4 / 8 in float64, where the baseline (SSE2)
// runs float32 4 wide and leaves float64 scalar (GCC's cost model).
#define FASTSHEAR_TV_BLOCKS(ATTR)                                                                                   \
    ATTR void tv_edge(const float* x, const float* y0, std::size_t nm, std::size_t m, std::size_t i, float* d0,     \
                      float* d1, float sigma, float lam) {                                                          \
        tv_edge_impl(x, y0, nm, m, i, d0, d1, sigma, lam);                                                          \
    }                                                                                                               \
    ATTR void tv_edge(const double* x, const double* y0, std::size_t nm, std::size_t m, std::size_t i, double* d0,  \
                      double* d1, double sigma, double lam) {                                                       \
        tv_edge_impl(x, y0, nm, m, i, d0, d1, sigma, lam);                                                          \
    }                                                                                                               \
    ATTR void tv_block(const float* x, float* y0, float* z, float* e, std::size_t n, std::size_t m, std::size_t r0, \
                       std::size_t r1, const float* prev, float* buf, float sigma, float lam, float scale,          \
                       double* out) {                                                                               \
        *out = tv_block_impl(x, y0, z, e, n, m, r0, r1, prev, buf, sigma, lam, scale);                              \
    }                                                                                                               \
    ATTR void tv_block(const double* x, double* y0, double* z, double* e, std::size_t n, std::size_t m,             \
                       std::size_t r0, std::size_t r1, const double* prev, double* buf, double sigma, double lam,   \
                       double scale, double* out) {                                                                 \
        *out = tv_block_impl(x, y0, z, e, n, m, r0, r1, prev, buf, sigma, lam, scale);                              \
    }
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_TV_BLOCKS)
#undef FASTSHEAR_TV_BLOCKS
FASTSHEAR_ISA_DISPATCH(tv_edge)
FASTSHEAR_ISA_DISPATCH(tv_block)
}  // namespace

template <typename T>
void tv_dual_step(const T* x, T* y, T* z, T* e, std::size_t batch, std::size_t n, std::size_t m, T sigma, T lam,
                  T scale, double* out, int threads) {
    // items: fixed blocks of rows of each problem (the same sums for any thread count)
    const std::size_t rows = std::max<std::size_t>(1, heuristics::kSolverChunk / std::max<std::size_t>(m, 1));
    const std::size_t nblk = (n + rows - 1) / rows, items = batch * nblk, nm = n * m;
    std::vector<double> part(items);
    // d0 of the row above each block but the first, from the old y (before its block overwrites it)
    std::vector<T> edge(items * m);
    const int nt = resolve_threads(threads, items);
#pragma omp parallel num_threads(nt)
    {
        std::vector<T> buf(4 * m + 1, T(0));
#pragma omp for schedule(static)
        for (std::ptrdiff_t it = 0; it < static_cast<std::ptrdiff_t>(items); ++it) {
            const std::size_t p = static_cast<std::size_t>(it) / nblk,
                              r0 = (static_cast<std::size_t>(it) % nblk) * rows;
            if (r0 > 0)
                tv_edge(x + p * nm, y + 2 * p * nm, nm, m, r0 - 1, edge.data() + static_cast<std::size_t>(it) * m,
                        buf.data(), sigma, lam);
        }
        // (the implicit barrier: every edge row is read before y is written)
#pragma omp for schedule(static)
        for (std::ptrdiff_t it = 0; it < static_cast<std::ptrdiff_t>(items); ++it) {
            const std::size_t p = static_cast<std::size_t>(it) / nblk,
                              r0 = (static_cast<std::size_t>(it) % nblk) * rows;
            tv_block(x + p * nm, y + 2 * p * nm, z + p * nm, e + p * nm, n, m, r0, std::min(n, r0 + rows),
                     edge.data() + static_cast<std::size_t>(it) * m, buf.data(), sigma, lam, scale, part.data() + it);
        }
    }
    for (std::size_t p = 0; p < batch; ++p) {
        double s = 0;
        for (std::size_t b = 0; b < nblk; ++b) s += part[p * nblk + b];
        out[p] = s;
    }
}

namespace {
template <bool Nonneg, typename T> double primal_chunk(T* x, const T* z, const T* e, const T* tau, std::size_t n) {
    // sums in T over kSolverSumBlock values (vectorised), then in float64
    double s = 0;
    for (std::size_t i0 = 0; i0 < n; i0 += heuristics::kSolverSumBlock) {
        const std::size_t i1 = std::min(n, i0 + heuristics::kSolverSumBlock);
        T sb = 0;
#pragma omp simd reduction(+ : sb)
        for (std::size_t i = i0; i < i1; ++i) {
            const T xo = x[i];
            T xn = xo - tau[i] * (z[i] + e[i]);
            if constexpr (Nonneg) xn = std::max(xn, T(0));
            x[i] = xn;
            const T dd = xn - xo;
            sb += dd * dd;
        }
        s += static_cast<double>(sb);
    }
    return s;
}
}  // namespace

template <typename T>
void spdhg_primal_step(T* x, const T* z, const T* e, const T* tau, std::size_t batch, std::size_t size, bool nonneg,
                       double* out, int threads) {
    chunked_sums(batch, size, threads, out, [&](std::size_t p, std::size_t lo, std::size_t hi) {
        const std::size_t o = p * size + lo;
        return nonneg ? primal_chunk<true>(x + o, z + o, e + o, tau + lo, hi - lo)
                      : primal_chunk<false>(x + o, z + o, e + o, tau + lo, hi - lo);
    });
}

template void tv_dual_step<float>(const float*, float*, float*, float*, std::size_t, std::size_t, std::size_t, float,
                                  float, float, double*, int);
template void tv_dual_step<double>(const double*, double*, double*, double*, std::size_t, std::size_t, std::size_t,
                                   double, double, double, double*, int);
template void spdhg_primal_step<float>(float*, const float*, const float*, const float*, std::size_t, std::size_t, bool,
                                       double*, int);
template void spdhg_primal_step<double>(double*, const double*, const double*, const double*, std::size_t, std::size_t,
                                        bool, double*, int);

}  // namespace fastshear
