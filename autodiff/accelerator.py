"""``autodiff.accelerator``: PyTorch's ``torch.accelerator`` answers on a CPU-only library.

There is never an accelerator: ``is_available()`` is False, ``current_accelerator()`` is None,
``device_count()`` is 0, and the calls that need a device raise ``RuntimeError`` as PyTorch
does without one. This is what the tutorials' device line needs:
``device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available()
else "cpu"``.
"""
from __future__ import annotations

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "device_index"]

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    """False: autodiff runs on the CPU only."""
    return False


def current_accelerator(check_available=False):
    """None (no accelerator)."""
    return None


def device_count():
    """0."""
    return 0


def current_device_index():
    raise RuntimeError(_NONE)


def set_device_index(device):
    raise RuntimeError(_NONE)


def synchronize(device=None):
    raise RuntimeError(_NONE)


current_device_idx = current_device_index
set_device_idx = set_device_index


class device_index:
    """``with torch.accelerator.device_index(None):`` does nothing, as PyTorch; any other
    index needs an accelerator and raises."""

    def __init__(self, device):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            raise RuntimeError(_NONE)
        return self

    def __exit__(self, *exc):
        return False
