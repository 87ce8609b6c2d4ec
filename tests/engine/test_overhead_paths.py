"""The shortcuts of the per-op hot path give the same graph and gradients as the general path:
one-element pending-gradient sums (a new array instead of NumPy's slow in-place add), the
``out=...`` / ``asarray`` twins of ``_sum_arrays``, and the flat-keyed signatures of the one-
and two-input recording paths."""
import numpy as np
import pytest
from custom_functions import TwoOutputs

import autodiff as ad
from autodiff import engine
from autodiff import function as F


@pytest.mark.parametrize("out_array", [True, False])
def test_sum_arrays_twins(monkeypatch, out_array):
    if out_array and not engine._OUT_ARRAY:
        pytest.skip("NumPy < 2.3 has no out=...")
    monkeypatch.setattr(engine, "_OUT_ARRAY", out_array)
    for dtype in (np.float32, np.float64):
        s = engine._sum_arrays(np.array(1.25, dtype), np.array(0.5, dtype))
        assert s.__class__ is np.ndarray and s.shape == () and s.dtype == dtype
        assert float(s) == 1.75
        s = engine._sum_arrays(np.array([1.0, 2.0], dtype), np.array([0.5, 0.25], dtype))
        assert s.dtype == dtype and s.tolist() == [1.5, 2.25]


@pytest.mark.parametrize("out_array", [True, False])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (3,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_owned_sums_of_one_element_gradients(monkeypatch, out_array, shape, dtype):
    """c feeds 7 adds and a mul: its pending sum is owned after the second gradient and grows
    by a new array (one element) or in place (more); hooks see unmodified gradients."""
    if out_array and not engine._OUT_ARRAY:
        pytest.skip("NumPy < 2.3 has no out=...")
    monkeypatch.setattr(engine, "_OUT_ARRAY", out_array)
    x0 = np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape).astype(dtype)
    c0 = np.full(shape, 0.25, dtype)
    x = ad.tensor(x0, requires_grad=True)
    c = ad.tensor(c0, requires_grad=True)
    seen = []
    y = x * 3.0
    y.register_hook(lambda g: seen.append((g, g._data.copy())))
    z = y
    for k in range(7):
        z = z + c * float(k + 1) + y
    (z * c).sum().backward()
    for t in (x, c):
        g = t.grad._data
        assert g.__class__ is np.ndarray and g.shape == shape and g.dtype == dtype
    g, snapshot = seen[0]
    assert np.array_equal(g._data, snapshot)
    # z = 8 y + 28 c with y = 3 x, loss = sum(z * c): d/dx = 24 c, d/dc = 24 x + 56 c
    np.testing.assert_allclose(x.grad._data, 24 * c0, rtol=1e-6)
    np.testing.assert_allclose(c.grad._data, 24 * x0.astype(np.float64) + 56 * c0, rtol=1e-6)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x0, requires_grad=True)
    ct = torch.tensor(c0, requires_grad=True)
    yt = xt * 3.0
    zt = yt
    for k in range(7):
        zt = zt + ct * float(k + 1) + yt
    (zt * ct).sum().backward()
    for ours, theirs in ((x, xt), (c, ct)):
        np.testing.assert_allclose(ours.grad._data, theirs.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(), (1,), (4,)])
def test_chained_adds_gradients(shape):
    """The benchmark's graph: 1,000 chained adds of one leaf."""
    x = ad.tensor(np.ones(shape, np.float32), requires_grad=True)
    c = ad.tensor(np.full(shape, 0.5, np.float32), requires_grad=True)
    y = x
    for _ in range(1000):
        y = y + c
    np.testing.assert_array_equal(y._data, np.full(shape, 501.0, np.float32))
    y.sum().backward()
    for t, expect in ((x, 1.0), (c, 1000.0)):
        assert t.grad._data.__class__ is np.ndarray and t.grad._data.dtype == np.float32
        np.testing.assert_array_equal(t.grad._data, np.full(shape, expect, np.float32))


def _interned(node, nrs, meta):
    """Whether the node holds the very tuples interned for this key (one flat key format,
    ``(nr, shape, dtype)`` per argument, for the written-out and the general paths)."""
    key = ()
    for nr, m in zip(nrs, meta):
        key += (None, None, None) if m is None else (nr,) + tuple(m)
    sig = F._SIGNATURES[key]
    return all(x is y for x, y in zip((node._nr, node.needs_input_grad, node.input_meta), sig))


def test_binary_signature_matches_general_path():
    F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
    a = ad.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    b = ad.tensor(np.ones((3,), np.float64), requires_grad=True)
    k = ad.tensor(np.ones((3,), np.float32))            # needs no gradient
    h = a * 2.0                                          # a non-leaf input

    out = h + b
    node = out.grad_fn
    assert node.needs_input_grad == (True, True)
    assert node.input_meta == (((2, 3), F32), ((3,), F64))
    assert node._nr == (0, 0)
    assert node.next_functions == ((h.grad_fn, 0), (b._grad_accumulator(), 0))
    assert _interned(node, (0, 0), (((2, 3), F32), ((3,), F64)))

    node = (k - a).grad_fn
    assert node.needs_input_grad == (False, True)
    assert node.input_meta == (None, ((2, 3), F32))
    assert node._nr == (None, 0) and node.next_functions[0] == (None, 0)

    node = (2.0 * a).grad_fn                             # a Python number and a tensor
    assert node.needs_input_grad == (False, True) and node.input_meta == (None, ((2, 3), F32))

    node = a.exp().grad_fn                               # the one-input path
    assert node.needs_input_grad == (True,) and node.input_meta == (((2, 3), F32),)
    assert _interned(node, (0,), (((2, 3), F32),))

    node = ad.where(k > 0, h, b).grad_fn                 # the general path (three arguments)
    assert node.needs_input_grad == (False, True, True)
    assert _interned(node, (None, 0, 0), (None, ((2, 3), F32), ((3,), F64)))


def test_binary_signature_keeps_output_numbers():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = ad.tensor(np.array([0.5, 0.5]), requires_grad=True)
    _, second = TwoOutputs.apply(x)
    out = c * second                                     # second is output 1 of its node
    assert out.grad_fn._nr == (0, 1)
    assert out.grad_fn.next_functions[1] == (second.grad_fn, 1)
    out.sum().backward()
    np.testing.assert_allclose(x.grad._data, [1.5, 1.5])  # d(c * 3x)/dx = 3 c
    np.testing.assert_allclose(c.grad._data, [3.0, 6.0])


def test_flat_signatures_survive_a_cache_reset(monkeypatch):
    monkeypatch.setattr(F, "_SIGNATURES", {})
    a = ad.tensor(np.ones(2), requires_grad=True)
    for n in range(1, 4200):                             # more keys than the cache keeps
        F._signature((0, (n,), a._data.dtype, 0, (n,), a._data.dtype))
    assert len(F._SIGNATURES) <= 4097
    node = (a + a).grad_fn
    assert node.needs_input_grad == (True, True)
    assert node.input_meta == (((2,), a._data.dtype), ((2,), a._data.dtype))
