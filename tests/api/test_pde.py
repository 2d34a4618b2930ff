"""fastshear.pde: coefficient families, the finite-volume solver, the discrete H^1 norm,
cached data sets, and surrogates trained with nn.fit and run in the engine."""
import json
import math

import numpy as np
import pytest

pytest.importorskip("scipy")

import fastshear  # noqa: E402
from fastshear import pde  # noqa: E402

PI = math.pi


# -- the coefficient families against hand-computed values -------------------------------------

def test_trigonometric_formula():
    T1 = pde.trigonometric(p=3, mu=0.1, sigma=1.0)
    assert T1.p == 3 and (T1.low, T1.high) == (0.0, 1.0)
    y, x0, x1 = np.array([0.3, 0.7, 0.2]), 0.2, 0.6
    # j=1: floor(3/2)=1, ceil(3/2)=2; j=2: 2, 2; j=3: floor(5/2)=2, ceil(5/2)=3; weights j^sigma
    want = 0.1 + (1 + 1 * 0.3 * (1 + math.sin(PI * 0.2) * math.sin(2 * PI * 0.6))) \
               + (1 + 2 * 0.7 * (1 + math.sin(2 * PI * 0.2) * math.sin(2 * PI * 0.6))) \
               + (1 + 3 * 0.2 * (1 + math.sin(2 * PI * 0.2) * math.sin(3 * PI * 0.6)))
    assert T1(y, x0, x1)[0] == pytest.approx(want, rel=1e-14)
    # sigma = 0 (default) and a batch of parameters at many points
    T = pde.trigonometric(p=2)
    ys = np.array([[0.0, 0.0], [1.0, 1.0]])
    x0, x1 = np.array([0.5, 0.25]), np.array([0.25, 0.5])
    a = T(ys, x0, x1)
    assert a.shape == (2, 2)
    np.testing.assert_allclose(a[0], 2.1)
    want = [0.1 + 2 + (1 + np.sin(PI * u) * np.sin(2 * PI * v)) + (1 + np.sin(2 * PI * u) * np.sin(2 * PI * v))
            for u, v in zip(x0, x1)]
    np.testing.assert_allclose(a[1], want, rtol=1e-14)


def test_chessboard_formula():
    T2 = pde.chessboard(s=3, mu=0.1)
    assert T2.p == 9
    y = np.arange(1, 10) / 10.0
    # square k = i*3 + j with i = floor(3 x0), j = floor(3 x1)
    pts = [(0.1, 0.1, 0), (0.1, 0.5, 1), (0.1, 0.9, 2), (0.5, 0.1, 3), (0.9, 0.5, 7), (1.0, 1.0, 8)]
    for x0, x1, k in pts:
        assert T2(y, x0, x1)[0] == pytest.approx(0.1 + y[k], abs=1e-15), (x0, x1, k)


def test_cookies_formula():
    T3 = pde.cookies(s=2, mu=0.1)
    assert T3.p == 4
    y = np.array([0.2, 0.4, 0.6, 0.8])
    # centres (1/4, 1/4) k=0, (1/4, 3/4) k=1, (3/4, 1/4) k=2, (3/4, 3/4) k=3; radius 0.8/4 = 0.2
    assert T3(y, 0.25, 0.75)[0] == pytest.approx(0.5)
    assert T3(y, 0.75 + 0.19, 0.25)[0] == pytest.approx(0.7)
    assert T3(y, 0.75 + 0.21, 0.25)[0] == pytest.approx(0.1)
    assert T3(y, 0.5, 0.5)[0] == pytest.approx(0.1)
    Tv = pde.cookies(s=2, mu=0.1, radius="variable")
    assert Tv.p == 8
    yv = np.r_[y, [0.5, 0.9, 0.9, 0.9]]  # r_0 = 0.5/4 = 0.125, others 0.225
    assert Tv(yv, 0.25 + 0.15, 0.25)[0] == pytest.approx(0.1)
    assert Tv(yv, 0.25 + 0.10, 0.25)[0] == pytest.approx(0.3)
    assert Tv(yv, 0.25 + 0.21, 0.75)[0] == pytest.approx(0.5)
    s = Tv.sample(1000, seed=1)
    assert s[:, :4].min() >= 0 and s[:, :4].max() <= 1
    assert s[:, 4:].min() >= 0.5 and s[:, 4:].max() <= 0.9


