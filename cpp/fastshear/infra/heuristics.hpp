// Engine heuristics: every block size, threshold and code-path choice of the transforms, in one
// place, each with what it trades and how it was chosen (as FINUFFT's heuristics.hpp). None of
// them changes a result beyond rounding; those marked "fixed" do not change it at all, because
// results must not depend on the thread count (see infra/parallel.hpp). Change a value here, not
// in an engine, and measure with bench/ (bench/RESULTS.md: date, commit, threads, command).
//
// One choice is the Python layer's, as it is a user's option: DenseNet's default sparse threshold
// (the density at or below which a layer runs from CSR; python/fastshear/nn.py, SPARSE_BELOW,
// passed to the engine's constructor as `sparse_below`).
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
// The AVX-512 fan-beam / general-spacing kernels gather 3 to 6 taps per pixel (the bins a
// footprint narrower than 2, 3, 4, 5 bins can overlap): they serve geometries whose widest pixel
// footprint is below this many detector bins; wider ones take the portable kernels. (With 3 taps
// only, a fan beam magnifying the object's edge 2x fell to the portable kernels, ~40x slower.)
constexpr double kRadonMaxVectorFootprint = 4.99;
// The AVX-512 parallel-beam adjoint with fewer angles than this sets up each image row's chunks one
// angle at a time, vectorised over the chunks (with more, per chunk over the angles, 8 at a time).
constexpr int kRadonFewAngles = 16;
// Threads of the AVX-512 parallel-beam kernels: at most one per this many pixel-angle pairs of an
// image (image pixels x angles). Smaller calls (a few angles: stochastic PDHG's subsets) ran slower
// on two threads than on one (2-core machine, 2026-12-06: the forward at 256 x 256 x 4 angles
// 91 us on 2 threads, 79 us on 1; the adjoint at 128 x 128 x 2 angles 14 us, 10.5 us; bench/radon_small.py).
// The forward's threads share the padded copies of the image, so it needs more work per thread.
constexpr std::size_t kRadonForwardWorkPerThread = std::size_t(1) << 18;
constexpr std::size_t kRadonAdjointWorkPerThread = std::size_t(1) << 16;

// ---------------------------------------------------------------- solver kernels (prox.cpp)
// Values per work item of the ADMM step and the inner products: each item's sum is one partial,
// so the split (and the result's bits) does not depend on the thread count.
constexpr std::size_t kSolverChunk = std::size_t(1) << 14;
// Below this many values an inner product runs on one thread (a parallel region's start-up costs
// about what a 256 x 256 dot does).
constexpr std::size_t kSolverParallelValues = std::size_t(1) << 18;
// Values per partial sum in the working precision inside a chunk of the SPDHG steps (then added
// in float64): short enough that float32 partials stay accurate (~1e-7 relative), long enough to
// vectorise (a float64 accumulator in a float32 loop keeps GCC from vectorising it). Fixed.
constexpr std::size_t kSolverSumBlock = 256;

// ---------------------------------------------------------------- dense networks (dense_net.cpp)
// Below this many multiply-adds per call a second thread costs more than it saves (measured:
// onnxruntime's 2-thread runs of the small nets are slower than its 1-thread runs).
constexpr std::size_t kDenseParallelMacs = std::size_t(1) << 21;
// Rows per chunk. Forward: each chunk streams every weight once (from L3 for nets beyond L2), so
// larger chunks move fewer bytes per flop; 256 rows of activations still fit L2. LRP streams two
// or three matrices per layer (W^T, W+^T and W+ or [W+; W-]) per chunk, and those of a 512-wide
// net are larger than L2, so its chunks are as large too (measured: 256 rows took 0.2-0.3 forward
// passes less than 64 on 64-512x6-256), unless the chunk's activations (every layer's are kept)
// would exceed kDenseLrpScratch bytes.
constexpr std::size_t kDenseChunkForward = 256, kDenseChunkLrp = 256;
constexpr std::size_t kDenseLrpScratch = std::size_t(16) << 20;
// A sparse (CSR) layer on a batch narrower than half a vector gathers x[col] per non-zero weight,
// row by row; that beats the dense kernel only on very sparse layers, at most this density
// (measured: 512 x 512, batch 1, float32: 10 %); denser sparse layers run the dense kernel there.
constexpr double kDenseFewRowsSparse = 0.1;

}  // namespace heuristics
}  // namespace fastshear
