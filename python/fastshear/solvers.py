"""Solvers for imaging inverse problems: PDHG (Chambolle-Pock), ADMM, stochastic PDHG over data
blocks (SPDHG), FISTA, CGLS, SIRT, and ready-made problems (analysis-l1 in a shearlet frame,
isotropic total variation).

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
from ._validation import precision_of
from .operators import Gradient2D, Identity, LinearOperator, as_operator

__all__ = [
    "SolverResult", "SquaredL2", "L1", "L21", "NonNegative", "Zero", "SquaredL2NonNegative",
    "Solver", "PDHG", "ADMM", "SPDHG", "FISTA", "CGLS", "SIRT", "normal_symbol", "fourier_multiply",
    "pdhg", "admm", "fista", "cgls", "sirt", "analysis_l1", "tv",
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
            self.d.setdefault(k, []).append(float(v) if np.ndim(v) == 0 else np.array(v, np.float64))

    def arrays(self):
        return {k: np.asarray(v) for k, v in self.d.items() if len(v) or k in ("objective", "time")}


def _check_iters(max_iter, tol):
    from ._validation import iterations, tolerance

    iterations(max_iter)
    tolerance(tol)


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
        tl = t * self.lam
        scale = np.where(mag > tl, 1.0 - tl / np.where(mag > 0, mag, 1.0), 0.0).astype(z.dtype)
        return z * scale


# ---------------------------------------------------------------------------------------------
# the stepping solver
# ---------------------------------------------------------------------------------------------
class Solver:
    """Base of fastshear's iterative solvers: a small object that holds the state of one run.

    ``step()`` performs one iteration and returns its diagnostics (a dict); ``run()`` steps until
    the solver's stopping rule holds, ``max_iter`` is reached or the callback returns True, with
    one progress bar and one history; ``result()`` packs the current state into a
    :class:`SolverResult`. Subclasses implement ``_step()`` (one iteration, returning the
    diagnostics and whether the stopping rule holds), set ``x`` and name their diagnostics in
    ``history_keys``. The functions :func:`pdhg`, :func:`admm`, :func:`fista`, :func:`cgls` and
    :func:`sirt` build a solver and call ``run()``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator
    >>> from fastshear.solvers import CGLS
    >>> s = CGLS(MatrixOperator([[2.0, 0.0], [0.0, 1.0]]), np.array([2.0, 3.0]), max_iter=10)
    >>> info = s.step()              # one iteration at a time ...
    >>> r = s.run()                  # ... or to the end
    >>> np.round(r.x, 6), r.converged
    (array([1., 3.]), True)
    """

    name = "solver"
    history_keys: tuple = ("objective",)

    def __init__(self, *, max_iter: int, tol: float, callback=None, progress=False):
        _check_iters(max_iter, tol)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
        self.max_iter, self.tol = int(max_iter), float(tol)
        self.callback, self.progress = callback, progress
        self.iteration = 0
        self.converged = False
        self._hist = _History(*self.history_keys)

    def _step(self):  # pragma: no cover - abstract
        """One iteration: returns ``(diagnostics dict, stopping rule met)``."""
        raise NotImplementedError

    def step(self) -> dict:
        """Run one iteration; returns its diagnostics (also appended to the history)."""
        info, done = self._step()
        self.iteration += 1
        self._hist.add(**info)
        self.converged = bool(done)
        return info

    def run(self) -> "SolverResult":
        """Iterate until the stopping rule holds, ``max_iter`` iterations or the callback says stop."""
        bar = _progress(self.progress, self.max_iter, self.name)
        try:
            while self.iteration < self.max_iter and not self.converged:
                info = self.step()
                bar.update()
                if self.iteration % 10 == 0 and "objective" in info:
                    bar.set_postfix_str(f"objective {np.max(info['objective']):.4g}")
                if self.callback is not None and self.callback(self.iteration, self.x, info):
                    break
        finally:
            bar.close()
        return self.result()

    def _info(self) -> dict:
        return {}

    def result(self) -> "SolverResult":
        """The current state as a :class:`SolverResult`."""
        return SolverResult(self.x, self.iteration, self.converged, self._hist.arrays(), self._info())


# ---------------------------------------------------------------------------------------------
# solvers of batches
# ---------------------------------------------------------------------------------------------
def _support_mask(support, shape):
    """None, or ``support`` checked to be a boolean array of ``shape``."""
    if support is None:
        return None
    support = np.asarray(support)
    if support.dtype != np.bool_ or support.shape != shape:
        raise ValueError(f"support must be a boolean array of shape {shape}, got {support.dtype} {support.shape}")
    return support


def _batch_data(b, out, dt, name="b"):
    """``b`` of shape ``out`` or ``(B, *out)`` as a finite C-contiguous ``(B, *out)`` array of
    ``dt``, and whether it was a batch."""
    b = np.asarray(b)
    if b.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array, got dtype {b.dtype}")
    if b.shape[b.ndim - len(out):] != out or b.ndim > len(out) + 1:
        raise ValueError(f"{name} must have shape {out} or (B, {', '.join(map(str, out))}), got {b.shape}")
    batched = b.ndim == len(out) + 1
    b = np.ascontiguousarray(b.reshape((-1,) + out), dtype=dt)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return b, batched


def _batch_start(x0, nb, shape, batched, dt):
    """The start ``(nb, *shape)`` of ``dt``: zeros, or a fresh copy of ``x0`` (``shape``, or the
    batch's shape for a batch)."""
    if x0 is None:
        return np.zeros((nb,) + shape, dt)
    x0 = np.asarray(x0)
    if x0.dtype.kind not in "biuf":
        raise TypeError(f"x0 must be a real array, got dtype {x0.dtype}")
    x = np.array(x0, dtype=dt)
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 contains NaN or infinite values")
    want = (nb,) + shape if batched else shape
    if x.shape != want:
        raise ValueError(f"x0 must have shape {want}, got {x.shape}")
    return x.reshape((nb,) + shape)


class _Batched(Solver):
    """Base of the solvers that run a batch of problems together (:class:`ADMM`, :class:`SPDHG`):
    per-problem iteration counts, stopping and histories (NaN once a problem has stopped). A
    problem whose stopping rule holds leaves the batch (``_drop`` removes its rows from the
    state); its result stays in ``x``."""

    def _start(self, out, batched: bool):
        """``out`` (B, ...): the results, filled row by row as the problems step."""
        nb = out.shape[0]
        self.batched, self._out = batched, out
        self._active = np.arange(nb)
        self._iters = np.zeros(nb, int)
        self._conv = np.zeros(nb, bool)
        self.x = out if batched else out[0]

    def _drop(self, keep):  # pragma: no cover - abstract
        """Keep only the rows ``keep`` (a mask over the running problems) of the state."""
        raise NotImplementedError

    def _finish(self, x, diag: dict, done):
        """The end of a step: ``x`` and ``diag`` (arrays over the running problems) recorded,
        the problems with ``done`` leave the batch; returns ``(info, every problem stopped)``."""
        info = {k: self._scatter(v) for k, v in diag.items()}
        self._iters[self._active] += 1
        self._out[self._active] = x
        if np.any(done):
            self._conv[self._active[done]] = True
            self._active = self._active[~done]
            self._drop(~done)
        self.x = self._out if self.batched else self._out[0]
        if not self.batched:
            info = {k: float(v[0]) for k, v in info.items()}
        return info, self._active.size == 0

    def _scatter(self, v):
        full = np.full(self._out.shape[0], np.nan)
        full[self._active] = v
        return full

    def result(self) -> "SolverResult":
        r = super().result()
        r.converged = bool(np.all(self._conv))
        if self.batched:
            r.info["converged"] = self._conv.copy()
            r.info["iterations"] = self._iters.copy()
        return r


# ---------------------------------------------------------------------------------------------
# ADMM with preconditioned conjugate-gradient x-updates
# ---------------------------------------------------------------------------------------------
def _rfft_shape(shape):
    return (shape[0], shape[1] // 2 + 1)


def normal_symbol(op, shape=None):
    """The Fourier symbol of ``op^T op`` on 2D images, on ``numpy.fft.rfft2``'s grid
    ``(N, M // 2 + 1)``, where fastshear knows it; None otherwise.

    Exact for :class:`fastshear.Shearlet2D` (its frame operator ``SH^T SH`` is the multiplier
    ``sum_i |psi_i|^2``), :class:`~fastshear.operators.Identity` and, up to its Neumann boundary,
    :class:`~fastshear.operators.Gradient2D` (``4 sin^2(pi k / N) + 4 sin^2(pi l / M)``). For a
    :class:`fastshear.Radon2D` it is the transfer function of ``R^T R`` measured on a point
    source at the image centre (``R^T R`` is shift-invariant up to the field of view and the
    angular sampling, and in fan beam up to the magnification's variation): a preconditioner,
    not an identity.

    Examples
    --------
    >>> import fastshear
    >>> from fastshear.solvers import normal_symbol
    >>> sh = fastshear.Shearlet2D((64, 64), scales=2)
    >>> normal_symbol(sh).shape
    (64, 33)
    """
    from .operators import PlanOperator
    from .radon import Radon2D
    from .shearlet2d import Shearlet2D

    plan = op.plan if isinstance(op, PlanOperator) else op
    if isinstance(plan, Shearlet2D):
        w = np.fft.ifftshift(plan.dual_frame_weights)
        return np.ascontiguousarray(w[:, : plan.shape[1] // 2 + 1])
    if isinstance(plan, Radon2D):
        n, m = plan.shape
        d = np.zeros((n, m), plan.dtype)
        d[n // 2, m // 2] = 1
        psf = np.asarray(plan.adjoint(plan.forward(d)), np.float64)
        return np.maximum(np.fft.rfft2(np.fft.ifftshift(psf)).real, 0.0)
    if isinstance(plan, Gradient2D):
        n, m = plan.in_shape
        ky = 4 * np.sin(np.pi * np.arange(n) / n) ** 2
        kx = 4 * np.sin(np.pi * np.arange(m // 2 + 1) / m) ** 2
        return ky[:, None] + kx[None, :]
    if isinstance(plan, Identity) and len(plan.in_shape) == 2:
        return np.ones(_rfft_shape(plan.in_shape))
    return None


def fourier_multiply(x, h):
    """``irfft2(h * rfft2(x))`` over the last two axes: the real Fourier multiplier ``h`` (on
    ``numpy.fft.rfft2``'s grid ``(N, M // 2 + 1)``, e.g. from :func:`normal_symbol`) applied to
    images ``x`` of shape ``(..., N, M)``, in ``x``'s precision (float32 or float64; FFTW in the
    core, threads over the leading axes).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.solvers import fourier_multiply
    >>> x = np.random.default_rng(0).standard_normal((2, 8, 6))
    >>> h = np.ones((8, 4)); h[0, 0] = 0                 # remove the mean
    >>> bool(np.allclose(fourier_multiply(x, h), x - x.mean(axis=(1, 2), keepdims=True)))
    True
    """
    x = np.asarray(x)
    if x.ndim < 2 or x.dtype.kind != "f":
        raise TypeError(f"fourier_multiply needs real float images (..., N, M), got {x.dtype} {x.shape}")
    n, m = x.shape[-2:]
    h = np.asarray(h)
    if h.shape != (n, m // 2 + 1):
        raise ValueError(f"h must have shape {(n, m // 2 + 1)} for images of {n} x {m}, got {h.shape}")
    dt = precision_of(x)
    xs = np.ascontiguousarray(x, dtype=dt)
    y = _core.fourier_multiply2d(xs.reshape((-1, n, m)), h.astype(dt, copy=False))
    return y.reshape(x.shape)


def _bdot(a, b, nb):
    """Per-problem inner products of two batches ``(B, ...)``: shape ``(B,)``, float64."""
    if a.dtype == b.dtype and a.dtype in (np.float32, np.float64):
        return _core.batched_dot(a, b, nb)
    return np.einsum("bi,bi->b", a.reshape(nb, -1), b.reshape(nb, -1), dtype=np.float64)


def _bsq(a, nb):
    return _bdot(a, a, nb)


def _bcast(v, like):
    """(B,) -> (B, 1, ..., 1) to broadcast against ``like``."""
    return np.asarray(v).reshape((-1,) + (1,) * (like.ndim - 1))


class ADMM(_Batched):
    """``min_x ||A x - b||^2 / 2 + f(K x)  (+ x >= 0)`` by ADMM, for one problem or a batch.

    Splitting ``z = K x`` (and ``u = x`` for the constraint), each iteration

    1. updates ``x`` by ``cg_steps`` preconditioned conjugate-gradient steps on
       ``(A^T A + rho K^T K + rho_c I) x = A^T b + rho K^T (z - l) + rho_c (u - m)``,
       warm-started (``A^T A x``, ``A x`` and the penalty terms are carried by linearity, so a
       step costs one ``A`` and one ``A^T``); the preconditioner is the Fourier multiplier of
       that matrix built from :func:`normal_symbol` (exact for shearlets and the gradient,
       measured for the Radon transform);
    2. ``z = prox_{f / rho}(K x + l)``, ``u = max(x + m, 0)``, and the scaled duals ``l``, ``m``;
    3. Nesterov momentum on ``(z, l)`` with restart whenever the combined residual stops
       falling (Goldstein, O'Donoghue, Setzer, Baraniuk, "Fast alternating direction
       optimization methods", SIAM J. Imaging Sci. 7 (2014)); the constraint split ``(u, m)``
       steps without momentum. For a weighted l1 term (and TV's l2,1), steps 2 and 3 on
       ``(z, l)`` are one C++ pass over the coefficients (the extrapolated point is formed from
       the last two iterates on the fly).

    One iteration applies ``K`` and ``K^T`` once and ``A``, ``A^T`` ``cg_steps`` times (every
    ``REFRESH``-th iteration once more: the products carried by linearity are recomputed, as
    their rounding drift would otherwise stop float32 iterates short of the minimiser).

    Stopping rule (Boyd et al. 2011, Sec. 3.3, relative form), per problem: the primal residual
    ``r = ||(K x - z, x - u)||`` and the dual residual ``s = ||(rho ||K|| ||z - z_prev||, rho_c ||u - u_prev||)||``
    (an upper bound of ``||rho K^T dz + rho_c du||``) satisfy ``r <= tol max(||(K x, x)||, ||(z, u)||)``
    and ``s <= tol max(||A^T (A x - b)||, 1e-12 ||A^T b||)`` (at a solution
    ``A^T (A x - b)`` balances the regulariser's subgradient, so it is the natural scale of ``s``).
    ``converged`` is True only when the rule held.

    Batches: ``b`` of shape ``(B, *A.out_shape)`` solves B problems together through the batched
    transforms; each has its own momentum, restarts and stopping, and a problem that stops leaves
    the batch (its result is what a call on it alone returns, to rounding).

    Parameters
    ----------
    A : LinearOperator or plan
    b : ndarray, ``A.out_shape`` or ``(B, *A.out_shape)``
    K : LinearOperator or plan
    f : Functional
        Needs ``prox`` and ``value`` (e.g. :class:`L1`, :class:`L21`).
    nonneg : bool
    x0 : ndarray, optional
        Start (default zeros); shape ``A.in_shape`` or that of the batch.
    rho : float, optional
        Penalty. Default: ``1.25 median(a) / median(k)`` with ``a``, ``k`` the Fourier symbols of
        ``A^T A`` and ``K^T K`` (``||A||^2 / ||K||^2`` where a symbol is unknown), so that the
        penalised term weighs like the data term in the bulk of the spectrum; invariant to the
        scale of ``b``.
    constraint_rho : float, optional
        Penalty ``rho_c`` of the constraint split ``u = x`` (default: ``rho``). In limited-angle CT
        the data do not see a wedge of low frequencies; the support and non-negativity
        constraints, with the regulariser, fill it in, at a speed this penalty governs (there,
        ``0.4 rho`` reached 1e-3 / 0.1 dB of the minimiser at 256 x 256 in 140-280 iterations where
        ``rho`` had not in 300: bench/RESULTS.md).
    cg_steps : int
        Conjugate-gradient steps per iteration (default 3).
    restart : float
        Momentum is kept while the combined residual falls below ``restart`` times its last
        value (Goldstein et al.'s eta); a step without momentum (the first, and the one after
        a restart, which starts again from the last kept point) is always kept. 0 turns
        momentum off.
    max_iter, tol, callback, progress
        As in :class:`Solver`.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> from fastshear.solvers import ADMM, L1
    >>> from fastshear import phantoms, ct
    >>> theta = np.arange(-60, 61, 2.0)
    >>> R = fastshear.Radon2D((64, 64), theta)
    >>> S = fastshear.Shearlet2D((64, 64), scales=2)
    >>> x = phantoms.shepp_logan((64, 64)); g = R.forward(x)
    >>> r = ADMM(R, g, S, L1(ct.default_weights(S, 0.05), band_ndim=2), max_iter=50).run()
    >>> bool(np.linalg.norm(r.x - x) < 0.7 * np.linalg.norm(R.fbp(g) - x))   # FBP: the wedge's streaks
    True
    """

    name = "admm"
    history_keys = ("objective", "primal_residual", "dual_residual", "rel_residual")
    REFRESH = 20  # iterations between exact recomputations of A x, A^T A x and the penalty term

    def __init__(self, A, b, K, f, *, nonneg: bool = True, support=None, x0=None, rho=None,
                 constraint_rho=None, cg_steps: int = 3, restart: float = 0.999, max_iter: int = 300,
                 tol: float = 1e-4, callback=None, progress=False):
        super().__init__(max_iter=max_iter, tol=tol, callback=callback, progress=progress)
        A, K = as_operator(A), as_operator(K)
        if tuple(A.in_shape) != tuple(K.in_shape):
            raise ValueError(f"A takes {A.in_shape} but K takes {K.in_shape}")
        if isinstance(cg_steps, bool) or not isinstance(cg_steps, (int, np.integer)) or cg_steps < 1:
            raise ValueError(f"cg_steps must be an integer >= 1, got {cg_steps!r}")
        if not (0 <= restart < 1):
            raise ValueError(f"restart must be in [0, 1), got {restart!r}")
        dt = np.result_type(np.dtype(A.dtype), np.dtype(K.dtype))
        self.A, self.K, self.f = A, K, f
        self.in_shape = tuple(A.in_shape)
        support = _support_mask(support, self.in_shape)
        self.support = support
        # the constraint set C = {x >= 0 (nonneg), x = 0 off the support}, enforced through u = x
        self.nonneg = bool(nonneg) or support is not None
        self._pos = bool(nonneg)
        b, self.batched = _batch_data(b, tuple(A.out_shape), dt)
        nb = b.shape[0]
        x = _batch_start(x0, nb, self.in_shape, self.batched, dt)
        self.cg_steps, self.restart = int(cg_steps), float(restart)

        # the Fourier preconditioner and the penalty
        ha = normal_symbol(A) if len(self.in_shape) == 2 else None
        hk = normal_symbol(K) if len(self.in_shape) == 2 else None
        self.knorm = K.norm()
        if rho is None:
            rho = self.default_rho(A, K, ha, hk)
        rho = float(rho)
        if not (rho > 0) or not math.isfinite(rho):
            raise ValueError(f"rho must be a finite number > 0, got {rho!r}")
        self.rho = rho
        rc = rho if constraint_rho is None else float(constraint_rho)
        if not (rc > 0) or not math.isfinite(rc):
            raise ValueError(f"constraint_rho must be a finite number > 0 or None, got {constraint_rho!r}")
        self.constraint_rho = self._rc = rc
        self._ha, self._hk = ha, hk
        # K^T K is applied through its symbol only where the symbol is exact (a shearlet frame)
        plan = getattr(K, "plan", K)
        from .shearlet2d import Shearlet2D

        self._hk_exact = hk is not None and isinstance(plan, Shearlet2D)
        if ha is not None and hk is not None:
            # the symbols the x-update applies (in the iteration's precision): rho K^T K (+ rho I)
            # and the preconditioner, the inverse of the whole system's symbol
            shift = self._rc if self.nonneg else 0.0
            self._hkk = (rho * hk + shift).astype(dt)
            self._den = ha + rho * hk + shift
            self._pinv = (1.0 / self._den).astype(dt)
        else:
            self._den = None
            self._hkk = (rho * hk + (self._rc if self.nonneg else 0.0)).astype(dt) if hk is not None else None

        # the fused C++ splitting and momentum step (one pass over the coefficients, in place): for
        # an l1 term with one weight or one weight per band of K's (..., bands, N, M), and for an
        # l2,1 term on a (2, N, M) output (isotropic TV)
        kdt = np.dtype(K.dtype)
        w = getattr(f, "weights", None)
        ko = tuple(K.out_shape)
        ok_dt = kdt == dt and dt in (np.float32, np.float64)
        l1 = (type(f) is L1 and w is not None
              and (w.ndim == 0 or (w.ndim == 1 and f.band_ndim == len(ko) - 1 and w.size == ko[0])))
        l21 = type(f) is L21 and len(ko) == 3 and ko[0] == 2
        self._fused = ok_dt and (l1 or l21)
        if self._fused and l1:
            self._fw = np.atleast_1d(w).astype(dt)
            self._band = int(np.prod(ko[1:])) if self._fw.size > 1 else int(np.prod(ko))
            self._group = 1
        elif self._fused:
            self._fw = np.array([f.lam], dt)
            self._band, self._group = int(np.prod(ko[1:])), 2

        # state (rows = problems still running)
        self._start(x, self.batched)
        ax = A.forward(x)
        self._s = dict(x=x.copy(), ax=ax, q=A.adjoint(ax), kx=K.forward(x), kkx=self._kk(x))
        s = self._s
        if self.nonneg:
            s["u"] = s["uh"] = self._project(x)
            s["m"] = s["mh"] = np.zeros_like(x)
        if self._fused:
            # two iterates per problem (current in half cur, previous in the other), from which
            # the C++ step forms the extrapolated point; d: the point the x-update applies K^T to
            kx = s["kx"]
            s["zz"] = np.zeros((nb, 2) + kx.shape[1:], kx.dtype)
            s["zz"][:, 0] = kx
            s["ll"] = np.zeros_like(s["zz"])
            s["d"] = kx.copy()
            s["cur"] = np.zeros(nb, np.uint8)
            s["fac"] = np.zeros(nb)
        else:
            s["z"] = s["zh"] = s["kx"].copy()
            s["l"] = s["lh"] = np.zeros_like(s["z"])
        s["a"] = np.ones(nb)
        s["c"] = np.full(nb, np.inf)
        s["b"], s["atb"] = b, A.adjoint(b)
        self.restarts = np.zeros(nb, int)

    @staticmethod
    def default_rho(A, K, ha=None, hk=None) -> float:
        """The default penalty ``1.25 median(a) / median(k)`` (``a``, ``k``: the Fourier symbols
        of ``A^T A`` and ``K^T K``; ``||A||^2 / ||K||^2`` where a symbol is unknown)."""
        A, K = as_operator(A), as_operator(K)
        ha = normal_symbol(A) if ha is None and len(A.in_shape) == 2 else ha
        hk = normal_symbol(K) if hk is None and len(K.in_shape) == 2 else hk
        sa = float(np.median(ha)) if ha is not None else A.norm() ** 2
        sk = float(np.median(hk)) if hk is not None else K.norm() ** 2
        return 1.25 * sa / sk if ha is not None else sa / sk

    def _use_numpy_steps(self):
        """Switch to the generic NumPy splitting and momentum steps (before the first step: the
        tests and bench/ct_admm_step.py compare them with the fused C++ step)."""
        s = self._s
        if self._fused:
            self._fused = False
            s["z"] = s["zh"] = s.pop("zz")[:, 0].copy()
            s["l"] = s["lh"] = s.pop("ll")[:, 0].copy()
            for k in ("d", "cur", "fac"):
                del s[k]

    def _project(self, v):
        """The projection onto the constraint set (non-negativity and the support)."""
        u = np.maximum(v, 0) if self._pos else v.copy()
        if self.support is not None:
            u *= self.support
        return u

    # -- pieces of the x-update ------------------------------------------------------------------
    def _kk(self, p):
        """rho K^T K p (+ rho_c p)."""
        if self._hk_exact:
            return fourier_multiply(p, self._hkk)
        v = self.K.adjoint(self.K.forward(p))
        v *= self.rho
        if self.nonneg:
            v += self._rc * p
        return v

    def _precond(self, r):
        if self._den is None:
            return r.copy()
        return fourier_multiply(r, self._pinv)

    def _step(self):
        s, rho, nb = self._s, self.rho, self._active.size
        A, K = self.A, self.K
        x = s["x"]
        if self._iters[self._active[0]] % self.REFRESH == self.REFRESH - 1:
            # the products carried by linearity drift with rounding (in float32 enough to stop
            # the iterates 5e-5 short of the minimiser's objective): recomputed now and then
            s["ax"] = A.forward(x)
            s["q"], s["kkx"] = A.adjoint(s["ax"]), self._kk(x)
        q, ax, kkx = s["q"], s["ax"], s["kkx"]
        # x-update: PCG, warm-started; the residual of the new system is formed without A
        if self._fused:
            rhs = K.adjoint(s["d"])
            rhs *= rho
            rhs += s["atb"]
        else:
            rhs = s["atb"] + K.adjoint(rho * (s["zh"] - s["lh"]))
        if self.nonneg:
            rhs += self._rc * (s["uh"] - s["mh"])
        r = rhs - q - kkx
        zr = self._precond(r)
        p = zr
        rz = _bdot(r, zr, nb)
        for j in range(self.cg_steps):
            ap_ = A.forward(p)
            atap = A.adjoint(ap_)
            kkp = self._kk(p)
            Ap = atap + kkp
            pAp = _bdot(p, Ap, nb)
            alpha = np.where(pAp > 0, rz / np.where(pAp > 0, pAp, 1.0), 0.0)
            al = _bcast(alpha, x).astype(x.dtype)
            x = x + al * p
            q = q + al * atap
            kkx = kkx + al * kkp
            ax = ax + _bcast(alpha, ax).astype(x.dtype) * ap_
            if j == self.cg_steps - 1:
                break
            r = r - al * Ap
            zr = self._precond(r)
            rz_new = _bdot(r, zr, nb)
            beta = np.where(rz > 0, rz_new / np.where(rz > 0, rz, 1.0), 0.0)
            p = zr + _bcast(beta, p).astype(x.dtype) * p
            rz = rz_new
        kx = K.forward(x, out=s["kx"]) if self._fused else K.forward(x)
        # z, u and the scaled duals from the extrapolated (hat) point
        old = {k: s[k] for k in ("z", "l") if k in s}
        # Nesterov's factor for the next extrapolation if this step is kept
        a_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * s["a"] ** 2))
        fac_next = (s["a"] - 1.0) / a_new if self.restart > 0 else np.zeros(nb)
        if self._fused:
            # one C++ pass: the extrapolated point, the new (z, l) over the previous iterate, the
            # sums below and the next x-update's point d (as if the step is kept)
            st = _core.admm_l1_step(kx, s["zz"], s["ll"], s["d"], s["cur"], s["fac"], fac_next, self._fw, nb,
                                    self._band, rho, self._group)
            sq_l, sq_z, l1 = st[:, 0], st[:, 1], st[:, 4]
            scale_p = [st[:, 2].copy(), st[:, 3].copy()]
            new = {}
        else:
            v = kx + s["lh"]
            # l = v - prox_{f/rho}(v) = prox_{rho f*}(rho v) / rho (Moreau), z = v - l: for the
            # l1 norm one clip, and few passes over the coefficients
            l_ = self.f.prox_conj(v * rho, rho)
            l_ /= rho
            v -= l_
            z = v
            d_l = l_ - s["lh"]           # = K x - z, the primal residual
            d_z = z - s["zh"]
            sq_l, sq_z = _bsq(d_l, nb), _bsq(d_z, nb)
            del d_l, d_z
            scale_p = [_bsq(kx, nb), _bsq(z, nb)]
            new = {"z": z, "l": l_}
        res_p = sq_l.copy()
        dz = sq_z * self.knorm ** 2
        comb = sq_l + sq_z
        if self.nonneg:
            vu = x + s["mh"]
            u = self._project(vu)
            m = vu - u
            res_p += _bsq(x - u, nb)
            du = _bsq(u - s["uh"], nb)
            dz += du * (self._rc / rho) ** 2
            comb += (self._rc / rho) * (_bsq(m - s["mh"], nb) + du)
            scale_p[0] += _bsq(x, nb)
            scale_p[1] += _bsq(u, nb)
            new.update(u=u, m=m)
        pres = np.sqrt(res_p)
        dres = rho * np.sqrt(dz)
        grad = np.sqrt(_bsq(q - s["atb"], nb))
        gscale = np.maximum(grad, 1e-12 * np.sqrt(_bsq(s["atb"], nb)))
        rel = np.maximum(pres / np.maximum(np.sqrt(np.maximum(*scale_p)), 1e-300), dres / gscale)
        done = rel <= self.tol
        # objective at x
        res = ax - s["b"]
        obj = 0.5 * _bsq(res, nb) + (l1 if self._fused else np.array([self.f.value(kx[i]) for i in range(nb)]))
        # momentum with restart (per problem)
        if self.restart > 0:
            # a plain step (a == 1: the first, or the one after a restart) is always kept: it
            # starts again from the last accepted point, so discarding it would replay the same
            # step (inexact x-updates make ADMM's combined residual only nearly monotone)
            keep = (comb < self.restart * s["c"]) | (s["a"] == 1.0)
        else:
            keep = np.ones(nb, bool)
        fac = np.where(keep, fac_next, 0.0)
        if self._fused:
            # keeping a step makes the new iterate current; a restart keeps the current one and
            # restarts the extrapolation from it (d = z - l)
            s["cur"] = np.where(keep, 1 - s["cur"], s["cur"]).astype(np.uint8)
            s["fac"] = fac
            for i in np.flatnonzero(~keep):
                c = s["cur"][i]
                np.subtract(s["zz"][i, c], s["ll"][i, c], out=s["d"][i])
        # the constraint split steps without momentum (extrapolating it too was measured to slow
        # the filling of CT's missing wedge, bench/RESULTS.md)
        for k in ("u", "m"):
            if k in new:
                s[k] = s[k + "h"] = new.pop(k)
        if self.restart > 0:
            for k, vnew in new.items():
                vold = old[k]
                if np.all(keep):
                    s[k] = vnew
                    if np.any(fac != 0):
                        hat = vnew - vold
                        hat *= _bcast(fac, vnew).astype(vnew.dtype)
                        hat += vnew
                    else:
                        hat = vnew
                    s[k + "h"] = hat
                elif not np.any(keep):
                    s[k] = s[k + "h"] = vold
                else:
                    kp = _bcast(keep, vnew)
                    hat = vnew + _bcast(fac, vnew).astype(vnew.dtype) * (vnew - vold)
                    s[k] = np.where(kp, vnew, vold)
                    s[k + "h"] = np.where(kp, hat, vold)
            s["a"] = np.where(keep, a_new, 1.0)
            s["c"] = np.where(keep, comb, s["c"] / self.restart)
            self.restarts[self._active] += ~keep
        else:
            for k, vnew in new.items():
                s[k] = s[k + "h"] = vnew
        s.update(x=x, q=q, ax=ax, kx=kx, kkx=kkx)
        diag = {"objective": obj, "primal_residual": pres, "dual_residual": dres, "rel_residual": rel}
        return self._finish(self._project(x) if self.nonneg else x, diag, done)

    def _drop(self, keep):
        s, nb = self._s, keep.size
        for k, v in list(s.items()):
            if isinstance(v, np.ndarray) and v.shape[:1] == (nb,):
                s[k] = v[keep]

    def _info(self) -> dict:
        return {"rho": self.rho, "constraint_rho": self.constraint_rho, "cg_steps": self.cg_steps, "restarts": self.restarts.copy() if self.batched
                else int(self.restarts[0]), "preconditioner": self._den is not None}


def admm(A, b, K, f, *, nonneg: bool = True, support=None, x0=None, rho=None, constraint_rho=None,
         cg_steps: int = 3, restart: float = 0.999, max_iter: int = 300, tol: float = 1e-4, callback=None,
         progress=False) -> SolverResult:
    """:class:`ADMM` run to its stopping rule (see there for the method and the parameters).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator, Identity
    >>> from fastshear.solvers import admm, L1
    >>> A = MatrixOperator(np.eye(3))
    >>> r = admm(A, np.array([3.0, -0.5, 1.5]), Identity(3), L1(1.0), nonneg=False,
    ...          cg_steps=1, max_iter=500, tol=1e-9)
    >>> np.round(r.x, 4)     # soft thresholding at 1
    array([ 2. , -0. ,  0.5])
    """
    return ADMM(A, b, K, f, nonneg=nonneg, support=support, x0=x0, rho=rho, constraint_rho=constraint_rho,
                cg_steps=cg_steps, restart=restart, max_iter=max_iter, tol=tol, callback=callback,
                progress=progress).run()

# ---------------------------------------------------------------------------------------------
# stochastic PDHG over blocks of the data (angle subsets)
# ---------------------------------------------------------------------------------------------
class SPDHG(_Batched):
    """``min_x sum_i ||A_i x - b_i||^2 / 2 + f(K x)  (+ x >= 0)`` by stochastic PDHG, for one
    problem or a batch.

    Chambolle, Ehrhardt, Richtárik, Schönlieb, "Stochastic primal-dual hybrid gradient algorithm
    with arbitrary sampling and imaging applications", SIAM J. Optim. 28 (2018), with the
    diagonal step sizes of Ehrhardt et al., "Faster PET reconstruction with non-smooth priors by
    randomization and preconditioning", Phys. Med. Biol. 64 (2019). The data term is split into
    blocks (for CT: subsets of the angles); each inner iteration takes one projected primal step
    and updates the dual of one block, drawn at random: the regulariser's with probability
    ``reg_prob``, each data block's with ``(1 - reg_prob) / m``. A data block's update applies
    ``A_i`` and ``A_i^T`` once, so an *epoch* (``round(m / (1 - reg_prob))`` inner iterations,
    ``m`` data blocks on average) costs about one ``A`` and one ``A^T``; ``step()`` is one epoch.

    Step sizes (no power iteration): ``sigma_i = gamma rho / (|A_i| 1)`` per data value and
    ``tau = (rho / gamma) min_i p_i / (|A_i|^T 1)`` per pixel (``rho = 0.99``), which meet the
    method's condition ``||sigma_i^(1/2) A_i tau^(1/2)||^2 < p_i`` for matrices with
    non-negative entries (projectors). For :class:`fastshear.operators.Gradient2D` the
    regulariser's sums are exact (2 per row, 4 per column); for another ``K``, ``||K||`` stands
    for both.

    Stopping rule, per problem, at the end of each epoch: the relative residuals of the three
    optimality conditions, all at most ``tol``:
    ``||x - P(x - tau z)|| / tau`` against ``||A^T y||`` (stationarity, with ``z = A^T y + K^T y_K``
    the dual image the method carries), ``||y_i - (A_i x - b_i)||`` over the blocks (each at its
    last update) against ``||y||``, and the regulariser's last dual change against its dual.
    ``converged`` is True only when the rule held.

    Parameters
    ----------
    A : sequence of LinearOperator or plans
        The data blocks (all taking the same input shape), e.g. Radon transforms of angle subsets.
    b : sequence of ndarray
        Their data, each ``A_i.out_shape`` or ``(B, *A_i.out_shape)`` (the same ``B`` for all).
    K : LinearOperator or plan
    f : Functional
        Needs ``prox_conj`` (e.g. :class:`L21`, :class:`L1`).
    nonneg : bool
    support : ndarray of bool, optional
        Pixels allowed to be non-zero (the others are held at 0).
    x0 : ndarray, optional
        Start (default zeros); shape ``A_i.in_shape`` or that of the batch.
    gamma : float
        Ratio of dual to primal step sizes. Its best value depends on the scale of the solution
        (ct solves TV scaled to ``lam = 1`` with ``ct.TV_GAMMA = 30``, fitted there).
    reg_prob : float
        Probability of updating the regulariser's dual in an inner iteration.
    seed : int
        Seed of the block sampling (the same sequence for every problem of a batch, so a batch
        gives what its problems give one by one, to rounding).
    max_iter, tol, callback, progress
        As in :class:`Solver`; ``max_iter`` counts epochs.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> from fastshear.solvers import SPDHG, L21
    >>> from fastshear.operators import Gradient2D
    >>> from fastshear import phantoms
    >>> theta = np.arange(-60, 61, 2.0)
    >>> x = phantoms.shepp_logan((64, 64))
    >>> blocks = [fastshear.Radon2D((64, 64), theta[i::8]) for i in range(8)]
    >>> r = SPDHG(blocks, [Ri.forward(x) for Ri in blocks], Gradient2D((64, 64)), L21(0.01),
    ...           max_iter=200, tol=1e-3).run()
    >>> R = fastshear.Radon2D((64, 64), theta)
    >>> bool(np.linalg.norm(r.x - x) < 0.7 * np.linalg.norm(R.fbp(R.forward(x)) - x))
    True
    """

    name = "spdhg"
    history_keys = ("primal_residual", "dual_residual", "rel_residual")

    def __init__(self, A, b, K, f, *, nonneg: bool = True, support=None, x0=None, gamma: float = 1.0,
                 reg_prob: float = 0.5, seed: int = 0, max_iter: int = 300, tol: float = 1e-3, callback=None,
                 progress=False):
        from ._validation import positive_real

        super().__init__(max_iter=max_iter, tol=tol, callback=callback, progress=progress)
        As = [as_operator(a) for a in _as_list(A)]
        bs = _as_list(b)
        if not As or len(As) != len(bs):
            raise ValueError(f"need one data array per block, got {len(As)} blocks and {len(bs)} arrays")
        K = as_operator(K)
        self.in_shape = shape = tuple(K.in_shape)
        for a in As:
            if tuple(a.in_shape) != shape:
                raise ValueError(f"every block must take K's input shape {shape}, got {tuple(a.in_shape)}")
        self.gamma = positive_real(gamma, "gamma")
        if not (0 < reg_prob < 1):
            raise ValueError(f"reg_prob must be in (0, 1), got {reg_prob!r}")
        self.reg_prob = float(reg_prob)
        dt = np.result_type(np.dtype(K.dtype), *[np.dtype(a.dtype) for a in As])
        bb, kinds = zip(*[_batch_data(bi, tuple(a.out_shape), dt, f"b[{i}]")
                          for i, (a, bi) in enumerate(zip(As, bs))])
        if len(set(kinds)) > 1:
            raise ValueError("the blocks' data must all be batched or all single problems")
        batched, bb = kinds[0], list(bb)
        nb = bb[0].shape[0]
        if any(bi.shape[0] != nb for bi in bb):
            raise ValueError(f"the blocks' data must share the batch size, got {[bi.shape[0] for bi in bb]}")
        support = _support_mask(support, shape)
        x = _batch_start(x0, nb, shape, batched, dt)
        self.A, self.K, self.f, self.nonneg = As, K, f, bool(nonneg)
        m = len(As)
        self.probs = np.array([(1 - self.reg_prob) / m] * m + [self.reg_prob])
        self.epoch_length = max(1, round(m / (1 - self.reg_prob)))
        self._rng = np.random.default_rng(seed)

        # diagonal step sizes (Pock & Chambolle's sums of |entries|, from the blocks on ones)
        rho = 0.99
        g = self.gamma
        ones = np.ones(shape, dt)
        self._sig = []
        cols = []
        for a in As:
            rs = a.forward(ones)
            # a data value no pixel reaches keeps its dual (sigma 0; its column of A^T is zero)
            self._sig.append(np.where(rs > 0, g * rho / np.where(rs > 0, rs, 1), 0).astype(dt))
            cols.append(a.adjoint(np.ones(tuple(a.out_shape), dt)))
        self._tv = type(K) is Gradient2D and type(f) is L21 and len(shape) == 2
        kn = 2.0 if self._tv else K.norm()
        self._sig_k = g * rho / kn
        kcol = 4.0 if self._tv else kn
        tau = np.full(shape, self.probs[-1] / kcol)
        for pi, c in zip(self.probs[:-1], cols):
            seen = c > 0
            tau[seen] = np.minimum(tau[seen], pi / c[seen])
        tau *= rho / g
        if support is not None:
            tau[~support] = 0
            x[:, ~support] = 0
        self.tau = tau.astype(dt)
        self.support = support
        if self.nonneg:
            np.maximum(x, 0, out=x)

        # state: the duals (data blocks start at A_i x0 - b_i, their value at x0), the dual image
        # z = sum_i A_i^T y_i + K^T y_K and the extrapolation e of the last update
        self._start(x.copy(), batched)
        ys = [a.forward(x) - bi for a, bi in zip(As, bb)]
        yk = np.zeros((nb,) + tuple(K.out_shape), dt)
        z = np.asarray(sum(a.adjoint(y) for a, y in zip(As, ys)), dtype=dt)
        self._s = dict(x=x, z=z, e=np.zeros_like(z), yk=yk, b=bb, y=ys,
                       res=[np.zeros(nb) for _ in As], dyk=np.zeros(nb))

    # -- the three updates -----------------------------------------------------------------------
    def _primal(self, s):
        """``x = P(x - tau (z + e))`` (one C++ pass), P the projection onto the constraints."""
        _core.spdhg_primal_step(s["x"], s["z"], s["e"], self.tau, self.nonneg)

    def _reg(self, s):
        """The regulariser's dual update, ``z += K^T dy_K`` and ``e = K^T dy_K / p_K``."""
        scale = 1.0 / self.probs[-1]
        if self._tv:  # one C++ pass: gradient, projection onto the discs, divergence
            s["dyk"] = _core.tv_dual_step(s["x"], s["yk"], s["z"], s["e"], self._sig_k, self.f.lam, scale)
            return
        yk = s["yk"]
        v = self.K.forward(s["x"])
        v *= self._sig_k
        v += yk
        yn = self.f.prox_conj(v, self._sig_k)
        d = yn - yk
        s["yk"], s["dyk"] = yn, _bsq(d, d.shape[0])
        dz = self.K.adjoint(d)
        s["z"] += dz
        np.multiply(dz, scale, out=s["e"])

    def _data(self, s, i):
        """Data block i's dual update ``y_i = (y_i + sigma_i (A_i x - b_i)) / (1 + sigma_i)``,
        ``z += A_i^T dy_i`` and ``e = A_i^T dy_i / p_i``."""
        a, y, sig = self.A[i], s["y"][i], self._sig[i]
        r = a.forward(s["x"])
        r -= s["b"][i]                           # A_i x - b_i
        yn = y + sig * r
        yn /= 1 + sig
        s["res"][i] = _bsq(yn - r, r.shape[0])   # the block's residual y_i - (A_i x - b_i)
        dz = a.adjoint(yn - y)
        s["y"][i] = yn
        s["z"] += dz
        np.multiply(dz, 1.0 / self.probs[i], out=s["e"])

    def _step(self):
        s, m = self._s, len(self.A)
        for _ in range(self.epoch_length):
            self._primal(s)
            i = m if self._rng.random() < self.reg_prob else int(self._rng.integers(m))
            if i == m:
                self._reg(s)
            else:
                self._data(s, i)
        # the stopping rule's residuals (no transform of the data blocks)
        nb = s["x"].shape[0]
        x = s["x"]
        v = x - self.tau * s["z"]
        if self.nonneg:
            np.maximum(v, 0, out=v)
        safe = np.where(self.tau > 0, self.tau, 1)
        stat = np.sqrt(_bsq((x - v) / safe, nb))
        za = np.sqrt(_bsq(s["z"] - self.K.adjoint(s["yk"]), nb))
        dres = np.sqrt(sum(s["res"]))
        ynorm = np.sqrt(sum(_bsq(y, nb) for y in s["y"]))
        tiny = 1e-30
        kchg = np.sqrt(s["dyk"]) / np.maximum(np.sqrt(_bsq(s["yk"], nb)), tiny)  # ||dy_K|| / ||y_K||
        rel = np.maximum.reduce([stat / np.maximum(za, tiny), dres / np.maximum(ynorm, tiny), kchg])
        diag = {"primal_residual": dres, "dual_residual": stat, "rel_residual": rel}
        return self._finish(x, diag, rel <= self.tol)

    def _drop(self, keep):
        s = self._s
        for k in ("x", "z", "e", "yk", "dyk"):
            s[k] = s[k][keep]
        for k in ("y", "b", "res"):
            s[k] = [v[keep] for v in s[k]]

    def _info(self) -> dict:
        return {"gamma": self.gamma, "reg_prob": self.reg_prob, "blocks": len(self.A),
                "epoch_length": self.epoch_length}


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
    return PDHG(operators, functionals, g, x0=x0, max_iter=max_iter, tol=tol, ratio=ratio,
                adaptive=adaptive, accelerate=accelerate, norms=norms, stack_norm=stack_norm,
                callback=callback, progress=progress, workers=workers).run()


class PDHG(Solver):
    """The stepping form of :func:`pdhg` (same parameters; see there).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import Identity
    >>> from fastshear.solvers import PDHG, L1, SquaredL2
    >>> s = PDHG(Identity(2), L1(1.0), SquaredL2(np.array([3.0, 0.5])), max_iter=3000, tol=1e-10)
    >>> np.round(s.run().x, 6)
    array([2., 0.])
    """

    name = "pdhg"
    history_keys = ("objective", "primal_residual", "dual_residual")

    def __init__(self, operators, functionals, g=None, *, x0=None, max_iter: int = 500, tol: float = 1e-5,
                 ratio: float = 1.0, adaptive: bool = False, accelerate: bool = False, norms=None,
                 stack_norm=None, callback=None, progress=False, workers=None):
        from ._validation import resolve_workers

        super().__init__(max_iter=max_iter, tol=tol, callback=callback, progress=progress)
        Ks = [as_operator(k) for k in _as_list(operators)]
        Fs = _as_list(functionals)
        if len(Ks) != len(Fs) or not Ks:
            raise ValueError(f"need one functional per operator, got {len(Ks)} operators and {len(Fs)} functionals")
        shape = tuple(Ks[0].in_shape)
        for k in Ks[1:]:
            if tuple(k.in_shape) != shape:
                raise ValueError(f"all operators must take the same input shape, got {shape} and {k.in_shape}")
        from ._validation import initial_guess, positive_real, positive_reals

        ratio = positive_real(ratio, "ratio")
        norms = positive_reals(norms, "norms", len(Ks), allow_none=False)
        self.threads = resolve_workers(workers)
        self.g = Zero() if g is None else g
        dtype = np.result_type(*[np.dtype(k.dtype) for k in Ks])
        if norms is None:
            norms = [k.norm() for k in Ks]
        norms = [float(n) for n in norms]
        if stack_norm is None:
            # ||[K_1/n_1; ...; K_B/n_B]|| <= sqrt(B): a bound that needs no power iteration and is
            # nearly attained whenever the blocks share a top singular vector (a smooth image for
            # a projector and a frame alike)
            L = math.sqrt(len(Ks))
        elif isinstance(stack_norm, str) and stack_norm == "estimate":
            L = 1.0 if len(Ks) == 1 else 1.01 * _Stacked([k / n for k, n in zip(Ks, norms)]).norm()
        elif isinstance(stack_norm, str):
            raise TypeError(f"stack_norm must be None, 'estimate' or a finite number > 0, got {stack_norm!r}")
        else:
            L = positive_real(stack_norm, "stack_norm")
        self.tau = 0.99 * math.sqrt(ratio) / L
        sig = 0.99 / (math.sqrt(ratio) * L)
        self.sigmas = [sig / n ** 2 for n in norms]
        self.tau0, self.norms, self.L = self.tau, norms, L
        x = initial_guess(x0, shape, dtype)
        x = np.zeros(shape, dtype) if x is None else x
        if x0 is None:  # K 0 = 0: no transform needed
            self.kx = [np.zeros(tuple(k.out_shape), np.dtype(k.dtype)) for k in Ks]
        else:
            self.kx = [k.forward(x) for k in Ks]
        self.Ks, self.Fs, self.x = Ks, Fs, x
        self.ys = [np.zeros_like(v) for v in self.kx]
        self.kty = np.zeros(shape, dtype)
        self.pmax = self.dmax = 0.0
        self.alpha = 0.5
        self.adaptive = bool(adaptive)
        self.gamma = float(getattr(self.g, "strong_convexity", 0.0)) if accelerate else 0.0

    def _step(self):
        Ks, tau, x, kx, kty = self.Ks, self.tau, self.x, self.kx, self.kty
        x_new = self.g.prox(x - tau * kty, tau)
        kx_new = [k.forward(x_new) for k in Ks]
        obj, d2 = self.g.value(x_new), 0.0
        theta = 1.0
        if self.gamma > 0:  # Chambolle-Pock's accelerated variant for a strongly convex G
            theta = 1.0 / math.sqrt(1.0 + 2.0 * self.gamma * tau)
            self.sigmas = [sg / theta for sg in self.sigmas]
        for F, y, kn, ko, s in zip(self.Fs, self.ys, kx_new, kx, self.sigmas):
            val, res = F.dual_step(y, kn, ko, s, theta, self.threads)
            obj += val
            d2 += res
        kty_new = Ks[0].adjoint(self.ys[0])
        for k, y in zip(Ks[1:], self.ys[1:]):
            kty_new += k.adjoint(y)
        p = (x - x_new) / tau - (kty - kty_new)
        self.tau = tau * theta
        rc = _rel_change(x_new, x)
        pres, dres = _norm(p), math.sqrt(d2)
        self.pmax, self.dmax = max(self.pmax, pres), max(self.dmax, dres)
        self.x, self.kx, self.kty = x_new, kx_new, kty_new
        done = rc < self.tol and pres <= self.tol * self.pmax and dres <= self.tol * self.dmax
        if self.adaptive and self.alpha > 1e-3 and self.gamma == 0:
            # residual balancing (Goldstein, Li, Yuan, Esser, Baraniuk 2015): keep tau sigma
            # fixed, shift weight to the side whose residual lags; alpha decays, so the
            # steps settle and the usual convergence guarantee applies
            a = self.alpha
            if pres > 1.5 * dres:
                self.tau /= 1 - a
                self.sigmas = [sg * (1 - a) for sg in self.sigmas]
                self.alpha *= 0.95
            elif dres > 1.5 * pres:
                self.tau *= 1 - a
                self.sigmas = [sg / (1 - a) for sg in self.sigmas]
                self.alpha *= 0.95
        return {"objective": obj, "primal_residual": pres, "dual_residual": dres, "rel_change": rc}, done

    def _info(self):
        return {"tau": self.tau, "sigma": self.sigmas, "tau0": self.tau0, "norms": self.norms,
                "stack_norm": self.L}


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
    return FISTA(A, b, g, x0=x0, max_iter=max_iter, tol=tol, lipschitz=lipschitz, callback=callback,
                 progress=progress).run()


def _data(A, b, x0):
    """(A, b, x) checked: b of A's output shape, x0 of its input shape (zeros by default)."""
    from ._validation import data_array, initial_guess

    A = as_operator(A)
    b = data_array(b, "b", allow_empty=True).astype(A.dtype)
    if b.shape != tuple(A.out_shape):
        raise ValueError(f"b must have shape {A.out_shape} (the operator's out_shape), got {b.shape}")
    x = initial_guess(x0, A.in_shape, A.dtype)
    return A, b, (np.zeros(A.in_shape, A.dtype) if x is None else x)


class FISTA(Solver):
    """The stepping form of :func:`fista` (same parameters)."""

    name = "fista"

    def __init__(self, A, b, g=None, *, x0=None, max_iter: int = 500, tol: float = 1e-6, lipschitz=None,
                 callback=None, progress=False):
        super().__init__(max_iter=max_iter, tol=tol, callback=callback, progress=progress)
        self.A, self.b, self.x = _data(A, b, x0)
        self.g = Zero() if g is None else g
        from ._validation import positive_real

        L = positive_real(lipschitz, "lipschitz", allow_none=True)
        L = L if L is not None else 1.01 * self.A.norm() ** 2
        self.L, self.step_size = L, 1.0 / L
        self.ax = self.A.forward(self.x)
        self.z, self.az, self.t = self.x, self.ax, 1.0

    def _step(self):
        A, b, step = self.A, self.b, self.step_size
        x_new = self.g.prox(self.z - step * A.adjoint(self.az - b), step)
        ax_new = A.forward(x_new)
        t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * self.t * self.t))
        beta = (self.t - 1.0) / t_new
        self.z = x_new + beta * (x_new - self.x)
        self.az = ax_new + beta * (ax_new - self.ax)
        obj = 0.5 * _sqnorm(ax_new - b) + self.g.value(x_new)
        rc = _rel_change(x_new, self.x)
        self.x, self.ax, self.t = x_new, ax_new, t_new
        return {"objective": obj, "rel_change": rc}, rc < self.tol

    def _info(self):
        return {"step": self.step_size, "lipschitz": self.L}


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
    return CGLS(A, b, x0=x0, damp=damp, max_iter=max_iter, tol=tol, callback=callback,
                progress=progress).run()


class CGLS(Solver):
    """The stepping form of :func:`cgls` (same parameters)."""

    name = "cgls"
    history_keys = ("objective", "residual")

    def __init__(self, A, b, *, x0=None, damp: float = 0.0, max_iter: int = 100, tol: float = 1e-6,
                 callback=None, progress=False):
        super().__init__(max_iter=max_iter, tol=tol, callback=callback, progress=progress)
        from ._validation import real

        damp = real(damp, "damp", lo=0)
        self.A, self.b, self.x = _data(A, b, x0)
        self.damp, self.d2 = damp, damp * damp
        self.r = self.b - self.A.forward(self.x)
        s = self.A.adjoint(self.r) - self.d2 * self.x
        self.p = s.copy()
        self.gamma = _sqnorm(s)
        self.norm0 = _norm(self.A.adjoint(self.b)) or 1.0
        # already solved (x0 exact, or b = 0): nothing to do
        self.converged = math.sqrt(self.gamma) <= self.tol * self.norm0

    def _step(self):
        q = self.A.forward(self.p)
        delta = _sqnorm(q) + self.d2 * _sqnorm(self.p)
        if delta <= 0:
            rn = _norm(self.r)
            return {"objective": 0.5 * rn * rn + 0.5 * self.d2 * _sqnorm(self.x), "residual": rn,
                    "rel_change": 0.0}, True
        alpha = self.gamma / delta
        x_new = self.x + alpha * self.p
        self.r -= alpha * q
        s = self.A.adjoint(self.r) - self.d2 * x_new
        gamma_new = _sqnorm(s)
        self.p = s + (gamma_new / self.gamma) * self.p
        self.gamma = gamma_new
        rn = _norm(self.r)
        obj = 0.5 * rn * rn + 0.5 * self.d2 * _sqnorm(x_new)
        rc = _rel_change(x_new, self.x)
        self.x = x_new
        return {"objective": obj, "residual": rn, "rel_change": rc}, math.sqrt(gamma_new) <= self.tol * self.norm0

    def _info(self):
        return {"damp": self.damp}


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
    return SIRT(A, b, x0=x0, nonneg=nonneg, max_iter=max_iter, tol=tol, relaxation=relaxation,
                callback=callback, progress=progress).run()


class SIRT(Solver):
    """The stepping form of :func:`sirt` (same parameters)."""

    name = "sirt"
    history_keys = ("objective", "residual")

    def __init__(self, A, b, *, x0=None, nonneg: bool = True, max_iter: int = 100, tol: float = 1e-6,
                 relaxation: float = 1.0, callback=None, progress=False):
        super().__init__(max_iter=max_iter, tol=tol, callback=callback, progress=progress)
        from ._validation import real

        relaxation = real(relaxation, "relaxation", lo=0, hi=2, lo_open=True, hi_open=True)
        A, self.b, self.x = _data(A, b, x0)
        self.A, self.nonneg, self.relaxation = A, bool(nonneg), float(relaxation)
        rows = A.forward(np.ones(A.in_shape, A.dtype))
        cols = A.adjoint(np.ones(A.out_shape, A.dtype))
        self.Rw = np.where(rows > 1e-12 * max(float(np.max(np.abs(rows))), 1e-300),
                           1.0 / np.where(rows == 0, 1, rows), 0.0).astype(A.dtype)
        self.Cw = np.where(cols > 1e-12 * max(float(np.max(np.abs(cols))), 1e-300),
                           relaxation / np.where(cols == 0, 1, cols), 0.0).astype(A.dtype)
        self.r = self.b - A.forward(self.x)

    def _step(self):
        r = self.r * self.Rw
        x_new = self.x + self.Cw * self.A.adjoint(r)
        if self.nonneg:
            np.maximum(x_new, 0, out=x_new)
        self.r = self.b - self.A.forward(x_new)
        rr = self.r.ravel()
        obj = 0.5 * float(np.einsum("i,i->", rr, (self.Rw * self.r).ravel(), dtype=np.float64))
        rc = _rel_change(x_new, self.x)
        self.x = x_new
        return {"objective": obj, "residual": _norm(rr), "rel_change": rc}, rc < self.tol

    def _info(self):
        return {"relaxation": self.relaxation}


# ---------------------------------------------------------------------------------------------
# ready-made problems
# ---------------------------------------------------------------------------------------------
def _data_operator(A, b, shape=None):
    from ._validation import data_array

    b = data_array(b, "b")
    if A is None:
        return None, np.asarray(b, precision_of(b))
    A = as_operator(A)
    b = np.asarray(b, dtype=A.dtype)
    if b.shape != tuple(A.out_shape):
        raise ValueError(f"the data must have shape {A.out_shape} (the operator's output), got {b.shape}")
    return A, b


def _regularised_least_squares(A, b, K, f, *, nonneg, x0, ratio, norm=None, accelerate_denoising=False,
                               **pdhg_args):
    """``min_x ||A x - b||^2 / 2 + f(K x)  (+ x >= 0)`` with :func:`pdhg` (the default) or
    :func:`admm` (``method="admm"``, for a forward operator ``A``).

    ``A=None`` is denoising: the data term (and positivity) go into ``G``, whose prox is exact,
    PDHG starts at ``b`` and, with ``accelerate_denoising``, takes the accelerated steps that the
    strongly convex ``G`` allows. Otherwise the data term is a second ``F`` on ``A``. ``norm`` is
    ``||K||`` where known (``||A||`` is then asked of ``A``); ``ratio=None`` means 1.
    """
    method = pdhg_args.pop("method", None)
    if method not in (None, "admm", "pdhg"):
        raise ValueError(f"method must be 'admm', 'pdhg' or None, got {method!r}")
    if method == "admm":
        if A is None:
            A = Identity(K.in_shape, dtype=np.result_type(np.dtype(K.dtype), b.dtype))
        if ratio is not None:
            raise ValueError("ratio is PDHG's step balance; ADMM takes none (use method='pdhg')")
        pdhg_args.pop("workers", None)
        return admm(A, b, K, f, nonneg=nonneg, x0=x0, **pdhg_args)
    ratio = 1.0 if ratio is None else ratio
    if A is None:
        g = SquaredL2NonNegative(b) if nonneg else SquaredL2(b)
        return pdhg([K], [f], g, x0=b if x0 is None else x0, ratio=ratio,
                    norms=None if norm is None else [norm], accelerate=accelerate_denoising, **pdhg_args)
    g = NonNegative() if nonneg else Zero()
    return pdhg([A, K], [SquaredL2(b), f], g, x0=x0, ratio=ratio,
                norms=None if norm is None else [A.norm(), norm], **pdhg_args)


def analysis_l1(A, b, W, weights=1.0, *, nonneg: bool = True, x0=None, max_iter: int = 300,
                tol: float = 1e-5, ratio: float = None, method: str = None, callback=None, progress=False,
                workers=None):
    """Analysis-sparse regularisation in a frame:
    ``min_x ||A x - b||^2 / 2 + sum_i w_i ||(W x)_i||_1  (+ x >= 0)``.

    ``W`` is typically a :class:`fastshear.Shearlet2D` (``(N, M) -> (K, N, M)``) with one weight
    per shearlet (e.g. growing with scale); ``A`` a Radon transform (limited-angle CT), a
    :class:`fastshear.operators.Diagonal` mask (inpainting) or ``None`` (denoising: ``A = I``,
    then the data term and positivity form ``G`` with a closed-form prox). Solved with
    :func:`pdhg` (the shearlet frame is not tight, so the l1 term has no closed-form prox in x),
    or with ``method="admm"`` by :func:`admm` (its residual stopping rule; what
    :func:`fastshear.ct.reconstruct` uses, with a support constraint and an FBP start). Without
    such a constraint, pixels the data do not see (outside a Radon2D's inscribed circle) make
    ADMM slow: on a 48 x 48 CT problem PDHG's objective after 400 iterations was lower.

    Parameters
    ----------
    A : LinearOperator, plan or None
    b : ndarray
        Data, ``A.out_shape`` (or the noisy image when ``A`` is None).
    W : LinearOperator or plan (Shearlet2D)
    weights : float, (K,) or array broadcastable to ``W.out_shape``
    nonneg : bool
    ratio : float, optional
        PDHG's primal/dual balance; default 1.
    method : {None, "pdhg", "admm"}
        The solver (None: PDHG).

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
                                      ratio=ratio, method=method, callback=callback, progress=progress,
                                      workers=workers)


def tv(A, b, lam: float, *, nonneg: bool = True, x0=None, max_iter: int = 300, tol: float = 1e-5,
       ratio: float = None, method: str = None, callback=None, progress=False, shape=None):
    """Isotropic total variation: ``min_x ||A x - b||^2 / 2 + lam TV(x)  (+ x >= 0)`` with
    ``TV(x) = sum sqrt((D_r x)^2 + (D_c x)^2)`` (forward differences, Neumann boundary).

    ``A=None`` is denoising (``A = I``, data term and positivity in ``G``; Chambolle-Pock's
    accelerated steps). Solved with :func:`pdhg`, or by :func:`admm` with ``method="admm"``.

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
    from ._validation import positive_real, real

    lam = real(lam, "lam", lo=0)
    positive_real(ratio, "ratio", allow_none=True)
    A, b = _data_operator(A, b)
    if A is None and b.ndim != 2:
        raise ValueError(f"the image must be 2-D, got shape {b.shape}")
    D = Gradient2D(b.shape, dtype=b.dtype) if A is None else Gradient2D(A.in_shape, dtype=A.dtype)
    return _regularised_least_squares(A, b, D, L21(lam), nonneg=nonneg, x0=x0, norm=math.sqrt(8.0),
                                      accelerate_denoising=True, max_iter=max_iter, tol=tol, ratio=ratio,
                                      method=method, callback=callback, progress=progress)
