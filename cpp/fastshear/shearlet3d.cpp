#include "fastshear/shearlet3d.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "fastshear/complex_kernels.hpp"
#include "fastshear/infra/heuristics.hpp"
#include "fastshear/infra/pair_fft.hpp"
#include "fastshear/infra/parallel.hpp"

namespace fastshear {

namespace {

// Kernels of the paired slabs (the generic ones are in complex_kernels.hpp; the pair algebra in
// infra/pair_fft.hpp).
#define FASTSHEAR_SHEARLET3D_PAIR_KERNELS_T(T, ATTR)                                                                 \
    /* z[k] = conj(f[k]) (a[k] + i b[k]), k < h: a row of the full spectrum of (slab a) + i (slab b) */              \
    ATTR void pack_pair(const T* __restrict a, const T* __restrict b, const T* __restrict f, T* __restrict z,        \
                        size_t h) {                                                                                  \
        for (size_t k = 0; k < h; ++k) {                                                                             \
            T ur, ui; /* a + i b (infra/pair_fft.hpp) */                                                             \
            pair_join(a[2 * k], a[2 * k + 1], b[2 * k], b[2 * k + 1], ur, ui);                                       \
            const T fr = f[2 * k], fi = f[2 * k + 1];                                                                \
            z[2 * k] = ur * fr + ui * fi;                                                                            \
            z[2 * k + 1] = ui * fr - ur * fi;                                                                        \
        }                                                                                                            \
    }                                                                                                                \
    /* z[k] = f[m] (conj a[m] + i conj b[m]), m = n - k, h <= k < n: the mirrored half */                            \
    ATTR void pack_pair_mirror(const T* __restrict a, const T* __restrict b, const T* __restrict f, T* __restrict z, \
                               size_t h, size_t n) {                                                                 \
        for (size_t k = h; k < n; ++k) {                                                                             \
            const size_t m = n - k;                                                                                  \
            T ur, ui; /* conj a + i conj b */                                                                        \
            pair_join_conj(a[2 * m], a[2 * m + 1], b[2 * m], b[2 * m + 1], ur, ui);                                  \
            const T fr = f[2 * m], fi = f[2 * m + 1];                                                                \
            z[2 * k] = ur * fr - ui * fi;                                                                            \
            z[2 * k + 1] = ur * fi + ui * fr;                                                                        \
        }                                                                                                            \
    }                                                                                                                \
    /* A = (p[k] + conj q[n-k]) / 2, B = (p[k] - conj q[n-k]) / (2i), 0 < k < h   (k = 0 by the caller) */           \
    ATTR void split_pair(const T* __restrict p, const T* __restrict q, T* __restrict A, T* __restrict B, size_t h,   \
                         size_t n) {                                                                                 \
        for (size_t k = 1; k < h; ++k) {                                                                             \
            const size_t m = n - k;                                                                                  \
            pair_split(p[2 * k], p[2 * k + 1], q[2 * m], q[2 * m + 1], A[2 * k], A[2 * k + 1], B[2 * k],             \
                       B[2 * k + 1]);                                                                                \
        }                                                                                                            \
    }

#define FASTSHEAR_SHEARLET3D_PAIR_KERNELS(ATTR) \
    FASTSHEAR_SHEARLET3D_PAIR_KERNELS_T(float, ATTR) FASTSHEAR_SHEARLET3D_PAIR_KERNELS_T(double, ATTR)
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_SHEARLET3D_PAIR_KERNELS)
#undef FASTSHEAR_SHEARLET3D_PAIR_KERNELS
#undef FASTSHEAR_SHEARLET3D_PAIR_KERNELS_T
FASTSHEAR_ISA_DISPATCH(pack_pair)
FASTSHEAR_ISA_DISPATCH(pack_pair_mirror)
FASTSHEAR_ISA_DISPATCH(split_pair)

// Whether FFTW sees p as aligned like the buffers the plans were made on (alloc_aligned).
template <typename T> bool aligned_like_plan(const T* p) { return fftw_traits<T>::alignment_of(p) == 0; }

}  // namespace

