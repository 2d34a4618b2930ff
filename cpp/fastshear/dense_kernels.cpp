// Runtime choice of the dense kernels: the widest instruction set this CPU supports, chosen once.
// FASTSHEAR_DENSE_KERNEL=avx2|generic may ask for a narrower one (for tests and comparisons).
#include "dense_kernels.hpp"

#include <cstdlib>
#include <cstring>

namespace fastshear {
namespace dense {

const Kernels<float>& kernels_generic_f32();
const Kernels<double>& kernels_generic_f64();
#ifdef FASTSHEAR_X86_DISPATCH
const Kernels<float>& kernels_avx2_f32();
const Kernels<double>& kernels_avx2_f64();
const Kernels<float>& kernels_avx512_f32();
const Kernels<double>& kernels_avx512_f64();
#endif

namespace {
enum class isa { generic, avx2, avx512 };

isa pick() {
    isa best = isa::generic;
#ifdef FASTSHEAR_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = isa::avx2;
    if (best == isa::avx2 && __builtin_cpu_supports("avx512f")) best = isa::avx512;
#endif
    const char* want = std::getenv("FASTSHEAR_DENSE_KERNEL");
    if (want && std::strcmp(want, "generic") == 0) best = isa::generic;
    if (want && std::strcmp(want, "avx2") == 0 && best == isa::avx512) best = isa::avx2;
    return best;
}

isa chosen() {
    static const isa i = pick();
    return i;
}
}  // namespace

const char* kernel_name() {
    switch (chosen()) {
        case isa::avx512: return "avx512";
        case isa::avx2: return "avx2";
        default: return "generic";
    }
}

template <> const Kernels<float>& kernels<float>() {
    switch (chosen()) {
#ifdef FASTSHEAR_X86_DISPATCH
        case isa::avx512: return kernels_avx512_f32();
        case isa::avx2: return kernels_avx2_f32();
#endif
        default: return kernels_generic_f32();
    }
}

template <> const Kernels<double>& kernels<double>() {
    switch (chosen()) {
#ifdef FASTSHEAR_X86_DISPATCH
        case isa::avx512: return kernels_avx512_f64();
        case isa::avx2: return kernels_avx2_f64();
#endif
        default: return kernels_generic_f64();
    }
}

}  // namespace dense
}  // namespace fastshear
