"""Hostile input (issue 13): every public entry point refuses what cannot work, quickly, with the
exact exception type and a message that names the parameter; nothing hangs, nothing returns a
silently wrong result.

Conventions checked here (README, "Guarantees"): a value of the wrong kind (a string, None, a list
where a number is needed, a complex number) is a TypeError; a number of the right kind that cannot
work (NaN, inf, out of range, a fraction where an integer is needed, a wrong shape) is a
ValueError; a size that cannot be allocated is a MemoryError naming the size. The solver and CT
cases are in test_hostile_solvers.py.
"""
from __future__ import annotations


import numpy as np
import pytest

import fastshear
from fastshear import DenseNet, Radon2D, Shearlet2D, Shearlet3D, cli, phantoms
from fastshear.operators import (Diagonal, Gradient2D, Identity, MatrixOperator, as_operator, dot_test,
                                 norm)

CASES = []


def case(id, exc, needle, fn):
    CASES.append(pytest.param(fn, exc, needle, id=id))


def expect(fn, exc, needle):
    with pytest.raises(BaseException) as ei:
        fn()
    assert type(ei.value) is exc, f"expected {exc.__name__}, got {type(ei.value).__name__}: {ei.value}"
    assert needle in str(ei.value), f"{needle!r} not in the message {str(ei.value)!r}"


# ------------------------------------------------------------------------------------------------
# Generic bad values of each kind of parameter: (label, value, exception).

BAD_INT_GE1 = [
    ("zero", 0, ValueError), ("negative", -3, ValueError), ("fraction", 2.5, ValueError),
    ("nan", float("nan"), ValueError), ("inf", float("inf"), ValueError), ("bool", True, ValueError),
    ("str", "3", TypeError), ("list", [3], TypeError), ("complex", 3j, ValueError),
    ("huge", 2**64, ValueError), ("npfloat", np.float64(2.0), ValueError),
]
BAD_SCALES = BAD_INT_GE1 + [("too_many", 100, ValueError), ("none", None, TypeError), ("31", 31, ValueError)]
BAD_WORKERS = [
    ("zero", 0, ValueError), ("negative", -1, ValueError), ("fraction", 1.5, ValueError),
    ("huge", 2**31, ValueError), ("str", "2", TypeError), ("list", [2], TypeError), ("bool", True, ValueError),
    ("nan", float("nan"), ValueError),
]
BAD_DTYPES = [
    ("int32", np.int32, TypeError), ("complex", np.complex128, TypeError), ("float16", np.float16, TypeError),
    ("object", object, TypeError), ("garbage", "nonsense", TypeError), ("bool", bool, TypeError),
]
BAD_FLAG = [("str", "yes", TypeError), ("none", None, TypeError), ("two", 2, TypeError), ("list", [True], TypeError)]
BAD_SHAPE_2D = [
    ("one_side", (64,), ValueError), ("three_sides", (8, 8, 8), ValueError), ("zero", (0, 64), ValueError),
    ("negative", (-1, 64), ValueError), ("fraction", (64.5, 64), ValueError), ("str_side", ("64", 64), TypeError),
    ("string", "64x64", TypeError), ("none", None, TypeError), ("int", 64, TypeError),
    ("over_int", (2**31, 64), ValueError), ("bool", (True, 64), ValueError), ("nan", (float("nan"), 64), ValueError),
]
BAD_SHAPE_3D = [
    ("two_sides", (40, 40), ValueError), ("zero", (0, 40, 40), ValueError), ("negative", (40, -40, 40), ValueError),
    ("fraction", (40, 40, 40.5), ValueError), ("str", "40", TypeError), ("none", None, TypeError),
    ("over_int", (40, 40, 2**31), ValueError),
]
BAD_NONNEG_REAL = [
    ("nan", float("nan"), ValueError), ("inf", float("inf"), ValueError), ("negative", -1.0, ValueError),
    ("str", "a", TypeError), ("none", None, TypeError), ("complex", 1j, TypeError), ("list", [1.0], TypeError),
    ("ninf", -float("inf"), ValueError),
]
BAD_IMAGE = [  # (label, array-like, exception) for a plan of image size (64, 64)
    ("complex", np.zeros((64, 64), complex), TypeError), ("strings", np.full((64, 64), "a"), TypeError),
    ("object", np.full((64, 64), None, dtype=object), TypeError), ("one_d", np.zeros(64), ValueError),
    ("wrong_rows", np.zeros((63, 64)), ValueError), ("wrong_cols", np.zeros((64, 65)), ValueError),
    ("transposed", np.zeros((64, 32)), ValueError), ("scalar", 1.0, ValueError), ("none", None, TypeError),
    ("ragged", [[1.0, 2.0], [3.0]], ValueError), ("empty", np.zeros((0,)), ValueError),
]


# ------------------------------------------------------------------------------------------------
# Shearlet2D

@pytest.fixture(scope="module")
def sh2():
    return Shearlet2D((64, 64), 1)


for label, v, exc in BAD_SHAPE_2D:
    case(f"Shearlet2D-shape-{label}", exc, "shape", lambda v=v: Shearlet2D(v, 1))
for label, v, exc in BAD_SCALES:
    case(f"Shearlet2D-scales-{label}", exc, "scales", lambda v=v: Shearlet2D((64, 64), v))
for label, v, exc in [
    ("short", [1], ValueError), ("negative", [1, -1], ValueError), ("fractions", [0.5, 1.7], ValueError),
    ("str_item", [1, "a"], TypeError), ("string", "11", TypeError), ("huge_level", [1, 40], ValueError),
    ("nan_item", [1, float("nan")], ValueError), ("nested", [[1, 1]], TypeError), ("scalar", 5, ValueError),
    ("none_item", [1, None], TypeError), ("long", [1, 1, 1], ValueError), ("level_31", [1, 31], ValueError),
]:
    case(f"Shearlet2D-shear_levels-{label}", exc, "shear_levels",
         lambda v=v: Shearlet2D((64, 64), 2, shear_levels=v))
for label, v, exc in BAD_FLAG:
    case(f"Shearlet2D-full-{label}", exc, "full", lambda v=v: Shearlet2D((64, 64), 1, full=v))
for label, v, exc in BAD_DTYPES:
    case(f"Shearlet2D-dtype-{label}", exc, "dtype", lambda v=v: Shearlet2D((64, 64), 1, dtype=v))
for label, v, exc in BAD_WORKERS:
    case(f"Shearlet2D-workers-{label}", exc, "workers", lambda v=v: Shearlet2D((64, 64), 1, workers=v))