template <typename T>
FilterBank3D<T>::FilterBank3D(int n1, int n2, int n3, int m12, const std::complex<double>* p12, int m13,
                              const std::complex<double>* p13, int m32, const std::complex<double>* p32t,
                              const std::vector<Band3D>& bands, int threads)
    : n1_(n1), n2_(n2), n3_(n3), h3_(n3 / 2 + 1), bands_(bands) {
    if (n1 < 1 || n2 < 1 || n3 < 1) throw std::invalid_argument("FilterBank3D: sizes must be positive");
    if (bands.empty()) throw std::invalid_argument("FilterBank3D: at least one band is needed");
    for (const Band3D& b : bands) {
        bool ok = false;
        switch (b.form) {
            case 0: ok = b.ia >= 0 && b.ia < m12 && b.ib >= 0 && b.ib < m32; break;
            case 1: ok = b.ia >= 0 && b.ia < m13 && b.ib >= 0 && b.ib < m32; break;
            case 2: ok = b.ia >= 0 && b.ia < m12 && b.ib >= 0 && b.ib < m13; break;
            default: break;
        }
        if (!ok)
            throw std::invalid_argument("FilterBank3D: band (" + std::to_string(b.form) + ", " + std::to_string(b.ia) +
                                        ", " + std::to_string(b.ib) + ") refers to no slice");
    }
    stride_ = up8(half_size());
    const size_t s12 = static_cast<size_t>(n1) * n2, s13 = static_cast<size_t>(n1) * h3_,
                 s32 = static_cast<size_t>(n2) * h3_;
    const double N = static_cast<double>(volume());
    const double f = 1.0 / std::sqrt(N);
    auto copy = [f](aligned_buffer<cpx>& dst, const std::complex<double>* src, size_t n) {
        dst = aligned_buffer<cpx>(std::max<size_t>(n, 1));
        for (size_t i = 0; i < n; ++i)
            dst[i] = cpx(static_cast<T>(src[i].real() * f), static_cast<T>(src[i].imag() * f));
    };
    copy(p12_, p12, static_cast<size_t>(m12) * s12);
    copy(p13_, p13, static_cast<size_t>(m13) * s13);
    copy(p32t_, p32t, static_cast<size_t>(m32) * s32);

    // W = sum_j |a_j|^2 |b_j|^2 in double from the unscaled factors, each voxel summed in band order.
    std::vector<double> q12(static_cast<size_t>(m12) * s12), q13(static_cast<size_t>(m13) * s13),
        q32(static_cast<size_t>(m32) * s32);
    for (size_t i = 0; i < q12.size(); ++i) q12[i] = std::norm(p12[i]);
    for (size_t i = 0; i < q13.size(); ++i) q13[i] = std::norm(p13[i]);
    for (size_t i = 0; i < q32.size(); ++i) q32[i] = std::norm(p32t[i]);
    weights_.assign(half_size(), 0.0);
    inv_w_ = aligned_buffer<T>(half_size());
    const int h3 = h3_;
    int nt = resolve_threads(threads, n1);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int x = 0; x < n1; ++x) {
        double* wx = weights_.data() + static_cast<size_t>(x) * n2 * h3;
        for (const Band3D& b : bands_) {
            for (int y = 0; y < n2; ++y) {
                double* w = wx + static_cast<size_t>(y) * h3;
                if (b.form == 0) {
                    double s = q12[b.ia * s12 + static_cast<size_t>(x) * n2 + y];
                    const double* v = q32.data() + b.ib * s32 + static_cast<size_t>(y) * h3;
                    for (int z = 0; z < h3; ++z) w[z] += s * v[z];
                } else if (b.form == 1) {
                    const double* u = q13.data() + b.ia * s13 + static_cast<size_t>(x) * h3;
                    const double* v = q32.data() + b.ib * s32 + static_cast<size_t>(y) * h3;
                    for (int z = 0; z < h3; ++z) w[z] += u[z] * v[z];
                } else {
                    double s = q12[b.ia * s12 + static_cast<size_t>(x) * n2 + y];
                    const double* v = q13.data() + b.ib * s13 + static_cast<size_t>(x) * h3;
                    for (int z = 0; z < h3; ++z) w[z] += s * v[z];
                }
            }
        }
        for (size_t i = 0; i < static_cast<size_t>(n2) * h3; ++i) {
            size_t k = static_cast<size_t>(x) * n2 * h3 + i;
            inv_w_[k] = weights_[k] > 0 ? static_cast<T>(1.0 / weights_[k]) : T(0);
        }
    }
    r2c_ = &fft_plan<T>::get(fft_kind::r2c, {n1, n2, n3});
    c2r_ = &fft_plan<T>::get(fft_kind::c2r, {n1, n2, n3});
    for (int a = 0; a < 2; ++a) {
        inv_axis_[a] = &fft_plan<T>::get_axis(fft_kind::c2c_backward, {n1, n2, h3_}, a);
        fwd_axis_[a] = &fft_plan<T>::get_axis(fft_kind::c2c_forward, {n1, n2, h3_}, a);
        const int rows = a == 0 ? n2 : n1;  // a slab at fixed x holds (y, z); at fixed y, (x, z)
        slab_c2r_[a] = &fft_plan<T>::get(fft_kind::c2r, {rows, n3});
        slab_r2c_[a] = &fft_plan<T>::get(fft_kind::r2c, {rows, n3});
        if (pairs_) {
            slab_c2c_inv_[a] = &fft_plan<T>::get(fft_kind::c2c_backward, {rows, n3});
            slab_c2c_fwd_[a] = &fft_plan<T>::get(fft_kind::c2c_forward, {rows, n3});
        }
    }
}

