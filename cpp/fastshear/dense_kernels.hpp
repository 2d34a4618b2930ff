// Dense-network compute kernels: a register-blocked GEMM with fused bias (+ReLU) over weights
// packed once per network, and a CSR kernel for pruned layers. One implementation
// (dense_kernels_impl.hpp) is compiled three times, for AVX-512, AVX2+FMA and baseline x86-64
// (or whatever the target is); kernels<T>() returns the set of isa::best() (infra/isa.hpp).
#pragma once

#include <cstddef>

namespace fastshear {
namespace dense {

// The name of the kernel set kernels<T>() uses on this machine: "avx512", "avx2" or "generic".
const char* kernel_name();

// Y[b, n] = act(bias[n] + sum_k X[b, k] M[k, n]) for b < rows, n < N, with M packed by pack_panels.
// relu: apply max(., 0) (other activations are applied by the caller afterwards).
template <typename T> struct GemmArgs {
    const T* x;
    std::size_t ldx;
    std::size_t rows;
    const T* packed;  // panels of nr columns: panel p holds M[k, p*nr + j] at p*K*nr + k*nr + j
    const T* bias;    // padded to a multiple of nr; nullptr: zero
    int K, N;
    T* y;
    std::size_t ldy;
    bool relu;
    int kstride = 0;  // rows of the packed matrix (0: K); a sub-block of rows starts at packed + k0 * nr
};

// CSR rows of an (N x K) matrix times X^T held transposed (K x cols, leading dimension ld):
// Y^T[n, c] = act(bias[n] + sum_{(n,k)} v * XT[k, c]), c < cols (ld a multiple of the lane count).
template <typename T> struct CsrArgs {
    const int* rowptr;
    const int* col;
    const T* val;
    const T* bias;
    int N;
    const T* xt;
    T* yt;
    std::size_t ld, cols;
    bool relu;
};

template <typename T> struct Kernels {
    const char* name;
    int mr, nr, lanes;
    void (*gemm)(const GemmArgs<T>&);
    void (*csr)(const CsrArgs<T>&);
    // LRP's element-wise steps, vectorised with the same instruction set as the GEMM:
    // s[i] = (scale * r[i]) / (z[i] + eps sign(z[i])) with sign(0) = +1;  d[i] = a[i] - b[i].
    void (*lrp_ratio)(const T* r, const T* z, T scale, T eps, T* s, std::size_t n);
    void (*sub)(const T* a, const T* b, T* d, std::size_t n);
};

template <typename T> const Kernels<T>& kernels();

// Pack the K x N matrix M (M[k, n] = m[k * sk + n * sn]) into panels of nr columns, zero padded.
template <typename T> void pack_panels(const T* m, std::ptrdiff_t sk, std::ptrdiff_t sn, int K, int N, int nr, T* dst) {
    int panels = (N + nr - 1) / nr;
    for (int p = 0; p < panels; ++p)
        for (int k = 0; k < K; ++k)
            for (int j = 0; j < nr; ++j) {
                int n = p * nr + j;
                dst[(static_cast<std::size_t>(p) * K + k) * nr + j] = n < N ? m[k * sk + n * sn] : T(0);
            }
}

}  // namespace dense
}  // namespace fastshear
