#include "fastshear/platform.hpp"

#include <fftw3.h>

#include "fastshear/dense_kernels.hpp"
#include "fastshear/infra/isa.hpp"

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

std::vector<std::pair<std::string, bool>> cpu_features() { return isa::cpu_features(); }

// Every family reports from the one query (infra/isa.hpp): what isa::best() makes it run now.
std::vector<std::pair<std::string, std::string>> chosen_kernels() {
    const isa::level l = isa::best();
    std::vector<std::pair<std::string, std::string>> r;
    r.emplace_back("isa", isa::name(l));
    r.emplace_back("dense", dense::kernel_name());
#if FASTSHEAR_ISA_X86
    r.emplace_back("complex", isa::name(l));
    r.emplace_back("shearlet2d pair tiles", l >= isa::level::avx2 ? "avx2" : "scalar");
#else
    r.emplace_back("complex", "baseline (" + build_arch() + ", no multi-versioning)");
    r.emplace_back("shearlet2d pair tiles", "scalar");
#endif
    r.emplace_back("radon", l >= isa::level::avx512 ? "avx512f" : "scalar");
    return r;
}

}  // namespace fastshear
