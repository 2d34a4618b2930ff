#include "fastshear/fft.hpp"
#include "fastshear/fourier_multiplier.hpp"

#include "common.hpp"

namespace fastshear_py {

namespace {

// x: (batch, n, m) of T; h is converted to T; out (optional) receives the result.
template <typename T>
py::array_t<T> fourier_multiply2d_t(py::array x_in, py::handle h_in, const py::object& out, int threads) {
    auto x = carray<T>::ensure(x_in);
    auto h = carray<T>::ensure(h_in);
    if (!x || !h) throw py::type_error("fourier_multiply2d: x and h must be real arrays");
    if (x.ndim() != 3) throw py::value_error("fourier_multiply2d: expected a (batch, n, m) array x");
    const py::ssize_t b = x.shape(0), n = x.shape(1), m = x.shape(2);
    require_shape(h, {n, m / 2 + 1}, "fourier_multiply2d: h");
    auto y = output_array<T>(out, {b, n, m});
    const T *xp = x.data(), *hp = h.data();
    T* yp = y.mutable_data();
    {
        py::gil_scoped_release nogil;
        fastshear::fourier_multiply2d<T>(xp, hp, yp, static_cast<size_t>(b), static_cast<int>(n), static_cast<int>(m),
                                         threads);
    }
    return y;
}

}  // namespace

void add_fft(py::module_& m) {
    m.def(
        "rfft2",
        [](carray<double> x, int threads) {
            if (x.ndim() != 3) throw py::value_error("rfft2: expected a (batch, n, m) array");
            const int n = static_cast<int>(x.shape(1)), mm = static_cast<int>(x.shape(2));
            auto out = aligned_empty<std::complex<double>>({x.shape(0), n, mm / 2 + 1});
            const double* xp = x.data();
            auto* op = out.mutable_data();
            const size_t batch = x.shape(0);
            py::gil_scoped_release nogil;
            fastshear::rfft2_batch(xp, op, batch, n, mm, threads);
            return out;
        },
        py::arg("x"), py::arg("threads") = 0,
        "numpy.fft.rfft2 over the last two axes of a (batch, n, m) float64 array, with FFTW.");
    m.def(
        "fourier_multiply2d",
        [](py::array x, py::handle h, py::object out, int threads) -> py::array {
            if (x.dtype().is(py::dtype::of<float>())) return fourier_multiply2d_t<float>(x, h, out, threads);
            return fourier_multiply2d_t<double>(x, h, out, threads);
        },
        py::arg("x"), py::arg("h"), py::arg("out") = py::none(), py::arg("threads") = 0,
        "irfft2(h * rfft2(x)) over the last two axes of a (batch, n, m) float32 (else float64) array, "
        "h real of shape (n, m // 2 + 1), with FFTW; out (optional) receives the result.");
}

}  // namespace fastshear_py
