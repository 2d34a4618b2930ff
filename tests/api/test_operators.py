import numpy as np
import pytest

import fastshear
from fastshear import operators as ops


@pytest.fixture(scope="module")
def sh():
    return fastshear.Shearlet2D((64, 64), scales=2)


def test_shearlet_is_an_operator(sh):
    S = ops.as_operator(sh)
    assert S.in_shape == (64, 64) and S.out_shape == (sh.n_shearlets, 64, 64)
    assert ops.dot_test(S) < 1e-12
    x = np.random.default_rng(0).standard_normal((3, 64, 64))
    np.testing.assert_allclose(S.forward(x), sh.forward(x))
    np.testing.assert_allclose(S.T.forward(S.forward(x)), sh.adjoint(sh.forward(x)))


def test_dot_test_float32():
    sh32 = fastshear.Shearlet2D((64, 64), scales=2, dtype=np.float32)
    assert 1e-12 < ops.dot_test(sh32) < 1e-5


def test_dot_test_detects_a_wrong_adjoint():
    class Wrong(ops.LinearOperator):
        in_shape = out_shape = (20,)

        def _forward(self, x):
            return np.cumsum(x, axis=-1)

        def _adjoint(self, y):
            return np.cumsum(y, axis=-1)  # the transpose would sum from the right

    assert ops.dot_test(Wrong()) > 1e-2


@pytest.mark.parametrize("shape", [(5, 7), (16, 16)])
def test_gradient_adjoint_and_matrix(shape):
    D = ops.Gradient2D(shape)
    assert ops.dot_test(D) < 1e-13
    # the dense matrix of D, column by column, against forward differences written out
    n = shape[0] * shape[1]
    M = ops.aslinearoperator(D) @ np.eye(n)
    x = np.random.default_rng(1).standard_normal(shape)
    gr = np.zeros(shape)
    gr[:-1] = x[1:] - x[:-1]
    gc = np.zeros(shape)
    gc[:, :-1] = x[:, 1:] - x[:, :-1]
    np.testing.assert_allclose(M @ x.ravel(), np.concatenate([gr.ravel(), gc.ravel()]), atol=1e-13)
    # norm < sqrt(8), and close to it on a larger grid
    assert ops.norm(D) < np.sqrt(8)


def test_gradient_norm_approaches_sqrt8():
    assert 2.7 < ops.norm(ops.Gradient2D((48, 48)), max_iter=300, tol=1e-7) < np.sqrt(8)


def test_norm_of_known_matrices():
    A = ops.MatrixOperator(np.diag([3.0, -5.0, 1.0]))
    assert abs(ops.norm(A, tol=1e-10, max_iter=500) - 5.0) < 1e-6
    B = np.random.default_rng(2).standard_normal((30, 20))
    assert abs(ops.norm(B, tol=1e-12, max_iter=2000) - np.linalg.norm(B, 2)) < 1e-6 * np.linalg.norm(B, 2)


def test_shearlet_norm_is_the_frame_bound(sh):
    S = ops.as_operator(sh)
    exact = S.norm()
    assert exact == pytest.approx(np.sqrt(sh.frame_bounds[1]))
    est = ops.norm(S, max_iter=40, tol=1e-8)
    assert est <= exact * (1 + 1e-9) and est > 0.95 * exact


def test_algebra():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 6)), rng.standard_normal((6, 5))
    c = rng.standard_normal((4, 6))
    A, B, C = ops.MatrixOperator(a), ops.MatrixOperator(b), ops.MatrixOperator(c)
    x, y = rng.standard_normal(5), rng.standard_normal(4)
    np.testing.assert_allclose((A @ B).forward(x), a @ b @ x)
    np.testing.assert_allclose((A @ B).adjoint(y), (a @ b).T @ y)
    np.testing.assert_allclose((2.5 * A).forward(b @ x), 2.5 * a @ b @ x)
    np.testing.assert_allclose((A - C).forward(b @ x), (a - c) @ b @ x)
    np.testing.assert_allclose((A + C).adjoint(y), (a + c).T @ y)
    np.testing.assert_allclose((-A).T.forward(y), -a.T @ y)
    np.testing.assert_allclose((A / 2) @ (b @ x), a @ b @ x / 2)
    assert A.T.T is A
    for op in (A @ B, 2 * A, A + C, A.T, ops.Identity(4), ops.Diagonal(rng.random(7))):
        assert ops.dot_test(op) < 1e-13
    with pytest.raises(ValueError, match="compose"):
        B @ A
    with pytest.raises(ValueError, match="add"):
        A + B
    with pytest.raises(TypeError, match="expected a fastshear operator"):
        ops.as_operator("not an operator")


def test_composition_of_plans(sh):
    D = ops.Gradient2D((64, 64))
    DS = D @ ops.as_operator(sh).T  # coefficients -> gradient of the synthesis
    assert DS.in_shape == (sh.n_shearlets, 64, 64) and DS.out_shape == (2, 64, 64)
    assert ops.dot_test(DS) < 1e-12


def test_aslinearoperator_with_scipy():
    from scipy.sparse.linalg import lsqr

    rng = np.random.default_rng(4)
    a = rng.standard_normal((40, 12))
    b = rng.standard_normal(40)
    L = ops.aslinearoperator(ops.MatrixOperator(a))
    x = lsqr(L, b, atol=1e-14, btol=1e-14)[0]
    np.testing.assert_allclose(x, np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-8)
    assert L.dtype == np.float64 and L.shape == (40, 12)
