"""PyTorch's module layout under ``autodiff``: utils.data (and its submodules), autograd,
cuda / backends / amp as CPU-only answers, testing.assert_close, compile."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import autodiff as ad


def test_utils_data_is_ad_data():
    from autodiff.utils.data import DataLoader, Dataset, TensorDataset
    from autodiff.utils.data.dataloader import DataLoader as DL2
    from autodiff.utils.data.dataloader import default_collate
    from autodiff.utils.data.dataset import ConcatDataset, IterableDataset, Subset
    from autodiff.utils.data.sampler import (
        BatchSampler,
        RandomSampler,
        Sampler,
        SubsetRandomSampler,
        WeightedRandomSampler,
    )
    assert DataLoader is DL2 is ad.data.DataLoader is ad.utils.data.DataLoader
    assert Dataset is ad.data.Dataset and TensorDataset is ad.data.TensorDataset
    assert default_collate is ad.data.default_collate
    assert ConcatDataset is ad.data.ConcatDataset and Subset is ad.data.Subset
    assert IterableDataset is ad.data.IterableDataset
    assert Sampler is ad.data.Sampler and RandomSampler is ad.data.RandomSampler
    assert BatchSampler is ad.data.BatchSampler
    assert SubsetRandomSampler is ad.data.SubsetRandomSampler
    assert WeightedRandomSampler is ad.data.WeightedRandomSampler
    assert ad.utils.data.get_worker_info() is None


@pytest.mark.filterwarnings("ignore:`torch.cuda.amp.GradScaler")  # torch: use torch.amp
def test_cpu_only_answers_and_small_helpers_as_torch():
    """What a script meets in torch's cuda / backends / multiprocessing / utils.data corners
    (the rest of their names are exercised where they are tested) answers as torch's."""
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        assert lib.cuda.is_available() is False and lib.cuda.device_count() == 0
        assert lib.backends.mps.is_available() is False and lib.backends.mps.is_built() is False
        assert lib.cuda.manual_seed(0) is None and lib.cuda.empty_cache() is None
        assert lib.cuda.amp.GradScaler(enabled=False).is_enabled() is False
        assert lib.get_float32_matmul_precision() == "highest"
        lib.set_float32_matmul_precision("high")
        try:
            assert lib.get_float32_matmul_precision() == "high"
        finally:
            lib.set_float32_matmul_precision("highest")
        assert lib.multiprocessing.cpu_count() == os.cpu_count()
        batch = lib.utils.data.default_convert([np.array([1.5, 2.0]), "a"])
        assert batch[1] == "a" and batch[0].tolist() == [1.5, 2.0]
        assert batch[0].dtype == lib.float64
    # the process pools are the standard library's, as in torch
    assert ad.multiprocessing.Pool == torch.multiprocessing.Pool
    assert ad.multiprocessing.Manager == torch.multiprocessing.Manager


def test_backends_settings_are_harmless():
    import autodiff.backends.cudnn as cudnn
    ad.backends.cuda.matmul.allow_tf32 = True
    ad.backends.cudnn.allow_tf32 = True
    cudnn.benchmark = True
    assert ad.backends.cudnn.benchmark is True
    ad.set_float32_matmul_precision("high")
    assert ad.get_float32_matmul_precision() == "high"
    a = ad.randn(8, 8)
    np.testing.assert_array_equal((a @ a).numpy(), a.numpy() @ a.numpy())
    ad.set_float32_matmul_precision("highest")
    cudnn.benchmark = False
    ad.backends.cuda.matmul.allow_tf32 = False


def _tiny_step(lib, scaler, autocast_ctx):
    lib.manual_seed(0)
    w = lib.tensor([[0.5, -0.25], [1.0, 2.0]], requires_grad=True)
    x = lib.tensor([[1.0, 2.0]])
    with autocast_ctx:
        loss = ((x @ w) ** 2).sum()
    scaled = scaler.scale(loss)
    scaled.backward()
    return loss, scaled, w.grad


