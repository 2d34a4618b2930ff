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
    void synthesize(const T* c, T* out, size_t batch, int threads, bool dual) const;
    void forward_pair(const cpx* X, size_t i, cpx* t, T* da, T* db) const;
    void spectra_t(const T* x, cpx* XT, size_t batch, int threads) const;
    void image_t(cpx* accT, cpx* tmp, T* x, bool dual, int threads) const;
    void columns_t(const cpx* XT, size_t i, cpx* y, cpx* blk) const;
    void forward_pair_t(const cpx* XT, size_t i, cpx* t, T* da, T* db) const;
    void forward_single_t(const cpx* XT, size_t i, cpx* t, T* dst) const;
    size_t pair_scratch() const;

    size_t block_offset() const;
    size_t buffer_offset() const;
    size_t scratch_size() const;
    void synth_pair_t(const T* ca, const T* cb, size_t i, cpx* acc, cpx* t, bool first) const;
    void synth_chunk(const T* c, cpx* acc, cpx* t, size_t lo, size_t hi) const;

    int n_, m_, k_, mh_;
    // Leading dimension of the transposed half spectra of the paired transforms, (M/2+1, ldy_):
    // padded by a cache line or two, so that the tiles of split_pair_rows / gather_pair_rows (8
    // rows apart by ldy_) do not all fall into one cache set when N is a multiple of 512 or so.
    size_t ldy_;
    bool real_ = false, pairs_ = false;
    aligned_buffer<cpx> filt_;    // psi_i / (N M), complex path
    aligned_buffer<T> filt_t_;    // Re psi_i / (N M) transposed, (K, M/2+1, N), real path
    aligned_buffer<T> inv_w_;     // 1 / W
    aligned_buffer<T> inv_w_t_;   // the same transposed, (M/2+1, N), real path
    std::vector<double> weights_; // W
    std::vector<double> energies_;
    const fft_plan<T>* r2c_ = nullptr;  // whole-plane plans, complex path
    const fft_plan<T>* c2r_ = nullptr;
    const fft_plan<T>* c2c_ = nullptr;  // paired synthesis with complex filters
    const fft_plan<T>* c2c_inv_ = nullptr;  // paired decomposition, complex filters
    // paired decomposition with real filters: column blocks, then row blocks (and remainders)
    const fft_plan<T>* fcols_ = nullptr;
    const fft_plan<T>* fcols_rem_ = nullptr;
    const fft_plan<T>* frows_ = nullptr;
    const fft_plan<T>* frows_rem_ = nullptr;
    const fft_plan<T>* fcols_fwd_ = nullptr;  // the image's spectrum: its columns, forward
    const fft_plan<T>* fcols_fwd_rem_ = nullptr;
    const fft_plan<T>* rows_r2c_ = nullptr;  // a single-band synthesis: all rows of a band
    const fft_plan<T>* icols_ = nullptr;      // the synthesis' image: its columns, inverse
    const fft_plan<T>* icols_rem_ = nullptr;
    const fft_plan<T>* irows_ = nullptr;      // and its rows, kRowBlock at once (or all of fewer)
    const fft_plan<T>* irows_rem_ = nullptr;
    const fft_plan<T>* frows_c2r_ = nullptr;  // the last band of an odd count: real row transforms
    const fft_plan<T>* frows_c2r_rem_ = nullptr;
    // synthesis with real filters on transposed spectra: rows (N transforms of length M), a
    // transpose, columns (transforms of length N): r2c rows and M/2+1 columns for single bands,
    // c2c rows and M columns for pairs
    const fft_plan<T>* rows_blk_ = nullptr;      // kRowBlock rows (or all of fewer)
    const fft_plan<T>* rows_blk_rem_ = nullptr;  // the last N % kRowBlock rows
    const fft_plan<T>* cols_h_ = nullptr;   // cblk_ columns
    const fft_plan<T>* cols_rem_ = nullptr; // the last (M/2+1) % cblk_ columns
    size_t cblk_ = 1;
    const fft_plan<T>* srows_ = nullptr;      // paired synthesis: blocks of rows (and the rest)
    const fft_plan<T>* srows_rem_ = nullptr;
    const fft_plan<T>* scols_ = nullptr;      // and cblk_ columns of the padded transposed spectra
    const fft_plan<T>* scols_rem_ = nullptr;
};

extern template class FilterBank2D<float>;
extern template class FilterBank2D<double>;

}  // namespace fastshear
