"""Stochastic PDHG (solvers.SPDHG) over angle subsets, and ct's TV reconstructions built on it."""
import numpy as np
import pytest

import fastshear
from fastshear import ct, phantoms, solvers
from fastshear import operators as ops


@pytest.fixture(scope="module")
def tv_problem():
    n = 40
    theta = np.arange(-60, 61, 3.0)
    R = fastshear.Radon2D((n, n), theta)
    x = phantoms.shepp_logan((n, n))
    g = R.forward(x)
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(0).standard_normal(g.shape)
    m = 8
    rows = [np.arange(i, theta.size, m) for i in range(m)]
    blocks = [fastshear.Radon2D((n, n), theta[r]) for r in rows]
    return R, g, blocks, rows, 0.5


def tv_objective(R, g, lam, x):
    return 0.5 * np.sum((R.forward(x) - g) ** 2) + solvers.L21(lam).value(ops.Gradient2D(R.shape).forward(x))


@pytest.fixture(scope="module")
def tv_minimiser(tv_problem):
    R, g, _, _, lam = tv_problem
    r = solvers.admm(R, g, ops.Gradient2D(R.shape), solvers.L21(lam), support=R.support, cg_steps=4,
                     max_iter=2500, tol=1e-9)
    return r.x


def spdhg(tv_problem, g=None, **kw):
    R, g0, blocks, rows, lam = tv_problem
    g = g0 if g is None else g
    return solvers.SPDHG(blocks, [g[..., r, :] for r in rows], ops.Gradient2D(R.shape), solvers.L21(lam),
                         support=R.support, gamma=30.0, **kw)


def test_spdhg_reaches_the_tv_minimiser(tv_problem, tv_minimiser):
    R, g, _, _, lam = tv_problem
    r = spdhg(tv_problem, max_iter=1500, tol=1e-5).run()
    assert r.converged and r.info["blocks"] == 8
    f_star = tv_objective(R, g, lam, tv_minimiser)
    assert tv_objective(R, g, lam, r.x) <= f_star * (1 + 1e-5)
    np.testing.assert_allclose(r.x, tv_minimiser, atol=2e-3 * np.abs(tv_minimiser).max())
    assert r.x.min() >= 0 and np.all(r.x[~R.support] == 0)


def test_spdhg_stopping_rule(tv_problem):
    r = spdhg(tv_problem, max_iter=500, tol=2e-2).run()
    rel = r.history["rel_residual"]
    assert r.converged and r.iterations == len(rel) < 500
    assert rel[-1] <= 2e-2 and np.all(rel[:-1] > 2e-2)
    never = spdhg(tv_problem, max_iter=5, tol=0).run()
    assert not never.converged and never.iterations == 5
    # stepping by hand gives run()'s iterates; the same seed the same path, another seed another
    s = spdhg(tv_problem, max_iter=5, tol=0)
    for _ in range(5):
        s.step()
    np.testing.assert_array_equal(s.x, never.x)
    other = spdhg(tv_problem, max_iter=5, tol=0, seed=1).run()
    assert not np.array_equal(other.x, never.x)


def test_spdhg_batch_equals_one_by_one(tv_problem):
    g = tv_problem[1]
    gs = np.stack([g, 0.5 * g, g[:, ::-1] * 0.8])
    rb = spdhg(tv_problem, g=gs, max_iter=300, tol=1e-2).run()
    assert rb.x.shape == (3, 40, 40) and rb.history["rel_residual"].shape[1] == 3
    for i in range(3):
        ri = spdhg(tv_problem, g=gs[i], max_iter=300, tol=1e-2).run()
        assert rb.info["iterations"][i] == ri.iterations and rb.info["converged"][i] == ri.converged
        np.testing.assert_allclose(rb.x[i], ri.x, rtol=1e-9, atol=1e-9 * np.abs(ri.x).max())


class _OnImages(ops.LinearOperator):
    """A matrix acting on flattened images of a 2-D shape (data blocks for a 2-D regulariser)."""

    def __init__(self, mat, shape):
        self.mat, self.in_shape, self.out_shape, self.dtype = mat, shape, mat.out_shape, np.float64

    def _forward(self, x):
        return self.mat.forward(x.reshape(x.shape[:-2] + (-1,)))

    def _adjoint(self, y):
        v = self.mat.adjoint(y)
        return v.reshape(v.shape[:-1] + self.in_shape)


@pytest.mark.parametrize("tv", [True, False])
def test_spdhg_step_sizes_meet_the_convergence_condition(tv):
    # ||sigma_i^(1/2) A_i tau^(1/2)||^2 < p_i for every block, the regulariser's included (dense
    # matrices with entries >= 0 for the data blocks)
    rng = np.random.default_rng(6)
    shape = (5, 6)
    mats = [rng.random((7, 30)) * (rng.random((7, 30)) < 0.5) for _ in range(3)]
    if tv:
        K, f = ops.Gradient2D(shape), solvers.L21(1.0)
        blocks = [_OnImages(ops.MatrixOperator(a), shape) for a in mats]
        kd = np.stack([K.forward(e.reshape(shape)).ravel() for e in np.eye(30)], axis=1)
    else:
        kd = rng.standard_normal((12, 30))
        K, f = ops.MatrixOperator(kd), solvers.L1(1.0)
        blocks = [ops.MatrixOperator(a) for a in mats]
    s = solvers.SPDHG(blocks, [np.zeros(7)] * 3, K, f, gamma=3.0, reg_prob=0.4)
    tau = np.sqrt(s.tau.ravel())
    for a, sig, p in zip(mats, s._sig, s.probs):
        assert np.linalg.norm(np.sqrt(sig)[:, None] * a * tau, 2) ** 2 < p
    assert np.linalg.norm(np.sqrt(s._sig_k) * kd * tau, 2) ** 2 < s.probs[-1]


