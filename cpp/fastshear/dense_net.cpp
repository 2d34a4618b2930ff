#include "dense_net.hpp"

#include "infra/heuristics.hpp"
#include "infra/parallel.hpp"
#include "infra/task_pool.hpp"
#include "infra/transpose.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace fastshear {

namespace {

std::size_t round_up(std::size_t n, std::size_t m) { return (n + m - 1) / m * m; }

template <typename T> T* thread_scratch(std::size_t n) {
    thread_local std::vector<T> buf;
    if (buf.size() < n) buf.resize(n);
    return buf.data();
}

template <typename T> inline T stabilise(T z, T eps) { return z + (z >= T(0) ? eps : -eps); }

template <typename T> void apply_activation(Activation act, T* y, std::size_t n) {
    switch (act) {
        case Activation::relu:
            for (std::size_t i = 0; i < n; ++i) y[i] = y[i] < T(0) ? T(0) : y[i];
            break;
        case Activation::sigmoid:
            for (std::size_t i = 0; i < n; ++i) y[i] = T(1) / (T(1) + std::exp(-y[i]));
            break;
        case Activation::heaviside:
            for (std::size_t i = 0; i < n; ++i) y[i] = y[i] > T(0) ? T(1) : (y[i] <= T(0) ? T(0) : y[i]);
            break;
        case Activation::identity: break;
    }
}

// Pack the K x N matrix M[k, n] = m[k * sk + n * sn] in panels for the GEMM kernel.
template <typename T>
void pack_matrix(const T* m, std::ptrdiff_t sk, std::ptrdiff_t sn, int K, int N, int nr, aligned_buffer<T>& dst) {
    dst = aligned_buffer<T>(round_up(N, nr) * K);
    dense::pack_panels(m, sk, sn, K, N, nr, dst.data());
}

template <typename T> void pack_bias(const T* b, int N, int nr, aligned_buffer<T>& dst) {
    dst = aligned_buffer<T>(round_up(std::max(N, 1), nr));
    std::fill(dst.data(), dst.data() + dst.size(), T(0));
    std::copy(b, b + N, dst.data());
}

}  // namespace

Activation parse_activation(const std::string& s) {
    if (s == "relu") return Activation::relu;
    if (s == "sigmoid") return Activation::sigmoid;
    if (s == "heaviside") return Activation::heaviside;
    if (s == "identity") return Activation::identity;
    throw std::invalid_argument("activation must be one of relu, sigmoid, heaviside, identity; got '" + s + "'");
}

LrpRule parse_rule(const std::string& s) {
    if (s == "epsilon") return LrpRule::epsilon;
    if (s == "zplus") return LrpRule::zplus;
    if (s == "alphabeta") return LrpRule::alphabeta;
    throw std::invalid_argument("rule must be one of epsilon, zplus, alphabeta; got '" + s + "'");
}

template <typename T> struct DenseNet<T>::Layer {
    int in = 0, out = 0;
    Activation act = Activation::identity;
    std::vector<T> w, b;          // W (out x in) row-major, b (out)
    aligned_buffer<T> fwd, bias;  // W^T packed in panels, bias padded
    bool sparse = false;
    std::size_t nnz = 0;
    std::vector<int> rowptr, col;  // CSR of W (sparse layers)
    std::vector<T> val;
    // LRP, packed on first use: W (out x in) for c = s W; [W+^T; W-^T]; [W+; W-]; bias parts.
    aligned_buffer<T> bwd, fpm, bpm, bpos, bneg;
};

