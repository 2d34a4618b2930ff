import numpy as np
import pytest

import fastshear
from fastshear import ct, phantoms


@pytest.fixture(scope="module")
def sh():
    return fastshear.Shearlet2D((128, 128), scales=3)


def test_geometric_and_empirical_visibility_agree(sh):
    theta = np.arange(-60, 61, 1.0)
    geo = ct.visibility(sh, theta, "geometric")
    emp = ct.visibility(sh, theta, "empirical")
    assert geo.dtype == np.bool_ and geo.shape == (sh.n_shearlets,)
    assert (geo == emp).mean() >= 0.9
    idx = sh.indices
    # horizontal-cone shearlets (frequencies within 45 degrees of the x axis) are all measured;
    # the vertical cone's central shears (frequencies near 90 degrees) are in the missing wedge
    assert geo[idx[:, 0] == 1].all()
    central = (idx[:, 0] == 2) & (idx[:, 2] == 0)
    assert not geo[central].any() and not emp[central].any()
    scores = ct.empirical_scores(sh, theta)
    assert np.all(scores[central] < 0.3) and np.all(scores[idx[:, 0] == 1] > 0.8)


def test_visibility_full_and_rotated_ranges(sh):
    assert ct.visibility(sh, np.arange(0, 180, 1.0)).all()
    assert ct.visibility(sh, np.arange(0, 180, 1.0), "empirical").all()
    # angles around 90 degrees see the vertical cone and not the horizontal one
    vis = ct.visibility(sh, np.arange(70, 111, 1.0))
    idx = sh.indices
    assert vis[(idx[:, 0] == 2) & (idx[:, 2] == 0)].all()
    assert not vis[(idx[:, 0] == 1) & (idx[:, 2] == 0)].any()
    with pytest.raises(ValueError, match="method"):
        ct.visibility(sh, [0.0], "magic")
    with pytest.raises(ValueError, match="threshold"):
        ct.visibility(sh, [0.0], threshold=2)


def test_split_recombines(sh):
    x = phantoms.shepp_logan((128, 128))
    c = sh.forward(x)
    mask = ct.visibility(sh, np.arange(-60, 61))
    v, i = ct.split(c, mask)
    np.testing.assert_array_equal(v + i, c)
    assert not v[~mask].any() and not i[mask].any()
    np.testing.assert_allclose(sh.inverse(v) + sh.inverse(i), x, atol=1e-10)
    with pytest.raises(ValueError, match="match the mask"):
        ct.split(c[:-1], mask)
    with pytest.raises(TypeError, match="boolean"):
        ct.split(c, mask.astype(int))


def test_estimate_noise():
    rng = np.random.default_rng(0)
    assert ct.estimate_noise(0.3 * rng.standard_normal((50, 400))) == pytest.approx(0.3, rel=0.05)


@pytest.fixture(scope="module")
def scan():
    n = 96
    theta = np.arange(-60, 61, 2.0)
    e = phantoms.shepp_logan_ellipses((n, n))
    gt = phantoms.shepp_logan((n, n))
    g = phantoms.ellipse_sinogram(e, theta, n)
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(1).standard_normal(g.shape)
    return gt, g, theta


def rel(x, gt):
    return np.linalg.norm(x - gt) / np.linalg.norm(gt)


def test_reconstruct_methods_beat_fbp(scan):
    gt, g, theta = scan
    e_fbp = rel(ct.reconstruct(g, theta, gt.shape, "fbp", dtype=np.float32), gt)
    e_sirt = rel(ct.reconstruct(g, theta, gt.shape, "sirt", max_iter=40, dtype=np.float32), gt)
    x_tv, info = ct.reconstruct(g, theta, gt.shape, "tv", max_iter=150, return_info=True, dtype=np.float32)
    x_sh = ct.reconstruct(g, theta, gt.shape, "shearlet-l1", scales=2, max_iter=60, dtype=np.float32)
    e_tv, e_sh = rel(x_tv, gt), rel(x_sh, gt)
    assert e_sh < 0.8 * e_fbp and e_tv < 0.8 * e_fbp and e_sirt < e_fbp
    assert x_sh.min() >= 0 and x_sh.dtype == np.float32
    assert info["lam"] > 0 and len(info["history"]["rel_residual"]) == info["iterations"]


def test_reconstruct_bad_input(scan):
    gt, g, theta = scan
    with pytest.raises(ValueError, match="61 angles"):
        ct.reconstruct(g[:-1], theta, gt.shape, "fbp")
    with pytest.raises(ValueError, match="method must be one of"):
        ct.reconstruct(g, theta, gt.shape, "art")
    with pytest.raises(ValueError, match=r"sinogram must be \(n_angles, n_det\) or a stack"):
        ct.reconstruct(g[0], theta, gt.shape, "fbp")