@pytest.mark.parametrize("enabled", [False, True])
def test_grad_scaler_and_autocast_as_torch_on_cpu(enabled):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        ours = ad.cuda.amp.GradScaler(enabled=enabled)
        oac = ad.autocast(device_type="cuda", enabled=enabled)
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        theirs = torch.cuda.amp.GradScaler(enabled=enabled)
        tac = torch.autocast(device_type="cuda", enabled=enabled)
    assert ours.is_enabled() is theirs.is_enabled() is False
    assert bool(ours_w) == bool([w for w in theirs_w if "CUDA" in str(w.message)])
    assert ours.get_scale() == theirs.get_scale()
    assert ours.state_dict() == theirs.state_dict()
    loss, scaled, g = _tiny_step(ad, ours, oac)
    tloss, tscaled, tg = _tiny_step(torch, theirs, tac)
    assert scaled is loss and tscaled is tloss
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-6)

    class Opt:
        calls = 0

        def step(self):
            Opt.calls += 1
    ours.step(Opt())
    ours.unscale_(Opt())
    ours.update()
    assert Opt.calls == 1
    with ad.autocast(device_type="cpu", enabled=False):
        assert (ad.ones(2) * 2).dtype == ad.float32

    @ad.autocast(device_type="cpu", enabled=False)
    def f(x):
        return x + 1
    assert f(ad.ones(1)).item() == 2.0


def test_compile_is_the_identity():
    def f(x):
        return x * 2
    assert ad.compile(f) is f
    assert ad.compile(mode="max-autotune")(f) is f
    assert ad.compile(fullgraph=True, dynamic=False)(f) is f
    assert "unchanged" in ad.compile.__doc__


def test_assert_close_as_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (ad.tensor([1.0, 2.0]), ad.tensor([1.0, 2.0 + 1e-6]), {}),
        (ad.tensor([1.0, 2.0]), ad.tensor([1.0, 2.1]), {}),
        (ad.tensor([1.0, 2.0]), ad.tensor([1.0, 2.1]), {"rtol": 0.1, "atol": 0}),
        (ad.tensor([1.0], dtype=ad.float64), ad.tensor([1.0]), {}),
        (ad.tensor([1.0], dtype=ad.float64), ad.tensor([1.0]), {"check_dtype": False}),
        (ad.tensor([float("nan")]), ad.tensor([float("nan")]), {}),
        (ad.tensor([float("nan")]), ad.tensor([float("nan")]), {"equal_nan": True}),
        (ad.tensor([1, 2]), ad.tensor([1, 3]), {}),
        (ad.tensor([[1.0]]), ad.tensor([1.0]), {}),
        ([ad.tensor(1.0), {"a": ad.tensor(2.0)}], [ad.tensor(1.0), {"a": ad.tensor(2.0)}], {}),
        ([ad.tensor(1.0), {"a": ad.tensor(2.0)}], [ad.tensor(1.0), {"a": ad.tensor(2.5)}], {}),
        (1.0, 1.0 + 1e-9, {}),
    ]

    def to_torch(x):
        if isinstance(x, ad.Tensor):
            return torch.from_numpy(np.array(x.numpy()))
        if isinstance(x, list):
            return [to_torch(v) for v in x]
        if isinstance(x, dict):
            return {k: to_torch(v) for k, v in x.items()}
        return x

    for a, b, kw in cases:
        try:
            torch.testing.assert_close(to_torch(a), to_torch(b), **kw)
            expect_ok = True
        except AssertionError:
            expect_ok = False
        if expect_ok:
            ad.testing.assert_close(a, b, **kw)
        else:
            with pytest.raises(AssertionError):
                ad.testing.assert_close(a, b, **kw)
    with pytest.raises(ValueError):
        ad.testing.assert_close(ad.ones(1), ad.ones(1), rtol=1e-3)


def test_checkpoint_is_exact_and_default_dtype_prints_like_torch():
    torch = pytest.importorskip("torch")
    from autodiff import nn
    from autodiff.utils.checkpoint import checkpoint
    lin = nn.Linear(3, 2)
    x = ad.randn(4, 3, requires_grad=True)
    y = checkpoint(lambda t: lin(t).tanh(), x, use_reentrant=False)
    y.sum().backward()
    g = x.grad.numpy().copy()
    x.grad = None
    lin(x).tanh().sum().backward()
    np.testing.assert_array_equal(g, x.grad.numpy())
    seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    from autodiff.utils.checkpoint import checkpoint_sequential
    np.testing.assert_array_equal(checkpoint_sequential(seq, 2, x).detach().numpy(),
                                  seq(x).detach().numpy())
    assert repr(ad.get_default_dtype()) == repr(torch.get_default_dtype()).replace(
        "torch.", "autodiff.")
