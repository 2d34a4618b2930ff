"""Hostile input to the solvers and fastshear.ct (issue 13's solver items).

These belong to the issue-11 rewrite of solvers.py and ct.py: skipped until it lands, then
enabled at the merge. Each case asserts the exact exception type and that the message names the
parameter; the validators they need are in fastshear._validation (initial_guess, iterations,
tolerance, positive_real, positive_reals, data_array, real, one_of).
"""
from __future__ import annotations

import numpy as np
import pytest

from fastshear import Radon2D, Shearlet2D, ct, solvers
from fastshear.operators import Gradient2D, Identity, MatrixOperator


CASES = []


def case(id, exc, needle, fn):
    CASES.append(pytest.param(fn, exc, needle, id=id))


A = MatrixOperator(np.eye(3))
B = np.ones(3)
BAD_X0 = [("short", np.zeros(2), ValueError), ("long", np.zeros(5), ValueError), ("matrix", np.zeros((3, 3)), ValueError),
          ("complex", np.zeros(3, complex), TypeError), ("nan", np.full(3, np.nan), ValueError),
          ("strings", ["a", "b", "c"], TypeError), ("scalar", 0.0, ValueError)]
BAD_POS = [("inf", float("inf"), ValueError), ("nan", float("nan"), ValueError), ("zero", 0.0, ValueError),
           ("negative", -1.0, ValueError), ("str", "a", TypeError)]
BAD_ITERS = [("zero", 0, ValueError), ("negative", -1, ValueError), ("fraction", 2.5, ValueError), ("str", "10", TypeError),
             ("nan", float("nan"), ValueError)]
BAD_TOL = [("nan", float("nan"), ValueError), ("negative", -1.0, ValueError), ("str", "a", TypeError)]

# x0 of the wrong shape was accepted and returned
for label, v, exc in BAD_X0:
    case(f"fista-x0-{label}", exc, "x0", lambda v=v: solvers.fista(A, B, x0=v, max_iter=3))
    case(f"cgls-x0-{label}", exc, "x0", lambda v=v: solvers.cgls(A, B, x0=v, max_iter=3))
    case(f"sirt-x0-{label}", exc, "x0", lambda v=v: solvers.sirt(A, B, x0=v, max_iter=3))
    case(f"pdhg-x0-{label}", exc, "x0",
         lambda v=v: solvers.pdhg([A], [solvers.SquaredL2(B)], x0=v, max_iter=3))
    case(f"tv-x0-{label}", exc, "x0",
         lambda v=v: solvers.tv(Identity((3, 3)), np.ones((3, 3)), 0.1, x0=np.resize(v, (2, 2)) if np.ndim(v) else v, max_iter=3))
# fista(lipschitz=inf) returned 0 with converged=True
for label, v, exc in BAD_POS:
    case(f"fista-lipschitz-{label}", exc, "lipschitz", lambda v=v: solvers.fista(A, B, lipschitz=v, max_iter=3))
# pdhg(norms=[inf]), stack_norm=inf, ratio=inf returned 0 or NaN
for label, v, exc in BAD_POS:
    case(f"pdhg-norms-{label}", exc, "norms", lambda v=v: solvers.pdhg([A], [solvers.SquaredL2(B)], norms=[v], max_iter=3))
    case(f"pdhg-stack_norm-{label}", exc, "stack_norm",
         lambda v=v: solvers.pdhg([A], [solvers.SquaredL2(B)], stack_norm=v, max_iter=3))
    case(f"pdhg-ratio-{label}", exc, "ratio", lambda v=v: solvers.pdhg([A], [solvers.SquaredL2(B)], ratio=v, max_iter=3))
    case(f"tv-ratio-{label}", exc, "ratio", lambda v=v: solvers.tv(Identity((3, 3)), np.ones((3, 3)), 0.1, ratio=v, max_iter=3))
case("pdhg-norms-count", ValueError, "norms", lambda: solvers.pdhg([A], [solvers.SquaredL2(B)], norms=[1.0, 1.0], max_iter=3))
case("pdhg-norms-string", TypeError, "norms", lambda: solvers.pdhg([A], [solvers.SquaredL2(B)], norms="1", max_iter=3))
# cgls(damp=nan) returned NaN
for label, v, exc in [("nan", float("nan"), ValueError), ("inf", float("inf"), ValueError),
                      ("negative", -1.0, ValueError), ("str", "a", TypeError)]:
    case(f"cgls-damp-{label}", exc, "damp", lambda v=v: solvers.cgls(A, B, damp=v, max_iter=3))
for name, fn in [("fista", lambda **k: solvers.fista(A, B, **k)), ("cgls", lambda **k: solvers.cgls(A, B, **k)),
                 ("sirt", lambda **k: solvers.sirt(A, B, **k)),
                 ("pdhg", lambda **k: solvers.pdhg([A], [solvers.SquaredL2(B)], **k))]:
    for label, v, exc in BAD_ITERS:
        case(f"{name}-max_iter-{label}", exc, "max_iter", lambda v=v, fn=fn: fn(max_iter=v))
    for label, v, exc in BAD_TOL:
        case(f"{name}-tol-{label}", exc, "tol", lambda v=v, fn=fn: fn(tol=v, max_iter=3))
for label, v, exc in [("nan", float("nan"), ValueError), ("negative", -1.0, ValueError), ("str", "a", TypeError)]:
    case(f"tv-lam-{label}", exc, "lam", lambda v=v: solvers.tv(Identity((3, 3)), np.ones((3, 3)), v, max_iter=3))
