// Bindings of the fused solver steps (cpp/fastshear/prox.hpp): conversion and checks only.
#include "fastshear/prox.hpp"

#include "common.hpp"

namespace fastshear_py {

namespace {

// y is updated in place, so it is never converted: its dtype picks the precision, the other
// arrays are converted to it.
template <typename T>
py::tuple l1_dual_step_t(py::array y, py::handle kx_in, py::handle old_in, py::handle w_in, py::ssize_t band_size,
                         double sigma, double theta, int threads) {
    auto kx = carray<T>::ensure(kx_in);
    auto kx_old = carray<T>::ensure(old_in);
    auto w = carray<T>::ensure(w_in);
    if (!kx || !kx_old || !w) throw py::type_error("l1_dual_step: kx, kx_old and w must be real arrays");
    auto shape = shape_of(y);
    if (shape_of(kx) != shape || shape_of(kx_old) != shape)
        throw py::value_error("l1_dual_step: y, kx and kx_old must have the same shape, got " + shape_str(shape) +
                              ", " + shape_str(shape_of(kx)) + ", " + shape_str(shape_of(kx_old)));
    if (w.ndim() != 1 || w.shape(0) < 1) throw py::value_error("l1_dual_step: w must be 1-D and non-empty");
    size_t total = static_cast<size_t>(y.size());
    size_t bands = static_cast<size_t>(w.shape(0));
    if (band_size < 1 || total % (bands * static_cast<size_t>(band_size)) != 0)
        throw py::value_error("l1_dual_step: " + std::to_string(bands) + " weights of bands of " +
                              std::to_string(band_size) + " values do not tile y of shape " + shape_str(shape));
    size_t batch = total / (bands * static_cast<size_t>(band_size));
    if (!is_aligned<T>(y.data())) throw py::value_error("l1_dual_step: y must be aligned to its item size");
    T* yp = static_cast<T*>(y.mutable_data());
    const T *kp = kx.data(), *op = kx_old.data(), *wp = w.data();
    fastshear::DualStepStats s;
    {
        py::gil_scoped_release nogil;
        s = fastshear::l1_dual_step<T>(yp, kp, op, wp, batch, bands, static_cast<size_t>(band_size),
                                       static_cast<T>(sigma), static_cast<T>(theta), threads);
    }
    return py::make_tuple(s.value, s.residual);
}

}  // namespace

void add_prox(py::module_& m) {
    m.def(
        "l1_dual_step",
        [](py::array y, py::object kx, py::object kx_old, py::object w, py::ssize_t band_size, double sigma,
           double theta, int threads) -> py::tuple {
            if (!(y.flags() & py::array::c_style) || !y.writeable())
                throw py::value_error("l1_dual_step: y must be a writeable C-contiguous array");
            if (y.dtype().is(py::dtype::of<double>()))
                return l1_dual_step_t<double>(y, kx, kx_old, w, band_size, sigma, theta, threads);
            if (y.dtype().is(py::dtype::of<float>()))
                return l1_dual_step_t<float>(y, kx, kx_old, w, band_size, sigma, theta, threads);
            throw py::type_error("l1_dual_step: y must be float32 or float64, got " +
                                 std::string(py::str(y.dtype())));
        },
        py::arg("y"), py::arg("kx"), py::arg("kx_old"), py::arg("w"), py::arg("band_size"), py::arg("sigma"),
        py::arg("theta") = 1.0, py::arg("threads") = 0,
        "PDHG dual step for a weighted l1 term, in place on y; returns (l1 value at kx, squared dual residual).");
}

}  // namespace fastshear_py
