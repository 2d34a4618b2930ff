// RAII FFTW plans for float and double and a process-wide plan cache (aligned buffers: infra/memory.hpp).
//
// Planning is not thread-safe in FFTW, so every plan is created under one mutex and cached
// for the life of the process (keyed by kind, precision and shape). Execution uses FFTW's
// new-array functions, which are thread-safe, from any number of OpenMP threads. Plans are made
// on aligned buffers (alloc_aligned); an array whose alignment differs from the planning buffers goes
// through an aligned scratch buffer (an FFTW_UNALIGNED plan would lose SIMD).
#pragma once

#include <fftw3.h>

#include "fastshear/infra/memory.hpp"

#include <complex>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace fastshear {

template <typename T> struct fftw_traits;

// Distance between consecutive transforms of a batch (FFTW's idist / odist): the values of one
// array of shape n, and of its half spectrum (last axis n/2+1).
inline int real_dist(int rank, const int* n) {
    int d = 1;
    for (int i = 0; i < rank; ++i) d *= n[i];
    return d;
}
inline int half_dist(int rank, const int* n) { return real_dist(rank - 1, n) * (n[rank - 1] / 2 + 1); }

template <> struct fftw_traits<double> {
    using plan = fftw_plan;
    using cpx = fftw_complex;
    static int alignment_of(const double* p) { return fftw_alignment_of(const_cast<double*>(p)); }
    static plan r2c(int rank, const int* n, int howmany, double* in, cpx* out, unsigned flags) {
        return fftw_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, real_dist(rank, n), out, nullptr, 1,
                                      half_dist(rank, n), flags);
    }
    static plan c2r(int rank, const int* n, int howmany, cpx* in, double* out, unsigned flags) {
        return fftw_plan_many_dft_c2r(rank, n, howmany, in, nullptr, 1, half_dist(rank, n), out, nullptr, 1,
                                      real_dist(rank, n), flags);
    }
    static plan c2c(int rank, const int* n, int howmany, cpx* in, int idist, cpx* out, int odist, int sign,
                    unsigned flags) {
        return fftw_plan_many_dft(rank, n, howmany, in, nullptr, 1, idist, out, nullptr, 1, odist, sign, flags);
    }
    using iodim = fftw_iodim;
    static plan guru_c2c(const iodim& d, int vr, const iodim* v, cpx* in, cpx* out, int sign, unsigned flags) {
        return fftw_plan_guru_dft(1, &d, vr, v, in, out, sign, flags);
    }
    static void exec_r2c(plan p, double* in, cpx* out) { fftw_execute_dft_r2c(p, in, out); }
    static void exec_c2r(plan p, cpx* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
    static void exec_c2c(plan p, cpx* in, cpx* out) { fftw_execute_dft(p, in, out); }
    static void destroy(plan p) { fftw_destroy_plan(p); }
};

template <> struct fftw_traits<float> {
    using plan = fftwf_plan;
    using cpx = fftwf_complex;
    static int alignment_of(const float* p) { return fftwf_alignment_of(const_cast<float*>(p)); }
    static plan r2c(int rank, const int* n, int howmany, float* in, cpx* out, unsigned flags) {
        return fftwf_plan_many_dft_r2c(rank, n, howmany, in, nullptr, 1, real_dist(rank, n), out, nullptr, 1,
                                       half_dist(rank, n), flags);
    }
    static plan c2r(int rank, const int* n, int howmany, cpx* in, float* out, unsigned flags) {
        return fftwf_plan_many_dft_c2r(rank, n, howmany, in, nullptr, 1, half_dist(rank, n), out, nullptr, 1,
                                       real_dist(rank, n), flags);
    }
    static plan c2c(int rank, const int* n, int howmany, cpx* in, int idist, cpx* out, int odist, int sign,
                    unsigned flags) {
        return fftwf_plan_many_dft(rank, n, howmany, in, nullptr, 1, idist, out, nullptr, 1, odist, sign, flags);
    }
    using iodim = fftwf_iodim;
    static plan guru_c2c(const iodim& d, int vr, const iodim* v, cpx* in, cpx* out, int sign, unsigned flags) {
        return fftwf_plan_guru_dft(1, &d, vr, v, in, out, sign, flags);
    }
    static void exec_r2c(plan p, float* in, cpx* out) { fftwf_execute_dft_r2c(p, in, out); }
    static void exec_c2r(plan p, cpx* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
    static void exec_c2c(plan p, cpx* in, cpx* out) { fftwf_execute_dft(p, in, out); }
    static void destroy(plan p) { fftwf_destroy_plan(p); }
};

enum class fft_kind { r2c, c2r, c2c_forward, c2c_backward };

// One FFTW plan of `howmany` contiguous transforms of shape `dims`, created through the
// process-wide cache. The plan is owned by the cache; this is a cheap handle.
template <typename T> class fft_plan {
  public:
    using traits = fftw_traits<T>;
    using cpx = std::complex<T>;

    // c2c plans may space the transforms of a batch apart: idist / odist complex values between the
    // starts of consecutive input / output transforms (0: contiguous), e.g. rows of a padded array.
    static const fft_plan& get(fft_kind kind, const std::vector<int>& dims, int howmany = 1, int idist = 0,
                               int odist = 0);
    // One axis of one C-order complex array of shape `dims`: in-place 1D c2c transforms along
    // `axis`, looping over all other axes (call c2c(a, a)). Multi-dimensional FFTs split into
    // such passes let a caller apply a factor that does not depend on some axes between them.
    static const fft_plan& get_axis(fft_kind kind, const std::vector<int>& dims, int axis);

    // Execute on any arrays of the planned layout; misaligned arrays go through scratch copies.
    void r2c(const T* in, cpx* out) const;
    void c2r(cpx* in, T* out) const;    // destroys `in`
    void c2c(cpx* in, cpx* out) const;  // in == out for in-place plans (get_axis c2c)

    size_t real_size() const { return real_n_; }    // reals per call (all howmany)
    size_t complex_size() const { return cpx_n_; }  // complex values per call (all howmany; c2c: input)

    fft_plan(typename traits::plan p, size_t rn, size_t cn, int ra, int ca, size_t cn_out = 0)
        : plan_(p), real_n_(rn), cpx_n_(cn), cpx_out_n_(cn_out ? cn_out : cn), real_align_(ra), cpx_align_(ca) {}

  private:
    typename traits::plan plan_;
    size_t real_n_, cpx_n_, cpx_out_n_;
    int real_align_, cpx_align_;
};

// A batch of 2D real-to-complex FFTs, x: (batch, n, m) -> out: (batch, n, m/2+1), unnormalised,
// threads over the batch (0: OpenMP's default).
template <typename T> void rfft2_batch(const T* x, std::complex<T>* out, size_t batch, int n, int m, int threads);

// Planner rigour: FFTW_MEASURE by default. set_planner_effort(0) selects FFTW_ESTIMATE
// (fast planning, slower transforms), 1 MEASURE, 2 PATIENT. Affects plans created later.
void set_planner_effort(int effort);
int planner_effort();

// FFTW wisdom (the planner's measurements) for double and float, so that a later process plans
// known sizes in microseconds. Return false when a file cannot be read or written.
bool import_wisdom(const std::string& path_double, const std::string& path_float);
bool export_wisdom(const std::string& path_double, const std::string& path_float);
// Number of plans created by this process so far (to know whether wisdom grew).
long plans_created();

}  // namespace fastshear
