"""solvers.fourier_multiply (the core's FFTW Fourier multiplier) against numpy's FFTs."""
import numpy as np
import pytest

import fastshear
from fastshear import _core
from fastshear.solvers import fourier_multiply, normal_symbol


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("shape", [(16, 16), (17, 12), (9, 31), (3, 10, 8), (2, 3, 7, 6)])
def test_matches_numpy(shape, dtype, tol):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    n, m = shape[-2:]
    h = rng.uniform(-1, 2, (n, m // 2 + 1))
    y = fourier_multiply(x, h)
    ref = np.fft.irfft2(h.astype(dtype) * np.fft.rfft2(x.astype(np.float64)), s=(n, m))
    assert y.dtype == dtype and y.shape == x.shape
    assert np.max(np.abs(y - ref)) <= tol * np.max(np.abs(ref))


def test_shearlet_frame_operator():
    # the symbol of SH^T SH applied by fourier_multiply is SH.adjoint(SH.forward(x))
    sh = fastshear.Shearlet2D((48, 40), scales=2)
    x = np.random.default_rng(1).standard_normal((48, 40))
    np.testing.assert_allclose(fourier_multiply(x, normal_symbol(sh)), sh.adjoint(sh.forward(x)), atol=1e-12)


def test_in_place_and_thread_count_independent():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 24, 20)).astype(np.float32)
    h = rng.standard_normal((24, 11)).astype(np.float32)
    one = _core.fourier_multiply2d(x, h, None, 1)
    two = _core.fourier_multiply2d(x, h, None, 2)
    np.testing.assert_array_equal(one, two)
    y = x.copy()
    _core.fourier_multiply2d(y, h, y, 2)
    np.testing.assert_array_equal(y, one)


def test_bad_input():
    x = np.zeros((8, 8))
    with pytest.raises(ValueError, match=r"h must have shape \(8, 5\)"):
        fourier_multiply(x, np.ones((8, 8)))
    with pytest.raises(TypeError, match="real float images"):
        fourier_multiply(np.zeros(8), np.ones(5))
    with pytest.raises(TypeError, match="real float images"):
        fourier_multiply(np.zeros((8, 8), complex), np.ones((8, 5)))
    with pytest.raises(ValueError, match="out"):
        _core.fourier_multiply2d(np.zeros((1, 8, 8)), np.ones((8, 5)), np.zeros((1, 8, 7)), 0)