template <typename T>
DenseNet<T>::DenseNet(const std::vector<int>& widths, const std::vector<const T*>& weights,
                      const std::vector<const T*>& biases, const std::vector<Activation>& acts, double sparse_below)
    : widths_(widths), k_(&dense::kernels<T>()) {
    const std::size_t L = widths.size() < 2 ? 0 : widths.size() - 1;
    if (L == 0 || weights.size() != L || biases.size() != L || acts.size() + 1 != L)
        throw std::invalid_argument("DenseNet: inconsistent numbers of widths, weights, biases and activations");
    const int nr = k_->nr;
    for (std::size_t l = 0; l < L; ++l) {
        auto ly = std::make_unique<Layer>();
        ly->in = widths[l];
        ly->out = widths[l + 1];
        if (ly->in < 1 || ly->out < 1) throw std::invalid_argument("DenseNet: widths must be >= 1");
        ly->act = l + 1 < L ? acts[l] : Activation::identity;
        const std::size_t n = static_cast<std::size_t>(ly->in) * ly->out;
        ly->w.assign(weights[l], weights[l] + n);
        ly->b.assign(biases[l], biases[l] + ly->out);
        ly->nnz = static_cast<std::size_t>(std::count_if(ly->w.begin(), ly->w.end(), [](T v) { return v != T(0); }));
        pack_matrix(ly->w.data(), 1, ly->in, ly->in, ly->out, nr, ly->fwd);  // W^T: K = in, N = out
        pack_bias(ly->b.data(), ly->out, nr, ly->bias);
        ly->sparse = static_cast<double>(ly->nnz) <= sparse_below * static_cast<double>(n);
        if (ly->sparse) {
            ly->rowptr.assign(1, 0);
            for (int o = 0; o < ly->out; ++o) {
                for (int i = 0; i < ly->in; ++i) {
                    T v = ly->w[static_cast<std::size_t>(o) * ly->in + i];
                    if (v != T(0)) ly->col.push_back(i), ly->val.push_back(v);
                }
                ly->rowptr.push_back(static_cast<int>(ly->col.size()));
            }
        }
        macs_per_row_ += ly->sparse ? ly->nnz : n;
        max_width_ = std::max({max_width_, ly->in, ly->out});
        layers_.push_back(std::move(ly));
    }
}

template <typename T> DenseNet<T>::~DenseNet() = default;

template <typename T> bool DenseNet<T>::layer_sparse(int l) const { return layers_.at(l)->sparse; }
template <typename T> std::size_t DenseNet<T>::layer_nnz(int l) const { return layers_.at(l)->nnz; }
template <typename T> const char* DenseNet<T>::kernel_name() const { return k_->name; }

template <typename T> std::size_t DenseNet<T>::complexity() const {
    std::size_t c = 0;
    for (auto& ly : layers_) c += ly->nnz + std::count_if(ly->b.begin(), ly->b.end(), [](T v) { return v != T(0); });
    return c;
}

// out (rows x out) = in (rows x in) W^T + b, then the layer's activation if fuse_act (dense kernel).
template <typename T>
void DenseNet<T>::layer_affine(const Layer& ly, const T* in, std::size_t rows, T* out, bool fuse_act) const {
    const bool relu = fuse_act && ly.act == Activation::relu;
    k_->gemm({in, static_cast<std::size_t>(ly.in), rows, ly.fwd.data(), ly.bias.data(), ly.in, ly.out, out,
              static_cast<std::size_t>(ly.out), relu});
    if (fuse_act && !relu) apply_activation(ly.act, out, rows * ly.out);
}

