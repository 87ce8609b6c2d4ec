"""nn.parallel without GPUs, as PyTorch 2.13 on a CPU-only machine."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def test_data_parallel_runs_the_module():
    m = nn.Linear(2, 3)
    dp = nn.DataParallel(m, device_ids=[0, 1])
    assert dp.module is m and dp.device_ids == []
    x = ad.randn(4, 2)
    np.testing.assert_array_equal(dp(x).detach().numpy(), m(x).detach().numpy())
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    with pytest.raises(RuntimeError, match="device type"):
        nn.parallel.data_parallel(m, x, range(2))


def test_data_parallel_matches_torch():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    theirs = torch.nn.DataParallel(torch.nn.Linear(2, 3), device_ids=[0])
    ours = nn.DataParallel(nn.Linear(2, 3), device_ids=[0])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.device_ids == theirs.device_ids
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        torch.nn.parallel.data_parallel(theirs.module, torch.ones(1, 2), [0])
