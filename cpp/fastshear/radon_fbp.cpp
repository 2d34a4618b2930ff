// Filtered backprojection's pieces of the Radon transform (Radon2D::filter, backproject_interp);
// fastshear.Radon2D.fbp (python/fastshear/radon.py) combines them.
#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <vector>

#include "fastshear/fft.hpp"
#include "fastshear/infra/isa.hpp"
#include "fastshear/infra/parallel.hpp"
#include "fastshear/radon.hpp"
#include "fastshear/radon_detail.hpp"

namespace fastshear {

using radon_detail::Frame;
using radon_detail::frame_of;

template <typename T>
void Radon2D<T>::filter(const T* in, T* out, size_t batch, const double* preweight, const double* response, int pad,
                        int threads) const {
    const int nd = g_.n_det, na = n_angles();
    if (pad < nd) throw std::invalid_argument("filter padding shorter than the detector");
    using cpx = std::complex<T>;
    const fft_plan<T>& r2c = fft_plan<T>::get(fft_kind::r2c, {pad});
    const fft_plan<T>& c2r = fft_plan<T>::get(fft_kind::c2r, {pad});
    const int H = pad / 2 + 1;
    std::vector<T> resp(H);
    for (int k = 0; k < H; ++k) resp[k] = static_cast<T>(response[k] / pad);
    const size_t rows = batch * na;
    const int nt = resolve_threads(threads, rows);
    region_errors err;
#pragma omp parallel num_threads(nt)
    {
        aligned_buffer<T> buf;
        aligned_buffer<cpx> spec;
        err.run([&] {
            buf = aligned_buffer<T>(pad);
            spec = aligned_buffer<cpx>(H);
        });
#pragma omp for schedule(static)
        for (long r = 0; r < static_cast<long>(rows); ++r) {
            if (buf.size() == 0) continue;
            err.run([&] {
                const int a = static_cast<int>(r % na);
                const T* src = in + static_cast<size_t>(r) * nd;
                const double* pw = preweight + static_cast<size_t>(a) * nd;
                for (int k = 0; k < nd; ++k) buf[k] = static_cast<T>(src[k] * pw[k]);
                for (int k = nd; k < pad; ++k) buf[k] = T(0);
                r2c.r2c(buf.data(), spec.data());
                for (int k = 0; k < H; ++k) spec[k] *= resp[k];
                c2r.c2r(spec.data(), buf.data());
                std::copy(buf.data(), buf.data() + nd, out + static_cast<size_t>(r) * nd);
            });
        }
    }
    err.rethrow();
}

template <typename T> void Radon2D<T>::backproject_interp(const T* q, T* x, size_t batch, int threads) const {
    if (batch == 0) return;
    // Parallel beam with unit bins: the adjoint's hat weights are exactly linear interpolation.
    if (!g_.fan && g_.det_spacing == 1.0) {
        adjoint(q, x, batch, threads);
        return;
    }
#if FASTSHEAR_ISA_X86
    if (fan_vec()) return backproject_fan_avx512(q, x, batch, threads, true);
#endif
    const int n = g_.rows, m = g_.cols, nd = g_.n_det, na = n_angles();
    const Frame fr = frame_of(g_);
    const size_t work = batch * n;
    const int nt = resolve_threads(threads, work);
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (long w = 0; w < static_cast<long>(work); ++w) {
        const size_t b = w / n;
        const int i = static_cast<int>(w % n);
        const T* qb = q + b * sino_size();
        T* row = x + static_cast<size_t>(w) * m;
        for (int j = 0; j < m; ++j) row[j] = T(0);
        for (int j = jlo_[i]; j <= jhi_[i]; ++j) {
            double sum = 0;
            for (int a = 0; a < na; ++a) {
                double wt;
                const double u = fr.interp_pos(cos_[a], sin_[a], j - fr.cx, fr.cy - i, wt);
                const double kf = std::floor(u);
                if (kf < -1 || kf > nd - 1) continue;
                const int k = static_cast<int>(kf);
                const double f = u - kf;
                const T* qa = qb + static_cast<size_t>(a) * nd;
                const double v0 = k >= 0 ? qa[k] : 0.0, v1 = k + 1 < nd ? qa[k + 1] : 0.0;
                sum += wt * (v0 + f * (v1 - v0));
            }
            row[j] = static_cast<T>(sum);
        }
    }
}

template void Radon2D<float>::filter(const float*, float*, size_t, const double*, const double*, int, int) const;
template void Radon2D<double>::filter(const double*, double*, size_t, const double*, const double*, int, int) const;
template void Radon2D<float>::backproject_interp(const float*, float*, size_t, int) const;
template void Radon2D<double>::backproject_interp(const double*, double*, size_t, int) const;

}  // namespace fastshear
