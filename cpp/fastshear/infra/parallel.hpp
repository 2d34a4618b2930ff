// Threading of the core: OpenMP, with these helpers (the dense network's sub-millisecond calls
// run on infra/task_pool.hpp instead, measured faster there). The caller chooses the thread count; 0 means
// OpenMP's default (so that OMP_NUM_THREADS and threadpoolctl are honoured). Never oversubscribe:
// a region runs at most as many threads as it has work items. Results never depend on the thread
// count: sums that threads share are cut into fixed chunks (chunk_range) and reduced in chunk
// order (reduce_chunks).
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastshear {

inline int default_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

// Threads to use for `work` independent items when the caller asked for `requested` (0: default).
inline int resolve_threads(int requested, std::size_t work) {
    int t = requested > 0 ? requested : default_threads();
    if (work < static_cast<std::size_t>(t)) t = static_cast<int>(work > 0 ? work : 1);
    return t < 1 ? 1 : t;
}

inline int thread_id() {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

}  // namespace fastshear

#include <exception>
#include <mutex>

namespace fastshear {

// Carries the first exception thrown inside an OpenMP region out of it (an exception that
// escapes a region terminates the process).
class region_errors {
  public:
    template <typename F> void run(F&& f) noexcept {
        try {
            f();
        } catch (...) {
            std::lock_guard<std::mutex> lock(m_);
            if (!e_) e_ = std::current_exception();
        }
    }
    void rethrow() const {
        if (e_) std::rethrow_exception(e_);
    }

  private:
    std::mutex m_;
    std::exception_ptr e_;
};

// ---------------------------------------------------------------- deterministic chunked sums
// A sum over `n` terms computed in parallel is cut into `nch` fixed chunks (a number that does not
// depend on the thread count, e.g. heuristics::kSynthesisChunks): chunk `ch` covers the terms
// [first, second), each chunk is summed in term order into its own partial array, and the
// partials are reduced by reduce_chunks, in chunk order. Any thread count gives the same bits.
inline std::pair<std::size_t, std::size_t> chunk_range(std::size_t n, int nch, int ch) {
    return {static_cast<std::size_t>(ch) * n / static_cast<std::size_t>(nch),
            static_cast<std::size_t>(ch + 1) * n / static_cast<std::size_t>(nch)};
}

// acc[j] += p[j], j < n: reduce_chunks' default adder.
template <typename T> struct add_in_order {
    void operator()(T* __restrict acc, const T* __restrict p, std::size_t n) const {
#pragma omp simd
        for (std::size_t j = 0; j < n; ++j) acc[j] += p[j];
    }
};

// No epilogue.
struct no_epilogue {
    template <typename T> void operator()(T*, std::size_t, std::size_t) const {}
};

// The reduction of chunked partial sums. `items` independent sums (e.g. the images of a batch):
// item i holds `nch` partial arrays of `len` values at data + i * item_stride + ch * chunk_stride.
// Chunks 1 .. nch-1 are added into chunk 0 in chunk order, element-wise, in blocks of `block`
// values shared among the threads (any split gives the same sums); add(acc, p, count) adds one
// block of a chunk (default: add_in_order; an engine may pass its SIMD kernel). Then, while the
// block is in cache, epilogue(item, offset, count) runs on it (item: chunk 0 of the item, the
// block being item[offset, offset + count)), e.g. a weighting. No exception may escape add or
// epilogue (they run inside an OpenMP region).
template <typename T, typename Add = add_in_order<T>, typename Epilogue = no_epilogue>
void reduce_chunks(T* data, std::size_t items, std::size_t item_stride, int nch, std::size_t chunk_stride,
                   std::size_t len, std::size_t block, int threads, Add add = Add(), Epilogue epilogue = Epilogue()) {
    if (items == 0 || len == 0) return;
    const std::size_t nblk = (len + block - 1) / block;
    const int nt = resolve_threads(threads, items * nblk);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long w = 0; w < static_cast<long>(items * nblk); ++w) {
        const std::size_t i = static_cast<std::size_t>(w) / nblk, j0 = (static_cast<std::size_t>(w) % nblk) * block;
        const std::size_t n = std::min(block, len - j0);
        T* item = data + i * item_stride;
        for (int ch = 1; ch < nch; ++ch) add(item + j0, item + static_cast<std::size_t>(ch) * chunk_stride + j0, n);
        epilogue(item, j0, n);
    }
}

}  // namespace fastshear
