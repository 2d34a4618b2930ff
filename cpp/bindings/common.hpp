// Array conversion shared by every binding file: checked views of C-contiguous numpy arrays and
// aligned output arrays. No algorithm lives here.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "fastshear/fft.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fastshear_py {
namespace py = pybind11;

// C-contiguous, converted to T and aligned to alignof(T): numpy copies an odd-address view
// (a buffer sliced at a byte offset) instead of handing the core a misaligned T* (UB, and
// misaligned for the vector loads).
template <typename T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast | py::detail::npy_api::NPY_ARRAY_ALIGNED_>;

// Whether p is aligned for T (the in-place and `out` arrays, which are never converted).
template <typename T> inline bool is_aligned(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % alignof(T) == 0;
}

inline std::string shape_str(const std::vector<py::ssize_t>& s) {
    std::string r = "(";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + (s.size() == 1 ? ",)" : ")");
}

inline std::vector<py::ssize_t> shape_of(const py::array& a) {
    return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

// Raise ValueError unless a has exactly the given shape (-1 matches any extent).
inline void require_shape(const py::array& a, const std::vector<py::ssize_t>& want, const char* what) {
    auto got = shape_of(a);
    bool ok = got.size() == want.size();
    for (size_t i = 0; ok && i < want.size(); ++i) ok = want[i] < 0 || want[i] == got[i];
    if (!ok)
        throw py::value_error(std::string(what) + ": expected shape " + shape_str(want) + ", got " + shape_str(got));
}

// A new C-contiguous array on the core's allocator (64-byte aligned, huge pages when large), so
// band-wise FFTs write straight into it.
template <typename T> py::array_t<T> aligned_empty(const std::vector<py::ssize_t>& shape) {
    size_t n = 1;
    for (auto s : shape) n *= static_cast<size_t>(s);
    void* p = fastshear::alloc_aligned(n * sizeof(T));
    py::capsule owner(p, [](void* q) { fastshear::free_aligned(q); });
    return py::array_t<T>(shape, static_cast<T*>(p), owner);
}

// The result array of a call: `out` when the caller passed one (None: a new aligned_empty array).
// The Python layer has validated `out`; this re-checks what memory safety depends on, so that a
// direct call of the bindings cannot write out of bounds, and never converts (a converted copy
// would silently drop the result).
template <typename T> py::array_t<T> output_array(const py::object& out, const std::vector<py::ssize_t>& shape) {
    if (out.is_none()) return aligned_empty<T>(shape);
    if (!py::isinstance<py::array_t<T, py::array::c_style>>(out))
        throw py::type_error("out must be a C-contiguous numpy array of the plan's dtype");
    auto a = py::reinterpret_borrow<py::array>(out);
    if (!a.writeable()) throw py::value_error("out must be writeable");
    if (!is_aligned<T>(a.data())) throw py::value_error("out must be aligned to its item size");
    require_shape(a, shape, "out");
    return py::reinterpret_borrow<py::array_t<T>>(a);
}

}  // namespace fastshear_py
