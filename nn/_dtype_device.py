"""What ``Module``'s arrays are: dtype casts (``to``, ``double``, ``float``, ``half``,
``type``), the device (CPU only: ``cpu``, ``cuda``) and shared memory (``share_memory``), as
the ``DtypeDeviceMixin`` that ``Module`` inherits. Every change is made in place on the same
Parameter and buffer objects, so optimizers holding them stay valid."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from autodiff.device import check_device
from autodiff.tensor import Tensor

if TYPE_CHECKING:
    from .module import Module


class DtypeDeviceMixin:
    """``Module``'s dtype and device methods (they walk ``modules()`` and the registries)."""

    def _apply_arrays(self, fn):
        """Replace every parameter's and buffer's array by ``fn(array)``, in place on the
        same Parameter objects (optimizers holding them stay valid)."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is None:
                    continue
                p._data = fn(p._data)
                if p.grad is not None:
                    p.grad = Tensor._make(fn(p.grad._data))
            for b in m._buffers.values():
                if b is not None:
                    b._data = fn(b._data)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)`` casts floating-point parameters and buffers in place (the same
        Parameter objects). Devices (``"cpu"``, ``ad.device("cpu")``) are accepted; any other
        device raises (CPU only). Returns self."""
        dtype = kwargs.get("dtype")
        if "device" in kwargs:
            _check_device(kwargs["device"])
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) or isinstance(a, int) and not isinstance(a, bool):
                _check_device(a)
            elif a is not None:
                dtype = a
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype={dtype}")
        return self._apply_arrays(lambda a: a.astype(dtype) if a.dtype.kind == "f" else a)

    def double(self):
        """Cast the floating-point parameters and buffers to float64; returns self."""
        return self.to(np.float64)

    def float(self):
        """Cast them to float32."""
        return self.to(np.float32)

    def half(self):
        """Cast them to float16."""
        return self.to(np.float16)

    def cpu(self):
        """Returns self: everything is on the CPU."""
        return self

    def share_memory(self):
        """Move every parameter's and buffer's array into shared memory, in place (the same
        objects), so that processes started from here (``autodiff.multiprocessing``, fork or
        spawn) update one set of weights: Hogwild training. Returns self."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p.share_memory_()
            for b in m._buffers.values():
                if b is not None:
                    b.share_memory_()
        return self

    def cuda(self, device=None):
        raise RuntimeError("cuda: autodiff runs on the CPU only")

    def type(self, dst_type):
        return self.to(dst_type)


def _check_device(dev):
    """Accept the CPU in any spelling; raise RuntimeError for any other device."""
    if dev is not None:
        check_device(dev)
