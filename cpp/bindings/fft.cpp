#include "fastshear/fft.hpp"

#include "common.hpp"

namespace fastshear_py {

void add_fft(py::module_& m) {
    m.def("rfft2",
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
}

}  // namespace fastshear_py
