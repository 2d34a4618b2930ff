// The dense-network kernels, written once with GCC/Clang vector extensions and compiled once per
// instruction set (dense_kernels_{avx512,avx2,generic}.cpp define FS_KNS, FS_VBYTES, FS_MR).
// Included only by those files.
#include "dense_kernels.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#if !defined(FS_KNS) || !defined(FS_VBYTES) || !defined(FS_MR)
#error "define FS_KNS, FS_VBYTES and FS_MR before including dense_kernels_impl.hpp"
#endif

#define FS_INLINE inline __attribute__((always_inline))

namespace fastshear {
namespace dense {
namespace FS_KNS {

template <typename T> struct vec;
template <> struct vec<float> {
    typedef float type __attribute__((vector_size(FS_VBYTES)));
};
template <> struct vec<double> {
    typedef double type __attribute__((vector_size(FS_VBYTES)));
};

template <typename V, typename T> FS_INLINE V loadu(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
}
template <typename V, typename T> FS_INLINE void storeu(T* p, V v) { std::memcpy(p, &v, sizeof(V)); }
template <typename V> FS_INLINE V relu(V v) { return v < V{} ? V{} : v; }  // NaN stays NaN

// One MR x NR tile (NR = 2 vectors): acc = (first ? bias : y) + x[0:M, 0:kc] * w[0:kc, 0:NR].
template <typename T, int M>
FS_INLINE void micro(const T* x, std::size_t ldx, const T* w, int kc, const T* bias, T* y, std::size_t ldy, int ncols,
                     bool first, bool last_relu) {
    using V = typename vec<T>::type;
    constexpr int L = sizeof(V) / sizeof(T);
    constexpr int NR = 2 * L;
    V acc[M][2];
    if (first) {
        V b0 = bias ? loadu<V>(bias) : V{}, b1 = bias ? loadu<V>(bias + L) : V{};
#pragma GCC unroll 16
        for (int m = 0; m < M; ++m) acc[m][0] = b0, acc[m][1] = b1;
    } else if (ncols == NR) {
#pragma GCC unroll 16
        for (int m = 0; m < M; ++m) acc[m][0] = loadu<V>(y + m * ldy), acc[m][1] = loadu<V>(y + m * ldy + L);
    } else {
        alignas(64) T t[NR] = {};
        for (int m = 0; m < M; ++m) {
            std::memcpy(t, y + m * ldy, ncols * sizeof(T));
            acc[m][0] = loadu<V>(t), acc[m][1] = loadu<V>(t + L);
        }
    }
    if constexpr (M == 1) {
        // One row: four independent accumulator pairs hide the FMA latency.
        V s[4][2] = {};
        int k = 0;
        for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 4
            for (int u = 0; u < 4; ++u) {
                T a = x[k + u];
                s[u][0] += a * loadu<V>(w + (k + u) * NR);
                s[u][1] += a * loadu<V>(w + (k + u) * NR + L);
            }
        }
        for (; k < kc; ++k) {
            T a = x[k];
            s[0][0] += a * loadu<V>(w + k * NR);
            s[0][1] += a * loadu<V>(w + k * NR + L);
        }
        acc[0][0] += (s[0][0] + s[1][0]) + (s[2][0] + s[3][0]);
        acc[0][1] += (s[0][1] + s[1][1]) + (s[2][1] + s[3][1]);
    } else {
        for (int k = 0; k < kc; ++k) {
            V w0 = loadu<V>(w + k * NR), w1 = loadu<V>(w + k * NR + L);
#pragma GCC unroll 16
            for (int m = 0; m < M; ++m) {
                T a = x[m * ldx + k];
                acc[m][0] += a * w0;
                acc[m][1] += a * w1;
            }
        }
    }
    if (last_relu) {
#pragma GCC unroll 16
        for (int m = 0; m < M; ++m) acc[m][0] = relu(acc[m][0]), acc[m][1] = relu(acc[m][1]);
    }
    if (ncols == NR) {
#pragma GCC unroll 16
        for (int m = 0; m < M; ++m) storeu(y + m * ldy, acc[m][0]), storeu(y + m * ldy + L, acc[m][1]);
    } else {
        alignas(64) T t[NR];
        for (int m = 0; m < M; ++m) {
            storeu(t, acc[m][0]), storeu(t + L, acc[m][1]);
            std::memcpy(y + m * ldy, t, ncols * sizeof(T));
        }
    }
}

template <typename T, int M>
void micro_rows(int m, const T* x, std::size_t ldx, const T* w, int kc, const T* bias, T* y, std::size_t ldy, int ncols,
                bool first, bool last_relu) {
    if (m == M)
        micro<T, M>(x, ldx, w, kc, bias, y, ldy, ncols, first, last_relu);
    else if constexpr (M > 1)
        micro_rows<T, M - 1>(m, x, ldx, w, kc, bias, y, ldy, ncols, first, last_relu);
}

// One row (batch 1): y = bias + sum over the non-zero x[k] of x[k] * w[k, :]. After a ReLU about
// half of x is zero, and skipping those rows of the packed weights halves the bytes streamed,
// which is what a matrix-vector product costs.
template <typename T> void gemv(const GemmArgs<T>& a) {
    using V = typename vec<T>::type;
    constexpr int L = sizeof(V) / sizeof(T);
    constexpr int NR = 2 * L;
    thread_local std::vector<int> nz;
    nz.resize(a.K);
    int n = 0;
    for (int k = 0; k < a.K; ++k)
        if (a.x[k] != T(0)) nz[n++] = k;
    const int* idx = nz.data();
    const std::size_t Kp = a.kstride ? a.kstride : a.K;
    const int panels = (a.N + NR - 1) / NR;
    for (int p = 0; p < panels; ++p) {
        const int ncols = std::min(NR, a.N - p * NR);
        const T* w = a.packed + p * Kp * NR;
        V s[4][2] = {};
        if (a.bias) s[0][0] = loadu<V>(a.bias + p * NR), s[0][1] = loadu<V>(a.bias + p * NR + L);
        int i = 0;
        for (; i + 4 <= n; i += 4) {
#pragma GCC unroll 4
            for (int u = 0; u < 4; ++u) {
                const int k = idx[i + u];
                const T xk = a.x[k];
                s[u][0] += xk * loadu<V>(w + static_cast<std::size_t>(k) * NR);
                s[u][1] += xk * loadu<V>(w + static_cast<std::size_t>(k) * NR + L);
            }
        }
        for (; i < n; ++i) {
            const int k = idx[i];
            s[0][0] += a.x[k] * loadu<V>(w + static_cast<std::size_t>(k) * NR);
            s[0][1] += a.x[k] * loadu<V>(w + static_cast<std::size_t>(k) * NR + L);
        }
        V r0 = (s[0][0] + s[1][0]) + (s[2][0] + s[3][0]), r1 = (s[0][1] + s[1][1]) + (s[2][1] + s[3][1]);
        if (a.relu) r0 = relu(r0), r1 = relu(r1);
        T* y = a.y + p * NR;
        if (ncols == NR) {
            storeu(y, r0), storeu(y + L, r1);
        } else {
            alignas(64) T t[NR];
            storeu(t, r0), storeu(t + L, r1);
            std::memcpy(y, t, ncols * sizeof(T));
        }
    }
}

// Ask for the cache lines of the MR x NR tile at y (m rows) ahead of its stores: the outputs of a
// wide layer are written once and live in memory, not in cache, and without this each tile waits
// for its lines (read for ownership) before its stores retire.
template <typename T, int NR> FS_INLINE void prefetch_tile(const T* y, std::size_t ldy, int m) {
    constexpr int line = 64 / sizeof(T);
    for (int i = 0; i < m; ++i) {
        const T* r = y + i * ldy;
#pragma GCC unroll 4
        for (int j = 0; j < NR; j += line) __builtin_prefetch(r + j, 1);
        __builtin_prefetch(r + NR - 1, 1);  // the tile's last line where the row is not line-aligned
    }
}

// Y = X M (+ bias, ReLU) in blocks: the columns in blocks of panels whose K-block of weights
// (kc x NR each) fills about kBlockBytes (it stays in L2), and within a block, MR rows at a time
// across all its panels (the MR rows of X stay in L1, each panel's weights stream from L2, and
// each output row is written left to right). The blocking changes no output's sum: each is one
// chain over k in order (four chains where a single row is left over), as before blocking.
template <typename T> void gemm(const GemmArgs<T>& a) {
    using V = typename vec<T>::type;
    constexpr int L = sizeof(V) / sizeof(T);
    constexpr int NR = 2 * L, MR = FS_MR;
    if (a.rows == 1) return gemv(a);
    // A K-block of one packed panel (kc x NR) is at most 32 KB, L1's size.
    constexpr int KC = 32768 / (NR * sizeof(T));
    constexpr std::size_t kBlockBytes = 384 * 1024;
    const int panels = (a.N + NR - 1) / NR;
    const std::size_t rows = a.rows;
    const std::size_t Kp = a.kstride ? a.kstride : a.K;
    for (int k0 = 0; k0 < a.K; k0 += KC) {
        const int kc = std::min(KC, a.K - k0);
        const bool first = k0 == 0, last_relu = a.relu && k0 + kc >= a.K;
        const int pb = std::max<int>(1, static_cast<int>(kBlockBytes / (kc * NR * sizeof(T))));
        for (int p0 = 0; p0 < panels; p0 += pb) {
            const int p1 = std::min(panels, p0 + pb);
            for (std::size_t r = 0; r < rows; r += MR) {
                const int m = static_cast<int>(std::min<std::size_t>(MR, rows - r));
                const T* x = a.x + r * a.ldx + k0;
                for (int p = p0; p < p1; ++p) {
                    const int ncols = std::min(NR, a.N - p * NR);
                    const T* w = a.packed + (p * Kp + k0) * NR;
                    const T* bias = a.bias ? a.bias + p * NR : nullptr;
                    T* y = a.y + r * a.ldy + p * NR;
                    if (p + 1 < p1 && ncols == NR && (p + 1) * NR + NR <= a.N) prefetch_tile<T, NR>(y + NR, a.ldy, m);
                    if (m == MR)
                        micro<T, MR>(x, a.ldx, w, kc, bias, y, a.ldy, ncols, first, last_relu);
                    else
                        micro_rows<T, MR - 1>(m, x, a.ldx, w, kc, bias, y, a.ldy, ncols, first, last_relu);
                }
            }
        }
    }
}

// One row of the sparse matrix times U vectors of columns; two accumulator sets (even and odd
// non-zeros) keep two FMA chains in flight per vector.
template <typename T, int U>
FS_INLINE void csr_block(const int* col, const T* val, int b, int e, T bias, const T* xt, std::size_t ld, T* yt,
                         bool do_relu) {
    using V = typename vec<T>::type;
    constexpr int L = sizeof(V) / sizeof(T);
    V acc[U], acc2[U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) acc[u] = V{} + bias, acc2[u] = V{};
    int i = b;
    for (; i + 2 <= e; i += 2) {
        const T v0 = val[i], v1 = val[i + 1];
        const T* x0 = xt + static_cast<std::size_t>(col[i]) * ld;
        const T* x1 = xt + static_cast<std::size_t>(col[i + 1]) * ld;
#pragma GCC unroll 8
        for (int u = 0; u < U; ++u) {
            acc[u] += v0 * loadu<V>(x0 + u * L);
            acc2[u] += v1 * loadu<V>(x1 + u * L);
        }
    }
    if (i < e) {
        const T v0 = val[i];
        const T* x0 = xt + static_cast<std::size_t>(col[i]) * ld;
#pragma GCC unroll 8
        for (int u = 0; u < U; ++u) acc[u] += v0 * loadu<V>(x0 + u * L);
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
        V r = acc[u] + acc2[u];
        storeu(yt + u * L, do_relu ? relu(r) : r);
    }
}

template <typename T> void csr(const CsrArgs<T>& a) {
    using V = typename vec<T>::type;
    constexpr int L = sizeof(V) / sizeof(T);
    constexpr int U = 4;
    for (int n = 0; n < a.N; ++n) {
        const int b = a.rowptr[n], e = a.rowptr[n + 1];
        const T bias = a.bias ? a.bias[n] : T(0);
        T* yt = a.yt + static_cast<std::size_t>(n) * a.ld;
        std::size_t c = 0;
        for (; c + U * L <= a.cols; c += U * L)
            csr_block<T, U>(a.col, a.val, b, e, bias, a.xt + c, a.ld, yt + c, a.relu);
        for (; c + 2 * L <= a.cols; c += 2 * L)
            csr_block<T, 2>(a.col, a.val, b, e, bias, a.xt + c, a.ld, yt + c, a.relu);
        for (; c < a.cols; c += L) csr_block<T, 1>(a.col, a.val, b, e, bias, a.xt + c, a.ld, yt + c, a.relu);
    }
}

template <typename T>
void lrp_ratio(const T* __restrict r, const T* __restrict z, T scale, T eps, T* __restrict s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const T zi = z[i];
        s[i] = (scale * r[i]) / (zi + (zi >= T(0) ? eps : -eps));
    }
}

template <typename T> void sub(const T* __restrict a, const T* __restrict b, T* __restrict d, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) d[i] = a[i] - b[i];
}

template <typename T> const Kernels<T>& table(const char* name) {
    using V = typename vec<T>::type;
    constexpr int L = sizeof(V) / sizeof(T);
    static const Kernels<T> k{name, FS_MR, 2 * L, L, &gemm<T>, &csr<T>, &lrp_ratio<T>, &sub<T>};
    return k;
}

}  // namespace FS_KNS
}  // namespace dense
}  // namespace fastshear
