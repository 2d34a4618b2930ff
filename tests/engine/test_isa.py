"""The engine's instruction-set dispatch (cpp/fastshear/infra/isa.hpp): one query of the CPU, and
every variant it can choose gives the result of the widest one (to rounding). A narrower level is
forced through fastshear._testing.isa, so one machine runs what a narrower CPU would: the
element-wise complex kernels, the 2D shearlets' pair tiles, the Radon kernels, the dense GEMM."""
import warnings

import numpy as np
import pytest

import fastshear
from fastshear import _core, _testing

NARROWER = [lv for lv in _testing.ISA_LEVELS if lv != "avx512"]


def _plans():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        return {
            # real-filter paths (the transposed blocked passes, the AVX2 tiles), odd sizes
            "shearlet2d-f32": fastshear.Shearlet2D((75, 75), scales=2, dtype=np.float32, workers=1),
            "shearlet2d-f64": fastshear.Shearlet2D((91, 67), scales=2, dtype=np.float64, workers=1),
            # complex spectra (a fallback configuration): the paired complex kernels
            "shearlet2d-cpx-f32": fastshear.Shearlet2D((150, 90), scales=3, dtype=np.float32, workers=1),
            "shearlet2d-cpx-f64": fastshear.Shearlet2D((150, 90), scales=3, dtype=np.float64, workers=1),
            "shearlet3d-f32": fastshear.Shearlet3D((34, 36, 35), scales=1, dtype=np.float32, workers=1),
            "shearlet3d-f64": fastshear.Shearlet3D((34, 36, 35), scales=1, dtype=np.float64, workers=1),
            "radon-f32": fastshear.Radon2D((40, 38), np.arange(0, 180, 7.0), dtype=np.float32, workers=1),
            "radon-fan-f64": fastshear.Radon2D((32, 32), np.arange(0, 360, 10.0), geometry="fan",
                                               source_distance=80.0, detector_distance=20.0, workers=1),
        }


PLANS = _plans()


def _apply(plan):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(plan.in_shape).astype(plan.dtype)
    y = rng.standard_normal(plan.out_shape).astype(plan.dtype)
    out = [plan.forward(x), plan.adjoint(y)]
    if hasattr(plan, "inverse"):
        out.append(plan.inverse(y))
    return out


def test_one_query_reported():
    levels = _testing.isa_levels()
    assert levels[0] == "generic" and levels[-1] == _testing.isa_detected() == _testing.isa_level()
    kernels = dict(_core.build_info()["kernels"])
    assert kernels["isa"] == _testing.isa_detected()
    for lv in levels:
        with _testing.isa(lv) as now:
            assert now == lv == _testing.isa_level() == dict(_core.build_info()["kernels"])["isa"]
    assert _testing.isa_level() == _testing.isa_detected()
    with pytest.raises(ValueError, match="level must be one of"):
        _testing.set_isa_limit("sse9")


def test_nested_limits_restore_the_level_before():
    with _testing.isa("avx2"):
        with _testing.isa("generic"):
            assert _testing.isa_level() == "generic"
        assert _testing.isa_level() == min(("avx2", _testing.isa_detected()), key=_testing.ISA_LEVELS.get)
    assert _testing.isa_level() == _testing.isa_detected()


@pytest.mark.parametrize("name", list(PLANS))
@pytest.mark.parametrize("level", NARROWER)
def test_every_variant_gives_the_same_result(name, level):
    if level not in _testing.isa_levels() or len(_testing.isa_levels()) < 2:
        pytest.skip(f"this CPU runs no level narrower than {_testing.isa_detected()} here")
    plan = PLANS[name]
    want = _apply(plan)
    with _testing.isa(level):
        got = _apply(plan)
    tol = 1e-5 if plan.dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        err = np.abs(g - w).max() / np.abs(w).max()
        assert err <= tol, (name, level, err)
