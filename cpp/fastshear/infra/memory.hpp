// Memory of the core: one aligned allocator (for the engines' buffers and the bindings' output
// arrays) and aligned_buffer, its owning handle. Nothing here knows of FFTW; fft.hpp includes this.
#pragma once

#include <cstddef>
#include <new>

namespace fastshear {

// Memory for FFT-sized buffers: 64-byte aligned (at least FFTW's SIMD alignment, so plans made on
// one buffer run on any other); from 2 MB on, 2 MB aligned with transparent huge pages requested,
// because first-touch 4 KB page faults of big fresh buffers cost as much as the transforms on some
// virtual machines. The one allocator of the core and of the bindings' output arrays.
void* alloc_aligned(size_t bytes);  // throws std::bad_alloc
void free_aligned(void* p) noexcept;

// n complex values rounded up to a multiple of 8 (at least 64 bytes): the parts of a scratch block
// cut at such offsets all stay aligned like the block.
inline size_t up8(size_t n) { return (n + 7) / 8 * 8; }

// An aligned buffer of n elements of U (uninitialised), see alloc_aligned.
template <typename U> class aligned_buffer {
  public:
    aligned_buffer() = default;
    explicit aligned_buffer(size_t n) : n_(n) {
        if (n) p_ = static_cast<U*>(alloc_aligned(n * sizeof(U)));
    }
    aligned_buffer(const aligned_buffer&) = delete;
    aligned_buffer& operator=(const aligned_buffer&) = delete;
    aligned_buffer(aligned_buffer&& o) noexcept : p_(o.p_), n_(o.n_) {
        o.p_ = nullptr;
        o.n_ = 0;
    }
    aligned_buffer& operator=(aligned_buffer&& o) noexcept {
        if (this != &o) {
            reset();
            p_ = o.p_;
            n_ = o.n_;
            o.p_ = nullptr;
            o.n_ = 0;
        }
        return *this;
    }
    ~aligned_buffer() { reset(); }
    U* data() { return p_; }
    const U* data() const { return p_; }
    size_t size() const { return n_; }
    U& operator[](size_t i) { return p_[i]; }
    const U& operator[](size_t i) const { return p_[i]; }

  private:
    void reset() {
        free_aligned(p_);
        p_ = nullptr;
    }
    U* p_ = nullptr;
    size_t n_ = 0;
};

}  // namespace fastshear
