"""Limited-angle computed tomography with shearlets (Kutyniok Sec. 4.1; Bubba et al. 2019).

With projections only for ``theta`` in ``[-phi, phi]``, an edge is visible in the data only if its
normal is one of the measured directions. :func:`visibility` decides which shearlets are visible
(geometrically, or empirically with fastshear's own Radon transform), :func:`split` separates the
coefficients, and :func:`reconstruct` turns a sinogram into an image with FBP, SIRT, TV or the
model-based shearlet-l1 step ``f* = argmin_{f >= 0} ||R f - g||^2 / 2 + ||SH(f)||_{1,w}``.
"""
from __future__ import annotations

import math

import numpy as np

from . import solvers
from ._validation import MISSING, default_dtype, positive_shape, renamed, warn_default_change

__all__ = ["visibility", "empirical_scores", "split", "reconstruct", "estimate_noise", "default_weights",
           "ssim", "metrics", "METHODS"]

METHODS = ("fbp", "sirt", "tv", "shearlet-l1", "lti")


def __getattr__(name):
    # fastshear.ct.lti: learning the invisible (imported on first use; PyTorch only for networks)
    if name == "lti":
        from . import lti

        return lti
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# Regularisation rules (see reconstruct's Notes):
# lam = C * sigma_hat * sqrt(n_angles) * noise_gain * noise_factor (max(1, (sigma_hat_rel / NOISE_REF)^EXP)).
TV_FACTOR = 2.0
SHEARLET_FACTOR = 8.0
SHEARLET_SCALE_BASE = 3.0
# How the level follows the noise: the best level of the fit family (random ellipses seeds 0-2,
# 128 x 128) grew as sigma^0.4 (TV) and sigma^0.5 (shearlet-l1) between 0.3 % and 10 % noise,
# not as sigma (the missing wedge, not the noise, dominates the error at low noise), fitted as a
# power of the estimated relative noise sigma_hat / RMS(g) about its value at the fitted 1 %
# (bench/ct_rules_noise.py). Applied below that noise only (a higher level at low noise): above
# it the validation phantoms disagree (at 10 % noise cartoon-like images want the linear rule's
# level, and lose 2-3 dB at the power law's), bench/RESULTS.md.
NOISE_REF = 0.015
TV_NOISE_EXP = -0.6
SHEARLET_NOISE_EXP = -0.5
# The solvers' settings (bench/RESULTS.md, "Filling the missing wedge" and "TV by stochastic
# PDHG"): shearlet-l1's ADMM with the constraint split's penalty a multiple of ADMM's rho; TV's
# SPDHG with angle subsets of TV_SUBSET_ANGLES angles, the ratio of dual to primal steps, the
# regulariser's share of the inner iterations and the stopping tolerance; fitted on random
# ellipses seed 7 (128 and 256; TV's tolerance also on the stopping rule's epochs on ellipses
# seeds 0-2), validated on other phantoms.
SHEARLET_CONSTRAINT_RHO = 0.4
# shearlet-l1's default scales: the most (up to 4) whose frame's bounds (the extreme values of
# SH^T SH's symbol) differ by at most this ratio. ShearLab's fallback filters for 3-4 scales on
# 80-120 pixel images reach 600-18000 and leave ADMM unconverged after 500 iterations (relative
# residual 0.1-0.3 at 96 x 96); every other size measured stays below 90 (bench/RESULTS.md).
SHEARLET_MAX_FRAME_RATIO = 100.0
# ADMM's penalty for 2-scale shearlet systems (the default on small images), times its default
# rule: the rule's symbol medians put it 1.4x above the 3-4 scale systems' and ADMM needed 2-3x
# the iterations (fitted on random ellipses seeds 0-2 at 96 x 96, validated on other phantoms at
# 80 and 96 and with scales=2 at 128; bench/RESULTS.md).
SHEARLET_TWO_SCALE_RHO = 0.5
TV_SUBSET_ANGLES = 2
TV_GAMMA = 30.0
TV_REG_PROB = 0.35
TV_TOL = 2e-3


def _angles(theta) -> np.ndarray:
    t = np.asarray(theta, dtype=np.float64).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)):
        raise ValueError(f"theta must be a non-empty array of finite angles in degrees, got {theta!r}")
    return t


