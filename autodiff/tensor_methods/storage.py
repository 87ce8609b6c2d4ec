"""Tensor methods about storage rather than values: dtype conversions, the device (CPU
only), memory layout, ``new_*`` factories and random fills."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import device as _device
from .. import function as _f
from .. import inplace
from ..dtypes import bfloat16 as _bfloat16
from ..dtypes import dtype as _dtype_cls
from ..ops import _common
from ..ops.elementwise import arithmetic

if TYPE_CHECKING:
    from ..tensor import Tensor


class StorageMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``; ``to(other)`` takes ``other``'s dtype. Differentiable."""
        self._device_check(args, kwargs)
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, _f.Tensor):
                dtype = a.dtype
            elif isinstance(a, _dtype_cls):
                dtype = a.dtype  # raises (clearly) for bfloat16
            elif a is not None and not isinstance(a, (str, bool)) and dtype is None:
                try:
                    dtype = np.dtype(a)
                except TypeError:
                    pass
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self
        return arithmetic.cast(self, np.dtype(dtype))

    # float(), double(), half(), long(), ...: the dtype shorthands, from _SHORTHANDS below

    def type(self, dtype=None, non_blocking=False):
        """``type()`` is the type's name (``"autodiff.FloatTensor"``, as PyTorch's
        ``"torch.FloatTensor"``); ``type(dtype)`` converts (also given as such a name or as
        ``ad.FloatTensor``)."""
        from ..dtypes import from_type_name, type_name
        if dtype is None:
            return type_name(self._data.dtype)
        legacy = from_type_name(dtype)
        return self.to(legacy if legacy is not None else dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    @property
    def device(self):
        """Always ``device(type='cpu')``."""
        return _device.CPU

    @property
    def is_cuda(self):
        return False

    @property
    def is_cpu(self):
        return True

    # the other device and layout predicates of PyTorch: always False here (CPU, dense, strided)
    is_xpu = is_mps = is_meta = is_sparse = is_sparse_csr = is_quantized = is_mkldnn = \
        is_vulkan = is_ipu = is_xla = is_hpu = is_mtia = is_maia = is_nested = is_cuda

    @property
    def layout(self):
        """``"strided"`` (PyTorch's ``torch.strided``): every tensor is dense."""
        return "strided"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def is_signed(self):
        return self._data.dtype.kind in "fci"

    def is_inference(self):
        return False

    def is_conj(self):
        return False

    def is_neg(self):
        return False

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        raise _device._cpu_only("Tensor.cuda()")

    def get_device(self):
        """-1: the CPU (as PyTorch)."""
        return -1

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None):
        return False

    def share_memory_(self):
        """Move this tensor's array into shared memory (in place; see
        ``autodiff.multiprocessing``): child processes then see and make the same updates."""
        from .. import multiprocessing as M
        return M.share_tensor_(self)

    def is_shared(self):
        from .. import multiprocessing as M
        return M.segment_of(self._data) is not None

    def _device_check(self, args, kwargs):
        """Validate the device arguments of ``to(...)``: a device (or a string naming one)
        must be the CPU; raises RuntimeError for 'cuda', 'mps', ...."""
        for a in args:
            if _device._is_device_like(a) or (isinstance(a, int) and not isinstance(a, bool)):
                _device.check_device(a)
        if kwargs.get("device") is not None:
            _device.check_device(kwargs["device"])

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        """Strides in elements (NumPy's byte strides divided by the item size)."""
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return _creation().zeros(*size, dtype=dtype or self.dtype, device=device,
                                 requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return _creation().ones(*size, dtype=dtype or self.dtype, device=device,
                                requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return _creation().empty(*size, dtype=dtype or self.dtype, device=device,
                                 requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, **kw):
        return _creation().full(size, fill_value, dtype=dtype or self.dtype, device=device,
                                requires_grad=requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, **kw):
        return _creation().tensor(data, dtype=dtype or self.dtype, device=device,
                                  requires_grad=requires_grad)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from .. import random as R
        draw = R.resolve(generator, "normal_").standard_normal(self.shape) * std + mean
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def uniform_(self, *args, generator=None, **kwargs):
        """``uniform_(from=0, to=1)``: draws from U[from, to)."""
        from .. import random as R
        lo, hi = (list(args) + [None, None])[:2]
        lo = kwargs.pop("from", 0.0) if lo is None else lo
        hi = kwargs.pop("to", 1.0) if hi is None else hi
        if kwargs:
            raise TypeError(f"uniform_: unexpected arguments {sorted(kwargs)}")
        draw = R.resolve(generator, "uniform_").uniform(lo, hi, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def bernoulli_(self, p=0.5, *, generator=None):
        from .. import random as R
        draw = R.resolve(generator, "bernoulli_").random(self.shape) < _common._data(p)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def exponential_(self, lambd=1.0, *, generator=None):
        from .. import random as R
        draw = R.resolve(generator, "exponential_").exponential(1.0 / lambd, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def random_(self, *args, generator=None, **kwargs):
        """``random_(to)`` or ``random_(from, to)``: integers uniform on [from, to)."""
        from .. import random as R
        vals = list(args)
        lo = kwargs.pop("from", None)
        hi = kwargs.pop("to", None)
        if len(vals) == 1:
            hi = vals[0]
        elif len(vals) == 2:
            lo, hi = vals
        lo = 0 if lo is None else lo
        if hi is None:
            hi = 2 ** 24 if self.dtype.kind == "f" else np.iinfo(self.dtype).max
        draw = R.resolve(generator, "random_").integers(lo, hi, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        from .. import random as R
        draw = R.resolve(generator, "log_normal_").lognormal(mean, std, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        from .. import random as R
        draw = median + sigma * R.resolve(generator, "cauchy_").standard_cauchy(self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def geometric_(self, p, *, generator=None):
        """Draws the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        from .. import random as R
        draw = R.resolve(generator, "geometric_").geometric(p, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def bernoulli(self, p=None, *, generator=None):
        return _creation().bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _creation().multinomial(self, num_samples, replacement, generator=generator)


# ``t.float()`` is ``t.to(float32)``, and so on (PyTorch's dtype shorthand methods)
_SHORTHANDS = {"float": np.float32, "double": np.float64, "half": np.float16,
               "bfloat16": _bfloat16, "long": np.int64, "int": np.int32, "short": np.int16,
               "char": np.int8, "byte": np.uint8, "bool": np.bool_}


def _shorthand(name, dtype):
    def method(self):
        return self.to(dtype)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    label = "bfloat16" if dtype is _bfloat16 else np.dtype(dtype).name
    method.__doc__ = f"``self.to({label})``."
    return method


for _name, _dt in _SHORTHANDS.items():
    setattr(StorageMethods, _name, _shorthand(_name, _dt))
del _name, _dt


def _creation():
    from .. import creation
    return creation