# the hangs of the issue: refused at once, the limit named
case("Shearlet2D-hang-scales100", ValueError, "scales", lambda: Shearlet2D((64, 64), 100))
case("Shearlet2D-hang-level40", ValueError, "shear_levels", lambda: Shearlet2D((64, 64), 2, shear_levels=[1, 40]))
case("Shearlet2D-level20-too-small", ValueError, "at least", lambda: Shearlet2D((64, 64), 2, shear_levels=[1, 20]))
case("Shearlet2D-scales30-too-small", ValueError, "at least", lambda: Shearlet2D((64, 64), 30))
case("Shearlet2D-huge-plane", MemoryError, "bytes", lambda: Shearlet2D((10**6, 10**6), 1))
case("Shearlet2D-huge-level-plane", MemoryError, "shear_levels", lambda: Shearlet2D((100000, 100000), 1, shear_levels=[8]))
case("Shearlet2D-too-small", ValueError, "at least 33x33", lambda: Shearlet2D((32, 32), 2))


def _sh2_call(method, arg, **kw):
    return lambda: getattr(Shearlet2D((64, 64), 1), method)(arg, **kw)


for label, v, exc in BAD_IMAGE:
    case(f"Shearlet2D.forward-x-{label}", exc, "x", _sh2_call("forward", v))
for meth in ("adjoint", "inverse"):
    for label, v, exc in [
        ("complex", np.zeros((9, 64, 64), complex), TypeError), ("wrong_bands", np.zeros((8, 64, 64)), ValueError),
        ("image", np.zeros((64, 64)), ValueError), ("strings", np.full((9, 64, 64), "a"), TypeError),
        ("none", None, TypeError), ("wrong_side", np.zeros((9, 64, 63)), ValueError),
    ]:
        case(f"Shearlet2D.{meth}-c-{label}", exc, "coefficients", _sh2_call(meth, v))
for label, v, exc in BAD_WORKERS:
    case(f"Shearlet2D.forward-workers-{label}", exc, "workers", _sh2_call("forward", np.zeros((64, 64)), workers=v))
_buf = np.zeros(9 * 64 * 64 * 8 + 8, np.uint8)
for label, v, exc in [
    ("list", [0.0], TypeError), ("float32", np.zeros((9, 64, 64), np.float32), TypeError),
    ("shape", np.zeros((8, 64, 64)), ValueError), ("strided", np.zeros((9, 64, 128))[..., ::2], ValueError),
    ("readonly", np.broadcast_to(np.zeros(1), (9, 64, 64)), ValueError),
    ("misaligned", np.frombuffer(_buf[1:1 + 9 * 64 * 64 * 8].data, np.float64).reshape(9, 64, 64), ValueError),
]:
    case(f"Shearlet2D.forward-out-{label}", exc, "out", _sh2_call("forward", np.zeros((64, 64)), out=v))
case("Shearlet2D.forward-huge-batch", MemoryError, "x",
     lambda: Shearlet2D((64, 64), 1).forward(np.broadcast_to(np.zeros((1, 64, 64)), (10**7, 64, 64))))

# shearlet_denoise
for label, v, exc in BAD_NONNEG_REAL:
    case(f"shearlet_denoise-noise_level-{label}", exc, "noise_level", lambda v=v: fastshear.shearlet_denoise(np.zeros((64, 64)), v, scales=1))
    case(f"shearlet_denoise-k-{label}", exc, "k", lambda v=v: fastshear.shearlet_denoise(np.zeros((64, 64)), 0.1, scales=1, k=v))
for label, v, exc in BAD_SCALES:
    case(f"shearlet_denoise-scales-{label}", exc, "scales", lambda v=v: fastshear.shearlet_denoise(np.zeros((64, 64)), 0.1, scales=v))
for label, v, exc in [("complex", np.zeros((64, 64), complex), TypeError), ("one_d", np.zeros(64), ValueError),
                      ("strings", np.full((64, 64), "a"), TypeError), ("ragged", [[1.0], [1.0, 2.0]], ValueError)]:
    case(f"shearlet_denoise-image-{label}", exc, "image", lambda v=v: fastshear.shearlet_denoise(v, 0.1, scales=1))


# ------------------------------------------------------------------------------------------------
# Shearlet3D

for label, v, exc in BAD_SHAPE_3D:
    case(f"Shearlet3D-shape-{label}", exc, "shape", lambda v=v: Shearlet3D(v, 1))
for label, v, exc in BAD_SCALES:
    case(f"Shearlet3D-scales-{label}", exc, "scales", lambda v=v: Shearlet3D((40, 40, 40), v))
for label, v, exc in [("short", [1], ValueError), ("fractions", [0.5, 1.5], ValueError), ("str", [1, "a"], TypeError),
                      ("huge", [1, 40], ValueError), ("negative", [0, -2], ValueError)]:
    case(f"Shearlet3D-shear_levels-{label}", exc, "shear_levels", lambda v=v: Shearlet3D((40, 40, 40), 2, shear_levels=v))
for label, v, exc in BAD_FLAG:
    case(f"Shearlet3D-full-{label}", exc, "full", lambda v=v: Shearlet3D((40, 40, 40), 1, full=v))
for label, v, exc in BAD_DTYPES[:3]:
    case(f"Shearlet3D-dtype-{label}", exc, "dtype", lambda v=v: Shearlet3D((40, 40, 40), 1, dtype=v))
for label, v, exc in BAD_WORKERS[:4]:
    case(f"Shearlet3D-workers-{label}", exc, "workers", lambda v=v: Shearlet3D((40, 40, 40), 1, workers=v))
case("Shearlet3D-hang-scales100", ValueError, "scales", lambda: Shearlet3D((36, 36, 36), 100))
case("Shearlet3D-too-small", ValueError, "smallest volume", lambda: Shearlet3D((20, 40, 40), 1))


def _sh3_call(method, arg, **kw):
    return lambda: getattr(Shearlet3D((40, 40, 40), 1), method)(arg, **kw)


for label, v, exc in [("huge", 10**6, ValueError), ("negative", -10**6, ValueError), ("str", "a", TypeError),
                      ("fraction", 2.5, TypeError), ("two_d", [[0, 1]], ValueError), ("mask", np.ones(3, bool), ValueError),
                      ("bool", True, TypeError), ("strings", ["a"], TypeError)]:
    case(f"Shearlet3D.forward-bands-{label}", exc, "bands", _sh3_call("forward", np.zeros((40, 40, 40)), bands=v))
