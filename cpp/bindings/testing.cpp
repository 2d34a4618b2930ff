// fastshear._core._testing: hooks for the tests (fastshear/_testing.py wraps them). Not part of
// the API: the plan classes of _core carry no test hooks.
#include "fastshear/infra/isa.hpp"
#include "fastshear/radon.hpp"

#include "common.hpp"

namespace fastshear_py {

void add_testing(py::module_& m) {
    auto t = m.def_submodule("_testing", "Test hooks of the core (private; use fastshear._testing).");
    // Instruction sets (infra/isa.hpp): the level the engines use now, the widest this CPU runs,
    // and a cap on it (0 generic, 1 avx2, 2 avx512; process-wide, for the plans and networks
    // built and the calls made from then on).
    t.def("isa_level", [] { return static_cast<int>(fastshear::isa::best()); });
    t.def("isa_detected", [] { return static_cast<int>(fastshear::isa::detected()); });
    t.def(
        "isa_limit",
        [](int l) {
            fastshear::isa::limit(static_cast<fastshear::isa::level>(l < 0 ? 0 : l > 2 ? 2 : l));
        },
        py::arg("level"));
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
