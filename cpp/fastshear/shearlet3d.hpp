// The 3D shearlet transform with responses that are products of two 2D responses.
//
// A 3D (pyramid-adapted) shearlet's frequency response is the product of two 2D responses that
// live on two different coordinate planes of the volume (ShearLab 3D's construction). Only the
// 2D stacks are held (a few MB); each band applies its two factors at two stages of its FFT (see
// below), so the K full 3D filters (1.4 GB at 96^3 with K = 99) never exist.
//
// Layout: volumes are (n1, n2, n3), C order; spectra are uncentred half spectra
// (n1, n2, h3), h3 = n3/2 + 1 (FFTW's r2c layout). The 2D stacks arrive uncentred:
//   p12  : m12 slices of (n1, n2)  full       a(x, y)
//   p13  : m13 slices of (n1, h3)  half       a(x, z)
//   p32t : m32 slices of (n2, h3)  half       b(z, y) stored transposed as (y, z)
// and each band is (form, ia, ib):
//   form 0: S[x,y,z] = p12[ia](x,y) * p32t[ib](y,z)
//   form 1: S[x,y,z] = p13[ia](x,z) * p32t[ib](y,z)
//   form 2: S[x,y,z] = p12[ia](x,y) * p13[ib](x,z)
// Every response must be Hermitian (a real filter), so the half spectrum determines it.
// With N = n1 n2 n3:
//   forward:  c_j = irfftn(rfftn(x) * conj(S_j))
//   adjoint:  x   = irfftn(sum_j rfftn(c_j) * S_j)
//   inverse:  x   = irfftn(sum_j rfftn(c_j) * S_j / W),  W = sum_j |S_j|^2
// Sums over bands are taken in a fixed order of fixed chunks, so results are bitwise independent
// of the number of threads.
//
// Consecutive bands that share their first factor (ShearLab's order: one pyramid, scale and first
// shear, all second shears) share one of the three FFT passes: for S = A(x, y) B(y, z),
//   irfftn(X conj(A) conj(B)) = c2r_z(ifft_y(conj(B) ifft_x(conj(A) X))),
// since B does not depend on the x frequency; ifft_x(conj(A) X) is computed once per group, and
// the rest runs one x-slab at a time (a 2D transform that stays in cache).
// The synthesis does the same backwards: sum_j A B_j F(c_j) = A fft_x(sum_j B_j fft_y(rfft_z(c_j))).
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "fastshear/fft.hpp"
#include "fastshear/infra/heuristics.hpp"