for label, v, exc in [("complex", np.zeros((40, 40, 40), complex), TypeError), ("wrong", np.zeros((40, 40, 41)), ValueError),
                      ("two_d", np.zeros((40, 40)), ValueError), ("none", None, TypeError)]:
    case(f"Shearlet3D.forward-x-{label}", exc, "x", _sh3_call("forward", v))
case("Shearlet3D.adjoint-wrong-bands", ValueError, "coefficients", _sh3_call("adjoint", np.zeros((3, 40, 40, 40))))
case("Shearlet3D.spectrum-j-huge", ValueError, "j", lambda: Shearlet3D((40, 40, 40), 1).spectrum(10**9))
for label, v, exc in BAD_NONNEG_REAL[:5]:
    case(f"shearlet_denoise3d-noise_level-{label}", exc, "noise_level",
         lambda v=v: fastshear.shearlet_denoise3d(np.zeros((40, 40, 40)), v, scales=1))
    case(f"shearlet_denoise3d-k-{label}", exc, "k",
         lambda v=v: fastshear.shearlet_denoise3d(np.zeros((40, 40, 40)), 0.1, scales=1, k=v))
for label, v, exc in BAD_INT_GE1[:8]:
    case(f"shearlet_denoise3d-chunk-{label}", exc, "chunk",
         lambda v=v: fastshear.shearlet_denoise3d(np.zeros((40, 40, 40)), 0.1, scales=1, chunk=v))
case("shearlet_denoise3d-volume-2d", ValueError, "volume", lambda: fastshear.shearlet_denoise3d(np.zeros((40, 40)), 0.1))
case("shearlet_denoise3d-volume-complex", TypeError, "volume",
     lambda: fastshear.shearlet_denoise3d(np.zeros((40, 40, 40), complex), 0.1))


# ------------------------------------------------------------------------------------------------
# Radon2D

TH = np.arange(0.0, 180.0, 10.0)
for label, v, exc in BAD_SHAPE_2D:
    case(f"Radon2D-shape-{label}", exc, "shape", lambda v=v: Radon2D(v, TH))
case("Radon2D-hang-huge-image", MemoryError, "image", lambda: Radon2D((10**6, 10**6), [0.0]))
case("Radon2D-side-over-2^24", ValueError, "shape", lambda: Radon2D((2**25, 4), [0.0]))
for label, v, exc in [("empty", [], ValueError), ("nan", [0.0, np.nan], ValueError), ("inf", [np.inf], ValueError),
                      ("string", "abc", TypeError), ("two_d", [[0.0, 1.0], [2.0, 3.0]], ValueError),
                      ("complex", [1j], TypeError), ("none", None, TypeError), ("objects", [0.0, None], TypeError),
                      ("ragged", [[0.0], [1.0, 2.0]], ValueError), ("ninf", [-np.inf], ValueError)]:
    case(f"Radon2D-theta-{label}", exc, "theta", lambda v=v: Radon2D((32, 32), v))
for label, v, exc in BAD_INT_GE1 + [("over_int", 2**31, ValueError), ("over_2^24", 2**24 + 1, ValueError),
                                    ("2^40", 2**40, ValueError)]:
    case(f"Radon2D-n_det-{label}", exc, "n_det", lambda v=v: Radon2D((32, 32), TH, n_det=v))
for label, v, exc in BAD_NONNEG_REAL + [("zero", 0.0, ValueError), ("tiny", 1e-13, ValueError), ("huge", 1e13, ValueError)]:
    case(f"Radon2D-det_spacing-{label}", exc, "det_spacing", lambda v=v: Radon2D((32, 32), TH, det_spacing=v))
for label, v, exc in BAD_FLAG:
    case(f"Radon2D-circle-{label}", exc, "circle", lambda v=v: Radon2D((32, 32), TH, circle=v))
for label, v, exc in [("cone", "cone", ValueError), ("none", None, TypeError), ("int", 1, TypeError),
                      ("upper", "FAN", ValueError), ("list", ["fan"], TypeError)]:
    case(f"Radon2D-geometry-{label}", exc, "geometry", lambda v=v: Radon2D((32, 32), TH, geometry=v))
BAD_DISTANCE = [b for b in BAD_NONNEG_REAL if b[0] != "none"]  # None: not given
for label, v, exc in BAD_DISTANCE + [("zero", 0.0, ValueError), ("far", 1e30, ValueError), ("inside", 10.0, ValueError)]:
    case(f"Radon2D-source_distance-{label}", exc, "source_distance",
         lambda v=v: Radon2D((32, 32), TH, geometry="fan", source_distance=v))
for label, v, exc in BAD_DISTANCE + [("far", 1e30, ValueError)]:
    case(f"Radon2D-detector_distance-{label}", exc, "detector_distance",
         lambda v=v: Radon2D((32, 32), TH, geometry="fan", source_distance=100.0, detector_distance=v))
case("Radon2D-source_distance-missing", ValueError, "source_distance", lambda: Radon2D((32, 32), TH, geometry="fan"))
case("Radon2D-source_distance-parallel", ValueError, "source_distance", lambda: Radon2D((32, 32), TH, source_distance=100.0))
case("Radon2D-fan-default-n_det-huge", ValueError, "n_det",
     lambda: Radon2D((32, 32), TH, geometry="fan", source_distance=100.0, detector_distance=1e9, det_spacing=1e-3))
for label, v, exc in BAD_DTYPES:
    case(f"Radon2D-dtype-{label}", exc, "dtype", lambda v=v: Radon2D((32, 32), TH, dtype=v))
for label, v, exc in BAD_WORKERS:
    case(f"Radon2D-workers-{label}", exc, "workers", lambda v=v: Radon2D((32, 32), TH, workers=v))


def _radon_call(method, arg, **kw):
    return lambda: getattr(Radon2D((64, 64), TH), method)(arg, **kw)


for label, v, exc in BAD_IMAGE:
    case(f"Radon2D.forward-x-{label}", exc, "x", _radon_call("forward", v))
for meth in ("adjoint", "fbp"):
    for label, v, exc in [("complex", np.zeros((18, 64), complex), TypeError), ("wrong_angles", np.zeros((17, 64)), ValueError),
                          ("wrong_bins", np.zeros((18, 63)), ValueError), ("transposed", np.zeros((64, 18)), ValueError),
                          ("strings", np.full((18, 64), "a"), TypeError), ("none", None, TypeError),
                          ("one_d", np.zeros(18), ValueError)]:
        case(f"Radon2D.{meth}-sinogram-{label}", exc, "sinogram", _radon_call(meth, v))
