// This core's float32 multiply-add peak, measured: 12 independent chains of vector FMAs on
// registers only (no memory), timed in thread CPU time (immune to time slices lost to other
// processes) and wall time. AVX-512 where the CPU has it, else AVX2+FMA. x86-64 GCC/Clang only.
//     g++ -O2 bench/fma_peak.cpp -o /tmp/fma_peak && /tmp/fma_peak
// Prints: "<isa> <GFLOP/s per CPU second> <GFLOP/s wall>" (best of 5 runs of 0.2-0.5 s).
#include <chrono>
#include <cstdio>
#include <ctime>

static double cpu_now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// clang-format off: one line per pair of FMAs
#define FMA12(R)                                                                                            \
    "vfmadd231ps %%" R "30,%%" R "31,%%" R "0\n vfmadd231ps %%" R "30,%%" R "31,%%" R "1\n"                  \
    "vfmadd231ps %%" R "30,%%" R "31,%%" R "2\n vfmadd231ps %%" R "30,%%" R "31,%%" R "3\n"                  \
    "vfmadd231ps %%" R "30,%%" R "31,%%" R "4\n vfmadd231ps %%" R "30,%%" R "31,%%" R "5\n"                  \
    "vfmadd231ps %%" R "30,%%" R "31,%%" R "6\n vfmadd231ps %%" R "30,%%" R "31,%%" R "7\n"                  \
    "vfmadd231ps %%" R "30,%%" R "31,%%" R "8\n vfmadd231ps %%" R "30,%%" R "31,%%" R "9\n"                  \
    "vfmadd231ps %%" R "30,%%" R "31,%%" R "10\n vfmadd231ps %%" R "30,%%" R "31,%%" R "11\n"
// clang-format on

__attribute__((target("avx512f"))) static void loop512(long n) {
    __asm__ volatile("1:\n" FMA12("zmm") "dec %0\n jnz 1b\n"
                     : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "cc");
}

__attribute__((target("avx2,fma"))) static void loop256(long n) {
    // ymm30/31 do not exist without AVX-512: use ymm14/15 as the multiplicands
    __asm__ volatile(
        "1:\n"
        "vfmadd231ps %%ymm14,%%ymm15,%%ymm0\n vfmadd231ps %%ymm14,%%ymm15,%%ymm1\n"
        "vfmadd231ps %%ymm14,%%ymm15,%%ymm2\n vfmadd231ps %%ymm14,%%ymm15,%%ymm3\n"
        "vfmadd231ps %%ymm14,%%ymm15,%%ymm4\n vfmadd231ps %%ymm14,%%ymm15,%%ymm5\n"
        "vfmadd231ps %%ymm14,%%ymm15,%%ymm6\n vfmadd231ps %%ymm14,%%ymm15,%%ymm7\n"
        "vfmadd231ps %%ymm14,%%ymm15,%%ymm8\n vfmadd231ps %%ymm14,%%ymm15,%%ymm9\n"
        "vfmadd231ps %%ymm14,%%ymm15,%%ymm10\n vfmadd231ps %%ymm14,%%ymm15,%%ymm11\n"
        "dec %0\n jnz 1b\n"
        : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "cc");
}

int main() {
    __builtin_cpu_init();
    const bool z = __builtin_cpu_supports("avx512f");
    if (!z && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        std::printf("none 0 0\n");
        return 0;
    }
    const double flops_per_iter = 12.0 * (z ? 16 : 8) * 2;
    const long n = 30000000;
    double best_cpu = 0, best_wall = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const double c0 = cpu_now();
        const auto t0 = std::chrono::steady_clock::now();
        z ? loop512(n) : loop256(n);
        const double c = cpu_now() - c0;
        const double w = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (flops_per_iter * n / c > best_cpu) best_cpu = flops_per_iter * n / c;
        if (flops_per_iter * n / w > best_wall) best_wall = flops_per_iter * n / w;
    }
    std::printf("%s %.1f %.1f\n", z ? "avx512" : "avx2", best_cpu / 1e9, best_wall / 1e9);
}
