"""Test hooks of the engine: private, not part of the API, may change in any release.

The plans of :mod:`fastshear` carry no test hooks; the tests reach the engine's alternative code
paths through this module alone (the C++ side: ``fastshear._core._testing``).

- Radon kernels: ``"auto"`` (the fastest the CPU runs, what users get), ``"reference"`` (the
  portable reference kernels only), ``"portable"`` (the portable fast kernels a CPU without
  AVX-512 runs).
- Dense-network kernels are chosen once per process, when the first network is built; a test
  runs another variant in a subprocess whose environment :func:`dense_kernel_env` makes.

Examples
--------
>>> import numpy as np
>>> from fastshear import Radon2D, _testing
>>> R = Radon2D((32, 32), np.linspace(0, np.pi, 20, endpoint=False))
>>> with _testing.radon_kernel(R, "reference"):
...     _testing.radon_vector_kernels(R)
False
>>> _testing.dense_kernel_env("generic", base={})
{'FASTSHEAR_DENSE_KERNEL': 'generic'}
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from ._core import _testing as _hooks

__all__ = ["DENSE_KERNEL_ENV", "RADON_KERNELS", "dense_kernel_env", "radon_kernel", "radon_vector_kernels",
           "set_radon_kernel"]

#: Radon kernel choices and their codes in the core (``Radon2D::set_kernel``).
RADON_KERNELS = {"auto": 0, "reference": 1, "portable": 2}
#: The environment variable the core reads when it picks the dense kernels (once per process).
DENSE_KERNEL_ENV = "FASTSHEAR_DENSE_KERNEL"


def set_radon_kernel(plan, kernel: str) -> None:
    """Make a :class:`fastshear.Radon2D` use the named kernels (see :data:`RADON_KERNELS`)."""
    if kernel not in RADON_KERNELS:
        raise ValueError(f"kernel must be one of {sorted(RADON_KERNELS)}, got {kernel!r}")
    _hooks.radon_set_kernel(plan._plan, RADON_KERNELS[kernel])


@contextlib.contextmanager
def radon_kernel(plan, kernel: str) -> Iterator[None]:
    """The named kernels inside the ``with`` block, ``"auto"`` again after it."""
    set_radon_kernel(plan, kernel)
    try:
        yield
    finally:
        set_radon_kernel(plan, "auto")


def radon_vector_kernels(plan) -> bool:
    """Whether the plan's forward and adjoint run the AVX-512 kernels now."""
    return bool(_hooks.radon_vector_kernels(plan._plan))


def dense_kernel_env(kernel: str | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment (``base``, default ``os.environ``) for a subprocess whose dense networks run
    the named kernels (``"generic"``, ``"avx2"``; ``None``: the widest the CPU runs)."""
    env = dict(os.environ if base is None else base)
    env.pop(DENSE_KERNEL_ENV, None)
    if kernel:
        env[DENSE_KERNEL_ENV] = kernel
    return env
