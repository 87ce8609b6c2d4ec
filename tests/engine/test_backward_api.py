"""backward() variants, retain_grad, tensor hooks, .grad accumulation, detach, requires_grad_."""
import numpy as np
import pytest

import autodiff as ad


def t64(x, rg=True):
    return ad.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


def test_backward_with_explicit_gradient():
    x = t64([1.0, 2.0, 3.0])
    y = x * x
    y.backward(gradient=t64([1.0, 0.1, 0.01], rg=False))
    np.testing.assert_allclose(x.grad._data, [2.0, 0.4, 0.06])


def test_backward_gradient_as_array_and_shape_check():
    x = t64([1.0, 2.0])
    y = x * 3
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad._data, [3.0, 6.0])


def test_nonscalar_without_gradient_raises():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()


def test_backward_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        t64([1.0], rg=False).sum().backward()


def test_grad_accumulates_across_backward_calls():
    x = t64([1.0, -2.0])
    for k in range(3):
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad._data, (k + 1) * 2 * np.array([1.0, -2.0]))
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad._data, [5.0, 5.0])


def test_retain_graph_allows_second_pass_and_freed_graph_raises():
    x = t64([2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad._data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad._data, 2 * g1)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_create_graph_gives_differentiable_grad():
    x = t64([1.5])
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad._data, [6 * 1.5])


def test_graph_without_saved_state_can_be_rerun_like_pytorch():
    x = t64([1.0, 2.0])
    y = x + 1
    y.backward(t64([1.0, 1.0], rg=False))
    y.backward(t64([1.0, 1.0], rg=False))
    np.testing.assert_allclose(x.grad._data, [2.0, 2.0])


def test_retain_grad_on_non_leaf():
    x = t64([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    out = (h * h).sum()
    out.backward()
    np.testing.assert_allclose(h.grad._data, 2 * 3 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad._data, 18 * np.array([1.0, 2.0]))
    u = x * 2
    (u * 1).sum().backward()
    assert u.grad is None  # not retained


def test_register_hook_replaces_gradient_and_remove():
    x = t64([1.0, 2.0])
    calls = []
    h = x.register_hook(lambda g: calls.append(g._data.copy()) or g * 10)
    (x * 2).sum().backward()
    np.testing.assert_allclose(calls[0], [2.0, 2.0])
    np.testing.assert_allclose(x.grad._data, [20.0, 20.0])
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad._data, [2.0, 2.0])
    assert len(calls) == 1


def test_hook_on_non_leaf_changes_what_flows_down():
    x = t64([1.0, 2.0])
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g._data.copy()))   # observe only
    h.register_hook(lambda g: g * 0.5)                        # then halve
    h.retain_grad()
    (h * 2).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 2.0])
    np.testing.assert_allclose(h.grad._data, [1.0, 1.0])       # retained grad sees the hook
    np.testing.assert_allclose(x.grad._data, [3.0, 3.0])


def test_hook_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        t64([1.0], rg=False).register_hook(lambda g: g)


def test_detach_cuts_the_graph_and_shares_data():
    x = t64([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.data, y._data)
    z = (y * d).sum()
    z.backward()
    np.testing.assert_allclose(x.grad._data, 2 * d.data)   # d is a constant


def test_requires_grad_():
    x = t64([1.0, 2.0], rg=False)
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad._data, [2.0, 4.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="floating point"):
        ad.tensor([1, 2]).requires_grad_()


def test_grad_of_shared_subgraph_in_diamond_uses_each_path_once():
    x = t64([0.3])
    a = x.exp()
    b = a * 2
    c = a * 3
    out = (b + c + a).sum()
    out.backward()
    np.testing.assert_allclose(x.grad._data, 6 * np.exp([0.3]), rtol=1e-15)


def test_ad_grad_does_not_touch_dot_grad():
    x = t64([1.0, 2.0])
    y = (x ** 2).sum()
    g, = ad.grad(y, x)
    np.testing.assert_allclose(g._data, [2.0, 4.0])
    assert x.grad is None and g.grad_fn is None


def test_ad_grad_allow_unused():
    x, z = t64([1.0]), t64([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        ad.grad(y, [x, z], retain_graph=True)
    gx, gz = ad.grad(y, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_backward_inputs_restricts_accumulation():
    x, z = t64([1.0]), t64([2.0])
    (x * z).sum().backward(inputs=[x])
    assert x.grad.item() == 2.0 and z.grad is None


def test_node_post_hook():
    x = t64([1.0, 2.0])
    y = x * 3
    seen = []
    y.grad_fn.register_hook(
        lambda gin, gout: seen.append((gin[0]._data.copy(), gout[0]._data.copy())))
    y.sum().backward()
    np.testing.assert_allclose(seen[0][0], [3.0, 3.0])
    np.testing.assert_allclose(seen[0][1], [1.0, 1.0])


def test_grad_fn_graph_inspection():
    x = t64([1.0])
    y = (x * 2).exp()
    assert y.grad_fn.name() == "ExpBackward0"
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    acc = mul.next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and acc.variable is x
    assert mul.next_functions[1] == (None, 0)
    assert "MulBackward0" in repr(mul)


def test_hooks_and_retain_grad_survive_a_rerun_of_a_graph_without_saved_state():
    x = t64([1.0, 2.0])
    y = x + 1
    y.retain_grad()
    calls = []
    y.register_hook(lambda g: calls.append(1))
    for _ in range(2):
        y.backward(t64([1.0, 1.0], rg=False))
    assert len(calls) == 2
    np.testing.assert_allclose(y.grad._data, [2.0, 2.0])
    np.testing.assert_allclose(x.grad._data, [2.0, 2.0])


def test_scalar_is_exported():
    from autodiff.scalar import Scalar
    assert ad.Scalar is Scalar


def test_zero_d_leaf_grad_stays_float64_array_after_accumulation():
    w = ad.tensor(np.float64(2.0), requires_grad=True)
    for _ in range(2):
        (w * w).backward()
    assert isinstance(w.grad._data, np.ndarray)
    assert (w.grad * 1.0).dtype == np.float64
    assert w.grad.item() == 8.0
