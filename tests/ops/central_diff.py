"""Central-difference checks of first and second derivatives through the engine (float64).

Used by tests/ops/test_conv.py, test_pool.py and test_loss_ops.py; independent of
``autodiff.gradcheck`` so that these tests check the ops against plain arithmetic.
"""
import numpy as np

import autodiff as ad


def _numeric(f, tensors, eps):
    nums = []
    for t in tensors:
        num = np.zeros(t._data.shape)
        for i in np.ndindex(t._data.shape):
            old = t._data[i]
            t._data[i] = old + eps
            fp = f()
            t._data[i] = old - eps
            fm = f()
            t._data[i] = old
            num[i] = (fp - fm) / (2 * eps)
        nums.append(num)
    return nums


def check_grad(fn, inputs, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """Analytic vector-Jacobian product of ``fn(*inputs)`` vs central differences."""
    out = fn(*inputs)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    analytic = ad.grad(out, list(inputs), ad.tensor(v))
    numeric = _numeric(lambda: float(np.vdot(fn(*inputs)._data, v)), inputs, eps)
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a._data, n, rtol=rtol, atol=atol,
                                   err_msg=f"first derivative w.r.t. input {k}")


def check_gradgrad(fn, inputs, eps=1e-6, rtol=1e-4, atol=1e-6, seed=1):
    """Gradient of <grad(fn(x), x, v, create_graph=True), u> with respect to the inputs and
    to v, vs central differences of that first gradient."""
    rng = np.random.default_rng(seed)
    out = fn(*inputs)
    v = ad.tensor(rng.standard_normal(out.shape), requires_grad=True)
    us = [rng.standard_normal(t.shape) for t in inputs]

    def h():
        gs = ad.grad(fn(*inputs), list(inputs), v, create_graph=True)
        total = None
        for g, u in zip(gs, us):
            term = (g * ad.tensor(u)).sum()
            total = term if total is None else total + term
        return total

    analytic = ad.grad(h(), list(inputs) + [v], allow_unused=True)
    numeric = _numeric(lambda: float(h()._data), list(inputs) + [v], eps)
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.zeros_like(n) if a is None else a._data
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol,
                                   err_msg=f"second derivative w.r.t. input {k}")

