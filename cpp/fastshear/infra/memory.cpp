#include "fastshear/infra/memory.hpp"

#include "fastshear/infra/heuristics.hpp"

#include <sys/mman.h>

#include <cstdlib>

namespace fastshear {

void* alloc_aligned(size_t bytes) {
    constexpr size_t huge = heuristics::kHugePageBytes;
    bytes = bytes ? bytes : 1;
    const size_t align = bytes >= huge ? huge : 64;
    bytes = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, bytes);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (align == huge) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void free_aligned(void* p) noexcept { std::free(p); }

}  // namespace fastshear