namespace fastshear {

struct Band3D {
    int form, ia, ib;
};

template <typename T> class FilterBank3D {
  public:
    using cpx = std::complex<T>;

    FilterBank3D(int n1, int n2, int n3, int m12, const std::complex<double>* p12, int m13,
                 const std::complex<double>* p13, int m32, const std::complex<double>* p32t,
                 const std::vector<Band3D>& bands, int threads = 0);

    int n1() const { return n1_; }
    int n2() const { return n2_; }
    int n3() const { return n3_; }
    int bands() const { return static_cast<int>(bands_.size()); }
    size_t volume() const { return static_cast<size_t>(n1_) * n2_ * n3_; }
    size_t half_size() const { return static_cast<size_t>(n1_) * n2_ * h3_; }

    // x: (B, n1, n2, n3) -> out: (B, nsel, n1, n2, n3), the bands sel[0..nsel) in that order
    // (sel == nullptr: all bands).
    void forward(const T* x, T* out, size_t batch, const int* sel, size_t nsel, int threads) const;
    // c: (B, nsel, n1, n2, n3) -> out: (B, n1, n2, n3): the terms of the bands sel[0..nsel)
    // (sel == nullptr: all K bands). Summing the results over a partition of the bands gives the
    // result for all of them (up to rounding); `inverse` divides by the whole system's W.
    void adjoint(const T* c, T* out, size_t batch, const int* sel, size_t nsel, int threads) const {
        synthesize(c, out, batch, sel, nsel, threads, false);
    }
    void inverse(const T* c, T* out, size_t batch, const int* sel, size_t nsel, int threads) const {
        synthesize(c, out, batch, sel, nsel, threads, true);
    }

    // W = sum_j |S_j|^2 on the half spectrum (n1, n2, h3), uncentred.
    const std::vector<double>& dual_weights() const { return weights_; }

  private:
    void synthesize(const T* c, T* out, size_t batch, const int* sel, size_t nsel, int threads, bool dual) const;
    void check_selection(const int* sel, size_t nsel) const;
    // The runs [start, end) within [lo, hi) of the band list (sel, or 0..K-1 when null) whose
    // bands share their first factor (same form and ia), in order.
    std::vector<std::pair<size_t, size_t>> groups(const int* sel, size_t lo, size_t hi) const;

    // A factor of a response: which 2D stack (0: p12, 1: p13, 2: p32t) and which slice.
    struct Factor {
        int stack, index;
    };
    enum class Op { conj_mul, acc };  // out = in * conj(f), out += in * f
    void apply(Factor f, Op op, const cpx* in, cpx* out) const;
    // A response S = A * B: A is the first factor (shared by a group), B the band's own; the
    // shared axis (x, or y for form 2) is one that B does not depend on.
    Factor first(int j) const;
    int shared_axis(int j) const { return bands_[j].form == 2 ? 1 : 0; }
    // Per-thread scratch: a volume (the group's), two half-spectrum slabs, two full complex slabs,
    // a real slab; cut from one aligned block of scratch_size() complex values.
    struct Scratch {
        cpx *vol, *sa, *sb, *z, *z2;
        T* rb;
    };
    Scratch scratch(cpx* base) const;
    size_t scratch_size() const;
    // The slabs of band j: kind a (0: at fixed x, forms 0 and 1, whose B = p32t(y, z); 1: at fixed
    // y, form 2, B = p13(x, z)), how many, their rows, the stride between rows and the step
    // between slabs in a real volume, B's rows (h3 complex each), and where row r of slab sl
    // lies in a half spectrum (in rows of h3).
    struct Slabs {
        int a;
        size_t count, rows, stride, step, n2;
        const T* B;
        size_t half_row(size_t sl, size_t r) const { return a == 0 ? sl * n2 + r : r * n2 + sl; }
    };
    Slabs slabs(int j) const;
    // The bands' own factors and the two remaining passes of a group (band[0..nb), one form), one
    // slab (a fixed index along the shared axis) at a time and all bands for each slab, so that
    // the shared volume's slab, the slab's spectra and reals stay in cache:
    //   group_forward:   out[i] = irfft2(slab of v * conj(B_i)) for every slab
    //   group_synthesis: g = sum_i rfft2(slab of c[i]) * B_i for every slab
    void group_forward(const int* band, size_t nb, const cpx* v, T* const* out, const Scratch& w) const;
    void group_synthesis(const int* band, size_t nb, const T* const* c, cpx* g, const Scratch& w) const;
    // 2D inverse / forward real FFT of a slab of kind a (0: (n2, n3), 1: (n1, n3)) between sb
    // (rows x h3, contiguous) and rows of n3 reals at dst / src with the given row stride.
    // slab_c2r destroys sb; rb is scratch for a slab of reals.
    void slab_c2r(int a, cpx* sb, T* rb, T* dst, size_t dstride) const;
    void slab_r2c(int a, const T* src, size_t sstride, cpx* sb, T* rb) const;
    // The same for two slabs at once through one complex FFT of (slab a) + i (slab b) (pairs_).
    // pair_c2r: slabs sl and sl+1 of v * conj(B) -> rows at da, db (the product fused in).
    void pair_c2r(const Slabs& s, const cpx* v, size_t sl, const Scratch& w, T* da, T* db) const;
    void pair_r2c(int a, const T* ca, const T* cb, size_t sstride, const Scratch& w, cpx* sa, cpx* sb) const;
    // scratch sizes in complex values: a slab's half spectrum, its full spectrum, its reals
    size_t slab_complex() const { return up8(static_cast<size_t>(std::max(n1_, n2_)) * h3_); }
    size_t slab_full() const { return up8(static_cast<size_t>(std::max(n1_, n2_)) * n3_); }
    size_t slab_real_as_complex() const { return up8((static_cast<size_t>(std::max(n1_, n2_)) * n3_ + 1) / 2); }

    int n1_, n2_, n3_, h3_;
    size_t stride_;  // padded half_size(): every scratch volume stays SIMD-aligned
    std::vector<Band3D> bands_;
    aligned_buffer<cpx> p12_, p13_, p32t_;  // factors scaled by N^(-1/2) (two per response)
    aligned_buffer<T> inv_w_;               // 1 / W (0 where W == 0)
    std::vector<double> weights_;           // W
    const fft_plan<T>* r2c_;
    const fft_plan<T>* c2r_;
    // The 3D FFT as a pass along the shared axis and 2D transforms of the slabs across it.
    const fft_plan<T>* inv_axis_[2];  // c2c backward along x, y (the shared pass)
    const fft_plan<T>* fwd_axis_[2];  // c2c forward along x, y
    // 2D real transforms of a slab at fixed x (n2, n3) or at fixed y (n1, n3), and (float) complex
    // ones for pairs of slabs (heuristics::shearlet3d_pairs)
    static constexpr bool pairs_ = heuristics::shearlet3d_pairs<T>();
    const fft_plan<T>* slab_c2r_[2] = {nullptr, nullptr};
    const fft_plan<T>* slab_r2c_[2] = {nullptr, nullptr};
    const fft_plan<T>* slab_c2c_inv_[2] = {nullptr, nullptr};
    const fft_plan<T>* slab_c2c_fwd_[2] = {nullptr, nullptr};
};

extern template class FilterBank3D<float>;
extern template class FilterBank3D<double>;

}  // namespace fastshear
