import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")

import fastshear  # noqa: E402
import fastshear.dask as fd  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_forward_adjoint_identical_to_in_memory(client):
    sh = fastshear.Shearlet2D((64, 64), scales=2)
    vol = np.random.default_rng(0).standard_normal((5, 64, 64))
    stack = da.from_array(vol, chunks=(2, 32, 64))  # trailing axes get rechunked
    c = fd.forward(sh, stack)
    assert c.shape == (5, sh.n_shearlets, 64, 64)
    c_np = client.compute(c).result()
    np.testing.assert_array_equal(c_np, sh.forward(vol))
    x = client.compute(fd.adjoint(sh, da.from_array(c_np, chunks=(3, sh.n_shearlets, 64, 64)))).result()
    np.testing.assert_array_equal(x, sh.adjoint(c_np))
    theta = np.arange(-60, 61, 5.0)
    R = fastshear.Radon2D((64, 64), theta)
    s = client.compute(fd.forward(R, stack)).result()
    np.testing.assert_array_equal(s, R.forward(vol))
    np.testing.assert_array_equal(client.compute(fd.adjoint(R, da.from_array(s, chunks=(2, 25, 64)))).result(),
                                  R.adjoint(s))


def test_reconstruct_stack_identical(client):
    theta = np.arange(-60, 61, 4.0)
    R = fastshear.Radon2D((80, 80), theta)
    vol = np.stack([fastshear.phantoms.ellipse_image(fastshear.phantoms.random_ellipses((80, 80), seed=s),
                                                     (80, 80)) for s in range(3)])
    sinos = R.forward(vol)
    out = client.compute(fd.reconstruct(da.from_array(sinos, chunks=(2, theta.size, 80)), theta, (80, 80),
                                        method="tv", max_iter=15)).result()
    ref = np.stack([fastshear.ct.reconstruct(s, theta, (80, 80), "tv", max_iter=15) for s in sinos])
    assert out.shape == (3, 80, 80) and out.dtype == ref.dtype
    np.testing.assert_array_equal(out, ref)


def test_plans_travel_as_recipes():
    import pickle

    sh = fastshear.Shearlet2D((64, 64), scales=2, dtype=np.float32)
    spec = pickle.loads(pickle.dumps(fd._spec(sh)))
    rebuilt = fd._plan_from(spec)
    x = np.random.default_rng(1).standard_normal((64, 64)).astype(np.float32)
    np.testing.assert_array_equal(rebuilt.forward(x), sh.forward(x))
    R = fastshear.Radon2D((32, 32), np.arange(0, 180, 7.0), dtype=np.float32)
    R2 = fd._plan_from(pickle.loads(pickle.dumps(fd._spec(R))))
    np.testing.assert_array_equal(R2.forward(x[:32, :32]), R.forward(x[:32, :32]))


def test_bad_stack_shape():
    sh = fastshear.Shearlet2D((64, 64), scales=1)
    with pytest.raises(ValueError, match="stack must have shape"):
        fd.forward(sh, da.zeros((3, 60, 64)))
    with pytest.raises(ValueError, match="theta has"):
        fd.reconstruct(da.zeros((2, 10, 64)), np.arange(5.0), (64, 64))
