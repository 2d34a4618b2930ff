import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastshear  # noqa: E402
import fastshear.torch as ft  # noqa: E402
from fastshear.operators import Gradient2D  # noqa: E402


def test_shearlet_module_matches_plan_and_gradcheck():
    plan = fastshear.Shearlet2D((33, 33), scales=1)
    sh = ft.Shearlet2D(plan)
    x = torch.rand(2, 33, 33, dtype=torch.float64, requires_grad=True)
    c = sh(x)
    np.testing.assert_allclose(c.detach().numpy(), plan.forward(x.detach().numpy()))
    assert torch.autograd.gradcheck(sh, (x,), fast_mode=True)
    # backward is the adjoint
    g = torch.rand_like(c)
    (c * g).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), plan.adjoint(g.numpy()), rtol=1e-12)


def test_shearlet_inverse_is_differentiable():
    plan = fastshear.Shearlet2D((33, 33), scales=1)
    sh = ft.Shearlet2D(plan)
    c = torch.rand(plan.n_shearlets, 33, 33, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(sh.inverse, (c,), fast_mode=True)
    x = torch.rand(33, 33, dtype=torch.float64)
    np.testing.assert_allclose(sh.inverse(sh(x)).numpy(), x.numpy(), atol=1e-10)


def test_radon_module_gradcheck_and_float32():
    theta = np.arange(0, 180, 15.0)
    R64 = ft.Radon2D(fastshear.Radon2D((16, 16), theta))
    x = torch.rand(3, 16, 16, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(R64, (x,), fast_mode=True)
    R32 = ft.Radon2D(fastshear.Radon2D((16, 16), theta, dtype=np.float32))
    x32 = torch.rand(5, 16, 16, requires_grad=True)
    y = R32(x32)
    assert y.dtype == torch.float32 and y.shape == (5, 12, 16)
    y.sum().backward()
    assert x32.grad.dtype == torch.float32
    np.testing.assert_allclose(x32.grad.numpy(), R32.plan.adjoint(np.ones((5, 12, 16), np.float32)), rtol=1e-5)


def test_generic_operator_and_errors():
    D = ft.Operator(Gradient2D((6, 7)))
    x = torch.rand(6, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(D, (x,))
    y = torch.rand(2, 6, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(D.adjoint, (y,))
    with pytest.raises(ValueError, match="shape"):
        D(torch.rand(7, 6))
    with pytest.raises(TypeError, match="floating-point"):
        D(torch.ones(6, 7, dtype=torch.int64))


def test_training_step_reduces_loss():
    # a learnable scalar in front of a fixed Radon transform: one SGD step lowers the loss
    theta = np.arange(0, 180, 20.0)
    R = ft.Radon2D(fastshear.Radon2D((16, 16), theta, dtype=np.float32))
    x = torch.rand(16, 16)
    target = R(2.0 * x).detach()
    a = torch.nn.Parameter(torch.tensor(1.0))
    loss0 = ((R(a * x) - target) ** 2).mean()
    loss0.backward()
    with torch.no_grad():
        a -= 1e-4 * a.grad
    loss1 = ((R(a * x) - target) ** 2).mean()
    assert loss1 < loss0
