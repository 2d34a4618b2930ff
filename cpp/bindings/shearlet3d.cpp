#include "fastshear/shearlet3d.hpp"

#include <algorithm>

#include "common.hpp"

namespace fastshear_py {

// Band indices from None (all) or a 1D integer array, each checked against K.
inline std::vector<int> band_selection(const py::object& sel, int k, bool& subset) {
    std::vector<int> s;
    subset = !sel.is_none();
    if (subset) {
        auto a = sel.cast<carray<int>>();
        if (a.ndim() != 1) throw py::value_error("bands must be a 1D array of band indices");
        s.assign(a.data(), a.data() + a.size());
        for (int v : s)
            if (v < 0 || v >= k)
                throw py::value_error("band index " + std::to_string(v) + " out of range 0.." + std::to_string(k - 1));
    }
    return s;
}

template <typename T> void add_bank3d(py::module_& m, const char* name) {
    using Bank = fastshear::FilterBank3D<T>;
    using C = std::complex<double>;
    py::class_<Bank>(m, name)
        .def(py::init([](int n1_, int n2_, int n3_, carray<C> p12, carray<C> p13, carray<C> p32t, carray<int> bands,
                         int threads) {
                 if (n1_ < 1 || n2_ < 1 || n3_ < 1) throw py::value_error("the volume's sides must be positive");
                 const py::ssize_t n1 = n1_, n2 = n2_, h3 = n3_ / 2 + 1;
                 require_shape(p12, {-1, n1, n2}, "p12 (full, (M, n1, n2))");
                 require_shape(p13, {-1, n1, h3}, "p13 (half, (M, n1, n3//2+1))");
                 require_shape(p32t, {-1, n2, h3}, "p32t (half, transposed, (M, n2, n3//2+1))");
                 require_shape(bands, {-1, 3}, "bands ((K, 3): form, ia, ib)");
                 std::vector<fastshear::Band3D> bl(bands.shape(0));
                 for (size_t i = 0; i < bl.size(); ++i) bl[i] = {bands.at(i, 0), bands.at(i, 1), bands.at(i, 2)};
                 std::unique_ptr<Bank> b;
                 try {
                     py::gil_scoped_release nogil;
                     b = std::make_unique<Bank>(n1_, n2_, n3_, static_cast<int>(p12.shape(0)), p12.data(),
                                                static_cast<int>(p13.shape(0)), p13.data(),
                                                static_cast<int>(p32t.shape(0)), p32t.data(), bl, threads);
                 } catch (const std::invalid_argument& e) {
                     throw py::value_error(e.what());
                 }
                 return b;
             }),
             py::arg("n1"), py::arg("n2"), py::arg("n3"), py::arg("p12"), py::arg("p13"), py::arg("p32t"),
             py::arg("bands"), py::arg("threads") = 0)
        .def_property_readonly("shape", [](const Bank& b) { return py::make_tuple(b.n1(), b.n2(), b.n3()); })
        .def_property_readonly("bands", &Bank::bands)
        .def_property_readonly(
            "dual_weights",
            [](const Bank& b) {
                py::array_t<double> w({static_cast<py::ssize_t>(b.n1()), static_cast<py::ssize_t>(b.n2()),
                                       static_cast<py::ssize_t>(b.n3() / 2 + 1)});
                std::copy(b.dual_weights().begin(), b.dual_weights().end(), w.mutable_data());
                return w;
            })
        .def(
            "forward",
            [](const Bank& b, carray<T> x, py::object sel, int threads, py::object out_arg) {
                require_shape(x, {-1, b.n1(), b.n2(), b.n3()}, "forward input");
                bool subset;
                std::vector<int> s = band_selection(sel, b.bands(), subset);
                const py::ssize_t k = subset ? static_cast<py::ssize_t>(s.size()) : b.bands();
                auto out = output_array<T>(out_arg, {x.shape(0), k, b.n1(), b.n2(), b.n3()});
                if (subset && s.empty()) return out;  // no bands asked for (sel == nullptr means all)
                const T* xp = x.data();
                T* op = out.mutable_data();
                size_t batch = x.shape(0);
                py::gil_scoped_release nogil;
                b.forward(xp, op, batch, subset ? s.data() : nullptr, s.size(), threads);
                return out;
            },
            py::arg("x"), py::arg("bands") = py::none(), py::arg("threads") = 0, py::arg("out") = py::none())
        .def(
            "adjoint",
            [](const Bank& b, carray<T> c, py::object sel, int threads, bool dual, py::object out_arg) {
                bool subset;
                std::vector<int> s = band_selection(sel, b.bands(), subset);
                const py::ssize_t k = subset ? static_cast<py::ssize_t>(s.size()) : b.bands();
                require_shape(c, {-1, k, b.n1(), b.n2(), b.n3()}, "coefficients");
                auto out = output_array<T>(out_arg, {c.shape(0), b.n1(), b.n2(), b.n3()});
                T* op = out.mutable_data();
                size_t batch = c.shape(0);
                if (subset && s.empty()) {  // no bands: the sum is empty (sel == nullptr means all)
                    std::fill(op, op + out.size(), T(0));
                    return out;
                }
                const T* cp = c.data();
                py::gil_scoped_release nogil;
                const int* sp = subset ? s.data() : nullptr;
                if (dual)
                    b.inverse(cp, op, batch, sp, s.size(), threads);
                else
                    b.adjoint(cp, op, batch, sp, s.size(), threads);
                return out;
            },
            py::arg("c"), py::arg("bands") = py::none(), py::arg("threads") = 0, py::arg("dual") = false,
            py::arg("out") = py::none());
}

void add_shearlet3d(py::module_& m) {
    add_bank3d<float>(m, "FilterBank3D_f32");
    add_bank3d<double>(m, "FilterBank3D_f64");
}

}  // namespace fastshear_py
