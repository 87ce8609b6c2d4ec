"""The engine sums a node's pending gradients in place once it owns the sum: the gradients
other nodes passed on (and hooks saw) are never modified, and the results match PyTorch."""
import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("shape", [(), (3,)])
def test_fan_in_sums_do_not_touch_passed_gradients(shape):
    seen = []
    x0 = np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)
    x = ad.tensor(x0, requires_grad=True)
    c = ad.tensor(np.full(shape, 0.25), requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: seen.append((g, g._data.copy())))
    z = y
    for k in range(5):           # y feeds five adds; c feeds five adds and a mul
        z = z + y * float(k) + c
    (z * c).sum().backward()
    g, snapshot = seen[0]
    assert np.array_equal(g._data, snapshot)
    # z = 22 x + 5 c, loss = sum(z * c): d/dx = 22 c, d/dc = 22 x + 10 c
    np.testing.assert_allclose(x.grad._data, np.full(shape, 22 * 0.25), rtol=1e-12)
    np.testing.assert_allclose(c.grad._data, 22 * x0 + 10 * 0.25, rtol=1e-12)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x0, requires_grad=True)
    ct = torch.full(shape, 0.25, dtype=torch.float64, requires_grad=True)
    yt = xt * 2.0
    zt = yt
    for k in range(5):
        zt = zt + yt * float(k) + ct
    (zt * ct).sum().backward()
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(c.grad._data, ct.grad.numpy(), rtol=1e-12)


def test_scalar_chain_gradients_stay_arrays():
    x = ad.tensor(np.float32(1.0), requires_grad=True)
    c = ad.tensor(np.float32(0.5), requires_grad=True)
    y = x
    for _ in range(10):
        y = y + c
    assert y._data.__class__ is np.ndarray and y._data.dtype == np.float32
    y.backward()
    assert c.grad._data.__class__ is np.ndarray and c.grad._data.dtype == np.float32
    assert float(c.grad._data) == 10.0 and float(x.grad._data) == 1.0


def test_leaf_gradients_accumulated_inline_match_torch():
    """A leaf fed once (accumulated as its consumer runs), twice by one op (x * x), through
    two ops, and with a hook: each gets its full gradient; .grad owns its memory."""
    x0 = np.array([0.5, -1.5, 2.0])
    x, w, h = (ad.tensor(x0 + k, requires_grad=True) for k in range(3))
    seen = []
    h.register_hook(lambda g: seen.append(g._data.copy()))
    ((x * x) * w + h * w + h).sum().backward()
    assert x.grad._data.base is None and x.grad._data.flags.owndata
    # loss = sum(x^2 w + h w + h): d/dx = 2 x w, d/dw = x^2 + h, d/dh = w + 1
    x1, w1, h1 = x0, x0 + 1, x0 + 2
    for t, expect in ((x, 2 * x1 * w1), (w, x1 ** 2 + h1), (h, w1 + 1)):
        np.testing.assert_allclose(t.grad._data, expect, rtol=1e-12)
    np.testing.assert_allclose(seen[0], w1 + 1, rtol=1e-12)
    torch = pytest.importorskip("torch")
    xt, wt, ht = (torch.tensor(x0 + k, requires_grad=True) for k in range(3))
    ((xt * xt) * wt + ht * wt + ht).sum().backward()
    for a, b in ((x, xt), (w, wt), (h, ht)):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(seen[0], ht.grad.numpy(), rtol=1e-12)