def test_polynomial_formula():
    T4 = pde.polynomial(k=3, mu=0.01)
    assert T4.p == 10 and (T4.low, T4.high) == (-1.0, 1.0)
    x0, x1 = 0.3, 0.7
    mono = [1, x0, x1, x0 ** 2, x0 * x1, x1 ** 2, x0 ** 3, x0 ** 2 * x1, x0 * x1 ** 2, x1 ** 3]
    y = np.linspace(-0.5, 0.9, 10)
    assert T4(y, x0, x1)[0] == pytest.approx(max(0.01, float(np.dot(y, mono))), rel=1e-14)
    assert T4(-np.ones(10), x0, x1)[0] == 0.01
    s = T4.sample(2000, seed=0)
    assert s.min() < -0.95 and s.max() > 0.95


def test_family_checks_and_seeding():
    assert pde.family("T1", p=5).p == 5 and pde.family("chessboard", s=2).p == 4
    assert pde.family("t4", k=1).p == 3
    with pytest.raises(ValueError, match="family must be"):
        pde.family("T9")
    with pytest.raises(ValueError, match="mu"):
        pde.trigonometric(2, mu=0)
    with pytest.raises(ValueError, match="radius"):
        pde.cookies(2, radius="big")
    with pytest.raises(ValueError, match=r"p = 9"):
        pde.chessboard(3)(np.zeros(4), 0.5, 0.5)
    T = pde.chessboard(2)
    np.testing.assert_array_equal(T.sample(5, seed=3), T.sample(5, seed=3))
    assert not np.array_equal(T.sample(5, seed=3), T.sample(5, seed=4))


# -- the solver ---------------------------------------------------------------------------------

def _manufactured():
    u = lambda x, y: np.sin(PI * x) * np.sin(2 * PI * y) * np.exp(x)  # noqa: E731
    a = lambda x, y: 1 + x ** 2 + 0.5 * np.sin(3 * y)  # noqa: E731

    def f(x, y):  # -div(a grad u)
        e, sx, cx, sy, cy = np.exp(x), np.sin(PI * x), np.cos(PI * x), np.sin(2 * PI * y), np.cos(2 * PI * y)
        ux = e * sy * (sx + PI * cx)
        uxx = e * sy * (sx + 2 * PI * cx - PI ** 2 * sx)
        uy = 2 * PI * e * sx * cy
        uyy = -4 * PI ** 2 * e * sx * sy
        return -(2 * x * ux + a(x, y) * uxx + 1.5 * np.cos(3 * y) * uy + a(x, y) * uyy)

    return u, a, f


def test_solver_second_order_on_a_manufactured_solution():
    u, a, f = _manufactured()
    coef = lambda y, x0, x1: np.broadcast_to(a(x0, x1), (len(y), x0.size))  # noqa: E731
    errs = []
    for n in (12, 24, 48):
        x0, x1 = pde.grid(n)
        uh = pde.solve(coef, np.zeros((1, 0)), n, f=f)[0]
        errs.append((np.abs(uh - u(x0, x1)).max(), pde.relative_h1_error(uh, u(x0, x1))))
    errs = np.array(errs)
    rates = np.log2(errs[:-1] / errs[1:])
    assert rates.min() > 1.85 and rates.max() < 2.2, rates
    assert errs[-1, 1] < 2e-3


def test_solver_batch_matches_single_solves_and_is_symmetric():
    T = pde.chessboard(2)
    y = T.sample(3, seed=0)
    U = pde.solve(T, y, 10)
    for i in range(3):
        np.testing.assert_allclose(pde.solve(T, y[i], 10), U[i], rtol=1e-13)
    # symmetric in x0 <-> x1 when the coefficient and f are (here f = 1, a from a symmetric y)
    ys = np.array([0.2, 0.5, 0.5, 0.9])  # squares (0,1) and (1,0) equal
    v = pde.solve(T, ys, 10, f=lambda x0, x1: np.ones_like(x0)).reshape(9, 9)
    np.testing.assert_allclose(v, v.T, rtol=1e-12)
    assert (v > 0).all()  # maximum principle for f > 0


