"""ADMM (solvers.ADMM / solvers.admm) and the converged CT reconstructions built on it."""
import numpy as np
import pytest
from conftest import orthogonal

import fastshear
from fastshear import _testing, ct, phantoms, solvers
from fastshear import operators as ops


@pytest.fixture(scope="module")
def ct_problem():
    n = 48
    theta = np.arange(-60, 61, 3.0)
    R = fastshear.Radon2D((n, n), theta)
    S = fastshear.Shearlet2D((n, n), 2)
    x = phantoms.shepp_logan((n, n))
    g = R.forward(x)
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(0).standard_normal(g.shape)
    w = ct.default_weights(S, 0.3)
    return R, S, g, w


def objective(R, S, g, w, x):
    return 0.5 * np.sum((R.forward(x) - g) ** 2) + np.sum(w[:, None, None] * np.abs(S.forward(x)))


def test_admm_soft_thresholding_closed_form():
    b = np.random.default_rng(1).standard_normal((6, 7)) * 2
    r = solvers.admm(ops.Identity((6, 7)), b, ops.Identity((6, 7)), solvers.L1(0.7), nonneg=False,
                     max_iter=2000, tol=1e-10)
    assert r.converged
    np.testing.assert_allclose(r.x, np.sign(b) * np.maximum(np.abs(b) - 0.7, 0), atol=1e-8)


@pytest.mark.parametrize("constraint_rho", [None, 0.3, 5.0])
def test_admm_nonneg_and_support_closed_form(constraint_rho):
    # A = I, K = I: prox of w|.| + constraint -> max(b - w, 0) on the support, 0 off it, whatever
    # the constraint split's penalty (it changes the path, not the minimiser)
    b = np.random.default_rng(2).standard_normal((8, 8)) * 2
    sup = np.zeros((8, 8), bool)
    sup[2:6, 1:7] = True
    r = solvers.admm(ops.Identity((8, 8)), b, ops.Identity((8, 8)), solvers.L1(0.5), support=sup,
                     constraint_rho=constraint_rho, max_iter=3000, tol=1e-10)
    assert r.converged
    assert r.info["constraint_rho"] == (r.info["rho"] if constraint_rho is None else constraint_rho)
    np.testing.assert_allclose(r.x, np.maximum(b - 0.5, 0) * sup, atol=1e-7)


@pytest.fixture(scope="module")
def lasso():
    # with K = Q orthogonal, z = Q x turns the analysis problem into a lasso FISTA solves on its own
    rng = np.random.default_rng(4)
    n, m = 30, 20
    Q = orthogonal(n, 5)
    a = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    f = solvers.fista(ops.MatrixOperator(a @ Q.T), b, solvers.L1(0.3), max_iter=20000, tol=1e-13)
    return a, b, Q, Q.T @ f.x


@pytest.mark.parametrize("rho", [None, 0.05, 30.0])
def test_admm_matches_fista_on_the_synthesis_lasso(lasso, rho):
    # ADMM converges for every rho > 0 (the default only sets the speed)
    a, b, Q, x_ref = lasso
    r = solvers.admm(ops.MatrixOperator(a), b, ops.MatrixOperator(Q), solvers.L1(0.3), nonneg=False,
                     rho=rho, cg_steps=30, max_iter=20000, tol=1e-9)
    assert r.converged
    np.testing.assert_allclose(r.x, x_ref, atol=1e-6)


def test_admm_decreases_the_ct_objective(ct_problem):
    R, S, g, w = ct_problem
    f = solvers.L1(w, band_ndim=2)
    x0 = np.maximum(R.fbp(g), 0)
    r = solvers.admm(R, g, S, f, x0=x0, max_iter=120, tol=0)
    obj = r.history["objective"]
    assert r.x.min() >= 0
    assert objective(R, S, g, w, r.x) < 0.5 * objective(R, S, g, w, x0)
    assert obj[-1] < obj[40] < obj[4]
    # the objective reported is the objective of the iterate
    assert abs(obj[-1] - objective(R, S, g, w, r.x)) <= 0.05 * obj[-1]


def test_admm_stopping_rule(ct_problem):
    R, S, g, w = ct_problem
    r = solvers.admm(R, g, S, solvers.L1(w, band_ndim=2), max_iter=500, tol=0.1)
    rel = r.history["rel_residual"]
    assert r.converged and r.iterations == len(rel) < 500
    assert rel[-1] <= 0.1 and np.all(rel[:-1] > 0.1)
    short = solvers.admm(R, g, S, solvers.L1(w, band_ndim=2), max_iter=3, tol=0.1)
    assert not short.converged and short.iterations == 3
    # stepping by hand gives the same iterates as run()
    s = solvers.ADMM(R, g, S, solvers.L1(w, band_ndim=2), max_iter=3, tol=0.1)
    for _ in range(3):
        s.step()
    np.testing.assert_array_equal(s.x, short.x)


