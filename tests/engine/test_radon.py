"""Radon2D: matched adjoint, accuracy against exact ellipse line integrals, FBP against
scikit-image, batches, threads, bad input."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastshear
from fastshear import _testing
from fastshear import phantoms as P

FULL = np.linspace(0, 180, 60, endpoint=False)
LIMITED = np.linspace(-60, 60, 41)


def _fan(n, **kw):
    ds, dd = 2.0 * n, 1.0 * n
    return dict(geometry="fan", source_distance=ds, detector_distance=dd, det_spacing=(ds + dd) / ds, **kw)


def _dot_error(R, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(R.shape).astype(R.dtype)
    y = rng.standard_normal(R.sinogram_shape).astype(R.dtype)
    Ax = R.forward(x).astype(np.float64)
    Aty = R.adjoint(y).astype(np.float64)
    lhs = np.vdot(Ax, y.astype(np.float64))
    rhs = np.vdot(x.astype(np.float64), Aty)
    return abs(lhs - rhs) / (np.linalg.norm(Ax) * np.linalg.norm(y))


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape", [(64, 64), (65, 65), (48, 71)])
@pytest.mark.parametrize("theta", [FULL, LIMITED, np.array([3.0, 91.0, 200.0, -17.5])], ids=["full", "limited", "odd"])
@pytest.mark.parametrize("circle", [True, False])
def test_adjoint_parallel(dtype, tol, shape, theta, circle):
    R = fastshear.Radon2D(shape, theta, circle=circle, dtype=dtype)
    assert _dot_error(R) <= tol


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape", [(64, 64), (65, 65), (40, 57)])
@pytest.mark.parametrize("scan", ["full", "short", "limited"])
@pytest.mark.parametrize("circle", [True, False])
def test_adjoint_fan(dtype, tol, shape, scan, circle):
    n = max(shape)
    theta = {"full": np.linspace(0, 360, 90, endpoint=False), "short": np.linspace(10, 250, 80),
             "limited": LIMITED}[scan]
    R = fastshear.Radon2D(shape, theta, circle=circle, dtype=dtype, **_fan(n))
    assert _dot_error(R) <= tol


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("spacing", [0.6, 1.7])
def test_adjoint_other_spacing(dtype, tol, spacing):
    R = fastshear.Radon2D((50, 51), FULL, det_spacing=spacing, n_det=77, dtype=dtype)
    assert _dot_error(R) <= tol


@pytest.mark.parametrize("kernel", ["reference", "portable"])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("geometry", ["parallel", "fan"])
def test_adjoint_portable_kernels(kernel, dtype, tol, geometry):
    """The pairs a CPU without AVX-512 runs are matched too."""
    kw = _fan(65) if geometry == "fan" else {}
    R = fastshear.Radon2D((65, 58), LIMITED, dtype=dtype, **kw)
    with _testing.radon_kernel(R, kernel):
        assert _dot_error(R) <= tol


def test_dot_test_detects_a_wrong_adjoint():
    """The dot test above can fail: a backprojection that is not the transpose is caught."""
    R = fastshear.Radon2D((64, 64), FULL)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(R.shape)
    y = rng.standard_normal(R.sinogram_shape)
    wrong = R.fbp(y)
    err = abs(np.vdot(R.forward(x), y) - np.vdot(x, wrong)) / (np.linalg.norm(R.forward(x)) * np.linalg.norm(y))
    assert err > 1e-5


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 5e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape,theta", [((64, 64), FULL), ((57, 70), LIMITED)])
@pytest.mark.parametrize("circle", [True, False])
@pytest.mark.parametrize("geometry", ["parallel", "parallel-0.7", "parallel-1.6", "parallel-0.3", "fan", "fan-wide",
                                      "fan-mag2", "fan-mag4"])
def test_vector_kernels_equal_portable(dtype, rtol, shape, theta, circle, geometry):
    """The AVX-512 kernels (where the CPU has them) and the portable fast kernels compute the same
    operator as the portable reference kernels."""
    n = max(shape)
    kw = {"fan": _fan(n), "parallel": {},
          # footprints up to ~1.9 bins (3 taps): chunks whose bins exceed one window take the gather path
          "fan-wide": dict(geometry="fan", source_distance=2.0 * n, detector_distance=1.0 * n, det_spacing=1.05),
          # wider footprints: 4 taps (up to 2.0 / 2.3 bins, circle / not), 6 taps (4.4 bins; 7.5
          # without the circle: the portable kernels), 5 taps (3.3 bins)
          "fan-mag2": dict(geometry="fan", source_distance=2.0 * n, detector_distance=1.0 * n, n_det=2 * n),
          "fan-mag4": dict(geometry="fan", source_distance=1.0 * n, detector_distance=1.2 * n, n_det=5 * n),
          "parallel-0.3": dict(det_spacing=0.3, n_det=4 * n),
          "parallel-0.7": dict(det_spacing=0.7, n_det=101),
          "parallel-1.6": dict(det_spacing=1.6, n_det=45)}[geometry]
    R = fastshear.Radon2D(shape, theta, circle=circle, dtype=dtype, **kw)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(R.sinogram_shape).astype(dtype)
    fa, aa, ba = R.forward(x), R.adjoint(y), R.fbp(y)
    with _testing.radon_kernel(R, "reference"):  # the portable reference kernels
        fp, ap, bp = R.forward(x), R.adjoint(y), R.fbp(y)
    with _testing.radon_kernel(R, "portable"):  # what a CPU without AVX-512 runs
        fn, an, bn = R.forward(x), R.adjoint(y), R.fbp(y)
    for got, ref in ((fa, fp), (aa, ap), (ba, bp)):
        assert np.abs(got - ref).max() <= rtol * np.abs(ref).max()
    # the portable hat kernels work in float32 positions (relative to the padded row): ~1e-4 bins
    rtol2 = 5e-4 if dtype == np.float32 else 1e-12
    for got, ref in ((fn, fp), (an, ap), (bn, bp)):
        assert np.abs(got - ref).max() <= rtol2 * np.abs(ref).max()


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 5e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape", [(64, 64), (57, 70), (33, 20)])
@pytest.mark.parametrize("circle", [True, False])
def test_angle_subsets(dtype, rtol, shape, circle):
    """Plans of a few of the angles (stochastic PDHG's subsets; their own small-call paths): the
    forward gives the full plan's rows bit for bit, the adjoint the reference kernels' result, and
    the pair stays matched."""
    theta = np.arange(-60, 61, 1.0)
    full = fastshear.Radon2D(shape, theta, circle=circle, dtype=dtype)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2,) + shape).astype(dtype)
    sf = full.forward(x)
    for sub in (slice(1, None, 30), slice(0, None, 30), slice(60, 61), slice(3, None, 9), slice(2, None, 17)):
        R = fastshear.Radon2D(shape, theta[sub], circle=circle, dtype=dtype)
        np.testing.assert_array_equal(R.forward(x), sf[:, sub])
        y = rng.standard_normal((2,) + R.sinogram_shape).astype(dtype)
        a = R.adjoint(y)
        with _testing.radon_kernel(R, "reference"):
            ref = R.adjoint(y)
        assert np.abs(a - ref).max() <= rtol * np.abs(ref).max()
        np.testing.assert_array_equal(a[1], R.adjoint(y[1], workers=1))
        assert _dot_error(R) <= (1e-5 if dtype == np.float32 else 1e-12)


def _rel(a, b, mask=None):
    if mask is not None:
        a, b = a[mask], b[mask]
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("phantom", ["shepp-logan", "random"])
@pytest.mark.parametrize("geometry", ["parallel", "fan"])
def test_forward_matches_line_integrals(phantom, geometry):
    errs = []
    for n in (128, 256, 512):
        ell = P.shepp_logan_ellipses((n, n)) if phantom == "shepp-logan" else P.random_ellipses((n, n), seed=4)
        img = P.ellipse_image(ell, (n, n), oversample=6)
        if geometry == "parallel":
            theta = np.linspace(0, 180, 90, endpoint=False)
            R = fastshear.Radon2D((n, n), theta)
            exact = P.ellipse_sinogram(ell, theta, R.n_det)
        else:
            theta = np.linspace(0, 360, 90, endpoint=False)
            kw = _fan(n)
            R = fastshear.Radon2D((n, n), theta, **kw)
            exact = P.ellipse_sinogram(ell, theta, R.n_det, det_spacing=kw["det_spacing"], geometry="fan",
                                       source_distance=kw["source_distance"],
                                       detector_distance=kw["detector_distance"])
        errs.append(_rel(R.forward(img), exact))
    assert errs[-1] <= 0.01
    assert errs[0] > errs[1] > errs[2]


def test_forward_matches_line_integrals_fan_virtual_detector():
    """Fan beam with the default detector (distance 0, unit bins) and a non-square image."""
    n, m = 200, 240
    ell = P.random_ellipses((n, m), seed=7)
    img = P.ellipse_image(ell, (n, m), oversample=6)
    theta = np.linspace(0, 360, 120, endpoint=False)
    R = fastshear.Radon2D((n, m), theta, geometry="fan", source_distance=3.0 * n)
    exact = P.ellipse_sinogram(ell, theta, R.n_det, det_spacing=1.0, geometry="fan", source_distance=3.0 * n)
    assert _rel(R.forward(img), exact) <= 0.02


FILTERS = [("ram-lak", "ramp"), ("shepp-logan", "shepp-logan"), ("cosine", "cosine"), ("hamming", "hamming"),
           ("hann", "hann")]


@pytest.mark.parametrize("ours,theirs", FILTERS)
def test_fbp_at_least_as_accurate_as_skimage(ours, theirs):
    skt = pytest.importorskip("skimage.transform")
    n = 256
    ell = P.shepp_logan_ellipses((n, n))
    img = P.ellipse_image(ell, (n, n), oversample=6)
    theta = np.linspace(0, 180, 300, endpoint=False)
    sino = P.ellipse_sinogram(ell, theta, n)
    R = fastshear.Radon2D((n, n), theta)
    rec = R.fbp(sino, filter_name=ours)
    ref = skt.iradon(sino.T, theta, output_size=n, filter_name=theirs, circle=True)
    mask = np.hypot(*(np.mgrid[:n, :n] - n // 2)) < n // 2 - 2
    e_ours, e_sk = _rel(rec, img, mask), _rel(ref, img, mask)
    assert e_ours <= e_sk * (1 + 1e-4), (e_ours, e_sk)
    # the intensity scale: the mean inside the object is the phantom's
    assert abs(rec[mask].mean() / img[mask].mean() - 1) < 0.005


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fbp_of_forward_reproduces_intensities(dtype):
    n = 128
    img = P.shepp_logan((n, n), dtype=dtype)
    R = fastshear.Radon2D((n, n), np.linspace(0, 180, 200, endpoint=False), dtype=dtype)
    rec = R.fbp(R.forward(img))
    assert rec.dtype == dtype
    inner = np.hypot(*(np.mgrid[:n, :n] - n // 2)) < n // 2 - 4
    assert abs(rec[inner].mean() / img[inner].mean() - 1) < 0.01
    assert _rel(rec, img, inner) < 0.2


@pytest.mark.parametrize("scan,start", [("full", 0.0), ("short", 0.0), ("short", 37.0), ("short+", 200.0)])
def test_fbp_fan(scan, start):
    """Fan-beam FBP over a full scan and short scans (Parker weights) reconstructs the phantom as
    well as parallel FBP does."""
    n = 192
    ell = P.shepp_logan_ellipses((n, n))
    img = P.ellipse_image(ell, (n, n), oversample=6)
    kw = _fan(n)
    gmax = np.degrees(np.arcsin((n // 2 + 1) / kw["source_distance"]))
    span = {"full": 360.0, "short": 180 + 2 * gmax + 1, "short+": 180 + 2 * gmax + 30}[scan]
    theta = start + np.arange(0, span, 0.5)
    if scan == "full":
        theta = np.linspace(0, 360, 720, endpoint=False)
    R = fastshear.Radon2D((n, n), theta, **kw)
    sino = P.ellipse_sinogram(ell, theta, R.n_det, det_spacing=kw["det_spacing"], geometry="fan",
                             source_distance=kw["source_distance"],
                             detector_distance=kw["detector_distance"])
    rec = R.fbp(sino)
    mask = np.hypot(*(np.mgrid[:n, :n] - n // 2)) < n // 2 - 2
    Rp = fastshear.Radon2D((n, n), np.linspace(0, 180, 360, endpoint=False))
    e_par = _rel(Rp.fbp(P.ellipse_sinogram(ell, Rp.theta, n)), img, mask)
    assert _rel(rec, img, mask) < 1.1 * e_par
    assert abs(rec[mask].mean() / img[mask].mean() - 1) < 0.01


@pytest.mark.filterwarnings("ignore:Radon transform. image must be zero")
@pytest.mark.parametrize("circle", [True, False])
@pytest.mark.parametrize("shape", [(96, 96), (97, 97)])
def test_forward_agrees_with_skimage_radon(circle, shape):
    skt = pytest.importorskip("skimage.transform")
    n, m = shape
    yy, xx = np.mgrid[:n, :m]
    img = np.exp(-((xx - 40.0) ** 2 + (yy - 50.0) ** 2) / 150.0) + 0.6 * np.exp(
        -((xx - 55.0) ** 2 + (yy - 35.0) ** 2) / 60.0)
    theta = np.linspace(0, 180, 45, endpoint=False)
    R = fastshear.Radon2D(shape, theta, circle=circle)
    ref = skt.radon(img, theta, circle=circle).T
    assert ref.shape == R.sinogram_shape
    assert _rel(R.forward(img), ref) < 5e-3


def test_batches_and_threads_give_the_same_results():
    R = fastshear.Radon2D((40, 44), LIMITED, dtype=np.float32)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 40, 44)).astype(np.float32)
    s = R.forward(x, workers=2)
    assert s.shape == (2, 3) + R.sinogram_shape
    for idx in np.ndindex(2, 3):
        np.testing.assert_array_equal(s[idx], R.forward(x[idx], workers=1))
    b = R.adjoint(s, workers=1)
    for idx in np.ndindex(2, 3):
        np.testing.assert_array_equal(b[idx], R.adjoint(s[idx], workers=2))
    f = R.fbp(s, workers=2)
    np.testing.assert_array_equal(f[1, 2], R.fbp(s[1, 2], workers=1))
    Rf = fastshear.Radon2D((40, 44), FULL, **_fan(44))
    sf = Rf.forward(x[0], workers=2)
    np.testing.assert_array_equal(sf[1], Rf.forward(x[0, 1], workers=1))
    np.testing.assert_array_equal(Rf.adjoint(sf, workers=1)[2], Rf.adjoint(sf[2], workers=2))


def test_concurrent_python_threads():
    R = fastshear.Radon2D((64, 64), FULL)
    Rf = fastshear.Radon2D((64, 64), np.linspace(0, 360, 40, endpoint=False), **_fan(64))
    rng = np.random.default_rng(4)
    xs = [rng.standard_normal((64, 64)) for _ in range(8)]
    want = [(R.forward(x), R.adjoint(R.forward(x)), R.fbp(R.forward(x)), Rf.forward(x)) for x in xs]

    def job(i):
        s = R.forward(xs[i], workers=1)
        return s, R.adjoint(s, workers=1), R.fbp(s, workers=1), Rf.forward(xs[i], workers=1)

    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(job, range(8)))
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            np.testing.assert_array_equal(a, b)


def test_linear_operator():
    R = fastshear.Radon2D((32, 30), FULL)
    A = R.aslinearoperator()
    assert A.shape == (60 * R.n_det, 32 * 30)
    rng = np.random.default_rng(5)
    x = rng.standard_normal(32 * 30)
    y = rng.standard_normal(A.shape[0])
    np.testing.assert_allclose(A.matvec(x), R.forward(x.reshape(32, 30)).ravel())
    np.testing.assert_allclose(A.rmatvec(y), R.adjoint(y.reshape(R.sinogram_shape)).ravel())
    X = rng.standard_normal((32 * 30, 3))
    np.testing.assert_allclose(A.matmat(X)[:, 1], A.matvec(X[:, 1]))
    np.testing.assert_allclose(A.rmatmat(A.matmat(X))[:, 2], A.rmatvec(A.matvec(X[:, 2])))


def test_defaults_and_dtypes():
    R = fastshear.Radon2D((50, 50), FULL)
    assert R.n_det == 50 and R.dtype == np.float64
    assert fastshear.Radon2D((50, 50), FULL, circle=False).n_det == int(np.ceil(np.sqrt(2) * 50))
    R32 = fastshear.Radon2D((50, 50), FULL, dtype=np.float32)
    assert R32.forward(np.ones((50, 50))).dtype == np.float32
    assert R32.adjoint(np.ones(R32.sinogram_shape, dtype=np.float64)).dtype == np.float32
    assert R.forward(np.ones((50, 50), dtype=np.int32)).dtype == np.float64
    assert "Radon2D" in repr(R) and "fan" in repr(fastshear.Radon2D((50, 50), FULL, **_fan(50)))


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        fastshear.Radon2D((64, 64), FULL).forward(np.zeros((64, 63)))
    with pytest.raises(ValueError, match="sinogram"):
        fastshear.Radon2D((64, 64), FULL).adjoint(np.zeros((60, 65)))
    with pytest.raises(ValueError, match="sinogram"):
        fastshear.Radon2D((64, 64), FULL).fbp(np.zeros((59, 64)))
    with pytest.raises(ValueError, match="theta"):
        fastshear.Radon2D((64, 64), [])
    with pytest.raises(ValueError, match="finite"):
        fastshear.Radon2D((64, 64), [0.0, np.nan])
    with pytest.raises(ValueError, match="finite"):
        fastshear.Radon2D((64, 64), [0.0, np.inf])
    with pytest.raises(TypeError):
        fastshear.Radon2D((64, 64), [0.0, 1j])
    with pytest.raises(ValueError, match="n_det"):
        fastshear.Radon2D((64, 64), FULL, n_det=0)
    with pytest.raises(ValueError, match="n_det"):
        fastshear.Radon2D((64, 64), FULL, n_det=2.5)
    with pytest.raises(ValueError, match="det_spacing"):
        fastshear.Radon2D((64, 64), FULL, det_spacing=-1.0)
    with pytest.raises(ValueError, match="shape"):
        fastshear.Radon2D((0, 64), FULL)
    with pytest.raises(ValueError, match="geometry"):
        fastshear.Radon2D((64, 64), FULL, geometry="cone")
    with pytest.raises(ValueError, match="source_distance"):
        fastshear.Radon2D((64, 64), FULL, geometry="fan")
    with pytest.raises(ValueError, match="inside the object"):
        fastshear.Radon2D((64, 64), FULL, geometry="fan", source_distance=20.0)
    with pytest.raises(ValueError, match="inside the object"):
        fastshear.Radon2D((64, 64), FULL, geometry="fan", source_distance=40.0, circle=False)
    with pytest.raises(ValueError, match="detector_distance"):
        fastshear.Radon2D((64, 64), FULL, geometry="fan", source_distance=100.0, detector_distance=-1.0)
    with pytest.raises(ValueError, match="fan"):
        fastshear.Radon2D((64, 64), FULL, source_distance=100.0)
    with pytest.raises(TypeError):
        fastshear.Radon2D((64, 64), FULL, dtype=np.complex128)
    R = fastshear.Radon2D((64, 64), FULL)
    with pytest.raises(TypeError, match="real"):
        R.forward(np.zeros((64, 64), complex))
    with pytest.raises(TypeError, match="real"):
        R.adjoint(np.zeros(R.sinogram_shape, complex))
    with pytest.raises(TypeError, match="real"):
        R.fbp(np.zeros(R.sinogram_shape, complex))
    with pytest.raises(ValueError, match="filter"):
        R.fbp(np.zeros(R.sinogram_shape), filter_name="blackman")
    with pytest.raises(ValueError, match="workers"):
        R.forward(np.zeros((64, 64)), workers=0)
    # empty batches are fine
    assert R.forward(np.zeros((0, 64, 64))).shape == (0,) + R.sinogram_shape


def test_non_finite_values_propagate():
    R = fastshear.Radon2D((32, 32), FULL)
    x = np.zeros((32, 32))
    x[16, 16] = np.nan
    assert np.isnan(R.forward(x)).any()


def test_ellipse_phantoms():
    e = np.array([[2.0, 12.0, 7.0, 3.0, -4.0, 30.0]])
    img = P.ellipse_image(e, (64, 64), oversample=8)
    assert abs(img.sum() - 2.0 * np.pi * 12 * 7) < 0.01 * img.sum()
    # the area integral of every projection is the mass, and a disc's projection is its chord
    s = P.ellipse_sinogram(e, np.arange(0, 180, 10.0), 6400, det_spacing=0.01)
    np.testing.assert_allclose(s.sum(axis=1) * 0.01, 2.0 * np.pi * 12 * 7, rtol=1e-4)
    disc = P.ellipse_sinogram([[1.0, 10.0, 10.0, 0.0, 0.0, 0.0]], [0.0, 45.0], 41)
    np.testing.assert_allclose(disc[:, 20 + 6], 2 * np.sqrt(100 - 36))
    # an off-centre ellipse: its projection at 0 degrees peaks at x0, at 90 degrees at y0
    s0 = P.ellipse_sinogram([[1.0, 3.0, 3.0, 10.0, -7.0, 0.0]], [0.0, 90.0], 64)
    assert s0[0].argmax() == 32 + 10 and s0[1].argmax() == 32 - 7
    # fan beam with a far source tends to parallel beam
    far = P.ellipse_sinogram(e, [20.0], 64, geometry="fan", source_distance=1e7)
    np.testing.assert_allclose(far, P.ellipse_sinogram(e, [20.0], 64), atol=1e-4)
    # random ellipses: deterministic, inside the circle
    r1, r2 = P.random_ellipses((100, 100), seed=9), P.random_ellipses((100, 100), seed=9)
    np.testing.assert_array_equal(r1, r2)
    assert np.all(np.hypot(r1[:, 3], r1[:, 4]) + r1[:, 1:3].max(axis=1) <= 50)
    with pytest.raises(ValueError, match=r"shape \(K, 6\)"):
        P.ellipse_image(np.ones((2, 5)), (10, 10))
    with pytest.raises(ValueError, match="needs source_distance"):
        P.ellipse_sinogram(e, [0.0], 10, geometry="fan")


def test_fbp_angle_weights_order_and_repeats():
    """FBP weights each angle by its share of the sampled range: the order of the angles does not
    matter, and repeating every projection leaves the reconstruction unchanged."""
    n = 64
    img = P.shepp_logan((n, n))
    theta = np.linspace(0, 180, 90, endpoint=False)
    R = fastshear.Radon2D((n, n), theta)
    s = R.forward(img)
    ref = R.fbp(s)
    perm = np.random.default_rng(6).permutation(theta.size)
    np.testing.assert_allclose(fastshear.Radon2D((n, n), theta[perm]).fbp(s[perm]), ref, atol=1e-12)
    twice = fastshear.Radon2D((n, n), np.concatenate([theta, theta]))
    np.testing.assert_allclose(twice.fbp(np.concatenate([s, s])), ref, atol=1e-12)
    # a limited range is weighted by its own step: the same intensities in the visible part
    lim = np.arange(-60, 61, 2.0)
    Rl = fastshear.Radon2D((n, n), lim)
    Rl2 = fastshear.Radon2D((n, n), np.arange(-60, 61, 1.0))
    a, b = Rl.fbp(Rl.forward(img)), Rl2.fbp(Rl2.forward(img))
    assert abs(a.sum() / b.sum() - 1) < 0.02


@pytest.mark.parametrize("name", ["fastshear.radon", "fastshear.phantoms"])
def test_docstring_examples(name):
    import doctest
    import importlib

    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
