"""Loss and softmax edge cases against torch 2.13 (issue 16): messages name nll_loss, a float
class target of the wrong shape says the target dtype is wrong, every target ignored gives
torch's value and a zero (not NaN) gradient, and 0-size inputs give torch's results."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F


def test_nll_loss_errors_name_nll_loss():
    x = ad.randn(3, 4)
    with pytest.raises(IndexError, match="nll_loss"):
        F.nll_loss(x, ad.tensor(np.array([0, 1, 5])))
    with pytest.raises(ValueError, match="nll_loss"):
        F.nll_loss(x, ad.tensor(np.array([0, 1])))
    with pytest.raises(TypeError, match="nll_loss"):
        F.nll_loss(x, ad.tensor(np.array([0.0, 1.0, 2.0])))


def test_float_class_target_of_the_wrong_shape_says_dtype():
    with pytest.raises(RuntimeError, match="expected target dtype to be Long"):
        F.cross_entropy(ad.randn(3, 4), ad.tensor(np.array([0.0, 1.0, 2.0])))


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_target_ignored_matches_torch(loss, reduction, weighted):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3))
    t = np.array([-100, -100])
    w = np.array([1.0, 2.0, 3.0]) if weighted else None
    ax = ad.tensor(x, requires_grad=True)
    out = getattr(F, loss)(ax, ad.tensor(t), weight=None if w is None else ad.tensor(w),
                           reduction=reduction)
    out.sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tout = getattr(torch.nn.functional, loss)(tx, torch.tensor(t),
                                              weight=None if w is None else torch.tensor(w),
                                              reduction=reduction)
    tout.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())  # NaN == NaN
    np.testing.assert_array_equal(ax.grad.numpy(), tx.grad.numpy())
    assert not np.signbit(ax.grad.numpy()).any()  # +0, as torch


@pytest.mark.parametrize("name, make", [
    ("softmax", lambda F_, z: F_.softmax(z(0), 0)),
    ("log_softmax", lambda F_, z: F_.log_softmax(z(0, 3), 1)),
    ("softmax rows", lambda F_, z: F_.softmax(z(4, 0), 0)),
    ("max_pool2d", lambda F_, z: F_.max_pool2d(z(0, 3, 4, 4), 2)),
    ("avg_pool2d", lambda F_, z: F_.avg_pool2d(z(0, 3, 4, 4), 2)),
    ("conv2d", lambda F_, z: F_.conv2d(z(0, 4, 5, 5), z(3, 4, 3, 3))),
    ("conv_transpose2d", lambda F_, z: F_.conv_transpose2d(z(0, 4, 5, 5), z(4, 3, 3, 3))),
    ("adaptive_avg_pool2d", lambda F_, z: F_.adaptive_avg_pool2d(z(2, 4, 5, 5), 0)),
    ("adaptive_avg_pool1d", lambda F_, z: F_.adaptive_avg_pool1d(z(2, 4, 5), (0,))),
])
def test_zero_size_inputs_match_torch(name, make):
    torch = pytest.importorskip("torch")
    ours = make(F, lambda *s: ad.zeros(*s, requires_grad=True))
    ref = make(torch.nn.functional, lambda *s: torch.zeros(*s, requires_grad=True))
    assert tuple(ours.shape) == tuple(ref.shape)
    ours.sum().backward()  # and backward runs


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_zero_rows_losses_match_torch(loss, reduction):
    torch = pytest.importorskip("torch")
    ax = ad.zeros(0, 3, requires_grad=True)
    out = getattr(F, loss)(ax, ad.tensor(np.zeros(0, np.int64)), reduction=reduction)
    tx = torch.zeros(0, 3, requires_grad=True)
    tout = getattr(torch.nn.functional, loss)(tx, torch.zeros(0, dtype=torch.long),
                                              reduction=reduction)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    out.sum().backward()
    assert ax.grad.shape == (0, 3)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_ignore_index_must_be_an_int(loss):
    with pytest.raises(TypeError, match=f"{loss}: ignore_index"):
        getattr(F, loss)(ad.randn(3, 4), ad.tensor(np.array([0, 1, 2])), ignore_index=1.5)