def test_admm_batch_equals_one_by_one(ct_problem):
    R, S, g, w = ct_problem
    gs = np.stack([g, 0.5 * g, g[::-1] * 0.8])
    f = solvers.L1(w, band_ndim=2)
    rb = solvers.admm(R, gs, S, f, max_iter=200, tol=0.1)
    assert rb.x.shape == (3,) + R.shape
    for i in range(3):
        ri = solvers.admm(R, gs[i], S, f, max_iter=200, tol=0.1)
        assert rb.info["iterations"][i] == ri.iterations
        assert rb.info["converged"][i] == ri.converged
        np.testing.assert_allclose(rb.x[i], ri.x, rtol=1e-9, atol=1e-9 * np.abs(ri.x).max())
    assert rb.history["objective"].shape[1] == 3


def test_normal_symbols():
    rng = np.random.default_rng(3)
    S = fastshear.Shearlet2D((40, 36), 2)
    x = rng.standard_normal((40, 36))
    h = solvers.normal_symbol(S)
    np.testing.assert_allclose(np.fft.irfft2(h * np.fft.rfft2(x), s=x.shape), S.adjoint(S.forward(x)),
                               atol=1e-10)
    D = ops.Gradient2D((40, 36))
    hd = solvers.normal_symbol(D)
    # periodic differences: exact on a periodic image's interior -> check on the symbol's values
    assert hd.shape == (40, 19) and hd[0, 0] == 0 and hd.max() <= 8 + 1e-12
    # Radon: the measured transfer function reproduces R^T R on a smooth central blob
    R = fastshear.Radon2D((64, 64), np.arange(0, 180, 1.0))
    hr = solvers.normal_symbol(R)
    yy, xx = np.mgrid[:64, :64] - 32
    blob = np.exp(-(yy ** 2 + xx ** 2) / 30.0)
    approx = np.fft.irfft2(hr * np.fft.rfft2(blob), s=blob.shape)
    exact = R.adjoint(R.forward(blob))
    inner = yy ** 2 + xx ** 2 < 20 ** 2
    assert np.linalg.norm((approx - exact)[inner]) < 0.1 * np.linalg.norm(exact[inner])
    assert solvers.normal_symbol(ops.MatrixOperator(np.eye(3))) is None


def test_reconstruct_default_scales_converge_on_small_images():
    """Below 128 x 128 ShearLab's 3- and 4-scale filters are ill-conditioned frames (bounds 600-18000
    apart): ct's default scales keep a well-conditioned one and the solve converges (with scales=4
    at 96 x 96 it is still far off after 500 iterations), with ADMM's penalty for 2 scales (217
    iterations at the default rule's penalty)."""
    n, theta = 96, np.arange(-60, 61, 1.0)
    e = phantoms.random_ellipses((n, n), seed=3)
    g = phantoms.ellipse_sinogram(e, theta, n)
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(100).standard_normal(g.shape)
    x, info = ct.reconstruct(g, theta, (n, n), return_info=True, dtype=np.float32)
    assert info["scales"] == ct.default_scales((n, n)) == 2
    assert info["converged"] and info["iterations"] < 170
    assert [ct.default_scales((k, k)) for k in (48, 80, 120, 127, 128, 256)] == [2, 2, 2, 4, 4, 4]