def test_ssim_matches_scikit_image(scan):
    from skimage.metrics import structural_similarity

    gt, g, theta = scan
    x = ct.reconstruct(g, theta, gt.shape, "fbp", dtype=np.float32)
    ref = structural_similarity(gt, x.astype(np.float64), data_range=float(np.ptp(gt)))
    assert ct.ssim(x, gt) == pytest.approx(ref, abs=1e-10)
    m = ct.metrics(x, gt)
    assert m["rel_error"] == pytest.approx(rel(x, gt)) and 5 < m["psnr"] < 60


def test_the_rule_falls_slower_than_the_noise_below_the_fitted_noise():
    """Below the relative noise the rules were fitted at (NOISE_REF), the default level falls as
    sigma^(1 + EXP), not as sigma; from there up it is linear in sigma; per problem of a stack."""
    n, theta = 48, np.arange(-60, 61, 4.0)
    g = fastshear.Radon2D((n, n), theta).forward(phantoms.shepp_logan((n, n)))
    rms = float(np.sqrt(np.mean(g ** 2)))

    def level(method, rel):
        return ct.reconstruct(g, theta, (n, n), method, noise_level=rel * rms, max_iter=1, return_info=True,
                              dtype=np.float32)[1]["lam"]

    for method, ex in (("tv", ct.TV_NOISE_EXP), ("shearlet-l1", ct.SHEARLET_NOISE_EXP)):
        hi, ref, lo = (level(method, f * ct.NOISE_REF) for f in (4.0, 1.0, 0.25))
        assert hi / ref == pytest.approx(4.0)                    # linear above
        assert ref / lo == pytest.approx(4.0 / 4.0 ** -ex)      # 4^(1 + EXP) below
    # a stack: each sinogram its own estimated noise and factor (a smooth image, whose structure
    # does not reach the noise estimate's second differences)
    y, x = np.mgrid[:n, :n] - n / 2
    g = fastshear.Radon2D((n, n), theta).forward(np.exp(-(x ** 2 + y ** 2) / 128.0))
    rms, rng = float(np.sqrt(np.mean(g ** 2))), np.random.default_rng(0)
    gs = np.stack([g + 0.001 * rms * rng.standard_normal(g.shape), g + 0.05 * rms * rng.standard_normal(g.shape)])
    _, info = ct.reconstruct(gs, theta, (n, n), "shearlet-l1", max_iter=1, return_info=True, dtype=np.float32)
    nf = info["noise_factor"]
    assert nf[0] > 1.3 and nf[1] == 1.0
    np.testing.assert_allclose(nf, ct.noise_factor(info["noise_level"], gs.astype(np.float32),
                                                   ct.SHEARLET_NOISE_EXP))
    assert ct.noise_factor(0.0, g, -0.5)[0] == 1.0 and ct.noise_factor(1.0, 0 * g, -0.5)[0] == 1.0


def test_noise_gain_carries_the_rule_to_other_geometries():
    """The level rule's noise term is the back-projected noise per pixel: 1 for the parallel beam
    with unit bins it was fitted on, larger for a fan beam (magnified pixels spread over more
    bins) and finer bins; ct's default level carries it (a given lam does not)."""
    n, theta = 64, np.arange(0, 360, 4.0)
    par = fastshear.Radon2D((n, n), theta)
    fan = fastshear.Radon2D((n, n), theta, geometry="fan", source_distance=2.0 * n, detector_distance=1.0 * n,
                            n_det=100)
    fine = fastshear.Radon2D((n, n), theta, det_spacing=0.5, n_det=2 * n)
    assert ct.noise_gain(par) == 1.0
    assert 1.2 < ct.noise_gain(fan) < 1.5 and 1.3 < ct.noise_gain(fine) < 1.8
    # measured, not assumed: the RMS of R^T e over the support for unit noise, against the parallel beam's
    e = np.random.default_rng(5).standard_normal((8,) + fan.sinogram_shape)
    ep = np.random.default_rng(6).standard_normal((8,) + par.sinogram_shape)
    sup = fan.support
    ratio = np.sqrt(np.mean(fan.adjoint(e)[:, sup] ** 2) / np.mean(par.adjoint(ep)[:, sup] ** 2))
    assert abs(ct.noise_gain(fan) - ratio) < 0.03 * ratio
    x = phantoms.shepp_logan((n, n))
    g = fan.forward(x)
    kw = dict(geometry="fan", source_distance=2.0 * n, detector_distance=1.0 * n)
    _, info = ct.reconstruct(g, theta, (n, n), "tv", noise_level=0.1, max_iter=1, return_info=True,
                             radon_kwargs=kw, dtype=np.float32)
    nf = ct.noise_factor(0.1, g, ct.TV_NOISE_EXP)
    assert info["lam"] == pytest.approx(ct.TV_FACTOR * 0.1 * np.sqrt(theta.size) * ct.noise_gain(fan) * nf[0])
    assert info["noise_gain"] == pytest.approx(ct.noise_gain(fan), rel=1e-5)  # ct's plan is float32
    _, info = ct.reconstruct(g, theta, (n, n), "tv", lam=0.5, max_iter=1, return_info=True, radon_kwargs=kw,
                             dtype=np.float32)
    assert info["lam"] == 0.5 and "noise_gain" not in info
