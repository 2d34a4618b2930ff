"""2D cone-adapted digital shearlets, compatible with ShearLab 3D.

The system is ShearLab 3D v1.1's (Kutyniok, Lim, Reisenhofer 2016): the same number of
shearlets, index order, RMS and coefficients, for every size ShearLab accepts (its small-image
filter fallbacks included), and beyond it: non-square and odd sizes, shear levels 0 and >= 3,
batches, float32 end to end, several threads.
"""
from __future__ import annotations

import functools

import math

import numpy as np

from . import _core, _fftw
from ._plan import ShearletPlan, denoise_inputs, plan_warning
from ._shearlab import full_from_half, shearlet_spectra_2d
from ._validation import (MISSING, call_threads, check_alloc, check_shape, output_array, real_array)

__all__ = ["Shearlet2D", "ShearletFallbackWarning", "shearlet_denoise"]


class ShearletFallbackWarning(UserWarning):
    """The image is too small for ShearLab's default filters; smaller fallback filters are used
    (ShearLab does the same and warns likewise)."""


@functools.lru_cache(maxsize=8)
def _system(shape, scales, levels, full, dtype_name):
    half, idx, config = shearlet_spectra_2d(shape[0], shape[1], scales, levels, full)
    bank_cls = _core.FilterBank2D_f32 if dtype_name == "float32" else _core.FilterBank2D_f64
    _fftw.load()
    bank = bank_cls(half, shape[1])
    _fftw.save_if_new()
    rms = np.sqrt(bank.band_energies / (shape[0] * shape[1]))
    rms.setflags(write=False)  # shared by every plan of this system
    dw = bank.dual_weights
    return bank, idx, config, rms, (float(dw.min()), float(dw.max()))


def _n_shearlets_2d(levels, full) -> int:
    return sum(2 * 2 ** (lv + 1) + (2 if full else 0) for lv in levels) + 1


