"""SPDHG's fused kernels (_core.tv_dual_step, _core.spdhg_primal_step) against NumPy references
built from operators.Gradient2D, and their thread-count independence."""
import numpy as np
import pytest

from fastshear import _core, _testing
from fastshear.operators import Gradient2D

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def tv_dual_reference(x, y, z, sigma, lam, scale):
    """(y_new, z_new, e, sum d^2 per problem) in NumPy, in x's dtype, sums in float64."""
    G = Gradient2D(x.shape[-2:], dtype=x.dtype)
    v = y + sigma * G.forward(x)
    r = np.sqrt(v[..., 0, :, :] ** 2 + v[..., 1, :, :] ** 2)[..., None, :, :]
    y_new = np.zeros_like(v) if lam == 0 else v / np.maximum(1, r / lam)
    d = y_new - y
    dz = G.adjoint(d)
    sums = np.sum(d.astype(np.float64).reshape(-1 if x.ndim == 3 else 1, 2 * x.shape[-2] * x.shape[-1]) ** 2,
                  axis=1)
    return y_new, z + dz, (scale * dz).astype(x.dtype), sums


def tv_arrays(shape, nb, dtype, seed=0):
    rng = np.random.default_rng(seed)
    lead = (nb,) if nb else ()
    x = rng.standard_normal(lead + shape).astype(dtype)
    y = rng.standard_normal(lead + (2,) + shape).astype(dtype)  # |y| > lam at many pixels
    z = rng.standard_normal(lead + shape).astype(dtype)
    return x, y, z, np.full(lead + shape, np.nan, dtype=dtype)


def run_tv(x, y, z, e, sigma, lam, scale, threads):
    y, z, e = y.copy(), z.copy(), e.copy()
    s = _core.tv_dual_step(x, y, z, e, sigma, lam, scale, threads=threads)
    return y, z, e, s


