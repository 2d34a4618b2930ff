// Element-wise kernels on interleaved complex arrays (re, im, re, im, ...) of n values, shared by
// the transforms: one plain C++ body compiled for every instruction-set level and picked at run
// time through isa::best() (infra/isa.hpp: FASTSHEAR_ISA_VARIANTS / FASTSHEAR_ISA_DISPATCH; the
// distributed build carries no -march flag), plus non-temporal copies for results that are
// written once. Internal linkage: each translation unit that includes this gets its own copies
// (marked maybe_unused: a unit uses only some of them).
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fastshear/infra/isa.hpp"

namespace fastshear {
namespace {

// std::complex arrays as interleaved reals (the layout the standard guarantees).
template <typename T> const T* re(const std::complex<T>* p) { return reinterpret_cast<const T*>(p); }
template <typename T> T* re(std::complex<T>* p) { return reinterpret_cast<T*>(p); }

#define FASTSHEAR_COMPLEX_KERNELS_T(T, ATTR)                                                                         \
    /* out = a * conj(b) */                                                                                          \
    [[maybe_unused]] ATTR void mul_conj(const T* __restrict a, const T* __restrict b, T* __restrict out, size_t n) { \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            T ar = a[2 * j], ai = a[2 * j + 1], br = b[2 * j], bi = b[2 * j + 1];                                    \
            out[2 * j] = ar * br + ai * bi;                                                                          \
            out[2 * j + 1] = ai * br - ar * bi;                                                                      \
        }                                                                                                            \
    }                                                                                                                \
    /* out = a * b */                                                                                                \
    [[maybe_unused]] ATTR void mul(const T* __restrict a, const T* __restrict b, T* __restrict out, size_t n) {      \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            T ar = a[2 * j], ai = a[2 * j + 1], br = b[2 * j], bi = b[2 * j + 1];                                    \
            out[2 * j] = ar * br - ai * bi;                                                                          \
            out[2 * j + 1] = ar * bi + ai * br;                                                                      \
        }                                                                                                            \
    }                                                                                                                \
    /* acc += a * b */                                                                                               \
    [[maybe_unused]] ATTR void mul_acc(const T* __restrict a, const T* __restrict b, T* __restrict acc, size_t n) {  \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            T ar = a[2 * j], ai = a[2 * j + 1], br = b[2 * j], bi = b[2 * j + 1];                                    \
            acc[2 * j] += ar * br - ai * bi;                                                                         \
            acc[2 * j + 1] += ar * bi + ai * br;                                                                     \
        }                                                                                                            \
    }                                                                                                                \
    /* out = a * conj(s), s = sr + i si a scalar */                                                                  \
    [[maybe_unused]] ATTR void scalar_mul_conj(const T* __restrict a, T sr, T si, T* __restrict out, size_t n) {     \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            T ar = a[2 * j], ai = a[2 * j + 1];                                                                      \
            out[2 * j] = ar * sr + ai * si;                                                                          \
            out[2 * j + 1] = ai * sr - ar * si;                                                                      \
        }                                                                                                            \
    }                                                                                                                \
    /* acc += a * s */                                                                                               \
    [[maybe_unused]] ATTR void scalar_mul_acc(const T* __restrict a, T sr, T si, T* __restrict acc, size_t n) {      \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            T ar = a[2 * j], ai = a[2 * j + 1];                                                                      \
            acc[2 * j] += ar * sr - ai * si;                                                                         \
            acc[2 * j + 1] += ar * si + ai * sr;                                                                     \
        }                                                                                                            \
    }                                                                                                                \
    /* out = a * w (complex by real) */                                                                              \
    [[maybe_unused]] ATTR void mul_real(const T* __restrict a, const T* __restrict w, T* __restrict out, size_t n) { \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            out[2 * j] = a[2 * j] * w[j];                                                                            \
            out[2 * j + 1] = a[2 * j + 1] * w[j];                                                                    \
        }                                                                                                            \
    }                                                                                                                \
    /* acc += a * w (complex by real) */                                                                             \
    [[maybe_unused]] ATTR void mac_real(const T* __restrict a, const T* __restrict w, T* __restrict acc, size_t n) { \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            acc[2 * j] += a[2 * j] * w[j];                                                                           \
            acc[2 * j + 1] += a[2 * j + 1] * w[j];                                                                   \
        }                                                                                                            \
    }                                                                                                                \
    /* a *= w (complex by real) */                                                                                   \
    [[maybe_unused]] ATTR void scale_by(T* __restrict a, const T* __restrict w, size_t n) {                          \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            a[2 * j] *= w[j];                                                                                        \
            a[2 * j + 1] *= w[j];                                                                                    \
        }                                                                                                            \
    }                                                                                                                \
    /* acc += p (n complex values) */                                                                                \
    [[maybe_unused]] ATTR void add_to(T* __restrict acc, const T* __restrict p, size_t n) {                          \
        for (size_t j = 0; j < 2 * n; ++j) acc[j] += p[j];                                                           \
    }                                                                                                                \
    /* z = a + i b (n values) */                                                                                     \
    [[maybe_unused]] ATTR void interleave(const T* __restrict a, const T* __restrict b, T* __restrict z, size_t n) { \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            z[2 * j] = a[j];                                                                                         \
            z[2 * j + 1] = b[j];                                                                                     \
        }                                                                                                            \
    }                                                                                                                \
    /* a = re z, b = im z (n values) */                                                                              \
    [[maybe_unused]] ATTR void deinterleave(const T* __restrict z, T* __restrict a, T* __restrict b, size_t n) {     \
        for (size_t j = 0; j < n; ++j) {                                                                             \
            a[j] = z[2 * j];                                                                                         \
            b[j] = z[2 * j + 1];                                                                                     \
        }                                                                                                            \
    }

