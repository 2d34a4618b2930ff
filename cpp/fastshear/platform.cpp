#include "fastshear/platform.hpp"

#include <fftw3.h>

#include "fastshear/complex_kernels.hpp"
#include "fastshear/dense_kernels.hpp"
#include "fastshear/radon.hpp"

namespace fastshear {

std::string fftw_version_double() { return fftw_version; }
std::string fftw_version_float() { return fftwf_version; }

std::string build_arch() {
#if defined(__x86_64__) || defined(_M_X64)
    return "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    return "aarch64";
#elif defined(__powerpc64__)
    return "ppc64";
#else
    return "other";
#endif
}

namespace {
#if defined(__x86_64__) && defined(__GNUC__)
bool has(const char* f) {
    __builtin_cpu_init();
    // __builtin_cpu_supports needs a literal: one branch per feature.
    const std::string s(f);
    if (s == "sse2") return __builtin_cpu_supports("sse2");
    if (s == "avx") return __builtin_cpu_supports("avx");
    if (s == "avx2") return __builtin_cpu_supports("avx2");
    if (s == "fma") return __builtin_cpu_supports("fma");
    if (s == "avx512f") return __builtin_cpu_supports("avx512f");
    return false;
}
#endif
}  // namespace

std::vector<std::pair<std::string, bool>> cpu_features() {
    std::vector<std::pair<std::string, bool>> r;
#if defined(__x86_64__) && defined(__GNUC__)
    for (const char* f : {"sse2", "avx", "avx2", "fma", "avx512f"}) r.emplace_back(f, has(f));
#endif
    return r;
}

std::vector<std::pair<std::string, std::string>> chosen_kernels() {
    std::vector<std::pair<std::string, std::string>> r;
    r.emplace_back("dense", dense::kernel_name());
#if FASTSHEAR_HAVE_CLONES
    // target_clones: the loader's resolver takes the widest clone the CPU supports.
    const std::string cpx = has("avx512f") ? "avx512f" : has("avx2") ? "avx2" : "default";
    r.emplace_back("complex (target_clones)", cpx);
#else
    r.emplace_back("complex", "baseline (" + build_arch() + ", no multi-versioning)");
#endif
#if defined(__x86_64__) && defined(__GNUC__)
    r.emplace_back("shearlet2d pair tiles", has("avx2") ? "avx2" : "scalar");
#else
    r.emplace_back("shearlet2d pair tiles", "scalar");
#endif
    r.emplace_back("radon", radon_has_avx512() ? "avx512f" : "scalar");
    return r;
}

}  // namespace fastshear
