// Bindings of the fused solver steps (cpp/fastshear/prox.hpp): conversion and checks only.
#include "fastshear/prox.hpp"

#include "common.hpp"

namespace fastshear_py {

template <typename T> void add_l1_dual_step(py::module_& m) {
    m.def(
        "l1_dual_step",
        [](py::array_t<T, 0> y, carray<T> kx, carray<T> kx_old, carray<T> w, py::ssize_t band_size, T sigma, int threads) {
            if (!(y.flags() & py::array::c_style) || !y.writeable())
                throw py::value_error("y must be a writeable C-contiguous array of the solver's dtype");
            auto shape = shape_of(y);
            if (shape_of(kx) != shape || shape_of(kx_old) != shape)
                throw py::value_error("l1_dual_step: y, kx and kx_old must have the same shape, got " +
                                      shape_str(shape) + ", " + shape_str(shape_of(kx)) + ", " +
                                      shape_str(shape_of(kx_old)));
            if (w.ndim() != 1 || w.shape(0) < 1) throw py::value_error("l1_dual_step: w must be 1-D and non-empty");
            size_t total = static_cast<size_t>(y.size());
            size_t bands = static_cast<size_t>(w.shape(0));
            if (band_size < 1 || total % (bands * static_cast<size_t>(band_size)) != 0)
                throw py::value_error("l1_dual_step: " + std::to_string(bands) + " weights of bands of " +
                                      std::to_string(band_size) + " values do not tile y of shape " +
                                      shape_str(shape));
            size_t batch = total / (bands * static_cast<size_t>(band_size));
            T* yp = y.mutable_data();
            const T *kp = kx.data(), *op = kx_old.data(), *wp = w.data();
            fastshear::DualStepStats s;
            {
                py::gil_scoped_release nogil;
                s = fastshear::l1_dual_step<T>(yp, kp, op, wp, batch, bands, static_cast<size_t>(band_size), sigma, threads);
            }
            return py::make_tuple(s.value, s.residual);
        },
        py::arg("y"), py::arg("kx"), py::arg("kx_old"), py::arg("w"), py::arg("band_size"), py::arg("sigma"), py::arg("threads") = 0,
        "PDHG dual step for a weighted l1 term, in place on y; returns (l1 value at kx, squared dual residual).");
}

void add_prox(py::module_& m) {
    add_l1_dual_step<double>(m);
    add_l1_dual_step<float>(m);
}

}  // namespace fastshear_py