for label, v, exc in [("unknown", "blackman", ValueError), ("list", ["hann"], TypeError), ("none", None, TypeError),
                      ("int", 1, TypeError), ("upper", "HANN", ValueError)]:
    case(f"Radon2D.fbp-filter_name-{label}", exc, "filter_name", lambda v=v: Radon2D((64, 64), TH).fbp(np.zeros((18, 64)), v))
for label, v, exc in BAD_WORKERS:
    case(f"Radon2D.forward-workers-{label}", exc, "workers", _radon_call("forward", np.zeros((64, 64)), workers=v))
case("Radon2D.forward-huge-batch", MemoryError, "x",
     lambda: Radon2D((64, 64), TH).forward(np.broadcast_to(np.zeros((1, 64, 64)), (10**9, 64, 64))))


# ------------------------------------------------------------------------------------------------
# Operators

case("Identity-shape-mismatch", ValueError, "x", lambda: Identity(3).forward(np.ones(5)))
case("Identity-adjoint-mismatch", ValueError, "y", lambda: Identity((2, 3)).adjoint(np.ones((3, 2))))
case("Identity-complex", TypeError, "x", lambda: Identity(3).forward(np.ones(3, complex)))
case("Identity-strings", TypeError, "x", lambda: Identity(3).forward(["a", "b", "c"]))
case("Identity-shape-zero", ValueError, "shape", lambda: Identity(0))
case("Identity-shape-str", TypeError, "shape", lambda: Identity("a"))
case("Identity-shape-none", TypeError, "shape", lambda: Identity(None))
case("Identity-shape-negative", ValueError, "shape", lambda: Identity((3, -1)))
case("Identity-dtype", TypeError, "dtype", lambda: Identity(3, dtype=np.int64))
case("Diagonal-broadcast", ValueError, "x", lambda: Diagonal(np.ones(4)).forward(np.ones((4, 1))))
case("Diagonal-shorter", ValueError, "x", lambda: Diagonal(np.ones(4)).forward(np.ones(3)))
case("Diagonal-complex-d", TypeError, "d", lambda: Diagonal(np.ones(4) * 1j))
case("Diagonal-strings-d", TypeError, "d", lambda: Diagonal(["a"]))
case("Diagonal-complex-x", TypeError, "x", lambda: Diagonal(np.ones(4)).forward(np.ones(4) + 1j))
case("MatrixOperator-complex", TypeError, "matrix", lambda: MatrixOperator(np.eye(3) * 1j))
case("MatrixOperator-1d", ValueError, "matrix", lambda: MatrixOperator(np.ones(3)))
case("MatrixOperator-strings", TypeError, "matrix", lambda: MatrixOperator([["a"]]))
case("MatrixOperator-ragged", ValueError, "matrix", lambda: MatrixOperator([[1.0, 2.0], [3.0]]))
case("MatrixOperator-wrong-x", ValueError, "x", lambda: MatrixOperator(np.ones((2, 3))).forward(np.ones(2)))
case("MatrixOperator-wrong-y", ValueError, "y", lambda: MatrixOperator(np.ones((2, 3))).adjoint(np.ones(3)))
case("MatrixOperator-complex-x", TypeError, "x", lambda: MatrixOperator(np.ones((2, 3))).forward(np.ones(3) * 1j))
case("Gradient2D-wrong-image", ValueError, "x", lambda: Gradient2D((4, 5)).forward(np.ones((6, 7))))
case("Gradient2D-wrong-field", ValueError, "y", lambda: Gradient2D((4, 5)).adjoint(np.ones((2, 6, 7))))
case("Gradient2D-shape-1d", ValueError, "shape", lambda: Gradient2D((4,)))
case("Gradient2D-shape-str", TypeError, "shape", lambda: Gradient2D("ab"))
case("Scaled-nan", ValueError, "scale", lambda: Identity(3) * float("nan"))
case("Scaled-inf", ValueError, "scale", lambda: float("inf") * Identity(3))
case("Scaled-complex", ValueError, "scale", lambda: Identity(3) * 1j)
case("Scaled-divide-zero", ValueError, "scale", lambda: Identity(3) / 0)
case("Composition-mismatch", ValueError, "compose", lambda: Identity(3) @ Identity(4))
case("Sum-mismatch", ValueError, "add", lambda: Identity(3) + Identity(4))
case("as_operator-str", TypeError, "operator", lambda: as_operator("a"))
case("as_operator-1d", TypeError, "operator", lambda: as_operator(np.ones(3)))
case("dot_test-str", TypeError, "operator", lambda: dot_test("a"))
for label, v, exc in BAD_INT_GE1[:8]:
    case(f"norm-max_iter-{label}", exc, "max_iter", lambda v=v: norm(Identity(3), max_iter=v))
for label, v, exc in BAD_NONNEG_REAL[:6]:
    case(f"norm-tol-{label}", exc, "tol", lambda v=v: norm(Identity(3), tol=v))
case("PlanOperator-wrong-x", ValueError, "x", lambda: as_operator(Shearlet2D((64, 64), 1)).forward(np.ones((32, 32))))
case("PlanOperator-complex", TypeError, "x", lambda: as_operator(Radon2D((32, 32), TH)).forward(np.ones((32, 32), complex)))


# ------------------------------------------------------------------------------------------------
# Phantoms

for fn_name, fn in [("cartoon", phantoms.cartoon), ("shepp_logan", phantoms.shepp_logan),
                    ("random_ellipses", phantoms.random_ellipses), ("shepp_logan_ellipses", phantoms.shepp_logan_ellipses)]:
    for label, v, exc in BAD_SHAPE_2D[:10]:
        case(f"{fn_name}-shape-{label}", exc, "shape", lambda v=v, fn=fn: fn(v))
    case(f"{fn_name}-shape-huge", MemoryError, "shape", lambda fn=fn: fn((10**6, 10**6)))
for label, v, exc in BAD_SHAPE_3D:
    case(f"cartoon3d-shape-{label}", exc, "shape", lambda v=v: phantoms.cartoon3d(v))
for fn_name, fn, shape in [("cartoon", phantoms.cartoon, (16, 16)), ("cartoon3d", phantoms.cartoon3d, (8, 8, 8)),
                           ("shepp_logan", phantoms.shepp_logan, (16, 16))]:
    for label, v, exc in BAD_DTYPES:
        case(f"{fn_name}-dtype-{label}", exc, "dtype", lambda v=v, fn=fn, shape=shape: fn(shape, dtype=v))
for label, v, exc in [("negative", -1, ValueError), ("str", "a", TypeError), ("fraction", 1.5, ValueError),
                      ("list", [1], TypeError)]:
    case(f"cartoon-seed-{label}", exc, "seed", lambda v=v: phantoms.cartoon((16, 16), seed=v))
    case(f"random_ellipses-seed-{label}", exc, "seed", lambda v=v: phantoms.random_ellipses((16, 16), seed=v))
