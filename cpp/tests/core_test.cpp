// The C++ core's own test, without Python (CTest: `cmake -DFASTSHEAR_PYTHON=OFF
// -DFASTSHEAR_BUILD_TESTS=ON`, then `ctest`; .ci/run does this; scripts/cross_check.sh runs it
// for another architecture under qemu). With random data, in float32 and float64, at odd and
// even sizes:
//   - adjointness, <A x, y> = <x, A^T y>, of the 2D filter bank (pairs and a lone band, real and
//     complex filters), the 3D filter bank (every band form, bands sharing their first factor)
//     and the Radon transform (parallel and fan beam, every kernel choice);
//   - perfect reconstruction: the dual-frame synthesis (inverse) undoes the analysis (forward);
//   - syntheses bitwise independent of the thread count (the fixed chunks of infra/parallel.hpp);
//   - the dense network's forward pass on a tiny case worked by hand (dense and CSR layers) and
//     against a plain double-precision evaluation on a random network;
// all of it once per instruction-set level this CPU runs (infra/isa.hpp: isa::limit).
// Exit status 0 when every check passes; each check prints one line.
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <fftw3.h>

#include "fastshear/dense_net.hpp"
#include "fastshear/infra/isa.hpp"
#include "fastshear/platform.hpp"
#include "fastshear/radon.hpp"
#include "fastshear/shearlet2d.hpp"
#include "fastshear/shearlet3d.hpp"

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
// ||a - b|| / ||b||
template <typename T> double rel_err(const std::vector<T>& a, const std::vector<T>& b) {
    double e = 0, n = 0;
    for (size_t i = 0; i < a.size(); ++i) e += std::pow(double(a[i]) - double(b[i]), 2), n += double(b[i]) * b[i];
    return std::sqrt(e / n);
}
void check(bool ok, const std::string& what, double got, double tol) {
    std::printf("%-64s %s (%.2e, tolerance %.0e)\n", what.c_str(), ok ? "ok" : "FAILED", got, tol);
    failures += !ok;
}
template <typename T>
void check_adjoint(const std::vector<T>& ax, const std::vector<T>& y, const std::vector<T>& x,
                   const std::vector<T>& aty, const std::string& what, double tol) {
    // <A x, y> - <x, A^T y> against ||A x|| ||y||, the scale of the rounding in both products (for
    // random data <A x, y> itself is ~sqrt(n) times smaller and would make the test flaky)
    const double lhs = dot(ax, y), rhs = dot(x, aty);
    const double err = std::abs(lhs - rhs) / std::sqrt(dot(ax, ax) * dot(y, y));
    check(err <= tol, what + ": adjoint", err, tol);
}
template <typename T> void check_same_bits(const std::vector<T>& a, const std::vector<T>& b, const std::string& what) {
    const bool same = std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
    check(same, what + ": same bits on 1 and 3 threads", same ? 0.0 : rel_err(a, b), 0.0);
}
template <typename T> const char* name() { return sizeof(T) == 4 ? "f32" : "f64"; }
template <typename T> double tol() { return sizeof(T) == 4 ? 1e-5 : 1e-12; }

// Half spectra (n, m/2+1) of k random real (n, m) kernels: filters a real transform can have
// (Hermitian along the columns 0 and m/2); made real (symmetric kernels) when `real`.
std::vector<std::complex<double>> half_spectra(int n, int m, int k, bool real) {
    const int mh = m / 2 + 1;
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
    return f;
}

// Full spectra (n1, n2) of k random real kernels.
std::vector<std::complex<double>> full_spectra(int n1, int n2, int k) {
    std::vector<std::complex<double>> f(size_t(k) * n1 * n2);
    std::vector<std::complex<double>> kern(size_t(n1) * n2);
    for (int b = 0; b < k; ++b) {
        for (auto& v : kern) v = std::normal_distribution<double>()(rng);
        auto* src = reinterpret_cast<fftw_complex*>(kern.data());
        auto* dst = reinterpret_cast<fftw_complex*>(f.data() + size_t(b) * n1 * n2);
        fftw_plan p = fftw_plan_dft_2d(n1, n2, src, dst, FFTW_FORWARD, FFTW_ESTIMATE);
        fftw_execute(p);
        fftw_destroy_plan(p);
    }
    return f;
}

