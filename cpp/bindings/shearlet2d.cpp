#include "fastshear/shearlet2d.hpp"

#include "common.hpp"

namespace fastshear_py {

template <typename T> void add_bank(py::module_& m, const char* name) {
    using Bank = fastshear::FilterBank2D<T>;
    py::class_<Bank>(m, name)
        // The number of columns cannot be read off a half spectrum (M and M+1 share M//2+1).
        .def(py::init([](carray<std::complex<double>> filters, int cols) {
                 if (filters.ndim() != 3 || filters.shape(2) != cols / 2 + 1)
                     throw py::value_error("filters must be (K, N, cols//2+1)");
                 int k = static_cast<int>(filters.shape(0)), n = static_cast<int>(filters.shape(1));
                 std::unique_ptr<Bank> b;
                 {
                     py::gil_scoped_release nogil;
                     b = std::make_unique<Bank>(n, cols, k, filters.data());
                 }
                 return b;
             }),
             py::arg("filters"), py::arg("cols"))
        .def_property_readonly("rows", &Bank::rows)
        .def_property_readonly("cols", &Bank::cols)
        .def_property_readonly("bands", &Bank::bands)
        .def_property_readonly(
            "dual_weights",
            [](const Bank& b) {
                py::array_t<double> w({static_cast<py::ssize_t>(b.rows()), static_cast<py::ssize_t>(b.cols() / 2 + 1)});
                std::copy(b.dual_weights().begin(), b.dual_weights().end(), w.mutable_data());
                return w;
            })
        .def_property_readonly("band_energies",
                               [](const Bank& b) {
                                   return py::array_t<double>(static_cast<py::ssize_t>(b.band_energies().size()),
                                                              b.band_energies().data());
                               })
        .def(
            "forward",
            [](const Bank& b, carray<T> x, int threads, py::object out_arg) {
                require_shape(x, {-1, b.rows(), b.cols()}, "forward input");
                auto out = output_array<T>(out_arg, {x.shape(0), b.bands(), b.rows(), b.cols()});
                const T* xp = x.data();
                T* op = out.mutable_data();
                size_t batch = x.shape(0);
                py::gil_scoped_release nogil;
                b.forward(xp, op, batch, threads);
                return out;
            },
            py::arg("x"), py::arg("threads") = 0, py::arg("out") = py::none())
        .def(
            "adjoint",
            [](const Bank& b, carray<T> c, int threads, bool dual, py::object out_arg) {
                require_shape(c, {-1, b.bands(), b.rows(), b.cols()}, "coefficients");
                auto out = output_array<T>(out_arg, {c.shape(0), b.rows(), b.cols()});
                const T* cp = c.data();
                T* op = out.mutable_data();
                size_t batch = c.shape(0);
                py::gil_scoped_release nogil;
                if (dual)
                    b.inverse(cp, op, batch, threads);
                else
                    b.adjoint(cp, op, batch, threads);
                return out;
            },
            py::arg("c"), py::arg("threads") = 0, py::arg("dual") = false, py::arg("out") = py::none());
}

void add_shearlet2d(py::module_& m) {
    add_bank<float>(m, "FilterBank2D_f32");
    add_bank<double>(m, "FilterBank2D_f64");
}

}  // namespace fastshear_py