def _step(t: np.ndarray) -> float:
    """The angular sampling step (median gap of the sorted angles modulo 180)."""
    if t.size < 2:
        return 1.0
    s = np.sort(np.mod(t, 180.0))
    gaps = np.diff(np.concatenate([s, s[:1] + 180.0]))
    gaps = gaps[gaps > 1e-9]
    return float(np.median(gaps)) if gaps.size else 1.0


def _covered(alpha_deg: np.ndarray, t: np.ndarray, step: float) -> np.ndarray:
    """True where a frequency direction alpha (degrees, modulo 180) lies within half a step of a
    measured angle."""
    d = np.abs(np.mod(alpha_deg[..., None] - t[None, :] + 90.0, 180.0) - 90.0)
    return d.min(axis=-1) <= 0.5 * step * (1 + 1e-9)


def _shearlet_directions(sh):
    """For each shearlet: the angular interval (degrees) of its frequency support, as
    ``(lo, hi)``; ``None`` rows for the lowpass."""
    idx = np.asarray(sh.indices)
    levels = sh.shear_levels
    out = []
    for cone, scale, shear in idx:
        if cone == 0:
            out.append(None)
            continue
        den = 2.0 ** levels[int(scale) - 1]
        a, b = math.degrees(math.atan((shear - 1) / den)), math.degrees(math.atan((shear + 1) / den))
        if cone == 1:  # horizontal cone: frequencies (1, -slope), angle -atan(slope)
            out.append((-b, -a))
        else:          # vertical cone: frequencies (slope, 1) rotated, angle 90 - atan(slope)
            out.append((90.0 - b, 90.0 - a))
    return out


def visibility(shearlets, theta, method: str = "geometric", threshold: float = 0.5, *,
               radon_kwargs=None) -> np.ndarray:
    """Which shearlets the measured angles can see.

    A shearlet (cone, scale j, shear k) is concentrated in frequency around one direction. By the
    Fourier slice theorem, projections at angle ``theta`` measure the frequencies along
    ``w(theta) = (cos theta, sin theta)``, so the shearlet is visible when its frequency
    direction lies among the measured angles.

    Parameters
    ----------
    shearlets : Shearlet2D
        The shearlet system.
    theta : array_like
        Measured angles in degrees (``Radon2D``'s convention).
    method : {"geometric", "empirical"}
        ``"geometric"``: from the cone and the slope ``k 2^-l_j`` of each shearlet, its frequency
        support spans the directions ``atan((k +- 1) 2^-l_j)`` (horizontal cone: angle
        ``-atan(slope)``; vertical cone: ``90 - atan(slope)`` degrees); the score is the fraction
        of that angular interval within half an angular step of a measured angle.
        ``"empirical"``: the score is ``||R_theta psi||^2 / ||R_full psi||^2``, the fraction of
        the shearlet's projection energy on the measured angles, computed with fastshear's own
        Radon2D (so projector and shearlets cannot disagree on conventions); ``R_full`` samples
        180 degrees with the same step.
    threshold : float
        Visible when the score is at least ``threshold``. The lowpass (isotropic) is visible
        by the geometric rule whenever any angle is measured; empirically its score is about
        the measured fraction of 180 degrees.

    Returns
    -------
    ndarray of bool, (K,)

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((128, 128), scales=3)
    >>> vis = fastshear.ct.visibility(sh, np.arange(-60, 61))
    >>> vis.shape, bool(vis[-1]), int(vis.sum()) < sh.n_shearlets
    ((33,), True, True)
    """
    t = _angles(theta)
    if not (0.0 <= threshold <= 1.0):
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    if method == "geometric":
        step = _step(t)
        dirs = _shearlet_directions(shearlets)
        score = np.empty(len(dirs))
        for i, iv in enumerate(dirs):
            if iv is None:
                score[i] = 1.0
                continue
            a = np.linspace(iv[0], iv[1], 181)
            score[i] = float(_covered(a, t, step).mean())
        return score >= threshold
    if method == "empirical":
        return empirical_scores(shearlets, t, radon_kwargs) >= threshold
    raise ValueError(f"method must be 'geometric' or 'empirical', got {method!r}")


