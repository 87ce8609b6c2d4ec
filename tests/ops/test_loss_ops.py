"""softmax / log_softmax / cross_entropy / nll_loss ops: values, gradients, double backward,
stability and PyTorch parity."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.ops.loss import cross_entropy, log_softmax, nll_loss, softmax
from tests.ops.central_diff import check_grad, check_gradgrad
from tests.torch_parity import double_backward

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _t(a, grad=True):
    return ad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_known_values():
    x = _t([[0.0, np.log(3.0)], [1.0, 1.0]])
    np.testing.assert_allclose(softmax(x, 1)._data, [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(log_softmax(x, -1)._data, np.log([[0.25, 0.75], [0.5, 0.5]]))
    t = ad.tensor(np.array([1, 0]))
    np.testing.assert_allclose(cross_entropy(x, t)._data, -(np.log(0.75) + np.log(0.5)) / 2)
    np.testing.assert_allclose(cross_entropy(x, t, reduction="none")._data,
                               [-np.log(0.75), -np.log(0.5)])
    w = ad.tensor([1.0, 3.0])
    # weighted mean divides by the summed weights of the targets: (3*l0 + 1*l1) / 4
    np.testing.assert_allclose(cross_entropy(x, t, weight=w)._data,
                               -(3 * np.log(0.75) + np.log(0.5)) / 4)
    np.testing.assert_allclose(nll_loss(log_softmax(x, 1), t, weight=w)._data,
                               -(3 * np.log(0.75) + np.log(0.5)) / 4)
    l = cross_entropy(x, t)
    l.backward()
    np.testing.assert_allclose(x.grad._data, [[0.125, -0.125], [-0.25, 0.25]])


def test_shapes_ignore_index_and_errors():
    x = ad.zeros(3, 4, 2, 5)
    t = ad.tensor(np.zeros((3, 2, 5), dtype=np.int64))
    assert cross_entropy(x, t, reduction="none").shape == (3, 2, 5)
    assert cross_entropy(x, t).shape == ()
    assert cross_entropy(ad.zeros(4), ad.tensor(np.array(2))).shape == ()
    assert cross_entropy(x, t).dtype == np.float32
    xi = _t(np.random.default_rng(0).standard_normal((3, 4)))
    l = cross_entropy(xi, ad.tensor(np.array([1, -100, 2])))
    l.backward()
    assert np.all(xi.grad._data[1] == 0)
    assert np.isnan(cross_entropy(xi, ad.tensor(np.array([-100, -100, -100])))._data)
    assert cross_entropy(xi, ad.tensor(np.array([5, 0, 0])), ignore_index=5)._data > 0
    with pytest.raises(IndexError, match="out of bounds"):
        cross_entropy(xi, ad.tensor(np.array([4, 0, 0])))
    with pytest.raises(IndexError, match="out of bounds"):
        nll_loss(xi, ad.tensor(np.array([0, -1, 0])))
    with pytest.raises(ValueError, match="reduction"):
        cross_entropy(xi, ad.tensor(np.array([0, 0, 0])), reduction="avg")
    with pytest.raises(ValueError, match="target"):
        cross_entropy(xi, ad.tensor(np.array([0, 0])))


def test_stable_for_1e4_logits_float32():
    x = ad.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=np.float32),
                  requires_grad=True)
    t = ad.tensor(np.array([0, 2]))
    l = cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(l._data, [0.0, np.log(3.0)], atol=1e-6)
    l.sum().backward()
    assert np.all(np.isfinite(x.grad._data))
    np.testing.assert_allclose(x.grad._data, [[0, 0, 0], [1 / 3, 1 / 3, -2 / 3]], atol=1e-6)
    ls = log_softmax(x, 1)
    assert ls.dtype == np.float32 and np.all(np.isfinite(ls._data))
    np.testing.assert_allclose(ls._data[0], [0.0, -2e4, -1e4])
    assert np.all(np.isfinite(softmax(x * 1.0, 1)._data))


@pytest.mark.parametrize("kw", [
    dict(),
    dict(weight=np.array([0.5, 2.0, 1.0, 1.5]), label_smoothing=0.2),
    dict(reduction="sum", ignore_index=1),
    dict(reduction="none", label_smoothing=0.1),
])
def test_cross_entropy_gradients_and_double_backward(kw):
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((5, 4)))
    t = ad.tensor(np.array([0, 1, 3, 2, 1]))
    kw = dict(kw)
    if "weight" in kw:
        kw["weight"] = ad.tensor(kw["weight"])
    check_grad(lambda x: cross_entropy(x, t, **kw), (x,))
    check_gradgrad(lambda x: cross_entropy(x, t, **kw), (x,))


def test_softmax_nll_gradients_and_double_backward():
    rng = np.random.default_rng(2)
    x = _t(rng.standard_normal((2, 3, 4)))
    for f in (lambda x: softmax(x, 1), lambda x: log_softmax(x, -1)):
        check_grad(f, (x,))
        check_gradgrad(f, (x,))
    y = _t(rng.standard_normal((3, 4, 2)))
    t = ad.tensor(np.array([[0, 3], [1, 1], [2, 0]]))
    check_grad(lambda y: nll_loss(y, t, weight=ad.tensor([1.0, 2.0, 0.5, 1.0])), (y,))
    check_gradgrad(lambda y: cross_entropy(y, t), (y,))


# --------------------------------------------------------------------------- torch parity


@st.composite
def ce_setups(draw):
    C = draw(st.integers(1, 5))
    shape = draw(st.sampled_from([(C,), (3, C), (2, C, 3), (2, C, 2, 2)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.standard_normal(shape) * draw(st.sampled_from([1.0, 10.0]))
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, C, tshape)
    ignore = -100
    if t.ndim and draw(st.booleans()):
        t.flat[0] = ignore
    kw = dict(reduction=draw(st.sampled_from(["mean", "sum", "none"])),
              label_smoothing=draw(st.sampled_from([0.0, 0.3])))
    weight = rng.random(C) + 0.5 if draw(st.booleans()) else None
    return x, t, weight, kw


@SETTINGS
@given(ce_setups())
def test_cross_entropy_and_nll_match_torch(setup):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, t, weight, kw = setup
    W = None if weight is None else ad.tensor(weight)
    tW = None if weight is None else torch.tensor(weight)
    for ours, theirs, extra in ((cross_entropy, F.cross_entropy, kw),
                                (nll_loss, F.nll_loss, dict(reduction=kw["reduction"]))):
        double_backward(
            lambda X: ours(X, ad.tensor(t), weight=W, **extra),
            lambda X: theirs(X, torch.tensor(t), weight=tW, **extra), x, torch,
            second=("x", "grad_out") if ours is cross_entropy else (), atol=1e-10)


def test_softmax_family_and_probability_targets_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 5))
    for dim in (0, 1, 2, -1):
        for ours, theirs in ((softmax, F.softmax), (log_softmax, F.log_softmax)):
            X, xt = _t(x), torch.tensor(x, requires_grad=True)
            out, ot = ours(X, dim), theirs(xt, dim)
            np.testing.assert_allclose(out._data, ot.detach().numpy(), rtol=1e-6, atol=1e-12)
            go = rng.standard_normal(x.shape)
            gx, = ad.grad(out, [X], ad.tensor(go))
            tgx, = torch.autograd.grad(ot, [xt], torch.tensor(go))
            np.testing.assert_allclose(gx._data, tgx.numpy(), rtol=1e-6, atol=1e-12)
    q = rng.random((3, 4, 5))
    q /= q.sum(1, keepdims=True)
    w = rng.random(4) + 0.5
    for red in ("mean", "sum", "none"):
        out = cross_entropy(_t(x), ad.tensor(q), weight=ad.tensor(w), reduction=red,
                            label_smoothing=0.1)
        ot = F.cross_entropy(torch.tensor(x), torch.tensor(q), weight=torch.tensor(w),
                             reduction=red, label_smoothing=0.1)
        np.testing.assert_allclose(out._data, ot.numpy(), rtol=1e-6)
    x32 = (rng.standard_normal((6, 7)) * 1e4).astype(np.float32)
    t = rng.integers(0, 7, 6)
    X, xt = ad.tensor(x32, requires_grad=True), torch.tensor(x32, requires_grad=True)
    l, lt = cross_entropy(X, ad.tensor(t)), F.cross_entropy(xt, torch.tensor(t))
    l.backward()
    lt.backward()
    np.testing.assert_allclose(l._data, lt.item(), rtol=1e-6)
    np.testing.assert_allclose(X.grad._data, xt.grad.numpy(), atol=1e-6)


def test_cross_entropy_fast_path_matches_general_path():
    """int64 targets (the fast path) and int32 targets (the general path) agree, values and
    gradients; an out-of-range target still raises."""
    import autodiff as _ad
    from autodiff.ops.loss import cross_entropy as _ce
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4))
    t = rng.integers(0, 4, 6)
    t[2] = -100  # ignored row
    res = []
    for tt in (t.astype(np.int64), t.astype(np.int32)):
        xt = _ad.tensor(x, requires_grad=True)
        loss = _ce(xt, _ad.tensor(tt))
        loss.backward()
        res.append((loss._data, xt.grad._data))
    assert np.array_equal(res[0][0], res[1][0]) and np.array_equal(res[0][1], res[1][1])
    with pytest.raises(IndexError):
        _ce(_ad.tensor(x), _ad.tensor(np.array([0, 1, 2, 3, 4, 0])))
