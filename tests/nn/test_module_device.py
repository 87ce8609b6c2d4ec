"""Module device/dtype moves, hooks and get_submodule behave as a PyTorch script expects (the
corpus in tests/pytorch_scripts runs whole PyTorch scripts, mnist/main.py among them)."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn


class Net(nn.Module):
    """The CNN of PyTorch's examples/mnist, sized for 8x8 digits."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, padding=1)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.fc1(ad.flatten(x, 1)))
        return F.log_softmax(self.fc2(x), dim=1)


def test_module_moves_hooks_and_submodules():
    model = Net()
    dev = ad.device("cuda" if ad.cuda.is_available() else "cpu")
    assert model.to(dev) is model
    assert model.to("cpu") is model and model.cpu() is model
    model.to(ad.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    model.float()
    assert model.get_submodule("conv1") is model.conv1
    assert model.get_parameter("fc2.bias") is model.fc2.bias
    seen = []
    handle = model.fc1.register_forward_hook(lambda m, inp, out: seen.append(tuple(out.shape)))
    x = ad.randn(5, 1, 8, 8, device=dev)
    model.eval()
    out = model(x)
    assert seen == [(5, 64)] and out.shape == (5, 10)
    handle.remove()
    model(x)
    assert seen == [(5, 64)]
    # pred.eq(target.view_as(pred)).sum().item() is a Python int
    pred = out.argmax(dim=1, keepdim=True)
    target = ad.tensor([0, 1, 2, 3, 4])
    assert isinstance(pred.eq(target.view_as(pred)).sum().item(), int)


def test_module_to_rejects_accelerators():
    model = Net()
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to(device="mps")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda:0", ad.float64)
