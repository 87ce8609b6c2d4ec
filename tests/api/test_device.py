"""Devices (CPU only) and the factory keywords dtype=, device=, requires_grad=."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import autodiff as ad


def test_device_object():
    d = ad.device("cpu")
    assert d.type == "cpu" and d.index is None
    assert repr(d) == "device(type='cpu')" and str(d) == "cpu"
    assert d == ad.device(d) and hash(d) == hash(ad.device("cpu"))
    assert ad.device("cpu", 0) == ad.device("cpu:0") != d
    assert repr(ad.device("cpu:0")) == "device(type='cpu', index=0)"
    assert pickle.loads(pickle.dumps(d)) == d
    assert ad.tensor([1.0]).device == d


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "mps", "xla"])
def test_accelerators_raise_clearly(name):
    with pytest.raises(RuntimeError, match="CPU only"):
        ad.device(name)
    with pytest.raises(RuntimeError, match="CPU only"):
        ad.zeros(2, device=name)
    with pytest.raises(RuntimeError, match="CPU only"):
        ad.tensor([1.0], device=name)


def test_unknown_device_and_cuda_method():
    with pytest.raises(RuntimeError, match="device type"):
        ad.device("gpu")
    with pytest.raises(TypeError):
        ad.device(1.5)
    with pytest.raises(RuntimeError, match="CPU only"):
        ad.ones(2).cuda()


def test_availability_probes():
    assert ad.cuda.is_available() is False
    assert ad.cuda.device_count() == 0
    assert ad.backends.mps.is_available() is False
    ad.cuda.manual_seed_all(0)  # a no-op, as in PyTorch without CUDA
    ad.backends.cudnn.deterministic = True
    dev = ad.device("cuda" if ad.cuda.is_available() else "cpu")
    assert dev.type == "cpu"


def test_tensor_device_methods():
    x = ad.randn(2, 3, requires_grad=True)
    assert x.cpu() is x and x.is_cuda is False and x.get_device() == -1
    y = x.to(ad.device("cpu"))
    assert y is x
    z = x.to("cpu", ad.float64, non_blocking=True)
    assert z.dtype == np.float64 and z.requires_grad
    z.sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.ones((2, 3), np.float32))
    assert x.to(device="cpu", dtype=ad.float32) is x
    assert x.to(ad.zeros(1, dtype=ad.float64)).dtype == np.float64


FACTORIES = [
    ("zeros", lambda **kw: ad.zeros(2, 3, **kw), (2, 3)),
    ("zeros_tuple", lambda **kw: ad.zeros((2, 3), **kw), (2, 3)),
    ("ones", lambda **kw: ad.ones([4], **kw), (4,)),
    ("empty", lambda **kw: ad.empty(2, **kw), (2,)),
    ("full", lambda **kw: ad.full((2, 2), 1.5, **kw), (2, 2)),
    ("arange", lambda **kw: ad.arange(0.0, 1.0, 0.25, **kw), (4,)),
    ("linspace", lambda **kw: ad.linspace(0, 1, 5, **kw), (5,)),
    ("eye", lambda **kw: ad.eye(3, 2, **kw), (3, 2)),
    ("rand", lambda **kw: ad.rand(3, **kw), (3,)),
    ("randn", lambda **kw: ad.randn(2, 2, **kw), (2, 2)),
    ("tensor", lambda **kw: ad.tensor([1.0, 2.0], **kw), (2,)),
    ("zeros_like", lambda **kw: ad.zeros_like(ad.ones(2, 3), **kw), (2, 3)),
    ("ones_like", lambda **kw: ad.ones_like(ad.ones(2, 3), **kw), (2, 3)),
    ("full_like", lambda **kw: ad.full_like(ad.ones(2), 7.0, **kw), (2,)),
    ("empty_like", lambda **kw: ad.empty_like(ad.ones(2), **kw), (2,)),
    ("rand_like", lambda **kw: ad.rand_like(ad.ones(2), **kw), (2,)),
    ("randn_like", lambda **kw: ad.randn_like(ad.ones(2), **kw), (2,)),
    ("normal", lambda **kw: ad.normal(0.0, 1.0, (3,), **kw), (3,)),
]


@pytest.mark.parametrize("name,make,shape", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_factory_keywords(name, make, shape):
    t = make(dtype=ad.float64, device="cpu", requires_grad=True)
    assert t.shape == shape and t.dtype == np.float64 and t.requires_grad and t.is_leaf
    t2 = make(device=ad.device("cpu"))
    assert not t2.requires_grad
    with pytest.raises(RuntimeError, match="CPU only"):
        make(device="cuda")


def test_integer_factories_refuse_grad():
    for make in (lambda **kw: ad.randint(0, 5, (3,), **kw), lambda **kw: ad.randperm(4, **kw),
                 lambda **kw: ad.arange(4, **kw)):
        t = make(device="cpu")
        assert t.dtype == np.int64
        with pytest.raises(RuntimeError, match="floating point"):
            make(requires_grad=True)
    assert ad.randperm(5, dtype=ad.float32, requires_grad=True).requires_grad


def test_factories_match_torch_values():
    torch = pytest.importorskip("torch")
    for a, b in [(ad.arange(0, 1, 0.1), torch.arange(0, 1, 0.1)),
                 (ad.arange(-3, 7, 2), torch.arange(-3, 7, 2)),
                 (ad.arange(1.5, 4), torch.arange(1.5, 4)),
                 (ad.linspace(-1, 1, 7), torch.linspace(-1, 1, 7)),
                 (ad.full((2,), 3), torch.full((2,), 3)),
                 (ad.full((2,), True), torch.full((2,), True)),
                 (ad.eye(2, 3), torch.eye(2, 3))]:
        assert str(a.dtype) == str(b.dtype).replace("torch.", "autodiff.")
        np.testing.assert_array_equal(a._data, b.numpy())


def test_random_factories_are_seeded_and_valid():
    ad.manual_seed(3)
    p = ad.randperm(10)
    ad.manual_seed(3)
    assert ad.equal(p, ad.randperm(10))
    assert sorted(p.tolist()) == list(range(10))
    b = ad.bernoulli(ad.full((2000,), 0.25, dtype=ad.float64))
    assert b.dtype == np.float64 and set(np.unique(b._data)) <= {0.0, 1.0}
    assert abs(b._data.mean() - 0.25) < 0.04
    w = ad.tensor([[0.0, 1.0, 3.0], [1.0, 0.0, 0.0]])
    m = ad.multinomial(w, 2000, replacement=True)
    assert m.shape == (2, 2000) and m.dtype == np.int64
    assert not np.any(m._data[0] == 0) and np.all(m._data[1] == 0)
    assert abs((m._data[0] == 2).mean() - 0.75) < 0.04
    m2 = w[0].multinomial(2)
    assert sorted(m2.tolist()) == [1, 2]
    with pytest.raises(RuntimeError, match="not enough"):
        ad.multinomial(w[0], 3)
    n = ad.normal(ad.full((4000,), 2.0, dtype=ad.float64), 0.5)
    assert n.dtype == np.float64
    assert abs(n._data.mean() - 2) < 0.05 and abs(n._data.std() - 0.5) < 0.05


def test_default_dtype_is_float32_only():
    assert ad.get_default_dtype() == np.float32
    ad.set_default_dtype(ad.float32)
    with pytest.raises(NotImplementedError, match="float32"):
        ad.set_default_dtype(ad.float64)
    assert ad.tensor([1.0]).dtype == np.float32
