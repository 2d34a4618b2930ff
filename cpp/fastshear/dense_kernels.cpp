// Run-time choice of the dense kernels: the set compiled for isa::best() (infra/isa.hpp), read
// when a network is built (a test narrows it through isa::limit, fastshear._testing.isa).
#include "dense_kernels.hpp"

#include "fastshear/infra/isa.hpp"

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
// The kernel set of isa::best(), or the widest one compiled below it.
isa::level chosen() {
#ifdef FASTSHEAR_X86_DISPATCH
    return isa::best();
#else
    return isa::level::generic;
#endif
}
}  // namespace

const char* kernel_name() { return isa::name(chosen()); }

template <> const Kernels<float>& kernels<float>() {
    switch (chosen()) {
#ifdef FASTSHEAR_X86_DISPATCH
        case isa::level::avx512: return kernels_avx512_f32();
        case isa::level::avx2: return kernels_avx2_f32();
#endif
        default: return kernels_generic_f32();
    }
}

template <> const Kernels<double>& kernels<double>() {
    switch (chosen()) {
#ifdef FASTSHEAR_X86_DISPATCH
        case isa::level::avx512: return kernels_avx512_f64();
        case isa::level::avx2: return kernels_avx2_f64();
#endif
        default: return kernels_generic_f64();
    }
}

}  // namespace dense
}  // namespace fastshear
