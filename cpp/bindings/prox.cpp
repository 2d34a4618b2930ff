// Bindings of the fused solver steps (cpp/fastshear/prox.hpp): conversion and checks only.
#include "fastshear/prox.hpp"

#include <cmath>
#include <string>
#include <vector>

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
py::array_t<double> admm_l1_step_t(py::array kx, py::array z, py::array l, py::array d, py::handle cur_in,
                                   py::handle fac_in, py::handle next_in, py::handle w_in, py::ssize_t batch,
                                   py::ssize_t band_size, double rho, int group, int threads) {
    auto w = carray<T>::ensure(w_in);
    if (!w || w.ndim() != 1 || w.shape(0) < 1)
        throw py::value_error("admm_l1_step: w must be a non-empty 1-D real array");
    auto shape = shape_of(kx);
    if (shape_of(d) != shape)
        throw py::value_error("admm_l1_step: kx and d must have the same shape, got " + shape_str(shape) + ", " +
                              shape_str(shape_of(d)));
    const T* kp = inplace<T>(kx, "admm_l1_step: kx");
    T* zp = inplace<T>(z, "admm_l1_step: z");
    T* lp = inplace<T>(l, "admm_l1_step: l");
    T* dp = inplace<T>(d, "admm_l1_step: d");
    if (group != 1 && group != 2) throw py::value_error("admm_l1_step: group must be 1 or 2");
    size_t total = static_cast<size_t>(kx.size()), bands = static_cast<size_t>(w.shape(0));
    if (batch < 1 || band_size < 1 ||
        total != static_cast<size_t>(batch) * bands * static_cast<size_t>(group) * static_cast<size_t>(band_size))
        throw py::value_error("admm_l1_step: " + std::to_string(batch) + " problems of " + std::to_string(bands) +
                              " bands of " + std::to_string(group) + " x " + std::to_string(band_size) +
                              " values do not tile kx of shape " + shape_str(shape));
    if (static_cast<size_t>(z.size()) != 2 * total || static_cast<size_t>(l.size()) != 2 * total || z.ndim() < 2 ||
        z.shape(0) != batch || z.shape(1) != 2 || shape_of(l) != shape_of(z))
        throw py::value_error(
            "admm_l1_step: z and l must have shape (batch, 2, ...) with two iterates of kx's "
            "size per problem, got " +
            shape_str(shape_of(z)) + ", " + shape_str(shape_of(l)));
    auto cur = py::array_t<unsigned char, py::array::c_style | py::array::forcecast>::ensure(cur_in);
    auto fac = carray<double>::ensure(fac_in);
    auto nxt = carray<double>::ensure(next_in);
    if (!cur || !fac || !nxt || cur.ndim() != 1 || fac.ndim() != 1 || nxt.ndim() != 1 || cur.shape(0) != batch ||
        fac.shape(0) != batch || nxt.shape(0) != batch)
        throw py::value_error("admm_l1_step: cur, fac and fac_next must be 1-D arrays of one value per problem");
    for (py::ssize_t p = 0; p < batch; ++p)
        if (cur.data()[p] > 1) throw py::value_error("admm_l1_step: cur must hold 0 or 1");
    if (!(rho > 0)) throw py::value_error("admm_l1_step: rho must be > 0");
    py::array_t<double> stats({static_cast<py::ssize_t>(batch), static_cast<py::ssize_t>(5)});
    double* sp = stats.mutable_data();
    const T* wp = w.data();
    const unsigned char* cp = cur.data();
    const double *fp = fac.data(), *np_ = nxt.data();
    {
        py::gil_scoped_release nogil;
        fastshear::admm_l1_step<T>(kp, zp, lp, dp, cp, fp, np_, wp, static_cast<size_t>(batch), bands, group,
                                   static_cast<size_t>(band_size), static_cast<T>(rho), sp, threads);
    }
    return stats;
}

template <typename T>
py::array_t<double> batched_dot_t(py::handle a_in, py::handle b_in, py::ssize_t batch, int threads) {
    auto a = carray<T>::ensure(a_in);
    auto b = carray<T>::ensure(b_in);
    if (!a || !b) throw py::type_error("batched_dot: a and b must be real arrays");
    if (shape_of(a) != shape_of(b))
        throw py::value_error("batched_dot: a and b must have the same shape, got " + shape_str(shape_of(a)) + ", " +
                              shape_str(shape_of(b)));
    const size_t total = static_cast<size_t>(a.size());
    if (batch < 1 || total % static_cast<size_t>(batch) != 0)
        throw py::value_error("batched_dot: " + std::to_string(batch) + " problems do not tile an array of shape " +
                              shape_str(shape_of(a)));
    py::array_t<double> out(batch);
    double* op = out.mutable_data();
    const T *ap = a.data(), *bp = b.data();
    {
        py::gil_scoped_release nogil;
        fastshear::batched_dot<T>(ap, bp, static_cast<size_t>(batch), total / static_cast<size_t>(batch), op, threads);
    }
    return out;
}

