"""``TensorAPI``: the everyday PyTorch Tensor methods beyond the core (``Tensor`` inherits them).

Devices (``.device``, ``.cpu()``), copies, ``new_*`` factories, more math, sorting, scatter and
index writes, triangles and diagonals, cumulative ops, boolean tests, random fills and the
in-place variants. Each method calls the op of the same name in ``autodiff.ops.*`` (or
``autodiff.creation``); a method that ``Tensor`` itself defines takes precedence over this
mixin. In-place methods (trailing ``_``) write into the tensor's own array and bump its
version counter (``autodiff.inplace``): a tensor saved for backward and then modified
makes backward raise, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from . import device as _device
from .compat import numpy_names
from .inplace import inplace, inplace_fill
from .ops import compare as C
from .ops import cumulative as CU
from .ops import elementwise as E
from .ops import index as I
from .ops import layout as LY
from .ops import mathx as MX
from .ops import matrix as MT
from .ops import scatter as SC
from .ops import shape as S
from .ops import sort as SO


def _creation():
    from . import creation
    return creation


class TensorAPI:
    """Mixin of PyTorch-compatible Tensor methods (no state of its own)."""

    __slots__ = ()

    # ---- device (CPU only) ---------------------------------------------------------------------
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
        from . import multiprocessing as M
        return M.share_tensor_(self)

    def is_shared(self):
        from . import multiprocessing as M
        return M.segment_of(self._data) is not None

    def _device_check(self, args, kwargs):
        """Validate the device arguments of ``to(...)``: a device (or a string naming one)
        must be the CPU; raises RuntimeError for 'cuda', 'mps', ...."""
        for a in args:
            if _device._is_device_like(a) or (isinstance(a, int) and not isinstance(a, bool)):
                _device.check_device(a)
        if kwargs.get("device") is not None:
            _device.check_device(kwargs["device"])

    # ---- memory layout and copies --------------------------------------------------------------
    def clone(self, *, memory_format=None):
        return LY.clone(self)

    def contiguous(self, memory_format=None):
        return LY.contiguous(self)

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

    def half(self):
        return self.to(np.float16)

    def short(self):
        return self.to(np.int16)

    def byte(self):
        return self.to(np.uint8)

    def char(self):
        return self.to(np.int8)

    # ---- new_* factories: dtype defaults to this tensor's ------------------------------------
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

    # ---- shape ---------------------------------------------------------------------------------
    def t(self):
        return LY.t(self)

    def swapdims(self, dim0, dim1):
        return S.transpose(self, dim0, dim1)

    def moveaxis(self, source, destination):
        return S.movedim(self, source, destination)

    def ravel(self):
        return S.reshape(self, (-1,))

    def unflatten(self, dim, sizes):
        return LY.unflatten(self, dim, sizes)

    def roll(self, shifts, dims=None):
        return LY.roll(self, shifts, dims)

    def tile(self, *dims):
        return LY.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list))
                       else dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return LY.repeat_interleave(self, repeats, dim)

    # ---- matrices ------------------------------------------------------------------------------
    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return MT.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return MT.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return MT.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def tril(self, diagonal=0):
        return MT.tril(self, diagonal)

    def triu(self, diagonal=0):
        return MT.triu(self, diagonal)

    def tril_(self, diagonal=0):
        return inplace(self, MT.tril, diagonal)

    def triu_(self, diagonal=0):
        return inplace(self, MT.triu, diagonal)

    def diag(self, diagonal=0):
        return MT.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return MT.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return MT.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        return MT.trace(self)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal (all dims equal index) in place; ``wrap`` restarts it every
        ``ncols + 1`` rows of a tall matrix, as PyTorch."""
        if self.ndim < 2:
            raise ValueError(f"fill_diagonal_: dimensions must larger than 1 (got shape "
                             f"{tuple(self.shape)})")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise ValueError(f"fill_diagonal_: all dimensions of input must be of equal length "
                             f"(got shape {tuple(self.shape)})")
        n = min(self.shape)
        if self.ndim == 2 and wrap and self.shape[0] > self.shape[1] + 1:
            rows = np.arange(self.shape[0])
            rows = rows[rows % (self.shape[1] + 1) < self.shape[1]]
            cols = rows % (self.shape[1] + 1)
            idx = (rows, cols)
        else:
            idx = (np.arange(n),) * self.ndim
        return inplace(self, I.index_put, idx, fill_value)

    # ---- math ----------------------------------------------------------------------------------
    def sign(self):
        return MX.sign(self)

    def sgn(self):
        return MX.sign(self)

    def floor(self):
        return MX.floor(self)

    def ceil(self):
        return MX.ceil(self)

    def round(self, *, decimals=0):
        return MX.round(self, decimals=decimals)

    def trunc(self):
        return MX.trunc(self)

    def fix(self):
        return MX.trunc(self)

    def frac(self):
        return MX.frac(self)

    def exp2(self):
        return MX.exp2(self)

    def expm1(self):
        return MX.expm1(self)

    def log2(self):
        return MX.log2(self)

    def log10(self):
        return MX.log10(self)

    def tan(self):
        return MX.tan(self)

    def sinh(self):
        return MX.sinh(self)

    def cosh(self):
        return MX.cosh(self)

    def asin(self):
        return MX.asin(self)

    def acos(self):
        return MX.acos(self)

    def atan(self):
        return MX.atan(self)

    def asinh(self):
        return MX.asinh(self)

    def acosh(self):
        return MX.acosh(self)

    def atanh(self):
        return MX.atanh(self)

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other):
        return MX.atan2(self, other)

    arctan2 = atan2

    def fmod(self, other):
        return MX.fmod(self, other)

    def erf(self):
        return MX.erf(self)

    def erfc(self):
        return MX.erfc(self)

    def lerp(self, end, weight):
        return MX.lerp(self, end, weight)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return MX.nan_to_num(self, nan, posinf, neginf)

    def isnan(self):
        return MX.isnan(self)

    def isinf(self):
        return MX.isinf(self)

    def isposinf(self):
        return MX.isposinf(self)

    def isneginf(self):
        return MX.isneginf(self)

    def isfinite(self):
        return MX.isfinite(self)

    def true_divide(self, other):
        return E.div(self, other)

    @numpy_names
    def softmax(self, dim, dtype=None):
        from .ops import loss
        return loss.softmax(self, dim, dtype=dtype)

    @numpy_names
    def log_softmax(self, dim, dtype=None):
        from .ops import loss
        return loss.log_softmax(self, dim, dtype=dtype)

    # ---- logical and comparisons ---------------------------------------------------------------
    def logical_and(self, other):
        return E.logical_and(self, other)

    def logical_or(self, other):
        return E.logical_or(self, other)

    def logical_xor(self, other):
        return E.logical_xor(self, other)

    def logical_not(self):
        return E.logical_not(self)

    def greater(self, other):
        return E.gt(self, other)

    def greater_equal(self, other):
        return E.ge(self, other)

    def less(self, other):
        return E.lt(self, other)

    def less_equal(self, other):
        return E.le(self, other)

    def not_equal(self, other):
        return E.ne(self, other)

    @numpy_names
    def all(self, dim=None, keepdim=False):
        return C.all(self, dim, keepdim)

    @numpy_names
    def any(self, dim=None, keepdim=False):
        return C.any(self, dim, keepdim)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return C.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return C.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return C.equal(self, other)

    # ---- sorting and order statistics ----------------------------------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        return SO.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return SO.argsort(self, dim, descending, stable)

    def msort(self):
        return SO.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return SO.topk(self, k, dim, largest, sorted)

    @numpy_names
    def kthvalue(self, k, dim=-1, keepdim=False):
        return SO.kthvalue(self, k, dim, keepdim)

    @numpy_names
    def median(self, dim=None, keepdim=False):
        return SO.median(self, dim, keepdim)

    @numpy_names
    def aminmax(self, *, dim=None, keepdim=False):
        return SO.aminmax(self, dim=dim, keepdim=keepdim)

    @numpy_names
    def count_nonzero(self, dim=None):
        return SO.count_nonzero(self, dim)

    def histc(self, bins=100, min=0, max=0):
        from .ops.histogram import histc
        return histc(self, bins, min, max)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        from .ops.histogram import histogram
        return histogram(self, bins, range=range, weight=weight, density=density)

    def bincount(self, weights=None, minlength=0):
        return SO.bincount(self, weights, minlength)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return SO.unique(self, sorted, return_inverse, return_counts, dim)

    def clamp_min(self, min):
        return E.clamp(self, min, None)

    def clamp_max(self, max):
        return E.clamp(self, None, max)

    def clamp_min_(self, min):
        return inplace(self, E.clamp, min, None)

    def clamp_max_(self, max):
        return inplace(self, E.clamp, None, max)

    def argwhere(self):
        return self.nonzero()

    def nonzero(self, *, as_tuple=False):
        nz = np.nonzero(self._data)
        T = type(self)
        if as_tuple:
            return tuple(T._make(i.astype(np.int64)) for i in nz)
        return T._make(np.stack(nz, axis=-1).astype(np.int64) if nz else
                       np.zeros((int(bool(self._data)), 0), np.int64))

    # ---- cumulative ----------------------------------------------------------------------------
    @numpy_names
    def cumprod(self, dim, *, dtype=None):
        return CU.cumprod(self, dim, dtype=dtype)

    @numpy_names
    def cummax(self, dim):
        return CU.cummax(self, dim)

    @numpy_names
    def cummin(self, dim):
        return CU.cummin(self, dim)

    @numpy_names
    def logcumsumexp(self, dim):
        return CU.logcumsumexp(self, dim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return CU.diff(self, n, dim, prepend, append)

    # ---- scatter, index and mask writes ------------------------------------------------------
    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return SC.scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return inplace(self, _scatter, dim, index, src, value, reduce)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return SC.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return inplace(self, _scatter_reduce, dim, index, src, reduce, include_self)

    def scatter_add_(self, dim, index, src):
        return inplace(self, I.scatter_add, dim, index, src)

    def index_add(self, dim, index, source, *, alpha=1):
        return SC.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return inplace(self, _index_add, dim, index, source, alpha)

    def index_copy(self, dim, index, source):
        return SC.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return inplace(self, SC.index_copy, dim, index, source)

    def index_fill(self, dim, index, value):
        return SC.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return inplace(self, SC.index_fill, dim, index, value)

    def index_put(self, indices, values, accumulate=False):
        return SC.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return inplace(self, SC.index_put, indices, values, accumulate)

    def masked_fill_(self, mask, value):
        return inplace(self, I.masked_fill, mask, value)

    def masked_select(self, mask):
        return SC.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return SC.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return inplace(self, SC.masked_scatter, mask, source)

    # ---- in-place math (version counter) -----------------------------------------------------
    def exp_(self):
        return inplace(self, E.exp)

    def log_(self):
        return inplace(self, E.log)

    def log1p_(self):
        return inplace(self, E.log1p)

    def expm1_(self):
        return inplace(self, MX.expm1)

    def sqrt_(self):
        return inplace(self, E.sqrt)

    def rsqrt_(self):
        return inplace(self, MX.rsqrt)

    def square_(self):
        return inplace(self, MX.square)

    def abs_(self):
        return inplace(self, E.abs)

    def neg_(self):
        return inplace(self, E.neg)

    def reciprocal_(self):
        return inplace(self, MX.reciprocal)

    def sin_(self):
        return inplace(self, E.sin)

    def cos_(self):
        return inplace(self, E.cos)

    def tanh_(self):
        return inplace(self, E.tanh)

    def sigmoid_(self):
        return inplace(self, E.sigmoid)

    def relu_(self):
        return inplace(self, E.relu)

    def sign_(self):
        return inplace(self, MX.sign)

    def floor_(self):
        return inplace(self, MX.floor)

    def ceil_(self):
        return inplace(self, MX.ceil)

    def round_(self, *, decimals=0):
        return inplace(self, _round, decimals)

    def trunc_(self):
        return inplace(self, MX.trunc)

    def frac_(self):
        return inplace(self, MX.frac)

    def lerp_(self, end, weight):
        return inplace(self, MX.lerp, end, weight)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return inplace(self, MX.nan_to_num, nan, posinf, neginf)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return inplace(self, _addmm, mat1, mat2, beta, alpha)

    # ---- random fills (no gradient; leaves that require grad need ``no_grad``) ---------------
    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "normal_").standard_normal(self.shape) * std + mean
        return inplace_fill(self, draw.astype(self.dtype))

    def uniform_(self, *args, generator=None, **kwargs):
        """``uniform_(from=0, to=1)``: draws from U[from, to)."""
        from . import random as R
        lo, hi = (list(args) + [None, None])[:2]
        lo = kwargs.pop("from", 0.0) if lo is None else lo
        hi = kwargs.pop("to", 1.0) if hi is None else hi
        if kwargs:
            raise TypeError(f"uniform_: unexpected arguments {sorted(kwargs)}")
        draw = R.resolve(generator, "uniform_").uniform(lo, hi, self.shape)
        return inplace_fill(self, draw.astype(self.dtype))

    def bernoulli_(self, p=0.5, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "bernoulli_").random(self.shape) < E._data(p)
        return inplace_fill(self, draw.astype(self.dtype))

    def exponential_(self, lambd=1.0, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "exponential_").exponential(1.0 / lambd, self.shape)
        return inplace_fill(self, draw.astype(self.dtype))

    def random_(self, *args, generator=None, **kwargs):
        """``random_(to)`` or ``random_(from, to)``: integers uniform on [from, to)."""
        from . import random as R
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
        return inplace_fill(self, draw.astype(self.dtype))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "log_normal_").lognormal(mean, std, self.shape)
        return inplace_fill(self, draw.astype(self.dtype))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        from . import random as R
        draw = median + sigma * R.resolve(generator, "cauchy_").standard_cauchy(self.shape)
        return inplace_fill(self, draw.astype(self.dtype))

    def geometric_(self, p, *, generator=None):
        """Draws the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        from . import random as R
        draw = R.resolve(generator, "geometric_").geometric(p, self.shape)
        return inplace_fill(self, draw.astype(self.dtype))

    def bernoulli(self, p=None, *, generator=None):
        return _creation().bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _creation().multinomial(self, num_samples, replacement, generator=generator)


# helpers with the (tensor, *args) calling convention of ``inplace``
def _round(t, decimals):
    return MX.round(t, decimals=decimals)


def _index_add(t, dim, index, source, alpha):
    return SC.index_add(t, dim, index, source, alpha=alpha)


def _addmm(t, mat1, mat2, beta, alpha):
    return MT.addmm(t, mat1, mat2, beta=beta, alpha=alpha)


def _scatter_reduce(t, dim, index, src, reduce, include_self):
    return SC.scatter_reduce(t, dim, index, src, reduce, include_self=include_self)


def _scatter(t, dim, index, src, value, reduce):
    return SC.scatter(t, dim, index, src, value, reduce=reduce)
