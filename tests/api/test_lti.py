"""Learning the invisible (fastshear.lti): visibility from the data, the combination, a tiny
model on tiny data, persistence and geometry checks, and fit's additions it relies on."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastshear  # noqa: E402
from fastshear import lti  # noqa: E402

THETA = np.arange(-60, 61.0)


def _sh(n, scales):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fastshear.Shearlet2D((n, n), scales)


# ------------------------------------------------------------------------- visibility
def test_detector_axes_are_measured_from_the_projector():
    ax = lti.detector_axes(fastshear.Radon2D((64, 64), [0.0, 45.0, 90.0, 135.0]))
    r = np.sqrt(0.5)
    # Radon2D: s = x cos t + y sin t with x = j - M//2, y = N//2 - i, so ds/d(row, col) = (-sin t, cos t)
    np.testing.assert_allclose(ax, [[0, 1], [-r, r], [-1, 0], [-r, -r]], atol=1e-9)


@pytest.mark.parametrize("theta", [THETA, np.arange(30, 151.0)], ids=["-60..60", "30..150"])
def test_split_is_confirmed_by_the_projector(theta):
    """rho_i >= 1 on every visible band, < 1 on every invisible one (128 x 128, 3 scales)."""
    sh = _sh(128, 3)
    R = fastshear.Radon2D((128, 128), theta)
    v = lti.visibility_fractions(sh, R)
    vis = lti.visibility(sh, R)
    rho = lti.visibility_ratios(sh, R, samples=1)
    assert 0 < (~vis).sum() < vis.size
    assert rho[vis].min() >= 1.0, rho[vis]
    assert rho[~vis].max() < 1.0, rho[~vis]
    assert np.all((v >= 0) & (v <= 1))
    # the soft split's fractions go with rho
    assert np.corrcoef(v[:-1], rho[:-1])[0, 1] > 0.9


def test_90_degree_trap():
    """A rotated geometry (angles + 90) makes the visible bands invisible and vice versa (up to
    the broad coarse bands): the split follows the projector, not a typed angle."""
    sh = _sh(64, 2)
    a = lti.visibility(sh, fastshear.Radon2D((64, 64), np.arange(-30, 31.0)))
    b = lti.visibility(sh, fastshear.Radon2D((64, 64), np.arange(60, 121.0)))
    d = ~(fastshear.lti._lowpass(sh))
    assert not np.any(a[d] & b[d])
    assert a[d].sum() > 0 and b[d].sum() > 0


def test_transposing_image_and_geometry_keeps_the_split():
    """Transposing the image maps angle t to 90 - t (Radon2D's axes): the fractions of the
    transposed filters in the transposed geometry are the same, and so is the split."""
    n = 64
    sh = _sh(n, 2)
    R, RT = fastshear.Radon2D((n, n), THETA), fastshear.Radon2D((n, n), 90.0 - THETA)
    spec = sh.spectra
    v = lti.visibility_fractions(sh, R)
    vt = lti.visibility_fractions(sh, RT, spectra=np.swapaxes(spec, -1, -2))
    np.testing.assert_allclose(vt, v, atol=1e-12)
    # ShearLab's two cones are transposes of each other up to small differences in the
    # filters: match each band to its nearest transposed band, the split is the same
    m, mt = lti.visibility(sh, R), lti.visibility(sh, RT)
    specT = np.swapaxes(spec, -1, -2)
    v2 = lti.visibility_fractions(sh, RT)
    for i in range(sh.n_shearlets):
        j = int(np.argmin([np.abs(specT[i] - s).max() for s in spec]))
        assert mt[j] == m[i]
        assert abs(v2[j] - v[i]) < 0.05


def test_shape_mismatch_and_soft_split():
    with pytest.raises(ValueError, match="64x64"):
        lti.visibility_fractions(_sh(64, 2), fastshear.Radon2D((48, 48), THETA))
    c = np.random.default_rng(0).standard_normal((17, 8, 8))
    v = np.linspace(0, 1, 17)
    a, b = lti.soft_split(c, v)
    np.testing.assert_allclose(a + b, c)
    with pytest.raises(ValueError, match="17"):
        lti.soft_split(c[:3], v)


# ------------------------------------------------------------------------- combination
def test_perfect_network_reproduces_the_truth():
    sh = _sh(64, 2)
    mask = lti.visibility(sh, fastshear.Radon2D((64, 64), THETA))
    x = fastshear.phantoms.shepp_logan((64, 64))
    c = sh.forward(x)
    y = lti.combine(sh, c, c[~mask], mask, nonneg=False)
    np.testing.assert_allclose(y, x, atol=1e-12)
    np.testing.assert_allclose(lti.combine(sh, c, c[~mask], mask), x, atol=1e-12)
    # the frame is not Parseval: the transpose would not reproduce it
    assert np.abs(sh.adjoint(c) - x).max() > 1e-3


# ------------------------------------------------------------------------- phantoms and data
@pytest.mark.parametrize("kind", lti.PHANTOM_KINDS)
def test_phantom_sinograms_match_the_projector(kind):
    th = np.arange(0, 180.0, 3)
    img, d = lti.random_phantom((48, 48), 7, kind)
    g = lti.phantom_sinogram(d, (48, 48), th, 48)
    ref = fastshear.Radon2D((48, 48), th).forward(img)
    assert img.min() >= 0 and img.max() > 0
    assert np.linalg.norm(g - ref) < 0.08 * np.linalg.norm(ref)
    img2, _ = lti.random_phantom((48, 48), 7, kind)
    np.testing.assert_array_equal(img, img2)


TINY = dict(shape=[48, 48], scales=2, step1_iter=3, widths=[4, 8])


def _tiny_data(n, seed):
    """Phantoms, sinograms and a stand-in for step 1 (non-negative FBP), fast."""
    cfg = lti.LtIConfig(**TINY)
    R = cfg.radon()
    truth, sino = [], []
    for k in range(n):
        img, d = lti.random_phantom((48, 48), [seed, k], "ellipses")
        truth.append(img)
        sino.append(lti.phantom_sinogram(d, (48, 48), cfg.angles, 48))
    truth, sino = np.asarray(truth, np.float32), np.asarray(sino, np.float32)
    fbp = R.fbp(sino)
    return {"truth": truth, "sinogram": sino, "fbp": fbp, "fstar": np.maximum(fbp, 0)}


def test_generate_is_cached_and_seeded(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTSHEAR_CACHE_DIR", str(tmp_path))
    cfg = lti.LtIConfig(**TINY)
    a = lti.generate(cfg, 2, 5)
    assert a["fstar"].shape == (2, 48, 48) and a["sinogram"].shape == (2, 121, 48)
    assert np.all(a["fstar"] >= 0)
    assert list((tmp_path / "lti").glob("data-*.npz"))

    def boom(*args, **kw):
        raise AssertionError("step 1 ran again: the cache was not used")

    monkeypatch.setattr(lti, "_step1", boom)
    b = lti.generate(cfg, 2, 5)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    with pytest.raises(AssertionError, match="cache"):
        lti.generate(lti.LtIConfig(**{**TINY, "noise": 0.02}), 1, 5)  # another key


@pytest.fixture(scope="module")
def tiny():
    return _tiny_data(8, 1), _tiny_data(4, 2)


def _train(tiny, **kw):
    d, v = tiny
    return lti.train(lti.LtIConfig(**TINY), data=d, val_data=v, epochs=3, batch_size=4, lr=3e-3,
                     progress=False, patience=None, **kw)


def test_tiny_model_trains_and_is_deterministic(tiny):
    m = _train(tiny, seed=3)
    h = m.history
    assert h["epochs"] == 3 and len(h["val_loss"]) == 3
    assert h["loss"][-1] < h["loss"][0]
    m2 = _train(tiny, seed=3)
    assert m2.history["loss"] == h["loss"]
    for p, q in zip(m.net.parameters(), m2.net.parameters()):
        assert torch.equal(p, q)
    m3 = _train(tiny, seed=4)
    assert m3.history["loss"] != h["loss"]


def test_save_load_round_trip_and_geometry_check(tiny, tmp_path, monkeypatch):
    m = _train(tiny, seed=0)
    p = tmp_path / "m.npz"
    m.save(p)
    m2 = lti.load(p)
    assert m2.config == m.config and np.array_equal(m2.mask, m.mask)
    d = tiny[1]
    f1, _ = m.predict_invisible(d["fstar"])
    f2, _ = m2.predict_invisible(d["fstar"])
    np.testing.assert_array_equal(f1, f2)
    # end to end (step 1 stubbed: what is tested here is the network and step 3)
    monkeypatch.setattr(lti, "_step1", lambda g, *a, **k: np.maximum(m.radon.fbp(g), 0))
    x = lti.reconstruct(d["sinogram"], m.config.angles, p)
    assert x.shape == (4, 48, 48) and x.min() >= 0
    x0, parts = lti.reconstruct(d["sinogram"][0], m.config.angles, m2, return_parts=True)
    np.testing.assert_allclose(x0, x[0], atol=1e-6)
    assert parts["invisible"].shape == (int((~m.mask).sum()), 48, 48)
    with pytest.raises(ValueError, match=r"angles: .*121 angles -60..60 step 1.*got 121 angles from -50 to 70"):
        lti.reconstruct(d["sinogram"], np.arange(-50, 71.0), m2)
    with pytest.raises(ValueError, match="detector bins: trained 48, got 40"):
        lti.reconstruct(d["sinogram"][..., :40], m.config.angles, m2)
    with pytest.raises(ValueError, match=r"image shape: trained \(48, 48\), got \(64, 64\)"):
        m2.check_geometry(m.config.angles, shape=(64, 64))
    np.savez(tmp_path / "x.npz", meta=np.array("{}"))
    with pytest.raises(ValueError, match="not a file written by LtIModel.save"):
        lti.load(tmp_path / "x.npz")


# ------------------------------------------------------------------------- fit's additions
def test_fit_validation_early_stopping_and_nd_arrays():
    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 1, 3, padding=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    y = 2 * x
    xv = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    h = fastshear.nn.fit(net, x, y, epochs=40, lr=1e-2, batch_size=4, seed=0, validation=(xv, 2 * xv),
                         patience=3, progress=False)
    assert len(h["val_loss"]) == h["epochs"] and h["val_loss"][-1] < h["val_loss"][0]
    assert 0 <= h["best_epoch"] < h["epochs"]
    # the weights kept are the best epoch's
    with torch.no_grad():
        v = float(torch.nn.functional.mse_loss(net(torch.from_numpy(xv)), torch.from_numpy(2 * xv)))
    assert v == pytest.approx(min(h["val_loss"]), rel=1e-5)
    # a dataset in, the same results as the arrays it holds (same seed, same order)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    torch.manual_seed(1)
    n1 = torch.nn.Conv2d(1, 1, 3, padding=1)
    h1 = fastshear.nn.fit(n1, ds, epochs=2, batch_size=16, shuffle=False, progress=False)
    torch.manual_seed(1)
    n2 = torch.nn.Conv2d(1, 1, 3, padding=1)
    h2 = fastshear.nn.fit(n2, x, y, epochs=2, batch_size=16, shuffle=False, progress=False)
    assert h1["loss"] == pytest.approx(h2["loss"], rel=1e-6)
    with pytest.raises(ValueError, match="patience"):
        fastshear.nn.fit(n2, x, y, patience=0, progress=False)
    with pytest.raises(ValueError, match="y is required"):
        fastshear.nn.fit(n2, x, progress=False)


# ------------------------------------------------------------------------- command line
def test_cli_train_lti_and_demo_lti(tmp_path, monkeypatch, capsys):
    from fastshear import cli

    monkeypatch.setenv("FASTSHEAR_CACHE_DIR", str(tmp_path / "cache"))
    # step 1 stubbed (non-negative FBP): what is tested here is the command's plumbing
    monkeypatch.setattr(lti, "_step1", lambda g, theta, shape, **k: np.maximum(
        fastshear.Radon2D(shape, theta, n_det=np.shape(g)[-1]).fbp(g), 0).astype(np.float32))
    out = tmp_path / "m.npz"
    rc = cli.main(["train-lti", "-o", str(out), "--size", "74", "--scales", "2", "--theta", "-60:60:2",
                   "--widths", "4,8", "--n-train", "4", "--n-val", "2", "--epochs", "1", "-q"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "| lti |" in text and "invisible-coefficient relative error" in text
    m = lti.load(out)
    assert m.config["shape"] == [74, 74] and m.config.angles.size == 61
    rc = cli.main(["demo", "-o", str(tmp_path / "demo"), "--size", "74", "--scales", "2", "--step", "2",
                   "--iterations", "2", "--lti", str(out), "-q"])
    assert rc == 0
    assert "LtI" in capsys.readouterr().out
    assert (tmp_path / "demo" / "lti.npy").exists()
    rc = cli.main(["demo", "-o", str(tmp_path / "demo2"), "--size", "74", "--scales", "2", "--step", "3",
                   "--iterations", "2", "--lti", str(out), "-q"])
    assert rc == 2
    assert "does not match" in capsys.readouterr().err