for label, v, exc in [("negative", -1, ValueError), ("fraction", 2.5, ValueError), ("str", "3", TypeError),
                      ("huge", 10**9, ValueError)]:
    case(f"cartoon-n_regions-{label}", exc, "n_regions", lambda v=v: phantoms.cartoon((16, 16), n_regions=v))
    case(f"cartoon3d-n_regions-{label}", exc, "n_regions", lambda v=v: phantoms.cartoon3d((8, 8, 8), n_regions=v))
    case(f"random_ellipses-n_ellipses-{label}", exc, "n_ellipses",
         lambda v=v: phantoms.random_ellipses((16, 16), n_ellipses=v))
for label, v, exc in BAD_INT_GE1[:8] + [("huge", 5000, ValueError)]:
    case(f"shepp_logan-oversample-{label}", exc, "oversample", lambda v=v: phantoms.shepp_logan((16, 16), oversample=v))
case("ellipse_image-oversample-memory", MemoryError, "oversample",
     lambda: phantoms.ellipse_image([[1.0, 2, 2, 0, 0, 0]], (4000, 4000), oversample=1000))
for label, v, exc in [("wrong_columns", [[1.0, 2.0]], ValueError), ("nan", [[1.0, np.nan, 1, 0, 0, 0]], ValueError),
                      ("negative_axis", [[1.0, -1, 1, 0, 0, 0]], ValueError), ("strings", [["a"] * 6], TypeError),
                      ("ragged", [[1.0], [1.0, 2.0]], ValueError), ("none", None, TypeError)]:
    case(f"ellipse_image-ellipses-{label}", exc, "ellipses", lambda v=v: phantoms.ellipse_image(v, (16, 16)))
    case(f"ellipse_sinogram-ellipses-{label}", exc, "ellipses", lambda v=v: phantoms.ellipse_sinogram(v, [0.0], 16))
E1 = [[1.0, 4, 4, 0, 0, 0]]
for label, v, exc in [("empty", [], ValueError), ("nan", [np.nan], ValueError), ("str", "a", TypeError)]:
    case(f"ellipse_sinogram-theta-{label}", exc, "theta", lambda v=v: phantoms.ellipse_sinogram(E1, v, 16))
for label, v, exc in BAD_INT_GE1[:8]:
    case(f"ellipse_sinogram-n_det-{label}", exc, "n_det", lambda v=v: phantoms.ellipse_sinogram(E1, [0.0], v))
for label, v, exc in BAD_NONNEG_REAL[:5]:
    case(f"ellipse_sinogram-det_spacing-{label}", exc, "det_spacing",
         lambda v=v: phantoms.ellipse_sinogram(E1, [0.0], 16, det_spacing=v))
case("ellipse_sinogram-geometry-cone", ValueError, "geometry", lambda: phantoms.ellipse_sinogram(E1, [0.0], 16, geometry="cone"))
case("ellipse_sinogram-geometry-int", TypeError, "geometry", lambda: phantoms.ellipse_sinogram(E1, [0.0], 16, geometry=1))
case("ellipse_sinogram-fan-missing", ValueError, "source_distance", lambda: phantoms.ellipse_sinogram(E1, [0.0], 16, geometry="fan"))
case("ellipse_sinogram-n_det-memory", MemoryError, "sinogram",
     lambda: phantoms.ellipse_sinogram(E1, np.zeros(10**5), 10**6))


# ------------------------------------------------------------------------------------------------
# DenseNet (LRP, pruning, files)

RNG = np.random.default_rng(0)
W = [RNG.standard_normal((4, 3)), RNG.standard_normal((2, 4))]
B = [np.zeros(4), np.zeros(2)]


def _net():
    return DenseNet(W, B, dtype=np.float64)


for label, v, exc in [("none", None, TypeError), ("int", 1, TypeError), ("unknown", "tanh", ValueError),
                      ("list_int", [1], TypeError), ("too_many", ["relu", "relu"], ValueError),
                      ("upper", "ReLU", ValueError)]:
    case(f"DenseNet-activation-{label}", exc, "activation", lambda v=v: DenseNet(W, B, activation=v))
for label, v, exc in [("nan", float("nan"), ValueError), ("above", 2.0, ValueError), ("str", "a", TypeError),
                      ("negative", -0.1, ValueError)]:
    case(f"DenseNet-sparse_threshold-{label}", exc, "sparse_threshold", lambda v=v: DenseNet(W, B, sparse_threshold=v))
for label, v, exc in BAD_DTYPES:
    case(f"DenseNet-dtype-{label}", exc, "dtype", lambda v=v: DenseNet(W, B, dtype=v))
for label, v, exc in BAD_WORKERS:
    case(f"DenseNet-workers-{label}", exc, "workers", lambda v=v: DenseNet(W, B, workers=v))
case("DenseNet-weights-nan", ValueError, "weights[0]", lambda: DenseNet([W[0] * np.nan, W[1]], B))
case("DenseNet-weights-complex", TypeError, "weights[0]", lambda: DenseNet([W[0] + 0j, W[1]], B))
case("DenseNet-weights-strings", TypeError, "weights[0]", lambda: DenseNet([np.full((4, 3), "a"), W[1]], B))
case("DenseNet-biases-shape", ValueError, "biases[1]", lambda: DenseNet(W, [B[0], np.zeros(3)]))
case("DenseNet-weights-chain", ValueError, "weights[1]", lambda: DenseNet([W[0], np.ones((2, 5))], B))
case("DenseNet-x-width", ValueError, "x", lambda: _net()(np.zeros((5, 4))))
case("DenseNet-x-complex", TypeError, "x", lambda: _net()(np.zeros(3, complex)))
case("DenseNet-x-strings", TypeError, "x", lambda: _net()(["a", "b", "c"]))
for label, v, exc in [("unknown", "lrp", ValueError), ("int", 1, TypeError), ("none", None, TypeError)]:
    case(f"DenseNet.relevance-rule-{label}", exc, "rule", lambda v=v: _net().relevance(np.ones(3), rule=v))
for name in ("alpha", "beta"):
    for label, v, exc in [("nan", float("nan"), ValueError), ("inf", float("inf"), ValueError),
                          ("str", "a", TypeError), ("complex", 1j, TypeError)]:
        case(f"DenseNet.relevance-{name}-{label}", exc, name,
             lambda v=v, name=name: _net().relevance(np.ones(3), rule="alphabeta", **{name: v}))