// Sparse layers run on transposed activations (features x batch, each non-zero weight one
// vector FMA over the batch); consecutive sparse layers stay transposed. Batches narrower than
// half a vector use a scalar CSR loop on the row-major activations instead, or the dense kernel
// where the layer is not very sparse.
template <typename T> void DenseNet<T>::forward_chunk(const T* x, T* y, std::size_t rows, T* scratch) const {
    const std::size_t lanes = k_->lanes, ld = round_up(rows, lanes);
    T* buf[2] = {scratch, scratch + ld * max_width_};
    auto other = [&](const T* cur) { return cur == buf[0] ? buf[1] : buf[0]; };
    const T* in = x;
    bool transposed = false;  // `in` is (width x ld) rather than (rows x width)
    const std::size_t L = layers_.size();
    for (std::size_t l = 0; l < L; ++l) {
        const Layer& ly = *layers_[l];
        const bool last = l + 1 == L;
        const std::size_t K = ly.in, N = ly.out;
        if (ly.sparse && 2 * rows >= lanes) {
            if (!transposed) {
                T* t = other(in);
                transpose_blocked(in, K, t, ld, rows, K);
                for (std::size_t k = 0; k < K && rows < ld; ++k) std::fill(t + k * ld + rows, t + (k + 1) * ld, T(0));
                in = t;
                transposed = true;
            }
            T* out = other(in);
            const bool relu = ly.act == Activation::relu;
            k_->csr({ly.rowptr.data(), ly.col.data(), ly.val.data(), ly.b.data(), ly.out, in, out, ld, rows, relu});
            if (!relu) apply_activation(ly.act, out, N * ld);
            if (last) transpose_blocked(out, ld, y, N, N, rows);
            in = out;
            continue;
        }
        if (transposed) {
            T* t = other(in);
            transpose_blocked(in, ld, t, K, K, rows);
            in = t;
            transposed = false;
        }
        T* out = last ? y : other(in);
        if (ly.sparse && ly.nnz <= heuristics::kDenseFewRowsSparse * K * N) {
            const bool relu = ly.act == Activation::relu;
            for (std::size_t r = 0; r < rows; ++r) {
                const T* xr = in + r * K;
                T* yr = out + r * N;
                for (std::size_t o = 0; o < N; ++o) {
                    T s0 = ly.b[o], s1 = 0, s2 = 0, s3 = 0;
                    int e = ly.rowptr[o];
                    const int end = ly.rowptr[o + 1];
                    for (; e + 4 <= end; e += 4) {
                        s0 += ly.val[e] * xr[ly.col[e]];
                        s1 += ly.val[e + 1] * xr[ly.col[e + 1]];
                        s2 += ly.val[e + 2] * xr[ly.col[e + 2]];
                        s3 += ly.val[e + 3] * xr[ly.col[e + 3]];
                    }
                    for (; e < end; ++e) s0 += ly.val[e] * xr[ly.col[e]];
                    const T s = (s0 + s1) + (s2 + s3);
                    yr[o] = relu && s < T(0) ? T(0) : s;
                }
            }
            if (!relu) apply_activation(ly.act, out, rows * N);
        } else {
            layer_affine(ly, in, rows, out, true);
        }
        in = out;
    }
}

template <typename T>
template <typename F>
void DenseNet<T>::run_chunks(std::size_t batch, int threads, std::size_t max_chunk, F&& chunk_fn) const {
    if (batch == 0) return;
    const int want = batch * macs_per_row_ < heuristics::kDenseParallelMacs ? 1 : resolve_threads(threads, batch);
    std::size_t chunk = max_chunk;
    if (want > 1) chunk = std::min(max_chunk, round_up((batch + want - 1) / want, k_->mr));
    const std::size_t nchunks = (batch + chunk - 1) / chunk;
    const int t = static_cast<int>(std::min<std::size_t>(want, nchunks));
    task_pool::instance().run(nchunks, t,
                              [&](std::size_t c) { chunk_fn(c * chunk, std::min(chunk, batch - c * chunk)); });
}

template <typename T> void DenseNet<T>::forward(const T* x, T* y, std::size_t batch, int threads) const {
    const std::size_t n0 = widths_.front(), nl = widths_.back();
    run_chunks(batch, threads, heuristics::kDenseChunkForward, [&](std::size_t r0, std::size_t rows) {
        const std::size_t ld = round_up(rows, k_->lanes);
        T* s = thread_scratch<T>(2 * max_width_ * ld);
        forward_chunk(x + r0 * n0, y + r0 * nl, rows, s);
    });
}

// ---------------------------------------------------------------------------------------------
// Layer-wise relevance propagation.

template <typename T> void DenseNet<T>::prepare_lrp() const {
    std::call_once(lrp_once_, [this] {
        const int nr = k_->nr;
        for (auto& p : layers_) {
            Layer& ly = *p;
            const int K = ly.in, N = ly.out;
            // c = s W: the K' = N x N' = K matrix W itself.
            pack_matrix(ly.w.data(), K, 1, N, K, nr, ly.bwd);
            std::vector<T> f(static_cast<std::size_t>(2) * K * N), g(static_cast<std::size_t>(2) * N * K);
            for (int o = 0; o < N; ++o)
                for (int i = 0; i < K; ++i) {
                    T v = ly.w[static_cast<std::size_t>(o) * K + i];
                    T vp = v > T(0) ? v : T(0), vn = v < T(0) ? v : T(0);
                    f[static_cast<std::size_t>(i) * N + o] = vp;  // [W+^T; W-^T]: 2K x N
                    f[static_cast<std::size_t>(K + i) * N + o] = vn;
                    g[static_cast<std::size_t>(o) * K + i] = vp;  // [W+; W-]: 2N x K
                    g[static_cast<std::size_t>(N + o) * K + i] = vn;
                }
            pack_matrix(f.data(), N, 1, 2 * K, N, nr, ly.fpm);
            pack_matrix(g.data(), K, 1, 2 * N, K, nr, ly.bpm);
            std::vector<T> bp(N), bn(N);
            for (int o = 0; o < N; ++o) bp[o] = std::max(ly.b[o], T(0)), bn[o] = std::min(ly.b[o], T(0));
            pack_bias(bp.data(), N, nr, ly.bpos);
            pack_bias(bn.data(), N, nr, ly.bneg);
        }
    });
}

