"""Array and parameter checks shared by every fastshear plan (one place for each rule).

Policy: array_like in; float32 stays float32, other real input becomes float64 (or the plan's
dtype where a plan fixes it); complex input is a TypeError; shapes are checked once and errors
name what was expected and what came.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

__all__ = ["float_dtype", "real_array", "check_shape", "resolve_workers", "positive_shape"]


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


def resolve_workers(workers) -> int:
    """None -> 0 (OpenMP's default, honouring OMP_NUM_THREADS); an int >= 1 as given."""
    if workers is None:
        return 0
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise ValueError(f"workers must be None or an integer >= 1, got {workers!r}")
    return int(workers)


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
