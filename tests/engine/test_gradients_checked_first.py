"""A custom Function's backward that returns one bad gradient among good ones raises before
any of them reaches a leaf: no ``.grad`` is written or changed (PyTorch checks all of a
node's gradients first, in ``validate_outputs``)."""
import numpy as np
import pytest

import autodiff as ad


def _pair(second, base=ad.Function):
    """``Pair.apply(a, b)`` is ``a * b``; its backward returns ``(g * b, second)`` (``base``:
    ``ad.Function`` or ``torch.autograd.Function``)."""
    class Pair(base):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            (b,) = ctx.saved_tensors
            return g * b, second
    return Pair


BAD = [("oops", TypeError, r"Pair\.backward returned a gradient of type str at index 1"),
       (np.ones((2, 3)), RuntimeError, r"invalid gradient at index 1 - got shape \(2, 3\)")]


@pytest.mark.parametrize("second,error,message", BAD)
@pytest.mark.parametrize("old_grad", [None, [0.5, -1.0]])
def test_no_leaf_gradient_written_when_a_later_one_is_bad(second, error, message, old_grad):
    a = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ad.tensor(np.array([3.0, 4.0]), requires_grad=True)
    if old_grad is not None:
        a.grad = ad.tensor(np.array(old_grad))
    with pytest.raises(error, match=message):
        _pair(second).apply(a, b).sum().backward()
    if old_grad is None:
        assert a.grad is None
    else:
        np.testing.assert_array_equal(a.grad.numpy(), old_grad)
    assert b.grad is None


def test_good_gradients_still_pass():
    a = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ad.tensor(np.array([3.0, 4.0]), requires_grad=True)
    _pair(np.array([5.0, 6.0])).apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [5.0, 6.0])


def test_a_second_consumer_of_the_leaf_adds_nothing_either():
    """``a`` also feeds a good op: its gradient waits for the bad node and is never added."""
    a = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ad.tensor(np.array([3.0, 4.0]), requires_grad=True)
    with pytest.raises(TypeError, match="type str at index 1"):
        (_pair("oops").apply(a, b) + a * 2.0).sum().backward()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("second", ["oops", "shape"])
def test_torch_leaves_the_grad_unset_too(second):
    torch = pytest.importorskip("torch")
    Pair = _pair("oops" if second == "oops" else torch.ones(2, 3, dtype=torch.float64),
                 torch.autograd.Function)
    a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="got str" if second == "oops" else "invalid gradient"):
        Pair.apply(a, b).sum().backward()
    assert a.grad is None and b.grad is None
