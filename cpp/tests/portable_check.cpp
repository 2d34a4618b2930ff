// A Python-free check of the core for cross builds (aarch64 under qemu, see scripts/cross_check.sh):
// with random data, the 2D filter bank (pairs and a lone band, even and odd widths, complex and
// real filters) and the Radon transform must be adjoint pairs (<A x, y> = <x, A^T y>) and the
// filter bank's inverse must undo its forward transform. Exit status 0 when every check passes.
#include <cmath>
#include <complex>
#include <cstdio>
#include <random>
#include <vector>

#include <fftw3.h>

#include "fastshear/platform.hpp"
#include "fastshear/radon.hpp"
#include "fastshear/shearlet2d.hpp"

namespace {
int failures = 0;
std::mt19937_64 rng(12345);

template <typename T> std::vector<T> randn(size_t n) {
    std::normal_distribution<double> d;
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(rng));
    return v;
}
template <typename T> double dot(const std::vector<T>& a, const std::vector<T>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
    return s;
}
void check(bool ok, const char* what, double got, double tol) {
    std::printf("%-52s %s (%.2e, tolerance %.0e)\n", what, ok ? "ok" : "FAILED", got, tol);
    failures += !ok;
}

template <typename T> void filter_bank(int n, int m, int k, bool real, double tol, const char* name) {
    const int mh = m / 2 + 1;
    // Filters that a real transform can have: the half spectra of random real (N, M) kernels
    // (Hermitian along the columns 0 and M/2), made real (symmetric kernels) when `real`.
    std::vector<std::complex<double>> f(size_t(k) * n * mh);
    std::vector<double> kern(size_t(n) * m);
    for (int b = 0; b < k; ++b) {
        for (auto& v : kern) v = std::normal_distribution<double>()(rng);
        auto* dst = reinterpret_cast<fftw_complex*>(f.data() + size_t(b) * n * mh);
        fftw_plan p = fftw_plan_dft_r2c_2d(n, m, kern.data(), dst, FFTW_ESTIMATE);
        fftw_execute(p);
        fftw_destroy_plan(p);
    }
    if (real)
        for (auto& z : f) z = std::abs(z);
    fastshear::FilterBank2D<T> fb(n, m, k, f.data());
    const size_t img = size_t(n) * m;
    auto x = randn<T>(img), c = randn<T>(img * k);
    std::vector<T> fx(img * k), atc(img), back(img);
    fb.forward(x.data(), fx.data(), 1, 2);
    fb.adjoint(c.data(), atc.data(), 1, 2);
    const double lhs = dot(fx, c), rhs = dot(x, atc);
    char what[128];
    std::snprintf(what, sizeof what, "%s %dx%d, %d bands, %s: adjoint", name, n, m, k, real ? "real" : "complex");
    check(std::abs(lhs - rhs) <= tol * std::abs(lhs), what, std::abs(lhs - rhs) / std::abs(lhs), tol);
    fb.inverse(fx.data(), back.data(), 1, 2);
    double err = 0, nx = 0;
    for (size_t i = 0; i < img; ++i) err += std::pow(double(back[i]) - x[i], 2), nx += double(x[i]) * x[i];
    std::snprintf(what, sizeof what, "%s %dx%d, %d bands, %s: inverse", name, n, m, k, real ? "real" : "complex");
    check(std::sqrt(err / nx) <= tol, what, std::sqrt(err / nx), tol);
}

template <typename T> void radon(bool fan, double tol, const char* name) {
    fastshear::RadonGeometry g;
    g.rows = g.cols = 33;
    g.n_det = 47;
    g.fan = fan;
    if (fan) g.source_distance = 80.0, g.detector_distance = 40.0;
    for (int a = 0; a < 29; ++a) g.theta.push_back(3.14159265358979 * a / 29);
    fastshear::Radon2D<T> op(g);
    auto x = randn<T>(op.image_size()), y = randn<T>(op.sino_size());
    std::vector<T> ax(op.sino_size()), aty(op.image_size());
    op.forward(x.data(), ax.data(), 1, 2);
    op.adjoint(y.data(), aty.data(), 1, 2);
    const double lhs = dot(ax, y), rhs = dot(x, aty);
    char what[128];
    std::snprintf(what, sizeof what, "%s radon %s: adjoint", name, fan ? "fan" : "parallel");
    check(std::abs(lhs - rhs) <= tol * std::abs(lhs), what, std::abs(lhs - rhs) / std::abs(lhs), tol);
}
}  // namespace

int main() {
    std::printf("fastshear core on %s, FFTW %s\n", fastshear::build_arch().c_str(), fastshear::fftw_version_double().c_str());
    for (const auto& kv : fastshear::chosen_kernels()) std::printf("  kernel %s: %s\n", kv.first.c_str(), kv.second.c_str());
    for (bool real : {false, true})
        for (int m : {20, 21}) {
            filter_bank<double>(24, m, 5, real, 1e-10, "f64");
            filter_bank<float>(24, m, 5, real, 1e-4, "f32");
        }
    for (bool fan : {false, true}) {
        radon<double>(fan, 1e-10, "f64");
        radon<float>(fan, 1e-4, "f32");
    }
    std::printf("%s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