template <typename T> typename FilterBank3D<T>::Factor FilterBank3D<T>::first(int j) const {
    const Band3D& b = bands_[j];
    return Factor{b.form == 1 ? 1 : 0, b.ia};
}

template <typename T> void FilterBank3D<T>::apply(Factor f, Op op, const cpx* in, cpx* out) const {
    const size_t n1 = n1_, n2 = n2_, h3 = h3_;
    for (size_t x = 0; x < n1; ++x) {
        for (size_t y = 0; y < n2; ++y) {
            const size_t o = (x * n2 + y) * h3;
            const T* a = re(in + o);
            T* r = re(out + o);
            if (f.stack == 0) {  // p12(x, y): one value per row
                const cpx s = p12_[(static_cast<size_t>(f.index) * n1 + x) * n2 + y];
                if (op == Op::conj_mul)
                    scalar_mul_conj(a, s.real(), s.imag(), r, h3);
                else
                    scalar_mul_acc(a, s.real(), s.imag(), r, h3);
            } else {  // p13(x, z) or p32t(y, z): one row of values
                const T* v = f.stack == 1 ? re(p13_.data() + (static_cast<size_t>(f.index) * n1 + x) * h3)
                                          : re(p32t_.data() + (static_cast<size_t>(f.index) * n2 + y) * h3);
                if (op == Op::conj_mul)
                    mul_conj(a, v, r, h3);
                else
                    mul_acc(a, v, r, h3);
            }
        }
    }
}

template <typename T>
std::vector<std::pair<size_t, size_t>> FilterBank3D<T>::groups(const int* sel, size_t lo, size_t hi) const {
    std::vector<std::pair<size_t, size_t>> g;
    auto band = [&](size_t i) { return sel ? sel[i] : static_cast<int>(i); };
    size_t start = lo;
    for (size_t i = lo + 1; i <= hi; ++i) {
        bool split = i == hi;
        if (!split) {
            const Band3D &a = bands_[band(i - 1)], &b = bands_[band(i)];
            split = a.form != b.form || a.ia != b.ia;
        }
        if (split) {
            g.emplace_back(start, i);
            start = i;
        }
    }
    return g;
}

template <typename T> void FilterBank3D<T>::slab_c2r(int a, cpx* sb, T* rb, T* dst, size_t dstride) const {
    const size_t rows = a == 0 ? n2_ : n1_, n3 = n3_;
    slab_c2r_[a]->c2r(sb, rb);
    for (size_t r = 0; r < rows; ++r) stream_copy(dst + r * dstride, rb + r * n3, n3);
}

template <typename T> void FilterBank3D<T>::slab_r2c(int a, const T* src, size_t sstride, cpx* sb, T* rb) const {
    const size_t rows = a == 0 ? n2_ : n1_, n3 = n3_;
    if (!(sstride == n3 && aligned_like_plan(src))) {  // gather the rows into an aligned buffer
        for (size_t r = 0; r < rows; ++r) std::memcpy(rb + r * n3, src + r * sstride, n3 * sizeof(T));
        src = rb;
    }
    slab_r2c_[a]->r2c(src, sb);
}