template <typename T>
void DenseNet<T>::relevance_chunk(const T* x, T* rel, T* y, std::size_t rows, const std::int64_t* target,
                                  const LrpParams& p, T* scratch) const {
    const std::size_t L = layers_.size(), W = max_width_;
    // z-plus is alpha-beta with alpha = 1, beta = 0 (as in zennit).
    const bool zplus = p.rule == LrpRule::zplus;
    const T eps = static_cast<T>(p.epsilon), alpha = zplus ? T(1) : static_cast<T>(p.alpha),
            beta = zplus ? T(0) : static_cast<T>(p.beta);
    const bool ab = p.rule != LrpRule::epsilon;
    const bool use_neg = ab && beta != T(0);
    // The hidden layers' pre-activations Z are needed by epsilon (its denominator) and by
    // alpha-beta with beta != 0 (z- = Z - z+); z-plus needs only the activations.
    const bool keep_z = !ab || use_neg;

    // Activations A_0..A_{L-1} (A_0 = x) and affine outputs Z_1..Z_L of this chunk.
    std::vector<const T*> A(L);
    std::vector<T*> Z(L);
    T* s = scratch;
    A[0] = x;
    for (std::size_t l = 0; l < L; ++l) {
        Z[l] = s;
        s += rows * layers_[l]->out;
        if (l + 1 < L) {
            A[l + 1] = s;
            s += rows * layers_[l]->out;
        }
    }
    // clang-format off: the scratch layout, one region a line
    T* R = s; s += rows * W;
    T* Rn = s; s += rows * W;
    T* S2 = s; s += rows * 2 * W;
    T* A2 = s; s += rows * 2 * W;
    T* C = s; s += rows * W;
    T* Zp = s; s += rows * W;
    T* Zn = s; s += rows * W;
    // clang-format on

    for (std::size_t l = 0; l < L; ++l) {
        const Layer& ly = *layers_[l];
        const std::size_t n = rows * ly.out;
        if (l + 1 == L) {
            layer_affine(ly, A[l], rows, Z[l], false);
        } else if (!keep_z) {
            layer_affine(ly, A[l], rows, const_cast<T*>(A[l + 1]), true);
        } else {
            layer_affine(ly, A[l], rows, Z[l], false);
            T* a = const_cast<T*>(A[l + 1]);
            const T* z = Z[l];
            if (ly.act == Activation::relu) {
                for (std::size_t i = 0; i < n; ++i) a[i] = z[i] < T(0) ? T(0) : z[i];
            } else {
                std::copy(z, z + n, a);
                apply_activation(ly.act, a, n);
            }
        }
    }
    const std::size_t NL = widths_.back();
    const T* out = Z[L - 1];
    if (y) std::copy(out, out + rows * NL, y);
    std::fill(R, R + rows * NL, T(0));
    for (std::size_t r = 0; r < rows; ++r) {
        const T* o = out + r * NL;
        std::size_t t =
            target ? static_cast<std::size_t>(target[r]) : static_cast<std::size_t>(std::max_element(o, o + NL) - o);
        R[r * NL + t] = o[t];
    }

    for (std::size_t l = L; l-- > 0;) {
        const Layer& ly = *layers_[l];
        const std::size_t K = ly.in, N = ly.out;
        const T* a = A[l];
        if (!ab) {
            k_->lrp_ratio(R, Z[l], T(1), eps, S2, rows * N);
            k_->gemm({S2, N, rows, ly.bwd.data(), nullptr, ly.out, ly.in, Rn, K, false});
            for (std::size_t i = 0; i < rows * K; ++i) Rn[i] *= a[i];
        } else {
            // The input of a layer after a ReLU, sigmoid or Heaviside step is never negative;
            // only the network's input and identity layers' outputs need looking at.
            const Activation in_act = l == 0 ? Activation::identity : layers_[l - 1]->act;
            bool anyneg = false;
            if (in_act == Activation::identity) {
                T m = T(0);
                for (std::size_t i = 0; i < rows * K; ++i) m = a[i] < m ? a[i] : m;
                anyneg = m < T(0);
            }
            // Zp = a+ W+^T + a- W-^T + b+ (the part of Z that alpha weighs).
            const T* fp = ly.fpm.data();
            if (anyneg) {
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t k = 0; k < K; ++k) {
                        T v = a[r * K + k];
                        A2[r * 2 * K + k] = v > T(0) ? v : T(0);
                        A2[r * 2 * K + K + k] = v < T(0) ? v : T(0);
                    }
                k_->gemm({A2, 2 * K, rows, fp, ly.bpos.data(), 2 * ly.in, ly.out, Zp, N, false});
            } else {
                // a >= 0: only the first (W+^T) half of [W+^T; W-^T].
                dense::GemmArgs<T> g{a, K, rows, fp, ly.bpos.data(), ly.in, ly.out, Zp, N, false};
                g.kstride = 2 * ly.in;
                k_->gemm(g);
            }
            // Zn needs no product of its own: Z = W a + b = Zp + Zn (b = b+ + b-, and for a of
            // either sign W a = W+ a+ + W- a- + W+ a- + W- a+), so Zn = Z - Zp.
            if (use_neg) k_->sub(Z[l], Zp, Zn, rows * N);
            // S2 = [alpha R / Zp | -beta R / Zn]; c+ = S2 [W+; W-] is the coefficient of a+.
            const std::size_t N2 = use_neg ? 2 * N : N;
            if (!use_neg) {
                k_->lrp_ratio(R, Zp, alpha, eps, S2, rows * N);
            } else {
                for (std::size_t r = 0; r < rows; ++r) {
                    k_->lrp_ratio(R + r * N, Zp + r * N, alpha, eps, S2 + r * N2, N);
                    k_->lrp_ratio(R + r * N, Zn + r * N, -beta, eps, S2 + r * N2 + N, N);
                }
            }
            dense::GemmArgs<T> g{S2, N2, rows, ly.bpm.data(), nullptr, static_cast<int>(N2), ly.in, Rn, K, false};
            g.kstride = 2 * ly.out;
            k_->gemm(g);
            if (!anyneg) {
                for (std::size_t i = 0; i < rows * K; ++i) Rn[i] *= a[i];
            } else {
                // c- = [-beta R / Zn | alpha R / Zp] [W+; W-] is the coefficient of a-; without
                // beta it is (alpha R / Zp) W-, the second half of [W+; W-] alone.
                if (use_neg) {
                    for (std::size_t r = 0; r < rows; ++r) {
                        std::copy(S2 + r * N2 + N, S2 + r * N2 + 2 * N, A2 + r * N2);
                        std::copy(S2 + r * N2, S2 + r * N2 + N, A2 + r * N2 + N);
                    }
                    dense::GemmArgs<T> h{A2, N2, rows, ly.bpm.data(), nullptr, 2 * ly.out, ly.in, C, K, false};
                    k_->gemm(h);
                } else {
                    dense::GemmArgs<T> h{S2, N, rows, ly.bpm.data() + N * k_->nr, nullptr, ly.out, ly.in, C, K, false};
                    h.kstride = 2 * ly.out;
                    k_->gemm(h);
                }
                for (std::size_t i = 0; i < rows * K; ++i) {
                    T v = a[i];
                    Rn[i] = v > T(0) ? v * Rn[i] : (v < T(0) ? v * C[i] : T(0));
                }
            }
        }
        std::swap(R, Rn);
    }
    std::copy(R, R + rows * widths_.front(), rel);
}

