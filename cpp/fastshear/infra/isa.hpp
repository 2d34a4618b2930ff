// Instruction-set dispatch of the core: one CPU-feature query (made once, cached) and one way an
// engine picks a kernel. The distributed build carries no -march flag, so code for wider
// instruction sets is compiled beside the baseline and chosen at run time.
//
// The idiom. A kernel family is compiled once per level it gains from, either
//   - in a translation unit of its own per level (CMake sets that file's flags; the dense
//     network's GEMM, dense_kernels_{generic,avx2,avx512}.cpp), or
//   - in place, with FASTSHEAR_TARGET_AVX2 / FASTSHEAR_TARGET_AVX512 on the function (the Radon
//     AVX-512 kernels, the 2D shearlets' AVX2 tiles) or, for one plain C++ body compiled for
//     every level, FASTSHEAR_ISA_VARIANTS + FASTSHEAR_ISA_DISPATCH below (the complex kernels);
// and the engine runs the variant of isa::best(): `if (isa::best() >= isa::level::avx512) ...`.
// Nothing else in the core asks the CPU (no __builtin_cpu_supports, no target_clones, no
// environment variable), so fastshear.show_config() (platform.cpp) reports what runs, and a test
// can force a narrower level (isa::limit, through fastshear._testing) to run every variant on
// one machine. Intrinsics stay behind FASTSHEAR_ISA_X86: the core compiles for any target (the
// aarch64 cross check), where best() is level::generic and the baseline (NEON on aarch64, which
// the auto-vectoriser uses) is the portable fallback.
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)  // GCC or clang for x86-64
#define FASTSHEAR_ISA_X86 1
#define FASTSHEAR_TARGET_AVX2 __attribute__((target("avx2")))
#define FASTSHEAR_TARGET_AVX512 __attribute__((target("avx512f")))
#else
#define FASTSHEAR_ISA_X86 0
#endif

namespace fastshear {
namespace isa {

// The levels, ordered: each implies the ones below it.
//   generic: the target's baseline (x86-64: SSE2).
//   avx2:    AVX2 and FMA.
//   avx512:  AVX-512 F, VL and DQ, with AVX2 and FMA.
enum class level : int { generic = 0, avx2 = 1, avx512 = 2 };
const char* name(level l);  // "generic", "avx2", "avx512"

// (feature, present) for every feature the levels above look at (empty off x86-64): the query,
// made once per process.
const std::vector<std::pair<std::string, bool>>& cpu_features();

// The widest level this CPU (and its operating system) runs.
level detected();

namespace detail {
extern std::atomic<int> chosen;  // -1 until the first best()
int init() noexcept;
}  // namespace detail

// The level the engines use now: detected(), or less after limit(). Engines read it when they
// choose (a dense network when it is built, the transforms on every call), never cache it longer.
inline level best() noexcept {
    const int v = detail::chosen.load(std::memory_order_relaxed);
    return static_cast<level>(v >= 0 ? v : detail::init());
}

// For tests and comparisons (fastshear._testing.isa): the engines use at most `l` from now on
// (min(l, detected())); limit(level::avx512) restores the default. Process-wide.
void limit(level l) noexcept;

}  // namespace isa
}  // namespace fastshear

// One plain C++ body compiled for every level, and its dispatch. DEFS(ATTR) is a macro that
// defines functions with ATTR in front of each; FASTSHEAR_ISA_VARIANTS(DEFS) defines them in the
// namespaces isa_generic, isa_avx2, isa_avx512 (the last two on x86-64 only);
// FASTSHEAR_ISA_CALL(f, args...) is a statement that calls the variant of isa::best(), and
// FASTSHEAR_ISA_DISPATCH(f) defines f(args...) doing that for every overload of f.
// Use inside an unnamed namespace (each translation unit gets its own copies).
// On x86-64 the baseline variant stays out of line like the others (FASTSHEAR_TARGET_GENERIC), so
// that the callers' loops keep the shape they had with one call per kernel.
#define FASTSHEAR_ISA_NOATTR
#if FASTSHEAR_ISA_X86
#define FASTSHEAR_TARGET_GENERIC __attribute__((noinline))
#define FASTSHEAR_ISA_VARIANTS(DEFS) \
    namespace isa_generic {          \
    DEFS(FASTSHEAR_TARGET_GENERIC)   \
    }                                \
    namespace isa_avx2 {             \
    DEFS(FASTSHEAR_TARGET_AVX2)      \
    }                                \
    namespace isa_avx512 {           \
    DEFS(FASTSHEAR_TARGET_AVX512)    \
    }
#define FASTSHEAR_ISA_CALL(f, ...)                                               \
    switch (::fastshear::isa::best()) {                                          \
        case ::fastshear::isa::level::avx512: isa_avx512::f(__VA_ARGS__); break; \
        case ::fastshear::isa::level::avx2: isa_avx2::f(__VA_ARGS__); break;     \
        default: isa_generic::f(__VA_ARGS__); break;                             \
    }
#else
#define FASTSHEAR_ISA_VARIANTS(DEFS) \
    namespace isa_generic {          \
    DEFS(FASTSHEAR_ISA_NOATTR)       \
    }
#define FASTSHEAR_ISA_CALL(f, ...) isa_generic::f(__VA_ARGS__)
#endif
#define FASTSHEAR_ISA_DISPATCH(f) \
    template <typename... A> [[maybe_unused]] inline void f(A... a) { FASTSHEAR_ISA_CALL(f, a...); }
