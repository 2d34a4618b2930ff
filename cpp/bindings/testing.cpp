// fastshear._core._testing: hooks for the tests (fastshear/_testing.py wraps them). Not part of
// the API: the plan classes of _core carry no test hooks.
#include "fastshear/radon.hpp"

#include "common.hpp"

namespace fastshear_py {

void add_testing(py::module_& m) {
    auto t = m.def_submodule("_testing", "Test hooks of the core (private; use fastshear._testing).");
    // Radon kernels: 0 fastest available, 1 portable reference only, 2 no AVX-512 (Radon2D::set_kernel)
    t.def(
        "radon_set_kernel", [](fastshear::Radon2D<float>& r, int k) { r.set_kernel(k); }, py::arg("plan"),
        py::arg("kernel"));
    t.def(
        "radon_set_kernel", [](fastshear::Radon2D<double>& r, int k) { r.set_kernel(k); }, py::arg("plan"),
        py::arg("kernel"));
    t.def(
        "radon_vector_kernels", [](const fastshear::Radon2D<float>& r) { return r.vector_kernels(); }, py::arg("plan"));
    t.def(
        "radon_vector_kernels", [](const fastshear::Radon2D<double>& r) { return r.vector_kernels(); },
        py::arg("plan"));
}

}  // namespace fastshear_py
