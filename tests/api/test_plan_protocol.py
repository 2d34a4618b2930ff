"""The plan protocol (fastshear._plan) that Shearlet2D, Shearlet3D and Radon2D share: shapes,
dtype, workers, forward/adjoint with out= and workers=, pickling by construction arguments,
read-only cached arrays, and the adapters (operators, solvers) that use nothing else."""
import pickle
import warnings

import numpy as np
import pytest

import fastshear
from fastshear._plan import Plan
from fastshear.operators import PlanOperator, as_operator, dot_test


def _plans():
    return {
        "shearlet2d": lambda: fastshear.Shearlet2D((48, 40), scales=2, dtype=np.float32, workers=1),
        "shearlet3d": lambda: fastshear.Shearlet3D((34, 36, 35), scales=1, full=True),
        "radon2d": lambda: fastshear.Radon2D((32, 30), np.arange(0, 180, 7.0), circle=False),
        "radon2d_fan": lambda: fastshear.Radon2D((32, 32), np.arange(0, 360, 10.0), geometry="fan",
                                                 source_distance=80.0, detector_distance=20.0,
                                                 dtype=np.float32),
    }


@pytest.fixture(scope="module", params=list(_plans()))
def plan(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        return _plans()[request.param]()


def _rand(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def test_protocol_attributes(plan):
    assert isinstance(plan, Plan)
    assert isinstance(plan.in_shape, tuple) and isinstance(plan.out_shape, tuple)
    assert all(isinstance(v, int) for v in plan.in_shape + plan.out_shape)
    assert plan.dtype in (np.dtype(np.float32), np.dtype(np.float64))
    assert plan.workers in (None, 1)
    x = _rand((2,) + plan.in_shape, plan.dtype)
    y = plan.forward(x, workers=1)
    assert y.shape == (2,) + plan.out_shape and y.dtype == plan.dtype
    z = plan.adjoint(y, workers=1)
    assert z.shape == x.shape and z.dtype == plan.dtype


def test_old_names_still_work():
    R = fastshear.Radon2D((32, 30), np.arange(0, 180, 7.0), circle=False)
    assert R.shape == R.in_shape == (32, 30)
    assert R.sinogram_shape == R.out_shape == (R.n_angles, R.n_det)
    sh = fastshear.Shearlet2D((64, 64), scales=1)
    assert sh.shape == sh.in_shape and sh.out_shape == (sh.n_shearlets, 64, 64)


@pytest.mark.parametrize("adjoint", [False, True])
def test_out_identical(plan, adjoint):
    src, dst = (plan.out_shape, plan.in_shape) if adjoint else (plan.in_shape, plan.out_shape)
    f = plan.adjoint if adjoint else plan.forward
    x = _rand((3,) + src, plan.dtype, seed=1)
    ref = f(x)
    out = np.full((3,) + dst, np.nan, dtype=plan.dtype)
    got = f(x, out=out)
    assert got is out
    np.testing.assert_array_equal(out, ref)
    # a single (unbatched) input
    out1 = np.empty(dst, dtype=plan.dtype)
    assert f(x[0], out=out1) is out1
    np.testing.assert_array_equal(out1, ref[0])


@pytest.mark.parametrize("adjoint", [False, True])
def test_out_rejects_wrong_shape_dtype_and_overlap(plan, adjoint):
    src, dst = (plan.out_shape, plan.in_shape) if adjoint else (plan.in_shape, plan.out_shape)
    f = plan.adjoint if adjoint else plan.forward
    x = _rand(src, plan.dtype)
    other = np.float64 if plan.dtype == np.float32 else np.float32
    with pytest.raises(TypeError, match="dtype"):
        f(x, out=np.empty(dst, dtype=other))
    with pytest.raises(ValueError, match="shape"):
        f(x, out=np.empty((2,) + dst, dtype=plan.dtype))
    with pytest.raises(ValueError, match="C-contiguous"):
        f(x, out=np.empty(dst[::-1], dtype=plan.dtype).T)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        f(x, out=[0.0])
    ro = np.empty(dst, dtype=plan.dtype)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="writeable"):
        f(x, out=ro)


def test_pickle_round_trip(plan):
    clone = pickle.loads(pickle.dumps(plan))
    assert type(clone) is type(plan) and clone is not plan
    assert repr(clone) == repr(plan)
    assert (clone.in_shape, clone.out_shape, clone.dtype, clone.workers) == \
        (plan.in_shape, plan.out_shape, plan.dtype, plan.workers)
    x = _rand((2,) + plan.in_shape, plan.dtype, seed=2)
    y = plan.forward(x)
    np.testing.assert_array_equal(clone.forward(x), y)
    np.testing.assert_array_equal(clone.adjoint(y), plan.adjoint(y))


def test_pickle_keeps_the_geometry():
    R = fastshear.Radon2D((40, 40), [0.0, 33.0, 95.5], n_det=51, det_spacing=0.75, geometry="fan",
                          source_distance=90.0, detector_distance=10.0, workers=2)
    C = pickle.loads(pickle.dumps(R))
    for name in ("shape", "n_det", "det_spacing", "circle", "geometry", "source_distance",
                 "detector_distance", "dtype", "workers"):
        assert getattr(C, name) == getattr(R, name), name
    np.testing.assert_array_equal(C.theta, R.theta)
    sh = fastshear.Shearlet2D((80, 80), scales=2, shear_levels=(0, 2), full=True)
    C2 = pickle.loads(pickle.dumps(sh))
    assert (C2.scales, C2.shear_levels, C2.full) == (2, (0, 2), True)
    np.testing.assert_array_equal(C2.indices, sh.indices)


def test_unpickling_does_not_repeat_the_fallback_warning():
    with pytest.warns(fastshear.ShearletFallbackWarning):
        sh = fastshear.Shearlet2D((40, 40), scales=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clone = pickle.loads(pickle.dumps(sh))
    assert clone.filter_config == sh.filter_config > 1
    with pytest.warns(fastshear.ShearletFallbackWarning):  # a new plan still warns
        fastshear.Shearlet2D((40, 40), scales=2)


def test_cached_arrays_read_only():
    sh = fastshear.Shearlet2D((64, 64), scales=2)
    for a in (sh.rms, sh.indices):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 1.0
    other = fastshear.Shearlet2D((64, 64), scales=2)
    assert other.rms[0] == sh.rms[0]
    s = sh.spectra
    s[0] = 0  # computed on request: the caller's own copy
    assert np.abs(sh.spectra[0]).max() > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        sh3 = fastshear.Shearlet3D((34, 34, 34), scales=1)
    for a in (sh3.rms, sh3.indices):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 1.0
    R = fastshear.Radon2D((16, 16), [0.0, 45.0])
    with pytest.raises(ValueError, match="read-only"):
        R.theta[0] = 3.0


def test_as_operator_every_plan(plan):
    op = as_operator(plan)
    assert isinstance(op, PlanOperator)
    assert (op.in_shape, op.out_shape, op.dtype) == (plan.in_shape, plan.out_shape, plan.dtype)
    tol = 1e-5 if plan.dtype == np.float32 else 1e-12
    assert dot_test(op) < tol
    clone = pickle.loads(pickle.dumps(op))
    x = _rand(plan.in_shape, plan.dtype, seed=3)
    np.testing.assert_array_equal(clone.forward(x), op.forward(x))


def test_as_operator_shearlet3d_norm_is_the_frame_bound():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        sh = fastshear.Shearlet3D((34, 34, 34), scales=1)
    op = as_operator(sh)
    assert op.norm() == pytest.approx(np.sqrt(sh.frame_bounds[1]))
    assert op.T.in_shape == sh.out_shape


def test_shearlet3d_denoising_with_analysis_l1():
    from fastshear.solvers import analysis_l1

    n = 36
    clean = fastshear.phantoms.cartoon3d((n, n, n), seed=0)
    noisy = clean + 0.1 * np.random.default_rng(1).standard_normal(clean.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        sh = fastshear.Shearlet3D((n, n, n), scales=1)
    w = 0.3 * sh.rms.copy()  # 3 sigma RMS_i per band, the lowpass not penalised
    w[-1] = 0.0
    r = analysis_l1(None, noisy, sh, w, max_iter=30)
    assert r.x.shape == clean.shape
    # measured 0.86 of the noisy error (hard thresholding, shearlet_denoise3d: 0.61)
    assert np.linalg.norm(r.x - clean) < 0.95 * np.linalg.norm(noisy - clean)


def test_operators_follow_the_protocol():
    from fastshear.operators import Gradient2D, MatrixOperator

    sh = fastshear.Shearlet2D((64, 64), scales=1, workers=1)
    R = fastshear.Radon2D((64, 64), np.arange(0, 180, 10.0))
    RS = as_operator(R) @ as_operator(sh).T
    A = 2.0 * RS + as_operator(R) @ Gradient2D((64, 64)).T @ Gradient2D((64, 64)) @ as_operator(sh).T
    assert A.workers is None and as_operator(sh).workers == 1
    y = _rand((2,) + A.in_shape, np.float64, seed=4)
    ref = A.forward(y)
    out = np.empty_like(ref)
    assert A.forward(y, out=out) is out
    np.testing.assert_array_equal(out, ref)
    back = np.empty((2,) + A.in_shape)
    assert A.adjoint(ref, out=back) is back
    np.testing.assert_array_equal(back, A.adjoint(ref))
    with pytest.raises(ValueError, match="shape"):
        A.forward(y, out=np.empty(A.out_shape))
    with pytest.raises(TypeError, match="dtype"):
        A.forward(y, out=np.empty_like(ref, dtype=np.float32))
    # a wrapped plan takes out= and workers= itself
    S = as_operator(sh)
    x = _rand(sh.in_shape, np.float64, seed=5)
    c = np.empty(sh.out_shape)
    assert S.forward(x, out=c, workers=2) is c
    np.testing.assert_array_equal(c, sh.forward(x))
    # compound operators pickle: their plans by construction arguments
    clone = pickle.loads(pickle.dumps(A))
    np.testing.assert_array_equal(clone.forward(y), ref)
    M = MatrixOperator(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(M)).forward(np.ones(3)), M.forward(np.ones(3)))


def test_spectrum_of_one_band_in_2d_as_in_3d():
    sh = fastshear.Shearlet2D((80, 76), scales=2)
    s = sh.spectra
    for j in (0, 5, sh.n_shearlets - 1, -2):
        np.testing.assert_array_equal(sh.spectrum(j), s[j])
    for bad in (sh.n_shearlets, -sh.n_shearlets - 1, 1.0, True):
        with pytest.raises(ValueError, match="j must be an integer"):
            sh.spectrum(bad)
