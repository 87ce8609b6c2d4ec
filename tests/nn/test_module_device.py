"""A PyTorch training script with only its imports changed trains on the digits; Module
device/dtype moves, hooks and get_submodule behave as a PyTorch script expects."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import nn
from tests.porting import mnist_style_script as script


@pytest.mark.slow
def test_pytorch_style_script_trains_on_digits(tmp_path):
    path = tmp_path / "mnist_cnn.npz"
    model, losses, history, test_loader = script.main(epochs=4, batch_size=16, save_path=path)
    test_loss, accuracy = history[-1]
    assert accuracy >= 0.92, history
    assert losses[-1] < losses[0] * 0.5, losses
    assert test_loss < history[0][0] + 1e-9 or accuracy > history[0][1]
    # the checkpoint reloads into a fresh model with identical predictions
    fresh = script.Net()
    fresh.load_state_dict(nn.load(path))
    fresh.eval()
    model.eval()
    data, target = next(iter(test_loader))
    with ad.no_grad():
        np.testing.assert_array_equal(fresh(data)._data, model(data)._data)
    # the run is repeatable under the same seed
    _, losses2, history2, _ = script.main(epochs=1, seed=7)
    _, losses3, history3, _ = script.main(epochs=1, seed=7)
    assert losses2 == losses3 and history2 == history3


def test_module_moves_hooks_and_submodules():
    model = script.Net()
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
    model = script.Net()
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to(device="mps")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda:0", ad.float64)
