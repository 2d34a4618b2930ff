#include "fourier_multiplier.hpp"

#include <complex>

#include "fft.hpp"
#include "infra/memory.hpp"
#include "infra/parallel.hpp"

namespace fastshear {

template <typename T>
void fourier_multiply2d(const T* x, const T* h, T* out, std::size_t batch, int n, int m, int threads) {
    if (batch == 0 || n <= 0 || m <= 0) return;
    const auto& fwd = fft_plan<T>::get(fft_kind::r2c, {n, m});
    const auto& inv = fft_plan<T>::get(fft_kind::c2r, {n, m});
    const std::size_t P = static_cast<std::size_t>(n) * m, H = static_cast<std::size_t>(n) * (m / 2 + 1);
    const T scale = T(1) / static_cast<T>(P);
    region_errors err;
    const int nt = resolve_threads(threads, batch);
#pragma omp parallel num_threads(nt)
    {
        aligned_buffer<std::complex<T>> buf;
        err.run([&] { buf = aligned_buffer<std::complex<T>>(H); });
#pragma omp for schedule(static)
        for (long b = 0; b < static_cast<long>(batch); ++b)
            err.run([&] {
                if (!buf.data()) return;
                std::complex<T>* c = buf.data();
                fwd.r2c(x + b * P, c);
                for (std::size_t k = 0; k < H; ++k) c[k] *= h[k] * scale;
                inv.c2r(c, out + b * P);
            });
    }
    err.rethrow();
}

template void fourier_multiply2d<float>(const float*, const float*, float*, std::size_t, int, int, int);
template void fourier_multiply2d<double>(const double*, const double*, double*, std::size_t, int, int, int);

}  // namespace fastshear
