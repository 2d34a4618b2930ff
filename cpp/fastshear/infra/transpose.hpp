// Out-of-place transposes of the core: b[j ldb + i] = a[i lda + j] for i < rows, j < cols (a has
// `rows` rows of leading dimension lda, b gets `cols` rows of leading dimension ldb). Two
// strategies, each where it was measured faster:
//   transpose_blocked: direct B x B blocks (the dense network's activations; complex doubles);
//   transpose_tiled:   B x B tiles gathered in a local buffer, so that each cache line of a and of
//                      b is touched once also when the leading dimensions are multiples of 4 KB
//                      (complex floats as 64-bit units: a direct blocked loop was 1.6x slower at
//                      512 x 512 in the 2D shearlets' real-filter path).
// transpose_complex picks the measured one for interleaved complex arrays (n values = 2n reals).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace fastshear {

// One complex float or double as a unit that may alias the interleaved reals.
typedef std::uint64_t u64_alias __attribute__((may_alias));
struct __attribute__((may_alias)) cd_unit {
    double re, im;
};

template <typename U, std::size_t B = 16>
inline void transpose_blocked(const U* a, std::size_t lda, U* b, std::size_t ldb, std::size_t rows, std::size_t cols) {
    for (std::size_t i0 = 0; i0 < rows; i0 += B)
        for (std::size_t j0 = 0; j0 < cols; j0 += B) {
            const std::size_t i1 = std::min(rows, i0 + B), j1 = std::min(cols, j0 + B);
            for (std::size_t j = j0; j < j1; ++j)
                for (std::size_t i = i0; i < i1; ++i) b[j * ldb + i] = a[i * lda + j];
        }
}

template <typename U, std::size_t B = 8>
inline void transpose_tiled(const U* a, std::size_t lda, U* b, std::size_t ldb, std::size_t rows, std::size_t cols) {
    U tile[B][B];
    for (std::size_t i0 = 0; i0 < rows; i0 += B)
        for (std::size_t j0 = 0; j0 < cols; j0 += B) {
            if (i0 + B <= rows && j0 + B <= cols) {
                for (std::size_t i = 0; i < B; ++i)
                    for (std::size_t j = 0; j < B; ++j) tile[j][i] = a[(i0 + i) * lda + j0 + j];
                for (std::size_t j = 0; j < B; ++j)
                    for (std::size_t i = 0; i < B; ++i) b[(j0 + j) * ldb + i0 + i] = tile[j][i];
            } else {
                const std::size_t i1 = std::min(rows, i0 + B), j1 = std::min(cols, j0 + B);
                for (std::size_t i = i0; i < i1; ++i)
                    for (std::size_t j = j0; j < j1; ++j) b[j * ldb + i] = a[i * lda + j];
            }
        }
}

// Interleaved complex arrays; lda, ldb, rows and cols count complex values.
inline void transpose_complex(const float* a, std::size_t lda, float* b, std::size_t ldb, std::size_t rows,
                              std::size_t cols) {
    transpose_tiled(reinterpret_cast<const u64_alias*>(a), lda, reinterpret_cast<u64_alias*>(b), ldb, rows, cols);
}
inline void transpose_complex(const double* a, std::size_t lda, double* b, std::size_t ldb, std::size_t rows,
                              std::size_t cols) {
    transpose_blocked(reinterpret_cast<const cd_unit*>(a), lda, reinterpret_cast<cd_unit*>(b), ldb, rows, cols);
}

}  // namespace fastshear
