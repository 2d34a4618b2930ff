// The 2D filter bank's complex-filter path (shearlet2d.hpp): whole-plane FFTs (FFTW's 2D plans),
// pairs of bands through one complex FFT (infra/pair_fft.hpp) with the products fused into the
// pack and split kernels.
#include "fastshear/shearlet2d.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "fastshear/complex_kernels.hpp"
#include "fastshear/infra/heuristics.hpp"
#include "fastshear/infra/isa.hpp"
#include "fastshear/infra/pair_fft.hpp"
#include "fastshear/infra/parallel.hpp"
#include "fastshear/infra/transpose.hpp"  // u64_alias

namespace fastshear {

namespace {

// Kernels of the paired transforms with complex filters (the generic ones are in complex_kernels.hpp).
#define FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T(T, ATTR)                                                               \
    /* One row of a paired synthesis. z: row r of Z = fft2(c_a + i c_b), zr: row (N-r)%N of Z   \
       reversed (zr[j] = Z(-r, -j), see reverse_row); for the half-row columns j < mh, with     \
       x+iy = Z(r,j), u+iv = Z(-r,-j): F(c_a) = ((x+u) + i(y-v))/2, F(c_b) = ((y+v) + i(u-x))/2, \
       acc += F(c_a) pa + F(c_b) pb, complex filters pa, pb (mh interleaved values each). */                  \
    ATTR void pair_mac_cpx(const T* __restrict z, const T* __restrict zr, const T* __restrict pa,                  \
                           const T* __restrict pb, T* __restrict acc, size_t mh) {                                 \
        const T h = T(0.5);                                                                                        \
        for (size_t j = 0; j < mh; ++j) {                                                                          \
            T ar, ai, br, bi; /* 2 F(c_a), 2 F(c_b) (infra/pair_fft.hpp) */                                        \
            pair_split_2x(z[2 * j], z[2 * j + 1], zr[2 * j], zr[2 * j + 1], ar, ai, br, bi);                       \
            T qr = pa[2 * j], qi = pa[2 * j + 1], sr = pb[2 * j], si = pb[2 * j + 1];                              \
            acc[2 * j] += h * (ar * qr - ai * qi + br * sr - bi * si);                                             \
            acc[2 * j + 1] += h * (ar * qi + ai * qr + br * si + bi * sr);                                         \
        }                                                                                                          \
    }                                                                                                              \
    /* Paired decomposition with complex filters: row r of the full spectrum                   \
       Z = X conj(Fa) + i X conj(Fb) of two bands, columns c < mh from the half spectrum's row r  \
       (x; fa, fb: mh interleaved values each) ... */                   \
    ATTR void fwd_pack_cpx(const T* __restrict x, const T* __restrict fa, const T* __restrict fb, T* __restrict z, \
                           size_t mh) {                                                                            \
        for (size_t c = 0; c < mh; ++c) {                                                                          \
            const T xr = x[2 * c], xi = x[2 * c + 1];                                                              \
            const T gr = fa[2 * c] + fb[2 * c + 1], gi = fb[2 * c] - fa[2 * c + 1]; /* conj(Fa) + i conj(Fb) */    \
            z[2 * c] = xr * gr - xi * gi;                                                                          \
            z[2 * c + 1] = xr * gi + xi * gr;                                                                      \
        }                                                                                                          \
    }                                                                                                              \
    /* ... and columns mh <= c < m from row (N-r)%N (x): Z = conj(X(-r, m-c)) (Fa + i Fb)(-r, m-c) */              \
    ATTR void fwd_pack_cpx_mirror(const T* __restrict x, const T* __restrict fa, const T* __restrict fb,           \
                                  T* __restrict z, size_t mh, size_t m) {                                          \
        for (size_t c = mh; c < m; ++c) {                                                                          \
            const size_t j = m - c;                                                                                \
            const T xr = x[2 * j], xi = -x[2 * j + 1];                              /* conj(X) */                  \
            const T hr = fa[2 * j] - fb[2 * j + 1], hi = fa[2 * j + 1] + fb[2 * j]; /* Fa + i Fb */                \
            z[2 * c] = xr * hr - xi * hi;                                                                          \
            z[2 * c + 1] = xr * hi + xi * hr;                                                                      \
        }                                                                                                          \
    }

#define FASTSHEAR_SHEARLET2D_PAIR_KERNELS(ATTR) \
    FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T(float, ATTR) FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T(double, ATTR)
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_SHEARLET2D_PAIR_KERNELS)
#undef FASTSHEAR_SHEARLET2D_PAIR_KERNELS
#undef FASTSHEAR_SHEARLET2D_PAIR_KERNELS_T
FASTSHEAR_ISA_DISPATCH(pair_mac_cpx)
FASTSHEAR_ISA_DISPATCH(fwd_pack_cpx)
FASTSHEAR_ISA_DISPATCH(fwd_pack_cpx_mirror)

// rev[j] = row[(m - j) % m] for the complex values j < mh of a row of m: the mirrored frequencies
// of a row, in the order of the half row. A complex float moves as one 64-bit unit (vectorised).
#define FASTSHEAR_REVERSE_ROW_F32(ATTR)                                        \
    ATTR void reverse_row(const float* row, float* rev, size_t mh, size_t m) { \
        const u64_alias* s = reinterpret_cast<const u64_alias*>(row);          \
        u64_alias* d = reinterpret_cast<u64_alias*>(rev);                      \
        d[0] = s[0];                                                           \
        for (size_t j = 1; j < mh; ++j) d[j] = s[m - j];                       \
    }
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_REVERSE_ROW_F32)
#undef FASTSHEAR_REVERSE_ROW_F32
void reverse_row(const float* row, float* rev, size_t mh, size_t m) {
    FASTSHEAR_ISA_CALL(reverse_row, row, rev, mh, m);
}
void reverse_row(const double* row, double* rev, size_t mh, size_t m) {
    rev[0] = row[0];
    rev[1] = row[1];
    for (size_t j = 1; j < mh; ++j) {
        rev[2 * j] = row[2 * (m - j)];
        rev[2 * j + 1] = row[2 * (m - j) + 1];
    }
}

}  // namespace

