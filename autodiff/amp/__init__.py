"""``autodiff.amp``: automatic mixed precision, as harmless CPU answers.

autodiff computes in the dtype of the tensors (float32 or float64); it has no reduced-precision
kernels. So:

* ``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`` is a context manager
  and decorator that changes nothing. ``device_type="cuda"`` (or another accelerator) with
  ``enabled=True`` warns and disables itself, as PyTorch does without CUDA; ``"cpu"`` with
  ``enabled=True`` warns once that ops keep running in float32 (a deliberate difference:
  PyTorch would run matmuls and convolutions in bfloat16).
* ``GradScaler(device="cuda", ..., enabled=True)``: loss scaling is only needed for float16
  gradients, which never occur here. Disabled (with PyTorch's warning when CUDA was asked for
  and enabled), it is the identity: ``scale(loss)`` returns ``loss``, ``step(optimizer)`` calls
  ``optimizer.step()``, ``update()`` and ``unscale_()`` do nothing, ``get_scale()`` is 1.0.
"""
from __future__ import annotations

import functools
import warnings

__all__ = ["GradScaler", "autocast", "is_autocast_available"]

_warned_cpu = False


def is_autocast_available(device_type):
    return device_type == "cpu"


class autocast:
    """Mixed-precision region (a no-op here; see the module docstring)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        global _warned_cpu
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected `device_type` of type `str` (got "
                             f"{type(device_type).__name__})")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if self._enabled and device_type != "cpu":
            warnings.warn(f"User provided device_type of '{device_type}', but CUDA is not "
                          "available. Disabling", stacklevel=2)
            self._enabled = False
        elif self._enabled and not _warned_cpu:
            _warned_cpu = True
            warnings.warn("autocast(device_type='cpu') has no effect in autodiff: ops keep "
                          "running in the tensors' own dtype (float32), not bfloat16",
                          stacklevel=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class GradScaler:
    """Gradient scaling for float16 training: the identity here (see the module docstring)."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled:
            if device == "cuda":
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not "
                              "available.  Disabling.", stacklevel=2)
            else:
                warnings.warn(f"GradScaler: autodiff has no float16 gradients to scale on "
                              f"'{device}'; disabling", stacklevel=2)
            self._enabled = False
        self._init_scale = init_scale
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval

    def is_enabled(self):
        return self._enabled

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer):
        return None

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        return None

    def get_scale(self):
        return 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def get_growth_interval(self):
        return self._growth_interval

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        return None