template <typename T> typename FilterBank3D<T>::Scratch FilterBank3D<T>::scratch(cpx* base) const {
    const size_t SB = slab_complex(), SZ = slab_full();
    Scratch w;
    w.vol = base;
    w.sa = w.vol + stride_;
    w.sb = w.sa + SB;
    w.z = w.sb + SB;
    w.z2 = w.z + SZ;
    w.rb = reinterpret_cast<T*>(w.z2 + SZ);
    return w;
}

template <typename T> size_t FilterBank3D<T>::scratch_size() const {
    return stride_ + 2 * slab_complex() + 2 * slab_full() + slab_real_as_complex();
}

template <typename T>
void FilterBank3D<T>::pair_c2r(const Slabs& s, const cpx* v, size_t sl, const Scratch& w, T* da, T* db) const {
    const int a = s.a;
    const size_t R = s.rows, n3 = n3_, h3 = h3_, dstride = s.stride;
    T* z = re(w.z);
    // the full spectrum of (slab sl) + i (slab sl+1), each v * conj(B), with the product fused
    for (size_t r = 0; r < R; ++r) {
        const size_t rm = (R - r) % R;
        pack_pair(re(v + s.half_row(sl, r) * h3), re(v + s.half_row(sl + 1, r) * h3), s.B + 2 * r * h3, z + 2 * r * n3,
                  h3);
        pack_pair_mirror(re(v + s.half_row(sl, rm) * h3), re(v + s.half_row(sl + 1, rm) * h3), s.B + 2 * rm * h3,
                         z + 2 * r * n3, h3, n3);
    }
    slab_c2c_inv_[a]->c2c(w.z, w.z2);
    T* ra = z;  // rows that do not start 16-byte aligned: unpacked in cache, then streamed
    T* rb = z + R * n3;
    for (size_t r = 0; r < R; ++r) {
        T *oa = da + r * dstride, *ob = db + r * dstride;
        const T* y = re(w.z2) + 2 * r * n3;
        if (reinterpret_cast<std::uintptr_t>(oa) % 16 == 0 && reinterpret_cast<std::uintptr_t>(ob) % 16 == 0) {
            stream_unpack(y, oa, ob, n3);
        } else {
            deinterleave(y, ra + r * n3, rb + r * n3, n3);
            stream_copy(oa, ra + r * n3, n3);
            stream_copy(ob, rb + r * n3, n3);
        }
    }
}

template <typename T>
void FilterBank3D<T>::pair_r2c(int a, const T* ca, const T* cb, size_t sstride, const Scratch& w, cpx* sa,
                               cpx* sb) const {
    const size_t R = a == 0 ? n2_ : n1_, n3 = n3_, h3 = h3_;
    T* z = re(w.z);
    for (size_t r = 0; r < R; ++r) interleave(ca + r * sstride, cb + r * sstride, z + 2 * r * n3, n3);
    slab_c2c_fwd_[a]->c2c(w.z, w.z2);
    // A = (Z(k) + conj Z(-k)) / 2, B = (Z(k) - conj Z(-k)) / (2i) on the half spectrum
    const T* y = re(w.z2);
    for (size_t r = 0; r < R; ++r) {
        const T* p = y + 2 * r * n3;
        const T* q = y + 2 * ((R - r) % R) * n3;
        T* pa = re(sa + r * h3);
        T* pb = re(sb + r * h3);
        pair_split(p[0], p[1], q[0], q[1], pa[0], pa[1], pb[0], pb[1]);  // k = 0 pairs with column 0
        split_pair(p, q, pa, pb, h3, n3);
    }
}

template <typename T> typename FilterBank3D<T>::Slabs FilterBank3D<T>::slabs(int j) const {
    const Band3D& b = bands_[j];
    const size_t n1 = n1_, n2 = n2_, n3 = n3_, h3 = h3_;
    Slabs s;
    s.a = b.form == 2 ? 1 : 0;
    s.count = s.a == 0 ? n1 : n2;
    s.rows = s.a == 0 ? n2 : n1;
    s.stride = s.a == 0 ? n3 : n2 * n3;
    s.step = s.a == 0 ? n2 * n3 : n3;
    s.B = s.a == 0 ? re(p32t_.data() + static_cast<size_t>(b.ib) * n2 * h3)
                   : re(p13_.data() + static_cast<size_t>(b.ib) * n1 * h3);
    s.n2 = n2;
    return s;
}