template <typename T> void filter_bank_2d(int n, int m, int k, bool real) {
    const auto f = half_spectra(n, m, k, real);
    fastshear::FilterBank2D<T> fb(n, m, k, f.data());
    const size_t img = size_t(n) * m, batch = 2;
    auto x = randn<T>(batch * img), c = randn<T>(batch * img * k);
    std::vector<T> fx(batch * img * k), atc(batch * img), atc3(batch * img), back(batch * img);
    fb.forward(x.data(), fx.data(), batch, 2);
    fb.adjoint(c.data(), atc.data(), batch, 1);
    char what[128];
    std::snprintf(what, sizeof what, "2D %s %dx%d, %d bands, %s filters", name<T>(), n, m, k,
                  real ? "real" : "complex");
    check_adjoint(fx, c, x, atc, what, tol<T>());
    fb.inverse(fx.data(), back.data(), batch, 2);
    const double err = rel_err(back, x);
    check(err <= tol<T>(), std::string(what) + ": inverse(forward(x)) = x", err, tol<T>());
    fb.adjoint(c.data(), atc3.data(), batch, 3);
    check_same_bits(atc, atc3, what);
}

template <typename T> void filter_bank_3d(int n1, int n2, int n3) {
    const int m = 2;
    const auto p12 = full_spectra(n1, n2, m);
    const auto p13 = half_spectra(n1, n3, m, false);
    const auto p32t = half_spectra(n2, n3, m, false);
    // every form and slice pair: 12 bands, consecutive ones sharing their first factor (groups),
    // more than the synthesis' chunks
    std::vector<fastshear::Band3D> bands;
    for (int form = 0; form < 3; ++form)
        for (int ia = 0; ia < m; ++ia)
            for (int ib = 0; ib < m; ++ib) bands.push_back({form, ia, ib});
    fastshear::FilterBank3D<T> fb(n1, n2, n3, m, p12.data(), m, p13.data(), m, p32t.data(), bands, 2);
    const size_t N = size_t(n1) * n2 * n3, K = bands.size(), batch = 2;
    auto x = randn<T>(batch * N), c = randn<T>(batch * N * K);
    std::vector<T> fx(batch * N * K), atc(batch * N), atc3(batch * N), back(batch * N);
    fb.forward(x.data(), fx.data(), batch, nullptr, 0, 2);
    fb.adjoint(c.data(), atc.data(), batch, nullptr, 0, 1);
    char what[128];
    std::snprintf(what, sizeof what, "3D %s %dx%dx%d, %zu bands", name<T>(), n1, n2, n3, K);
    check_adjoint(fx, c, x, atc, what, tol<T>());
    fb.inverse(fx.data(), back.data(), batch, nullptr, 0, 2);
    const double err = rel_err(back, x);
    check(err <= tol<T>(), std::string(what) + ": inverse(forward(x)) = x", err, tol<T>());
    fb.adjoint(c.data(), atc3.data(), batch, nullptr, 0, 3);
    check_same_bits(atc, atc3, what);
    // a selection of bands (out of order, a group split): adjoint of the selected analysis
    const std::vector<int> sel = {5, 4, 0, 11, 7};
    auto cs = randn<T>(N * sel.size());
    std::vector<T> fs(N * sel.size()), ats(N);
    fb.forward(x.data(), fs.data(), 1, sel.data(), sel.size(), 2);
    fb.adjoint(cs.data(), ats.data(), 1, sel.data(), sel.size(), 2);
    std::vector<T> x1(x.begin(), x.begin() + N);
    check_adjoint(fs, cs, x1, ats, std::string(what) + ", 5 selected", tol<T>());
}

template <typename T> void radon(int rows, int cols, bool fan, int kernel) {
    fastshear::RadonGeometry g;
    g.rows = rows;
    g.cols = cols;
    g.n_det = rows + cols / 2 + 3;
    g.fan = fan;
    if (fan) g.source_distance = 2.5 * rows, g.detector_distance = 1.2 * rows;
    for (int a = 0; a < 29; ++a) g.theta.push_back(3.14159265358979 * a / 29);
    fastshear::Radon2D<T> op(g);
    op.set_kernel(kernel);
    auto x = randn<T>(op.image_size()), y = randn<T>(op.sino_size());
    std::vector<T> ax(op.sino_size()), aty(op.image_size());
    op.forward(x.data(), ax.data(), 1, 2);
    op.adjoint(y.data(), aty.data(), 1, 2);
    char what[128];
    static const char* kernels[] = {"auto", "reference", "portable"};
    std::snprintf(what, sizeof what, "radon %s %dx%d %s, %s kernels", name<T>(), rows, cols, fan ? "fan" : "parallel",
                  kernels[kernel]);
    check_adjoint(ax, y, x, aty, what, tol<T>());
}

