"""Hostile input to the PyTorch adapters (issue 13): exact exception types, messages naming the
argument. Skipped without PyTorch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastshear  # noqa: E402
import fastshear.torch as ft  # noqa: E402
from fastshear.operators import Gradient2D  # noqa: E402

CASES = [
    ("numpy-input", lambda: ft.apply(Gradient2D((4, 4)), np.ones((4, 4))), TypeError, "x"),
    ("list-input", lambda: ft.apply(Gradient2D((4, 4)), [[1.0]]), TypeError, "x"),
    ("int-tensor", lambda: ft.apply(Gradient2D((4, 4)), torch.ones(4, 4, dtype=torch.int64)), TypeError, "x"),
    ("complex-tensor", lambda: ft.apply(Gradient2D((4, 4)), torch.ones(4, 4, dtype=torch.complex64)), TypeError, "x"),
    ("bool-tensor", lambda: ft.apply(Gradient2D((4, 4)), torch.ones(4, 4, dtype=torch.bool)), TypeError, "x"),
    ("wrong-shape", lambda: ft.apply(Gradient2D((4, 4)), torch.ones(4, 5)), ValueError, "x"),
    ("one-d", lambda: ft.apply(Gradient2D((4, 4)), torch.ones(16)), ValueError, "x"),
    ("adjoint-wrong-shape", lambda: ft.apply(Gradient2D((4, 4)), torch.ones(4, 4), adjoint=True), ValueError, "y"),
    ("not-an-operator", lambda: ft.Operator("a"), TypeError, "operator"),
    ("module-wrong-shape", lambda: ft.Radon2D(fastshear.Radon2D((16, 16), [0.0, 90.0]))(torch.ones(3, 16, 15)),
     ValueError, "x"),
    ("module-adjoint-wrong", lambda: ft.Radon2D(fastshear.Radon2D((16, 16), [0.0, 90.0])).adjoint(torch.ones(3, 16)),
     ValueError, "y"),
    ("shearlet-wrong", lambda: ft.Shearlet2D(fastshear.Shearlet2D((64, 64), 1))(torch.ones(63, 64)), ValueError, "x"),
]


@pytest.mark.parametrize("fn,exc,needle", [pytest.param(f, e, n, id=i) for i, f, e, n in CASES])
def test_hostile_torch(fn, exc, needle):
    with pytest.raises(BaseException) as ei:
        fn()
    assert type(ei.value) is exc, f"expected {exc.__name__}, got {type(ei.value).__name__}: {ei.value}"
    assert needle in str(ei.value), str(ei.value)
