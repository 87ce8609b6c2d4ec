"""The torch parity check shared by the convolution tests."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.ops import conv


def _t(a):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def assert_conv_matches_torch(name, x, w, b, kw, rtol=1e-6, atol=1e-9, seed=0):
    """``autodiff.ops.conv.<name>(X, W, B, **kw)`` against torch.nn.functional's on the
    float64 arrays x, w, b (b may be None): the output, the gradients of all inputs for a
    random output gradient (from ``seed``), and the double backward d/d(x, w) of
    |dx|^2 + |dw|^2 (its atol at least 1e-10). Skips without torch."""
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(conv, name), getattr(torch.nn.functional, name)
    X, W = _t(x), _t(w)
    B = None if b is None else _t(b)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    out, ot = ours(X, W, B, **kw), theirs(xt, wt, bt, **kw)
    np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=rtol, atol=atol)
    go = np.random.default_rng(seed).standard_normal(ot.shape)
    ins = [X, W] + ([] if b is None else [B])
    tins = [xt, wt] + ([] if b is None else [bt])
    gs = ad.grad(out, ins, ad.tensor(go), create_graph=True)
    tgs = torch.autograd.grad(ot, tins, torch.tensor(go), create_graph=True)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g._data, tg.detach().numpy(), rtol=rtol, atol=atol)
    s = (gs[0] * gs[0]).sum() + (gs[1] * gs[1]).sum()
    ts = (tgs[0] * tgs[0]).sum() + (tgs[1] * tgs[1]).sum()
    for g, tg in zip(ad.grad(s, [X, W]), torch.autograd.grad(ts, [xt, wt])):
        np.testing.assert_allclose(g._data, tg.numpy(), rtol=rtol, atol=max(atol, 1e-10))
