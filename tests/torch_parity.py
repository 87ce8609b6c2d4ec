"""autodiff against torch 2.13 on the same float64 inputs: values and gradients. The callers
import torch with ``pytest.importorskip`` and pass the module in."""
import numpy as np

import autodiff as ad


def values_and_grads(ours, theirs, arrays, torch, seed=2, rtol=1e-6, atol=1e-12):
    """``ours(*xs)`` against ``theirs(*ts)``: the value, then the gradients of every input for
    a random weighting of the output."""
    xs = [ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    ts = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=rtol, atol=atol)
    w = np.random.default_rng(seed).standard_normal(out.shape)
    (out * ad.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def double_backward(ours, theirs, x, torch, second=("grad_out",), atol=1e-12):
    """``ours(X)`` against ``theirs(xt)`` (float64): values, the vector-Jacobian product for a
    random ``grad_out`` taken with create_graph=True, and the gradient of a random weighting
    of that product with respect to ``second`` (a subset of "x", "grad_out")."""
    x = np.asarray(x, dtype=np.float64)
    X, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ot = ours(X), theirs(xt)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-6, atol=atol)
    go = np.random.default_rng(0).standard_normal(ot.shape)
    G, gt = ad.tensor(go, requires_grad=True), torch.tensor(go, requires_grad=True)
    gx, = ad.grad(out, [X], G, create_graph=True)
    tgx, = torch.autograd.grad(ot, [xt], gt, create_graph=True)
    np.testing.assert_allclose(gx._data, tgx.detach().numpy(), rtol=1e-6, atol=atol)
    if not second:
        return
    u = np.random.default_rng(1).standard_normal(x.shape)
    wrt = {"x": (X, xt), "grad_out": (G, gt)}
    ours_wrt, theirs_wrt = zip(*(wrt[name] for name in second))
    ggs = ad.grad((gx * ad.tensor(u)).sum(), list(ours_wrt))
    tggs = torch.autograd.grad((tgx * torch.tensor(u)).sum(), list(theirs_wrt))
    for a, b in zip(ggs, tggs):
        np.testing.assert_allclose(a._data, b.numpy(), rtol=1e-6, atol=atol)
