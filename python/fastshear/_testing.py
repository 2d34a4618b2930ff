"""Test hooks of the engine: private, not part of the API, may change in any release.

The plans of :mod:`fastshear` carry no test hooks; the tests reach the engine's alternative code
paths through this module alone (the C++ side: ``fastshear._core._testing``).

- Radon kernels: ``"auto"`` (the fastest the CPU runs, what users get), ``"reference"`` (the
  portable reference kernels only), ``"portable"`` (the portable fast kernels a CPU without
  AVX-512 runs).
- Instruction sets (``"generic"``, ``"avx2"``, ``"avx512"``): every engine picks its kernels
  from one query of the CPU (``cpp/fastshear/infra/isa.hpp``); :func:`isa` caps it, process-wide,
  so that one machine runs every variant a narrower CPU would. A dense network takes the kernels
  of the level in force when it is built; the transforms look on every call.

Examples
--------
>>> import numpy as np
>>> from fastshear import DenseNet, Radon2D, _testing
>>> R = Radon2D((32, 32), np.linspace(0, np.pi, 20, endpoint=False))
>>> with _testing.radon_kernel(R, "reference"):
...     _testing.radon_vector_kernels(R)
False
>>> with _testing.isa("generic"):
...     DenseNet([np.ones((2, 3))], [np.zeros(2)], dtype=np.float32).kernel
'generic'
>>> _testing.isa_level() == _testing.isa_detected()
True
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ._core import _testing as _hooks

__all__ = ["ISA_LEVELS", "RADON_KERNELS", "isa", "isa_detected", "isa_level", "isa_levels", "radon_kernel",
           "radon_vector_kernels", "set_isa_limit", "set_radon_kernel"]

#: Radon kernel choices and their codes in the core (``Radon2D::set_kernel``).
RADON_KERNELS = {"auto": 0, "reference": 1, "portable": 2}
#: Instruction-set levels, narrowest first, and their codes in the core (``isa::level``).
ISA_LEVELS = {"generic": 0, "avx2": 1, "avx512": 2}
_ISA_NAMES = {v: k for k, v in ISA_LEVELS.items()}


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


def isa_level() -> str:
    """The instruction-set level the engines use now."""
    return _ISA_NAMES[_hooks.isa_level()]


def isa_detected() -> str:
    """The widest instruction-set level this CPU runs (what users get)."""
    return _ISA_NAMES[_hooks.isa_detected()]


def isa_levels() -> list[str]:
    """The levels this CPU runs, narrowest first: the variants a test can force here."""
    return [k for k, v in ISA_LEVELS.items() if v <= _hooks.isa_detected()]


def set_isa_limit(level: str) -> None:
    """Make the engines use at most ``level`` from now on (``"avx512"``: the default again)."""
    if level not in ISA_LEVELS:
        raise ValueError(f"level must be one of {list(ISA_LEVELS)}, got {level!r}")
    _hooks.isa_limit(ISA_LEVELS[level])


@contextlib.contextmanager
def isa(level: str) -> Iterator[str]:
    """At most ``level`` inside the ``with`` block (yields the level in force), the level in force
    before it after."""
    before = isa_level()
    set_isa_limit(level)
    try:
        yield isa_level()
    finally:
        set_isa_limit(before)
