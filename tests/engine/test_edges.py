"""fastshear.edges and the ShearletX metrics (numpy only)."""
import numpy as np
import pytest

import fastshear
from fastshear.explain import band_orientations, conciseness_preciseness, edges, hallucination_score, oriented_bars


def square(n=64, lo=16, hi=48, v=1.0):
    img = np.zeros((n, n))
    img[lo:hi, lo:hi] = v
    return img


def test_edges_of_a_square_lie_on_its_boundary():
    e, o = fastshear.edges(square())
    r, c = np.nonzero(e)
    on = (np.minimum(np.abs(r - 15.5), np.abs(r - 47.5)) <= 1) | (np.minimum(np.abs(c - 15.5), np.abs(c - 47.5)) <= 1)
    assert on.mean() > 0.9
    # each side is found along most of its length
    assert e[20:44, 14:18].any(1).mean() > 0.9 and e[20:44, 46:50].any(1).mean() > 0.9
    assert e[14:18, 20:44].any(0).mean() > 0.9
    assert np.all(np.isnan(o[~e])) and np.all((o[e] >= 0) & (o[e] < 180))


@pytest.mark.parametrize("angle", [45.0, 135.0])
def test_bar_orientation(angle):
    x, _, bar = oriented_bars(3, angles=(angle,), clutter=0, noise=0.0, seed=2, dtype=np.float32)
    for i in range(3):
        e, o = edges(x[i, 0])
        near = e & np.pad(bar[i], 2)[2:-2, 2:-2]  # edges on the bar
        assert near.sum() >= 10
        d = np.abs(((o[near] - angle) + 90) % 180 - 90)
        assert np.median(d) <= 20


def test_contrast_threshold_and_batch():
    img = square(v=0.05)
    assert not edges(img, contrast=0.1)[0].any()
    assert edges(img, contrast=0.02)[0].any()
    batch = np.stack([square(), square(v=0.5)])
    eb, ob = edges(batch)
    e0, _ = edges(batch[0])
    assert eb.shape == batch.shape and np.array_equal(eb[0], e0)
    # scale invariance in contrast units: half the contrast, half the threshold
    assert np.array_equal(edges(batch[1], contrast=0.05)[0], edges(batch[0], contrast=0.1)[0])


def test_band_orientations_cover_the_half_circle():
    sh = fastshear.Shearlet2D((128, 128), 3)
    o = band_orientations(sh)
    assert np.isnan(o[-1]) and not np.isnan(o[:-1]).any()
    d = np.sort(o[:-1])
    gaps = np.diff(np.concatenate([d, [d[0] + 180]]))
    assert gaps.max() <= 30


def test_hallucination_score():
    img = square()
    assert hallucination_score(img, img) == 0.0
    assert hallucination_score(img, 0.5 * img, contrast=0.1) == 0.0  # weaker, not new
    fake = img.copy()
    fake[8:56, 56:58] = 1.0  # a bar the image does not have
    hs = hallucination_score(img, fake)
    assert 0.3 < hs < 2
    assert hallucination_score(np.zeros((64, 64)), fake) == float("inf")
    assert hallucination_score(np.stack([img] * 3), np.stack([fake] * 3)) == pytest.approx(hs)


def test_conciseness_preciseness():
    img = fastshear.phantoms.cartoon((64, 64), seed=0)
    for m in ("l1", "pixel", "entropy"):
        assert conciseness_preciseness(0.7, 0.7, img, img, measure=m) == pytest.approx(1.0)
    assert conciseness_preciseness(0.9, 0.9, 0.5 * img, img, measure="l1") == pytest.approx(2.0)
    assert conciseness_preciseness(0.9, 0.9, 0.25 * img, img, measure="pixel") == pytest.approx(4.0)
    # entropy is scale invariant; a sparser image has less
    assert conciseness_preciseness(0.9, 0.9, 3 * img, img, measure="entropy") == pytest.approx(1.0)
    sparse = img * (np.abs(img - img.mean()) > 0.2)
    assert conciseness_preciseness(0.5, 0.5, sparse, img, measure="entropy") > 1.0
    assert conciseness_preciseness(0.45, 0.9, img, img) == pytest.approx(0.5)


def test_errors():
    img = square()
    bad = img.copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        edges(bad)
    with pytest.raises(ValueError, match="shape"):
        edges(np.zeros(5))
    with pytest.raises(TypeError, match="real"):
        edges(img.astype(complex))
    with pytest.raises(ValueError, match="plan is for 96x96"):
        edges(img, plan=fastshear.Shearlet2D((96, 96), 2))
    with pytest.raises(ValueError, match="contrast"):
        edges(img, contrast=-1)
    with pytest.raises(ValueError, match="same shape"):
        hallucination_score(img, img[:32])
    with pytest.raises(ValueError, match="measure must be one of"):
        conciseness_preciseness(1, 1, img, img, measure="kl")
    with pytest.raises(ValueError, match="p_image must be > 0"):
        conciseness_preciseness(1, 0, img, img)
