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

// In-place arrays of the ADMM steps: writeable, C-contiguous, aligned, of dtype T.
template <typename T> T* inplace(py::array& a, const char* what) {
    if (!a.dtype().is(py::dtype::of<T>()) || !(a.flags() & py::array::c_style) || !a.writeable() ||
        !is_aligned<T>(a.data()))
        throw py::value_error(std::string(what) +
                              " must be a writeable, aligned, C-contiguous array of the "
                              "precision of kx (" +
                              std::string(py::str(py::dtype::of<T>())) + ")");
    return static_cast<T*>(a.mutable_data());
}

template <typename T>
py::array_t<double> admm_l1_split_t(py::array kx, py::array zh, py::array lh, py::handle w_in, py::ssize_t batch,
                                    py::ssize_t band_size, double rho, int threads) {
    auto w = carray<T>::ensure(w_in);
    if (!w || w.ndim() != 1 || w.shape(0) < 1)
        throw py::value_error("admm_l1_split: w must be a non-empty 1-D real array");
    auto shape = shape_of(kx);
    if (shape_of(zh) != shape || shape_of(lh) != shape)
        throw py::value_error("admm_l1_split: kx, zh and lh must have the same shape, got " + shape_str(shape) + ", " +
                              shape_str(shape_of(zh)) + ", " + shape_str(shape_of(lh)));
    const T* kp = inplace<T>(kx, "admm_l1_split: kx");
    T* zp = inplace<T>(zh, "admm_l1_split: zh");
    T* lp = inplace<T>(lh, "admm_l1_split: lh");
    size_t total = static_cast<size_t>(kx.size()), bands = static_cast<size_t>(w.shape(0));
    if (batch < 1 || band_size < 1 || total != static_cast<size_t>(batch) * bands * static_cast<size_t>(band_size))
        throw py::value_error("admm_l1_split: " + std::to_string(batch) + " problems of " + std::to_string(bands) +
                              " bands of " + std::to_string(band_size) + " values do not tile kx of shape " +
                              shape_str(shape));
    if (!(rho > 0)) throw py::value_error("admm_l1_split: rho must be > 0");
    py::array_t<double> stats({static_cast<py::ssize_t>(batch), static_cast<py::ssize_t>(5)});
    double* sp = stats.mutable_data();
    const T* wp = w.data();
    {
        py::gil_scoped_release nogil;
        fastshear::admm_l1_split<T>(kp, zp, lp, wp, static_cast<size_t>(batch), bands, static_cast<size_t>(band_size),
                                    static_cast<T>(rho), sp, threads);
    }
    return stats;
}

template <typename T>
void admm_momentum_t(py::array z, py::array l, py::array zh, py::array lh, py::array d, py::handle keep_in,
                     py::handle fac_in, int threads) {
    auto shape = shape_of(z);
    for (auto* a : {&l, &zh, &lh, &d})
        if (shape_of(*a) != shape) throw py::value_error("admm_momentum: z, l, zh, lh and d must have the same shape");
    T *zp = inplace<T>(z, "admm_momentum: z"), *lp = inplace<T>(l, "admm_momentum: l");
    T *zhp = inplace<T>(zh, "admm_momentum: zh"), *lhp = inplace<T>(lh, "admm_momentum: lh");
    T* dp = inplace<T>(d, "admm_momentum: d");
    auto keep = py::array_t<unsigned char, py::array::c_style | py::array::forcecast>::ensure(keep_in);
    auto fac = carray<double>::ensure(fac_in);
    if (!keep || !fac || keep.ndim() != 1 || fac.ndim() != 1 || keep.shape(0) != fac.shape(0) || keep.shape(0) < 1)
        throw py::value_error("admm_momentum: keep and fac must be 1-D arrays of one value per problem");
    size_t batch = static_cast<size_t>(keep.shape(0)), total = static_cast<size_t>(z.size());
    if (total % batch != 0)
        throw py::value_error("admm_momentum: " + std::to_string(batch) + " problems do not tile z of shape " +
                              shape_str(shape));
    const unsigned char* kp = keep.data();
    const double* fp = fac.data();
    py::gil_scoped_release nogil;
    fastshear::admm_momentum<T>(zp, lp, zhp, lhp, dp, kp, fp, batch, total / batch, threads);
}

}  // namespace

void add_prox(py::module_& m) {
    m.def(
        "admm_l1_split",
        [](py::array kx, py::array zh, py::array lh, py::object w, py::ssize_t batch, py::ssize_t band_size, double rho,
           int threads) -> py::array_t<double> {
            if (kx.dtype().is(py::dtype::of<double>()))
                return admm_l1_split_t<double>(kx, zh, lh, w, batch, band_size, rho, threads);
            if (kx.dtype().is(py::dtype::of<float>()))
                return admm_l1_split_t<float>(kx, zh, lh, w, batch, band_size, rho, threads);
            throw py::type_error("admm_l1_split: kx must be float32 or float64, got " +
                                 std::string(py::str(kx.dtype())));
        },
        py::arg("kx"), py::arg("zh"), py::arg("lh"), py::arg("w"), py::arg("batch"), py::arg("band_size"),
        py::arg("rho"), py::arg("threads") = 0,
        "ADMM's weighted-l1 splitting step, in place on zh and lh; returns per-problem statistics (batch, 5).");
    m.def(
        "admm_momentum",
        [](py::array z, py::array l, py::array zh, py::array lh, py::array d, py::object keep, py::object fac,
           int threads) {
            if (z.dtype().is(py::dtype::of<double>()))
                return admm_momentum_t<double>(z, l, zh, lh, d, keep, fac, threads);
            if (z.dtype().is(py::dtype::of<float>()))
                return admm_momentum_t<float>(z, l, zh, lh, d, keep, fac, threads);
            throw py::type_error("admm_momentum: z must be float32 or float64, got " + std::string(py::str(z.dtype())));
        },
        py::arg("z"), py::arg("l"), py::arg("zh"), py::arg("lh"), py::arg("d"), py::arg("keep"), py::arg("fac"),
        py::arg("threads") = 0, "ADMM's momentum / restart step, in place.");
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
            throw py::type_error("l1_dual_step: y must be float32 or float64, got " + std::string(py::str(y.dtype())));
        },
        py::arg("y"), py::arg("kx"), py::arg("kx_old"), py::arg("w"), py::arg("band_size"), py::arg("sigma"),
        py::arg("theta") = 1.0, py::arg("threads") = 0,
        "PDHG dual step for a weighted l1 term, in place on y; returns (l1 value at kx, squared dual residual).");
}

}  // namespace fastshear_py
