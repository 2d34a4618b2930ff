"""fastshear.explain in the wavelet domain (CartoonX) through ptwt."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ptwt")
pywt = pytest.importorskip("pywt")

from fastshear import explain  # noqa: E402
from fastshear.explain import _Problem, _WaveletDomain  # noqa: E402


@pytest.fixture(autouse=True)
def one_torch_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_wavelet_domain_matches_pywt_and_reconstructs():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (2, 3, 40, 40))
    dom = _WaveletDomain((40, 40), torch, torch.float64, wavelet="db3", levels=3)
    groups = dom.analyse(torch.from_numpy(x))
    ref = pywt.wavedec2(x, "db3", mode="zero", level=3)
    assert np.allclose(groups[0][:, :, 0].numpy(), ref[0])
    for g, d in zip(groups[1:], ref[1:]):
        assert g.shape[2] == 3
        for i in range(3):
            assert np.allclose(g[:, :, i].numpy(), d[i])
    flat = [g.reshape((-1,) + tuple(g.shape[2:])) for g in groups]
    assert np.allclose(dom.synthesise(flat).reshape(x.shape).numpy(), x, atol=1e-10)


def test_cartoonx_layout_and_defaults():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 4))
    x = np.random.default_rng(1).uniform(0, 1, (2, 3, 32, 32)).astype(np.float32)
    r = explain.cartoonx(model, x, steps=3, samples=2, levels=2)
    ref = pywt.wavedec2(x[:, 0], "db3", mode="zero", level=2)
    assert r.mask[0].shape == ref[0].shape
    assert [tuple(a.shape for a in d) for d in r.mask[1:]] == [tuple(a.shape for a in d) for d in ref[1:]]
    assert r.explanation.shape == x.shape and r.settings["l1"] == 20.0 and r.settings["noise"] == "gaussian"
    assert r.settings["maximize"] is False and r.settings["lr"] == 1e-3
    with pytest.raises(ValueError, match="wavelet"):
        explain.cartoonx(model, x, wavelet="nope", steps=1)


def test_wavelet_mask_gradient_gradcheck():
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.uniform(0.2, 0.8, (1, 1, 16, 16)))
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3, dtype=torch.float64), torch.nn.Tanh(),
                                torch.nn.Linear(3, 3, dtype=torch.float64))
    dom = _WaveletDomain((16, 16), torch, torch.float64, wavelet="db2", levels=2)
    P = _Problem(model, x, dom, target=1, l1=20.0, spatial=1.0, noise="gaussian", maximize=False,
                 value_range=(-50.0, 50.0), torch=torch)
    noise = P.draw(2, np.random.default_rng(0))
    ms = [torch.from_numpy(rng.uniform(0.2, 0.9, m.shape)).requires_grad_(True) for m in P.ones()]
    assert torch.autograd.gradcheck(lambda *m: P.objective(list(m), noise)[0], tuple(ms), eps=1e-6, atol=1e-6,
                                    rtol=1e-4, fast_mode=True)