#define FASTSHEAR_COMPLEX_KERNELS(ATTR)      \
    FASTSHEAR_COMPLEX_KERNELS_T(float, ATTR) \
    FASTSHEAR_COMPLEX_KERNELS_T(double, ATTR)
FASTSHEAR_ISA_VARIANTS(FASTSHEAR_COMPLEX_KERNELS)
#undef FASTSHEAR_COMPLEX_KERNELS
#undef FASTSHEAR_COMPLEX_KERNELS_T
FASTSHEAR_ISA_DISPATCH(mul_conj)
FASTSHEAR_ISA_DISPATCH(mul)
FASTSHEAR_ISA_DISPATCH(mul_acc)
FASTSHEAR_ISA_DISPATCH(scalar_mul_conj)
FASTSHEAR_ISA_DISPATCH(scalar_mul_acc)
FASTSHEAR_ISA_DISPATCH(mul_real)
FASTSHEAR_ISA_DISPATCH(mac_real)
FASTSHEAR_ISA_DISPATCH(scale_by)
FASTSHEAR_ISA_DISPATCH(add_to)
FASTSHEAR_ISA_DISPATCH(interleave)
FASTSHEAR_ISA_DISPATCH(deinterleave)

// dst[0..n) = src[0..n) with non-temporal stores where SSE2 has them: for results written once
// and not read back soon, which bypass the cache and skip the read-for-ownership of every line
// (a third of the memory traffic of writing a big output). End a run of them with stream_fence().
inline void stream_copy(double* dst, const double* src, size_t n) {
#if defined(__SSE2__)
    size_t k = 0;
    if (n && reinterpret_cast<std::uintptr_t>(dst) % 16) dst[k] = src[k], ++k;
    for (; k + 2 <= n; k += 2) _mm_stream_pd(dst + k, _mm_loadu_pd(src + k));
    for (; k < n; ++k) dst[k] = src[k];
#else
    std::memcpy(dst, src, n * sizeof(double));
#endif
}
inline void stream_copy(float* dst, const float* src, size_t n) {
#if defined(__SSE2__)
    size_t k = 0;
    for (; k < n && reinterpret_cast<std::uintptr_t>(dst + k) % 16; ++k) dst[k] = src[k];
    for (; k + 4 <= n; k += 4) _mm_stream_ps(dst + k, _mm_loadu_ps(src + k));
    for (; k < n; ++k) dst[k] = src[k];
#else
    std::memcpy(dst, src, n * sizeof(float));
#endif
}
// da[k] = re y[k], db[k] = im y[k] (n complex values), non-temporal as stream_copy when da and db
// are 16-byte aligned (else plain stores).
inline void stream_unpack(const double* y, double* da, double* db, size_t n) {
#if defined(__SSE2__)
    if (reinterpret_cast<std::uintptr_t>(da) % 16 == 0 && reinterpret_cast<std::uintptr_t>(db) % 16 == 0) {
        size_t k = 0;
        for (; k + 2 <= n; k += 2) {
            const __m128d p = _mm_loadu_pd(y + 2 * k), q = _mm_loadu_pd(y + 2 * k + 2);
            _mm_stream_pd(da + k, _mm_unpacklo_pd(p, q));
            _mm_stream_pd(db + k, _mm_unpackhi_pd(p, q));
        }
        for (; k < n; ++k) da[k] = y[2 * k], db[k] = y[2 * k + 1];
        return;
    }
#endif
    deinterleave(y, da, db, n);
}
inline void stream_unpack(const float* y, float* da, float* db, size_t n) {
#if defined(__SSE2__)
    if (reinterpret_cast<std::uintptr_t>(da) % 16 == 0 && reinterpret_cast<std::uintptr_t>(db) % 16 == 0) {
        size_t k = 0;
        for (; k + 4 <= n; k += 4) {
            const __m128 p = _mm_loadu_ps(y + 2 * k), q = _mm_loadu_ps(y + 2 * k + 4);
            _mm_stream_ps(da + k, _mm_shuffle_ps(p, q, _MM_SHUFFLE(2, 0, 2, 0)));
            _mm_stream_ps(db + k, _mm_shuffle_ps(p, q, _MM_SHUFFLE(3, 1, 3, 1)));
        }
        for (; k < n; ++k) da[k] = y[2 * k], db[k] = y[2 * k + 1];
        return;
    }
#endif
    deinterleave(y, da, db, n);
}
inline void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

}  // namespace
}  // namespace fastshear
