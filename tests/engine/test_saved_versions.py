"""Every fused op that saves its own output or an input for backward checks its version (issue
16): an in-place write on it makes backward raise PyTorch's RuntimeError instead of returning
wrong gradients (an RNN/LSTM/GRU output written in place gave |dW_hh| 49.34 instead of 6.13)."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

MSG = "modified by an inplace operation"


def _leaf(*shape):
    return ad.randn(*shape, requires_grad=True)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", [{}, dict(num_layers=2)])
def test_recurrent_output_written_in_place_raises(cls, kw):
    m = getattr(nn, cls)(3, 4, **kw)
    y, _ = m(ad.randn(5, 2, 3))
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=MSG):
        y.sum().backward()


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_gradients_unchanged_without_in_place(cls):
    """The same graph without the in-place write still gives torch's gradients."""
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    m = getattr(nn, cls)(3, 4).to(np.float64)
    tm = getattr(torch.nn, cls)(3, 4).double()
    with torch.no_grad():
        for name, p in m.named_parameters():
            getattr(tm, name).copy_(torch.tensor(p.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    y, _ = m(ad.tensor(x))
    (y * 2.0).sum().backward()
    ty, _ = tm(torch.tensor(x))
    (ty * 2.0).sum().backward()
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), getattr(tm, name).grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


def _out_in_place(make):
    y = make()
    y.mul_(2.0)
    return y  # the caller drops y before backward: the check must not rely on y being alive


CASES = {
    # op: (build and modify in place, return the loss to backward through)
    "softmax output": lambda: _out_in_place(lambda: F.softmax(_leaf(3, 4), 1)).sum(),
    "log_softmax output": lambda: _out_in_place(lambda: F.log_softmax(_leaf(3, 4), 1)).sum(),
    "exp output (a primitive op, for comparison)": lambda: _out_in_place(
        lambda: _leaf(3, 4).exp()).sum(),
}


def _input_case(op):
    def run():
        x = _leaf(*op[1]) * 1.0
        out = op[0](x)
        x.add_(1.0)
        return out.sum()
    return run


INPUT_OPS = {
    "conv2d": (lambda x: F.conv2d(x, _leaf(3, 4, 3, 3)), (2, 4, 5, 5)),
    "conv1d": (lambda x: F.conv1d(x, _leaf(3, 4, 3)), (2, 4, 7)),
    "conv_transpose2d": (lambda x: F.conv_transpose2d(x, _leaf(4, 3, 3, 3)), (2, 4, 5, 5)),
    "cross_entropy": (lambda x: F.cross_entropy(x, ad.tensor(np.array([0, 1, 2]))), (3, 4)),
    "cross_entropy weighted": (lambda x: F.cross_entropy(x, ad.tensor(np.array([0, 1, 2])),
                                                         weight=ad.ones(4)), (3, 4)),
    "linear": (lambda x: nn.Linear(4, 2)(x), (3, 4)),
    "elu": (lambda x: F.elu(x), (3, 4)),
    "softplus": (lambda x: F.softplus(x), (3, 4)),
    "gelu": (lambda x: F.gelu(x), (3, 4)),
    "lstm input": (lambda x: nn.LSTM(4, 2)(x)[0], (2, 3, 4)),
}
CASES.update({f"{k} input": _input_case(v) for k, v in INPUT_OPS.items()})


@pytest.mark.parametrize("name", sorted(CASES))
def test_saved_tensor_written_in_place_raises(name):
    loss = CASES[name]()
    with pytest.raises(RuntimeError, match=MSG):
        loss.backward()


def test_torch_raises_on_the_recurrent_case_too():
    torch = pytest.importorskip("torch")
    y, _ = torch.nn.LSTM(3, 4)(torch.randn(5, 2, 3))
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=MSG):
        y.sum().backward()


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_target_written_in_place_after_forward_does_not_change_the_gradient(loss, weighted):
    """The class targets are kept as they were at forward time (the gradient was computed for
    the modified targets, silently)."""
    fn = getattr(F, loss)
    w = ad.ones(4) * 2.0 if weighted else None
    x = _leaf(3, 4)
    t = ad.tensor(np.array([0, 1, 2]))
    out = fn(x, t, weight=w)
    t.add_(1)
    out.backward()
    got = x.grad.numpy().copy()
    x.grad = None
    fn(x, ad.tensor(np.array([0, 1, 2])), weight=w).backward()
    np.testing.assert_array_equal(got, x.grad.numpy())
