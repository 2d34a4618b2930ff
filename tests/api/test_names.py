"""One name per concept: the renamed keywords (filter_name, noise_level) and their deprecated
old spellings, kept for one release; keyword-only options."""
import warnings

import numpy as np
import pytest

import fastshear
from fastshear import phantoms
from fastshear.operators import Diagonal, Gradient2D, Identity, MatrixOperator


def test_fbp_filter_name_and_its_deprecated_alias():
    R = fastshear.Radon2D((32, 32), np.arange(0, 180, 6.0))
    s = R.forward(phantoms.shepp_logan((32, 32)))
    new = R.fbp(s, filter_name="hann")
    assert not np.array_equal(new, R.fbp(s))  # the window matters
    np.testing.assert_array_equal(R.fbp(s, "hann"), new)
    with pytest.warns(DeprecationWarning, match="filter_name"):
        old = R.fbp(s, filter="hann")
    np.testing.assert_array_equal(old, new)
    with pytest.raises(TypeError, match="filter_name"):
        R.fbp(s, filter_name="hann", filter="cosine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        R.fbp(s, filter_name="ramp")  # the new name warns nothing


@pytest.mark.parametrize("fn, shape, scales", [(fastshear.shearlet_denoise, (64, 64), 1),
                                               (fastshear.shearlet_denoise3d, (34, 34, 34), 1)])
def test_noise_level_and_its_deprecated_alias(fn, shape, scales):
    x = np.random.default_rng(0).standard_normal(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        new = fn(x, noise_level=0.5, scales=scales)
        np.testing.assert_array_equal(fn(x, 0.5, scales=scales), new)
        with pytest.warns(DeprecationWarning, match="noise_level"):
            old = fn(x, sigma=0.5, scales=scales)
        np.testing.assert_array_equal(old, new)
        with pytest.raises(TypeError, match="noise_level"):
            fn(x, 0.5, sigma=0.5, scales=scales)
        with pytest.raises(TypeError, match="noise_level"):
            fn(x, scales=scales)


@pytest.mark.parametrize("call", [
    lambda: Identity((2, 2), np.float32),
    lambda: MatrixOperator(np.eye(2), np.float32),
    lambda: Diagonal(np.ones(2), np.float32),
    lambda: Gradient2D((4, 4), np.float32),
    lambda: phantoms.cartoon((16, 16), 1),
    lambda: phantoms.cartoon3d((16, 16, 16), 1),
    lambda: phantoms.random_ellipses((16, 16), 1),
    lambda: phantoms.shepp_logan((16, 16), 2),
    lambda: phantoms.ellipse_image([[1.0, 4, 3, 0, 0, 0]], (16, 16), 2),
    lambda: phantoms.ellipse_sinogram([[1.0, 4, 3, 0, 0, 0]], [0.0], 16, 1.0),
], ids=["Identity", "MatrixOperator", "Diagonal", "Gradient2D", "cartoon", "cartoon3d",
        "random_ellipses", "shepp_logan", "ellipse_image", "ellipse_sinogram"])
def test_options_are_keyword_only(call):
    with pytest.raises(TypeError, match="positional"):
        call()


def test_ct_reconstruct_filter_name_and_its_deprecated_alias():
    from fastshear import ct

    theta = np.arange(-60, 61, 4.0)
    R = fastshear.Radon2D((32, 32), theta)
    g = R.forward(fastshear.phantoms.shepp_logan((32, 32)))
    a = ct.reconstruct(g, theta, (32, 32), "fbp", filter_name="hann", dtype=np.float32)
    with pytest.warns(DeprecationWarning, match="filter_name"):
        b = ct.reconstruct(g, theta, (32, 32), "fbp", filter="hann", dtype=np.float32)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, ct.reconstruct(g, theta, (32, 32), "fbp", dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ct.reconstruct(g, theta, (32, 32), "fbp", filter_name="ram-lak", dtype=np.float32)
    with pytest.raises(TypeError, match="filter_name"):
        ct.reconstruct(g, theta, (32, 32), "fbp", filter_name="hann", filter="hann")
