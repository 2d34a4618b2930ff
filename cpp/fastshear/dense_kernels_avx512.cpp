// The dense-network kernels for avx512 (see dense_kernels_impl.hpp; CMake sets this file's ISA flags).
#define FS_KNS avx512
#define FS_VBYTES 64
#define FS_MR 8
#include "dense_kernels_impl.hpp"

namespace fastshear {
namespace dense {
const Kernels<float>& kernels_avx512_f32() { return avx512::table<float>("avx512"); }
const Kernels<double>& kernels_avx512_f64() { return avx512::table<double>("avx512"); }
}  // namespace dense
}  // namespace fastshear