def empirical_scores(shearlets, theta, radon_kwargs=None) -> np.ndarray:
    """``||R_theta psi_i||^2 / ||R_full psi_i||^2`` for every shearlet (see :func:`visibility`).

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((128, 128), scales=2)
    >>> s = fastshear.ct.empirical_scores(sh, np.arange(-60, 61))
    >>> bool(0.55 < s[-1] < 0.8)    # the isotropic lowpass: about 121 / 180
    True
    """
    from .radon import Radon2D

    t = _angles(theta)
    step = _step(t)
    sh = shearlets
    n, m = sh.shape
    kw = dict(radon_kwargs or {})
    full = np.arange(t.min(), t.min() + 180.0 - 1e-9, step)
    # the shearlets themselves, centred: the adjoint of a unit coefficient at the centre
    atoms = np.empty((sh.n_shearlets, n, m), np.float64)
    for i in range(sh.n_shearlets):
        c = np.zeros((sh.n_shearlets, n, m), sh.dtype)
        c[i, n // 2, m // 2] = 1.0
        atoms[i] = sh.adjoint(c)
    e_meas = (Radon2D((n, m), t, **kw).forward(atoms) ** 2).sum(axis=(-2, -1)) * step
    e_full = (Radon2D((n, m), full, **kw).forward(atoms) ** 2).sum(axis=(-2, -1)) * step
    return e_meas / np.maximum(e_full, 1e-300)


def split(coeffs, mask):
    """Split shearlet coefficients ``(..., K, N, M)`` into their visible and invisible parts.

    Returns ``(visible, invisible)``, both of the input's shape, each zero on the other's bands,
    so that ``visible + invisible == coeffs`` and ``sh.inverse(visible + F)`` combines a
    reconstruction's visible part with a learned invisible part ``F`` (Bubba et al.'s step 3).

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.ct import split
    >>> c = np.ones((3, 2, 2))
    >>> v, i = split(c, np.array([True, False, True]))
    >>> v[:, 0, 0], i[:, 0, 0]
    (array([1., 0., 1.]), array([0., 1., 0.]))
    """
    c = np.asarray(coeffs)
    mk = np.asarray(mask)
    if mk.dtype != np.bool_ or mk.ndim != 1:
        raise TypeError(f"mask must be a 1-D boolean array (one entry per shearlet), got {mk.dtype} {mk.shape}")
    if c.ndim < 3 or c.shape[-3] != mk.size:
        raise ValueError(f"coeffs must have shape (..., {mk.size}, N, M) to match the mask, got {c.shape}")
    sel = mk[:, None, None]
    return np.where(sel, c, 0).astype(c.dtype, copy=False), np.where(sel, 0, c).astype(c.dtype, copy=False)


def estimate_noise(sinogram) -> float:
    """Standard deviation of white noise in a sinogram, from the median absolute second
    difference along the detector (robust to the sinogram's edges): ``MAD / 0.6745 / sqrt(6)``.

    On analytic ellipse sinograms with 1 % noise it overestimates by 10-50 % (the structure of
    the sinogram adds to the differences); the default regularisation rules were set with it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.ct import estimate_noise
    >>> g = np.random.default_rng(0).standard_normal((100, 200)) * 0.5
    >>> round(estimate_noise(g), 1)
    0.5
    """
    from ._validation import data_array

    g = data_array(sinogram, "sinogram").astype(np.float64)
    if g.ndim < 1 or g.shape[-1] < 3:
        raise ValueError(f"sinogram must have at least 3 detector bins, got shape {g.shape}")
    d = g[..., 2:] - 2.0 * g[..., 1:-1] + g[..., :-2]
    return float(np.median(np.abs(d)) / 0.6745 / math.sqrt(6.0))


def default_scales(shape, max_scales: int = 4) -> int:
    """The number of shearlet scales :func:`reconstruct` uses for an image of this shape: the most,
    up to ``max_scales``, whose shearlet system fits and is a well-conditioned frame (bounds within
    :data:`SHEARLET_MAX_FRAME_RATIO` of each other); 1 if none is.

    Examples
    --------
    >>> import fastshear
    >>> fastshear.ct.default_scales((256, 256)), fastshear.ct.default_scales((96, 96))
    (4, 2)
    """
    import warnings

    from .shearlet2d import Shearlet2D

    shape = positive_shape(shape, 2)
    for scales in range(int(max_scales), 1, -1):
        with warnings.catch_warnings():  # the fallback filters' warning: the choice is made here
            warnings.simplefilter("ignore")
            try:
                lo, hi = Shearlet2D(shape, scales).frame_bounds
            except ValueError:  # no filter configuration of this many scales fits
                continue
        if lo > 0 and hi <= SHEARLET_MAX_FRAME_RATIO * lo:
            return scales
    return 1


def noise_gain(radon) -> float:
    """How much more white sinogram noise a :class:`fastshear.Radon2D`'s back-projection gathers
    per pixel than that of a parallel beam with unit bins and the same angles: the ratio of the
    RMS of ``R^T e`` over the projector's support (one seeded draw of unit noise ``e``, so the
    result is fixed). Exactly 1 for a parallel beam with unit bins (the geometry the rules were
    fitted on); larger where a pixel spreads over more bins (a fan beam's magnification, finer
    bins): 1.31-1.37 for fan beams with the source at 2N and the detector at N, 2.0 for bins of
    0.3 pixel.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> theta = np.arange(0, 360, 4.0)
    >>> fastshear.ct.noise_gain(fastshear.Radon2D((64, 64), theta))
    1.0
    >>> fan = fastshear.Radon2D((64, 64), theta, geometry="fan", source_distance=128, detector_distance=64, n_det=100)
    >>> round(fastshear.ct.noise_gain(fan), 2)
    1.31
    """
    from .radon import Radon2D

    if radon.geometry == "parallel" and radon.det_spacing == 1.0:
        return 1.0
    ref = Radon2D(radon.shape, radon.theta, n_det=radon.n_det, circle=radon.circle, dtype=np.float64)
    sup = radon.support

    def rms(op):
        e = np.random.default_rng(0).standard_normal(op.sinogram_shape)
        return float(np.sqrt(np.mean(np.asarray(op.adjoint(e), np.float64)[sup] ** 2)))

    return rms(radon) / rms(ref)


def noise_factor(sigma, sinogram, exponent: float) -> np.ndarray:
    """The regularisation rule's noise term ``max(1, (sigma / RMS(sinogram) / NOISE_REF)^exponent)``,
    per sinogram of a stack ``(..., n_angles, n_det)``: below the relative noise the rules were
    fitted at, the best level falls slower than the noise level (``exponent`` < 0:
    ``TV_NOISE_EXP``, ``SHEARLET_NOISE_EXP``); 1 from there up, and where ``sigma`` or the
    sinogram is 0 (the level is 0 there).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.ones((4, 4, 5))
    >>> np.round(noise_factor(np.array([0.015, 0.00375, 0.06, 0.0]), g, -0.5), 3)
    array([1., 2., 1., 1.])
    """
    g = np.asarray(sinogram, np.float64)
    rms = np.sqrt(np.mean(g.reshape((-1,) + g.shape[-2:]) ** 2, axis=(1, 2)))
    rel = np.divide(np.asarray(sigma, np.float64), rms, out=np.zeros(rms.shape), where=rms > 0)
    return np.where(rel > 0, np.maximum(1.0, (np.maximum(rel, 1e-300) / NOISE_REF) ** exponent), 1.0)


def default_weights(sh, level: float) -> np.ndarray:
    """Per-shearlet weights ``w_i = level * RMS_i * 3^(j_i - J)`` (growing with the scale j, the
    finest scale J getting ``level * RMS_i``), zero on the lowpass.

    Examples
    --------
    >>> import fastshear
    >>> sh = fastshear.Shearlet2D((128, 128), scales=3)
    >>> w = fastshear.ct.default_weights(sh, 1.0)
    >>> w.shape, float(w[-1])
    ((33,), 0.0)
    """
    scale = np.asarray(sh.indices)[:, 1].astype(np.float64)
    J = scale.max()
    w = level * np.asarray(sh.rms, np.float64) * SHEARLET_SCALE_BASE ** (scale - J)
    w[np.asarray(sh.indices)[:, 0] == 0] = 0.0
    return w


_FBP_FILTER = "ram-lak"


def reconstruct(sinogram, theta, shape, method: str = "shearlet-l1", *, noise_level=None,
                lam=None, weights=None, scales=None, max_iter=None, tol=None,
                filter_name: str = _FBP_FILTER, nonneg: bool = True, dtype=None, radon_kwargs=None,
                progress=False, callback=None, workers=None, return_info: bool = False, model=None,
                filter=MISSING):
    """Reconstruct an image from a (limited-angle) parallel-beam sinogram, or a stack of them.

    Parameters
    ----------
    sinogram : array_like, (n_angles, n_det) or (B, n_angles, n_det)
        Projections in :class:`fastshear.Radon2D`'s layout (scikit-image's is the transpose). A
        stack is reconstructed as B problems solved together through the batched transforms
        (each with its own noise level, regularisation level and stopping).
    theta : array_like
        Angles in degrees, one per sinogram row.
    shape : (int, int)
        Image size.
    method : {"fbp", "sirt", "tv", "shearlet-l1", "lti"}
        ``"lti"``: learning the invisible (:func:`fastshear.lti.reconstruct`) with ``model`` (a
        path or a loaded :class:`fastshear.lti.LtIModel`, whose geometry must match).
    noise_level : float, optional
        Standard deviation of the sinogram noise; default :func:`estimate_noise` (per sinogram).
    lam : float, optional
        TV weight, or the overall level of the shearlet weights; default by the rule in Notes.
    weights : array_like (K,), optional
        Shearlet weights (override ``lam``).
    scales : int, optional
        Shearlet scales (shearlet-l1); default :func:`default_scales` (4 from 128 x 128 up, where
        ShearLab's filters give a well-conditioned frame; fewer on smaller images).
    max_iter : int, optional
        Iteration limit: SIRT 100 (its iteration count is its regularisation), TV (epochs) and
        shearlet-l1 500 (a limit: they stop when the stopping rule holds).
    tol : float, optional
        Stopping tolerance of shearlet-l1 (default ``1e-3``; the rule of
        :class:`fastshear.solvers.ADMM`) and TV (default ``TV_TOL``; the rule of
        :class:`fastshear.solvers.SPDHG`), or SIRT's relative change (default 0: run ``max_iter``
        iterations).
    filter_name : str
        FBP filter (FBP, and the starting point of TV and shearlet-l1); ``filter=`` is its
        deprecated old name (a DeprecationWarning, removed in the next release).
    nonneg : bool
        Constrain ``f >= 0`` (SIRT, TV, shearlet-l1).
    dtype : numpy.float32 or numpy.float64, optional
        Working precision (float32: twice the speed, same quality). None: float32 for now; by
        fastshear's one default-dtype rule it becomes the sinogram's precision in the next
        release, and a float64 sinogram without ``dtype`` gives a FutureWarning saying so.
    radon_kwargs : dict, optional
        More :class:`fastshear.Radon2D` arguments (``n_det``, ``circle``, ...). With ``circle=True``
        (the default) TV and shearlet-l1 also constrain the image to zero outside the inscribed
        circle, as the geometry assumes.
    progress, callback, workers
        As in :mod:`fastshear.solvers`.
    return_info : bool
        Also return a dict: ``method``, ``noise_level``, ``lam``, ``weights``, ``iterations``,
        ``converged`` (per sinogram for a stack), the solver's ``history``, ``solver`` ("admm" or
        "spdhg") and its ``rho`` (ADMM) or ``subsets`` (SPDHG); shearlet-l1 also ``scales``; the
        rule's level also ``noise_gain`` and ``noise_factor``.

    Returns
    -------
    ndarray (N, M) or (B, N, M), or ``(image, info)`` with ``return_info=True``.

    Notes
    -----
    TV and shearlet-l1 solve ``min_{f >= 0} ||R f - g||^2 / 2 + reg(f)`` to convergence, started
    from the non-negative part of FBP; the result is the minimiser, not an early stop, so a larger
    ``max_iter`` or a smaller ``tol`` changes it only within the tolerance.

    - shearlet-l1: :class:`fastshear.solvers.ADMM` (conjugate-gradient steps on the normal
      equations, preconditioned by the Fourier symbols of ``R^T R`` and ``SH^T SH``). The support
      and non-negativity constraints are split off with their own penalty
      (``SHEARLET_CONSTRAINT_RHO`` times ADMM's ``rho``): the data do not see the missing
      wedge's low frequencies, and this penalty sets how fast the constraints and the
      regulariser fill them in.
    - TV: :class:`fastshear.solvers.SPDHG` over subsets of ``TV_SUBSET_ANGLES`` interleaved angles
      (``info["iterations"]`` counts epochs, each about one ``R`` and one ``R^T``), with
      ``gamma = TV_GAMMA``, ``reg_prob = TV_REG_PROB`` and the default ``tol = TV_TOL``
      (its stopping rule's residuals are on another scale than ADMM's).

    The solver settings were fitted on one phantom and validated on others (bench/RESULTS.md).

    Regularisation rule (fitted once on random-ellipse phantoms, validated on others; see
    ``bench/RESULTS.md``): with ``s = sigma_hat * sqrt(n_angles) * noise_gain(R) *
    noise_factor``, where ``sigma_hat`` is the noise level (given or estimated),
    ``sqrt(n_angles)`` the growth of the back-projected noise ``R^T e`` per pixel in the parallel
    beam with unit bins it was fitted on (:func:`noise_gain` is 1 there and carries the rule to
    fan beams and other bins), and :func:`noise_factor` ``max(1, (sigma_hat / RMS(g) /
    NOISE_REF)^EXP)`` the slower-than-linear fall of the best level at low noise (``EXP`` =
    ``TV_NOISE_EXP``, ``SHEARLET_NOISE_EXP``; 1 from ``sigma_hat / RMS(g) = NOISE_REF``, the fit
    family's value at 1 % noise, up; about 1.5-2 at 0.3 % noise),

    - TV: ``lam = TV_FACTOR s``;
    - shearlet-l1: ``w_i = SHEARLET_FACTOR s RMS_i SHEARLET_SCALE_BASE^(j_i - J)`` (``RMS_i``
      the noise level of band i, weights growing with the scale j, zero on the lowpass;
      :func:`default_weights`).

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> theta = np.arange(-60, 61, 3.0)
    >>> x = fastshear.phantoms.shepp_logan((96, 96))
    >>> g = fastshear.Radon2D((96, 96), theta).forward(x)
    >>> f, info = fastshear.ct.reconstruct(g, theta, (96, 96), method="tv", return_info=True, dtype=np.float32)
    >>> f.shape, info["converged"]
    ((96, 96), True)
    >>> fastshear.ct.reconstruct(np.stack([g, 2 * g]), theta, (96, 96), "fbp", dtype=np.float32).shape
    (2, 96, 96)
    """
    from .radon import Radon2D

    from ._validation import iterations, optional_real

    filter_name = renamed(filter_name, filter, "filter_name", "filter", default=_FBP_FILTER)

    if not isinstance(method, str):
        raise TypeError(f"method must be a string, one of {', '.join(METHODS)}, got {type(method).__name__}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if max_iter is not None:
        max_iter = iterations(max_iter)
    tol = optional_real(tol, "tol", lo=0)
    noise_level = optional_real(noise_level, "noise_level", lo=0)
    lam = optional_real(lam, "lam", lo=0)
    if method == "lti":
        from . import lti

        if model is None:
            raise ValueError("method='lti' needs model= (a path to a trained model or an LtIModel; "
                             "`fastshear train-lti -o PATH` trains one)")
        x = lti.reconstruct(sinogram, theta, model, noise_level=noise_level, workers=workers, progress=progress)
        return (x, {"method": "lti"}) if return_info else x
    shape = positive_shape(shape, 2)
    t = _angles(theta)
    g = np.asarray(sinogram)
    dt, dtype_change = default_dtype(dtype, g, legacy=np.float32, owner="ct.reconstruct",
                                     what="the precision of the sinogram")
    if g.dtype.kind not in "biuf":
        raise TypeError(f"sinogram must be a real array, got dtype {g.dtype}")
    if g.ndim not in (2, 3):
        raise ValueError(f"sinogram must be (n_angles, n_det) or a stack (B, n_angles, n_det), got shape {g.shape}")
    if g.shape[-2] != t.size:
        raise ValueError(f"the sinogram has {g.shape[-2]} rows (angles) but theta has {t.size} angles")
    if g.size == 0:
        raise ValueError(f"sinogram is empty (shape {g.shape})")
    if not np.all(np.isfinite(g)):
        raise ValueError("sinogram contains NaN or infinite values")
    batched = g.ndim == 3
    kw = dict(radon_kwargs or {})
    kw.setdefault("n_det", g.shape[-1])
    R = Radon2D(shape, t, dtype=dt, workers=workers, **kw)
    g = np.ascontiguousarray(g.reshape((-1,) + g.shape[-2:]), dtype=dt)
    nb = g.shape[0]
    info = {"method": method}

    def done(x, res=None):
        x = x if batched else x[0]
        if res is not None:
            info["iterations"] = res.info.get("iterations", res.iterations) if batched else res.iterations
            info["converged"] = res.info.get("converged", res.converged) if batched else res.converged
            info["history"] = res.history
        warn_default_change(dtype_change, stacklevel=4)  # only a call that succeeds warns
        return (x, info) if return_info else x

    if method == "fbp":
        info["filter"] = filter_name
        return done(R.fbp(g, filter_name=filter_name))
    if noise_level is not None:  # validated above
        sig = np.full(nb, noise_level)
    else:
        sig = np.array([estimate_noise(gi) for gi in g])
    info["noise_level"] = sig if batched else float(sig[0])
    label = progress if isinstance(progress, str) else method
    prog = label if progress else False
    if method == "sirt":
        xs, its, conv, hists = [], [], [], []
        for gi in g:
            res = solvers.sirt(R, gi, nonneg=nonneg, max_iter=max_iter or 100, tol=0.0 if tol is None else tol,
                               progress=prog, callback=callback)
            xs.append(res.x), its.append(res.iterations), conv.append(res.converged), hists.append(res.history)
        info["iterations"] = np.array(its) if batched else its[0]
        info["converged"] = np.array(conv) if batched else conv[0]
        info["history"] = hists if batched else hists[0]
        return done(np.stack(xs))

    # TV / shearlet-l1: per-problem levels by scaling the data (the constraint set is a cone, so
    # argmin ||R f - g||^2/2 + lam reg(f) = lam argmin ||R f - g / lam||^2/2 + reg(f))
    gain, nf = 1.0, np.ones(nb)
    if lam is None and weights is None:  # the rule's level
        gain = info["noise_gain"] = noise_gain(R)
        nf = noise_factor(sig, g, TV_NOISE_EXP if method == "tv" else SHEARLET_NOISE_EXP)
        info["noise_factor"] = nf if batched else float(nf[0])
    s = sig * math.sqrt(t.size) * gain * nf
    if method == "tv":
        from .operators import Gradient2D

        lev = TV_FACTOR * s if lam is None else np.full(nb, float(lam))
        K = Gradient2D(shape, dtype=dt)
        f = solvers.L21(1.0)
    else:
        from .shearlet2d import Shearlet2D

        if scales is None:
            scales = default_scales(shape)
        K = Shearlet2D(shape, scales, dtype=dt, workers=workers)
        info["scales"] = K.scales
        if weights is None:
            lev = SHEARLET_FACTOR * s if lam is None else np.full(nb, float(lam))
            w1 = default_weights(K, 1.0)
            info["weights"] = w1 * (lev[:, None] if batched else lev[0])
        else:
            w1 = np.asarray(weights, np.float64)
            if w1.shape != (K.n_shearlets,) or not np.all(np.isfinite(w1)) or np.any(w1 < 0):
                raise ValueError(f"weights must be {K.n_shearlets} finite numbers >= 0 (one per shearlet), "
                                 f"got shape {w1.shape}")
            lev = np.ones(nb)
            info["weights"] = w1
        f = solvers.L1(w1, band_ndim=2)
    if not np.all(np.isfinite(lev)) or np.any(lev < 0):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    info["lam"] = lev if batched else float(lev[0])
    # a zero level (noise-free data): a tiny one, the problem is then least squares + constraint
    scale = np.maximum(lev, 1e-6 * np.sqrt(np.mean(g.astype(np.float64) ** 2, axis=(1, 2))) + 1e-30)
    sc = scale.astype(dt)[:, None, None]
    x0 = R.fbp(g, filter_name=filter_name) / sc
    support = R.support if R.circle else None
    if nonneg:
        np.maximum(x0, 0, out=x0)
    if support is not None:
        x0 *= support
    if callback is not None:  # the solver works on the scaled problem: hand the user the image
        user_cb = callback

        def callback(it, xs, cinfo):
            return user_cb(it, xs * (sc if batched else sc[0]), cinfo)

    gb, x0 = (g / sc, x0) if batched else ((g / sc)[0], x0[0])
    if method == "tv":
        # SPDHG over angle subsets (interleaved, so each sees the whole angular range): a data
        # block's update costs 1/m of a Radon pair, and an epoch about one pair
        m = max(1, round(t.size / TV_SUBSET_ANGLES))
        rows = [np.arange(i, t.size, m) for i in range(m)]
        blocks = [Radon2D(shape, t[r], dtype=dt, workers=workers, **kw) for r in rows]
        res = solvers.SPDHG(blocks, [gb[..., r, :] for r in rows], K, f, nonneg=nonneg, support=support, x0=x0,
                            gamma=TV_GAMMA, reg_prob=TV_REG_PROB, max_iter=max_iter or 500,
                            tol=TV_TOL if tol is None else tol, progress=prog, callback=callback).run()
        info["solver"] = "spdhg"
        info["subsets"] = m
    else:
        # momentum with restart (on the regulariser's split); a constraint penalty below rho
        # fills the missing wedge faster (bench/RESULTS.md)
        rho = solvers.ADMM.default_rho(R, K) * (SHEARLET_TWO_SCALE_RHO if K.scales == 2 else 1.0)
        res = solvers.ADMM(R, gb, K, f, nonneg=nonneg, support=support, x0=x0, max_iter=max_iter or 500,
                           tol=1e-3 if tol is None else tol, progress=prog, callback=callback, restart=0.999,
                           cg_steps=3, rho=rho, constraint_rho=SHEARLET_CONSTRAINT_RHO * rho).run()
        info["solver"] = "admm"
        info["rho"] = res.info["rho"]
        if res.history.get("objective") is not None:
            obj = res.history["objective"]
            res.history["objective"] = obj * (scale ** 2 if obj.ndim == 2 else scale[0] ** 2)
    x = res.x.reshape((nb,) + shape) * sc
    return done(x, res)


def _box_valid(a: np.ndarray, w: int) -> np.ndarray:
    """Means over all w x w windows lying inside ``a`` (valid mode), via cumulative sums."""
    c = np.cumsum(np.cumsum(np.pad(a, ((1, 0), (1, 0))), axis=0), axis=1)
    s = c[w:, w:] - c[:-w, w:] - c[w:, :-w] + c[:-w, :-w]
    return s / (w * w)


def ssim(image, reference, *, data_range=None, win_size: int = 7) -> float:
    """Mean structural similarity, as scikit-image's ``structural_similarity`` with its defaults
    (7 x 7 uniform window, K1 = 0.01, K2 = 0.03, sample covariances, the border of half a
    window left out of the mean).

    Parameters
    ----------
    image, reference : array_like (N, M)
    data_range : float, optional
        Default: the reference's max - min.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.ct import ssim
    >>> x = np.random.default_rng(0).random((32, 32))
    >>> ssim(x, x)
    1.0
    """
    from ._validation import data_array, integer

    x = data_array(image, "image").astype(np.float64)
    y = data_array(reference, "reference").astype(np.float64)
    win_size = integer(win_size, "win_size", lo=2)
    if x.shape != y.shape or x.ndim != 2:
        raise ValueError(f"ssim needs two 2-D images of the same shape: image {x.shape}, reference {y.shape}")
    if min(x.shape) < win_size:
        raise ValueError(f"images must be at least {win_size} x {win_size}, got {x.shape}")
    L = float(np.ptp(y)) if data_range is None else float(data_range)
    if L <= 0:
        raise ValueError("data_range must be > 0 (the reference is constant)")
    n = win_size * win_size
    cov = n / (n - 1.0)
    ux, uy = _box_valid(x, win_size), _box_valid(y, win_size)
    vx = cov * (_box_valid(x * x, win_size) - ux * ux)
    vy = cov * (_box_valid(y * y, win_size) - uy * uy)
    vxy = cov * (_box_valid(x * y, win_size) - ux * uy)
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    return float(s.mean())


def metrics(image, reference) -> dict:
    """Relative error ``||x - x_ref|| / ||x_ref||``, PSNR (dB, peak = the reference's range) and
    SSIM (:func:`ssim`) of ``image`` against ``reference``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastshear.ct import metrics
    >>> ref = np.zeros((16, 16)); ref[4:12, 4:12] = 1
    >>> m = metrics(ref + 0.01, ref)
    >>> round(m["psnr"], 1), round(m["ssim"], 3)
    (40.0, 1.0)
    """
    from ._validation import data_array

    x = data_array(image, "image").astype(np.float64)
    r = data_array(reference, "reference").astype(np.float64)
    if x.shape != r.shape:
        raise ValueError(f"image and reference must have the same shape, got {x.shape} and {r.shape}")
    err = float(np.linalg.norm(x - r) / np.linalg.norm(r))
    mse = float(np.mean((x - r) ** 2))
    rng = float(np.ptp(r))
    psnr = math.inf if mse == 0 else 10 * math.log10(rng ** 2 / mse)
    return {"rel_error": err, "psnr": psnr, "ssim": ssim(x, r)}