case("DenseNet.relevance-alpha-beta-sum", ValueError, "alpha", lambda: _net().relevance(np.ones(3), rule="alphabeta", alpha=3.0, beta=1.0))
for label, v, exc in BAD_NONNEG_REAL[:6]:
    case(f"DenseNet.relevance-epsilon-{label}", exc, "epsilon", lambda v=v: _net().relevance(np.ones(3), epsilon=v))
for label, v, exc in [("fraction", 0.5, TypeError), ("range", 5, ValueError), ("negative", -1, ValueError),
                      ("shape", [0, 1, 0], ValueError), ("str", "a", TypeError)]:
    case(f"DenseNet.relevance-target-{label}", exc, "target", lambda v=v: _net().relevance(np.ones((2, 3)), target=v))
for label, v, exc in [("above", 2.0, ValueError), ("nan", float("nan"), ValueError), ("str", "a", TypeError)]:
    case(f"DenseNet.prune-fraction-{label}", exc, "fraction", lambda v=v: _net().prune(fraction=v))
for label, v, exc in [("negative", -1.0, ValueError), ("nan", float("nan"), ValueError), ("str", "a", TypeError)]:
    case(f"DenseNet.prune-threshold-{label}", exc, "threshold", lambda v=v: _net().prune(threshold=v))
case("DenseNet.prune-both", ValueError, "fraction", lambda: _net().prune(fraction=0.5, threshold=1.0))


