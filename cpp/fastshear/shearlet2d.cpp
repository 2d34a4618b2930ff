// The 2D shearlet filter bank (shearlet2d.hpp): the plan (the filters, the path choice, the FFT
// plans), the dispatch of forward() over bands, and the synthesis driver (fixed chunks of bands,
// reduced in order). The paths: shearlet2d_real.cpp (real filters: blocked 1D passes on
// transposed spectra), shearlet2d_complex.cpp (complex filters: FFTW's 2D plans).
#include "fastshear/shearlet2d.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "fastshear/complex_kernels.hpp"
#include "fastshear/infra/heuristics.hpp"
#include "fastshear/infra/isa.hpp"
#include "fastshear/infra/parallel.hpp"

namespace fastshear {

namespace {
// block sizes and path choices: infra/heuristics.hpp
using heuristics::kColBlock;
using heuristics::kPairBlock;
using heuristics::kRowBlock;
}  // namespace

template <typename T>
FilterBank2D<T>::FilterBank2D(int n, int m, int k, const std::complex<double>* filters)
    : n_(n), m_(m), k_(k), mh_(m / 2 + 1), ldy_(up8(static_cast<size_t>(n)) + 8) {
    if (n < 1 || m < 1 || k < 1) throw std::invalid_argument("FilterBank2D: sizes must be positive");
    const size_t H = half_size();
    inv_w_ = aligned_buffer<T>(H);
    weights_.assign(H, 0.0);
    const double scale = 1.0 / (static_cast<double>(n) * m);
    // A column of the half spectrum stands for itself and its mirror, except column 0 and, for
    // even M, column M/2.
    std::vector<double> mult(mh_, 2.0);
    mult[0] = 1.0;
    if (m % 2 == 0) mult[mh_ - 1] = 1.0;
    energies_.assign(k, 0.0);
    const size_t KH = static_cast<size_t>(k) * H, nn = n, mh = mh_;
    double max_abs2 = 0.0, max_imag2 = 0.0;  // squared: no hypot per value
    for (size_t j = 0; j < KH; ++j) {
        max_abs2 = std::max(max_abs2, std::norm(filters[j]));
        max_imag2 = std::max(max_imag2, filters[j].imag() * filters[j].imag());
    }
    real_ = max_imag2 <= heuristics::kRealFilterTol2 * max_abs2;  // max |imag| <= 1e-14 max |psi|
    // two bands per complex FFT where that beats two real transforms (see the heuristic)
    pairs_ = heuristics::shearlet2d_pairs<T>(k, real_);
    // real filters are kept transposed, (K, M/2+1, N): both directions work on transposed spectra
    if (real_)
        filt_t_ = aligned_buffer<T>(KH);
    else
        filt_ = aligned_buffer<cpx>(KH);
    const int nt = resolve_threads(0, k);
    // W, summed over the bands in their order for every frequency (rows shared among the threads)
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long r = 0; r < static_cast<long>(nn); ++r)
        for (int i = 0; i < k; ++i) {
            const std::complex<double>* f = filters + static_cast<size_t>(i) * H + r * mh;
            double* wr = weights_.data() + r * mh;
            for (size_t c = 0; c < mh; ++c) wr[c] += std::norm(f[c]);
        }
    // per band: its energy and its stored (scaled, maybe transposed) spectrum
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (int i = 0; i < k; ++i) {
        const std::complex<double>* f = filters + static_cast<size_t>(i) * H;
        double e = 0.0;
        for (size_t r = 0; r < nn; ++r)
            for (size_t c = 0; c < mh; ++c) e += mult[c] * std::norm(f[r * mh + c]);
        energies_[i] = e;
        if (real_) {
            T* dst = filt_t_.data() + static_cast<size_t>(i) * H;
            constexpr size_t B = 16;  // tiles: both sides touched a cache line at a time
            for (size_t r0 = 0; r0 < nn; r0 += B)
                for (size_t c0 = 0; c0 < mh; c0 += B) {
                    const size_t r1 = std::min(nn, r0 + B), c1 = std::min(mh, c0 + B);
                    for (size_t c = c0; c < c1; ++c)
                        for (size_t r = r0; r < r1; ++r) dst[c * nn + r] = static_cast<T>(f[r * mh + c].real() * scale);
                }
        } else {
            cpx* dst = filt_.data() + static_cast<size_t>(i) * H;
            for (size_t j = 0; j < H; ++j)
                dst[j] = cpx(static_cast<T>(f[j].real() * scale), static_cast<T>(f[j].imag() * scale));
        }
    }
    for (size_t j = 0; j < H; ++j) inv_w_[j] = weights_[j] > 0 ? static_cast<T>(1.0 / weights_[j]) : T(0);
    if (!real_) {  // whole-plane transforms
        r2c_ = &fft_plan<T>::get(fft_kind::r2c, {n, m});
        c2r_ = &fft_plan<T>::get(fft_kind::c2r, {n, m});
        if (pairs_) {
            c2c_ = &fft_plan<T>::get(fft_kind::c2c_forward, {n, m});
            c2c_inv_ = &fft_plan<T>::get(fft_kind::c2c_backward, {n, m});
        }
        return;
    }
    // real filters: blocks of rows (length M) and of columns (length N)
    const int ld = static_cast<int>(ldy_);
    rows_r2c_ = make_blocks(fft_kind::r2c, m, nn, kRowBlock);
    rows_c2r_ = make_blocks(fft_kind::c2r, m, nn, kRowBlock);
    if (pairs_) {
        rows_fwd_ = make_blocks(fft_kind::c2c_forward, m, nn, kPairBlock);
        rows_bwd_ = make_blocks(fft_kind::c2c_backward, m, nn, kPairBlock);
    }
    cols_fwd_ = make_blocks(fft_kind::c2c_forward, n, mh, kColBlock);
    cols_bwd_ = make_blocks(fft_kind::c2c_backward, n, mh, kColBlock);
    cols_from_y_ = make_blocks(fft_kind::c2c_forward, n, mh, kColBlock, ld, 0);
    cols_into_y_ = make_blocks(fft_kind::c2c_backward, n, mh, kColBlock, 0, ld);
    inv_w_t_ = aligned_buffer<T>(H);
    for (size_t r = 0; r < nn; ++r)
        for (size_t c = 0; c < mh; ++c) inv_w_t_[c * nn + r] = inv_w_[r * mh + c];
}

