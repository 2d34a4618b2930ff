#include "fastshear/radon.hpp"

#include "common.hpp"

namespace fastshear_py {

template <typename T> void add_radon_class(py::module_& m, const char* name) {
    using R = fastshear::Radon2D<T>;
    py::class_<R>(m, name)
        .def(py::init([](int rows, int cols, int n_det, double det_spacing, bool circle, bool fan,
                         double source_distance, double detector_distance, carray<double> theta) {
                 if (theta.ndim() != 1) throw py::value_error("theta must be one-dimensional");
                 fastshear::RadonGeometry g;
                 g.rows = rows;
                 g.cols = cols;
                 g.n_det = n_det;
                 g.det_spacing = det_spacing;
                 g.circle = circle;
                 g.fan = fan;
                 g.source_distance = source_distance;
                 g.detector_distance = detector_distance;
                 g.theta.assign(theta.data(), theta.data() + theta.shape(0));
                 py::gil_scoped_release nogil;
                 return std::make_unique<R>(g);
             }),
             py::arg("rows"), py::arg("cols"), py::arg("n_det"), py::arg("det_spacing"), py::arg("circle"),
             py::arg("fan"), py::arg("source_distance"), py::arg("detector_distance"), py::arg("theta"))
        .def(
            "forward",
            [](const R& r, carray<T> x, int threads) {
                const auto& g = r.geometry();
                require_shape(x, {-1, g.rows, g.cols}, "forward input");
                auto out = aligned_empty<T>({x.shape(0), r.n_angles(), g.n_det});
                const T* xp = x.data();
                T* op = out.mutable_data();
                size_t batch = x.shape(0);
                py::gil_scoped_release nogil;
                r.forward(xp, op, batch, threads);
                return out;
            },
            py::arg("x"), py::arg("threads") = 0)
        .def(
            "adjoint",
            [](const R& r, carray<T> s, int threads, bool interp) {
                const auto& g = r.geometry();
                require_shape(s, {-1, r.n_angles(), g.n_det}, "sinogram");
                auto out = aligned_empty<T>({s.shape(0), g.rows, g.cols});
                const T* sp = s.data();
                T* op = out.mutable_data();
                size_t batch = s.shape(0);
                py::gil_scoped_release nogil;
                if (interp)
                    r.backproject_interp(sp, op, batch, threads);
                else
                    r.adjoint(sp, op, batch, threads);
                return out;
            },
            py::arg("sino"), py::arg("threads") = 0, py::arg("interp") = false)
        .def(
            "filter",
            [](const R& r, carray<T> s, carray<double> preweight, carray<double> response, int pad, int threads) {
                const auto& g = r.geometry();
                require_shape(s, {-1, r.n_angles(), g.n_det}, "sinogram");
                require_shape(preweight, {r.n_angles(), g.n_det}, "preweight");
                if (pad < g.n_det) throw py::value_error("pad must be >= n_det");
                require_shape(response, {pad / 2 + 1}, "response");
                auto out = aligned_empty<T>({s.shape(0), r.n_angles(), g.n_det});
                const T* sp = s.data();
                const double* pw = preweight.data();
                const double* rp = response.data();
                T* op = out.mutable_data();
                size_t batch = s.shape(0);
                py::gil_scoped_release nogil;
                r.filter(sp, op, batch, pw, rp, pad, threads);
                return out;
            },
            py::arg("sino"), py::arg("preweight"), py::arg("response"), py::arg("pad"), py::arg("threads") = 0);
}

void add_radon(py::module_& m) {
    add_radon_class<float>(m, "Radon2D_f32");
    add_radon_class<double>(m, "Radon2D_f64");
}

}  // namespace fastshear_py
