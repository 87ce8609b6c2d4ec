"""dtype policy of the kernel-backed ops (issue 16): float16 runs in float32 and comes back as
float16 (gradients too); integer inputs work where PyTorch's CPU ops take them and are a
TypeError naming the op elsewhere; no numba error ever reaches the user."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

F16 = np.float16

HALF_CASES = {
    "conv2d": (lambda F_, x, w: F_.conv2d(x, w, padding=1), (2, 4, 5, 5), (3, 4, 3, 3)),
    "conv1d": (lambda F_, x, w: F_.conv1d(x, w, stride=2), (2, 4, 7), (3, 4, 3)),
    "conv_transpose2d": (lambda F_, x, w: F_.conv_transpose2d(x, w, stride=2),
                         (2, 4, 5, 5), (4, 3, 3, 3)),
    "max_pool2d": (lambda F_, x, w: F_.max_pool2d(x, 2), (2, 4, 6, 6), None),
    "max_pool1d": (lambda F_, x, w: F_.max_pool1d(x, 3, 2), (2, 4, 7), None),
    "avg_pool2d": (lambda F_, x, w: F_.avg_pool2d(x, 3, 2, 1), (2, 4, 6, 6), None),
    "softmax": (lambda F_, x, w: F_.softmax(x, 1), (3, 5), None),
    "log_softmax": (lambda F_, x, w: F_.log_softmax(x, 1), (3, 5), None),
}


@pytest.mark.parametrize("name", sorted(HALF_CASES))
def test_float16_matches_torch_in_value_and_grad(name):
    torch = pytest.importorskip("torch")
    fn, xs, ws = HALF_CASES[name]
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xs).astype(F16)
    w = None if ws is None else (rng.standard_normal(ws) * 0.3).astype(F16)
    ax = ad.tensor(x, requires_grad=True)
    aw = None if w is None else ad.tensor(w, requires_grad=True)
    out = fn(F, ax, aw)
    assert out.dtype == F16
    g = rng.standard_normal(out.shape).astype(F16)
    (out * ad.tensor(g)).sum().backward()
    assert ax.grad.dtype == F16
    tx = torch.tensor(x, requires_grad=True)
    tw = None if w is None else torch.tensor(w, requires_grad=True)
    tout = fn(torch.nn.functional, tx, tw)
    (tout * torch.tensor(g)).sum().backward()
    tol = dict(rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(out.detach().numpy().astype(np.float32),
                               tout.detach().numpy().astype(np.float32), **tol)
    np.testing.assert_allclose(ax.grad.numpy().astype(np.float32),
                               tx.grad.numpy().astype(np.float32), **tol)
    if w is not None:
        np.testing.assert_allclose(aw.grad.numpy().astype(np.float32),
                                   tw.grad.numpy().astype(np.float32), rtol=5e-2, atol=5e-2)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_float16_losses_match_torch(loss):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 4)).astype(F16)
    t = np.array([0, 3, 1, -100, 2, 2])
    ax = ad.tensor(x, requires_grad=True)
    out = getattr(F, loss)(ax, ad.tensor(t))
    out.backward()
    tx = torch.tensor(x, requires_grad=True)
    tout = getattr(torch.nn.functional, loss)(tx, torch.tensor(t))
    tout.backward()
    assert out.dtype == F16 and ax.grad.dtype == F16
    np.testing.assert_allclose(float(out.item()), float(tout.item()), rtol=1e-2)
    np.testing.assert_allclose(ax.grad.numpy().astype(np.float32),
                               tx.grad.numpy().astype(np.float32), rtol=1e-2, atol=1e-3)


def test_float16_nn_modules_run():
    x = ad.randn(2, 3, 6, 6).to(F16)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2), nn.AvgPool2d(3))
    net.to(F16)
    out = net(x)
    assert out.dtype == F16 and out.shape == (2, 4, 1, 1)
    out.sum().backward()
    assert net[0].weight.grad.dtype == F16
    assert np.isfinite(net[0].weight.grad.numpy()).all()


def test_integer_inputs_where_torch_takes_them():
    torch = pytest.importorskip("torch")
    x = np.arange(2 * 16).reshape(2, 1, 4, 4) * 7 % 11 - 5
    w = np.arange(2 * 1 * 2 * 2).reshape(2, 1, 2, 2) - 3
    TF = torch.nn.functional
    for ours, ref in [
        (F.max_pool2d(ad.tensor(x), 2), TF.max_pool2d(torch.tensor(x), 2)),
        (F.max_pool2d(ad.tensor(x), 3, 1, 1), TF.max_pool2d(torch.tensor(x), 3, 1, 1)),
        (F.avg_pool2d(ad.tensor(x), 2), TF.avg_pool2d(torch.tensor(x), 2)),
        (F.conv2d(ad.tensor(x), ad.tensor(w)), TF.conv2d(torch.tensor(x), torch.tensor(w))),
    ]:
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_integer_max_pool1d_pads_with_the_smallest_int():
    # PyTorch has no int max_pool1d; ours pools like max_pool2d (was an OverflowError)
    x = ad.tensor(np.array([[-5, -7, -3, -9, -2]]))
    out = F.max_pool1d(x, 3, 2, 1)
    np.testing.assert_array_equal(out.numpy(), [[-5, -3, -2]])


def _ints():
    return ad.tensor(np.arange(12).reshape(3, 4)), ad.tensor(np.array([0, 1, 2]))


@pytest.mark.parametrize("call, op", [
    (lambda: F.cross_entropy(*_ints()), "cross_entropy"),
    (lambda: F.nll_loss(*_ints()), "nll_loss"),
    (lambda: F.conv2d(ad.zeros(1, 1, 3, 3).to(np.bool_), ad.zeros(1, 1, 2, 2).to(np.bool_)),
     "conv2d"),
    (lambda: F.max_pool2d(ad.zeros(1, 1, 4, 4).to(np.bool_), 2), "max_pool2d"),
])
def test_unsupported_dtypes_are_a_type_error_naming_the_op(call, op):
    with pytest.raises(TypeError, match=op):
        call()


def test_float16_relu_and_sgd_momentum():
    """The elementwise and optimiser kernels serve float32/float64; float16 goes to NumPy
    (numba raised NotImplementedError: float16)."""
    from autodiff import optim
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 40)).astype(F16)
    out = F.relu(ad.tensor(a))
    assert out.dtype == F16
    np.testing.assert_array_equal(out.numpy(), np.maximum(a, 0))
    m = nn.Linear(10, 80).to(F16)
    opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x = ad.tensor(rng.standard_normal((8, 10)).astype(F16))
    w, buf = m.weight.detach().numpy().astype(np.float64), 0.0
    for _ in range(3):
        opt.zero_grad()
        F.relu(m(x)).sum().backward()
        g = m.weight.grad.numpy().astype(np.float64)
        opt.step()
        buf = 0.9 * buf + g
        w = w - 0.1 * buf
    assert m.weight.dtype == F16
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-2, atol=2e-3)
