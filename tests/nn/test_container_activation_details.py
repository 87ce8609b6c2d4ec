"""Details of the containers and activation modules that share a base class: the same
behaviour as PyTorch 2.13 (deletion renumbering, insert, pop; update's pair check; reprs)."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn


def _edit_sequence(lib, cls):
    seq = getattr(lib, cls)([lib.ReLU(), lib.Tanh(), lib.Sigmoid(), lib.ReLU6()])
    del seq[1]
    seq.insert(1, lib.Identity())
    seq.pop(0)
    del seq[1:2]
    seq.append(lib.Tanh())
    del seq[-1]
    return list(seq._modules), [type(m).__name__ for m in seq]


@pytest.mark.parametrize("cls", ["Sequential", "ModuleList"])
def test_sequence_edits_as_torch(cls):
    torch = pytest.importorskip("torch")
    if cls == "Sequential":
        ours = _edit_sequence(_Seq(nn), "Sequential")
        theirs = _edit_sequence(_Seq(torch.nn), "Sequential")
    else:
        ours = _edit_sequence(nn, cls)
        theirs = _edit_sequence(torch.nn, cls)
    assert ours == theirs
    assert ours[0] == ["0", "1"]


class _Seq:
    """``lib`` whose ``Sequential`` takes a list, like ``ModuleList``."""

    def __init__(self, lib):
        self._lib = lib

    def __getattr__(self, name):
        if name == "Sequential":
            return lambda modules: self._lib.Sequential(*modules)
        return getattr(self._lib, name)


@pytest.mark.parametrize("cls, value", [("ModuleDict", nn.ReLU()),
                                        ("ParameterDict", nn.Parameter(ad.zeros(2)))])
def test_dict_update_checks_pair_length(cls, value):
    d = getattr(nn, cls)()
    d.update([("a", value)])
    assert list(d.keys()) == ["a"] and d["a"] is value
    with pytest.raises(ValueError, match=f"{cls} update sequence element #1 has length 3"):
        d.update([("b", value), ("c", value, 0)])
    d.update({"z": value})
    assert "z" in d and len(d) == 3
    assert d.pop("z") is value and "z" not in d


@pytest.mark.parametrize("name", ["ReLU", "SELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish",
                                  "ReLU6", "LeakyReLU", "ELU", "Hardtanh"])
@pytest.mark.parametrize("inplace", [False, True])
def test_activation_repr_and_values_as_torch(name, inplace):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(inplace=inplace), getattr(torch.nn, name)(inplace=inplace)
    assert repr(ours) == repr(theirs)
    x = np.linspace(-7.0, 7.0, 29)
    np.testing.assert_allclose(ours(ad.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
def test_along_dim_repr_and_values_as_torch(name):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 4))
    for dim in (0, 1, -1):
        ours, theirs = getattr(nn, name)(dim=dim), getattr(torch.nn, name)(dim=dim)
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(ad.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(),
                                   rtol=1e-12, atol=1e-12)


def test_pool_and_embedding_reprs_as_torch():
    torch = pytest.importorskip("torch")
    pairs = [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
             (nn.MaxPool1d(3, 1, 1, ceil_mode=True), torch.nn.MaxPool1d(3, 1, 1, ceil_mode=True)),
             (nn.AvgPool2d(3, 1, 1), torch.nn.AvgPool2d(3, 1, 1)),
             (nn.Embedding(5, 3), torch.nn.Embedding(5, 3)),
             (nn.Embedding(5, 3, padding_idx=0, max_norm=1.0, norm_type=1.0),
              torch.nn.Embedding(5, 3, padding_idx=0, max_norm=1.0, norm_type=1.0))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
