"""A tensor hook may replace a gradient only by a Tensor of the same shape and dtype, and
``.grad`` may only be assigned a Tensor of the tensor's shape and dtype (or None): both raise
as PyTorch does instead of broadcasting a wrong-shaped gradient into ``.grad`` or an
optimizer step."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import optim


def _x():
    return ad.tensor(np.ones(3), requires_grad=True)


def wrong_shape(g):
    return ad.ones(2, dtype=ad.float64)


def wrong_dtype(g):
    return g.to(ad.float32)


def to_scalar(g):
    return g.sum()


def to_str(g):
    return "a"


def to_ndarray(g):
    return np.ones(3)


def to_broadcastable(g):
    return ad.ones(1, dtype=ad.float64)


HOOKS = {
    "wrong_shape": (wrong_shape, RuntimeError, "hook 'wrong_shape' has changed the size of value"),
    "to_scalar": (to_scalar, RuntimeError, "hook 'to_scalar' has changed the size of value"),
    "to_broadcastable": (to_broadcastable, RuntimeError, "changed the size of value"),
    "wrong_dtype": (wrong_dtype, RuntimeError, "hook 'wrong_dtype' has changed the type of value"),
    "to_str": (to_str, TypeError, "hook 'to_str' returned 'str'"),
    "to_ndarray": (to_ndarray, TypeError, "returned 'ndarray'"),
}


@pytest.mark.parametrize("name", sorted(HOOKS))
@pytest.mark.parametrize("where", ["leaf", "non_leaf"])
def test_bad_hook_result_raises(name, where):
    hook, exc, msg = HOOKS[name]
    x = _x()
    y = x * 2
    (x if where == "leaf" else y).register_hook(hook)
    with pytest.raises(exc, match=msg):
        (y * 3).sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("name", sorted(HOOKS))
@pytest.mark.parametrize("where", ["leaf", "non_leaf"])
def test_torch_raises_the_same_class(name, where):
    torch = pytest.importorskip("torch")
    hook, exc, _ = HOOKS[name]

    def torch_hook(g):
        r = hook(ad.tensor(g.numpy()))
        return torch.from_numpy(np.asarray(r.numpy() if isinstance(r, ad.Tensor) else r)) \
            if not isinstance(r, str) else r

    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    y = x * 2
    (x if where == "leaf" else y).register_hook(torch_hook if name != "to_ndarray" else hook)
    with pytest.raises(exc):
        (y * 3).sum().backward()


def test_good_hook_still_replaces_the_gradient():
    x = _x()
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0] * 3)


def test_optimizer_never_sees_a_wrong_shaped_gradient():
    w = ad.tensor(np.ones((2, 3)), requires_grad=True)
    w.register_hook(lambda g: ad.ones(3, dtype=ad.float64))
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(RuntimeError, match="size of value"):
        (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), np.ones((2, 3)))


ASSIGN = {
    "shape": (lambda: ad.ones(2, dtype=ad.float64), RuntimeError,
              r"assigned grad has data of a different size.*\[2\].*\[3\]"),
    "dtype": (lambda: ad.ones(3, dtype=ad.float32), RuntimeError,
              "assigned grad has data of a different type.*float32.*float64"),
    "int_dtype": (lambda: ad.ones(3, dtype=ad.int64), RuntimeError, "different type"),
    "ndarray": (lambda: np.ones(3), TypeError, "expected to be a Tensor or None.*ndarray"),
    "float": (lambda: 1.0, TypeError, "expected to be a Tensor or None.*float"),
}


@pytest.mark.parametrize("name", sorted(ASSIGN))
def test_bad_grad_assignment_raises(name):
    make, exc, msg = ASSIGN[name]
    x = _x()
    with pytest.raises(exc, match=msg):
        x.grad = make()
    assert x.grad is None


@pytest.mark.parametrize("name", sorted(ASSIGN))
def test_torch_raises_the_same_class_on_assignment(name):
    torch = pytest.importorskip("torch")
    make, exc, _ = ASSIGN[name]
    v = make()
    if isinstance(v, ad.Tensor):
        v = torch.from_numpy(v.numpy().copy())
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(exc):
        x.grad = v


def test_good_assignments_work():
    x = _x()
    x.grad = ad.ones(3, dtype=ad.float64)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0] * 3)
    x.grad = None
    assert x.grad is None
    del x.grad
    assert x.grad is None
    with pytest.raises(RuntimeError, match="its own grad"):
        x.grad = x
    z = ad.ones(3)                       # no requires_grad: the checks still apply, as torch
    with pytest.raises(RuntimeError, match="different size"):
        z.grad = ad.ones(4)
