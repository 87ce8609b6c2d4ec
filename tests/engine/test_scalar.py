"""ad.Scalar: one-number nodes sharing the Tensor engine."""
import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.node import Node
from autodiff.scalar import Scalar


def test_micrograd_neuron_values_and_grads():
    x1, x2 = Scalar(2.0, label="x1"), Scalar(0.0, label="x2")
    w1, w2 = Scalar(-3.0, label="w1"), Scalar(1.0, label="w2")
    b = Scalar(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    assert o.data == pytest.approx(math.tanh(-6 + 6.8813735870195432))
    do_dn = 1 - o.data ** 2
    assert n.grad == pytest.approx(do_dn)
    assert x1.grad == pytest.approx(do_dn * -3.0)
    assert w1.grad == pytest.approx(do_dn * 2.0)
    assert x2.grad == pytest.approx(do_dn * 1.0)
    assert w2.grad == pytest.approx(0.0)
    assert o.grad == 1.0
    assert isinstance(o, Scalar) and isinstance(n, Scalar)
    assert isinstance(o.data, float) and isinstance(x1.grad, float)


def test_scalar_shares_the_tensor_engine():
    a, b = Scalar(1.5), Scalar(2.0)
    c = a * b
    assert isinstance(c, ad.Tensor)
    assert isinstance(c.grad_fn, Node)
    assert type(c.grad_fn).__name__ == "MulBackward0"
    assert c.grad_fn.next_functions[0][0].variable is a


@pytest.mark.parametrize("name,fn,dfn", [
    ("add", lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    ("sub", lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    ("mul", lambda a, b: a * b, lambda a, b: (b, a)),
    ("div", lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2)),
    ("pow", lambda a, b: a ** b, lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
])
def test_binary_ops(name, fn, dfn):
    av, bv = 1.7, -0.6
    a, b = Scalar(av), Scalar(bv)
    out = fn(a, b)
    assert isinstance(out, Scalar)
    assert out.data == pytest.approx(fn(av, bv))
    out.backward()
    ga, gb = dfn(av, bv)
    assert a.grad == pytest.approx(ga) and b.grad == pytest.approx(gb)


def test_reflected_ops_with_numbers():
    a = Scalar(2.0)
    exprs = [(3 + a, 5.0, 1.0), (3 - a, 1.0, -1.0), (3 * a, 6.0, 3.0), (3 / a, 1.5, -0.75),
             (2 ** a, 4.0, 4.0 * math.log(2)), (a ** 3, 8.0, 12.0), (-a, -2.0, -1.0),
             (a + 1, 3.0, 1.0), (a - 1, 1.0, 1.0), (a * 0.5, 1.0, 0.5), (a / 4, 0.5, 0.25)]
    for out, value, grad in exprs:
        assert isinstance(out, Scalar)
        a.grad = 0.0
        out.backward()
        assert out.data == pytest.approx(value)
        assert a.grad == pytest.approx(grad)


@pytest.mark.parametrize("name,f,df", [
    ("exp", math.exp, math.exp),
    ("log", math.log, lambda v: 1 / v),
    ("tanh", math.tanh, lambda v: 1 - math.tanh(v) ** 2),
    ("sigmoid", lambda v: 1 / (1 + math.exp(-v)), lambda v: math.exp(-v) / (1 + math.exp(-v)) ** 2),
    ("relu", lambda v: max(v, 0.0), lambda v: float(v > 0)),
])
@pytest.mark.parametrize("v", [0.7, 2.3])
def test_unary_ops(name, f, df, v):
    a = Scalar(v)
    out = getattr(a, name)()
    out.backward()
    assert isinstance(out, Scalar)
    assert out.data == pytest.approx(f(v), rel=1e-12)
    assert a.grad == pytest.approx(df(v), rel=1e-9)


def test_relu_negative_has_zero_grad():
    a = Scalar(-1.0)
    out = a.relu()
    out.backward()
    assert out.data == 0.0 and a.grad == 0.0


def test_reused_node_accumulates():
    a = Scalar(3.0)
    b = a + a            # db/da = 2
    c = b * a            # c = 2a^2 -> dc/da = 4a
    c.backward()
    assert a.grad == pytest.approx(12.0)
    assert b.grad == pytest.approx(3.0)


def _micrograd_expression(a, b):
    """micrograd's test expression; works on Scalars and on torch tensors."""
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    return g + 10.0 / f


def test_matches_torch():
    torch = pytest.importorskip("torch")
    a, b = Scalar(-4.0), Scalar(2.0)
    g = _micrograd_expression(a, b)
    g.backward()
    ta = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tg = _micrograd_expression(ta, tb)
    tg.backward()
    assert g.data == pytest.approx(tg.item(), rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


def test_repr_and_label():
    n = Scalar(0.8814, label="n")
    n.grad = 0.5
    assert repr(n) == "Scalar(data=0.8814, grad=0.5, label='n')"
    assert repr(Scalar(2.0)) == "Scalar(data=2.0, grad=0.0)"
    c = Scalar(1.0, requires_grad=False)
    assert repr(c) == "Scalar(data=1.0)"
    assert n.label == "n"


def test_data_update_and_constant():
    w = Scalar(1.0)
    w.data -= 0.25
    assert w.data == 0.75 and isinstance(w.data, float)
    k = Scalar(3.0, requires_grad=False)
    out = w * k
    out.backward()
    assert w.grad == 3.0 and k.grad == 0.0


def test_bad_values():
    with pytest.raises(TypeError, match="Scalar"):
        Scalar("x")
    with pytest.raises(ValueError, match="Scalar"):
        Scalar([1.0, 2.0])


def test_second_backward_through_freed_graph_raises():
    a = Scalar(2.0)
    out = a * a
    out.backward()
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


class Neuron:
    def __init__(self, nin, rng):
        self.w = [Scalar(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Scalar(0.0)

    def __call__(self, x, act=True):
        s = self.b
        for wi, xi in zip(self.w, x):
            s = s + wi * xi
        return s.tanh() if act else s

    def parameters(self):
        return self.w + [self.b]


class MLP:
    def __init__(self, nin, hidden, rng):
        self.hidden = [Neuron(nin, rng) for _ in range(hidden)]
        self.out = Neuron(hidden, rng)

    def __call__(self, x):
        h = [n(x) for n in self.hidden]
        return self.out(h, act=False)

    def parameters(self):
        return [p for n in self.hidden + [self.out] for p in n.parameters()]


@pytest.mark.slow
def test_two_layer_mlp_of_scalars_trains():
    rng = np.random.RandomState(1)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, 4, rng)
    params = model.parameters()
    losses = []
    for _ in range(60):
        loss = Scalar(0.0, requires_grad=False)
        for x, y in zip(xs, ys):
            loss = loss + (model(x) - y) ** 2
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad
        losses.append(loss.data)
    assert losses[0] > 1.0
    assert losses[-1] < 0.02
    assert all(isinstance(p.grad, float) for p in params)
