"""Python numbers are weak scalars and 0-d tensors give way to dimensioned ones, exactly as in
PyTorch: ``float32_tensor * 0.1``, ``x ** 2``, ``1.0 / x``, ``x + 1`` compute in float32 and
their values and gradients equal torch 2.13's bit for bit; result dtypes follow PyTorch's
promotion table. (Powers other than 2, 3, 0.5, -0.5, -1, -2 and transcendental functions use
PyTorch's SLEEF kernels there and NumPy's libm here: equal to the last bit or two only.)"""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

EXPRS = {
    "x*0.1": lambda x, u: x * 0.1, "0.1*x": lambda x, u: 0.1 * x, "x/3.0": lambda x, u: x / 3.0,
    "1.0/x": lambda x, u: 1.0 / u, "7/x": lambda x, u: 7 / u, "x**2": lambda x, u: x ** 2,
    "x**3": lambda x, u: x ** 3, "x**-1": lambda x, u: u ** -1, "x+1": lambda x, u: x + 1,
    "x-0.3": lambda x, u: x - 0.3,
    "0.3-x": lambda x, u: 0.3 - x, "x*2": lambda x, u: x * 2, "x/u": lambda x, u: x / u,
    "x*u": lambda x, u: x * u, "pow(2)": lambda x, u: x.pow(2), "square": lambda x, u: x.square(),
    "reciprocal": lambda x, u: u.reciprocal(), "mean": lambda x, u: x.mean(),
    "mean(0)": lambda x, u: x.mean(0), "x*0.1+0.2": lambda x, u: (x * 0.1 + 0.2) * u,
    "-x**2/7": lambda x, u: -x ** 2 / 7,
    "x*np.float64(0.1)": lambda x, u: x * np.float64(0.1),
    "x/np.sqrt(8)": lambda x, u: x / np.sqrt(8), "np.float32(3)-x": lambda x, u: np.float32(3) - x,
    "x+np.int64(2)": lambda x, u: x + np.int64(2),
}


@pytest.mark.parametrize("name", list(EXPRS))
def test_bitwise_as_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((50, 40)) * 3).astype(np.float32)
    u = (np.abs(x) + 0.1).astype(np.float32)
    f = EXPRS[name]
    outs = []
    for lib in (ad, torch):
        tx = lib.tensor(x, requires_grad=True)
        tu = lib.tensor(u, requires_grad=True)
        out = f(tx, tu)
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(lib.tensor(g))
        outs.append((out.detach().numpy(), None if tx.grad is None else tx.grad.numpy(),
                     None if tu.grad is None else tu.grad.numpy()))
    (o, gx, gu), (to, tgx, tgu) = outs
    assert o.dtype == to.dtype == np.float32
    if name.startswith("mean"):  # summation order differs (values to round-off only)
        np.testing.assert_allclose(o, to, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(o, to)
    for a, b in ((gx, tgx), (gu, tgu)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)


PROMOTIONS = {
    "int*0.5": lambda l: l.tensor([1, 2]) * 0.5, "int/2": lambda l: l.tensor([1, 2]) / 2,
    "int+True": lambda l: l.tensor([1, 2]) + True, "bool*2": lambda l: l.tensor([True]) * 2,
    "bool*2.5": lambda l: l.tensor([True]) * 2.5,
    "i32*i64": lambda l: l.tensor([1], dtype=l.int32) * l.tensor([1]),
    "f32*f64(0d)": lambda l: l.tensor([1.5]) * l.tensor(2.25, dtype=l.float64),
    "f64(0d)-f32": lambda l: l.tensor(2.25, dtype=l.float64) - l.tensor([1.5]),
    "i64*f32(0d)": lambda l: l.tensor([1]) * l.tensor(2.0),
    "i64*f64(0d)": lambda l: l.tensor([1]) * l.tensor(2.0, dtype=l.float64),
    "f16*f32(0d)": lambda l: l.tensor([1.0], dtype=l.float16) * l.tensor(2.0),
    "f16+i64(0d)": lambda l: l.tensor([1.0], dtype=l.float16) + l.tensor(1),
    "bool+i64(0d)": lambda l: l.tensor([True]) + l.tensor(2),
    "i32+i64(0d)": lambda l: l.tensor([1], dtype=l.int32) + l.tensor(2),
    "u8+i8": lambda l: l.tensor([1], dtype=l.uint8) + l.tensor([1], dtype=l.int8),
    "int**2": lambda l: l.tensor([3]) ** 2, "int//2": lambda l: l.tensor([3]) // 2,
    "i32+1": lambda l: l.tensor([1], dtype=l.int32) + 1,
    "i32*1.5": lambda l: l.tensor([1], dtype=l.int32) * 1.5,
    "bool+bool": lambda l: l.tensor([True]) + l.tensor([True]),
    "f32(0d)*f64": lambda l: l.tensor(1.0) * l.tensor([2.0], dtype=l.float64),
    "i64(0d)*f32": lambda l: l.tensor(3) * l.tensor([2.0]),
    "f32/f64(0d)": lambda l: l.tensor([1.0, 3.0]) / l.tensor(3.0, dtype=l.float64),
    "int-1.5": lambda l: l.tensor([1, 2]) - 1.5, "1.5/int": lambda l: 1.5 / l.tensor([1, 2]),
}


@pytest.mark.parametrize("name", list(PROMOTIONS))
def test_promotion_as_torch(name):
    torch = pytest.importorskip("torch")
    t = PROMOTIONS[name](torch)
    a = PROMOTIONS[name](ad)
    assert str(a.dtype) == str(t.dtype).replace("torch.", "autodiff."), name
    np.testing.assert_array_equal(a.numpy(), t.numpy())
