// fastshear._core: joins the per-subsystem binding files into one module.
#include "fastshear/fft.hpp"
#include "fastshear/infra/parallel.hpp"
#include "fastshear/platform.hpp"

#include <pybind11/stl.h>

#include "common.hpp"

namespace fastshear_py {
void add_fft(py::module_& m);
void add_shearlet2d(py::module_& m);
void add_shearlet3d(py::module_& m);
void add_prox(py::module_& m);
void add_radon(py::module_& m);
void add_dense_net(py::module_& m);
void add_testing(py::module_& m);
}  // namespace fastshear_py

PYBIND11_MODULE(_core, m) {
    m.doc() = "fastshear's C++ core (FFTW + OpenMP). Use the fastshear package, not this module.";
    m.def("default_threads", &fastshear::default_threads, "OpenMP's default thread count.");
    m.def("set_planner_effort", &fastshear::set_planner_effort, pybind11::arg("effort"),
          "FFTW planner rigour for plans made from now on: 0 estimate, 1 measure (default), 2 patient.");
    m.def("planner_effort", &fastshear::planner_effort);
    m.def("plans_created", &fastshear::plans_created);
    m.def("import_wisdom", &fastshear::import_wisdom, pybind11::arg("path_double"), pybind11::arg("path_float"),
          pybind11::call_guard<pybind11::gil_scoped_release>());
    m.def("export_wisdom", &fastshear::export_wisdom, pybind11::arg("path_double"), pybind11::arg("path_float"),
          pybind11::call_guard<pybind11::gil_scoped_release>());
    m.def(
        "build_info",
        [] {
            pybind11::dict d;
            d["fftw_version"] = fastshear::fftw_version_double();
            d["fftwf_version"] = fastshear::fftw_version_float();
            d["arch"] = fastshear::build_arch();
            d["cpu_features"] = fastshear::cpu_features();
            d["kernels"] = fastshear::chosen_kernels();
            return d;
        },
        "The FFTW versions loaded, the target architecture, the CPU features the run-time dispatch "
        "tests and the kernel chosen per family (see fastshear info).");
    fastshear_py::add_fft(m);
    fastshear_py::add_shearlet2d(m);
    fastshear_py::add_shearlet3d(m);
    fastshear_py::add_prox(m);
    fastshear_py::add_radon(m);
    fastshear_py::add_dense_net(m);
    fastshear_py::add_testing(m);
}
