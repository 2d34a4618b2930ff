"""Linear operators: one protocol for every fastshear transform.

A :class:`LinearOperator` maps arrays of shape ``(..., *in_shape)`` to ``(..., *out_shape)``
(leading axes are a batch) with :meth:`~LinearOperator.forward` and its exact transpose
:meth:`~LinearOperator.adjoint`. Plans (:class:`fastshear.Shearlet2D`,
:class:`fastshear.Shearlet3D`, :class:`fastshear.Radon2D`) become operators with
:func:`as_operator`; operators compose (``A @ B``), scale (``2 * A``), add (``A + B``) and transpose (``A.T``). :func:`dot_test` checks adjointness, :func:`norm` estimates
the operator norm by power iteration and :func:`aslinearoperator` gives a
``scipy.sparse.linalg.LinearOperator`` for SciPy's solvers.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import as_array, bounded_shape, default_dtype, integer, output_array, real

__all__ = [
    "LinearOperator", "PlanOperator", "Composition", "Scaled", "Sum", "Adjoint",
    "Identity", "MatrixOperator", "Diagonal", "Gradient2D",
    "as_operator", "dot_test", "norm", "aslinearoperator",
]


def _shape_tuple(shape, name):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        n = len(tuple(shape))
    except TypeError:
        raise TypeError(f"{name} must be an integer or a tuple of integers, got {shape!r}") from None
    return bounded_shape(shape, n, name)


def _checked(a, trailing, name: str, what: str) -> np.ndarray:
    """``a`` as a real array whose shape ends with ``trailing`` (the operator's), else
    TypeError (complex, non-numeric) or ValueError naming ``name``."""
    a = as_array(a, name)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got {a.dtype}; apply the operator to the real and "
                        "imaginary parts separately")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    trailing = tuple(trailing)
    k = len(trailing)
    if a.ndim < k or tuple(a.shape[a.ndim - k:]) != trailing:
        raise ValueError(f"{name} must have shape (..., {', '.join(map(str, trailing))}) ({what}), "
                         f"got {a.shape}")
    return a


def _check_out(out, a, n_in, dst, dtype):
    if out is not None:
        output_array(out, a.shape[:a.ndim - n_in] + tuple(dst), dtype, (a,))


def _into(result, out):
    if out is None:
        return result
    np.copyto(out, result, casting="same_kind")
    return out


class LinearOperator:
    """Base class of the operator protocol.

    Subclasses set ``in_shape``, ``out_shape`` and ``dtype`` and implement ``_forward`` and
    ``_adjoint`` on arrays of shape ``(..., *in_shape)`` / ``(..., *out_shape)``.

    Attributes
    ----------
    in_shape, out_shape : tuple of int
        Trailing shapes of inputs and outputs (leading axes are a batch).
    dtype : numpy.dtype
        float32 or float64: the precision the operator computes in.
    workers : int or None
        The threads of a wrapped plan (None elsewhere).

    Operators follow the plan protocol of :mod:`fastshear._plan`: ``forward`` and ``adjoint``
    take ``out=`` and ``workers=``, and operators pickle (a wrapped plan by its construction
    arguments).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator, dot_test
    >>> A = MatrixOperator(np.arange(6.0).reshape(2, 3))
    >>> (2 * A.T @ A).forward(np.ones(3))
    array([ 72., 102., 132.])
    >>> dot_test(A) < 1e-12
    True
    """

    in_shape: tuple = ()
    out_shape: tuple = ()
    dtype = np.dtype(np.float64)
    workers = None

    # -- the protocol -------------------------------------------------------------------------
    def forward(self, x, *, out=None, workers=None):
        """Apply the operator to ``x`` of shape ``(..., *in_shape)`` (a real array; anything
        else is a TypeError, another trailing shape a ValueError).

        ``out`` (an array of the result's shape and the operator's dtype, C-contiguous)
        receives the result and is returned. ``workers`` sets the threads of a wrapped plan
        (:class:`PlanOperator`); operators computed with numpy ignore it."""
        a = _checked(x, self.in_shape, "x", f"the in_shape of this {type(self).__name__}")
        _check_out(out, a, len(self.in_shape), self.out_shape, self.dtype)
        return _into(self._forward(a), out)

    def adjoint(self, y, *, out=None, workers=None):
        """Apply the transpose to ``y`` of shape ``(..., *out_shape)`` (``out`` and ``workers``
        as in :meth:`forward`)."""
        a = _checked(y, self.out_shape, "y", f"the out_shape of this {type(self).__name__}")
        _check_out(out, a, len(self.out_shape), self.in_shape, self.dtype)
        return _into(self._adjoint(a), out)

    def _forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self, y):  # pragma: no cover - abstract
        raise NotImplementedError

    __call__ = forward

    # -- algebra --------------------------------------------------------------------------------
    @property
    def T(self) -> "LinearOperator":
        """The adjoint operator."""
        return Adjoint(self)

    H = T

    def __matmul__(self, other):
        if isinstance(other, LinearOperator):
            return Composition(self, other)
        return self.forward(other)

    def __mul__(self, other):
        if isinstance(other, numbers.Number):
            return Scaled(self, other)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, numbers.Number):
            if isinstance(other, complex):
                raise ValueError(f"scale must be a finite real number, got {other!r}")
            if other == 0:
                raise ValueError("scale: cannot divide an operator by 0")
            return Scaled(self, 1.0 / real(other, "scale"))
        return NotImplemented

    def __neg__(self):
        return Scaled(self, -1.0)

    def __add__(self, other):
        if isinstance(other, LinearOperator):
            return Sum(self, other)
        return NotImplemented

    def __sub__(self, other):
        if isinstance(other, LinearOperator):
            return Sum(self, Scaled(other, -1.0))
        return NotImplemented

    # -- conveniences ---------------------------------------------------------------------------
    def norm(self, **kwargs) -> float:
        """Operator norm by power iteration (cached per operator); see :func:`norm`."""
        cache = self.__dict__.setdefault("_norm_cache", {})
        key = tuple(sorted(kwargs.items()))
        if key not in cache:
            cache[key] = norm(self, **kwargs)
        return cache[key]

    def __repr__(self):
        return f"{type(self).__name__}({self.in_shape} -> {self.out_shape}, {np.dtype(self.dtype).name})"


def _result_dtype(*ops):
    return np.result_type(*[np.dtype(o.dtype) for o in ops])


def _plan_shapes(plan):
    """(in_shape, out_shape) of a plan (the protocol of :mod:`fastshear._plan`); None if it has
    none."""
    if hasattr(plan, "in_shape") and hasattr(plan, "out_shape"):
        return tuple(plan.in_shape), tuple(plan.out_shape)
    return None


def _given(**kwargs):
    """The keywords that were given (a plan-like object outside the protocol may not take them)."""
    return {k: v for k, v in kwargs.items() if v is not None}


class PlanOperator(LinearOperator):
    """A fastshear plan (anything with ``forward``/``adjoint`` and ``in_shape``/``out_shape``)
    seen as a :class:`LinearOperator`. Usually made with :func:`as_operator`.

    Examples
    --------
    >>> import fastshear
    >>> from fastshear.operators import as_operator
    >>> S = as_operator(fastshear.Shearlet2D((128, 128), scales=2))
    >>> S.in_shape, S.out_shape
    ((128, 128), (17, 128, 128))
    """

    def __init__(self, plan):
        self.plan = plan
        self.in_shape, self.out_shape = _plan_shapes(plan)
        self.dtype = np.dtype(plan.dtype)

    @property
    def workers(self):
        return getattr(self.plan, "workers", None)

    def forward(self, x, *, out=None, workers=None):
        """The plan's ``forward`` (``out`` and ``workers`` passed through)."""
        a = _checked(x, self.in_shape, "x", f"the in_shape of this {type(self).__name__}")
        return self.plan.forward(a, **_given(out=out, workers=workers))

    def adjoint(self, y, *, out=None, workers=None):
        """The plan's ``adjoint`` (``out`` and ``workers`` passed through)."""
        a = _checked(y, self.out_shape, "y", f"the out_shape of this {type(self).__name__}")
        return self.plan.adjoint(a, **_given(out=out, workers=workers))

    def _forward(self, x):
        return self.plan.forward(x)

    def norm(self, **kwargs) -> float:
        """The exact norm where the plan knows it (a frame's upper bound ``sqrt(B)``), else power
        iteration."""
        fb = getattr(self.plan, "frame_bounds", None)
        if fb is not None and not kwargs:
            return float(math.sqrt(fb[1]))
        return super().norm(**kwargs)

    def _adjoint(self, y):
        return self.plan.adjoint(y)

    def __repr__(self):
        return f"PlanOperator({self.plan!r})"


class Composition(LinearOperator):
    """``A @ B``: ``x -> A(B(x))``; the adjoint is ``B^T(A^T(y))``."""

    def __init__(self, a: LinearOperator, b: LinearOperator):
        if tuple(a.in_shape) != tuple(b.out_shape):
            raise ValueError(f"cannot compose: the left operator takes {a.in_shape}, "
                             f"the right one gives {b.out_shape}")
        self.a, self.b = a, b
        self.in_shape, self.out_shape = b.in_shape, a.out_shape
        self.dtype = _result_dtype(a, b)

    def _forward(self, x):
        return self.a.forward(self.b.forward(x))

    def _adjoint(self, y):
        return self.b.adjoint(self.a.adjoint(y))


class Scaled(LinearOperator):
    """``s * A`` for a real scalar ``s``."""

    def __init__(self, op: LinearOperator, scale: float):
        if isinstance(scale, complex):
            raise ValueError(f"scale must be a finite real number, got {scale!r}")
        self.op, self.scale = op, real(scale, "scale")
        self.in_shape, self.out_shape, self.dtype = op.in_shape, op.out_shape, np.dtype(op.dtype)

    def _forward(self, x):
        y = self.op.forward(x)
        y *= self.scale
        return y

    def _adjoint(self, y):
        x = self.op.adjoint(y)
        x *= self.scale
        return x


class Sum(LinearOperator):
    """``A + B`` (same input and output shapes)."""

    def __init__(self, a: LinearOperator, b: LinearOperator):
        if tuple(a.in_shape) != tuple(b.in_shape) or tuple(a.out_shape) != tuple(b.out_shape):
            raise ValueError(f"cannot add operators {a.in_shape}->{a.out_shape} and "
                             f"{b.in_shape}->{b.out_shape}")
        self.a, self.b = a, b
        self.in_shape, self.out_shape = a.in_shape, a.out_shape
        self.dtype = _result_dtype(a, b)

    def _forward(self, x):
        y = self.a.forward(x)
        y = y + self.b.forward(x) if y.dtype != self.dtype else np.add(y, self.b.forward(x), out=y)
        return y

    def _adjoint(self, y):
        x = self.a.adjoint(y)
        x = x + self.b.adjoint(y) if x.dtype != self.dtype else np.add(x, self.b.adjoint(y), out=x)
        return x


class Adjoint(LinearOperator):
    """``A.T``: forward and adjoint swapped."""

    def __init__(self, op: LinearOperator):
        self.op = op
        self.in_shape, self.out_shape, self.dtype = op.out_shape, op.in_shape, np.dtype(op.dtype)

    def _forward(self, x):
        return self.op.adjoint(x)

    def _adjoint(self, y):
        return self.op.forward(y)

    @property
    def T(self):
        return self.op


class Identity(LinearOperator):
    """The identity on arrays of ``shape``; ``dtype=None`` is float64 (fastshear's dtype rule).

    Examples
    --------
    >>> from fastshear.operators import Identity
    >>> Identity((2, 3)).forward([[1, 2, 3], [4, 5, 6]]).shape
    (2, 3)
    """

    def __init__(self, shape, *, dtype=None):
        self.in_shape = self.out_shape = _shape_tuple(shape, "shape")
        self.dtype = default_dtype(dtype)  # None: float64 (no input arrays)

    def _forward(self, x):
        return np.array(x, dtype=np.result_type(x.dtype, self.dtype))

    _adjoint = _forward


class MatrixOperator(LinearOperator):
    """A dense matrix ``A`` (m, n) acting on vectors ``(..., n)``; for tests and small problems.
    ``dtype=None`` is the matrix's precision (float32 stays float32, anything else is float64).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator
    >>> MatrixOperator(np.eye(3)).adjoint(np.ones(3))
    array([1., 1., 1.])
    """

    def __init__(self, matrix, *, dtype=None):
        a = as_array(matrix, "matrix")
        if a.dtype.kind == "c":
            raise TypeError(f"matrix must be real, got {a.dtype}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"matrix must be a real numeric array, got dtype {a.dtype}")
        if a.ndim != 2:
            raise ValueError(f"matrix must be 2-D, got shape {a.shape}")
        self.dtype = default_dtype(dtype, a)  # None: the matrix's precision
        self.matrix = np.ascontiguousarray(a, dtype=self.dtype)
        self.out_shape, self.in_shape = (a.shape[0],), (a.shape[1],)

    def _forward(self, x):
        return x @ self.matrix.T

    def _adjoint(self, y):
        return y @ self.matrix


class Diagonal(LinearOperator):
    """Pointwise multiplication by a fixed real array ``d`` (a mask for inpainting, weights).
    ``dtype=None`` is the precision of ``d`` (float32 stays float32, anything else is float64).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import Diagonal
    >>> Diagonal(np.array([1.0, 0.0])).forward(np.array([3.0, 4.0]))
    array([3., 0.])
    """

    def __init__(self, d, *, dtype=None):
        d = as_array(d, "d")
        if d.dtype.kind == "c":
            raise TypeError(f"d must be real, got {d.dtype}")
        if d.dtype.kind not in "biuf":
            raise TypeError(f"d must be a real numeric array, got dtype {d.dtype}")
        self.dtype = default_dtype(dtype, d)  # None: d's precision
        self.d = np.ascontiguousarray(d, dtype=self.dtype)
        self.in_shape = self.out_shape = tuple(self.d.shape)

    def _forward(self, x):
        return x * self.d

    _adjoint = _forward


class Gradient2D(LinearOperator):
    """Forward-difference gradient of 2D images, for total variation.

    ``(..., N, M) -> (..., 2, N, M)``: component 0 is ``x[i+1, j] - x[i, j]`` (rows), component
    1 is ``x[i, j+1] - x[i, j]`` (columns), zero on the last row / column (Neumann boundary).
    The adjoint is minus the matching divergence; the norm is below ``sqrt(8)``.
    ``dtype=None`` is float64 (fastshear's dtype rule).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import Gradient2D
    >>> g = Gradient2D((3, 3)).forward(np.arange(9.0).reshape(3, 3))
    >>> g[0, :, 0], g[1, 0, :]
    (array([3., 3., 0.]), array([1., 1., 0.]))
    """

    def __init__(self, shape, *, dtype=None):
        self.in_shape = bounded_shape(shape, 2)
        self.out_shape = (2,) + self.in_shape
        self.dtype = default_dtype(dtype)  # None: float64 (no input arrays)

    def _forward(self, x):
        x = np.asarray(x, dtype=np.result_type(x.dtype, np.float32))
        g = np.zeros(x.shape[:-2] + (2,) + x.shape[-2:], dtype=x.dtype)
        np.subtract(x[..., 1:, :], x[..., :-1, :], out=g[..., 0, :-1, :])
        np.subtract(x[..., :, 1:], x[..., :, :-1], out=g[..., 1, :, :-1])
        return g

    def _adjoint(self, g):
        g = np.asarray(g, dtype=np.result_type(g.dtype, np.float32))
        gy, gx = g[..., 0, :, :], g[..., 1, :, :]
        x = np.zeros(g.shape[:-3] + g.shape[-2:], dtype=g.dtype)
        x[..., :-1, :] -= gy[..., :-1, :]
        x[..., 1:, :] += gy[..., :-1, :]
        x[..., :, :-1] -= gx[..., :, :-1]
        x[..., :, 1:] += gx[..., :, :-1]
        return x


def as_operator(obj) -> LinearOperator:
    """``obj`` as a :class:`LinearOperator`: operators pass through, plans with ``forward``,
    ``adjoint``, ``in_shape`` and ``out_shape`` (Shearlet2D, Shearlet3D, Radon2D: the plan
    protocol of :mod:`fastshear._plan`) are wrapped, 2-D arrays become a :class:`MatrixOperator`.

    Examples
    --------
    >>> import fastshear
    >>> from fastshear.operators import as_operator
    >>> as_operator(fastshear.Shearlet2D((128, 128), scales=1)).out_shape
    (9, 128, 128)
    """
    if isinstance(obj, LinearOperator):
        return obj
    if hasattr(obj, "forward") and hasattr(obj, "adjoint") and _plan_shapes(obj) is not None:
        return PlanOperator(obj)
    if isinstance(obj, np.ndarray) and obj.ndim == 2:
        return MatrixOperator(obj)
    raise TypeError(
        "expected a fastshear operator, a plan with forward/adjoint/in_shape/out_shape, or a 2-D "
        f"array, got {type(obj).__name__}"
    )


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _vdot(a, b) -> float:
    # einsum, not BLAS: OpenBLAS's spinning threads slow the OpenMP transforms that follow
    return float(np.einsum("i,i->", a.ravel(), b.ravel(), dtype=np.float64))


def dot_test(op, *, seed=0) -> float:
    """The dot-product (adjointness) test on white noise.

    Returns ``|<A x, y> - <x, A^T y>| / max(|<A x, y>|, |<x, A^T y>|)`` for random normal ``x``
    and ``y``: about 1e-7 for a matched float32 pair, 1e-15 for float64.

    Parameters
    ----------
    op : LinearOperator or plan
    seed : int or numpy.random.Generator

    Examples
    --------
    >>> import fastshear
    >>> from fastshear.operators import dot_test
    >>> dot_test(fastshear.Shearlet2D((128, 128), scales=2)) < 1e-12
    True
    """
    A = as_operator(op)
    rng = _rng(seed)
    x = rng.standard_normal(A.in_shape).astype(A.dtype)
    y = rng.standard_normal(A.out_shape).astype(A.dtype)
    lhs = _vdot(A.forward(x), y)
    rhs = _vdot(x, A.adjoint(y))
    den = max(abs(lhs), abs(rhs))
    return 0.0 if den == 0 else abs(lhs - rhs) / den


def norm(op, *, max_iter: int = 50, tol: float = 1e-4, seed=0) -> float:
    """Operator norm ``||A||_2`` by power iteration on ``A^T A``.

    The estimate grows monotonically towards the norm; iteration stops when it changes by less
    than ``tol`` (relative) or after ``max_iter`` steps. Solvers multiply it by a small safety
    factor before deriving step sizes.

    Parameters
    ----------
    op : LinearOperator or plan
    max_iter : int
    tol : float
    seed : int or numpy.random.Generator

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import MatrixOperator, norm
    >>> round(norm(MatrixOperator(np.diag([3.0, 1.0, 2.0]))), 3)
    3.0
    """
    A = as_operator(op)
    max_iter = integer(max_iter, "max_iter", lo=1)
    tol = real(tol, "tol", lo=0)
    x = _rng(seed).standard_normal(A.in_shape).astype(A.dtype)
    x /= math.sqrt(_vdot(x, x))
    est = 0.0
    for _ in range(max_iter):
        z = A.adjoint(A.forward(x))
        lam = math.sqrt(_vdot(z, z))
        if lam == 0.0:
            return 0.0
        x = z / lam
        new = np.sqrt(lam)
        if abs(new - est) <= tol * new:
            est = new
            break
        est = new
    return float(est)


def aslinearoperator(op):
    """A ``scipy.sparse.linalg.LinearOperator`` on flattened arrays (for SciPy's lsqr, cg, svds).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.operators import Gradient2D, aslinearoperator
    >>> L = aslinearoperator(Gradient2D((4, 5)))
    >>> L.shape
    (40, 20)
    """
    from scipy.sparse.linalg import LinearOperator as SciPyOp

    A = as_operator(op)
    n_in, n_out = int(np.prod(A.in_shape)), int(np.prod(A.out_shape))

    def matvec(v):
        return A.forward(np.asarray(v).reshape(A.in_shape)).reshape(-1)

    def rmatvec(v):
        return A.adjoint(np.asarray(v).reshape(A.out_shape)).reshape(-1)

    def matmat(V):
        V = np.asarray(V)
        X = V.T.reshape((V.shape[1],) + tuple(A.in_shape))
        return A.forward(X).reshape(V.shape[1], n_out).T

    def rmatmat(V):
        V = np.asarray(V)
        Y = V.T.reshape((V.shape[1],) + tuple(A.out_shape))
        return A.adjoint(Y).reshape(V.shape[1], n_in).T

    return SciPyOp((n_out, n_in), matvec=matvec, rmatvec=rmatvec, matmat=matmat, rmatmat=rmatmat,
                   dtype=np.dtype(A.dtype))