template <typename T>
void DenseNet<T>::relevance(const T* x, T* rel, T* y, std::size_t batch, const std::int64_t* target, const LrpParams& p,
                            int threads) const {
    prepare_lrp();
    const std::size_t n0 = widths_.front(), nl = widths_.back();
    for (std::size_t b = 0; target && b < batch; ++b)
        if (target[b] < 0 || target[b] >= static_cast<std::int64_t>(nl))
            throw std::out_of_range("target " + std::to_string(target[b]) + " is not an output index in [0, " +
                                    std::to_string(nl) + ")");
    std::size_t per_row = 0;
    for (auto& ly : layers_) per_row += 2 * ly->out;
    per_row += 9 * static_cast<std::size_t>(max_width_);
    const std::size_t chunk = std::max<std::size_t>(
        k_->mr,
        std::min(heuristics::kDenseChunkLrp, heuristics::kDenseLrpScratch / (per_row * sizeof(T)) / k_->mr * k_->mr));
    run_chunks(batch, threads, chunk, [&](std::size_t r0, std::size_t rows) {
        T* s = thread_scratch<T>(rows * per_row);
        relevance_chunk(x + r0 * n0, rel + r0 * n0, y ? y + r0 * nl : nullptr, rows, target ? target + r0 : nullptr, p,
                        s);
    });
}

