"""``ad.Scalar`` is a value: ``c += x`` and the other augmented assignments rebind (micrograd's
own test of more ops runs unchanged, checked against torch 2.13)."""
from __future__ import annotations

import pytest

import autodiff as ad


def _micrograd_more_ops(V):
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_test_more_ops_against_torch():
    torch = pytest.importorskip("torch")

    def tv(x):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    a, b, g = _micrograd_more_ops(ad.Scalar)
    ta, tb, tg = _micrograd_more_ops(tv)
    assert isinstance(g, ad.Scalar)
    assert abs(g.data - tg.item()) < 1e-6
    assert abs(a.grad - ta.grad.item()) < 1e-6
    assert abs(b.grad - tb.grad.item()) < 1e-6


def test_augmented_assignment_rebinds_and_keeps_old_node():
    x = ad.Scalar(3.0, label="x")
    c = x
    steps = []
    c += 2.0
    steps.append(c)
    c -= 2.0
    steps.append(c)
    c *= 4.0
    steps.append(c)
    c /= 2.0
    steps.append(c)
    c **= 2
    steps.append(c)
    assert [s.data for s in steps] == [5.0, 3.0, 12.0, 6.0, 36.0]
    assert x.data == 3.0 and all(isinstance(s, ad.Scalar) for s in steps)
    assert len({id(s) for s in steps} | {id(x)}) == 6
    c.backward()
    # c = ((x + 2 - 2) * 4 / 2) ** 2 = 4 x**2  ->  dc/dx = 8x
    assert x.grad == pytest.approx(24.0)
