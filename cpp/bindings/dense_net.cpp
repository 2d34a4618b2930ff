#include "fastshear/dense_net.hpp"

#include "common.hpp"

#include <pybind11/stl.h>

#include <optional>

namespace fastshear_py {

template <typename T> void add_net(py::module_& m, const char* name) {
    using Net = fastshear::DenseNet<T>;
    py::class_<Net>(m, name)
        .def(py::init([](py::list weights, py::list biases, std::vector<std::string> acts, double sparse_below) {
                 const size_t L = weights.size();
                 if (L == 0 || biases.size() != L || acts.size() + 1 != L)
                     throw py::value_error("DenseNet: need L >= 1 weights, L biases and L - 1 activations");
                 std::vector<carray<T>> ws, bs;
                 std::vector<int> widths;
                 for (size_t l = 0; l < L; ++l) {
                     ws.push_back(weights[l].cast<carray<T>>());
                     bs.push_back(biases[l].cast<carray<T>>());
                     if (ws[l].ndim() != 2) throw py::value_error("weights[" + std::to_string(l) + "] must be 2-D");
                     if (l == 0) widths.push_back(static_cast<int>(ws[0].shape(1)));
                     require_shape(ws[l], {-1, widths.back()}, ("weights[" + std::to_string(l) + "]").c_str());
                     widths.push_back(static_cast<int>(ws[l].shape(0)));
                     require_shape(bs[l], {widths.back()}, ("biases[" + std::to_string(l) + "]").c_str());
                 }
                 std::vector<fastshear::Activation> a;
                 for (auto& s : acts) a.push_back(fastshear::parse_activation(s));
                 std::vector<const T*> wp, bp;
                 for (size_t l = 0; l < L; ++l) wp.push_back(ws[l].data()), bp.push_back(bs[l].data());
                 py::gil_scoped_release nogil;
                 return std::make_unique<Net>(widths, wp, bp, a, sparse_below);
             }),
             py::arg("weights"), py::arg("biases"), py::arg("activations"), py::arg("sparse_below"))
        .def_property_readonly("widths", &Net::widths)
        .def_property_readonly("complexity", &Net::complexity)
        .def_property_readonly("kernel", &Net::kernel_name)
        .def("layer_sparse", &Net::layer_sparse)
        .def("layer_nnz", &Net::layer_nnz)
        .def(
            "forward",
            [](const Net& net, carray<T> x, int threads, py::object out_arg) {
                const py::ssize_t d = net.widths().front(), out = net.widths().back();
                const bool single = x.ndim() == 1;  // (d,) -> (out,), else (B, d) -> (B, out)
                require_shape(x, single ? std::vector<py::ssize_t>{d} : std::vector<py::ssize_t>{-1, d}, "x");
                const size_t batch = single ? 1 : x.shape(0);
                const std::vector<py::ssize_t> shape =
                    single ? std::vector<py::ssize_t>{out} : std::vector<py::ssize_t>{x.shape(0), out};
                // A new result from numpy's allocator (measured faster here than aligned_empty's
                // for a fresh 160 MB result each call), else `out` re-checked.
                py::array_t<T> y = out_arg.is_none() ? py::array_t<T>(shape) : output_array<T>(out_arg, shape);
                const T* xp = x.data();
                T* yp = y.mutable_data();
                py::gil_scoped_release nogil;
                net.forward(xp, yp, batch, threads);
                return y;
            },
            py::arg("x"), py::arg("threads") = 0, py::arg("out") = py::none())
        .def(
            "relevance",
            [](const Net& net, carray<T> x, std::optional<carray<std::int64_t>> target, const std::string& rule,
               double eps, double alpha, double beta, int threads) {
                const py::ssize_t d = net.widths().front(), out = net.widths().back();
                require_shape(x, {-1, d}, "x");
                const size_t batch = x.shape(0);
                if (target) require_shape(*target, {x.shape(0)}, "target");
                fastshear::LrpParams p{fastshear::parse_rule(rule), eps, alpha, beta};
                py::array_t<T> rel({x.shape(0), d}), y({x.shape(0), out});
                const T* xp = x.data();
                const std::int64_t* tp = target ? target->data() : nullptr;
                T* rp = rel.mutable_data();
                T* yp = y.mutable_data();
                {
                    py::gil_scoped_release nogil;
                    net.relevance(xp, rp, yp, batch, tp, p, threads);
                }
                return py::make_tuple(rel, y);
            },
            py::arg("x"), py::arg("target"), py::arg("rule"), py::arg("epsilon"), py::arg("alpha"), py::arg("beta"),
            py::arg("threads") = 0)
        .def(
            "backward",
            [](const Net& net, carray<T> x, carray<T> gy, int threads) {
                const py::ssize_t d = net.widths().front(), out = net.widths().back();
                require_shape(x, {-1, d}, "x");
                require_shape(gy, {x.shape(0), out}, "gy");
                const size_t batch = x.shape(0);
                py::array_t<T> gx({x.shape(0), d}), y({x.shape(0), out});
                const T* xp = x.data();
                const T* gp = gy.data();
                T* gxp = gx.mutable_data();
                T* yp = y.mutable_data();
                {
                    py::gil_scoped_release nogil;
                    net.backward(xp, gp, gxp, yp, batch, threads);
                }
                return py::make_tuple(gx, y);
            },
            py::arg("x"), py::arg("gy"), py::arg("threads") = 0);
}

void add_dense_net(py::module_& m) {
    add_net<float>(m, "DenseNet_f32");
    add_net<double>(m, "DenseNet_f64");
}

}  // namespace fastshear_py