// ---------------------------------------------------------------------------------------------
// Input gradients: a forward pass keeping every layer's affine output, then G <- (G W_l) * rho'.

template <typename T>
void DenseNet<T>::backward_chunk(const T* x, const T* gy, T* gx, T* y, std::size_t rows, T* scratch) const {
    const std::size_t L = layers_.size(), W = max_width_;
    std::vector<const T*> A(L);
    std::vector<T*> Z(L);
    T* s = scratch;
    A[0] = x;
    for (std::size_t l = 0; l < L; ++l) {
        Z[l] = s;
        s += rows * layers_[l]->out;
        if (l + 1 < L) {
            A[l + 1] = s;
            s += rows * layers_[l]->out;
        }
    }
    T* G = s;
    s += rows * W;
    T* Gn = s;
    for (std::size_t l = 0; l < L; ++l) {
        const Layer& ly = *layers_[l];
        layer_affine(ly, A[l], rows, Z[l], false);
        if (l + 1 < L) {
            T* a = const_cast<T*>(A[l + 1]);
            std::copy(Z[l], Z[l] + rows * ly.out, a);
            apply_activation(ly.act, a, rows * ly.out);
        }
    }
    const std::size_t NL = widths_.back();
    if (y) std::copy(Z[L - 1], Z[L - 1] + rows * NL, y);
    std::copy(gy, gy + rows * NL, G);
    for (std::size_t l = L; l-- > 0;) {
        const Layer& ly = *layers_[l];
        const std::size_t K = ly.in, N = ly.out;
        k_->gemm({G, N, rows, ly.bwd.data(), nullptr, ly.out, ly.in, Gn, K, false});
        if (l > 0) {
            const T* z = Z[l - 1];
            const T* a = A[l];
            const std::size_t n = rows * K;
            switch (layers_[l - 1]->act) {
                case Activation::relu:
                    for (std::size_t i = 0; i < n; ++i) Gn[i] = z[i] > T(0) ? Gn[i] : T(0);
                    break;
                case Activation::sigmoid:
                    for (std::size_t i = 0; i < n; ++i) Gn[i] *= a[i] * (T(1) - a[i]);
                    break;
                case Activation::heaviside:
                    // zero almost everywhere; NaN stays NaN
                    for (std::size_t i = 0; i < n; ++i) Gn[i] = z[i] == z[i] ? T(0) : z[i];
                    break;
                case Activation::identity: break;
            }
        }
        std::swap(G, Gn);
    }
    std::copy(G, G + rows * widths_.front(), gx);
}

template <typename T>
void DenseNet<T>::backward(const T* x, const T* gy, T* gx, T* y, std::size_t batch, int threads) const {
    prepare_lrp();  // packs W for G W
    const std::size_t n0 = widths_.front(), nl = widths_.back();
    std::size_t per_row = 2 * static_cast<std::size_t>(max_width_);
    for (auto& ly : layers_) per_row += 2 * ly->out;
    const std::size_t chunk = std::max<std::size_t>(
        k_->mr,
        std::min(heuristics::kDenseChunkLrp, heuristics::kDenseLrpScratch / (per_row * sizeof(T)) / k_->mr * k_->mr));
    run_chunks(batch, threads, chunk, [&](std::size_t r0, std::size_t rows) {
        T* s = thread_scratch<T>(rows * per_row);
        backward_chunk(x + r0 * n0, gy + r0 * nl, gx + r0 * n0, y ? y + r0 * nl : nullptr, rows, s);
    });
}

template class DenseNet<float>;
template class DenseNet<double>;

}  // namespace fastshear