# 260 x 130 and 1000 x 17: several blocks of rows per image (the blocks' edge rows)
SHAPES = [(5, 7), (16, 16), (33, 20), (1, 9), (9, 1), (1, 1), (260, 130), (1000, 17)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("nb", [1, 3])
@pytest.mark.parametrize("lam", [0.8, 0.0])
def test_tv_dual_step_matches_numpy(dtype, shape, nb, lam):
    if nb == 3 and shape[0] * shape[1] > 1000:
        nb = 2
    x, y, z, e = tv_arrays(shape, nb, dtype)
    sigma, scale = 0.7, 2.5
    y_ref, z_ref, e_ref, s_ref = tv_dual_reference(x, y, z, sigma, lam, scale)
    y1, z1, e1, s1 = run_tv(x, y, z, e, sigma, lam, scale, threads=1)
    assert s1.dtype == np.float64 and s1.shape == (nb,)
    tol = TOL[dtype]
    np.testing.assert_allclose(y1, y_ref, **tol)
    np.testing.assert_allclose(z1, z_ref, **tol)
    np.testing.assert_allclose(e1, e_ref, rtol=tol["rtol"], atol=scale * tol["atol"])
    np.testing.assert_allclose(s1, s_ref, rtol=10 * tol["rtol"])
    # the projection: |y_new| <= lam (lam == 0: exactly 0)
    mag = np.sqrt(y1[:, 0].astype(np.float64) ** 2 + y1[:, 1].astype(np.float64) ** 2)
    if lam == 0:
        assert not np.any(y1)
    else:
        assert mag.max() <= lam * (1 + 4 * np.finfo(dtype).eps)
        v = y + sigma * Gradient2D(shape, dtype=dtype).forward(x)
        projected = np.sqrt(v[:, 0] ** 2 + v[:, 1] ** 2) > lam
        assert projected.any() or x.size < 10
        np.testing.assert_allclose(mag[projected], lam, rtol=1e-5)
    # the same bits for any thread count
    for threads in (2, 3):
        y2, z2, e2, s2 = run_tv(x, y, z, e, sigma, lam, scale, threads=threads)
        for a, b in ((y1, y2), (z1, z2), (e1, e2), (s1, s2)):
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("level", list(_testing.ISA_LEVELS))
def test_tv_dual_step_every_isa_variant(level):
    """Each instruction-set variant of the row kernels (forced through fastshear._testing.isa)."""
    if level not in _testing.isa_levels():
        pytest.skip(f"this CPU does not run {level}")
    for dtype in (np.float32, np.float64):
        x, y, z, e = tv_arrays((70, 300), 2, dtype, seed=8)  # 2 blocks of rows per image
        y_ref, z_ref, e_ref, s_ref = tv_dual_reference(x, y, z, 0.9, 0.6, 1.5)
        with _testing.isa(level):
            y1, z1, e1, s1 = run_tv(x, y, z, e, 0.9, 0.6, 1.5, threads=1)
            y2, z2, e2, s2 = run_tv(x, y, z, e, 0.9, 0.6, 1.5, threads=2)
        for a, b in ((y1, y_ref), (z1, z_ref), (e1, e_ref)):
            np.testing.assert_allclose(a, b, **TOL[dtype])
        np.testing.assert_allclose(s1, s_ref, rtol=10 * TOL[dtype]["rtol"])
        assert all(a.tobytes() == b.tobytes() for a, b in ((y1, y2), (z1, z2), (e1, e2), (s1, s2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tv_dual_step_unbatched_image(dtype):
    x, y, z, e = tv_arrays((12, 10), 0, dtype, seed=3)
    y_ref, z_ref, e_ref, s_ref = tv_dual_reference(x, y, z, 1.3, 0.5, -1.0)
    s = _core.tv_dual_step(x, y, z, e, 1.3, 0.5, -1.0)
    assert s.shape == (1,)
    np.testing.assert_allclose(y, y_ref, **TOL[dtype])
    np.testing.assert_allclose(z, z_ref, **TOL[dtype])
    np.testing.assert_allclose(e, e_ref, **TOL[dtype])
    np.testing.assert_allclose(s, s_ref, rtol=1e-4)


def test_tv_dual_step_batch_matches_single_problems():
    x, y, z, e = tv_arrays((20, 13), 3, np.float64, seed=4)
    yb, zb, eb, sb = run_tv(x, y, z, e, 0.4, 0.3, 1.5, threads=2)
    for p in range(3):
        yp, zp, ep, sp = run_tv(x[p], y[p], z[p], e[p], 0.4, 0.3, 1.5, threads=1)
        assert yp.tobytes() == yb[p].tobytes() and zp.tobytes() == zb[p].tobytes()
        assert ep.tobytes() == eb[p].tobytes() and sp[0] == sb[p]


def test_tv_dual_step_errors():
    x, y, z, e = tv_arrays((6, 5), 2, np.float64)
    f = _core.tv_dual_step
    with pytest.raises(TypeError, match="y must have the dtype of x"):
        f(x, y.astype(np.float32), z, e, 1.0, 1.0, 1.0)
    with pytest.raises(TypeError, match="float32 or float64"):
        f(x.astype(np.int64), y, z, e, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="needs y of shape"):
        f(x, y[:, :1].copy(), z, e, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="needs y of shape"):
        f(x, y, z[:, :5].copy(), e, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"\(N, M\) or \(nb, N, M\)"):
        f(x[0, 0], y[0, :, 0].copy(), z[0, 0], e[0, 0].copy(), 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="C-contiguous"):
        f(x, np.zeros((2, 2, 6, 10))[..., ::2], z, e, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="C-contiguous"):
        f(np.asfortranarray(x), y, z, e, 1.0, 1.0, 1.0)
    ro = z.copy()
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="z must be writeable"):
        f(x, y, ro, e, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="share memory"):
        f(x, y, z, z, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="lam"):
        f(x, y, z, e, 1.0, -1.0, 1.0)
    with pytest.raises(ValueError, match="N, M >= 1"):
        f(x[:, :0], y[:, :, :0], z[:, :0], e[:, :0], 1.0, 1.0, 1.0)


def primal_reference(x, z, e, tau, nonneg):
    x_new = x - tau * (z + e)
    if nonneg:
        x_new = np.maximum(x_new, 0)
    d = x_new.astype(np.float64) - x.astype(np.float64)
    return x_new, np.sum(d.reshape(x.shape[0], -1) ** 2, axis=1)


# (3, 300, 300): several chunks per problem, run on more than one thread
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 5, 7), (3, 33, 20), (2, 4, 5, 6), (3, 300, 300)])
@pytest.mark.parametrize("nonneg", [False, True])
def test_spdhg_primal_step_matches_numpy(dtype, shape, nonneg):
    rng = np.random.default_rng(5)
    x, z, e = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    tau = rng.uniform(0.1, 1.0, shape[1:]).astype(dtype)
    x_ref, s_ref = primal_reference(x, z, e, tau, nonneg)
    out = {}
    for threads in (1, 2, 3):
        xt = x.copy()
        out[threads] = (xt, _core.spdhg_primal_step(xt, z, e, tau, nonneg, threads=threads))
    x1, s1 = out[1]
    assert s1.dtype == np.float64 and s1.shape == (shape[0],)
    np.testing.assert_allclose(x1, x_ref, **TOL[dtype])
    np.testing.assert_allclose(s1, s_ref, rtol=1e-4 if dtype == np.float32 else 1e-12)
    if nonneg:
        assert x1.min() == 0
    else:
        assert x1.min() < 0
    for threads in (2, 3):
        xt, st = out[threads]
        assert xt.tobytes() == x1.tobytes() and st.tobytes() == s1.tobytes()


def test_spdhg_primal_step_tau_of_all_values_is_one_problem():
    rng = np.random.default_rng(6)
    x, z, e, tau = (rng.standard_normal((4, 6)) for _ in range(4))
    x_ref, _ = primal_reference(x, z, e, tau, False)
    s = _core.spdhg_primal_step(x, z, e, tau, False)
    assert s.shape == (1,)
    np.testing.assert_allclose(x, x_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s[0], np.sum((x_ref - (x_ref + tau * (z + e))) ** 2), rtol=1e-10)


def test_spdhg_primal_step_errors():
    rng = np.random.default_rng(7)
    x, z, e = (rng.standard_normal((2, 5, 6)) for _ in range(3))
    tau = np.ones((5, 6))
    f = _core.spdhg_primal_step
    with pytest.raises(TypeError, match="tau must have the dtype of x"):
        f(x, z, e, tau.astype(np.float32), True)
    with pytest.raises(TypeError, match="z must have the dtype of x"):
        f(x, z.astype(np.float32), e, tau, True)
    with pytest.raises(TypeError, match="float32 or float64"):
        f(x.astype(np.complex128), z, e, tau, True)
    with pytest.raises(ValueError, match="same shape"):
        f(x, z[:, :4].copy(), e, tau, True)
    with pytest.raises(ValueError, match="tau must hold"):
        f(x, z, e, tau[:4].copy(), True)
    with pytest.raises(ValueError, match="C-contiguous"):
        f(x, z, e, np.ones((5, 12))[:, ::2], True)
    ro = x.copy()
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="x must be writeable"):
        f(ro, z, e, tau, True)
    with pytest.raises(ValueError, match="share memory"):
        f(x, x, e, tau, True)
