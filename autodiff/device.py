"""Devices: autodiff runs on the CPU only.

``ad.device("cpu")`` exists so that PyTorch scripts run unchanged: every factory takes
``device=``, tensors have ``.device``, ``.cpu()`` and ``.to(device)``. ``ad.cuda.is_available()``
and ``ad.backends.mps.is_available()`` are False, so the usual

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

picks the CPU (``autodiff.cuda`` and ``autodiff.backends`` hold those CPU-only answers).
Asking for any other device ("cuda", "cuda:0", "mps", ...) raises a
RuntimeError that says this library runs on the CPU.
"""
from __future__ import annotations

__all__ = ["device", "check_device"]

_KNOWN = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


def _cpu_only(what):
    return RuntimeError(f"{what}: autodiff runs on the CPU only (no CUDA, MPS or other "
                        "accelerator); use device='cpu' or pick the device with "
                        "'cuda' if ad.cuda.is_available() else 'cpu'")


class device(str):
    """``device("cpu")``, ``device("cpu", 0)``, ``device("cpu:0")`` or ``device(other_device)``.

    Attributes ``type`` (always ``"cpu"``) and ``index`` (None or an int), as PyTorch's.
    Deliberate difference: a device is also the string that names it (``device("cpu") ==
    "cpu"``), so code that accepts ``"cpu"`` accepts a device too.
    """

    __slots__ = ()

    def __new__(cls, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device: index must be None when given a device")
            return str.__new__(cls, str.__str__(type))
        if isinstance(type, int) and not isinstance(type, bool):
            raise _cpu_only(f"device({type})")  # device(0) means cuda:0 in PyTorch
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or a device (got "
                            f"{type.__class__.__name__})")
        name = type.strip()
        if ":" in name:
            name, _, idx = name.partition(":")
            if index is not None:
                raise RuntimeError(f"device: type {type!r} already has an index; do not pass "
                                   "index as well")
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"device: invalid device string {type!r}") from None
        if name not in _KNOWN:
            raise RuntimeError(f"device: expected one of {', '.join(_KNOWN)} device type at start "
                               f"of device string: {type}")
        if name != "cpu":
            raise _cpu_only(f"device({type!r})")
        if index is not None:
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise RuntimeError(f"device: index must be a non-negative int (got {index!r})")
            return str.__new__(cls, f"{name}:{index}")
        return str.__new__(cls, name)

    @property
    def type(self):
        return str.__str__(self).partition(":")[0]

    @property
    def index(self):
        idx = str.__str__(self).partition(":")[2]
        return int(idx) if idx else None

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return str.__str__(self)

    def __reduce__(self):
        return (device, (str.__str__(self),))


CPU = device("cpu")


def check_device(dev, what="device"):
    """Validate a ``device=`` argument (None, a string, an int or a device); return ``CPU``."""
    if dev is None or isinstance(dev, device):
        return CPU
    device(dev)  # raises for anything but the CPU
    return CPU


def _is_device_like(x):
    """True if ``x`` names a device (so ``Tensor.to`` treats it as one)."""
    if isinstance(x, device):
        return True
    if isinstance(x, str):
        return x.split(":")[0].strip() in _KNOWN
    return False


# ``ad.cuda`` and ``ad.backends`` are the packages autodiff/cuda and autodiff/backends (real
# modules, so ``import autodiff.backends.cudnn as cudnn`` and ``from autodiff.cuda.amp import
# GradScaler`` work as PyTorch's spellings do).
