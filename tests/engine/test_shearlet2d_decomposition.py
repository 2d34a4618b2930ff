"""2D decomposition (forward) against a numpy reference on each of the engine's paths.

With real spectra (ShearLab's default filters on most sizes) the engine works on the transposed
half spectrum: two bands through one complex inverse FFT (column transforms, then row blocks
gathered with their mirrored halves), the last band of an odd count alone through real row
transforms. With complex spectra it pairs bands in float32 with FFTW's 2D plan and takes single
bands in float64. The cases below cover odd and even band counts, row counts that are not a
multiple of the row block (8), odd and non-square sizes, and both kinds of bank.
"""
import warnings

import numpy as np
import pytest

import fastshear
from fastshear import Shearlet2D, _core

warnings.filterwarnings("ignore", category=fastshear.ShearletFallbackWarning)

# (shape, scales, keyword arguments, spectra real to 1e-14?)
CASES = [
    ((256, 256), 4, {}, True),                      # K = 49
    ((75, 75), 2, {}, True),                        # odd sizes, 75 = 9 row blocks + 3
    ((91, 67), 2, {}, True),                        # odd, non-square
    ((96, 128), 2, {}, True),
    ((30, 30), 1, {"shear_levels": [0]}, True),     # K = 5, 30 = 3 row blocks + 6
    ((83, 77), 2, {"shear_levels": [0, 1]}, True),  # K = 13
    ((150, 90), 3, {}, False),                      # fallback configuration 7: complex spectra
    ((64, 64), 2, {}, False),
]
IDS = [f"{s[0]}x{s[1]}-{sc}" + ("-" + "".join(map(str, kw["shear_levels"])) if kw else "")
       for s, sc, kw, _ in CASES]


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def half_spectra(sh):
    """The bank's uncentred half spectra (K, N, M//2+1), as the engine takes them."""
    u = np.fft.ifftshift(sh.spectra, axes=(-2, -1))
    return np.ascontiguousarray(u[..., : sh.shape[1] // 2 + 1])


def reference(spectra_full, x):
    """c_i = ifft2(fft2(x) conj(psi_i)) with full complex FFTs in float64 (uncentred spectra)."""
    X = np.fft.fft2(x.astype(np.float64))
    return np.fft.ifft2(X[..., None, :, :] * np.conj(spectra_full)).real


@pytest.mark.parametrize("shape,scales,kw,real", CASES, ids=IDS)
def test_cases_cover_both_kinds_of_bank(shape, scales, kw, real):
    s = Shearlet2D(shape, scales, **kw).spectra
    assert (np.abs(s.imag).max() <= 1e-14 * np.abs(s).max()) == real


@pytest.mark.parametrize("shape,scales,kw,real", CASES, ids=IDS)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("workers", [1, 2])
def test_forward_matches_reference(shape, scales, kw, real, dtype, tol, workers):
    sh = Shearlet2D(shape, scales, dtype=dtype, workers=workers, **kw)
    x = np.random.default_rng(3).standard_normal((2,) + shape).astype(dtype)
    got = sh.forward(x)
    assert got.dtype == dtype and got.shape == (2, sh.n_shearlets) + shape
    ref = reference(np.fft.ifftshift(sh.spectra, axes=(-2, -1)), x)
    for b in range(2):
        assert rel(got[b].astype(np.float64), ref[b]) <= tol


@pytest.mark.parametrize("count", [1, 2, 3, 4])
@pytest.mark.parametrize("shape,scales,kw", [((75, 75), 2, {}), ((30, 30), 1, {"shear_levels": [0]}), ((150, 90), 3, {})])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_banks_of_any_band_count(count, shape, scales, kw, dtype, tol):
    # ShearLab's systems all have an odd K; banks of other sizes (one band alone, pairs only)
    # take the engine's other branches
    sh = Shearlet2D(shape, scales, **kw)
    pick = np.arange(sh.n_shearlets - count, sh.n_shearlets)  # ends with the lowpass
    bank_cls = _core.FilterBank2D_f32 if dtype == np.float32 else _core.FilterBank2D_f64
    bank = bank_cls(half_spectra(sh)[pick], shape[1])
    x = np.random.default_rng(4).standard_normal((1,) + shape).astype(dtype)
    got = bank.forward(x, 1)
    ref = reference(np.fft.ifftshift(sh.spectra, axes=(-2, -1))[pick], x)
    assert got.shape == (1, count) + shape
    assert rel(got.astype(np.float64), ref) <= tol


@pytest.mark.parametrize("case", [0, 1, 6], ids=[IDS[0], IDS[1], IDS[6]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_bitwise_independent_of_threads_and_batch(case, dtype):
    shape, scales, kw, _ = CASES[case]
    sh = Shearlet2D(shape, scales, dtype=dtype, workers=1, **kw)
    x = np.random.default_rng(5).standard_normal((3,) + shape).astype(dtype)
    c1 = sh.forward(x)
    for k in range(3):
        np.testing.assert_array_equal(sh.forward(x[k]), c1[k])
    for w in (2, 3):
        np.testing.assert_array_equal(sh.forward(x, workers=w), c1)


@pytest.mark.parametrize("n,m", [(5, 7), (12, 10), (17, 16), (8, 33), (40, 9)])
@pytest.mark.parametrize("count", [1, 2, 5])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_small_real_banks_both_directions(n, m, count, dtype, tol):
    # real, even spectra |fft2(g)|^2 of random kernels g: fewer rows or columns than the engine's
    # blocks (8 and 16), and remainders of them
    rng = np.random.default_rng(n * 100 + m)
    full = np.abs(np.fft.fft2(rng.standard_normal((count, n, m)))) ** 2
    bank_cls = _core.FilterBank2D_f32 if dtype == np.float32 else _core.FilterBank2D_f64
    bank = bank_cls(np.ascontiguousarray(full[..., : m // 2 + 1]).astype(np.complex128), m)
    x = rng.standard_normal((2, n, m)).astype(dtype)
    c = bank.forward(x, 2)
    assert rel(c.astype(np.float64), reference(full, x)) <= tol
    # adjoint: sum_i ifft2(fft2(c_i) psi_i)
    ref_adj = np.fft.ifft2(np.sum(np.fft.fft2(c.astype(np.float64)) * full, axis=-3)).real
    assert rel(bank.adjoint(c, 2).astype(np.float64), ref_adj) <= tol
