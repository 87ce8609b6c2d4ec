"""``autodiff.accelerator`` answers as PyTorch's ``torch.accelerator`` on a machine without
one (the tutorials' device line picks "cpu")."""
from __future__ import annotations

import pytest

import autodiff as ad


def test_accelerator_is_absent():
    acc = ad.accelerator
    assert acc.is_available() is False and acc.current_accelerator() is None
    assert acc.current_accelerator(check_available=True) is None and acc.device_count() == 0
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert ad.zeros(2, device=device).device.type == "cpu"
    for fn in (acc.current_device_index, acc.synchronize, lambda: acc.set_device_index(0)):
        with pytest.raises(RuntimeError, match="none is available"):
            fn()
    with acc.device_index(None):
        pass
    with pytest.raises(RuntimeError, match="none is available"):
        with acc.device_index(0):
            pass


def test_accelerator_matches_torch():
    torch = pytest.importorskip("torch")
    if torch.accelerator.is_available():
        pytest.skip("this machine has an accelerator")
    for name in ("is_available", "current_accelerator", "device_count"):
        assert getattr(ad.accelerator, name)() == getattr(torch.accelerator, name)()
