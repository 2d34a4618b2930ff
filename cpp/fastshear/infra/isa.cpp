#include "fastshear/infra/isa.hpp"

#include <algorithm>

namespace fastshear {
namespace isa {

const char* name(level l) {
    switch (l) {
        case level::avx512: return "avx512";
        case level::avx2: return "avx2";
        default: return "generic";
    }
}

const std::vector<std::pair<std::string, bool>>& cpu_features() {
    static const std::vector<std::pair<std::string, bool>> f = [] {
        std::vector<std::pair<std::string, bool>> r;
#if FASTSHEAR_ISA_X86
        // libgcc's (or compiler-rt's) CPU model: CPUID, with the operating system's XSAVE state
        // checked for AVX and AVX-512. __builtin_cpu_supports needs a literal: one line each.
        __builtin_cpu_init();
        r.emplace_back("sse2", __builtin_cpu_supports("sse2"));
        r.emplace_back("avx", __builtin_cpu_supports("avx"));
        r.emplace_back("avx2", __builtin_cpu_supports("avx2"));
        r.emplace_back("fma", __builtin_cpu_supports("fma"));
        r.emplace_back("avx512f", __builtin_cpu_supports("avx512f"));
        r.emplace_back("avx512vl", __builtin_cpu_supports("avx512vl"));
        r.emplace_back("avx512dq", __builtin_cpu_supports("avx512dq"));
#endif
        return r;
    }();
    return f;
}

level detected() {
    static const level d = [] {
        auto has = [](const char* f) {
            for (const auto& kv : cpu_features())
                if (kv.first == f) return kv.second;
            return false;
        };
        if (!(has("avx2") && has("fma"))) return level::generic;
        if (has("avx512f") && has("avx512vl") && has("avx512dq")) return level::avx512;
        return level::avx2;
    }();
    return d;
}

namespace detail {
std::atomic<int> chosen{-1};  // constant-initialised: safe to read from any static initialiser
int init() noexcept {
    const int d = static_cast<int>(detected());
    int expected = -1;
    chosen.compare_exchange_strong(expected, d, std::memory_order_relaxed);
    return chosen.load(std::memory_order_relaxed);
}
}  // namespace detail

void limit(level l) noexcept {
    const int v = std::min(static_cast<int>(l), static_cast<int>(detected()));
    detail::chosen.store(std::max(v, 0), std::memory_order_relaxed);
}

}  // namespace isa
}  // namespace fastshear
