// Feed-forward networks Phi(x) = T_L rho(T_{L-1} rho(... rho(T_1 x))) with affine T_l x = W_l x + b_l
// (Kutyniok, Def. 2.3): batched inference with dense (packed, SIMD) or sparse (CSR) layers, and
// layer-wise relevance propagation (epsilon, z-plus, alpha-beta rules with zennit's semantics) and
// input gradients (vector-Jacobian products).
//
// A network is immutable after construction; forward(), relevance() and backward() are const and may be
// called from any number of threads at once (scratch memory is per thread).
#pragma once

#include "dense_kernels.hpp"
#include "infra/memory.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fastshear {

enum class Activation : int { identity = 0, relu = 1, sigmoid = 2, heaviside = 3 };
enum class LrpRule : int { epsilon = 0, zplus = 1, alphabeta = 2 };

struct LrpParams {
    LrpRule rule = LrpRule::epsilon;
    double epsilon = 1e-6;  // epsilon rule: z + eps sign(z); other rules: their stabiliser
    double alpha = 1.0, beta = 0.0;
};

template <typename T> class DenseNet {
  public:
    // widths: N_0..N_L; weights[l]: N_{l+1} x N_l row-major; biases[l]: N_{l+1};
    // acts: one per hidden layer (L - 1). Layers whose density (non-zero weights / size) is at
    // most sparse_below run from CSR.
    DenseNet(const std::vector<int>& widths, const std::vector<const T*>& weights, const std::vector<const T*>& biases,
             const std::vector<Activation>& acts, double sparse_below);
    ~DenseNet();
    DenseNet(const DenseNet&) = delete;
    DenseNet& operator=(const DenseNet&) = delete;

    int depth() const { return static_cast<int>(layers_.size()); }
    const std::vector<int>& widths() const { return widths_; }
    bool layer_sparse(int l) const;
    std::size_t layer_nnz(int l) const;  // non-zero weights of layer l
    std::size_t complexity() const;      // sum of non-zero weights and biases
    const char* kernel_name() const;

    // y (batch x N_L) = Phi(x), x (batch x N_0). threads: 0 = OpenMP's default; small work runs on one.
    void forward(const T* x, T* y, std::size_t batch, int threads) const;

    // Relevance of each input (batch x N_0) for output target[b] (nullptr: the argmax of each row);
    // the relevance entering the network is the target output's value. y (may be nullptr) gets Phi(x).
    void relevance(const T* x, T* rel, T* y, std::size_t batch, const std::int64_t* target, const LrpParams& p,
                   int threads) const;

    // Vector-Jacobian product: gx (batch x N_0) = the gradient of sum_b <gy[b], Phi(x[b])> with
    // respect to x, gy (batch x N_L). ReLU' and Heaviside' are 0 at 0 (as in PyTorch). y (may be
    // nullptr) gets Phi(x).
    void backward(const T* x, const T* gy, T* gx, T* y, std::size_t batch, int threads) const;

    struct Layer;

  private:
    template <typename F> void run_chunks(std::size_t batch, int threads, std::size_t max_chunk, F&& chunk_fn) const;
    void forward_chunk(const T* x, T* y, std::size_t rows, T* scratch) const;
    void relevance_chunk(const T* x, T* rel, T* y, std::size_t rows, const std::int64_t* target, const LrpParams& p,
                         T* scratch) const;
    void backward_chunk(const T* x, const T* gy, T* gx, T* y, std::size_t rows, T* scratch) const;
    void layer_affine(const Layer& ly, const T* in, std::size_t rows, T* out, bool fuse_act) const;
    void prepare_lrp() const;

    std::vector<int> widths_;
    std::vector<std::unique_ptr<Layer>> layers_;
    std::size_t macs_per_row_ = 0;
    int max_width_ = 0;
    const dense::Kernels<T>* k_;
    mutable std::once_flag lrp_once_;
};

Activation parse_activation(const std::string& name);
LrpRule parse_rule(const std::string& name);

}  // namespace fastshear
