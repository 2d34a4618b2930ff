"""Array and parameter checks shared by every fastshear plan (one place for each rule).

Policy: array_like in; float32 stays float32, other real input becomes float64 (or the plan's
dtype where a plan fixes it); complex input is a TypeError; shapes are checked once and errors
name what was expected and what came.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

__all__ = ["float_dtype", "real_array", "check_shape", "output_array", "resolve_workers", "call_threads",
           "positive_shape", "finite_vector", "positive_int", "positive_float"]


def float_dtype(dtype) -> np.dtype:
    """numpy.float32 or numpy.float64, else TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dt}")
    return dt


def real_array(x, dtype, name: str = "x") -> np.ndarray:
    """``x`` as a C-contiguous real array of ``dtype`` (a copy only where needed)."""
    a = np.asarray(x)
    if a.dtype.kind == "c":
        raise TypeError(
            f"{name} must be real, got {a.dtype}; transform the real and imaginary parts separately"
        )
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=dtype)


def check_shape(a: np.ndarray, trailing: Sequence[int], name: str, what: str) -> None:
    """Raise ValueError unless ``a.shape`` ends with ``trailing``."""
    trailing = tuple(trailing)
    n = len(trailing)
    if a.ndim < n or tuple(a.shape[a.ndim - n :]) != trailing:
        raise ValueError(
            f"{name} must have shape (..., {', '.join(map(str, trailing))}) ({what}), got {a.shape}"
        )


def output_array(out, shape, dtype, inputs=(), name: str = "out") -> np.ndarray:
    """``out`` checked as the destination of a result of ``shape`` and ``dtype``.

    It must be a writeable, C-contiguous numpy array of exactly that shape and dtype that shares
    no memory with any of ``inputs`` (results are written while inputs are still being read).
    """
    shape = tuple(int(v) for v in shape)
    dtype = np.dtype(dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the plan's), got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous; pass an array from numpy.empty or a previous result")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    for a in inputs:
        if np.may_share_memory(out, a):
            raise ValueError(f"{name} must not share memory with the input")
    return out


def resolve_workers(workers) -> int:
    """None -> 0 (OpenMP's default, honouring OMP_NUM_THREADS); an int >= 1 as given."""
    if workers is None:
        return 0
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise ValueError(f"workers must be None or an integer >= 1, got {workers!r}")
    return int(workers)


def call_threads(plan_threads: int, workers) -> int:
    """Threads for one call: the plan's (already resolved) unless ``workers`` overrides it."""
    return plan_threads if workers is None else resolve_workers(workers)


def positive_shape(shape, ndim: int, name: str = "shape") -> tuple[int, ...]:
    """A tuple of ``ndim`` positive ints, else ValueError/TypeError."""
    try:
        t = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of {ndim} integers, got {shape!r}") from None
    if len(t) != ndim or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in t):
        raise ValueError(f"{name} must be a tuple of {ndim} integers, got {shape!r}")
    if any(v < 1 for v in t):
        raise ValueError(f"{name} must be positive, got {shape!r}")
    return tuple(int(v) for v in t)


def finite_vector(v, name: str) -> np.ndarray:
    """A non-empty 1D float64 array of finite real numbers, else ValueError/TypeError."""
    a = np.asarray(v)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a sequence of real numbers, got dtype {a.dtype}")
    a = np.atleast_1d(a).astype(np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} must hold at least one value, got an empty array")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {a[~np.isfinite(a)][:3]} among its values")
    return a


def positive_int(v, name: str) -> int:
    """An integer >= 1, else ValueError."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    return int(v)


def positive_float(v, name: str, *, allow_zero: bool = False) -> float:
    """A finite float > 0 (or >= 0 with allow_zero), else ValueError/TypeError."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {v!r}")
    f = float(v)
    if not np.isfinite(f) or f < 0 or (f == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {v!r}")
    return f