template <typename T> void dense_known(double sparse_below) {
    // 2 -> 2 (ReLU) -> 1:  h = relu(W1 x + b1), y = W2 h + b2, by hand:
    //   x = (1, 2):  W1 x + b1 = (-0.5, 0)  -> h = (0, 0)     -> y = 0.25
    //   x = (3, 1):  W1 x + b1 = (2.5, 3.5) -> h = (2.5, 3.5) -> y = 2.5 + 7 + 0.25 = 9.75
    //   x = (-1, 4): W1 x + b1 = (-4.5, -3) -> h = (0, 0)     -> y = 0.25
    const T w1[] = {1, -1, 2, 0.5}, b1[] = {0.5, -3}, w2[] = {1, 2}, b2[] = {0.25};
    fastshear::DenseNet<T> net({2, 2, 1}, {w1, w2}, {b1, b2}, {fastshear::Activation::relu}, sparse_below);
    const T x[] = {1, 2, 3, 1, -1, 4};
    const T want[] = {0.25, 9.75, 0.25};
    T y[3];
    net.forward(x, y, 3, 1);
    double err = 0;
    for (int i = 0; i < 3; ++i) err = std::max(err, std::abs(double(y[i]) - want[i]));
    char what[128];
    std::snprintf(what, sizeof what, "dense %s 2-2-1 by hand, %s layers (%s kernels)", name<T>(),
                  net.layer_sparse(0) ? "CSR" : "dense", net.kernel_name());
    check(err == 0, what, err, 0);
}

template <typename T> void dense_random() {
    const std::vector<int> w = {37, 70, 45, 19};
    std::vector<std::vector<T>> W, b;
    std::vector<const T*> wp, bp;
    for (int l = 0; l < 3; ++l) {
        W.push_back(randn<T>(size_t(w[l + 1]) * w[l]));
        b.push_back(randn<T>(w[l + 1]));
    }
    for (int l = 0; l < 3; ++l) wp.push_back(W[l].data()), bp.push_back(b[l].data());
    fastshear::DenseNet<T> net(w, wp, bp, {fastshear::Activation::relu, fastshear::Activation::relu}, 0.0);
    const size_t batch = 29;
    auto x = randn<T>(batch * w[0]);
    std::vector<T> y(batch * w[3]), ref(batch * w[3]);
    net.forward(x.data(), y.data(), batch, 2);
    for (size_t r = 0; r < batch; ++r) {
        std::vector<double> a(x.begin() + r * w[0], x.begin() + (r + 1) * w[0]);
        for (int l = 0; l < 3; ++l) {
            std::vector<double> z(w[l + 1]);
            for (int i = 0; i < w[l + 1]; ++i) {
                double s = b[l][i];
                for (int j = 0; j < w[l]; ++j) s += double(W[l][size_t(i) * w[l] + j]) * a[j];
                z[i] = l < 2 ? std::max(s, 0.0) : s;
            }
            a = z;
        }
        for (int i = 0; i < w[3]; ++i) ref[r * w[3] + i] = static_cast<T>(a[i]);
    }
    const double t = sizeof(T) == 4 ? 1e-5 : 1e-13, err = rel_err(y, ref);
    check(err <= t, std::string("dense ") + name<T>() + " 37-70-45-19 random, batch 29: forward", err, t);
}

template <typename T> void all() {
    for (bool real : {false, true})
        for (int m : {20, 21}) {
            filter_bank_2d<T>(24, m, 5, real);
            filter_bank_2d<T>(17, m, 1, real);   // a lone band, odd rows
            filter_bank_2d<T>(15, m, 11, real);  // more bands than chunks
        }
    filter_bank_3d<T>(8, 9, 10);
    filter_bank_3d<T>(9, 6, 7);
    for (bool fan : {false, true})
        for (int kernel : {0, 1, 2}) {
            radon<T>(33, 33, fan, kernel);
            radon<T>(24, 31, fan, kernel);
        }
    dense_known<T>(0.0);
    dense_known<T>(1.0);
    dense_random<T>();
}
}  // namespace

int main() {
    std::printf("fastshear core on %s, FFTW %s\n", fastshear::build_arch().c_str(),
                fastshear::fftw_version_double().c_str());
    for (const auto& kv : fastshear::chosen_kernels())
        std::printf("  kernel %s: %s\n", kv.first.c_str(), kv.second.c_str());
    // every instruction-set variant this CPU runs (infra/isa.hpp), widest first
    for (int l = static_cast<int>(fastshear::isa::detected()); l >= 0; --l) {
        fastshear::isa::limit(static_cast<fastshear::isa::level>(l));
        std::printf("-- kernels for %s\n", fastshear::isa::name(fastshear::isa::best()));
        all<double>();
        all<float>();
    }
    fastshear::isa::limit(fastshear::isa::level::avx512);
    std::printf("%s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
