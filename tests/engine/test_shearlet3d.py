"""The 3D shearlet transform: exactness, adjointness, dtypes, batches, band subsets, threads,
bad input."""
import threading
import warnings

import numpy as np
import pytest

import fastshear
from fastshear import Shearlet3D

warnings.filterwarnings("ignore", category=fastshear.ShearletFallbackWarning)

# small volumes: every one uses a fallback configuration (complex spectra), odd and non-cubic
SHAPES = [(33, 33, 33), (35, 40, 57), (41, 34, 36)]


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def vol(shape, seed=0, dtype=np.float64, lead=()):
    return np.random.default_rng(seed).standard_normal(lead + tuple(shape)).astype(dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scales", [1, 2])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_perfect_reconstruction(shape, scales, dtype, tol):
    sh = Shearlet3D(shape, scales, dtype=dtype)
    x = vol(shape, dtype=dtype)
    c = sh.forward(x)
    assert c.dtype == dtype and c.shape == (sh.n_shearlets,) + shape
    xr = sh.inverse(c)
    assert xr.dtype == dtype and xr.shape == shape
    assert rel(xr.astype(np.float64), x.astype(np.float64)) <= tol


@pytest.mark.parametrize("shape", SHAPES[:2])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_adjoint_dot_test(shape, dtype, tol):
    sh = Shearlet3D(shape, 1, dtype=dtype)
    x = vol(shape, 1, dtype)
    y = vol((sh.n_shearlets,) + shape, 2, dtype)
    cx = sh.forward(x).astype(np.float64)
    lhs = np.vdot(cx, y.astype(np.float64))
    rhs = np.vdot(x.astype(np.float64), sh.adjoint(y).astype(np.float64))
    assert abs(lhs - rhs) <= tol * np.linalg.norm(cx) * np.linalg.norm(y)


def test_float32_matches_float64():
    x = vol((35, 40, 57), 3)
    c64 = Shearlet3D((35, 40, 57), 2).forward(x)
    c32 = Shearlet3D((35, 40, 57), 2, dtype=np.float32).forward(x.astype(np.float32))
    assert rel(c32.astype(np.float64), c64) <= 1e-5


def test_default_filters_and_k_counts():
    sh = Shearlet3D((90, 90, 90), 1)  # configuration 1 on every plane: real spectra
    assert sh.filter_config == (1, 1, 1) and sh.n_shearlets == 50
    assert sh.frame_bounds[1] == pytest.approx(1.0, abs=1e-12)
    x = vol(sh.shape, 4)
    empty = sh.forward(x, bands=slice(0, 0))
    assert empty.shape == (0,) + sh.shape
    assert not sh.inverse(empty, bands=[]).any() and not sh.adjoint(empty, bands=slice(5, 5)).any()
    for scales, full, K in [(1, False, 50), (2, False, 99), (3, False, 292), (1, True, 76), (2, True, 151)]:
        idx = fastshear._shearlab.shearlet_indices_3d(fastshear._shearlab.default_shear_levels(scales), full)
        assert len(idx) == K and tuple(idx[-1]) == (0, 0, 0, 0)


def test_full_system_and_shear_levels():
    sh = Shearlet3D((40, 40, 40), 1, full=True)
    assert sh.n_shearlets == 3 * 25 + 1
    sh0 = Shearlet3D((40, 36, 44), 2, shear_levels=[0, 1])
    assert sh0.n_shearlets == (12 * 1 + 1) + (12 * 4 + 1) + 1
    for s in (sh, sh0):
        x = vol(s.shape, 5)
        assert rel(s.inverse(s.forward(x)), x) <= 1e-12


def test_batches_equal_single_calls():
    sh = Shearlet3D((33, 34, 35), 1)
    xs = vol(sh.shape, 6, lead=(2, 2))
    c = sh.forward(xs)
    assert c.shape == (2, 2, sh.n_shearlets) + sh.shape
    xa, xi = sh.adjoint(c), sh.inverse(c)
    assert xa.shape == xs.shape
    for i in range(2):
        for j in range(2):
            np.testing.assert_array_equal(c[i, j], sh.forward(xs[i, j]))
            np.testing.assert_array_equal(xa[i, j], sh.adjoint(c[i, j]))
            np.testing.assert_array_equal(xi[i, j], sh.inverse(c[i, j]))
    assert rel(xi, xs) <= 1e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_results_independent_of_workers(dtype):
    x = vol((35, 40, 57), 7, dtype, lead=(2,))
    ref = Shearlet3D((35, 40, 57), 1, dtype=dtype, workers=1)
    c1 = ref.forward(x)
    a1, i1 = ref.adjoint(c1), ref.inverse(c1)
    for w in (2, 3):
        sh = Shearlet3D((35, 40, 57), 1, dtype=dtype, workers=w)
        np.testing.assert_array_equal(sh.forward(x), c1)
        np.testing.assert_array_equal(sh.adjoint(c1), a1)
        np.testing.assert_array_equal(ref.inverse(c1, workers=w), i1)


def test_band_subsets():
    sh = Shearlet3D((36, 35, 34), 1)
    K = sh.n_shearlets
    x = vol(sh.shape, 8, lead=(2,))
    c = sh.forward(x)
    for bands in ([3, 0, 49, 3], slice(10, 40, 3), np.array([-1, -50]), np.arange(K) % 2 == 0,
                  np.array([], dtype=int)):
        np.testing.assert_array_equal(sh.forward(x, bands=bands), c[:, bands])
    np.testing.assert_array_equal(sh.forward(x, bands=7), c[:, 7])
    np.testing.assert_array_equal(sh.forward(x, bands=-1), c[:, K - 1])
    # synthesis of a partition of the bands sums to the synthesis of all of them
    parts = [slice(0, 17), [17, 30, 20], np.setdiff1d(np.arange(K), np.r_[0:17, 17, 30, 20])]
    for fn in (sh.adjoint, sh.inverse):
        total = sum(fn(c[:, p], bands=p) for p in parts)
        np.testing.assert_allclose(total, fn(c), rtol=0, atol=1e-12 * np.abs(fn(c)).max())
    np.testing.assert_allclose(sh.inverse(c[:, 5], bands=5), sh.inverse(c[:, [5]], bands=[5]))


def test_spectra_hermitian_and_dual_weights():
    sh = Shearlet3D((33, 34, 35), 1)
    n = np.array(sh.shape)
    w = np.zeros(sh.shape)
    for j in range(sh.n_shearlets):
        s = sh.spectrum(j)
        w += np.abs(s) ** 2
        # real filter in space: S(-xi) = conj(S(xi)) in the centred layout
        flipped = np.conj(np.roll(np.flip(s), tuple(1 - n % 2), axis=(0, 1, 2)))
        assert np.abs(s - flipped).max() <= 1e-12 * np.abs(s).max()
        if j in (0, sh.n_shearlets - 1):
            t = np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(s)))
            assert np.abs(t.imag).max() <= 1e-12 * np.abs(t.real).max()
    assert np.abs(w - sh.dual_frame_weights).max() <= 1e-12 * w.max()
    assert sh.frame_bounds == pytest.approx((w.min(), w.max()), rel=1e-12)
    assert np.sqrt([(np.abs(sh.spectrum(j)) ** 2).mean() for j in (0, 20, 49)]) == pytest.approx(
        sh.rms[[0, 20, 49]], rel=1e-12)


