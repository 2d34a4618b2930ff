"""Limited-angle CT solver speed: fastshear's PDHG vs the same PDHG on ASTRA (CPU) + pyShearLab.

The problem of the issue: 256 x 256, angles -60..60 (1 degree), 4 shearlet scales,
min_{f >= 0} ||R f - g||^2 / 2 + sum_i w_i ||SH_i f||_1, Chambolle-Pock iterations.
Both sides run the same algorithm (x-step, extrapolation, two dual steps; one R, R^T, SH, SH^T
each per iteration); the anchor is what a user writes by hand today: NumPy for the vector
updates, ASTRA's CPU 'linear' projector pair (float32, 1 thread) and pyShearLab's
SLsheardec2D / SLshearadjoint2D (float64).

A third group times one fastshear iteration against the four transforms it applies (the issue's
"an iteration costs at most 1.3x the transforms it applies").

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python -m pytest bench/bench_ct.py --benchmark-only --benchmark-group-by=group
"""
import numpy as np
import pytest

import fastshear
from fastshear import ct, phantoms, solvers

N, SCALES, ITERS = 256, 4, 5
THETA = np.arange(-60, 61, 1.0)


@pytest.fixture(scope="module")
def data():
    e = phantoms.shepp_logan_ellipses((N, N))
    g = phantoms.ellipse_sinogram(e, THETA, N)
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(0).standard_normal(g.shape)
    return g


def _fastshear_problem(g, dtype, workers):
    R = fastshear.Radon2D((N, N), THETA, dtype=dtype, workers=workers)
    sh = fastshear.Shearlet2D((N, N), SCALES, dtype=dtype, workers=workers)
    w = ct.default_weights(sh, ct.SHEARLET_FACTOR * ct.estimate_noise(g) * np.sqrt(THETA.size))
    return R, sh, w


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("workers", [1, 2])
def test_fastshear_pdhg(benchmark, data, dtype, workers):
    R, sh, w = _fastshear_problem(data, dtype, workers)
    norms = [fastshear.operators.as_operator(R).norm(), fastshear.operators.as_operator(sh).norm()]
    g = data.astype(dtype)
    benchmark.group = f"pdhg {N} [-60,60] s{SCALES}, {ITERS} iterations"
    benchmark.name = f"fastshear {dtype} {workers}t"

    def run():
        return solvers.pdhg([R, sh], [solvers.SquaredL2(g), solvers.L1(w)], solvers.NonNegative(),
                            max_iter=ITERS, tol=0, norms=norms, workers=workers)

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)


def test_astra_pyshearlab_pdhg(benchmark, data):
    astra = pytest.importorskip("astra")
    sl = pytest.importorskip("pyshearlab_mind")
    vol_geom = astra.create_vol_geom(N, N)
    proj_geom = astra.create_proj_geom("parallel", 1.0, N, np.deg2rad(THETA))
    pid = astra.create_projector("linear", proj_geom, vol_geom)

    def R(x):
        i, s = astra.creators.create_sino(x.astype(np.float32), pid)
        astra.data2d.delete(i)
        return s

    def RT(s):
        i, b = astra.creators.create_backprojection(s.astype(np.float32), pid)
        astra.data2d.delete(i)
        return b

    S = sl.SLgetShearletSystem2D(0, N, N, SCALES)
    SH = lambda x: sl.SLsheardec2D(x, S)               # (N, N, K)
    SHT = lambda c: sl.SLshearadjoint2D(c, S)
    sh = fastshear.Shearlet2D((N, N), SCALES)
    w = ct.default_weights(sh, ct.SHEARLET_FACTOR * ct.estimate_noise(data) * np.sqrt(THETA.size))
    w = w[None, None, :]                               # pyShearLab's (N, N, K) layout
    g = data
    # step sizes from the operator norms (not timed), as fastshear does
    nR = fastshear.operators.as_operator(fastshear.Radon2D((N, N), THETA)).norm()
    nS = np.sqrt(sh.frame_bounds[1])
    L = 1.01 * np.sqrt(2.0)
    tau, sig = 0.99 / L, 0.99 / L
    s1, s2 = sig / nR ** 2, sig / nS ** 2
    benchmark.group = f"pdhg {N} [-60,60] s{SCALES}, {ITERS} iterations"
    benchmark.name = "ASTRA CPU + pyShearLab (NumPy loop) 1t"

    def run():
        x = np.zeros((N, N))
        y1 = np.zeros_like(g)
        y2 = np.zeros((N, N, sh.n_shearlets))
        for _ in range(ITERS):
            x_new = np.maximum(x - tau * (RT(y1) + SHT(y2)), 0)
            xbar = 2 * x_new - x
            y1 = (y1 + s1 * (R(xbar) - g)) / (1 + s1)
            y2 = np.clip(y2 + s2 * SH(xbar), -w, w)
            x = x_new
        return x

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    astra.projector.delete(pid)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("what", ["iteration", "transforms"])
def test_iteration_vs_transforms(benchmark, data, what, workers):
    """PDHG iterations vs the R, R^T, SH, SH^T they apply (float32)."""
    R, sh, w = _fastshear_problem(data, "float32", workers)
    g = data.astype(np.float32)
    x = np.random.default_rng(1).random((N, N)).astype(np.float32)
    s = R.forward(x)
    c = sh.forward(x)
    benchmark.group = f"pdhg iteration vs its transforms {N} s{SCALES}, {ITERS} iterations, float32 {workers}t"
    if what == "transforms":
        benchmark.name = f"{ITERS} x (R + R^T + SH + SH^T)"

        def run():
            for _ in range(ITERS):
                R.forward(x), R.adjoint(s), sh.forward(x), sh.adjoint(c)
    else:
        benchmark.name = f"{ITERS} PDHG iterations"
        norms = [fastshear.operators.as_operator(R).norm(), fastshear.operators.as_operator(sh).norm()]

        def run():
            solvers.pdhg([R, sh], [solvers.SquaredL2(g), solvers.L1(w)], solvers.NonNegative(),
                         max_iter=ITERS, tol=0, norms=norms, workers=workers)

    benchmark.pedantic(run, rounds=7, iterations=1, warmup_rounds=1)