template <typename T>
typename FilterBank2D<T>::block_plans FilterBank2D<T>::make_blocks(fft_kind kind, int len, size_t count, size_t block,
                                                                   int idist, int odist) {
    block_plans p;
    p.size = std::min(block, count);
    p.full = &fft_plan<T>::get(kind, {len}, static_cast<int>(p.size), idist, odist);
    if (count % p.size) p.rest = &fft_plan<T>::get(kind, {len}, static_cast<int>(count % p.size), idist, odist);
    return p;
}

template <typename T> void FilterBank2D<T>::forward(const T* x, T* out, size_t batch, int threads) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    aligned_buffer<cpx> spec(batch * H);
    if (real_)  // the real-filter path reads the spectra transposed, (M/2+1, N)
        spectra_t(x, spec.data(), batch, threads);
    else
        rfft2_batch(x, spec.data(), batch, n_, m_, threads);
    region_errors err;

    // work items: single bands, or pairs of bands through one complex FFT
    const size_t per = pairs_ ? (K + 1) / 2 : K;
    const size_t work = batch * per;
    const int nt = resolve_threads(threads, work);
    const size_t S = real_ ? real_scratch() : (pairs_ ? 2 * up8(P) : up8(H));
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * S);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        err.run([&] {
            const size_t b = w / per, i = pairs_ ? 2 * (w % per) : w % per;
            const cpx* X = spec.data() + b * H;
            cpx* t = tmp.data() + static_cast<size_t>(thread_id()) * S;
            T* dst = out + (b * K + i) * P;
            const bool pair = pairs_ && i + 1 < K;
            if (real_ && pair) {
                forward_pair_t(X, i, t, dst, dst + P);
            } else if (real_) {
                forward_single_t(X, i, t, dst);
            } else if (pair) {
                forward_pair(X, i, t, dst, dst + P);
            } else {
                mul_conj(re(X), re(filt_.data() + i * H), re(t), H);
                c2r_->c2r(t, dst);
            }
        });
    }
    err.rethrow();
}

// Per-thread scratch of a synthesis, in complex values: with real filters real_scratch(); with
// complex filters z and Z (N M each) and a reversed row for pairs, else a band's spectrum (H),
// then a band (N M reals), at band_offset().
template <typename T> size_t FilterBank2D<T>::band_offset() const {
    const size_t P = static_cast<size_t>(n_) * m_;
    return pairs_ ? 2 * up8(P) + up8(std::max(n_, mh_)) : up8(half_size());
}
template <typename T> size_t FilterBank2D<T>::scratch_size() const {
    const size_t P = static_cast<size_t>(n_) * m_;
    return real_ ? real_scratch() : band_offset() + up8((P + 1) / 2);
}

