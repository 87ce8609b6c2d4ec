"""Devices: autodiff runs on the CPU only.

``ad.device("cpu")`` exists so that PyTorch scripts run unchanged: every factory takes
``device=``, tensors have ``.device``, ``.cpu()`` and ``.to(device)``. ``ad.cuda.is_available()``
and ``ad.backends.mps.is_available()`` are False, so the usual

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

picks the CPU. Asking for any other device ("cuda", "cuda:0", "mps", ...) raises a
RuntimeError that says this library runs on the CPU.
"""
from __future__ import annotations

import types

__all__ = ["device", "cuda", "backends", "check_device"]

_KNOWN = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


def _cpu_only(what):
    return RuntimeError(f"{what}: autodiff runs on the CPU only (no CUDA, MPS or other "
                        "accelerator); use device='cpu' or pick the device with "
                        "'cuda' if ad.cuda.is_available() else 'cpu'")


class device:
    """``device("cpu")``, ``device("cpu", 0)``, ``device("cpu:0")`` or ``device(other_device)``.

    Attributes ``type`` (always ``"cpu"``) and ``index`` (None or an int), as PyTorch's.
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device: index must be None when given a device")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            # torch.device(0) means cuda:0
            raise _cpu_only(f"device({type})")
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
        self._type, self._index = name, index

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __reduce__(self):
        return (device, (self._type, self._index))


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


# ---- ad.cuda / ad.backends: the namespaces scripts probe ------------------------------------
def _false():
    return False


def _zero():
    return 0


def _noop(*args, **kwargs):
    return None


def _no_cuda(*args, **kwargs):
    raise _cpu_only("cuda")


cuda = types.SimpleNamespace(
    is_available=_false, device_count=_zero, is_initialized=_false,
    manual_seed=_noop, manual_seed_all=_noop, seed=_noop, seed_all=_noop,
    synchronize=_noop, empty_cache=_noop,
    current_device=_no_cuda, get_device_name=_no_cuda, set_device=_no_cuda,
)
cuda.__doc__ = ("CUDA is never available: ``is_available()`` is False, ``device_count()`` is 0, "
                "seeding, ``synchronize`` and ``empty_cache`` do nothing, and asking for a CUDA "
                "device raises RuntimeError.")

backends = types.SimpleNamespace(
    mps=types.SimpleNamespace(is_available=_false, is_built=_false),
    cuda=types.SimpleNamespace(is_built=_false),
    # read and written by scripts (torch.backends.cudnn.deterministic = True); no effect here
    cudnn=types.SimpleNamespace(enabled=False, deterministic=False, benchmark=False,
                                is_available=_false),
)
