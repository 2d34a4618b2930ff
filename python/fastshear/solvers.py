"""Solvers for imaging inverse problems: PDHG (Chambolle-Pock), FISTA, CGLS, SIRT, and ready-made
problems (analysis-l1 in a shearlet frame, isotropic total variation).

Every solver takes ``callback(iteration, x, info)`` (return ``True`` to stop), ``progress=True``
(a tqdm bar, or a plain line on stderr without tqdm), stops when the relative change of the
iterate falls below ``tol`` or after ``max_iter`` iterations, and returns a :class:`SolverResult`
with the solution and its history. Step sizes come from operator norms (power iteration,
:func:`fastshear.operators.norm`), never from the user.

Functionals are small objects with ``value(z)``, ``prox(z, t)`` and ``prox_conj(z, t)``:
:class:`SquaredL2` (data fit), :class:`L1` (weighted, per band), :class:`L21` (isotropic TV),
:class:`NonNegative`, :class:`Zero`, :class:`SquaredL2NonNegative`.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import _core
from .operators import Gradient2D, Identity, LinearOperator, as_operator

__all__ = [
    "SolverResult", "SquaredL2", "L1", "L21", "NonNegative", "Zero", "SquaredL2NonNegative",
    "pdhg", "fista", "cgls", "sirt", "analysis_l1", "tv",
]


# ---------------------------------------------------------------------------------------------
# results and progress
# ---------------------------------------------------------------------------------------------
@dataclass
class SolverResult:
    """What a solver returns.

    Attributes
    ----------
    x : ndarray
        The solution.
    iterations : int
        Iterations run.
    converged : bool
        True when the tolerance stopped the solver (False: iteration limit or callback).
    history : dict of str -> ndarray
        One value per iteration: ``objective`` and ``rel_change`` always; ``primal_residual``
        and ``dual_residual`` for PDHG; ``residual`` (data misfit norm) for CGLS and SIRT;
        ``time`` (seconds since the start).
    info : dict
        Step sizes and operator norms used.
    """

    x: np.ndarray
    iterations: int
    converged: bool
    history: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __repr__(self):
        obj = self.history.get("objective")
        last = f", objective={obj[-1]:.6g}" if obj is not None and len(obj) else ""
        return f"SolverResult(iterations={self.iterations}, converged={self.converged}{last})"


class _Plain:
    """A minimal progress display without tqdm: a line on stderr every ~10 %."""

    def __init__(self, total, desc):
        self.total, self.desc, self.n, self.t0, self.post = total, desc, 0, time.perf_counter(), ""
        self.step = max(1, total // 10)

    def update(self, k=1):
        self.n += k
        if self.n % self.step == 0 or self.n == self.total:
            print(f"{self.desc}: {self.n}/{self.total} {self.post} ({time.perf_counter() - self.t0:.1f} s)",
                  file=sys.stderr, flush=True)

    def set_postfix_str(self, s):
        self.post = s

    def close(self):
        pass


class _Null:
    def update(self, k=1):
        pass

    def set_postfix_str(self, s):
        pass

    def close(self):
        pass


def _progress(progress, total, desc):
    if not progress:
        return _Null()
    if isinstance(progress, str):
        desc = progress
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency, the fallback is for bare installs
        return _Plain(total, desc)
    return tqdm(total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True)


class _History:
    def __init__(self, *names):
        self.d = {n: [] for n in names + ("rel_change", "time")}
        self.t0 = time.perf_counter()

    def add(self, **kv):
        kv["time"] = time.perf_counter() - self.t0
        for k, v in kv.items():
            self.d[k].append(float(v))

    def arrays(self):
        return {k: np.asarray(v) for k, v in self.d.items()}


def _check_iters(max_iter, tol):
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not (tol >= 0):
        raise ValueError(f"tol must be >= 0, got {tol!r}")


def _sqnorm(v) -> float:
    """||v||^2 without BLAS (OpenBLAS's spinning threads slow down the OpenMP transforms that
    follow on a small machine)."""
    v = np.asarray(v).ravel()
    return float(np.einsum("i,i->", v, v, dtype=np.float64))


def _norm(v) -> float:
    return math.sqrt(_sqnorm(v))


def _rel_change(x_new, x_old):
    d = _norm(x_new - x_old)
    n = _norm(x_new)
    return d / n if n > 0 else (0.0 if d == 0 else math.inf)


# ---------------------------------------------------------------------------------------------
# functionals
# ---------------------------------------------------------------------------------------------
class Functional:
    """A proper convex functional with a cheap proximal map (the building block of :func:`pdhg`)."""

    def value(self, z) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def prox(self, z, t):
        """``argmin_u  t f(u) + ||u - z||^2 / 2``; may overwrite ``z``."""
        # Moreau: prox_tf(z) = z - t prox_{f*/t}(z / t)
        return z - t * self.prox_conj(z / t, 1.0 / t)

    def prox_conj(self, z, s):
        """The proximal map of ``s f*``; may overwrite ``z``."""
        # Moreau: prox_{s f*}(z) = z - s prox_{f/s}(z / s)
        return z - s * self.prox(z / s, 1.0 / s)

    strong_convexity = 0.0

    def dual_step(self, y, kx, kx_old, sigma, theta=1.0, threads=0):
        """PDHG dual update ``y <- prox_conj(y + sigma (kx + theta (kx - kx_old)), sigma)`` in
        place.

        Returns ``(value(kx), squared dual residual)``."""
        d = kx - kx_old
        if theta != 1.0:
            d *= theta
        v = kx + d
        v *= sigma
        v += y
        y_new = self.prox_conj(v, sigma)
        r = (y - y_new) / sigma + d
        y[...] = y_new
        return self.value(kx), _sqnorm(r)


class Zero(Functional):
    """f = 0."""

    def value(self, z):
        return 0.0

    def prox(self, z, t):
        return z

    def prox_conj(self, z, s):
        return np.zeros_like(z)


class NonNegative(Functional):
    """The indicator of ``z >= 0`` (0 there, infinity elsewhere)."""

    def value(self, z):
        return 0.0 if np.all(z >= 0) else math.inf

    def prox(self, z, t):
        return np.maximum(z, 0, out=z)


class SquaredL2(Functional):
    """``f(z) = scale / 2 * ||z - b||^2`` (a least-squares data term).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.solvers import SquaredL2
    >>> SquaredL2(np.ones(3)).prox(np.zeros(3), 1.0)
    array([0.5, 0.5, 0.5])
    """

    def __init__(self, b, scale: float = 1.0):
        self.b = np.asarray(b)
        self.scale = float(scale)
        self.strong_convexity = self.scale

    def value(self, z):
        return 0.5 * self.scale * _sqnorm(z - self.b)

    def prox(self, z, t):
        ts = t * self.scale
        return (z + ts * self.b) / (1.0 + ts)

    def prox_conj(self, z, s):
        return (z - s * self.b) / (1.0 + s / self.scale)


class SquaredL2NonNegative(SquaredL2):
    """``scale / 2 ||z - b||^2`` plus the indicator of ``z >= 0`` (denoising with positivity)."""

    def value(self, z):
        return super().value(z) if np.all(z >= 0) else math.inf

    def prox(self, z, t):
        return np.maximum(super().prox(z, t), 0)


class L1(Functional):
    """Weighted l1 norm ``sum_i w_i |z_i|``.

    Parameters
    ----------
    weights : float or array_like
        A scalar, one weight per band (shape ``(K,)`` for coefficients ``(..., K, N, M)``; the
        fused C++ dual step is used then), or an array broadcastable to ``z``.
    band_ndim : int
        Number of trailing axes that form one band (2 for images).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.solvers import L1
    >>> L1(1.0).prox(np.array([-3.0, 0.5, 2.0]), 1.0)
    array([-2.,  0.,  1.])
    """

    def __init__(self, weights=1.0, band_ndim: int = 2):
        w = np.asarray(weights, dtype=np.float64)
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("l1 weights must be finite and >= 0")
        self.weights = w
        self.band_ndim = int(band_ndim)

    def _w(self, z):
        w = self.weights
        if w.ndim == 1 and w.size > 1:
            return w.reshape(w.shape + (1,) * self.band_ndim).astype(z.dtype)
        return w.astype(z.dtype)

    def value(self, z):
        return float(np.sum(self._w(z) * np.abs(z), dtype=np.float64))

    def prox(self, z, t):
        w = self._w(z) * t
        return np.sign(z) * np.maximum(np.abs(z) - w, 0)

    def prox_conj(self, z, s):
        w = self._w(z)
        return np.clip(z, -w, w, out=z)

    def dual_step(self, y, kx, kx_old, sigma, theta=1.0, threads=0):
        w = self.weights
        fused = (w.ndim == 0 or (w.ndim == 1 and y.ndim >= self.band_ndim + 1
                                 and y.shape[y.ndim - self.band_ndim - 1] == w.size))
        if fused and y.flags.c_contiguous and y.dtype in (np.float32, np.float64):
            wv = np.atleast_1d(w).astype(y.dtype)
            band = int(np.prod(y.shape[y.ndim - self.band_ndim:])) if wv.size > 1 else y.size
            val, res = _core.l1_dual_step(y, np.ascontiguousarray(kx, y.dtype),
                                          np.ascontiguousarray(kx_old, y.dtype), wv, band,
                                          float(sigma), float(theta), threads)
            return val, res
        return super().dual_step(y, kx, kx_old, sigma, theta)


class L21(Functional):
    """``lam * sum_pixels sqrt(sum_c z[c]^2)`` over the component axis ``-3`` (isotropic TV on
    the output of :class:`fastshear.operators.Gradient2D`).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.solvers import L21
    >>> L21(2.0).value(np.array([[[3.0]], [[4.0]]]))
    10.0
    """

    def __init__(self, lam: float = 1.0):
        if not (lam >= 0) or not np.isfinite(lam):
            raise ValueError(f"lam must be finite and >= 0, got {lam!r}")
        self.lam = float(lam)

    def value(self, z):
        return self.lam * float(np.sum(np.sqrt(np.sum(z * z, axis=-3)), dtype=np.float64))

    def prox_conj(self, z, s):
        mag = np.sqrt(np.sum(z * z, axis=-3, keepdims=True))
        np.maximum(mag / self.lam if self.lam > 0 else np.where(mag > 0, np.inf, 1.0), 1.0, out=mag)
        z /= mag
        return z

    def prox(self, z, t):
        mag = np.sqrt(np.sum(z * z, axis=-3, keepdims=True))
        scale = np.maximum(1.0 - t * self.lam / np.maximum(mag, 1e-300), 0.0)
        return z * scale


# ---------------------------------------------------------------------------------------------
# PDHG
# ---------------------------------------------------------------------------------------------
def _as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def pdhg(operators, functionals, g=None, *, x0=None, max_iter: int = 500, tol: float = 1e-5,
         ratio: float = 1.0, adaptive: bool = False, accelerate: bool = False, norms=None,
         stack_norm=None, callback=None, progress=False,
         workers=None):
    """Primal-dual hybrid gradient (Chambolle-Pock) for ``min_x sum_i F_i(K_i x) + G(x)``.

    Each iteration applies every ``K_i`` and its adjoint once. The objective at the current
    iterate comes for free (``K_i x`` is kept and ``K_i xbar`` is formed by linearity), the dual
    update of weighted-l1 terms is one fused C++ pass.

    Step sizes: every block is normalised by its operator norm ``n_i`` (power iteration, or
    exact where the plan knows it), ``L`` bounds the norm of the normalised stack
    (``sqrt(B)`` for B blocks), and ``tau = 0.99 sqrt(ratio) / L``,
    ``sigma_i = 0.99 / (sqrt(ratio) L n_i^2)``, which satisfies the convergence condition
    ``tau sigma ||K||^2 < 1`` of the normalised problem.

    Parameters
    ----------
    operators : LinearOperator or list of them
        ``K_i``; all share ``in_shape``.
    functionals : Functional or list of them
        ``F_i`` (need ``prox_conj``).
    g : Functional, optional
        ``G`` (needs ``prox``); default :class:`Zero`.
    x0 : ndarray, optional
        Start (default zeros).
    max_iter, tol : int, float
        Stop after ``max_iter`` iterations, or when ``||x_k+1 - x_k|| / ||x_k+1|| < tol`` and
        both primal-dual residuals have fallen below ``tol`` times their largest value.
    ratio : float
        Initial ``tau / sigma`` of the normalised problem (primal vs dual step balance).
    adaptive : bool
        Rebalance ``tau / sigma`` from the primal and dual residuals (Goldstein et al. 2015)
        with a geometrically decaying adaptation.
    accelerate : bool
        When ``G`` is strongly convex (a denoising data term), use Chambolle and Pock's
        accelerated steps (``theta = 1 / sqrt(1 + 2 gamma tau)``, O(1/k^2)).
    norms : list of float, optional
        Known operator norms ``n_i`` (skips the power iterations).
    stack_norm : None, "estimate" or float
        Norm of the normalised stack: ``sqrt(B)`` (default, a bound), estimated by power
        iteration, or given.
    callback : callable, optional
        ``callback(iteration, x, info)``; return True to stop.
    progress : bool or str
        Show a progress bar (a str is its label).

    Returns
    -------
    SolverResult
        history: ``objective``, ``primal_residual``, ``dual_residual``, ``rel_change``, ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import Identity
    >>> from fastshear.solvers import pdhg, L1, SquaredL2
    >>> b = np.array([3.0, -0.5, 1.5])
    >>> r = pdhg(Identity(3), L1(1.0), SquaredL2(b), max_iter=2000, tol=1e-10)
    >>> np.round(r.x, 6)   # soft thresholding of b at 1
    array([ 2. , -0. ,  0.5])
    """
    from ._validation import resolve_workers

    Ks = [as_operator(k) for k in _as_list(operators)]
    Fs = _as_list(functionals)
    if len(Ks) != len(Fs) or not Ks:
        raise ValueError(f"need one functional per operator, got {len(Ks)} operators and {len(Fs)} functionals")
    shape = tuple(Ks[0].in_shape)
    for k in Ks[1:]:
        if tuple(k.in_shape) != shape:
            raise ValueError(f"all operators must take the same input shape, got {shape} and {k.in_shape}")
    _check_iters(max_iter, tol)
    if not (ratio > 0):
        raise ValueError(f"ratio must be > 0, got {ratio!r}")
    threads = resolve_workers(workers)
    g = Zero() if g is None else g
    dtype = np.result_type(*[np.dtype(k.dtype) for k in Ks])

    if norms is None:
        norms = [k.norm() for k in Ks]
    norms = [float(n) for n in norms]
    if len(norms) != len(Ks) or any(not (n > 0) for n in norms):
        raise ValueError(f"norms must be {len(Ks)} positive numbers, got {norms!r}")
    if stack_norm is None:
        # ||[K_1/n_1; ...; K_B/n_B]|| <= sqrt(B): a bound that needs no power iteration and is
        # nearly attained whenever the blocks share a top singular vector (a smooth image for
        # a projector and a frame alike)
        L = math.sqrt(len(Ks))
    elif stack_norm == "estimate":
        L = 1.0 if len(Ks) == 1 else 1.01 * _Stacked([k / n for k, n in zip(Ks, norms)]).norm()
    else:
        L = float(stack_norm)
        if not (L > 0):
            raise ValueError(f"stack_norm must be None, 'estimate' or a positive number, got {stack_norm!r}")
    tau = 0.99 * math.sqrt(ratio) / L
    sig = 0.99 / (math.sqrt(ratio) * L)
    sigmas = [sig / n ** 2 for n in norms]
    tau0 = tau

    x = np.zeros(shape, dtype) if x0 is None else np.array(x0, dtype=dtype)
    if x.shape != shape:
        raise ValueError(f"x0 must have shape {shape}, got {x.shape}")
    if x0 is None:  # K 0 = 0: no transform needed
        kx = [np.zeros(tuple(k.out_shape), np.dtype(k.dtype)) for k in Ks]
    else:
        kx = [k.forward(x) for k in Ks]
    ys = [np.zeros_like(v) for v in kx]
    kty = np.zeros(shape, dtype)
    hist = _History("objective", "primal_residual", "dual_residual")
    bar = _progress(progress, max_iter, "pdhg")
    converged, it = False, 0
    pmax = dmax = 0.0
    alpha = 0.5
    gamma = float(getattr(g, "strong_convexity", 0.0)) if accelerate else 0.0
    try:
        for it in range(1, max_iter + 1):
            x_new = x - tau * kty
            x_new = g.prox(x_new, tau)
            kx_new = [k.forward(x_new) for k in Ks]
            obj, d2 = g.value(x_new), 0.0
            theta = 1.0
            if gamma > 0:  # Chambolle-Pock's accelerated variant for a strongly convex G
                theta = 1.0 / math.sqrt(1.0 + 2.0 * gamma * tau)
                sigmas = [sg / theta for sg in sigmas]
            for F, y, kn, ko, s in zip(Fs, ys, kx_new, kx, sigmas):
                val, res = F.dual_step(y, kn, ko, s, theta, threads)
                obj += val
                d2 += res
            kty_new = Ks[0].adjoint(ys[0])
            for k, y in zip(Ks[1:], ys[1:]):
                kty_new += k.adjoint(y)
            p = (x - x_new) / tau - (kty - kty_new)
            tau *= theta
            rc = _rel_change(x_new, x)
            pres, dres = _norm(p), math.sqrt(d2)
            pmax, dmax = max(pmax, pres), max(dmax, dres)
            hist.add(objective=obj, primal_residual=pres, dual_residual=dres, rel_change=rc)
            x, kx, kty = x_new, kx_new, kty_new
            bar.update()
            if it % 10 == 0:
                bar.set_postfix_str(f"objective {obj:.4g}")
            if callback is not None and callback(it, x, {"objective": obj, "rel_change": rc,
                                                         "primal_residual": pres, "dual_residual": dres}):
                break
            if rc < tol and pres <= tol * pmax and dres <= tol * dmax:
                converged = True
                break
            if adaptive and alpha > 1e-3 and gamma == 0:
                # residual balancing (Goldstein, Li, Yuan, Esser, Baraniuk 2015): keep tau sigma
                # fixed, shift weight to the side whose residual lags; alpha decays, so the
                # steps settle and the usual convergence guarantee applies
                if pres > 1.5 * dres:
                    tau /= 1 - alpha
                    sigmas = [sg * (1 - alpha) for sg in sigmas]
                    alpha *= 0.95
                elif dres > 1.5 * pres:
                    tau *= 1 - alpha
                    sigmas = [sg / (1 - alpha) for sg in sigmas]
                    alpha *= 0.95
    finally:
        bar.close()
    return SolverResult(x, it, converged, hist.arrays(),
                        {"tau": tau, "sigma": sigmas, "tau0": tau0, "norms": norms, "stack_norm": L})


class _Stacked(LinearOperator):
    """[K_1; ...; K_n] on flattened outputs (for the norm of the stack)."""

    def __init__(self, ops):
        self.ops = ops
        self.in_shape = tuple(ops[0].in_shape)
        self.sizes = [int(np.prod(o.out_shape)) for o in ops]
        self.out_shape = (sum(self.sizes),)
        self.dtype = np.result_type(*[np.dtype(o.dtype) for o in ops])

    def _forward(self, x):
        return np.concatenate([o.forward(x).reshape(x.shape[: x.ndim - len(self.in_shape)] + (-1,))
                               for o in self.ops], axis=-1)

    def _adjoint(self, y):
        out, start = None, 0
        for o, n in zip(self.ops, self.sizes):
            part = y[..., start:start + n].reshape(y.shape[:-1] + tuple(o.out_shape))
            v = o.adjoint(part)
            out = v if out is None else out + v
            start += n
        return out


# ---------------------------------------------------------------------------------------------
# FISTA, CGLS, SIRT
# ---------------------------------------------------------------------------------------------
def fista(A, b, g=None, *, x0=None, max_iter: int = 500, tol: float = 1e-6, lipschitz=None,
          callback=None, progress=False):
    """FISTA (Beck-Teboulle) for ``min_x ||A x - b||^2 / 2 + g(x)`` with a prox-friendly ``g``.

    One forward and one adjoint of ``A`` per iteration (``A`` at the extrapolated point is
    formed by linearity, so the objective at the iterate is free). The step is ``1 / L`` with
    ``L = ||A||^2`` from power iteration.

    Parameters
    ----------
    A : LinearOperator or plan
    b : ndarray, shape ``A.out_shape``
    g : Functional, optional
        Needs ``prox`` and ``value`` (e.g. :class:`L1`, :class:`NonNegative`); default zero.
    lipschitz : float, optional
        ``||A||^2`` if known.

    Returns
    -------
    SolverResult
        history: ``objective``, ``rel_change``, ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator
    >>> from fastshear.solvers import fista, NonNegative
    >>> A = MatrixOperator([[1.0, 0.0], [0.0, 2.0]])
    >>> np.round(fista(A, np.array([1.0, -2.0]), NonNegative(), tol=1e-12).x, 6)
    array([1., 0.])
    """
    A = as_operator(A)
    _check_iters(max_iter, tol)
    b = np.asarray(b, dtype=A.dtype)
    if b.shape != tuple(A.out_shape):
        raise ValueError(f"b must have shape {A.out_shape}, got {b.shape}")
    g = Zero() if g is None else g
    L = float(lipschitz) if lipschitz is not None else 1.01 * A.norm() ** 2
    if not (L > 0):
        raise ValueError(f"the Lipschitz constant must be > 0, got {L!r}")
    step = 1.0 / L
    x = np.zeros(A.in_shape, A.dtype) if x0 is None else np.array(x0, dtype=A.dtype)
    ax = A.forward(x)
    z, az, t = x, ax, 1.0
    hist = _History("objective")
    bar = _progress(progress, max_iter, "fista")
    converged, it = False, 0
    try:
        for it in range(1, max_iter + 1):
            r = az - b
            x_new = g.prox(z - step * A.adjoint(r), step)
            ax_new = A.forward(x_new)
            t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_new
            z = x_new + beta * (x_new - x)
            az = ax_new + beta * (ax_new - ax)
            obj = 0.5 * _sqnorm(ax_new - b) + g.value(x_new)
            rc = _rel_change(x_new, x)
            hist.add(objective=obj, rel_change=rc)
            x, ax, t = x_new, ax_new, t_new
            bar.update()
            if callback is not None and callback(it, x, {"objective": obj, "rel_change": rc}):
                break
            if rc < tol:
                converged = True
                break
    finally:
        bar.close()
    return SolverResult(x, it, converged, hist.arrays(), {"step": step, "lipschitz": L})


def cgls(A, b, *, x0=None, damp: float = 0.0, max_iter: int = 100, tol: float = 1e-6,
         callback=None, progress=False):
    """Conjugate gradients on the normal equations for ``min ||A x - b||^2 + damp^2 ||x||^2``.

    Stops when ``||A^T r - damp^2 x|| <= tol ||A^T b||`` or after ``max_iter`` iterations
    (early stopping is CGLS's regularisation).

    Returns
    -------
    SolverResult
        history: ``objective`` (``||Ax-b||^2/2 + damp^2 ||x||^2 / 2``), ``residual``
        (``||Ax - b||``), ``rel_change``, ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator
    >>> from fastshear.solvers import cgls
    >>> A = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
    >>> b = np.array([2.0, 2.0, 3.0])
    >>> np.round(cgls(MatrixOperator(A), b).x, 6)
    array([1., 1.])
    """
    A = as_operator(A)
    _check_iters(max_iter, tol)
    b = np.asarray(b, dtype=A.dtype)
    if b.shape != tuple(A.out_shape):
        raise ValueError(f"b must have shape {A.out_shape}, got {b.shape}")
    d2 = float(damp) ** 2
    x = np.zeros(A.in_shape, A.dtype) if x0 is None else np.array(x0, dtype=A.dtype)
    r = b - A.forward(x)
    s = A.adjoint(r) - d2 * x
    p = s.copy()
    gamma = _sqnorm(s)
    norm0 = _norm(A.adjoint(b)) or 1.0
    hist = _History("objective", "residual")
    bar = _progress(progress, max_iter, "cgls")
    converged, it = False, 0
    try:
        for it in range(1, max_iter + 1):
            if math.sqrt(gamma) <= tol * norm0:
                converged = True
                it -= 1
                break
            q = A.forward(p)
            delta = _sqnorm(q) + d2 * _sqnorm(p)
            if delta <= 0:
                converged = True
                it -= 1
                break
            alpha = gamma / delta
            x_new = x + alpha * p
            r -= alpha * q
            s = A.adjoint(r) - d2 * x_new
            gamma_new = _sqnorm(s)
            p = s + (gamma_new / gamma) * p
            gamma = gamma_new
            rn = _norm(r)
            obj = 0.5 * rn * rn + 0.5 * d2 * _sqnorm(x_new)
            rc = _rel_change(x_new, x)
            hist.add(objective=obj, residual=rn, rel_change=rc)
            x = x_new
            bar.update()
            if callback is not None and callback(it, x, {"objective": obj, "residual": rn}):
                break
    finally:
        bar.close()
    return SolverResult(x, it, converged, hist.arrays(), {"damp": float(damp)})


def sirt(A, b, *, x0=None, nonneg: bool = True, max_iter: int = 100, tol: float = 1e-6,
         relaxation: float = 1.0, callback=None, progress=False):
    """SIRT: ``x <- P(x + relaxation * C A^T R (b - A x))`` with ``R = 1 / (A 1)`` (row sums)
    and ``C = 1 / (A^T 1)`` (column sums), ``P`` the projection onto ``x >= 0`` if ``nonneg``.

    For a non-negative ``A`` (a projector) it converges to a minimiser of
    ``||A x - b||_R^2`` (a weighted least-squares solution), monotonically in that norm.

    Returns
    -------
    SolverResult
        history: ``objective`` (``||Ax - b||_R^2 / 2``), ``residual`` (``||Ax - b||``),
        ``rel_change``, ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator
    >>> from fastshear.solvers import sirt
    >>> A = MatrixOperator([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> np.round(sirt(A, np.array([3.0, 1.0, 2.0]), max_iter=500, tol=1e-12).x, 6)
    array([1., 2.])
    """
    A = as_operator(A)
    _check_iters(max_iter, tol)
    if not (0 < relaxation < 2):
        raise ValueError(f"relaxation must be in (0, 2), got {relaxation!r}")
    b = np.asarray(b, dtype=A.dtype)
    if b.shape != tuple(A.out_shape):
        raise ValueError(f"b must have shape {A.out_shape}, got {b.shape}")
    rows = A.forward(np.ones(A.in_shape, A.dtype))
    cols = A.adjoint(np.ones(A.out_shape, A.dtype))
    R = np.where(rows > 1e-12 * max(float(np.max(np.abs(rows))), 1e-300), 1.0 / np.where(rows == 0, 1, rows), 0.0).astype(A.dtype)
    C = np.where(cols > 1e-12 * max(float(np.max(np.abs(cols))), 1e-300), relaxation / np.where(cols == 0, 1, cols), 0.0).astype(A.dtype)
    x = np.zeros(A.in_shape, A.dtype) if x0 is None else np.array(x0, dtype=A.dtype)
    r = b - A.forward(x)
    hist = _History("objective", "residual")
    bar = _progress(progress, max_iter, "sirt")
    converged, it = False, 0
    try:
        for it in range(1, max_iter + 1):
            r *= R
            x_new = x + C * A.adjoint(r)
            if nonneg:
                np.maximum(x_new, 0, out=x_new)
            r = b - A.forward(x_new)
            rr = r.ravel()
            obj = 0.5 * float(np.einsum('i,i->', rr, (R * r).ravel(), dtype=np.float64))
            rc = _rel_change(x_new, x)
            hist.add(objective=obj, residual=_norm(rr), rel_change=rc)
            x = x_new
            bar.update()
            if callback is not None and callback(it, x, {"objective": obj, "rel_change": rc}):
                break
            if rc < tol:
                converged = True
                break
    finally:
        bar.close()
    return SolverResult(x, it, converged, hist.arrays(), {"relaxation": relaxation})


# ---------------------------------------------------------------------------------------------
# ready-made problems
# ---------------------------------------------------------------------------------------------
def _data_operator(A, b, shape=None):
    b = np.asarray(b)
    if A is None:
        dt = np.float32 if b.dtype == np.float32 else np.float64
        return None, np.asarray(b, dt)
    A = as_operator(A)
    b = np.asarray(b, dtype=A.dtype)
    if b.shape != tuple(A.out_shape):
        raise ValueError(f"the data must have shape {A.out_shape} (the operator's output), got {b.shape}")
    return A, b


def _regularised_least_squares(A, b, K, f, *, nonneg, x0, ratio, norm=None, accelerate_denoising=False,
                               **pdhg_args):
    """``min_x ||A x - b||^2 / 2 + f(K x)  (+ x >= 0)`` with :func:`pdhg`.

    ``A=None`` is denoising: the data term (and positivity) go into ``G``, whose prox is exact,
    PDHG starts at ``b`` and, with ``accelerate_denoising``, takes the accelerated steps that the
    strongly convex ``G`` allows. Otherwise the data term is a second ``F`` on ``A``. ``norm`` is
    ``||K||`` where known (``||A||`` is then asked of ``A``); ``ratio=None`` means 1.
    """
    ratio = 1.0 if ratio is None else ratio
    if A is None:
        g = SquaredL2NonNegative(b) if nonneg else SquaredL2(b)
        return pdhg([K], [f], g, x0=b if x0 is None else x0, ratio=ratio,
                    norms=None if norm is None else [norm], accelerate=accelerate_denoising, **pdhg_args)
    g = NonNegative() if nonneg else Zero()
    return pdhg([A, K], [SquaredL2(b), f], g, x0=x0, ratio=ratio,
                norms=None if norm is None else [A.norm(), norm], **pdhg_args)


def analysis_l1(A, b, W, weights=1.0, *, nonneg: bool = True, x0=None, max_iter: int = 300,
                tol: float = 1e-5, ratio: float = None, callback=None, progress=False, workers=None):
    """Analysis-sparse regularisation in a frame:
    ``min_x ||A x - b||^2 / 2 + sum_i w_i ||(W x)_i||_1  (+ x >= 0)``.

    ``W`` is typically a :class:`fastshear.Shearlet2D` (``(N, M) -> (K, N, M)``) with one weight
    per shearlet (e.g. growing with scale); ``A`` a Radon transform (limited-angle CT), a
    :class:`fastshear.operators.Diagonal` mask (inpainting) or ``None`` (denoising: ``A = I``,
    then the data term and positivity form ``G`` with a closed-form prox). Solved with
    :func:`pdhg`; the shearlet frame is not tight, so the l1 term has no closed-form prox in x.

    Parameters
    ----------
    A : LinearOperator, plan or None
    b : ndarray
        Data, ``A.out_shape`` (or the noisy image when ``A`` is None).
    W : LinearOperator or plan (Shearlet2D)
    weights : float, (K,) or array broadcastable to ``W.out_shape``
    nonneg : bool
    ratio : float, optional
        PDHG's primal/dual balance; default 1 for denoising and ``1 / ||A||`` ... see Notes.

    Notes
    -----
    The default ``ratio`` (``tau / sigma`` of the normalised problem) is ``||A||`` /
    ``max(||b||, 1)`` scaled, chosen once so that the primal step matches the image scale; it is
    a rule, not tuned per image.

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> from fastshear.solvers import analysis_l1
    >>> clean = fastshear.phantoms.cartoon((128, 128), seed=0)
    >>> noisy = clean + 0.05 * np.random.default_rng(0).standard_normal(clean.shape)
    >>> sh = fastshear.Shearlet2D((128, 128), scales=2)
    >>> r = analysis_l1(None, noisy, sh, 0.05 * sh.rms, max_iter=100)
    >>> bool(np.linalg.norm(r.x - clean) < np.linalg.norm(noisy - clean))
    True
    """
    Wop = as_operator(W)
    A, b = _data_operator(A, b)
    shape = tuple(Wop.in_shape)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1 and w.size == Wop.out_shape[0] and len(Wop.out_shape) >= 2:
        l1 = L1(w, band_ndim=len(Wop.out_shape) - 1)
    elif w.ndim == 0:
        l1 = L1(w)
    else:
        try:
            np.broadcast_to(w, Wop.out_shape)
        except ValueError:
            raise ValueError(f"weights must be a scalar, ({Wop.out_shape[0]},) or broadcastable to "
                             f"{Wop.out_shape}, got shape {w.shape}") from None
        l1 = L1(w, band_ndim=0)
    if A is None and b.shape != shape:
        raise ValueError(f"the image must have shape {shape}, got {b.shape}")
    if A is not None and tuple(A.in_shape) != shape:
        raise ValueError(f"A takes {A.in_shape}, W takes {shape}")
    return _regularised_least_squares(A, b, Wop, l1, nonneg=nonneg, x0=x0, max_iter=max_iter, tol=tol,
                                      ratio=ratio, callback=callback, progress=progress, workers=workers)


def tv(A, b, lam: float, *, nonneg: bool = True, x0=None, max_iter: int = 300, tol: float = 1e-5,
       ratio: float = None, callback=None, progress=False, shape=None):
    """Isotropic total variation: ``min_x ||A x - b||^2 / 2 + lam TV(x)  (+ x >= 0)`` with
    ``TV(x) = sum sqrt((D_r x)^2 + (D_c x)^2)`` (forward differences, Neumann boundary).

    ``A=None`` is denoising (``A = I``, data term and positivity in ``G``; Chambolle-Pock's
    accelerated steps). Solved with :func:`pdhg`.

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> from fastshear.solvers import tv
    >>> clean = fastshear.phantoms.cartoon((128, 128), seed=0)
    >>> noisy = clean + 0.05 * np.random.default_rng(0).standard_normal(clean.shape)
    >>> r = tv(None, noisy, 0.05, max_iter=200)
    >>> bool(np.linalg.norm(r.x - clean) < np.linalg.norm(noisy - clean))
    True
    """
    A, b = _data_operator(A, b)
    if not (lam >= 0) or not np.isfinite(lam):
        raise ValueError(f"lam must be finite and >= 0, got {lam!r}")
    if A is None and b.ndim != 2:
        raise ValueError(f"the image must be 2-D, got shape {b.shape}")
    D = Gradient2D(b.shape, dtype=b.dtype) if A is None else Gradient2D(A.in_shape, dtype=A.dtype)
    return _regularised_least_squares(A, b, D, L21(lam), nonneg=nonneg, x0=x0, norm=math.sqrt(8.0),
                                      accelerate_denoising=True, max_iter=max_iter, tol=tol, ratio=ratio,
                                      callback=callback, progress=progress)