def test_energy_within_frame_bounds():
    sh = Shearlet3D((40, 40, 40), 1)
    x = vol(sh.shape, 9)
    e = (sh.forward(x) ** 2).sum()
    A, B = sh.frame_bounds
    assert A * (x**2).sum() * (1 - 1e-12) <= e <= B * (x**2).sum() * (1 + 1e-12)


def test_input_conversion_and_nan():
    sh = Shearlet3D((33, 33, 33), 1)
    xi = np.arange(33**3, dtype=np.int32).reshape(sh.shape) % 7
    np.testing.assert_allclose(sh.forward(xi), sh.forward(xi.astype(np.float64)))
    xb = vol((33, 33, 66), 10)
    np.testing.assert_array_equal(sh.forward(xb[..., ::2]), sh.forward(np.ascontiguousarray(xb[..., ::2])))
    x = np.zeros(sh.shape)
    x[1, 2, 3] = np.nan
    assert np.isnan(sh.inverse(sh.forward(x))).any()


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda sh: sh.forward(np.zeros((33, 33, 34))), ValueError, r"\(\.\.\., 33, 33, 33\).*got \(33, 33, 34\)"),
        (lambda sh: sh.forward(np.zeros((33, 33))), ValueError, "shape"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33), complex)), TypeError, "real"),
        (lambda sh: sh.adjoint(np.zeros((49, 33, 33, 33))), ValueError, r"\(\.\.\., 50, 33, 33, 33\)"),
        (lambda sh: sh.inverse(np.zeros((33, 33, 33))), ValueError, "50, 33, 33, 33"),
        (lambda sh: sh.inverse(np.zeros((3, 33, 33, 33)), bands=[1, 2]), ValueError, r"2, 33, 33, 33"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33)), bands=50), ValueError, "out of range"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33)), bands=[0, 50]), ValueError, "indices"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33)), bands=[[0, 1]]), ValueError, "1D"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33)), bands=[0.5]), TypeError, "bands"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33)), bands=True), TypeError, "bands"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33)), bands=np.ones(3, bool)), ValueError, "mask"),
        (lambda sh: sh.forward(np.zeros((33, 33, 33)), workers=0), ValueError, "workers"),
        (lambda sh: sh.spectrum(50), ValueError, "j must"),
    ],
)
def test_bad_input_raises_clearly(call, exc, match):
    sh = Shearlet3D((33, 33, 33), 1)
    with pytest.raises(exc, match=match):
        call(sh)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(shape=(32, 32, 32), scales=2), ValueError, r"33x33x33"),
        (dict(shape=(64, 64, 20), scales=1), ValueError, r"n1 x n3 plane is 64x20.*33x33x33"),
        (dict(shape=(64, 64, 64), scales=3), ValueError, r"73x73x73.*scales=2"),
        (dict(shape=(40, 40, 40), scales=0), ValueError, "scales"),
        (dict(shape=(40, 40, 40), scales=2, shear_levels=[1]), ValueError, "shear_levels"),
        (dict(shape=(40, 40, 40), scales=1, shear_levels=[-1]), ValueError, "shear_levels"),
        (dict(shape=(40, 40), scales=1), ValueError, "shape"),
        (dict(shape=(40, 0, 40), scales=1), ValueError, "positive"),
        (dict(shape=(40, 40, 40), scales=1, dtype=np.complex64), TypeError, "dtype"),
        (dict(shape=(40, 40, 40), scales=1, workers=-1), ValueError, "workers"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Shearlet3D(**kwargs)


def test_fallback_warns():
    with pytest.warns(fastshear.ShearletFallbackWarning, match=r"\(7, 7, 7\)"):
        Shearlet3D((40, 44, 48), 1)


def test_concurrent_python_threads():
    sh = Shearlet3D((33, 34, 35), 1, workers=1)
    xs = [vol(sh.shape, 20 + i) for i in range(4)]
    expected = [sh.inverse(sh.forward(x)) for x in xs]
    results = [None] * len(xs)

    def work(i):
        for _ in range(2):
            results[i] = sh.inverse(sh.forward(xs[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, e in zip(results, expected):
        np.testing.assert_array_equal(r, e)


def test_denoise3d_improves_cartoon():
    clean = fastshear.phantoms.cartoon3d((40, 40, 40), seed=2)
    noisy = clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape)
    den = fastshear.shearlet_denoise3d(noisy, 0.1, scales=1)
    assert np.linalg.norm(den - clean) < 0.7 * np.linalg.norm(noisy - clean)
    # streaming the bands changes nothing but rounding
    sh = Shearlet3D(clean.shape, 1)
    c = sh.forward(noisy)
    c[np.abs(c) <= 0.3 * sh.rms[:, None, None, None]] = 0
    np.testing.assert_allclose(den, sh.inverse(c), rtol=0, atol=1e-12)
    den32 = fastshear.shearlet_denoise3d(noisy.astype(np.float32), 0.1, scales=1, chunk=7)
    assert den32.dtype == np.float32
    with pytest.raises(ValueError, match="noise_level"):
        fastshear.shearlet_denoise3d(noisy, -1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_out_argument_reuses_memory(dtype):
    sh = Shearlet3D((35, 40, 57), 1, dtype=dtype)
    K = sh.n_shearlets
    x = vol(sh.shape, 9, dtype, lead=(2,))
    c = sh.forward(x)
    out = np.full_like(c, np.nan)
    assert sh.forward(x, out=out) is out
    np.testing.assert_array_equal(out, c)
    sel = np.full((2, 5) + sh.shape, np.nan, dtype)
    np.testing.assert_array_equal(sh.forward(x, bands=slice(3, 8), out=sel), c[:, 3:8])
    one = np.full((2,) + sh.shape, np.nan, dtype)
    np.testing.assert_array_equal(sh.forward(x, bands=K - 1, out=one), c[:, K - 1])
    for fn in (sh.adjoint, sh.inverse):
        y = np.full(x.shape, np.nan, dtype)
        assert fn(c, out=y) is y
        np.testing.assert_array_equal(y, fn(c))
        y0 = np.full(x.shape, np.nan, dtype)
        np.testing.assert_array_equal(fn(c[:, :0], bands=[], out=y0), np.zeros_like(y0))
    with pytest.raises(ValueError, match=r"shape \(2, 5, 35, 40, 57\)"):
        sh.forward(x, bands=slice(3, 8), out=np.empty((2, 6) + sh.shape, dtype))
    with pytest.raises(ValueError, match="share memory"):
        sh.forward(c[0, 0], bands=0, out=c[0, 0])
