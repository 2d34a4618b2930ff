// The dense engine's GEMM kernel alone, without Python: Y (M x N) = X (M x 256) W + b in chunks of
// CH rows (the forward pass's chunking), into one preallocated Y (2 MB aligned; HUGE=1 asks for
// transparent huge pages, as numpy's large arrays get). Median and best wall time, median thread
// CPU time (GFLOP/s per CPU second: what time slices lost to other processes do not change), and
// the largest error of 50 entries against a double-precision sum. For comparing kernel versions:
// build one binary per source tree (SRC) and run them in turn.
//   SRC=cpp; for f in dense_kernels dense_kernels_generic infra/isa; do g++ -O3 -std=c++17 -DFASTSHEAR_X86_DISPATCH -I$SRC -c $SRC/fastshear/$f.cpp; done
//   g++ -O3 -std=c++17 -mavx2 -mfma -ffp-contract=fast -I$SRC -c $SRC/fastshear/dense_kernels_avx2.cpp
//   g++ -O3 -std=c++17 -mavx512f -mavx512vl -mavx512dq -mavx2 -mfma -mprefer-vector-width=512 -ffp-contract=fast -I$SRC -c $SRC/fastshear/dense_kernels_avx512.cpp
//   g++ -O3 -std=c++17 -I$SRC bench/dense_gemm.cpp dense_kernels*.o isa.o -o /tmp/dense_gemm
//   HUGE=1 /tmp/dense_gemm [M=4096] [N=9801] [CH=256] [reps=5]     (ISA=avx2|generic: a narrower kernel set)
#include <sys/mman.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>
#include "fastshear/dense_kernels.hpp"
#include "fastshear/infra/isa.hpp"
static double cpu() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
using namespace fastshear::dense;
int main(int argc, char** argv) {
    int M = argc > 1 ? atoi(argv[1]) : 4096, N = argc > 2 ? atoi(argv[2]) : 9801, K = 256;
    int CH = argc > 3 ? atoi(argv[3]) : 256, reps = argc > 4 ? atoi(argv[4]) : 5;
    if (const char* isa = std::getenv("ISA"))
        fastshear::isa::limit(std::strcmp(isa, "generic") == 0 ? fastshear::isa::level::generic
                              : std::strcmp(isa, "avx2") == 0  ? fastshear::isa::level::avx2
                                                               : fastshear::isa::level::avx512);
    const auto& k = kernels<float>();
    std::mt19937 g(0);
    std::normal_distribution<float> d;
    std::vector<float> W((size_t)K * N), x((size_t)M * K), b(N);
    for (auto& v : W) v = d(g) / 16;
    for (auto& v : x) v = std::max(0.f, d(g));
    for (auto& v : b) v = d(g);
    int nr = k.nr;
    size_t Np = (N + nr - 1) / nr * nr;
    float* P = (float*)aligned_alloc(64, Np * K * 4);
    pack_panels(W.data(), N, 1, K, N, nr, P);  // W is K x N here
    std::vector<float> bp(Np, 0.f);
    std::copy(b.begin(), b.end(), bp.begin());
    size_t yb = ((size_t)M * N * 4 + (2 << 20) - 1) / (2 << 20) * (2 << 20);
    float* y = (float*)aligned_alloc(2 << 20, yb);
    const char* hg = getenv("HUGE");
    if (hg && std::strcmp(hg, "1") == 0) madvise(y, yb, MADV_HUGEPAGE);
    memset(y, 0, (size_t)M * N * 4);
    std::vector<double> ts, cs;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        double c0 = cpu();
        for (int r0 = 0; r0 < M; r0 += CH) {
            int rows = std::min(CH, M - r0);
            k.gemm({x.data() + (size_t)r0 * K, (size_t)K, (size_t)rows, P, bp.data(), K, N, y + (size_t)r0 * N,
                    (size_t)N, false});
        }
        cs.push_back(cpu() - c0);
        ts.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ts.begin(), ts.end());
    std::sort(cs.begin(), cs.end());
    double c = cs[cs.size() / 2];
    double t = ts[ts.size() / 2];
    // check a few entries in double
    double err = 0;
    for (int i = 0; i < 50; ++i) {
        size_t m = (i * 7919) % M, n = (i * 104729) % N;
        double s = b[n];
        for (int kk = 0; kk < K; ++kk) s += (double)x[m * K + kk] * W[(size_t)kk * N + n];
        err = std::max(err, std::fabs(s - y[m * N + n]));
    }
    printf("%s M=%d N=%d CH=%d: %.1f ms (min %.1f) %.1f GFLOP/s (best %.1f), cpu %.1f GFLOP/s, maxerr %.2e\n", k.name,
           M, N, CH, t * 1e3, ts[0] * 1e3, 2.0 * M * N * K / t / 1e9, 2.0 * M * N * K / ts[0] / 1e9,
           2.0 * M * N * K / c / 1e9, err);
}