template <typename T>
void FilterBank3D<T>::group_forward(const int* band, size_t nb, const cpx* v, T* const* out, const Scratch& w) const {
    const Slabs s = slabs(band[0]);  // the bands of a group share their form, hence the slabs
    const size_t h3 = h3_;
    auto fill = [&](const T* B, size_t sl, cpx* dst) {  // dst = slab sl of v * conj(B)
        for (size_t r = 0; r < s.rows; ++r)
            mul_conj(re(v + s.half_row(sl, r) * h3), B + 2 * r * h3, re(dst + r * h3), h3);
    };
    // slab by slab, all bands of the group: v's slab is read from memory once per group
    size_t sl = 0;
    if (pairs_)
        for (; sl + 1 < s.count; sl += 2)
            for (size_t i = 0; i < nb; ++i)
                pair_c2r(slabs(band[i]), v, sl, w, out[i] + sl * s.step, out[i] + (sl + 1) * s.step);
    for (; sl < s.count; ++sl)
        for (size_t i = 0; i < nb; ++i) {
            fill(slabs(band[i]).B, sl, w.sa);
            slab_c2r(s.a, w.sa, w.rb, out[i] + sl * s.step, s.stride);
        }
}

template <typename T>
void FilterBank3D<T>::group_synthesis(const int* band, size_t nb, const T* const* c, cpx* g, const Scratch& w) const {
    const Slabs s = slabs(band[0]);
    const size_t h3 = h3_;
    auto put = [&](const T* B, bool first_band, size_t sl, const cpx* src) {  // slab sl of g (=|+=) src * B
        for (size_t r = 0; r < s.rows; ++r) {
            cpx* dst = g + s.half_row(sl, r) * h3;
            if (first_band)
                mul(re(src + r * h3), B + 2 * r * h3, re(dst), h3);
            else
                mul_acc(re(src + r * h3), B + 2 * r * h3, re(dst), h3);
        }
    };
    // slab by slab, the bands in order: g's slab stays in cache while the group's bands add to it
    size_t sl = 0;
    if (pairs_)
        for (; sl + 1 < s.count; sl += 2)
            for (size_t i = 0; i < nb; ++i) {
                const T* B = slabs(band[i]).B;
                pair_r2c(s.a, c[i] + sl * s.step, c[i] + (sl + 1) * s.step, s.stride, w, w.sa, w.sb);
                put(B, i == 0, sl, w.sa);
                put(B, i == 0, sl + 1, w.sb);
            }
    for (; sl < s.count; ++sl)
        for (size_t i = 0; i < nb; ++i) {
            slab_r2c(s.a, c[i] + sl * s.step, s.stride, w.sa, w.rb);
            put(slabs(band[i]).B, i == 0, sl, w.sa);
        }
}

template <typename T> void FilterBank3D<T>::check_selection(const int* sel, size_t nsel) const {
    if (sel)
        for (size_t i = 0; i < nsel; ++i)
            if (sel[i] < 0 || sel[i] >= bands())
                throw std::out_of_range("FilterBank3D: band " + std::to_string(sel[i]) + " out of range");
}