// The arrays of the SPDHG steps are never converted (outputs are written in place; a silent copy
// of an input would cost what the step saves): dtype T, C-contiguous, aligned, writeable if out.
template <typename T> const T* spdhg_array(const py::array& a, const char* fn, const char* what, bool out) {
    if (!a.dtype().is(py::dtype::of<T>()))
        throw py::type_error(std::string(fn) + ": " + what + " must have the dtype of x (" +
                             std::string(py::str(py::dtype::of<T>())) + "), got " + std::string(py::str(a.dtype())));
    if (!(a.flags() & py::array::c_style) || !is_aligned<T>(a.data()))
        throw py::value_error(std::string(fn) + ": " + what + " must be an aligned, C-contiguous array");
    if (out && !a.writeable()) throw py::value_error(std::string(fn) + ": " + what + " must be writeable");
    return static_cast<const T*>(a.data());
}

// Whether the memory of two arrays overlaps (the steps read and write them in one pass).
inline bool overlap(const py::array& a, const py::array& b) {
    const char *a0 = static_cast<const char*>(a.data()), *b0 = static_cast<const char*>(b.data());
    const char *a1 = a0 + a.nbytes(), *b1 = b0 + b.nbytes();
    return a.nbytes() > 0 && b.nbytes() > 0 && a0 < b1 && b0 < a1;
}

template <typename T>
py::array_t<double> tv_dual_step_t(py::array x, py::array y, py::array z, py::array e, double sigma, double lam,
                                   double scale, int threads) {
    const char* fn = "tv_dual_step";
    const T* xp = spdhg_array<T>(x, fn, "x", false);
    T* yp = const_cast<T*>(spdhg_array<T>(y, fn, "y", true));
    T* zp = const_cast<T*>(spdhg_array<T>(z, fn, "z", true));
    T* ep = const_cast<T*>(spdhg_array<T>(e, fn, "e", true));
    auto shape = shape_of(x);
    if (shape.size() != 2 && shape.size() != 3)
        throw py::value_error("tv_dual_step: x must have shape (N, M) or (nb, N, M), got " + shape_str(shape));
    std::vector<py::ssize_t> ys = shape;
    ys.insert(ys.end() - 2, 2);
    if (shape_of(y) != ys || shape_of(z) != shape || shape_of(e) != shape)
        throw py::value_error("tv_dual_step: x of shape " + shape_str(shape) + " needs y of shape " + shape_str(ys) +
                              " and z, e of x's shape, got " + shape_str(shape_of(y)) + ", " + shape_str(shape_of(z)) +
                              ", " + shape_str(shape_of(e)));
    const py::ssize_t nb = shape.size() == 3 ? shape[0] : 1, n = shape[shape.size() - 2], m = shape.back();
    if (n < 1 || m < 1) throw py::value_error("tv_dual_step: images must have N, M >= 1, got " + shape_str(shape));
    if (overlap(x, y) || overlap(x, z) || overlap(x, e) || overlap(y, z) || overlap(y, e) || overlap(z, e))
        throw py::value_error("tv_dual_step: x, y, z and e must not share memory");
    if (!(sigma >= 0) || !(lam >= 0) || !std::isfinite(sigma) || !std::isfinite(lam))
        throw py::value_error("tv_dual_step: sigma and lam must be finite and >= 0");
    py::array_t<double> out(nb);
    double* op = out.mutable_data();
    {
        py::gil_scoped_release nogil;
        fastshear::tv_dual_step<T>(xp, yp, zp, ep, static_cast<size_t>(nb), static_cast<size_t>(n),
                                   static_cast<size_t>(m), static_cast<T>(sigma), static_cast<T>(lam),
                                   static_cast<T>(scale), op, threads);
    }
    return out;
}

template <typename T>
py::array_t<double> spdhg_primal_step_t(py::array x, py::array z, py::array e, py::array tau, bool nonneg,
                                        int threads) {
    const char* fn = "spdhg_primal_step";
    T* xp = const_cast<T*>(spdhg_array<T>(x, fn, "x", true));
    const T* zp = spdhg_array<T>(z, fn, "z", false);
    const T* ep = spdhg_array<T>(e, fn, "e", false);
    const T* tp = spdhg_array<T>(tau, fn, "tau", false);
    auto shape = shape_of(x);
    if (shape.empty() || shape_of(z) != shape || shape_of(e) != shape)
        throw py::value_error("spdhg_primal_step: x, z and e must have the same shape (nb, ...), got " +
                              shape_str(shape) + ", " + shape_str(shape_of(z)) + ", " + shape_str(shape_of(e)));
    // tau: one problem's values (nb = x.shape[0]), or all of x's (one problem)
    const size_t total = static_cast<size_t>(x.size()), ts = static_cast<size_t>(tau.size());
    size_t nb;
    if (ts * static_cast<size_t>(shape[0]) == total && ts > 0)
        nb = static_cast<size_t>(shape[0]);
    else if (ts == total && ts > 0)
        nb = 1;
    else
        throw py::value_error(
            "spdhg_primal_step: tau must hold prod(x.shape[1:]) values (shared by the x.shape[0] "
            "problems) or x.size values, got shape " +
            shape_str(shape_of(tau)) + " for x of shape " + shape_str(shape));
    if (overlap(x, z) || overlap(x, e) || overlap(x, tau))
        throw py::value_error("spdhg_primal_step: x must not share memory with z, e or tau");
    py::array_t<double> out(static_cast<py::ssize_t>(nb));
    double* op = out.mutable_data();
    {
        py::gil_scoped_release nogil;
        fastshear::spdhg_primal_step<T>(xp, zp, ep, tp, nb, ts, nonneg, op, threads);
    }
    return out;
}

}  // namespace

