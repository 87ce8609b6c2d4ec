"""``nn.parallel``: PyTorch's ``DataParallel`` and ``data_parallel`` as they behave on a
machine without GPUs (autodiff runs on the CPU only).

``DataParallel(module)`` then just runs ``module`` (``device_ids`` are ignored, as PyTorch
ignores them without GPUs); the module is ``.module``, so state_dict keys get the ``module.``
prefix exactly as in PyTorch. ``data_parallel(...)`` raises ``RuntimeError`` as PyTorch's does
without a device (scripts such as the DCGAN example only call it for CUDA inputs).
"""
from __future__ import annotations

from .module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Runs ``module`` unchanged (PyTorch's ``DataParallel`` without GPUs)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """Without an accelerator PyTorch's ``data_parallel`` raises; so does this one."""
    raise RuntimeError("device type could not be determined")
