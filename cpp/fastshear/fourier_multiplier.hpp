// Real Fourier multipliers on batches of 2D images: y = F^-1 (h . F x), the operators that are
// diagonal in the discrete Fourier basis (a convolution with periodic boundary), e.g. the
// solvers' Fourier preconditioners and a shearlet frame's operator SH^T SH.
#pragma once

#include <cstddef>

namespace fastshear {

// x, out: `batch` images of n x m (C order; out may be x). h: the real multiplier on the rfft grid,
// n x (m/2 + 1) (the half spectrum of a symmetric symbol, as numpy.fft.rfft2 lays it out):
//   out_b = irfft2(h * rfft2(x_b))   (numpy's normalisation: the 1 / (n m) is applied here).
// Threads over the batch (0: OpenMP's default); each image's result does not depend on them.
template <typename T>
void fourier_multiply2d(const T* x, const T* h, T* out, std::size_t batch, int n, int m, int threads);

}  // namespace fastshear