def _load_bytes(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return DenseNet.load(p)


FILES = {
    "garbage": b"this is not a zip file at all",
    "empty": b"",
    "truncated_zip": b"PK\x03\x04" + b"\x00" * 20,
    "npy_magic_only": b"\x93NUMPY\x01\x00",
}
FILES["npy_token_error"] = (b"\x93NUMPY\x01\x00" + (56).to_bytes(2, "little")
                            + b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,\n".ljust(56) + b"\0" * 24)


@pytest.mark.parametrize("content", list(FILES), ids=list(FILES))
def test_densenet_load_garbage(tmp_path, content):
    expect(lambda: _load_bytes(tmp_path, "net.npz", FILES[content]), ValueError, "path")


def test_densenet_load_wrong_npz(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros(3))
    expect(lambda: DenseNet.load(tmp_path / "a.npz"), ValueError, "path")
    np.save(tmp_path / "b.npy", np.zeros(3))
    expect(lambda: DenseNet.load(tmp_path / "b.npy"), ValueError, "path")
    np.savez(tmp_path / "c.npz", meta=np.array('{"depth": 1, "activations": [], "dtype": "float32"}'),
             w0=np.zeros((2, 2), complex), b0=np.zeros(2))
    expect(lambda: DenseNet.load(tmp_path / "c.npz"), ValueError, "path")
    np.savez(tmp_path / "d.npz", meta=np.array('{"depth": 1000000000}'))
    expect(lambda: DenseNet.load(tmp_path / "d.npz"), ValueError, "path")
    expect(lambda: DenseNet.load(tmp_path / "missing.npz"), FileNotFoundError, "missing")


# ------------------------------------------------------------------------------------------------
# The table above, run


@pytest.mark.parametrize("fn,exc,needle", CASES)
def test_hostile(fn, exc, needle):
    expect(fn, exc, needle)


def test_case_count():
    """The suite is at least the issue's floor (400 hostile calls)."""
    assert len(CASES) >= 400, len(CASES)


# ------------------------------------------------------------------------------------------------
# Silently wrong results of the issue: now right (or refused, above)

def test_det_spacing_tiny_is_not_zero():
    """det_spacing=1e-12 overflowed int in the footprint and returned zeros."""
    x = phantoms.shepp_logan((32, 32))
    for kw in ({}, {"geometry": "fan", "source_distance": 100.0}):
        R = Radon2D((32, 32), [0.0, 45.0, 90.0], n_det=8, det_spacing=1e-12, **kw)
        s = R.forward(x)
        # every bin sits on the central ray: the same values as at a small spacing that does
        # not overflow (continuity in det_spacing), not zeros
        ref = Radon2D((32, 32), [0.0, 45.0, 90.0], n_det=8, det_spacing=1e-6, **kw).forward(x)
        assert np.all(s > 1)
        np.testing.assert_allclose(s, ref, rtol=1e-4)
        y = np.ones(R.sinogram_shape)
        assert np.isclose(np.vdot(s, y), np.vdot(x, R.adjoint(y)), rtol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_misaligned_arrays_give_the_aligned_results(dtype):
    """Odd-address views (a buffer sliced at one byte) are copied, never handed to the core."""
    def odd(a):
        buf = np.zeros(a.nbytes + 1, np.uint8)
        v = np.frombuffer(buf[1:].data, a.dtype).reshape(a.shape)
        v[...] = a
        assert not v.flags.aligned
        return v

    x = phantoms.cartoon((64, 64), dtype=dtype)
    sh = Shearlet2D((64, 64), 1, dtype=dtype)
    np.testing.assert_array_equal(sh.forward(odd(x)), sh.forward(x))
    c = sh.forward(x)
    np.testing.assert_array_equal(sh.inverse(odd(c)), sh.inverse(c))
    R = Radon2D((64, 64), TH, dtype=dtype)
    np.testing.assert_array_equal(R.forward(odd(x)), R.forward(x))
    s = R.forward(x)
    np.testing.assert_array_equal(R.fbp(odd(s)), R.fbp(s))
    np.testing.assert_array_equal(R.adjoint(odd(s)), R.adjoint(s))
    net = DenseNet(W, B, dtype=dtype)
    xs = RNG.standard_normal((7, 3)).astype(dtype)
    np.testing.assert_array_equal(net(odd(xs)), net(xs))
    np.testing.assert_array_equal(net.relevance(odd(xs)), net.relevance(xs))
    odd_w = [odd(np.asarray(w, dtype)) for w in W]
    np.testing.assert_array_equal(DenseNet(odd_w, B, dtype=dtype)(xs), net(xs))


def test_phantom_dtype_is_honoured():
    assert phantoms.cartoon((16, 16), dtype=np.float32).dtype == np.float32
    assert phantoms.cartoon3d((8, 8, 8), dtype=np.float32).dtype == np.float32


def test_denoise_k_nan_is_refused_not_identity():
    x = np.random.default_rng(0).standard_normal((64, 64))
    expect(lambda: fastshear.shearlet_denoise(x, 0.1, scales=1, k=float("nan")), ValueError, "k")


def test_lrp_nonfinite_alpha_refused():
    expect(lambda: _net().relevance(np.ones(3), rule="alphabeta", alpha=float("nan")), ValueError, "alpha")


# ------------------------------------------------------------------------------------------------
# The command line: one line on stderr, exit status 2, no partial output, for every bad input

def _cli_refuses(tmp_path, capsys, argv, needle, out="out"):
    before = sorted(p.name for p in tmp_path.rglob("*"))
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert needle in err, err
    after = sorted(p.name for p in tmp_path.rglob("*"))
    assert after == before, f"left behind: {set(after) - set(before)}"


@pytest.fixture
def files(tmp_path):
    x = phantoms.shepp_logan((64, 64))
    th = np.arange(-45, 46, 5.0)
    np.save(tmp_path / "sino.npy", Radon2D((64, 64), th).forward(x))
    np.save(tmp_path / "img.npy", x)
    (tmp_path / "empty.npy").write_bytes(b"")
    (tmp_path / "garbage.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    (tmp_path / "token.npy").write_bytes(_TOKEN_NPY)
    np.save(tmp_path / "nan.npy", np.full((19, 64), np.nan))
    np.save(tmp_path / "complex.npy", np.zeros((64, 64), complex))
    np.save(tmp_path / "strings.npy", np.full((64, 64), "a"))
    np.save(tmp_path / "zero_d.npy", np.float64(3))
    np.save(tmp_path / "small_sino.npy", np.zeros((19, 16)))
    (tmp_path / "dir.npy").mkdir()
    return tmp_path


# a header numpy's parser chokes on with tokenize.TokenError (found by scripts/fuzz.py)
_TOKEN_HEADER = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,\n"
_TOKEN_NPY = b"\x93NUMPY\x01\x00" + len(_TOKEN_HEADER).to_bytes(2, "little") + _TOKEN_HEADER + b"\0" * 24
RECON = ["--theta", "-45:45:5", "--shape", "64,64", "--method", "fbp", "-q"]
CLI_CASES = [
    ("recon-empty-npy", ["reconstruct", "{d}/empty.npy", *RECON, "-o", "{d}/o"], "empty.npy"),
    ("recon-garbage-npy", ["reconstruct", "{d}/garbage.npy", *RECON, "-o", "{d}/o"], "garbage.npy"),
    ("recon-token-npy", ["reconstruct", "{d}/token.npy", *RECON, "-o", "{d}/o"], "token.npy"),
    ("denoise-token-npy", ["denoise", "{d}/token.npy", "--noise-level", "0.1", "-o", "{d}/o"], "token.npy"),
    ("recon-nan-sino", ["reconstruct", "{d}/nan.npy", *RECON, "-o", "{d}/o"], "NaN"),
    ("recon-dir", ["reconstruct", "{d}/dir.npy", *RECON, "-o", "{d}/o"], "not a file"),
    ("recon-too-few-bins", ["reconstruct", "{d}/small_sino.npy", *RECON, "-o", "{d}/o"], "--shape"),
    ("recon-theta-huge", ["reconstruct", "{d}/sino.npy", "--theta", "0:1e12:1", "--shape", "64,64", "-o", "{d}/o"], "--theta"),
    ("recon-theta-nan", ["reconstruct", "{d}/sino.npy", "--theta", "0:nan:1", "--shape", "64,64", "-o", "{d}/o"], "--theta"),
    ("recon-theta-step0", ["reconstruct", "{d}/sino.npy", "--theta", "0:10:0", "--shape", "64,64", "-o", "{d}/o"], "--theta"),
    ("recon-theta-count", ["reconstruct", "{d}/sino.npy", "--theta", "0:10:1", "--shape", "64,64", "-o", "{d}/o"], "--theta"),
    ("recon-shape-huge", ["reconstruct", "{d}/sino.npy", "--theta", "-45:45:5", "--shape", "100000,100000", "-o", "{d}/o"], "--shape"),
    ("recon-shape-zero", ["reconstruct", "{d}/sino.npy", "--theta", "-45:45:5", "--shape", "0,64", "-o", "{d}/o"], "--shape"),
    ("recon-shape-text", ["reconstruct", "{d}/sino.npy", "--theta", "-45:45:5", "--shape", "a,b", "-o", "{d}/o"], "--shape"),
    ("recon-iterations-0", ["reconstruct", "{d}/sino.npy", *RECON, "--iterations", "0", "-o", "{d}/o"], "--iterations"),
    ("recon-iterations-huge", ["reconstruct", "{d}/sino.npy", *RECON, "--iterations", "1000000000", "-o", "{d}/o"], "--iterations"),
    ("recon-noise-nan", ["reconstruct", "{d}/sino.npy", *RECON, "--noise-level", "nan", "-o", "{d}/o"], "--noise-level"),
    ("recon-lam-negative", ["reconstruct", "{d}/sino.npy", *RECON, "--lam", "-1", "-o", "{d}/o"], "--lam"),
    ("recon-workers-0", ["reconstruct", "{d}/sino.npy", *RECON, "--workers", "0", "-o", "{d}/o"], "workers"),
    ("recon-unwritable", ["reconstruct", "{d}/sino.npy", *RECON, "-o", "/proc/fastshear/o"], "/proc/fastshear"),
    ("recon-output-under-file", ["reconstruct", "{d}/sino.npy", *RECON, "-o", "{d}/img.npy/o"], "img.npy"),
    ("recon-txt", ["reconstruct", "{d}/img.npy", *RECON, "-o", "{d}/o"], "rows"),
    ("denoise-bad-png", ["denoise", "{d}/bad.png", "--noise-level", "0.1", "-o", "{d}/o"], "bad.png"),
    ("denoise-empty", ["denoise", "{d}/empty.npy", "--noise-level", "0.1", "-o", "{d}/o"], "empty.npy"),
    ("denoise-complex", ["denoise", "{d}/complex.npy", "--noise-level", "0.1", "-o", "{d}/o"], "complex.npy"),
    ("denoise-strings", ["denoise", "{d}/strings.npy", "--noise-level", "0.1", "-o", "{d}/o"], "strings.npy"),
    ("denoise-zero-d", ["denoise", "{d}/zero_d.npy", "--noise-level", "0.1", "-o", "{d}/o"], "zero_d.npy"),
    ("denoise-noise-level-nan", ["denoise", "{d}/img.npy", "--noise-level", "nan", "-o", "{d}/o"], "--noise-level"),
    ("denoise-noise-level-inf", ["denoise", "{d}/img.npy", "--noise-level", "inf", "-o", "{d}/o"], "--noise-level"),
    ("denoise-noise-level-negative", ["denoise", "{d}/img.npy", "--noise-level=-1", "-o", "{d}/o"], "--noise-level"),
    ("denoise-scales-0", ["denoise", "{d}/img.npy", "--noise-level", "0.1", "--scales", "0", "-o", "{d}/o"], "scales"),
    ("denoise-scales-100", ["denoise", "{d}/img.npy", "--noise-level", "0.1", "--scales", "100", "-o", "{d}/o"], "scales"),
    ("denoise-workers-huge", ["denoise", "{d}/img.npy", "--noise-level", "0.1", "--workers", "100000", "-o", "{d}/o"], "workers"),
    ("denoise-txt-suffix", ["denoise", "{d}/sino.txt", "--noise-level", "0.1", "-o", "{d}/o"], "sino.txt"),
    ("denoise-unwritable", ["denoise", "{d}/img.npy", "--noise-level", "0.1", "--scales", "1", "-o", "/proc/fastshear/o"], "/proc/fastshear"),
    ("demo-step-0", ["demo", "--step", "0", "-o", "{d}/demo", "-q"], "--step"),
    ("demo-step-nan", ["demo", "--step", "nan", "-o", "{d}/demo", "-q"], "--step"),
    ("demo-step-tiny", ["demo", "--step", "1e-9", "-o", "{d}/demo", "-q"], "--step"),
    ("demo-size-small", ["demo", "--size", "10", "-o", "{d}/demo", "-q"], "--size"),
    ("demo-size-huge", ["demo", "--size", "100000", "-o", "{d}/demo", "-q"], "--size"),
    ("demo-angle-0", ["demo", "--angle", "0", "-o", "{d}/demo", "-q"], "--angle"),
    ("demo-angle-nan", ["demo", "--angle", "nan", "-o", "{d}/demo", "-q"], "--angle"),
    ("demo-noise-negative", ["demo", "--noise=-1", "-o", "{d}/demo", "-q"], "--noise"),
    ("demo-iterations-0", ["demo", "--iterations", "0", "-o", "{d}/demo", "-q"], "--iterations"),
    ("demo-seed-negative", ["demo", "--seed=-1", "-o", "{d}/demo", "-q"], "--seed"),
    ("demo-scales-0", ["demo", "--size", "80", "--scales", "0", "--step", "10", "--iterations", "1", "-o", "{d}/demo", "-q"], "scales"),
    ("demo-output-is-file", ["demo", "--size", "80", "-o", "{d}/img.npy", "-q"], "img.npy"),
]


@pytest.mark.parametrize("argv,needle", [pytest.param(a, n, id=i) for i, a, n in CLI_CASES])
def test_cli_refuses(files, capsys, argv, needle):
    argv = [a.replace("{d}", str(files)) for a in argv]
    _cli_refuses(files, capsys, argv, needle)


def test_cli_failing_demo_leaves_nothing(files, capsys, monkeypatch):
    """A demo that fails after its first reconstruction leaves no fbp.npy (nor its folder)."""
    from fastshear import ct

    real = ct.metrics
    calls = []

    def failing(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("injected failure")
        return real(*a, **k)

    monkeypatch.setattr(ct, "metrics", failing)
    _cli_refuses(files, capsys, ["demo", "--size", "80", "--scales", "1", "--step", "15", "--iterations", "1",
                                 "-o", str(files / "demo"), "-q"], "injected failure")
    assert not (files / "demo").exists()


def test_cli_success_replaces_atomically(files, capsys):
    out = files / "res"
    rc = cli.main(["denoise", str(files / "img.npy"), "--sigma", "0.1", "--scales", "1", "-o", str(out)])
    assert rc == 0
    names = sorted(p.name for p in files.iterdir())
    assert "res.npy" in names and "res.png" in names
    assert not [n for n in names if ".tmp" in n]


# ------------------------------------------------------------------------------------------------
# The slow group: the command line in its own process (what a user sees), and timing-free checks
# that the refusals of the former hangs do not depend on the size asked for.

@pytest.mark.slow
@pytest.mark.parametrize("argv,needle", [pytest.param(a, n, id=i) for i, a, n in CLI_CASES])
def test_cli_refuses_in_a_process(files, argv, needle):
    import subprocess
    import sys

    argv = [a.replace("{d}", str(files)) for a in argv]
    before = sorted(p.name for p in files.rglob("*"))
    r = subprocess.run([sys.executable, "-m", "fastshear"] + argv, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    # one error line; warnings before it (ShearLab's fallback filters), one line each
    assert "Traceback" not in r.stderr and all(line.startswith("fastshear ") for line in lines), r.stderr
    assert [": error: " in line for line in lines] == [False] * (len(lines) - 1) + [True], r.stderr
    assert needle in lines[-1] and r.stdout == "", (r.stdout, r.stderr)
    assert sorted(p.name for p in files.rglob("*")) == before


@pytest.mark.slow
@pytest.mark.parametrize("side", [10**5, 10**6, 2**24, 2**24 + 1, 2**31 - 1, 2**40])
def test_huge_sizes_refused(side):
    """Every plan refuses a size it cannot hold, whatever the size (no scan, no allocation)."""
    for make in (lambda: Radon2D((side, side), [0.0]), lambda: Shearlet2D((side, side), 1),
                 lambda: Shearlet3D((side, side, side), 1), lambda: phantoms.cartoon((side, side)),
                 lambda: Gradient2D((side, side)).forward(np.zeros((2, 2)))):
        with pytest.raises((ValueError, MemoryError), match="shape|bytes|x"):
            make()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_results_do_not_depend_on_workers(workers):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 64, 64))
    sh = Shearlet2D((64, 64), 2)
    R = Radon2D((64, 64), np.arange(0, 180, 7.0))
    Rf = Radon2D((64, 64), np.arange(0, 360, 7.0), geometry="fan", source_distance=120.0)
    net = DenseNet([rng.standard_normal((40, 64)), rng.standard_normal((3, 40))], [np.zeros(40), np.zeros(3)],
                   dtype=np.float64)
    s3 = Shearlet3D((36, 36, 36), 1)
    v = rng.standard_normal((36, 36, 36))
    for f in (lambda w: sh.forward(x, workers=w), lambda w: sh.inverse(sh.forward(x), workers=w),
              lambda w: R.forward(x, workers=w), lambda w: R.fbp(R.forward(x), workers=w),
              lambda w: Rf.forward(x, workers=w), lambda w: Rf.adjoint(Rf.forward(x), workers=w),
              lambda w: net(x.reshape(-1, 64), workers=w), lambda w: net.relevance(x.reshape(-1, 64), workers=w),
              lambda w: s3.forward(v, workers=w)):
        np.testing.assert_array_equal(f(workers), f(1))