template <typename T>
void FilterBank3D<T>::forward(const T* x, T* out, size_t batch, const int* sel, size_t nsel, int threads) const {
    const size_t N = volume(), S = stride_;
    const size_t K = sel ? nsel : bands_.size();
    check_selection(sel, nsel);
    if (batch == 0 || K == 0) return;
    aligned_buffer<cpx> spec(batch * S);
    region_errors err;
    int nt = resolve_threads(threads, batch);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long b = 0; b < static_cast<long>(batch); ++b) err.run([&] { r2c_->r2c(x + b * N, spec.data() + b * S); });
    err.rethrow();

    const auto grp = groups(sel, 0, K);
    const size_t G = grp.size(), work = batch * G;
    nt = resolve_threads(threads, work);
    const size_t W = scratch_size();
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * W);  // per thread: the group's volume, slabs
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        err.run([&] {
            const size_t b = w / G;
            const auto [lo, hi] = grp[w % G];
            const int j0 = sel ? sel[lo] : static_cast<int>(lo);
            const Scratch sc = scratch(tmp.data() + static_cast<size_t>(thread_id()) * W);
            apply(first(j0), Op::conj_mul, spec.data() + b * S, sc.vol);
            inv_axis_[shared_axis(j0)]->c2c(sc.vol, sc.vol);
            std::vector<int> band(hi - lo);
            std::vector<T*> dst(hi - lo);
            for (size_t i = lo; i < hi; ++i) {
                band[i - lo] = sel ? sel[i] : static_cast<int>(i);
                dst[i - lo] = out + (b * K + i) * N;
            }
            group_forward(band.data(), band.size(), sc.vol, dst.data(), sc);
            stream_fence();
        });
    }
    err.rethrow();
}

template <typename T>
void FilterBank3D<T>::synthesize(const T* c, T* out, size_t batch, const int* sel, size_t nsel, int threads,
                                 bool dual) const {
    const size_t N = volume(), S = stride_, H = half_size(), K = sel ? nsel : bands_.size();
    check_selection(sel, nsel);
    if (batch == 0) return;
    if (K == 0) {
        std::memset(static_cast<void*>(out), 0, batch * N * sizeof(T));
        return;
    }
    const int nch = std::min<int>(static_cast<int>(K), heuristics::kSynthesisChunks);
    aligned_buffer<cpx> part(static_cast<size_t>(nch) * S);
    int nt = resolve_threads(threads, nch);
    const size_t W = scratch_size();
    aligned_buffer<cpx> tmp(static_cast<size_t>(nt) * W);  // per thread: the group's sum, slabs
    region_errors err;
    const size_t slab = static_cast<size_t>(n2_) * h3_;

    for (size_t b = 0; b < batch; ++b) {
        // partial sums over fixed chunks of bands, each in band order; inside a chunk, the bands
        // of a group are summed before their shared pass and first factor
#pragma omp parallel for num_threads(nt) schedule(dynamic)
        for (int ch = 0; ch < nch; ++ch) {
            err.run([&] {
                const auto [lo, hi] = chunk_range(K, nch, ch);
                const Scratch sc = scratch(tmp.data() + static_cast<size_t>(thread_id()) * W);
                cpx* acc = part.data() + static_cast<size_t>(ch) * S;
                cpx* g = sc.vol;
                std::memset(static_cast<void*>(acc), 0, H * sizeof(cpx));
                for (const auto& [g0, g1] : groups(sel, lo, hi)) {
                    const int j0 = sel ? sel[g0] : static_cast<int>(g0);
                    std::vector<int> band(g1 - g0);
                    std::vector<const T*> src(g1 - g0);
                    for (size_t i = g0; i < g1; ++i) {
                        band[i - g0] = sel ? sel[i] : static_cast<int>(i);
                        src[i - g0] = c + (b * K + i) * N;
                    }
                    group_synthesis(band.data(), band.size(), src.data(), g, sc);
                    fwd_axis_[shared_axis(j0)]->c2c(g, g);
                    apply(first(j0), Op::acc, g, acc);
                }
            });
        }
        err.rethrow();
        // reduce the chunks in order, a slab (fixed x) at a time (voxel-wise, so any split over
        // threads gives the same sums), each slab weighted while in cache
        const T* iw = inv_w_.data();
        reduce_chunks(re(part.data()), 1, 0, nch, 2 * S, 2 * H, 2 * slab, threads, add_in_order<T>(),
                      [dual, iw](T* a, size_t j0, size_t n) {
                          if (!dual) return;
                          const size_t lo = j0 / 2, hi = (j0 + n) / 2;
#pragma omp simd
                          for (size_t j = lo; j < hi; ++j) {
                              a[2 * j] *= iw[j];
                              a[2 * j + 1] *= iw[j];
                          }
                      });
        err.run([&] { c2r_->c2r(part.data(), out + b * N); });
        err.rethrow();
    }
}

template class FilterBank3D<float>;
template class FilterBank3D<double>;

}  // namespace fastshear
