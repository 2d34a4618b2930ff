"""fastshear's default-dtype rule where PyTorch is involved (tests/api/test_dtype_rule.py for the
rest): DenseNet.from_torch takes the module's precision; the explain functions take the images'
(float32 kept one release for other images, with a FutureWarning)."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastshear  # noqa: E402
from fastshear.explain import rde  # noqa: E402


def _module():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def test_from_torch_takes_the_modules_precision():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert fastshear.DenseNet.from_torch(_module()).dtype == np.float32
        assert fastshear.DenseNet.from_torch(_module().double()).dtype == np.float64
        assert fastshear.DenseNet.from_torch(_module().double(), dtype=np.float32).dtype == np.float32


def _classifier():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16 * 16, 2))


def test_rde_takes_the_images_precision():
    x = np.random.default_rng(0).random((1, 16, 16))
    kw = dict(steps=1, samples=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        r32 = rde(_classifier(), torch.from_numpy(x.astype(np.float32)), **kw)
        r64 = rde(_classifier(), x, dtype=torch.float64, **kw)
    assert np.asarray(r32.mask).dtype == np.float32 and np.asarray(r64.mask).dtype == np.float64
    with pytest.warns(FutureWarning, match=r"fastshear\.explain: .* float64.*dtype=torch\.float32"):
        r = rde(_classifier(), x, **kw)  # float64 images: float32 in this release
    assert np.asarray(r.mask).dtype == np.float32
