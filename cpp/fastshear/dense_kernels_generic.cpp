// The dense-network kernels for generic (see dense_kernels_impl.hpp; CMake sets this file's ISA flags).
#define FS_KNS generic
#define FS_VBYTES 16
#define FS_MR 4
#include "dense_kernels_impl.hpp"

namespace fastshear {
namespace dense {
const Kernels<float>& kernels_generic_f32() { return generic::table<float>("generic"); }
const Kernels<double>& kernels_generic_f64() { return generic::table<double>("generic"); }
}  // namespace dense
}  // namespace fastshear
