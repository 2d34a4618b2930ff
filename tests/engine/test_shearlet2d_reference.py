"""Agreement with ShearLab 3D (MATLAB) on the reference data computed by ShearLab's own code."""
import json
import warnings

import numpy as np
import pytest

import fastshear
from conftest import spec_dir

_d = spec_dir()
CASES = sorted((_d / "shearlet2d_reference").glob("**/*.npz")) if _d else []


def _system(d):
    levels = [int(v) for v in d["shearLevels"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        return fastshear.Shearlet2D((int(d["rows"]), int(d["cols"])), int(d["nScales"]),
                                    shear_levels=levels, full=bool(d["full"]))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_matches_shearlab(spec, path):
    d = np.load(path)
    sh = _system(d)
    assert sh.n_shearlets == int(d["K"])
    np.testing.assert_array_equal(sh.indices, d["idxs"])
    assert sh.filter_config == int(d["config"])
    np.testing.assert_allclose(sh.rms, d["rms"], rtol=1e-12, atol=0)
    assert sh.frame_bounds[0] == pytest.approx(float(d["dfw_min"]), rel=1e-12)
    assert sh.frame_bounds[1] == pytest.approx(float(d["dfw_max"]), rel=1e-12)

    spec_full = sh.spectra
    pi = d["probe_idx"]
    ref = d["spec_re_probe"] + 1j * d["spec_im_probe"]
    got = spec_full[:, pi[:, 0], pi[:, 1]]
    assert np.abs(got - ref).max() <= 1e-13 * np.abs(ref).max()
    if "spec_re" in d.files:
        ref = d["spec_re"].transpose(2, 0, 1).astype(complex)
        if "spec_im" in d.files:
            ref += 1j * d["spec_im"].transpose(2, 0, 1)
        if "spec_im_slices" in d.files and d["spec_im_slices"].size:
            ref[d["spec_im_slices"]] += 1j * d["spec_im_at_slices"].transpose(2, 0, 1)
        assert np.abs(spec_full - ref).max() <= 1e-13 * np.abs(ref).max()
        np.testing.assert_allclose(sh.dual_frame_weights, d["dfw"], rtol=1e-12)

    X = d["X"] if "X" in d.files else np.random.default_rng(1).standard_normal(sh.shape)
    c = sh.forward(X)
    cref = d["coef_re_probe"]
    assert np.abs(c[:, pi[:, 0], pi[:, 1]] - cref).max() <= 1e-12 * np.abs(cref).max()
    np.testing.assert_allclose(c.sum(axis=(1, 2)), d["coef_re_sum"], rtol=0,
                               atol=1e-11 * np.abs(c).max() * c[0].size ** 0.5)
    np.testing.assert_allclose((c**2).sum(axis=(1, 2)), d["coef_re_sumsq"], rtol=1e-12)
    if "coef_re" in d.files:
        cr = d["coef_re"].transpose(2, 0, 1)
        assert np.abs(c - cr).max() <= 1e-13 * np.abs(cr).max()
        rec = sh.inverse(c)
        assert np.linalg.norm(rec - X) <= 1e-14 * np.linalg.norm(X)


def test_golden_512(spec):
    g = json.loads((spec / "shearlet2d_reference" / "golden_2d.json").read_text())
    case = g["cases"]["512x512_s4"]
    sh = fastshear.Shearlet2D((512, 512), 4)
    assert sh.n_shearlets == 49
    np.testing.assert_array_equal(sh.indices, np.array(case["index_table"]))
    np.testing.assert_allclose(sh.rms, case["RMS"], rtol=1e-12)
    assert sh.frame_bounds[0] == pytest.approx(case["dualFrameWeights"]["min"], rel=1e-12)
    assert sh.frame_bounds[1] == pytest.approx(case["dualFrameWeights"]["max"], rel=1e-12)


def test_rejected_size_names_what_fits(spec):
    g = json.loads((spec / "shearlet2d_reference" / "golden_2d.json").read_text())
    assert g["cases"]["120x120_s2_levels23"]["accepted"] in (False, "False")
    with pytest.raises(ValueError, match=r"at least 153x153.*scales=1"):
        fastshear.Shearlet2D((120, 120), 2, shear_levels=[2, 3])


def test_pyshearlab_oracle_even_square():
    """pyShearLab (a port of ShearLab) agrees on even squares with the default filters."""
    sl = pytest.importorskip("pyshearlab_mind")
    n = 128
    S = sl.SLgetShearletSystem2D(0, n, n, 2)
    x = np.random.default_rng(3).standard_normal((n, n))
    ref = np.moveaxis(sl.SLsheardec2D(x, S), -1, 0)
    sh = fastshear.Shearlet2D((n, n), 2)
    c = sh.forward(x)
    assert np.abs(c - ref).max() <= 1e-10 * np.abs(ref).max()
    np.testing.assert_allclose(sh.rms, np.asarray(S["RMS"]).ravel(), rtol=1e-10)
