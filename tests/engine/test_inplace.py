"""In-place ops: version counter, saved-tensor checks, leaf rules, gradients through them."""
import numpy as np
import pytest

import autodiff as ad


def t64(x, rg=True):
    return ad.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


@pytest.mark.parametrize("name,apply,expect", [
    ("add_", lambda t: t.add_(2.0), [3.0, 4.0]),
    ("sub_", lambda t: t.sub_(1.0), [0.0, 1.0]),
    ("mul_", lambda t: t.mul_(3.0), [3.0, 6.0]),
    ("div_", lambda t: t.div_(2.0), [0.5, 1.0]),
    ("zero_", lambda t: t.zero_(), [0.0, 0.0]),
    ("fill_", lambda t: t.fill_(7.0), [7.0, 7.0]),
    ("clamp_", lambda t: t.clamp_(min=1.5), [1.5, 2.0]),
    ("iadd", lambda t: t.__iadd__(1.0), [2.0, 3.0]),
    ("imul", lambda t: t.__imul__(2.0), [2.0, 4.0]),
    ("setitem", lambda t: t.__setitem__(0, 9.0), [9.0, 2.0]),
])
def test_inplace_bumps_version_and_returns_self(name, apply, expect):
    t = t64([1.0, 2.0], rg=False)
    v0 = t._version
    data = t._data
    r = apply(t)
    assert r is t or r is None
    assert t._version == v0 + 1
    assert t._data is data               # really in place
    np.testing.assert_array_equal(t._data, expect)


@pytest.mark.parametrize("name,apply,grad", [
    ("add_", lambda t: t.add_(2.0), [3.0, 3.0]),
    ("mul_", lambda t: t.mul_(3.0), [9.0, 9.0]),
    ("sub_", lambda t: t.sub_(1.0), [3.0, 3.0]),
    ("div_", lambda t: t.div_(2.0), [1.5, 1.5]),
    ("iadd", lambda t: t.__iadd__(1.0), [3.0, 3.0]),
    ("clamp_", lambda t: t.clamp_(max=3.5), [3.0, 0.0]),
    ("zero_", lambda t: t.zero_(), [0.0, 0.0]),
    ("setitem", lambda t: t.__setitem__(1, 0.0), [3.0, 0.0]),
])
def test_gradient_flows_through_inplace_on_non_leaf(name, apply, grad):
    x = t64([1.0, 2.0])
    y = x * 3          # MulBackward saves x (a leaf, unchanged) only
    apply(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, grad)


def test_inplace_with_tensor_operand_gets_its_gradient():
    x = t64([1.0, 2.0])
    w = t64([5.0, 7.0])
    y = x * 1
    y += w * w
    y.sum().backward()
    np.testing.assert_allclose(w.grad._data, [10.0, 14.0])
    np.testing.assert_allclose(x.grad._data, [1.0, 1.0])


def test_modified_saved_input_raises_naming_op():
    x = t64([1.0, 2.0])
    h = x * 2
    y = h * h            # MulBackward saves h
    h.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward"):
        y.sum().backward()


def test_modified_saved_output_raises_naming_op():
    x = t64([0.5, 1.0])
    y = x.exp()          # ExpBackward saves its output
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"inplace operation.*output 0 of ExpBackward"):
        y.sum().backward()


def test_setitem_on_saved_tensor_raises():
    x = t64([1.0, 2.0, 3.0])
    h = x * 1
    y = (h.sin()).sum()  # SinBackward saves h
    h[0] = 5.0
    with pytest.raises(RuntimeError, match=r"SinBackward"):
        y.backward()


def test_modification_not_saved_is_fine():
    x = t64([1.0, 2.0])
    h = x + 1            # AddBackward saves nothing
    y = h * 3            # MulBackward saves h, which is never modified below
    z = h - 1
    h2 = z * 1
    h2.add_(5.0)
    (h2 + y).sum().backward()
    np.testing.assert_allclose(x.grad._data, [4.0, 4.0])


@pytest.mark.parametrize("apply", [
    lambda t: t.add_(1.0), lambda t: t.mul_(2.0), lambda t: t.zero_(), lambda t: t.fill_(1.0),
    lambda t: t.clamp_(0, 1), lambda t: t.__iadd__(1.0), lambda t: t.__setitem__(0, 1.0),
])
def test_inplace_on_leaf_requiring_grad_raises(apply):
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        apply(x)
    np.testing.assert_array_equal(x._data, [1.0, 2.0])   # nothing changed


def test_inplace_on_leaf_allowed_under_no_grad():
    x = t64([1.0, 2.0])
    with ad.no_grad():
        x.sub_(0.5)
        x[1] = 0.0
    np.testing.assert_array_equal(x._data, [0.5, 0.0])
    assert x.is_leaf and x.requires_grad and x.grad_fn is None


def test_sgd_style_update_after_backward_then_next_step_is_correct():
    w = t64([1.0, -1.0])
    for _ in range(3):
        loss = (w * w).sum()
        w.grad = None
        loss.backward()
        with ad.no_grad():
            w -= 0.25 * w.grad
    np.testing.assert_allclose(w._data, np.array([1.0, -1.0]) * 0.5 ** 3)


def test_inplace_through_a_view_of_a_saved_tensor_raises():
    x = t64([1.0, 2.0])
    h = x * 2
    y = (h * h).sum()       # MulBackward saves h
    v = h.view(2)           # shares h's memory
    # as PyTorch: the write goes through (h's graph records it), backward of y then raises
    v.add_(1.0)
    np.testing.assert_array_equal(h.detach().numpy(), [3.0, 5.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_updating_a_saved_leaf_under_no_grad_before_backward_raises():
    w = t64([1.0, 2.0])
    loss = (w * w).sum()          # MulBackward saves w
    with ad.no_grad():
        w -= 0.1                  # bumps w's version
    with pytest.raises(RuntimeError, match=r"MulBackward.*version 0.*version 1"):
        loss.backward()
