// 2D Radon transform (parallel and flat-detector fan beam): forward projection, its exactly
// matched adjoint, and the pieces of filtered backprojection.
//
// Geometry (scikit-image's conventions). Pixel (i, j) of an N x M image sits at
//   x = j - M/2,  y = N/2 - i          (integer division: the centre pixel is (N/2, M/2)),
// angle theta_a has w = (cos, sin), e_t = (-sin, cos). Detector bin k is centred at
//   u = (k - n_det/2) * d                               (d = det_spacing).
// Parallel beam: the pixel projects to s = x cos + y sin.
// Fan beam: the source sits at -Ds e_t, a flat detector at Dd e_t (on the other side), so a pixel
// with s = x cos + y sin, t = -x sin + y cos projects to s (Ds + Dd) / (Ds + t).
//
// Discretisation (one set of weights used both ways, so the pair is matched):
// a pixel spreads its mass over the detector with the overlap of its footprint, an interval of
// width F bins centred on its projection, with each bin (a box of width 1 bin), divided by F:
//   w(delta) = |[delta - F/2, delta + F/2] & [-1/2, 1/2]| / F,   delta = u_pixel - k.
// Parallel beam: F = 1 / d (for d = 1 this is the 2-tap linear interpolation kernel, the hat
// 1 - |delta|); fan beam: F = magnification / d. The weight is scaled to a line integral:
// 1 / d (parallel) and (Ds + Dd) r / (d (Ds + t)^2) (fan, r the source-pixel distance).
//
// forward() runs in parallel over (image, angle), adjoint() over (image, row): no atomics, results
// independent of the thread count (bitwise: every output value is summed by one thread in a fixed
// order); the AVX-512 parallel-beam kernels run small calls (few angles) on fewer threads
// (heuristics::kRadon*WorkPerThread). With AVX-512: parallel beam with d = 1 uses kernels that
// gather through in-register permutes (a chunk of 16 pixels reads a window of 32 consecutive bins,
// and a chunk of 16 bins a window of 32 consecutive pixels of a row or column); footprints narrower
// than 2 bins (fan beam, other d) use gathers with the 3-tap footprint weights computed by one
// function for both directions. Without AVX-512, parallel beam with d = 1 runs portable hat kernels
// (their AVX2 variant, infra/isa.hpp); everything else (wide footprints) a portable scalar
// reference kernel.
#pragma once

#include <cstddef>
#include <vector>

namespace fastshear {

struct RadonGeometry {
    int rows = 0, cols = 0, n_det = 0;
    double det_spacing = 1.0;
    bool circle = true;
    bool fan = false;
    double source_distance = 0.0, detector_distance = 0.0;
    std::vector<double> theta;  // radians
};

template <typename T> class Radon2D {
  public:
    explicit Radon2D(const RadonGeometry& g);  // throws std::invalid_argument

    const RadonGeometry& geometry() const { return g_; }
    int n_angles() const { return static_cast<int>(g_.theta.size()); }
    size_t image_size() const { return static_cast<size_t>(g_.rows) * g_.cols; }
    size_t sino_size() const { return g_.theta.size() * static_cast<size_t>(g_.n_det); }

    // x: (B, N, M) -> sino: (B, n_angles, n_det)
    void forward(const T* x, T* sino, size_t batch, int threads) const;
    // sino: (B, n_angles, n_det) -> x: (B, N, M); the exact transpose of forward
    void adjoint(const T* sino, T* x, size_t batch, int threads) const;

    // FBP pieces. filter(): every row r of in (B * n_angles rows of n_det) times preweight[a]
    // (a = r % n_angles; n_angles * n_det values), zero padded to `pad`, convolved through the
    // real frequency response `response` (pad/2+1 values, applied as response / pad).
    void filter(const T* in, T* out, size_t batch, const double* preweight, const double* response, int pad,
                int threads) const;
    // Backprojection by linear interpolation of each row at the pixel's detector position, with
    // the weight 1 (parallel) or Ds^2 / (Ds + t)^2 (fan). Zero outside the circle if circle.
    void backproject_interp(const T* q, T* x, size_t batch, int threads) const;

    // 0: fastest available kernels; 1: the portable reference kernels only; 2: no AVX-512 (the
    // portable kernels a CPU without AVX-512 runs). For tests and comparisons.
    void set_kernel(int k) { kernel_ = k; }
    bool vector_kernels() const;  // whether forward/adjoint would use the vector kernels now

  private:
    void forward_generic(const T* x, T* sino, size_t batch, int threads) const;
    void adjoint_generic(const T* sino, T* x, size_t batch, int threads) const;
    void forward_hat(const T* x, T* sino, size_t batch, int threads) const;
    void adjoint_hat(const T* sino, T* x, size_t batch, int threads) const;

    RadonGeometry g_;
    std::vector<double> cos_, sin_;
    std::vector<int> jlo_, jhi_;  // per row: pixels inside the support (inclusive), jlo > jhi if none
    std::vector<int> ilo_, ihi_;  // per column, likewise
    int kernel_ = 0;
    double rsup_ = 0;      // largest distance of a support pixel from the centre
    double fmax_ = 1;      // widest footprint (bins)
    bool par_vec() const;  // forward/adjoint run the AVX-512 parallel-beam kernels
    bool fan_vec() const;  // forward/adjoint/backproject_interp run the AVX-512 footprint kernels
    // The AVX-512 drivers (radon_avx512.cpp; x86-64 only).
    void forward_par_avx512(const T* x, T* sino, size_t batch, int threads) const;
    void adjoint_par_avx512(const T* sino, T* x, size_t batch, int threads) const;
    void forward_fan_avx512(const T* x, T* sino, size_t batch, int threads) const;
    void backproject_fan_avx512(const T* sino, T* x, size_t batch, int threads, bool interp) const;
};

extern template class Radon2D<float>;
extern template class Radon2D<double>;

}  // namespace fastshear
