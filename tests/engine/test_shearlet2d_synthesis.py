"""2D synthesis (adjoint, inverse) against a numpy reference on both of the engine's paths.

The engine keeps only the real parts of the spectra when they are real to 1e-14 (ShearLab's
default filters on most sizes) and the complex spectra otherwise (some border shears at 150x90
or 64x64, the fallback configurations 5-8); in float32 it transforms bands in pairs with one
complex FFT (an odd band alone). Each case below states which kind of bank it holds, so that
both paths stay covered.
"""
import warnings

import numpy as np
import pytest

import fastshear
from fastshear import Shearlet2D

warnings.filterwarnings("ignore", category=fastshear.ShearletFallbackWarning)

# (shape, scales, spectra real to 1e-14?)
CASES = [
    ((256, 256), 4, True),    # K = 49: odd, pairs with one band alone
    ((75, 75), 2, True),      # odd sizes
    ((91, 67), 2, True),      # odd, non-square
    ((100, 101), 2, True),
    ((96, 128), 2, True),
    ((150, 90), 3, False),    # fallback configuration 7: genuinely complex
    ((64, 64), 2, False),     # imaginary parts of 1e-10 on border shears
    ((128, 96), 3, False),
]
IDS = [f"{s[0]}x{s[1]}-{sc}" for s, sc, _ in CASES]


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def reference(sh, c, dual):
    """sum_i psi_i * c_i (divided by W for the inverse) with full complex FFTs in float64."""
    u = np.fft.ifftshift(sh.spectra, axes=(-2, -1))  # uncentred, index 0 = zero frequency
    acc = np.einsum("...kij,kij->...ij", np.fft.fft2(c.astype(np.float64)), u)
    if dual:
        acc = acc / np.sum(np.abs(u) ** 2, axis=0)
    return np.fft.ifft2(acc).real


@pytest.mark.parametrize("shape,scales,real", CASES, ids=IDS)
def test_cases_cover_both_kinds_of_bank(shape, scales, real):
    s = Shearlet2D(shape, scales).spectra
    assert (np.abs(s.imag).max() <= 1e-14 * np.abs(s).max()) == real


@pytest.mark.parametrize("shape,scales,real", CASES, ids=IDS)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("workers", [1, 2])
def test_synthesis_matches_reference(shape, scales, real, dtype, tol, workers):
    sh = Shearlet2D(shape, scales, dtype=dtype, workers=workers)
    c = np.random.default_rng(7).standard_normal((sh.n_shearlets,) + shape).astype(dtype)
    for dual, got in ((False, sh.adjoint(c)), (True, sh.inverse(c))):
        assert got.dtype == dtype and got.shape == shape
        assert rel(got.astype(np.float64), reference(sh, c, dual)) <= tol


@pytest.mark.parametrize("shape,scales,real", [CASES[0], CASES[2], CASES[5]], ids=[IDS[0], IDS[2], IDS[5]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_synthesis_bitwise_independent_of_threads_and_batch(shape, scales, real, dtype):
    sh = Shearlet2D(shape, scales, dtype=dtype, workers=1)
    c = np.random.default_rng(8).standard_normal((3, sh.n_shearlets) + shape).astype(dtype)
    a1, i1 = sh.adjoint(c), sh.inverse(c)
    for k in range(3):
        np.testing.assert_array_equal(sh.adjoint(c[k]), a1[k])
        np.testing.assert_array_equal(sh.inverse(c[k]), i1[k])
    for w in (2, 3):
        np.testing.assert_array_equal(sh.adjoint(c, workers=w), a1)
        np.testing.assert_array_equal(sh.inverse(c, workers=w), i1)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_perfect_reconstruction_and_dot_test_at_256(dtype, tol):
    sh = Shearlet2D((256, 256), 4, dtype=dtype)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((256, 256)).astype(dtype)
    c = sh.forward(x)
    assert rel(sh.inverse(c).astype(np.float64), x.astype(np.float64)) <= tol
    y = rng.standard_normal(c.shape).astype(dtype)
    lhs = np.vdot(c.astype(np.float64), y.astype(np.float64))
    rhs = np.vdot(x.astype(np.float64), sh.adjoint(y).astype(np.float64))
    assert abs(lhs - rhs) <= tol * np.linalg.norm(c) * np.linalg.norm(y)


def test_synthesis_of_a_single_band():
    # a one-band chunk: every chunk holds one band alone (no pair)
    sh = Shearlet2D((64, 64), 1, shear_levels=[0], dtype=np.float32)
    c = np.random.default_rng(10).standard_normal((sh.n_shearlets, 64, 64)).astype(np.float32)
    assert rel(sh.adjoint(c).astype(np.float64), reference(sh, c, False)) <= 2e-6
