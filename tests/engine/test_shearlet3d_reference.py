"""Agreement with ShearLab 3D (MATLAB, run under Octave) on the reference data computed by
ShearLab's own code (tests/data/spec/shearlet3d_reference, or the full set: tests/conftest.py)."""
import json
import warnings

import numpy as np
import pytest

import fastshear
from conftest import spec_dir
from fastshear import shearlet3d as s3

_d = spec_dir()
CASES = sorted((_d / "shearlet3d_reference").glob("*.npz")) if _d else []
GOLDEN = (json.loads((_d / "shearlet3d_reference" / "golden_3d.json").read_text())["cases"]
          if _d and (_d / "shearlet3d_reference" / "golden_3d.json").exists() else {})
CHUNK = 12  # bands per streamed decomposition (keeps the 96^3 cases at ~85 MB)


def _system(dims, scales):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        return fastshear.Shearlet3D(tuple(int(v) for v in dims), int(scales))


def _streamed(sh, x, fn):
    """fn(band indices, coefficients of those bands) over chunks of bands; results concatenated."""
    out = []
    for lo in range(0, sh.n_shearlets, CHUNK):
        sel = np.arange(lo, min(lo + CHUNK, sh.n_shearlets))
        out.append(fn(sel, sh.forward(x, bands=sel)))
    return np.concatenate(out)


def _spectra_at(sh, pts):
    """S_j at centred voxel positions pts (P, 3) for every band, from the 2D factors."""
    (f12, f13, f32), _, _ = s3._plane_stacks(sh.shape, sh.scales, sh.shear_levels)
    n = np.array(sh.shape)
    x, y, z = ((pts - n // 2) % n).T  # centred -> uncentred index
    out = np.empty((sh.n_shearlets, len(pts)), complex)
    for j, (form, a, b) in enumerate(sh._bands):
        if form == 0:
            out[j] = f12[a][x, y] * f32[b][z, y]
        elif form == 1:
            out[j] = f13[a][x, z] * f32[b][z, y]
        else:
            out[j] = f12[a][x, y] * f13[b][x, z]
    return out


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_matches_shearlab_3d(spec, path):
    d = np.load(path)
    sh = _system(d["dims"], d["nScales"])
    assert list(sh.shear_levels) == [int(v) for v in d["shearLevels"]] and not bool(d["full"])
    np.testing.assert_array_equal(sh.indices, d["idxs"])
    np.testing.assert_allclose(sh.rms, d["rms"], rtol=1e-11, atol=0)
    dfw = sh.dual_frame_weights
    assert np.abs(dfw - d["dfw"]).max() <= 1e-12 * d["dfw"].max()
    assert sh.frame_bounds == pytest.approx((d["dfw"].min(), d["dfw"].max()), rel=1e-12)

    # spectra: probes of every band, whole volumes of the selected ones
    pi = d["probe_idx"]
    ref = d["spec_re_probe"] + 1j * d["spec_im_probe"]
    got = _spectra_at(sh, pi)
    assert np.abs(got - ref).max() <= 1e-10 * np.abs(ref).max()
    complex_ref = d["spec_im_sel"].size > 0
    for m, j in enumerate(d["sel"]):
        s = sh.spectrum(int(j))
        r = d["spec_re_sel"][..., m]
        scale = np.abs(r).max()
        if complex_ref:  # configuration 7: genuinely complex spectra
            assert np.abs(s - (r + 1j * d["spec_im_sel"][..., m])).max() <= 1e-12 * scale
            assert np.abs(s.imag).max() > 0.1 * scale
        else:  # real up to ShearLab's ~1e-10 imaginary parts, which the volumes leave out
            assert np.abs(s.real - r).max() <= 1e-12 * scale
            assert np.abs(s.imag).max() <= max(1e-12 * scale, 2 * d["spec_im_maxabs"][j])

    # coefficients, streamed over chunks of bands
    X = d["X"]
    stats = _streamed(sh, X, lambda sel, c: np.stack(
        [c.sum(axis=(1, 2, 3)), (c**2).sum(axis=(1, 2, 3)), np.abs(c).max(axis=(1, 2, 3))], 1))
    atol = 1e-11 * stats[:, 2].max() * X.size**0.5
    np.testing.assert_allclose(stats[:, 0], d["coef_re_sum"], rtol=0, atol=atol)
    np.testing.assert_allclose(stats[:, 1], d["coef_re_sumsq"], rtol=1e-11)
    probes = _streamed(sh, X, lambda sel, c: c[:, pi[:, 0], pi[:, 1], pi[:, 2]])
    cref = d["coef_re_probe"]
    assert np.abs(probes - cref).max() <= 1e-11 * np.abs(cref).max()
    if d["coef_re_sel"].size:
        sel = d["sel"]
        c = sh.forward(X, bands=sel)
        cr = np.moveaxis(d["coef_re_sel"], -1, 0)
        assert np.abs(c - cr).max() <= 1e-12 * np.abs(cr).max()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_3d(spec, name):
    case = GOLDEN[name]
    sh = _system(case["dims"], case["nScales"])
    assert sh.n_shearlets == case["K"]
    np.testing.assert_array_equal(sh.indices, np.array(case["index_table"]))
    cfg = case["filter_config_per_plane (SLcheckFilterSizes, 1=default dmaxflat4+QMF9)"]
    assert sh.filter_config == tuple(cfg[k] for k in ("d1d2 (ndim1 x ndim2)", "d1d3 (ndim1 x ndim3)",
                                                      "d3d2 (ndim3 x ndim2)"))
    np.testing.assert_allclose(sh.rms, case["RMS"], rtol=1e-11)
    A, B = sh.frame_bounds
    assert A == pytest.approx(case["dualFrameWeights_min (lower frame bound A)"], rel=1e-12)
    assert B == pytest.approx(case["dualFrameWeights_max (upper frame bound B)"], rel=1e-12)
    dfw = sh.dual_frame_weights
    assert dfw[tuple(case["dualFrameWeights_argmin (0-based)"])] == pytest.approx(A, rel=1e-12)
    assert dfw[tuple(case["dualFrameWeights_argmax (0-based)"])] == pytest.approx(B, rel=1e-12)
    assert dfw.sum() == pytest.approx(case["dualFrameWeights_sum"], rel=1e-12)
    X = np.random.default_rng(0).standard_normal(sh.shape)
    assert X[0, 1, 2] == case["test_volume_checks"]["X[0,1,2]"]
    sumsq = _streamed(sh, X, lambda sel, c: (c**2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(sumsq, case["coeff_checks"]["sum_sq_real_per_shearlet"], rtol=1e-11)


def test_smallest_cube_and_error_below(spec):
    """ShearLab accepts 33^3 with one or two scales and rejects 32^3 (as ShearLab 3D v1.1's
    SLgetShearletSystem3D does: the smallest side of its filter configurations)."""
    for scales in (1, 2):
        sh = _system((33, 33, 33), scales)
        assert sh.filter_config == (7, 7, 7)
        with pytest.raises(ValueError, match=r"smallest volume these parameters accept is 33x33x33"):
            fastshear.Shearlet3D((32, 33, 33), scales)


def test_per_plane_fallback_48x64x96():
    """The fallback is decided per plane: 48x64x96 uses 7, 7 and 3 (ShearLab 3D v1.1 chooses
    the filters of each coordinate plane separately)."""
    sh = _system((48, 64, 96), 1)
    assert sh.filter_config == (7, 7, 3)
    assert sh.frame_bounds[1] == pytest.approx(4.0, rel=1e-9)
