"""The plan protocol that every fastshear transform shares.

A *plan* is built once for a fixed geometry (shape, angles, scales...) and applied many times.
Every plan (:class:`fastshear.Shearlet2D`, :class:`fastshear.Shearlet3D`,
:class:`fastshear.Radon2D`) has

``in_shape``, ``out_shape`` : tuple of int
    the trailing shapes of its inputs and outputs (leading axes are a batch);
``dtype`` : numpy.dtype
    float32 or float64, the precision it computes in;
``workers`` : int or None
    threads per call as given at construction (None: OpenMP's default);
``forward(x, *, out=None, workers=None)``, ``adjoint(y, *, out=None, workers=None)``
    the transform and its exact transpose; ``out`` receives the result (the plan's dtype,
    C-contiguous, the result's shape), ``workers`` overrides the plan's threads for one call;

and pickles as its construction arguments (``__reduce__``): unpickling builds the plan again,
so a plan travels to worker processes (dask, multiprocessing) without any per-type recipe.
Whatever else a plan holds (C++ objects, caches) is rebuilt, not serialised.

:func:`fastshear.operators.as_operator`, :mod:`fastshear.torch` and :mod:`fastshear.dask` use
this protocol only.
"""
from __future__ import annotations

import numbers
import threading
import warnings

import numpy as np

from ._shearlab import check_scales_levels
from ._validation import (MISSING, as_array, bounded_shape, default_dtype, flag, precision_of, real, real_array,
                          renamed, resolve_workers)

__all__ = ["Plan", "ShearletPlan", "plan_warning"]


_state = threading.local()


def _rebuild(cls, args, kwargs):
    """Unpickling: the plan built again from its construction arguments (quietly: the original
    construction already gave its warnings)."""
    _state.rebuilding = True
    try:
        return cls(*args, **kwargs)
    finally:
        _state.rebuilding = False


def plan_warning(message: str, category, stacklevel: int = 2) -> None:
    """``warnings.warn`` from a plan's ``__init__`` (``stacklevel`` counted from there), silent
    while unpickling."""
    if not getattr(_state, "rebuilding", False):
        warnings.warn(message, category, stacklevel=stacklevel + 1)


def denoise_inputs(x, noise_level, sigma, k, *, name: str, owner: str, ndim: int):
    """The checked inputs of the hard-threshold shearlet denoisers (2D and 3D): ``x`` as a real
    array in its own precision (the default-dtype rule), of at least ``ndim`` dimensions, the
    noise level (``sigma`` its deprecated name) and ``k``, both >= 0.
    Returns ``(x, dtype, noise_level, k)``."""
    a = as_array(x, name)
    dtype = precision_of(a)
    a = real_array(a, dtype, name)
    if a.ndim < ndim:
        axes = "(..., N, M)" if ndim == 2 else "(..., n1, n2, n3)"
        raise ValueError(f"{name} must have shape {axes}, got {a.shape}")
    noise_level = renamed(noise_level, sigma, "noise_level", "sigma")
    if noise_level is MISSING:
        raise TypeError(f"{owner}() missing the argument 'noise_level'")
    return a, dtype, real(noise_level, "noise_level", lo=0), real(k, "k", lo=0)


class Plan:
    """Base of the plan protocol (see the module's docstring).

    Subclasses set ``dtype`` and ``workers``, define ``in_shape``/``out_shape``, ``forward``,
    ``adjoint`` and :meth:`_init_args` (the arguments that rebuild an equal plan).
    """

    in_shape: tuple = ()
    out_shape: tuple = ()
    dtype: np.dtype = np.dtype(np.float64)
    workers = None

    def _init_args(self) -> tuple[tuple, dict]:  # pragma: no cover - abstract
        """``(args, kwargs)`` such that ``type(self)(*args, **kwargs)`` rebuilds this plan."""
        raise NotImplementedError

    def __reduce__(self):
        args, kwargs = self._init_args()
        return (_rebuild, (type(self), tuple(args), dict(kwargs)))


class ShearletPlan(Plan):
    """What the 2D and 3D shearlet plans share: the construction parameters, the band count,
    the protocol's shapes and pickling. ``ndim`` is the number of image axes (2 or 3)."""

    ndim = 2

    def _init_common(self, shape, scales, shear_levels, full, dtype, workers):
        self.shape = bounded_shape(shape, self.ndim)
        self.scales, levels = check_scales_levels(scales, shear_levels)
        self.shear_levels = levels
        self.full = flag(full, "full")
        self.dtype = default_dtype(dtype)  # None: float64 (no input arrays)
        self.workers = workers
        self._threads = resolve_workers(workers)
        return levels

    @property
    def n_shearlets(self) -> int:
        """K, the number of shearlets (lowpass included)."""
        return int(self.indices.shape[0])

    @property
    def in_shape(self) -> tuple:
        """Input shape: the image (or volume) size."""
        return self.shape

    @property
    def out_shape(self) -> tuple:
        """Output shape ``(K, *shape)``: band-major coefficients."""
        return (self.n_shearlets,) + self.shape

    def _band_index(self, j) -> int:
        """``j`` as a band index in 0..K-1 (negative counts from the end), else ValueError."""
        K = self.n_shearlets
        if isinstance(j, bool) or not isinstance(j, numbers.Integral) or not -K <= j < K:
            raise ValueError(f"j must be an integer in -{K}..{K - 1}, got {j!r}")
        return int(j) % K

    def _init_args(self):
        return ((self.shape, self.scales), {"shear_levels": tuple(self.shear_levels),
                                            "full": self.full, "dtype": self.dtype.name,
                                            "workers": self.workers})

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(shape={self.shape}, scales={self.scales}, "
            f"shear_levels={list(self.shear_levels)}, full={self.full}, dtype={self.dtype.name}, "
            f"K={self.n_shearlets})"
        )