void add_prox(py::module_& m) {
    m.def(
        "admm_l1_step",
        [](py::array kx, py::array z, py::array l, py::array d, py::object cur, py::object fac, py::object fac_next,
           py::object w, py::ssize_t batch, py::ssize_t band_size, double rho, int group,
           int threads) -> py::array_t<double> {
            if (kx.dtype().is(py::dtype::of<double>()))
                return admm_l1_step_t<double>(kx, z, l, d, cur, fac, fac_next, w, batch, band_size, rho, group,
                                              threads);
            if (kx.dtype().is(py::dtype::of<float>()))
                return admm_l1_step_t<float>(kx, z, l, d, cur, fac, fac_next, w, batch, band_size, rho, group, threads);
            throw py::type_error("admm_l1_step: kx must be float32 or float64, got " +
                                 std::string(py::str(kx.dtype())));
        },
        py::arg("kx"), py::arg("z"), py::arg("l"), py::arg("d"), py::arg("cur"), py::arg("fac"), py::arg("fac_next"),
        py::arg("w"), py::arg("batch"), py::arg("band_size"), py::arg("rho"), py::arg("group") = 1,
        py::arg("threads") = 0,
        "ADMM's splitting and momentum step for a weighted l1 norm of groups of `group` components (1: l1, 2: "
        "isotropic TV's l2,1), in place on z, l and d; returns per-problem statistics (batch, 5).");
    m.def(
        "batched_dot",
        [](py::array a, py::object b, py::ssize_t batch, int threads) -> py::array_t<double> {
            if (a.dtype().is(py::dtype::of<double>())) return batched_dot_t<double>(a, b, batch, threads);
            if (a.dtype().is(py::dtype::of<float>())) return batched_dot_t<float>(a, b, batch, threads);
            throw py::type_error("batched_dot: a must be float32 or float64, got " + std::string(py::str(a.dtype())));
        },
        py::arg("a"), py::arg("b"), py::arg("batch"), py::arg("threads") = 0,
        "Per-problem inner products of two arrays of `batch` equal rows, accumulated in float64: shape (batch,).");
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
    m.def(
        "tv_dual_step",
        [](py::array x, py::array y, py::array z, py::array e, double sigma, double lam, double scale,
           int threads) -> py::array_t<double> {
            if (x.dtype().is(py::dtype::of<double>()))
                return tv_dual_step_t<double>(x, y, z, e, sigma, lam, scale, threads);
            if (x.dtype().is(py::dtype::of<float>()))
                return tv_dual_step_t<float>(x, y, z, e, sigma, lam, scale, threads);
            throw py::type_error("tv_dual_step: x must be float32 or float64, got " + std::string(py::str(x.dtype())));
        },
        py::arg("x"), py::arg("y"), py::arg("z"), py::arg("e"), py::arg("sigma"), py::arg("lam"), py::arg("scale"),
        py::arg("threads") = 0,
        "SPDHG's dual step for isotropic TV on images x (N, M) or (nb, N, M): y <- the projection of y + sigma "
        "grad x onto the discs of radius lam, z <- z + grad^T d, e <- scale grad^T d (d = y_new - y_old), in "
        "place; returns sum(d**2) per problem, float64 (nb,).");
    m.def(
        "spdhg_primal_step",
        [](py::array x, py::array z, py::array e, py::array tau, bool nonneg, int threads) -> py::array_t<double> {
            if (x.dtype().is(py::dtype::of<double>()))
                return spdhg_primal_step_t<double>(x, z, e, tau, nonneg, threads);
            if (x.dtype().is(py::dtype::of<float>())) return spdhg_primal_step_t<float>(x, z, e, tau, nonneg, threads);
            throw py::type_error("spdhg_primal_step: x must be float32 or float64, got " +
                                 std::string(py::str(x.dtype())));
        },
        py::arg("x"), py::arg("z"), py::arg("e"), py::arg("tau"), py::arg("nonneg"), py::arg("threads") = 0,
        "SPDHG's primal step x <- x - tau (z + e), clipped at 0 if nonneg, in place on x (nb, ...) with tau of "
        "prod(x.shape[1:]) values shared by the nb problems (or of x.size values: one problem); returns sum((x_new - "
        "x_old)**2) per problem, float64 (nb,).");
}

}  // namespace fastshear_py