def test_solver_rejects_a_non_positive_coefficient():
    with pytest.raises(ValueError, match="positive"):
        pde.solve(lambda y, x0, x1: np.zeros((len(y), x0.size)), np.zeros((1, 0)), 6)


# -- the discrete H^1 norm ------------------------------------------------------------------------

def test_h1_norm_gram_and_factor():
    n = 7
    G, R = pde.gram_matrix(n), pde.gram_factor(n)
    assert abs(R.T @ R - G).max() < 1e-13
    rng = np.random.default_rng(0)
    U = rng.standard_normal((4, (n - 1) ** 2))
    np.testing.assert_allclose(pde.h1_norm(U) ** 2, np.einsum("bi,ij,bj->b", U, G.toarray(), U), rtol=1e-12)
    np.testing.assert_allclose(pde.h1_norm(U), np.linalg.norm(U @ R.T.toarray(), axis=1), rtol=1e-12)
    # a hand-computed case: one interior node (n = 2), u = 1: h^2 + four edges of difference 1
    assert pde.h1_norm([1.0]) == pytest.approx(math.sqrt(0.25 + 4))
    # the gradient part of G is the stiffness matrix: |grad u_h|^2 -> |grad u|^2 for u = sin sin
    n = 64
    x0, x1 = pde.grid(n)
    u = np.sin(PI * x0) * np.sin(PI * x1)
    assert pde.h1_norm(u) ** 2 == pytest.approx(PI ** 2 / 2 + 1 / 4, rel=2e-3)


def test_relative_h1_error_and_torch_loss():
    rng = np.random.default_rng(1)
    u = rng.standard_normal((5, 36))
    v = u + 0.1 * rng.standard_normal((5, 36))
    e = pde.relative_h1_error(v, u, reduce=False)
    assert e.shape == (5,)
    np.testing.assert_allclose(e, pde.h1_norm(v - u) / pde.h1_norm(u))
    assert pde.relative_h1_error(v, u) == pytest.approx(e.mean())
    assert pde.relative_h1_error(3 * u, u) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="same shape"):
        pde.relative_h1_error(u[:, :25], u[:, :16])
    with pytest.raises(ValueError, match=r"\(n-1\)\^2"):
        pde.h1_norm(np.ones(10))
    torch = pytest.importorskip("torch")
    loss = pde.h1_loss()(torch.from_numpy(v), torch.from_numpy(u))
    assert float(loss) == pytest.approx(e.mean(), rel=1e-12)


# -- data sets ------------------------------------------------------------------------------------

def test_dataset_is_cached_by_its_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTSHEAR_CACHE_DIR", str(tmp_path))
    T = pde.trigonometric(3)
    y, u = pde.dataset(T, 6, n=8, seed=5, progress=False)
    files = list((tmp_path / "pde").glob("*.npz"))
    assert len(files) == 1
    np.testing.assert_allclose(u, pde.solve(T, y, 8), rtol=1e-6)

    def no_solve(*a, **k):
        raise AssertionError("solved again instead of reading the cache")

    monkeypatch.setattr(pde, "solve", no_solve)
    y2, u2 = pde.dataset(T, 6, n=8, seed=5, progress=False)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(u, u2)
    with pytest.raises(AssertionError, match="solved again"):
        pde.dataset(T, 6, n=8, seed=6, progress=False)  # another seed: another file
    with pytest.raises(AssertionError, match="solved again"):
        pde.dataset(pde.trigonometric(3, mu=0.2), 6, n=8, seed=5, progress=False)


# -- surrogates -----------------------------------------------------------------------------------

@pytest.fixture
def one_torch_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny layers: a second thread only adds synchronisation
    yield torch
    torch.set_num_threads(before)


