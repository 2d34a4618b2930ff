import numpy as np
import pytest
from conftest import orthogonal

import fastshear
from fastshear import operators as ops
from fastshear import solvers


def soft(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0)


def test_pdhg_soft_thresholding_closed_form():
    b = np.random.default_rng(0).standard_normal(50) * 2
    r = solvers.pdhg(ops.Identity(50), solvers.L1(0.7), solvers.SquaredL2(b), max_iter=3000, tol=1e-12)
    np.testing.assert_allclose(r.x, soft(b, 0.7), atol=1e-8)
    assert r.converged


def test_analysis_l1_orthonormal_frame_closed_form():
    # min ||x - b||^2/2 + sum w_i |(Qx)_i| with Q orthogonal: x = Q^T soft(Q b, w)
    n = 40
    Q = orthogonal(n, 1)
    b = np.random.default_rng(2).standard_normal(n)
    w = np.linspace(0.05, 0.8, n)
    r = solvers.analysis_l1(None, b, ops.MatrixOperator(Q), w,
                            nonneg=False, max_iter=5000, tol=1e-13)
    np.testing.assert_allclose(r.x, Q.T @ soft(Q @ b, w), atol=1e-7)


def test_analysis_l1_with_operator_matches_fista_on_the_synthesis_problem():
    # With W = Q orthogonal, z = Qx turns the analysis problem into a lasso that FISTA solves
    # independently: min ||A Q^T z - b||^2 / 2 + lam ||z||_1.
    rng = np.random.default_rng(3)
    n, m = 30, 20
    Q = orthogonal(n, 4)
    a = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    lam = 0.3
    r = solvers.analysis_l1(a, b, ops.MatrixOperator(Q), lam, nonneg=False, max_iter=20000, tol=1e-12)
    f = solvers.fista(ops.MatrixOperator(a @ Q.T), b, solvers.L1(lam), max_iter=20000, tol=1e-13)
    np.testing.assert_allclose(r.x, Q.T @ f.x, atol=1e-6)
    def obj(x):
        return 0.5 * np.sum((a @ x - b) ** 2) + lam * np.abs(Q @ x).sum()

    assert obj(r.x) == pytest.approx(obj(Q.T @ f.x), rel=1e-9)
    assert r.history["objective"][-1] == pytest.approx(obj(r.x), rel=1e-9)
    # primal-dual residuals certify the solution
    assert r.history["primal_residual"][-1] < 1e-6 and r.history["dual_residual"][-1] < 1e-6


def test_fista_nnls_against_scipy():
    from scipy.optimize import nnls

    rng = np.random.default_rng(5)
    a = rng.standard_normal((40, 15))
    b = rng.standard_normal(40)
    r = solvers.fista(a, b, solvers.NonNegative(), max_iter=20000, tol=1e-14)
    ref = nnls(a, b)[0]
    np.testing.assert_allclose(r.x, ref, atol=1e-7)
    assert np.any(ref == 0)  # the constraint is active


def test_pdhg_nonneg_least_squares_against_scipy():
    from scipy.optimize import nnls

    rng = np.random.default_rng(6)
    a = rng.standard_normal((25, 10))
    b = rng.standard_normal(25)
    r = solvers.pdhg(ops.MatrixOperator(a), solvers.SquaredL2(b), solvers.NonNegative(),
                     max_iter=50000, tol=1e-13)
    np.testing.assert_allclose(r.x, nnls(a, b)[0], atol=1e-6)


def test_cgls_against_lstsq_and_monotone_residual():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((50, 20))
    b = rng.standard_normal(50)
    r = solvers.cgls(a, b, max_iter=100, tol=1e-12)
    np.testing.assert_allclose(r.x, np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-9)
    assert np.all(np.diff(r.history["residual"]) <= 1e-12)
    assert r.converged and r.iterations <= 25
    rd = solvers.cgls(a, b, damp=2.0, max_iter=100, tol=1e-12)
    np.testing.assert_allclose(rd.x, np.linalg.solve(a.T @ a + 4 * np.eye(20), a.T @ b), atol=1e-9)


def test_sirt_converges_and_is_monotone():
    rng = np.random.default_rng(8)
    a = rng.random((60, 20))
    x_true = rng.random(20)
    b = a @ x_true
    r = solvers.sirt(a, b, max_iter=20000, tol=1e-14)
    np.testing.assert_allclose(r.x, x_true, atol=1e-5)
    obj = r.history["objective"]
    assert np.all(np.diff(obj) <= 1e-12 * obj[0])


def tv_dual_fista(b, lam, iters=4000):
    """An independent TV-denoising solver: FISTA on the dual (Beck-Teboulle 2009),
    x = b - lam D^T p with |p_ij| <= 1."""
    D = ops.Gradient2D(b.shape)
    p = np.zeros((2,) + b.shape)
    q, t = p.copy(), 1.0
    step = 1.0 / (8 * lam)
    for _ in range(iters):
        x = b - lam * D.adjoint(q)
        p_new = q + step * D.forward(x)
        p_new /= np.maximum(1.0, np.sqrt((p_new ** 2).sum(axis=0)))
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        q = p_new + (t - 1) / t_new * (p_new - p)
        p, t = p_new, t_new
    return b - lam * D.adjoint(p)