def plan_bytes_2d(shape, levels, full) -> int:
    """Bytes the construction of a 2D system takes at its peak (an upper estimate): the half
    spectra (complex128) held twice, and the wedges of the highest shear level."""
    n, m = shape
    k = _n_shearlets_2d(levels, full)
    lmax = max(levels)
    wedges = n * (2 ** lmax * m) * 8 * 4 + (2 * 2 ** lmax + 1) * n * m * 8
    return max(2 * k * n * (m // 2 + 1) * 16, wedges)


class Shearlet2D(ShearletPlan):
    """ShearLab-compatible 2D cone-adapted shearlet system: a plan built once, applied many times.

    Parameters
    ----------
    shape : (int, int)
        Image size ``(N, M)``: rows, columns. Any size ShearLab accepts (at least 33 x 33 for
        one or two scales, 73 x 73 for three or four), square or not, odd or even.
    scales : int, default 4
        Number of scales J >= 1 (scale 1 is the coarsest).
    shear_levels : sequence of int, optional
        Shear level per scale (level l gives shears -2^l..2^l); default ``ceil(j / 2)``.
    full : bool, default False
        Keep cone 2's border shears |k| = 2^l too (ShearLab's ``full=1``).
    dtype : numpy.float32 or numpy.float64, optional
        Precision of filters, coefficients and results. Default (None): float64, as every dtype=None without input arrays (fastshear's dtype rule).
    workers : int, optional
        Threads per call (default: OpenMP's, i.e. ``OMP_NUM_THREADS`` or all cores).

    Attributes
    ----------
    in_shape, out_shape : tuple of int
        ``(N, M)`` and ``(K, N, M)`` (the plan protocol of :mod:`fastshear._plan`).
    n_shearlets : int
        K, the number of shearlets (lowpass included).
    indices : ndarray (K, 3)
        Rows ``[cone, scale, shear]`` in ShearLab's order, lowpass ``[0, 0, 0]`` last.
    rms : ndarray (K,), read-only
        Spatial l2 norm of each shearlet over sqrt(N M) (ShearLab's RMS), used to scale
        thresholds.
    frame_bounds : (float, float)
        Min and max of sum_i |psi_i|^2 over frequency.
    filter_config : int
        ShearLab's filter configuration (1 default; 3, 7, 8 small-image fallbacks).

    Notes
    -----
    Coefficients are ``(..., K, N, M)``: band-major, each band a contiguous image. ShearLab's
    layout is ``(N, M, K)``: ``numpy.moveaxis(c, -3, -1)`` converts. ``forward`` computes
    ``c_i = real(Finv(F(x) conj(psi_i)))`` (the FFT of x once; every band's inverse FFT computed
    two bands at a time, ``c_a + i c_b`` from one complex FFT, wherever the spectra are real);
    ``adjoint`` is its exact transpose and ``inverse`` the canonical dual frame (ShearLab's
    ``SLshearrec2D``).

    NaN and infinity propagate as in ``numpy.fft``: a non-finite pixel makes every coefficient
    of the affected bands non-finite. Nothing is checked, nothing is replaced.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((128, 128), scales=3)
    >>> x = np.random.default_rng(0).standard_normal((128, 128))
    >>> c = sh.forward(x)
    >>> c.shape
    (33, 128, 128)
    >>> bool(np.allclose(sh.inverse(c), x))
    True
    """

    def __init__(self, shape, scales: int = 4, *, shear_levels=None, full: bool = False,
                 dtype=None, workers=None):
        levels = self._init_common(shape, scales, shear_levels, full, dtype, workers)
        from ._shearlab import _find_config, choose_filters

        if _find_config(self.shape[0], self.shape[1], self.scales, levels) is None:
            choose_filters(self.shape[0], self.shape[1], self.scales, levels)  # raises, naming sizes
        check_alloc(plan_bytes_2d(self.shape, levels, self.full),
                    f"a Shearlet2D plan of shape {self.shape} with shear_levels={list(levels)}")
        bank, idx, config, rms, bounds = _system(self.shape, self.scales, levels, self.full,
                                                 self.dtype.name)
        if config > 1:
            plan_warning(
                f"{self.shape[0]}x{self.shape[1]} is too small for the default shearlet filters; "
                f"using ShearLab's fallback configuration {config}",
                ShearletFallbackWarning,
            )
        self._bank = bank
        self.indices = idx
        self.filter_config = config
        self.rms = rms
        self.frame_bounds = bounds

    def forward(self, x, *, out=None, workers=None) -> np.ndarray:
        """Shearlet coefficients of ``x``.

        Parameters
        ----------
        x : array_like, (..., N, M)
            Real image or batch of images; converted to the plan's dtype.
        out : ndarray, (..., K, N, M), optional
            Where to write the coefficients (the plan's dtype, C-contiguous, not overlapping
            ``x``); returned. Reusing one array across calls saves the allocation and the first
            touch of fresh memory, which can cost as much as a fifth of a call.
        workers : int, optional
            Threads for this call (default: the plan's).

        Returns
        -------
        ndarray, (..., K, N, M), the plan's dtype (``out`` when given).

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> sh = fastshear.Shearlet2D((64, 64), scales=2)
        >>> x = np.random.default_rng(0).standard_normal((64, 64))
        >>> c = sh.forward(x)
        >>> c2 = sh.forward(2 * x, out=c)   # writes into c
        >>> c2 is c
        True
        """
        a = real_array(x, self.dtype, "x")
        check_shape(a, self.shape, "x", "image size of this Shearlet2D")
        lead = a.shape[:-2]
        shape = lead + (self.n_shearlets,) + self.shape
        if out is None:
            check_alloc(math.prod(shape) * self.dtype.itemsize, f"coefficients of shape {shape}")
        else:
            output_array(out, shape, self.dtype, (a,))
        c = self._bank.forward(a.reshape((-1,) + self.shape), call_threads(self._threads, workers),
                               None if out is None else out.reshape((-1, self.n_shearlets) + self.shape))
        return c.reshape(shape) if out is None else out

    def _synth(self, c, workers, dual, out):
        a = real_array(c, self.dtype, "coefficients")
        check_shape(a, (self.n_shearlets,) + self.shape, "coefficients", "K shearlet bands of N x M")
        lead = a.shape[:-3]
        if out is not None:
            output_array(out, lead + self.shape, self.dtype, (a,))
        x = self._bank.adjoint(a.reshape((-1, self.n_shearlets) + self.shape),
                               call_threads(self._threads, workers), dual,
                               None if out is None else out.reshape((-1,) + self.shape))
        return x.reshape(lead + self.shape) if out is None else out

    def adjoint(self, c, *, out=None, workers=None) -> np.ndarray:
        """The exact adjoint (transpose) of :meth:`forward`: ``sum_i psi_i * c_i``.

        Parameters
        ----------
        c : array_like, (..., K, N, M)
        out : ndarray, (..., N, M), optional
            Where to write the result (as in :meth:`forward`).

        Returns
        -------
        ndarray, (..., N, M)
        """
        return self._synth(c, workers, False, out)

    def inverse(self, c, *, out=None, workers=None) -> np.ndarray:
        """Reconstruction with the canonical dual frame: ``inverse(forward(x)) == x``.

        Parameters
        ----------
        c : array_like, (..., K, N, M)
        out : ndarray, (..., N, M), optional
            Where to write the result (as in :meth:`forward`).

        Returns
        -------
        ndarray, (..., N, M)
        """
        return self._synth(c, workers, True, out)

    @property
    def spectra(self) -> np.ndarray:
        """Centred frequency responses ``(K, N, M)``, complex128, as ShearLab's ``sys.shearlets``
        but band-major (computed on request; ``numpy.moveaxis(s, 0, -1)`` gives ShearLab's
        layout)."""
        half, _, _ = shearlet_spectra_2d(self.shape[0], self.shape[1], self.scales,
                                         self.shear_levels, self.full)
        return full_from_half(half, self.shape[1])

    def spectrum(self, j: int) -> np.ndarray:
        """Centred frequency response of shearlet ``j`` (ShearLab's ``shearlets[:, :, j]``),
        ``(N, M)`` complex128, as :meth:`Shearlet3D.spectrum <fastshear.Shearlet3D.spectrum>`.

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> sh = fastshear.Shearlet2D((64, 64), scales=1)
        >>> bool(np.array_equal(sh.spectrum(-1), sh.spectra[-1]))
        True
        """
        half, _, _ = shearlet_spectra_2d(self.shape[0], self.shape[1], self.scales,
                                         self.shear_levels, self.full)
        return full_from_half(half[self._band_index(j)], self.shape[1])

    @property
    def dual_frame_weights(self) -> np.ndarray:
        """sum_i |psi_i|^2, centred, ``(N, M)`` (ShearLab's ``dualFrameWeights``)."""
        w = self._bank.dual_weights
        return np.real(full_from_half(w.astype(np.complex128), self.shape[1]))


def shearlet_denoise(image, noise_level: float = MISSING, *, scales: int = 4, k: float = 3.0,
                     workers=None, sigma: float = MISSING) -> np.ndarray:
    """Hard-threshold shearlet denoising (ShearLab's example): zero every coefficient with
    ``|c_i| <= k * noise_level * RMS_i`` (the lowpass included) and reconstruct with the dual frame.

    Parameters
    ----------
    image : array_like, (..., N, M)
        Noisy image(s).
    noise_level : float
        Standard deviation of the additive white Gaussian noise (the one name of the noise level
        across fastshear: ``ct.reconstruct``, the command line's ``--noise-level``).
    scales : int
        Number of shearlet scales.
    k : float
        Threshold in units of the noise level in each band.
    sigma : float, deprecated
        The old name of ``noise_level`` (a DeprecationWarning; removed in the next release).

    Returns
    -------
    ndarray, same shape as ``image``

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> clean = fastshear.phantoms.cartoon((128, 128), seed=0)
    >>> noisy = clean + 0.1 * np.random.default_rng(1).standard_normal(clean.shape)
    >>> den = fastshear.shearlet_denoise(noisy, 0.1, scales=3)
    >>> bool(np.linalg.norm(den - clean) < np.linalg.norm(noisy - clean))
    True
    """
    img, dtype, noise_level, k = denoise_inputs(image, noise_level, sigma, k, name="image",
                                                owner="shearlet_denoise", ndim=2)
    sh = Shearlet2D(img.shape[-2:], scales, dtype=dtype, workers=workers)
    c = sh.forward(img)
    thr = (k * noise_level * sh.rms).astype(dtype)[:, None, None]
    c[np.abs(c) <= thr] = 0
    return sh.inverse(c)