for label, v, exc in [("zero", 0.0, ValueError), ("nan", float("nan"), ValueError), ("above_2", 2.5, ValueError)]:
    case(f"sirt-relaxation-{label}", exc, "relaxation", lambda v=v: solvers.sirt(A, B, relaxation=v, max_iter=3))
case("fista-b-shape", ValueError, "b", lambda: solvers.fista(A, np.ones(4), max_iter=3))
case("cgls-b-complex", TypeError, "b", lambda: solvers.cgls(A, np.ones(3) * 1j, max_iter=3))
case("sirt-b-nan", ValueError, "b", lambda: solvers.sirt(A, np.full(3, np.nan), max_iter=3))
case("tv-b-shape", ValueError, "b", lambda: solvers.tv(Gradient2D((4, 5)).T, np.ones((4, 5)), 0.1, max_iter=3))

# fastshear.ct
TH = np.arange(-45.0, 46.0, 5.0)
X = np.zeros((64, 64))
X[20:40, 24:44] = 1.0
SINO = Radon2D((64, 64), TH).forward(X)
case("ct.reconstruct-sirt-max_iter-0", ValueError, "max_iter",
     lambda: ct.reconstruct(SINO, TH, (64, 64), "sirt", max_iter=0, progress=False))
for label, v, exc in BAD_ITERS[1:]:
    case(f"ct.reconstruct-max_iter-{label}", exc, "max_iter",
         lambda v=v: ct.reconstruct(SINO, TH, (64, 64), "tv", max_iter=v, progress=False))
case("ct.estimate_noise-empty", ValueError, "sinogram", lambda: ct.estimate_noise(np.zeros((0, 64))))
case("ct.estimate_noise-empty-rows", ValueError, "sinogram", lambda: ct.estimate_noise(np.zeros((19, 0))))
case("ct.estimate_noise-nan", ValueError, "sinogram", lambda: ct.estimate_noise(np.full((19, 64), np.nan)))
case("ct.estimate_noise-complex", TypeError, "sinogram", lambda: ct.estimate_noise(np.zeros((19, 64), complex)))
for method in ("fbp", "sirt", "tv", "shearlet-l1"):
    case(f"ct.reconstruct-{method}-nan-sinogram", ValueError, "sinogram",
         lambda method=method: ct.reconstruct(np.where(SINO > 1, np.nan, SINO), TH, (64, 64), method, max_iter=2,
                                              progress=False) if method != "fbp" else
         ct.reconstruct(np.where(SINO > 1, np.nan, SINO), TH, (64, 64), method, progress=False))
case("ct.reconstruct-inf-sinogram", ValueError, "sinogram",
     lambda: ct.reconstruct(np.full_like(SINO, np.inf), TH, (64, 64), "tv", max_iter=2, progress=False))
case("ct.reconstruct-method-unknown", ValueError, "method", lambda: ct.reconstruct(SINO, TH, (64, 64), "magic"))
case("ct.reconstruct-method-int", TypeError, "method", lambda: ct.reconstruct(SINO, TH, (64, 64), 1))
for name in ("noise_level", "lam"):
    for label, v, exc in [("nan", float("nan"), ValueError), ("negative", -1.0, ValueError), ("inf", float("inf"), ValueError),
                          ("str", "a", TypeError)]:
        case(f"ct.reconstruct-{name}-{label}", exc, name,
             lambda v=v, name=name: ct.reconstruct(SINO, TH, (64, 64), "tv", max_iter=2, progress=False, **{name: v}))
case("ct.reconstruct-theta-count", ValueError, "theta", lambda: ct.reconstruct(SINO, TH[:-1], (64, 64), "fbp"))
case("ct.reconstruct-theta-nan", ValueError, "theta", lambda: ct.reconstruct(SINO, np.full(TH.size, np.nan), (64, 64), "fbp"))
case("ct.reconstruct-shape-zero", ValueError, "shape", lambda: ct.reconstruct(SINO, TH, (0, 64), "fbp"))
case("ct.reconstruct-sinogram-complex", TypeError, "sinogram", lambda: ct.reconstruct(SINO * 1j, TH, (64, 64), "fbp"))
case("ct.visibility-threshold-nan", ValueError, "threshold",
     lambda: ct.visibility(Shearlet2D((64, 64), 1), TH, threshold=float("nan")))
case("ct.visibility-method", ValueError, "method", lambda: ct.visibility(Shearlet2D((64, 64), 1), TH, method="magic"))
case("ct.ssim-shape", ValueError, "reference", lambda: ct.ssim(np.zeros((8, 8)), np.zeros((8, 9))))
case("ct.ssim-win_size", ValueError, "win_size", lambda: ct.ssim(np.zeros((8, 8)), np.zeros((8, 8)), win_size=0))
case("ct.metrics-nan", ValueError, "image", lambda: ct.metrics(np.full((8, 8), np.nan), np.zeros((8, 8))))


@pytest.mark.parametrize("fn,exc,needle", CASES)
def test_hostile_solver(fn, exc, needle):
    with pytest.raises(BaseException) as ei:
        fn()
    assert type(ei.value) is exc, f"expected {exc.__name__}, got {type(ei.value).__name__}: {ei.value}"
    assert needle in str(ei.value), f"{needle!r} not in the message {str(ei.value)!r}"