// Partial sum over the bands lo..hi-1 of one image (c: its K bands) into acc, in scratch t
// (scratch_size()). Real filters: acc is the transposed half spectrum (M/2+1, N); pairs through
// synth_pair_t, a band alone through synth_single_t (shearlet2d_real.cpp). Complex filters: acc
// is the half spectrum (N, M/2+1), synth_chunk_cpx (shearlet2d_complex.cpp).
template <typename T> void FilterBank2D<T>::synth_chunk(const T* c, cpx* acc, cpx* t, size_t lo, size_t hi) const {
    if (!real_) return synth_chunk_cpx(c, acc, t, lo, hi);
    const size_t P = static_cast<size_t>(n_) * m_;
    size_t i = lo;
    bool first = true;  // the first band of a chunk sets acc (no zeroing pass)
    for (; pairs_ && i + 1 < hi; i += 2, first = false) synth_pair_t(c + i * P, c + (i + 1) * P, i, acc, t, first);
    if (i < hi) synth_single_t(c + i * P, i, acc, t, first);
}

template <typename T> void FilterBank2D<T>::synthesize(const T* c, T* out, size_t batch, int threads, bool dual) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, K = k_;
    const int nch = std::min(k_, heuristics::kSynthesisChunks);
    const size_t per_block = std::max<size_t>(1, heuristics::kSynthesisItemsPerBlock / nch);  // images per block
    const size_t block = std::min(batch, per_block);
    int nt = resolve_threads(threads, block * nch);
    const size_t scratch = scratch_size();
    auto chunk = [&](size_t b, int ch, cpx* acc, cpx* t) {
        const auto [lo, hi] = chunk_range(K, nch, ch);
        synth_chunk(c + b * K * P, acc, t, lo, hi);
    };
    // sum (in acc) -> weighted half spectrum -> image; tmp: H complex values
    auto finish = [&](cpx* acc, cpx* tmp, T* x, int nthreads) {
        if (real_) {
            image_t(acc, tmp, x, dual, nthreads);
            return;
        }
        if (dual) scale_by(re(acc), inv_w_.data(), H);
        c2r_->c2r(acc, x);
    };
    if (nt == 1) {
        // One thread: the chunks of an image one after the other, each added to the total while
        // it is still in cache (the same sums in the same order as the parallel code below).
        aligned_buffer<cpx> sums(2 * up8(H) + scratch);
        cpx* total = sums.data();
        cpx* acc = total + up8(H);
        cpx* t = acc + up8(H);
        for (size_t b = 0; b < batch; ++b) {
            for (int ch = 0; ch < nch; ++ch) {
                chunk(b, ch, ch ? acc : total, t);
                if (ch) add_to(re(total), re(acc), H);
            }
            finish(total, acc, out + b * P, 1);
        }
        return;
    }
    const size_t stride = static_cast<size_t>(std::max(nch, 2)) * H;  // per image: chunks, >= 2
    aligned_buffer<cpx> part(block * stride);
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * scratch);
    region_errors err;

    for (size_t b0 = 0; b0 < batch; b0 += block) {
        const size_t nb = std::min(block, batch - b0);
        const size_t work = nb * nch;
        // partial sums over fixed chunks of bands
#pragma omp parallel for num_threads(nt) schedule(dynamic)
        for (long w = 0; w < static_cast<long>(work); ++w) {
            err.run([&] {
                const size_t bb = w / nch, ch = w % nch;
                chunk(b0 + bb, static_cast<int>(ch), part.data() + bb * stride + ch * H,
                      tmp.data() + static_cast<size_t>(thread_id()) * scratch);
            });
        }
        err.rethrow();
        // reduce the chunks in order, in cache-sized blocks of the spectrum shared among the
        // threads (element-wise, so any split gives the same sums), then weight, inverse FFT
        reduce_chunks(re(part.data()), nb, 2 * stride, nch, 2 * H, 2 * H, 2 * heuristics::kSynthesisReduceBlock,
                      threads, [](T* acc, const T* p, size_t n) { add_to(acc, p, n / 2); });
        // the images: in parallel, or (fewer images than threads) each shared among the threads
        int nt2 = resolve_threads(threads, nb);
        if (real_ && static_cast<int>(nb) < nt) {
            for (size_t bb = 0; bb < nb; ++bb) {
                cpx* acc = part.data() + bb * stride;
                finish(acc, acc + H, out + (b0 + bb) * P, threads);
            }
            continue;
        }
#pragma omp parallel for num_threads(nt2) schedule(static)
        for (long bb = 0; bb < static_cast<long>(nb); ++bb) {
            err.run([&] {
                cpx* acc = part.data() + static_cast<size_t>(bb) * stride;
                finish(acc, acc + H, out + (b0 + bb) * P, 1);
            });
        }
        err.rethrow();
    }
}

template class FilterBank2D<float>;
template class FilterBank2D<double>;

}  // namespace fastshear
