// OpenMP helpers: the caller chooses the thread count; 0 means OpenMP's default (so that
// OMP_NUM_THREADS and threadpoolctl are honoured). Never oversubscribe: a region runs at most
// as many threads as it has work items.
#pragma once

#include <cstddef>
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

}  // namespace fastshear
