"""Shared helpers for the nn tests: central differences and torch state transfer."""

import numpy as np

import autodiff as ad


def central_diff_check(fn, inputs, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """Compare the analytic gradient of sum(fn(*inputs) * v) (v fixed random) with central
    differences, for every float64 input Tensor that requires grad. Returns the worst error."""
    rng = np.random.default_rng(seed)
    out = fn(*inputs)
    v = rng.standard_normal(out.shape)
    for t in inputs:
        t.grad = None
    (out * ad.Tensor(v, dtype=np.float64)).sum().backward()
    worst = 0.0
    for t in inputs:
        if not (isinstance(t, ad.Tensor) and t.requires_grad):
            continue
        assert t.dtype == np.float64
        analytic = np.zeros_like(t._data) if t.grad is None else t.grad._data
        num = np.zeros_like(t._data)
        flat = t._data.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            with ad.no_grad():
                flat[i] = old + eps
                fp = float(np.sum(fn(*inputs)._data * v))
                flat[i] = old - eps
                fm = float(np.sum(fn(*inputs)._data * v))
            flat[i] = old
            num.reshape(-1)[i] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(analytic, num, rtol=rtol, atol=atol)
        worst = max(worst, float(np.max(np.abs(analytic - num), initial=0.0)))
    return worst


def to_torch_state(module):
    import torch
    return {k: torch.from_numpy(np.array(v.numpy())) for k, v in module.state_dict().items()}