def test_admm_preconditions_fan_beam():
    """A fan-beam projector gets the measured transfer function too (a preconditioner): TV by
    ADMM on a 360-degree fan scan converges within 200 iterations (without it: not in 400)."""
    n = 32
    R = fastshear.Radon2D((n, n), np.arange(0, 360, 4.0), geometry="fan", source_distance=2.0 * n,
                          detector_distance=1.0 * n, n_det=51, dtype=np.float32)
    hr = solvers.normal_symbol(R)
    assert hr is not None and hr.shape == (n, n // 2 + 1)
    x = phantoms.ellipse_image(phantoms.random_ellipses((n, n), seed=3), (n, n)).astype(np.float32)
    g = R.forward(x)
    g += 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(1).standard_normal(g.shape).astype(np.float32)
    r = solvers.ADMM(R, g, ops.Gradient2D((n, n), dtype=np.float32), solvers.L21(2.0), support=R.support,
                     max_iter=200, tol=1e-3).run()
    assert r.converged and r.iterations < 200


def test_admm_bad_input(ct_problem):
    R, S, g, w = ct_problem
    f = solvers.L1(w, band_ndim=2)
    with pytest.raises(ValueError, match="x0 must have shape"):
        solvers.admm(R, g, S, f, x0=np.zeros((5, 5)))
    with pytest.raises(ValueError, match="rho"):
        solvers.admm(R, g, S, f, rho=np.inf)
    with pytest.raises(ValueError, match="constraint_rho"):
        solvers.admm(R, g, S, f, constraint_rho=-1.0)
    with pytest.raises(ValueError, match="cg_steps"):
        solvers.admm(R, g, S, f, cg_steps=0)
    with pytest.raises(ValueError, match="support"):
        solvers.admm(R, g, S, f, support=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="b must have shape"):
        solvers.admm(R, g[:, :-1], S, f)
    with pytest.raises(ValueError, match="NaN"):
        solvers.admm(R, np.full_like(g, np.nan), S, f)


def test_reconstruct_batches_and_reports():
    n = 48
    theta = np.arange(-60, 61, 3.0)
    e = [phantoms.random_ellipses((n, n), seed=s) for s in (3, 4)]
    gs = np.stack([phantoms.ellipse_sinogram(ei, theta, n) for ei in e])
    gs = gs + 0.01 * np.sqrt(np.mean(gs ** 2)) * np.random.default_rng(5).standard_normal(gs.shape)
    seen = []
    for method in ("tv", "shearlet-l1"):
        xb, ib = ct.reconstruct(gs, theta, (n, n), method, scales=2, tol=0.1, return_info=True, dtype=np.float32,
                                callback=lambda it, x, info: seen.append(x.shape))
        assert xb.shape == (2, n, n) and ib["iterations"].shape == (2,) and ib["converged"].dtype == bool
        assert xb.min() >= 0 and np.all(xb[:, ~fastshear.Radon2D((n, n), theta).support] == 0)
        assert seen[-1] == (2, n, n)
        for i in range(2):
            xi, ii = ct.reconstruct(gs[i], theta, (n, n), method, scales=2, tol=0.1, return_info=True, dtype=np.float32)
            assert ii["converged"] == ib["converged"][i] and ii["iterations"] == ib["iterations"][i]
            np.testing.assert_allclose(xb[i], xi, rtol=1e-4, atol=1e-4 * np.abs(xi).max())
            gt = phantoms.ellipse_image(e[i], (n, n))
            fbp = ct.reconstruct(gs[i], theta, (n, n), "fbp", dtype=np.float32)
            assert ct.metrics(xi, gt)["psnr"] > ct.metrics(fbp, gt)["psnr"] + 3


@pytest.mark.parametrize("level", _testing.ISA_LEVELS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_fused_admm_step_matches_its_formulas(dt, level):
    # every instruction-set variant of the pass (forced through fastshear._testing.isa)
    if level not in _testing.isa_levels():
        pytest.skip(f"this CPU has no {level}")
    with _testing.isa(level):
        _check_fused_admm_step(dt)


def _check_fused_admm_step(dt):
    rng = np.random.default_rng(5)
    batch, bands, n = 3, 4, 10
    kx = rng.standard_normal((batch, bands, n, n)).astype(dt)
    zz, ll = (rng.standard_normal((batch, 2, bands, n, n)).astype(dt) for _ in range(2))
    zz[1, 0] = ll[1, 0] = np.nan                 # problem 1 (fac 0) has no previous iterate: never read
    cur = np.array([0, 1, 1], np.uint8)          # the current iterate's half, per problem
    fac = np.array([0.4, 0.0, 0.9])              # extrapolation of this step
    nxt = np.array([0.7, 0.2, 0.0])              # that of the next, if this step is kept
    w, rho = np.array([0.0, 0.3, 1.0, 2.5], dt), 1.7
    z0, l0 = zz.astype(np.float64), ll.astype(np.float64)
    d = np.empty_like(kx)
    st = fastshear._core.admm_l1_step(kx, zz, ll, d, cur, fac, nxt, w, batch, n * n, rho)
    atol = 1e-5 if dt == np.float32 else 1e-12
    t = (w / rho)[:, None, None]
    for p in range(batch):
        c = cur[p]
        zc, lc, zo, lo = z0[p, c], l0[p, c], z0[p, 1 - c], l0[p, 1 - c]
        zh = zc + fac[p] * (zc - zo) if fac[p] else zc
        lh = lc + fac[p] * (lc - lo) if fac[p] else lc
        v = kx[p].astype(np.float64) + lh
        ln = np.clip(v, -t, t)
        zn = v - ln
        np.testing.assert_allclose(ll[p, 1 - c], ln, atol=atol)        # the new iterate over the old
        np.testing.assert_allclose(zz[p, 1 - c], zn, atol=atol)
        np.testing.assert_array_equal(zz[p, c], z0[p, c].astype(dt))  # the current one untouched
        np.testing.assert_array_equal(ll[p, c], l0[p, c].astype(dt))
        g = nxt[p]
        np.testing.assert_allclose(d[p], (zn + g * (zn - zc)) - (ln + g * (ln - lc)), atol=10 * atol)
        want = [((ln - lh) ** 2).sum(), ((zn - zh) ** 2).sum(), (kx[p].astype(np.float64) ** 2).sum(),
                (zn ** 2).sum(), (w[:, None, None] * np.abs(kx[p].astype(np.float64))).sum()]
        np.testing.assert_allclose(st[p], want, rtol=1e-5 if dt == np.float32 else 1e-12)
    # groups of 2 components (TV's l2,1 on a gradient (2, N, M)): v projected onto the disc
    kx2 = rng.standard_normal((2, 2, n, n)).astype(dt)
    zz2, ll2 = (rng.standard_normal((2, 2, 2, n, n)).astype(dt) for _ in range(2))
    z20, l20 = zz2.astype(np.float64), ll2.astype(np.float64)
    d2 = np.empty_like(kx2)
    cur2, fac2, nxt2, lam = np.array([1, 0], np.uint8), np.array([0.5, 0.0]), np.array([0.0, 0.3]), 0.8
    st2 = fastshear._core.admm_l1_step(kx2, zz2, ll2, d2, cur2, fac2, nxt2, np.array([lam], dt), 2, n * n, rho,
                                       group=2)
    for p in range(2):
        c = cur2[p]
        zc, lc, zo, lo = z20[p, c], l20[p, c], z20[p, 1 - c], l20[p, 1 - c]
        zh, lh = zc + fac2[p] * (zc - zo), lc + fac2[p] * (lc - lo)
        v = kx2[p].astype(np.float64) + lh
        mag = np.sqrt((v ** 2).sum(0))
        ln = v * np.minimum(1.0, (lam / rho) / np.maximum(mag, 1e-300))
        zn = v - ln
        np.testing.assert_allclose(ll2[p, 1 - c], ln, atol=atol)
        np.testing.assert_allclose(zz2[p, 1 - c], zn, atol=atol)
        g = nxt2[p]
        np.testing.assert_allclose(d2[p], (zn + g * (zn - zc)) - (ln + g * (ln - lc)), atol=10 * atol)
        kn = np.sqrt((kx2[p].astype(np.float64) ** 2).sum(0))
        want = [((ln - lh) ** 2).sum(), ((zn - zh) ** 2).sum(), (kn ** 2).sum(), (zn ** 2).sum(), lam * kn.sum()]
        np.testing.assert_allclose(st2[p], want, rtol=1e-5 if dt == np.float32 else 1e-12)
    with pytest.raises(ValueError, match="group must be 1 or 2"):
        fastshear._core.admm_l1_step(kx2, zz2, ll2, d2, cur2, fac2, nxt2, np.array([lam], dt), 2, n * n, rho,
                                     group=3)
    other = np.float64 if dt == np.float32 else np.float32
    with pytest.raises(ValueError, match="precision of kx"):
        fastshear._core.admm_l1_step(kx, zz.astype(other), ll, d, cur, fac, nxt, w, batch, n * n, rho)
    with pytest.raises(ValueError, match="do not tile"):
        fastshear._core.admm_l1_step(kx, zz, ll, d, cur, fac, nxt, w, batch, n * n + 1, rho)
    with pytest.raises(ValueError, match="two iterates"):
        fastshear._core.admm_l1_step(kx, zz[:, :1].copy(), ll, d, cur, fac, nxt, w, batch, n * n, rho)
    with pytest.raises(ValueError, match="0 or 1"):
        fastshear._core.admm_l1_step(kx, zz, ll, d, np.array([0, 2, 1], np.uint8), fac, nxt, w, batch, n * n, rho)
    with pytest.raises(ValueError, match="one value per problem"):
        fastshear._core.admm_l1_step(kx, zz, ll, d, cur, fac[:2], nxt, w, batch, n * n, rho)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_batched_dot_sums_each_problem_in_float64(dt):
    rng = np.random.default_rng(2)
    for shape in [(3, 7, 5), (2, 300, 300), (1, 1)]:          # one chunk, several chunks, one value
        a, b = (rng.standard_normal(shape).astype(dt) for _ in range(2))
        want = np.einsum("bi,bi->b", a.reshape(shape[0], -1).astype(np.float64), b.reshape(shape[0], -1))
        got = fastshear._core.batched_dot(a, b, shape[0])
        assert got.dtype == np.float64 and got.shape == (shape[0],)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
        # the same bits for any thread count
        np.testing.assert_array_equal(fastshear._core.batched_dot(a, b, shape[0], threads=1), got)
        np.testing.assert_array_equal(fastshear._core.batched_dot(a, b, shape[0], threads=2), got)
    with pytest.raises(ValueError, match="same shape"):
        fastshear._core.batched_dot(a, b[:0], 1)
    with pytest.raises(ValueError, match="do not tile"):
        fastshear._core.batched_dot(np.ones((3, 4), dt), np.ones((3, 4), dt), 5)


@pytest.mark.parametrize("term", ["l1", "tv"])
@pytest.mark.parametrize("restart", [0.999, 0.0])
def test_admm_fused_steps_equal_the_numpy_steps(ct_problem, restart, term):
    # the fused C++ path (an l1 term with per-band weights; TV's l2,1 on the gradient) against the
    # generic NumPy path of the same iteration, on a batch, in float64: the same iterates to rounding
    R, S, g, w = ct_problem
    gs = np.stack([g, 0.5 * g, 1.5 * g])
    K, f = (S, solvers.L1(w, band_ndim=2)) if term == "l1" else (ops.Gradient2D(R.in_shape), solvers.L21(0.5))
    # TV's projections onto discs amplify rounding faster (1e-13 at 25 iterations, 1e-10 at 40):
    # 25 iterations, which include restarts, and objectives equal to 1e-9
    its = 40 if term == "l1" else 25
    fused = solvers.ADMM(R, gs, K, f, support=R.support, max_iter=its, tol=1e-5, restart=restart)
    assert fused._fused
    plain = solvers.ADMM(R, gs, K, f, support=R.support, max_iter=its, tol=1e-5, restart=restart)
    plain._use_numpy_steps()
    a, b = fused.run(), plain.run()
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-10 * np.abs(b.x).max())
    np.testing.assert_array_equal(a.info["iterations"], b.info["iterations"])
    np.testing.assert_allclose(a.history["objective"], b.history["objective"], rtol=1e-11 if term == "l1" else 1e-9)


def test_analysis_l1_and_tv_solve_by_admm_on_request(ct_problem):
    R, S, g, w = ct_problem
    r = solvers.analysis_l1(R, g, S, w, max_iter=60, tol=1e-3, method="admm")
    assert "rel_residual" in r.history                       # ADMM's stopping rule
    d = solvers.admm(R, g, S, solvers.L1(w, band_ndim=2), max_iter=60, tol=1e-3)
    np.testing.assert_allclose(r.x, d.x, atol=1e-12)         # the same solver, same defaults
    p = solvers.analysis_l1(R, g, S, w, max_iter=5)
    assert "rel_residual" not in p.history                   # PDHG by default
    t = solvers.tv(R, g, 0.05, max_iter=30, method="admm")
    assert "rel_residual" in t.history
    with pytest.raises(ValueError, match="method"):
        solvers.analysis_l1(R, g, S, w, method="newton")
    with pytest.raises(ValueError, match="ratio"):
        solvers.analysis_l1(R, g, S, w, ratio=2.0, method="admm")


def test_admm_never_discards_two_steps_in_a_row(ct_problem):
    # a step without momentum restarts from the last kept point: discarding it would replay it
    R, S, g, w = ct_problem
    f = solvers.L1(w, band_ndim=2)
    for rf in (0.1, 1.0):
        s = solvers.ADMM(R, g, S, f, support=R.support, rho=rf * solvers.ADMM.default_rho(R, S),
                         max_iter=300, tol=0)
        counts = []
        for _ in range(150):
            s.step()
            counts.append(int(s.restarts[0]))
        steps = np.diff([0] + counts)
        assert counts[-1] > 0                              # restarts happen ...
        assert not np.any(steps[1:] & steps[:-1])          # ... but never twice in a row
