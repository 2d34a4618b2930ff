// The dense-network kernels for avx2 (see dense_kernels_impl.hpp; CMake sets this file's ISA flags).
#define FS_KNS avx2
#define FS_VBYTES 32
#define FS_MR 6
#include "dense_kernels_impl.hpp"

namespace fastshear {
namespace dense {
const Kernels<float>& kernels_avx2_f32() { return avx2::table<float>("avx2"); }
const Kernels<double>& kernels_avx2_f64() { return avx2::table<double>("avx2"); }
}  // namespace dense
}  // namespace fastshear