def test_tiny_training_lowers_the_loss_and_the_engine_matches_torch(one_torch_thread):
    torch = one_torch_thread
    T = pde.trigonometric(2)
    n = 8
    y = T.sample(300, seed=0)
    u = pde.solve(T, y, n).astype(np.float32)
    s = pde.train_surrogate(T, n, hidden=(32, 32), epochs=25, batch_size=32, lr=3e-3, seed=0,
                            progress=False, data=(y[:250], u[:250], y[250:], u[250:]))
    loss = s.history["loss"]
    assert len(loss) == 25 and loss[-1] < 0.3 * loss[0]
    assert s.test_error < 0.5 * s.mean_error
    assert s.net.widths == (2, 32, 32, 49)
    x = y[250:].astype(np.float32)
    with torch.no_grad():
        ref = s.model(torch.from_numpy(x)).numpy()
    out = s.net(x)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    assert s.test_error == pytest.approx(pde.relative_h1_error(out, u[250:]), rel=1e-6)
    buf = np.empty_like(out)
    assert s(y[250:], out=buf) is buf  # the multi-query form: one result array, reused
    np.testing.assert_array_equal(buf, out)
    # in float64 the engine and torch agree to rounding of the sums, far below 1e-6
    m64 = s.model.double()
    net64 = fastshear.DenseNet.from_torch(m64)
    assert net64.dtype == np.float64 and net64.widths == s.net.widths
    with torch.no_grad():
        ref64 = m64(torch.from_numpy(y[250:])).numpy()
    np.testing.assert_allclose(net64(y[250:]), ref64, rtol=0, atol=1e-12 * np.abs(ref64).max())


def test_pde_demo_cli_writes_results(tmp_path, monkeypatch, one_torch_thread):
    pytest.importorskip("matplotlib")
    from fastshear import cli

    monkeypatch.setenv("FASTSHEAR_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    rc = cli.main(["pde-demo", "-o", str(out), "--cases", "T1:2,T2:2", "--n", "8", "--train", "64",
                   "--test", "16", "--epochs", "2", "--width", "8", "--depth", "2", "--bench-batch", "32",
                   "-q"])
    assert rc == 0
    recs = json.loads((out / "results.json").read_text())
    assert [(r["family"], r["p"]) for r in recs] == [("T1 trigonometric", 2), ("T2 chessboard 2x2", 4)]
    for r in recs:
        for k in ("family", "p", "n", "rel_h1_error", "complexity", "evals_per_s_engine", "evals_per_s_solver"):
            assert k in r
        assert r["n"] == 8 and r["rel_h1_error"] > 0 and r["evals_per_s_engine"] > 0
        full = r["p"] * 8 + 8 + 8 * 8 + 8 + 8 * 49 + 49  # every weight and bias
        assert 0.9 * full < r["complexity"] <= full
    assert (out / "pde_errors.png").stat().st_size > 1000
    assert "rel. H^1 error" in (out / "results.md").read_text()
    assert cli.main(["pde-demo", "-o", str(out), "--cases", "T7:2"]) == 2


def test_rank_factored_output_layer(one_torch_thread):
    torch = one_torch_thread
    T = pde.chessboard(2)
    n = 8
    y = T.sample(200, seed=2)
    u = pde.solve(T, y, n).astype(np.float32)
    s = pde.train_surrogate(T, n, hidden=(16, 16), rank=6, epochs=10, batch_size=32, lr=3e-3, seed=1,
                            progress=False, data=(y[:160], u[:160], y[160:], u[160:]))
    assert s.net.widths == (4, 16, 16, 6, 49) and s.net.activations == ("relu", "relu", "identity")
    assert s.history["loss"][-1] < s.history["loss"][0]
    x = y[160:].astype(np.float32)
    with torch.no_grad():
        ref = s.model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(s.net(x), ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    with pytest.raises(ValueError, match="rank"):
        pde.train_surrogate(T, n, rank=0, data=(y[:160], u[:160], y[160:], u[160:]), progress=False)