def test_tv_denoising_matches_an_independent_dual_solver():
    img = fastshear.phantoms.cartoon((32, 32), seed=1)
    b = img + 0.1 * np.random.default_rng(9).standard_normal(img.shape)
    r = solvers.tv(None, b, 0.15, nonneg=False, max_iter=5000, tol=1e-10)
    ref = tv_dual_fista(b, 0.15, iters=20000)
    np.testing.assert_allclose(r.x, ref, atol=2e-4)
    def obj(x):
        return 0.5 * np.sum((x - b) ** 2) + solvers.L21(0.15).value(ops.Gradient2D(b.shape).forward(x))

    assert obj(r.x) == pytest.approx(obj(ref), rel=1e-6)
    # a constant image is a fixed point
    c = np.full((16, 16), 0.3)
    np.testing.assert_allclose(solvers.tv(None, c, 1.0, max_iter=50).x, c, atol=1e-12)


def test_tv_with_operator_and_nonnegativity():
    rng = np.random.default_rng(10)
    img = np.zeros((12, 12))
    img[3:9, 4:10] = 1.0
    A = ops.MatrixOperator(rng.standard_normal((100, 144)))
    b = A.forward(img.ravel())

    class Reshape(ops.LinearOperator):  # images (12, 12) -> vectors
        in_shape, out_shape = (12, 12), (144,)

        def _forward(self, x):
            return x.reshape(x.shape[:-2] + (144,))

        def _adjoint(self, y):
            return y.reshape(y.shape[:-1] + (12, 12))

    r = solvers.tv(A @ Reshape(), b, 0.01, max_iter=3000, tol=1e-9)
    assert np.linalg.norm(r.x - img) / np.linalg.norm(img) < 1e-2
    assert r.x.min() >= 0


def test_shearlet_denoising_beats_noise_and_certifies_progress():
    img = fastshear.phantoms.cartoon((64, 64), seed=2)
    sigma = 0.05
    noisy = img + sigma * np.random.default_rng(11).standard_normal(img.shape)
    sh = fastshear.Shearlet2D((64, 64), scales=2)
    w = 10 * sigma * sh.rms
    w[-1] = 0
    r = solvers.analysis_l1(None, noisy, sh, w, max_iter=150, tol=1e-6)
    assert np.linalg.norm(r.x - img) < 0.85 * np.linalg.norm(noisy - img)
    assert r.x.min() >= 0
    h = r.history
    assert h["primal_residual"][-1] < 1e-2 * h["primal_residual"][0]
    assert h["objective"][-1] <= h["objective"][0]


def test_shearlet_inpainting_and_float32():
    img = fastshear.phantoms.cartoon((64, 64), seed=3).astype(np.float32)
    mask = (np.random.default_rng(12).random(img.shape) < 0.6).astype(np.float32)
    sh = fastshear.Shearlet2D((64, 64), scales=2, dtype=np.float32)
    w = 1e-3 * sh.rms
    w[-1] = 0
    r = solvers.analysis_l1(ops.Diagonal(mask), mask * img, sh, w, max_iter=300, ratio=100)
    assert r.x.dtype == np.float32
    err = np.linalg.norm(r.x - img) / np.linalg.norm(img)
    assert err < 0.5 * np.linalg.norm(mask * img - img) / np.linalg.norm(img)


def test_callback_progress_and_history(capsys):
    seen = []

    def cb(it, x, info):
        seen.append((it, info["objective"]))
        return it == 7

    b = np.arange(10.0)
    r = solvers.pdhg(ops.Identity(10), solvers.L1(1.0), solvers.SquaredL2(b), max_iter=100, tol=0,
                     callback=cb, progress=True)
    assert r.iterations == 7 and not r.converged and [s[0] for s in seen] == list(range(1, 8))
    assert set(r.history) >= {"objective", "primal_residual", "dual_residual", "rel_change", "time"}
    assert all(len(v) == 7 for v in r.history.values())
    assert "pdhg" in capsys.readouterr().err
    for f in (lambda **k: solvers.fista(np.eye(3), np.ones(3), **k),
              lambda **k: solvers.cgls(np.random.default_rng(0).random((5, 3)), np.ones(5), **k),
              lambda **k: solvers.sirt(np.eye(3) + 0.1, np.ones(3), **k)):
        r = f(max_iter=5, tol=0, progress=True, callback=lambda i, x, info: i == 2)
        assert r.iterations == 2


def test_solver_input_errors():
    with pytest.raises(ValueError, match="one functional per operator"):
        solvers.pdhg([ops.Identity(3)], [], None)
    with pytest.raises(ValueError, match="max_iter"):
        solvers.fista(np.eye(3), np.ones(3), max_iter=0)
    with pytest.raises(ValueError, match="shape"):
        solvers.cgls(np.eye(3), np.ones(4))
    sh = fastshear.Shearlet2D((64, 64), scales=1)
    with pytest.raises(ValueError, match="weights"):
        solvers.analysis_l1(None, np.zeros((64, 64)), sh, np.ones(5))
    with pytest.raises(ValueError, match="l1 weights"):
        solvers.L1(-1.0)
