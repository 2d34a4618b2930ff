// The 2D shearlet transform as a bank of K Hermitian frequency responses applied with real FFTs.
//
// The filters arrive as half spectra (K, N, M/2+1), uncentred (index 0 = zero frequency), built by
// the caller (fastshear's Python layer builds ShearLab's system). With x of shape (N, M):
//   forward:  c_i = irfft2(rfft2(x) * conj(psi_i))
//   adjoint:  x   = irfft2(sum_i rfft2(c_i) * psi_i)
//   inverse:  x   = irfft2(sum_i rfft2(c_i) * psi_i / W),  W = sum_i |psi_i|^2
// Every call takes a batch of B images and a thread count. Sums over bands are taken in a fixed
// order of fixed chunks, so results are bitwise independent of the number of threads.
//
// Two choices are made once, at construction:
// - real filters: when every spectrum is real up to rounding (max |imag| <= 1e-14 max |psi| over
//   the bank, true of ShearLab's default filters on most sizes), only the real parts are kept
//   (half the memory to stream, cheaper products); otherwise the complex spectra are used.
//   With real filters every 2D FFT is done as 1D FFTs of blocks of rows and of columns, on
//   spectra stored transposed (M/2+1, N), with the filters kept transposed: the column passes
//   are contiguous and the only transposes are of cached blocks (FFTW's 2D plans copy columns to
//   buffers and back instead: 10-30 % of their time here); both passes of the image's spectrum
//   and of the synthesis' image are shared among the threads also for a single image.
// - pairs: two bands a, b go through one complex FFT. Synthesis: z = c_a + i c_b, split
//   afterwards with F(c_a)(w) = (Z(w) + conj Z(-w))/2, F(c_b)(w) = (Z(w) - conj Z(-w))/2i.
//   Decomposition: c_a + i c_b = ifft2(X conj F_a + i X conj F_b). Chosen with real filters in
//   both precisions and with complex filters in single precision (where it beats two real FFTs).
// Each band of a synthesis is read from memory once, by a copy into a cached buffer.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

#include "fastshear/fft.hpp"

namespace fastshear {

template <typename T> class FilterBank2D {
  public:
    using cpx = std::complex<T>;

    // filters: K * N * (M/2+1) complex values (copied). The dual weights are derived here.
    FilterBank2D(int n, int m, int k, const std::complex<double>* filters);

    int rows() const { return n_; }
    int cols() const { return m_; }
    int bands() const { return k_; }
    size_t half_size() const { return static_cast<size_t>(n_) * mh_; }

    // x: (B, N, M) -> out: (B, K, N, M)
    void forward(const T* x, T* out, size_t batch, int threads) const;
    // c: (B, K, N, M) -> out: (B, N, M)
    void adjoint(const T* c, T* out, size_t batch, int threads) const { synthesize(c, out, batch, threads, false); }
    void inverse(const T* c, T* out, size_t batch, int threads) const { synthesize(c, out, batch, threads, true); }

    // sum_i |psi_i|^2 on the half spectrum (N, M/2+1).
    const std::vector<double>& dual_weights() const { return weights_; }
    // sum over all frequencies of |psi_i|^2, per band (the half spectrum counted with its mirror).
    const std::vector<double>& band_energies() const { return energies_; }
    // Whether the real-filter path is in use (see above).
    bool real_filters() const { return real_; }
    // Whether bands are transformed in pairs (see above).
    bool paired() const { return pairs_; }

  private:
    // 1D FFTs of a block of rows or columns: `full` for `size` of them, `rest` for a last, shorter
    // block; plans(count) picks the one for a block of `count`.
    struct block_plans {
        const fft_plan<T>* full = nullptr;
        const fft_plan<T>* rest = nullptr;
        size_t size = 0;
        const fft_plan<T>& operator()(size_t count) const { return count == size ? *full : *rest; }
    };
    static block_plans make_blocks(fft_kind kind, int len, size_t count, size_t block, int idist = 0, int odist = 0);
    // the parts of the real path's per-thread scratch (real_scratch())
    struct real_parts {
        cpx *ya, *yb, *blk, *w, *v;
    };
    real_parts parts(cpx* t) const;
    size_t real_scratch() const;
    size_t row_block() const;

    // the synthesis driver and its per-chunk dispatch (shearlet2d.cpp)
    void synthesize(const T* c, T* out, size_t batch, int threads, bool dual) const;
    size_t band_offset() const;
    size_t scratch_size() const;
    void synth_chunk(const T* c, cpx* acc, cpx* t, size_t lo, size_t hi) const;
    // real filters (transposed spectra; shearlet2d_real.cpp)
    void spectra_t(const T* x, cpx* XT, size_t batch, int threads) const;
    void columns_t(const cpx* XT, size_t i, cpx* y, cpx* blk) const;
    void forward_pair_t(const cpx* XT, size_t i, cpx* t, T* da, T* db) const;
    void forward_single_t(const cpx* XT, size_t i, cpx* t, T* dst) const;
    void synth_pair_t(const T* ca, const T* cb, size_t i, cpx* acc, cpx* t, bool first) const;
    void synth_single_t(const T* c, size_t i, cpx* acc, cpx* t, bool first) const;
    void synth_columns(const real_parts& p, size_t i, int count, cpx* acc, bool first) const;
    void image_t(cpx* accT, cpx* tmp, T* x, bool dual, int threads) const;
    // complex filters (whole planes; shearlet2d_complex.cpp)
    void forward_pair(const cpx* X, size_t i, cpx* t, T* da, T* db) const;
    void synth_chunk_cpx(const T* c, cpx* acc, cpx* t, size_t lo, size_t hi) const;

    int n_, m_, k_, mh_;
    // Leading dimension of the transposed half spectra Y (M/2+1, ldy_) of the real path's row
    // transforms: padded by a cache line or two, so that tiles 8 rows apart (split_pair_rows,
    // gather_pair_rows) do not all fall into one cache set when N is a multiple of 512 or so.
    size_t ldy_;
    bool real_ = false, pairs_ = false;
    aligned_buffer<cpx> filt_;     // psi_i / (N M), complex path
    aligned_buffer<T> filt_t_;     // Re psi_i / (N M) transposed, (K, M/2+1, N), real path
    aligned_buffer<T> inv_w_;      // 1 / W
    aligned_buffer<T> inv_w_t_;    // the same transposed, (M/2+1, N), real path
    std::vector<double> weights_;  // W
    std::vector<double> energies_;
    // complex path: whole planes
    const fft_plan<T>* r2c_ = nullptr;
    const fft_plan<T>* c2r_ = nullptr;
    const fft_plan<T>* c2c_ = nullptr;      // paired synthesis
    const fft_plan<T>* c2c_inv_ = nullptr;  // paired decomposition
    // real path
    block_plans rows_r2c_, rows_c2r_;        // kRowBlock rows: spectra, lone bands, images
    block_plans rows_fwd_, rows_bwd_;        // kPairBlock complex rows: paired synthesis / decomposition
    block_plans cols_fwd_, cols_bwd_;        // kColBlock contiguous columns: spectra / images
    block_plans cols_from_y_, cols_into_y_;  // the same from / into Y (ldy_ apart): synthesis / decomposition
};

extern template class FilterBank2D<float>;
extern template class FilterBank2D<double>;

}  // namespace fastshear
