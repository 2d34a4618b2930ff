// Engine heuristics: every block size, threshold and code-path choice of the transforms, in one
// place, each with what it trades and how it was chosen (as FINUFFT's heuristics.hpp). None of
// them changes a result beyond rounding; those marked "fixed" do not change it at all, because
// results must not depend on the thread count (see infra/parallel.hpp). Change a value here, not
// in an engine, and measure with bench/ (bench/RESULTS.md: date, commit, threads, command).
//
// Not gathered yet: the dense network's constants (parallel threshold, row chunks, the sparse
// fraction below which a layer's few rows run from CSR) still live in dense_net.cpp, and the
// default sparse threshold of DenseNet (`sparse_below`) in python/fastshear/nn.py.
#pragma once

#include <cstddef>
#include <type_traits>

namespace fastshear {
namespace heuristics {

// ---------------------------------------------------------------- memory (infra/memory.cpp)
// From this size on, buffers are 2 MB aligned with transparent huge pages requested: first-touch
// 4 KB page faults of big fresh buffers cost as much as the transforms on some virtual machines.
constexpr std::size_t kHugePageBytes = std::size_t(2) << 20;

// ---------------------------------------------------------------- syntheses (2D and 3D shearlets)
// Band chunks of a synthesis: partial sums over this many fixed chunks of bands, reduced in chunk
// order (infra/parallel.hpp, reduce_chunks). Fixed: results independent of the thread count;
// 8 keeps up to 8 threads busy while the partial sums stay a small multiple of one spectrum.
constexpr int kSynthesisChunks = 8;
// 2D: chunk partial sums held at once (images per parallel block = this / chunks).
constexpr int kSynthesisItemsPerBlock = 16;
// 2D: complex values per block of the chunk reduction (about 32 KB in float64: L1/L2-resident).
constexpr std::size_t kSynthesisReduceBlock = 2048;

// ---------------------------------------------------------------- 2D filter bank (shearlet2d.cpp)
// Blocks of 1D FFTs of the real-filter path (each ending with a shorter block where needed).
constexpr std::size_t kRowBlock = 16;  // rows per real FFT (r2c, c2r)
constexpr std::size_t kPairBlock = 8;  // rows per complex FFT of a pair (the 8 rows of the AVX2 tiles)
constexpr std::size_t kColBlock = 16;  // columns per complex FFT
// Filters count as real (the transposed real-filter path) when max |imag|^2 <= this * max |psi|^2,
// i.e. max |imag| <= 1e-14 max |psi|: rounding of a real filter's spectrum, not a complex filter.
constexpr double kRealFilterTol2 = 1e-28;
// Two bands per complex FFT (both directions) where that beats two real transforms: with real
// filters in both precisions (the blocked 1D passes; 512^2, 1 thread: decomposition 1.2x
// (float64) / 1.45x (float32), synthesis 1.05x / 1.0x), with complex filters (FFTW's 2D plans)
// in single precision (1.2-1.3x faster syntheses at 128 to 512).
template <typename T> constexpr bool shearlet2d_pairs(int bands, bool real_filters) {
    return bands >= 2 && (real_filters || std::is_same<T, float>::value);
}

// ---------------------------------------------------------------- 3D filter bank (shearlet3d.cpp)
// Pairs of slabs in one complex FFT, in single precision only: FFTW's float real transforms of
// in-cache slabs run no faster than its double ones (distribution builds have SSE2-only float real
// codelets), while one complex FFT of two slabs takes about the time of one real FFT.
template <typename T> constexpr bool shearlet3d_pairs() { return std::is_same<T, float>::value; }

// ---------------------------------------------------------------- Radon transform (radon.cpp)
// The AVX-512 fan-beam / general-spacing kernels gather a detector window of fixed width: they
// serve geometries whose widest pixel footprint is below this many detector bins; wider ones take
// the portable kernels.
constexpr double kRadonMaxVectorFootprint = 1.99;

}  // namespace heuristics
}  // namespace fastshear
