"""What scripts print and compare, as PyTorch: ``autodiff.Size``, dtypes as
``autodiff.float32`` (still NumPy dtypes to NumPy), grad_fn names (``MulBackward0``,
``AccumulateGrad`` in next_functions); graph drawings keep the op names; bfloat16 is a name
that says clearly it cannot be used."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def test_size_prints_like_torch_size():
    torch = pytest.importorskip("torch")
    s = ad.ones(2, 3).shape
    assert isinstance(s, tuple) and s == (2, 3)
    assert repr(s) == repr(torch.ones(2, 3).shape).replace("torch.", "autodiff.")
    assert str(s) == "autodiff.Size([2, 3])" and str(ad.ones(()).shape) == "autodiff.Size([])"
    assert ad.ones(2, 3).size() == torch.ones(2, 3).size()


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int8", "uint8", "int16",
                                  "int32", "int64", "bool", "complex64", "complex128"])
def test_dtypes_print_like_torch_and_are_numpy_dtypes(name):
    torch = pytest.importorskip("torch")
    d, td = getattr(ad, name), getattr(torch, name)
    assert repr(d) == repr(td).replace("torch.", "autodiff.")
    assert str(d) == str(td).replace("torch.", "autodiff.")
    assert np.dtype(d) == np.dtype(name) and d == np.dtype(name) and np.dtype(name) == d
    assert d == getattr(np, name if name != "bool" else "bool_")
    assert hash(d) == hash(np.dtype(name))
    assert np.zeros(2, dtype=d).dtype == np.dtype(name)
    assert d.is_floating_point == td.is_floating_point
    assert d.is_complex == td.is_complex and d.is_signed == td.is_signed
    assert d.itemsize == td.itemsize
    t = ad.zeros(2, dtype=d)
    assert t.dtype is d and t.dtype == d
    assert pickle.loads(pickle.dumps(d)) is d
    ours_dt = repr(t).partition("dtype=")[2]
    theirs_dt = repr(torch.zeros(2, dtype=td)).partition("dtype=")[2]
    assert ours_dt == theirs_dt.replace("torch.", "autodiff.")


def test_dtype_aliases_and_info():
    torch = pytest.importorskip("torch")
    assert ad.float is ad.float32 and ad.double is ad.float64 and ad.long is ad.int64
    assert ad.half is ad.float16 and ad.int is ad.int32 and ad.short is ad.int16
    assert ad.finfo(ad.float32).eps == torch.finfo(torch.float32).eps
    assert ad.finfo(ad.float64).max == torch.finfo(torch.float64).max
    assert ad.finfo().tiny == torch.finfo().tiny
    assert ad.iinfo(ad.int64).max == torch.iinfo(torch.int64).max
    assert (ad.ones(2) * 2).dtype != ad.float64 and ad.ones(2).double().dtype == ad.float64


def test_bfloat16_is_a_name_that_refuses_clearly():
    torch = pytest.importorskip("torch")
    assert repr(ad.bfloat16) == repr(torch.bfloat16).replace("torch.", "autodiff.")
    assert ad.bfloat16.is_floating_point and ad.bfloat16.itemsize == 2
    assert ad.bfloat16 != ad.float16 and ad.bfloat16 != ad.float32
    for make in (lambda: ad.zeros(2, dtype=ad.bfloat16), lambda: ad.ones(2).to(ad.bfloat16),
                 lambda: ad.ones(2).bfloat16(), lambda: nn.Linear(2, 2).to(ad.bfloat16),
                 lambda: ad.tensor([1.0], dtype=ad.bfloat16)):
        with pytest.raises(TypeError, match="bfloat16 is not supported.*float32"):
            make()


def _graph(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, -1.0]], requires_grad=True)
    w = lib.tensor([[0.5, -0.5], [0.25, 2.0]], requires_grad=True)
    v = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([0, 1])
    return {
        "add": x + 1, "sub": x - v, "mul": x * 2, "div": x / 2, "pow": x ** 2, "neg": -x,
        "exp": x.exp(), "log": x.abs().log(), "sqrt": x.abs().sqrt(), "tanh": x.tanh(),
        "sigmoid": x.sigmoid(), "relu": x.relu(), "sum": x.sum(), "mean": x.mean(),
        "mm": x @ w, "dot": v @ v, "view": x.view(4), "reshape": x.reshape(4),
        "permute": x.permute(1, 0), "to": x.double(), "clone": x.clone(),
        "cat": lib.cat([x, x]), "expand": v.expand(2, 2), "index": x[[0, 1], [1, 0]],
        "maximum": lib.maximum(x, w), "clamp": x.clamp(0, 1), "log_softmax": x.log_softmax(1),
        "softmax": x.softmax(1), "logsumexp": x.logsumexp(1), "var": x.var(),
        "std": x.std(), "norm": x.norm(), "prod": x.prod(), "gather": x.gather(1, y[:, None]),
        "flip": x.flip(0), "repeat": x.repeat(2, 1), "cumsum": x.cumsum(0),
        "abs": x.abs(), "sin": x.sin(), "log1p": x.abs().log1p(),
        "where": lib.where(x > 0, x, w), "linear": lib.nn.functional.linear(x, w, v)
        if hasattr(lib, "nn") and lib.__name__ == "torch" else None,
    }


def test_grad_fn_names_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _graph(ad), _graph(torch)
    for k, t in theirs.items():
        if t is None or ours[k] is None:
            continue
        expected = type(t.grad_fn).__name__
        assert type(ours[k].grad_fn).__name__ == expected, k
        assert ours[k].grad_fn.name() == expected, k
        assert repr(ours[k].grad_fn).startswith(f"<{expected} object at 0x"), k
        assert f"grad_fn=<{expected}>" in repr(ours[k]), k
    import autodiff.nn.functional as F
    x = ad.tensor([[1.0, 2.0]], requires_grad=True)
    lin = nn.Linear(2, 3)
    assert type(lin(x).grad_fn).__name__ == "AddmmBackward0"
    assert type(F.cross_entropy(lin(x), ad.tensor([1])).grad_fn).__name__ == "NllLossBackward0"
    assert type(F.mse_loss(lin(x), ad.zeros(1, 3)).grad_fn).__name__ in (
        "MseLossBackward0", "MeanBackward0")


def test_next_functions_as_torch():
    torch = pytest.importorskip("torch")
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    ta = torch.tensor([1.0, 2.0], requires_grad=True)
    nf, tnf = (a * 2).grad_fn.next_functions, (ta * 2).grad_fn.next_functions
    assert [(type(n).__name__, i) for n, i in nf] == [(type(n).__name__, i) for n, i in tnf]
    assert nf[1] == (None, 0) and nf[0][0].variable is a
    node, nr = (a * 2).sum().grad_fn.next_functions[0]
    assert type(node).__name__ == "MulBackward0" and nr == 0


def test_graph_drawing_keeps_op_names():
    x = ad.tensor([[1.0, 2.0]], requires_grad=True)
    w = ad.tensor([[1.0], [2.0]], requires_grad=True)
    y = ((x @ w).reshape(1) * 2).sum()
    src = ad.draw_graph(y).source
    for op in ("MatMul", "Reshape", "Mul", "Sum"):
        assert op in src, op
    assert "Backward0" not in src
