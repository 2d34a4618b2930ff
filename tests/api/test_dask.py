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
                                        method="tv", max_iter=15, dtype=np.float32)).result()
    ref = np.stack([fastshear.ct.reconstruct(s, theta, (80, 80), "tv", max_iter=15, dtype=np.float32) for s in sinos])
    assert out.shape == (3, 80, 80) and out.dtype == ref.dtype
    np.testing.assert_array_equal(out, ref)


def _every_plan():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)
        return [fastshear.Shearlet2D((64, 64), scales=1, dtype=np.float32),
                fastshear.Shearlet3D((34, 34, 34), scales=1),
                fastshear.Radon2D((40, 40), np.arange(0, 180, 9.0), geometry="fan", source_distance=90.0)]


@pytest.mark.parametrize("index", range(3))
def test_every_plan_through_the_protocol(client, index):
    plan = _every_plan()[index]
    x = np.random.default_rng(index).standard_normal((3,) + plan.in_shape).astype(plan.dtype)
    lazy = fd.forward(plan, da.from_array(x, chunks=(2,) + plan.in_shape))
    y, z = client.compute([lazy, fd.adjoint(plan, lazy.rechunk((1,) + plan.out_shape))], sync=True)
    np.testing.assert_array_equal(y, plan.forward(x))
    np.testing.assert_array_equal(z, plan.adjoint(y))


def test_plans_travel_to_processes_by_pickling():
    # the multiprocessing scheduler pickles every task: the plans (and the operator around
    # them) are rebuilt from their construction arguments in the worker processes
    import dask

    plans = _every_plan()
    with dask.config.set(scheduler="processes", num_workers=2):
        for plan in (plans[0], plans[2]):
            x = np.random.default_rng(5).standard_normal((4,) + plan.in_shape).astype(plan.dtype)
            y = fd.forward(plan, da.from_array(x, chunks=(1,) + plan.in_shape)).compute()
            np.testing.assert_array_equal(y, plan.forward(x))


def test_bad_stack_shape():
    sh = fastshear.Shearlet2D((64, 64), scales=1)
    with pytest.raises(ValueError, match="stack must have shape"):
        fd.forward(sh, da.zeros((3, 60, 64)))
    with pytest.raises(ValueError, match="theta has"):
        fd.reconstruct(da.zeros((2, 10, 64)), np.arange(5.0), (64, 64))
