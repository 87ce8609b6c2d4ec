"""``autodiff.cuda``: CUDA is never available (autodiff runs on the CPU).

``is_available()`` is False and ``device_count()`` 0; seeding, ``synchronize`` and
``empty_cache`` do nothing; memory statistics are 0; asking for a CUDA device
(``current_device``, ``set_device``, ``get_device_name``, ...) raises RuntimeError.
``autodiff.cuda.amp`` has ``GradScaler`` and ``autocast``, which disable themselves with a
warning when asked to be enabled, exactly as PyTorch's do on a machine without CUDA.
"""
from __future__ import annotations

from ..device import _cpu_only
from . import amp


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    return None


def manual_seed_all(seed):
    return None


def seed():
    return None


def seed_all():
    return None


def synchronize(device=None):
    return None


def empty_cache():
    return None


def init():
    raise _cpu_only("cuda.init()")


def current_device():
    raise _cpu_only("cuda.current_device()")


def set_device(device):
    raise _cpu_only("cuda.set_device()")


def get_device_name(device=None):
    raise _cpu_only("cuda.get_device_name()")


def get_device_properties(device=None):
    raise _cpu_only("cuda.get_device_properties()")


def get_device_capability(device=None):
    raise _cpu_only("cuda.get_device_capability()")


class device:
    """``with ad.cuda.device(i):`` raises (no CUDA device)."""

    def __init__(self, device):
        raise _cpu_only("cuda.device()")


__all__ = ["amp", "current_device", "device", "device_count", "empty_cache",
           "get_device_capability", "get_device_name", "get_device_properties", "init",
           "is_available", "is_bf16_supported", "is_initialized", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "set_device", "synchronize"]