def test_spdhg_generic_regulariser_closed_form():
    # A = I in two blocks, K = I, f = 0.5 |.|_1, x >= 0: the minimiser is max(b - 0.5, 0)
    b = np.random.default_rng(7).standard_normal(12) * 2
    sel = [np.eye(12)[:6], np.eye(12)[6:]]
    r = solvers.SPDHG([ops.MatrixOperator(s) for s in sel], [b[:6], b[6:]], ops.Identity(12), solvers.L1(0.5),
                      gamma=1.0, max_iter=3000, tol=1e-8).run()
    assert r.converged
    np.testing.assert_allclose(r.x, np.maximum(b - 0.5, 0), atol=1e-6)


def test_spdhg_unseen_data_values_and_mixed_precision():
    # detector bins no pixel reaches (n_det wider than the image) keep their duals (sigma 0 there,
    # no NaN); float32 blocks with a float64 regulariser work in float64
    n = 24
    theta = np.arange(-60, 61, 6.0)
    x = phantoms.shepp_logan((n, n))
    blocks = [fastshear.Radon2D((n, n), theta[i::4], circle=False, n_det=3 * n, dtype=np.float32) for i in range(4)]
    assert any(np.any(b.forward(np.ones((n, n), np.float32)) == 0) for b in blocks)
    r = solvers.SPDHG(blocks, [b.forward(x) for b in blocks], ops.Gradient2D((n, n)), solvers.L21(0.05),
                      gamma=3.0, max_iter=300, tol=1e-3).run()
    assert r.converged and r.x.dtype == np.float64 and np.all(np.isfinite(r.x))
    full = fastshear.Radon2D((n, n), theta, circle=False, n_det=3 * n)
    assert np.linalg.norm(r.x - x) < 0.5 * np.linalg.norm(full.fbp(full.forward(x)) - x)


def test_spdhg_bad_input(tv_problem):
    R, g, blocks, rows, lam = tv_problem
    K, f = ops.Gradient2D(R.shape), solvers.L21(lam)
    data = [g[r] for r in rows]
    with pytest.raises(ValueError, match="one data array per block"):
        solvers.SPDHG(blocks, data[:-1], K, f)
    with pytest.raises(ValueError, match="reg_prob"):
        solvers.SPDHG(blocks, data, K, f, reg_prob=1.0)
    with pytest.raises(ValueError, match="gamma"):
        solvers.SPDHG(blocks, data, K, f, gamma=0.0)
    with pytest.raises(ValueError, match="support"):
        solvers.SPDHG(blocks, data, K, f, support=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="all be batched"):
        solvers.SPDHG(blocks, [data[0][None]] + data[1:], K, f)
    with pytest.raises(ValueError, match="x0 must have shape"):
        solvers.SPDHG(blocks, data, K, f, x0=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        solvers.SPDHG(blocks, [data[0] * np.nan] + data[1:], K, f)
    with pytest.raises(ValueError, match="input shape"):
        solvers.SPDHG([fastshear.Radon2D((8, 8), [0.0])] + blocks[1:], data, K, f)


def test_reconstruct_tv_runs_spdhg_and_reports():
    n = 48
    theta = np.arange(-60, 61, 3.0)
    x = phantoms.shepp_logan((n, n))
    g = fastshear.Radon2D((n, n), theta).forward(x)
    xr, info = ct.reconstruct(g, theta, (n, n), "tv", return_info=True, dtype=np.float32)
    assert info["solver"] == "spdhg" and info["converged"] and info["subsets"] == round(theta.size / ct.TV_SUBSET_ANGLES)
    # the same problem by ADMM (the scaled form ct solves): the same minimiser
    R = fastshear.Radon2D((n, n), theta, dtype=np.float32)
    lam = info["lam"]
    ref = solvers.admm(R, g.astype(np.float32) / lam, ops.Gradient2D((n, n), dtype=np.float32), solvers.L21(1.0),
                       support=R.support, max_iter=3000, tol=1e-6).x * lam
    assert abs(ct.metrics(xr, x)["psnr"] - ct.metrics(ref, x)["psnr"]) < 0.1


@pytest.mark.parametrize("radon_kwargs", [dict(circle=False), dict(geometry="fan", source_distance=100.0)])
def test_reconstruct_tv_other_geometries(radon_kwargs):
    # detector bins outside every ray set (circle=False, fan beam) gave NaN before sigma 0 there;
    # the result is ADMM's minimiser of the same (scaled) problem
    n = 40
    theta = np.arange(0, 360, 8.0) if "geometry" in radon_kwargs else np.arange(-60, 61, 3.0)
    x = phantoms.shepp_logan((n, n))
    g = fastshear.Radon2D((n, n), theta, **radon_kwargs).forward(x)
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(3).standard_normal(g.shape)
    xr, info = ct.reconstruct(g, theta, (n, n), "tv", return_info=True, dtype=np.float32, radon_kwargs=radon_kwargs)
    assert info["converged"] and np.all(np.isfinite(xr))
    R = fastshear.Radon2D((n, n), theta, dtype=np.float32, **radon_kwargs)
    lam = info["lam"]
    ref = solvers.admm(R, g.astype(np.float32) / lam, ops.Gradient2D((n, n), dtype=np.float32), solvers.L21(1.0),
                       support=R.support if R.circle else None, max_iter=800, tol=1e-5).x * lam
    assert abs(ct.metrics(xr, x)["psnr"] - ct.metrics(ref, x)["psnr"]) < 0.1