// Bands i and i+1 of one image with complex filters: the full spectrum Z = X conj(F_i) + i X conj(F_i+1) (rows of the
// half spectrum and their mirrors), one complex inverse FFT, and its real and imaginary parts
// streamed to the two bands. t: scratch of 2 N M complex values.
template <typename T> void FilterBank2D<T>::forward_pair(const cpx* X, size_t i, cpx* t, T* da, T* db) const {
    const size_t n = n_, m = m_, mh = mh_, H = half_size(), P = n * m;
    T* z = re(t);
    cpx* Z = t + up8(P);
    for (size_t r = 0; r < n; ++r) {
        const size_t rm = (n - r) % n;
        const T *x = re(X + r * mh), *xm = re(X + rm * mh);
        T* zr = z + 2 * r * m;
        const T *fa = re(filt_.data() + i * H), *fb = re(filt_.data() + (i + 1) * H);
        fwd_pack_cpx(x, fa + 2 * r * mh, fb + 2 * r * mh, zr, mh);
        fwd_pack_cpx_mirror(xm, fa + 2 * rm * mh, fb + 2 * rm * mh, zr, mh, m);
    }
    c2c_inv_->c2c(t, Z);
    stream_unpack(re(Z), da, db, P);
    stream_fence();
}

// synth_chunk with complex filters: pairs of bands through one complex FFT of c_a + i c_b, split
// while multiplied by the filters (pair_mac_cpx); a band alone (or every band, unpaired) through
// a real FFT.
template <typename T> void FilterBank2D<T>::synth_chunk_cpx(const T* c, cpx* acc, cpx* t, size_t lo, size_t hi) const {
    const size_t H = half_size(), P = static_cast<size_t>(n_) * m_, mh = mh_, m = m_, n = n_;
    size_t i = lo;
    bool first = true;  // the first band of a chunk sets acc (no zeroing pass)
    if (pairs_ && hi - lo >= 2) {
        std::memset(static_cast<void*>(acc), 0, H * sizeof(cpx));
        first = false;
        cpx* z = t;
        cpx* Z = z + up8(P);
        cpx* rev = Z + up8(P);
        for (; i + 1 < hi; i += 2) {
            interleave(c + i * P, c + (i + 1) * P, re(z), P);
            c2c_->c2c(z, Z);
            const cpx* fa = filt_.data() + i * H;
            const cpx* fb = fa + H;
            for (size_t r = 0; r < n; ++r) {
                reverse_row(re(Z + (r ? n - r : 0) * m), re(rev), mh, m);
                pair_mac_cpx(re(Z + r * m), re(rev), re(fa + r * mh), re(fb + r * mh), re(acc + r * mh), mh);
            }
        }
    }
    T* buf = reinterpret_cast<T*>(t + band_offset());
    for (; i < hi; ++i, first = false) {
        // A band is read from memory once, by a streaming copy into a cached buffer: FFTW reading
        // it directly from memory is slower (by about 0.15 ms per 512 x 512 band in float64).
        std::memcpy(buf, c + i * P, P * sizeof(T));
        r2c_->r2c(buf, t);
        const cpx* f = filt_.data() + i * H;
        if (first)
            mul(re(t), re(f), re(acc), H);
        else
            mul_acc(re(t), re(f), re(acc), H);
    }
}

template void FilterBank2D<float>::forward_pair(const std::complex<float>*, size_t, std::complex<float>*, float*,
                                                float*) const;
template void FilterBank2D<float>::synth_chunk_cpx(const float*, std::complex<float>*, std::complex<float>*, size_t,
                                                   size_t) const;
template void FilterBank2D<double>::forward_pair(const std::complex<double>*, size_t, std::complex<double>*, double*,
                                                 double*) const;
template void FilterBank2D<double>::synth_chunk_cpx(const double*, std::complex<double>*, std::complex<double>*, size_t,
                                                    size_t) const;

}  // namespace fastshear
