"""Optimizers over ``nn.Module.parameters()`` (optim itself never imports nn)."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn, optim


def _data():
    rng = np.random.default_rng(3)
    return (rng.standard_normal((32, 4)).astype(np.float32),
            rng.standard_normal((32, 2)).astype(np.float32))


def _mlp():
    ad.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))


@pytest.mark.parametrize("opt_class,options", [
    (optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.Adam, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.005, centered=True)),
])
def test_module_parameters_train(opt_class, options):
    X, Y = (ad.Tensor(a) for a in _data())
    model = _mlp()
    opt = opt_class(model.parameters(), **options)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((model(X) - Y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    assert sorted(opt.state_dict()["state"]) == ([0, 1, 2, 3] if opt.state else [])


def test_named_parameters_and_groups_from_a_module():
    model = _mlp()
    opt = optim.AdamW(model.named_parameters(), lr=1e-3)
    assert opt.param_groups[0]["param_names"] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    opt = optim.SGD([{"params": model[0].parameters()},
                     {"params": model[1].parameters(), "lr": 0.01}], lr=0.1)
    assert [len(g["params"]) for g in opt.param_groups] == [2, 2]


@pytest.mark.torch
def test_module_training_matches_torch():
    """Same MLP weights in both libraries, 25 Adam steps, each with its own autograd."""
    torch = pytest.importorskip("torch")
    X, Y = _data()
    model = _mlp()
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    with torch.no_grad():
        for p, q in zip(model.parameters(), ref.parameters()):
            q.copy_(torch.from_numpy(p._data.copy()))
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=0.01, weight_decay=0.01, foreach=False)
    Xa, Ya, Xt, Yt = ad.Tensor(X), ad.Tensor(Y), torch.from_numpy(X), torch.from_numpy(Y)
    for _ in range(25):
        opt.zero_grad()
        ((model(Xa) - Ya) ** 2).mean().backward()
        opt.step()
        ref_opt.zero_grad()
        ((ref(Xt) - Yt) ** 2).mean().backward()
        ref_opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=1e-4, atol=1e-5)
