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
from .ops import _common
from .ops.elementwise import activation
from .ops.elementwise import arithmetic
from .ops.elementwise import compare
from .ops.reduce import counting
from .ops.reduce import cumulative
from .ops.linalg import diagonals
from .ops.reduce import extremes
from .ops.index import gather_scatter
from . import inplace
from .ops.index import masked
from .ops.linalg import products
from .ops.shape import rearrange
from .ops.elementwise import rounding
from .ops.elementwise import select
from .ops.reduce import sorting
from .ops.index import subscript
from .ops.elementwise import trig
from .ops.elementwise import unary
from .ops.shape import views


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
        return rearrange.clone(self)

    def contiguous(self, memory_format=None):
        return rearrange.contiguous(self)

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
        return views.t(self)

    def swapdims(self, dim0, dim1):
        return views.transpose(self, dim0, dim1)

    def moveaxis(self, source, destination):
        return views.movedim(self, source, destination)

    def ravel(self):
        return views.reshape(self, (-1,))

    def unflatten(self, dim, sizes):
        return views.unflatten(self, dim, sizes)

    def roll(self, shifts, dims=None):
        return rearrange.roll(self, shifts, dims)

    def tile(self, *dims):
        return rearrange.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list))
                       else dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return rearrange.repeat_interleave(self, repeats, dim)

    # ---- matrices ------------------------------------------------------------------------------
    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return products.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return products.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return products.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def tril(self, diagonal=0):
        return diagonals.tril(self, diagonal)

    def triu(self, diagonal=0):
        return diagonals.triu(self, diagonal)

    def tril_(self, diagonal=0):
        return inplace.inplace(self, diagonals.tril, diagonal)

    def triu_(self, diagonal=0):
        return inplace.inplace(self, diagonals.triu, diagonal)

    def diag(self, diagonal=0):
        return diagonals.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return diagonals.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return diagonals.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        return diagonals.trace(self)

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
        return inplace.inplace(self, subscript.index_put, idx, fill_value)

    # ---- math ----------------------------------------------------------------------------------
    def sign(self):
        return rounding.sign(self)

    def sgn(self):
        return rounding.sign(self)

    def floor(self):
        return rounding.floor(self)

    def ceil(self):
        return rounding.ceil(self)

    def round(self, *, decimals=0):
        return rounding.round(self, decimals=decimals)

    def trunc(self):
        return rounding.trunc(self)

    def fix(self):
        return rounding.trunc(self)

    def frac(self):
        return rounding.frac(self)

    def exp2(self):
        return unary.exp2(self)

    def expm1(self):
        return unary.expm1(self)

    def log2(self):
        return unary.log2(self)

    def log10(self):
        return unary.log10(self)

    def tan(self):
        return trig.tan(self)

    def sinh(self):
        return trig.sinh(self)

    def cosh(self):
        return trig.cosh(self)

    def asin(self):
        return trig.asin(self)

    def acos(self):
        return trig.acos(self)

    def atan(self):
        return trig.atan(self)

    def asinh(self):
        return trig.asinh(self)

    def acosh(self):
        return trig.acosh(self)

    def atanh(self):
        return trig.atanh(self)

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other):
        return trig.atan2(self, other)

    arctan2 = atan2

    def fmod(self, other):
        return arithmetic.fmod(self, other)

    def erf(self):
        return unary.erf(self)

    def erfc(self):
        return unary.erfc(self)

    def lerp(self, end, weight):
        return arithmetic.lerp(self, end, weight)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return select.nan_to_num(self, nan, posinf, neginf)

    def isnan(self):
        return compare.isnan(self)

    def isinf(self):
        return compare.isinf(self)

    def isposinf(self):
        return compare.isposinf(self)

    def isneginf(self):
        return compare.isneginf(self)

    def isfinite(self):
        return compare.isfinite(self)

    def true_divide(self, other):
        return arithmetic.div(self, other)

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
        return compare.logical_and(self, other)

    def logical_or(self, other):
        return compare.logical_or(self, other)

    def logical_xor(self, other):
        return compare.logical_xor(self, other)

    def logical_not(self):
        return compare.logical_not(self)

    def greater(self, other):
        return compare.gt(self, other)

    def greater_equal(self, other):
        return compare.ge(self, other)

    def less(self, other):
        return compare.lt(self, other)

    def less_equal(self, other):
        return compare.le(self, other)

    def not_equal(self, other):
        return compare.ne(self, other)

    @numpy_names
    def all(self, dim=None, keepdim=False):
        return counting.all(self, dim, keepdim)

    @numpy_names
    def any(self, dim=None, keepdim=False):
        return counting.any(self, dim, keepdim)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return compare.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return compare.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return compare.equal(self, other)

    # ---- sorting and order statistics ----------------------------------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        return sorting.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return sorting.argsort(self, dim, descending, stable)

    def msort(self):
        return sorting.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return sorting.topk(self, k, dim, largest, sorted)

    @numpy_names
    def kthvalue(self, k, dim=-1, keepdim=False):
        return sorting.kthvalue(self, k, dim, keepdim)

    @numpy_names
    def median(self, dim=None, keepdim=False):
        return sorting.median(self, dim, keepdim)

    @numpy_names
    def aminmax(self, *, dim=None, keepdim=False):
        return extremes.aminmax(self, dim=dim, keepdim=keepdim)

    @numpy_names
    def count_nonzero(self, dim=None):
        return counting.count_nonzero(self, dim)

    def histc(self, bins=100, min=0, max=0):
        from .ops.reduce.counting import histc
        return histc(self, bins, min, max)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        from .ops.reduce.counting import histogram
        return histogram(self, bins, range=range, weight=weight, density=density)

    def bincount(self, weights=None, minlength=0):
        return counting.bincount(self, weights, minlength)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return sorting.unique(self, sorted, return_inverse, return_counts, dim)

    def clamp_min(self, min):
        return select.clamp(self, min, None)

    def clamp_max(self, max):
        return select.clamp(self, None, max)

    def clamp_min_(self, min):
        return inplace.inplace(self, select.clamp, min, None)

    def clamp_max_(self, max):
        return inplace.inplace(self, select.clamp, None, max)

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
        return cumulative.cumprod(self, dim, dtype=dtype)

    @numpy_names
    def cummax(self, dim):
        return cumulative.cummax(self, dim)

    @numpy_names
    def cummin(self, dim):
        return cumulative.cummin(self, dim)

    @numpy_names
    def logcumsumexp(self, dim):
        return cumulative.logcumsumexp(self, dim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return cumulative.diff(self, n, dim, prepend, append)

    # ---- scatter, index and mask writes ------------------------------------------------------
    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return gather_scatter.scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return inplace.inplace(self, _scatter, dim, index, src, value, reduce)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return gather_scatter.scatter_reduce(self, dim, index, src, reduce,
                                             include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return inplace.inplace(self, _scatter_reduce, dim, index, src, reduce, include_self)

    def scatter_add_(self, dim, index, src):
        return inplace.inplace(self, gather_scatter.scatter_add, dim, index, src)

    def index_add(self, dim, index, source, *, alpha=1):
        return gather_scatter.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return inplace.inplace(self, _index_add, dim, index, source, alpha)

    def index_copy(self, dim, index, source):
        return gather_scatter.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return inplace.inplace(self, gather_scatter.index_copy, dim, index, source)

    def index_fill(self, dim, index, value):
        return gather_scatter.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return inplace.inplace(self, gather_scatter.index_fill, dim, index, value)

    def index_put(self, indices, values, accumulate=False):
        return gather_scatter.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return inplace.inplace(self, gather_scatter.index_put, indices, values, accumulate)

    def masked_fill_(self, mask, value):
        return inplace.inplace(self, masked.masked_fill, mask, value)

    def masked_select(self, mask):
        return masked.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return masked.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return inplace.inplace(self, masked.masked_scatter, mask, source)

    # ---- in-place math (version counter) -----------------------------------------------------
    def exp_(self):
        return inplace.inplace(self, unary.exp)

    def log_(self):
        return inplace.inplace(self, unary.log)

    def log1p_(self):
        return inplace.inplace(self, unary.log1p)

    def expm1_(self):
        return inplace.inplace(self, unary.expm1)

    def sqrt_(self):
        return inplace.inplace(self, unary.sqrt)

    def rsqrt_(self):
        return inplace.inplace(self, unary.rsqrt)

    def square_(self):
        return inplace.inplace(self, arithmetic.square)

    def abs_(self):
        return inplace.inplace(self, unary.abs)

    def neg_(self):
        return inplace.inplace(self, arithmetic.neg)

    def reciprocal_(self):
        return inplace.inplace(self, arithmetic.reciprocal)

    def sin_(self):
        return inplace.inplace(self, trig.sin)

    def cos_(self):
        return inplace.inplace(self, trig.cos)

    def tanh_(self):
        return inplace.inplace(self, trig.tanh)

    def sigmoid_(self):
        return inplace.inplace(self, activation.sigmoid)

    def relu_(self):
        return inplace.inplace(self, activation.relu)

    def sign_(self):
        return inplace.inplace(self, rounding.sign)

    def floor_(self):
        return inplace.inplace(self, rounding.floor)

    def ceil_(self):
        return inplace.inplace(self, rounding.ceil)

    def round_(self, *, decimals=0):
        return inplace.inplace(self, _round, decimals)

    def trunc_(self):
        return inplace.inplace(self, rounding.trunc)

    def frac_(self):
        return inplace.inplace(self, rounding.frac)

    def lerp_(self, end, weight):
        return inplace.inplace(self, arithmetic.lerp, end, weight)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return inplace.inplace(self, select.nan_to_num, nan, posinf, neginf)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return inplace.inplace(self, _addmm, mat1, mat2, beta, alpha)

    # ---- random fills (no gradient; leaves that require grad need ``no_grad``) ---------------
    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "normal_").standard_normal(self.shape) * std + mean
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def uniform_(self, *args, generator=None, **kwargs):
        """``uniform_(from=0, to=1)``: draws from U[from, to)."""
        from . import random as R
        lo, hi = (list(args) + [None, None])[:2]
        lo = kwargs.pop("from", 0.0) if lo is None else lo
        hi = kwargs.pop("to", 1.0) if hi is None else hi
        if kwargs:
            raise TypeError(f"uniform_: unexpected arguments {sorted(kwargs)}")
        draw = R.resolve(generator, "uniform_").uniform(lo, hi, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def bernoulli_(self, p=0.5, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "bernoulli_").random(self.shape) < _common._data(p)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def exponential_(self, lambd=1.0, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "exponential_").exponential(1.0 / lambd, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

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
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        from . import random as R
        draw = R.resolve(generator, "log_normal_").lognormal(mean, std, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        from . import random as R
        draw = median + sigma * R.resolve(generator, "cauchy_").standard_cauchy(self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def geometric_(self, p, *, generator=None):
        """Draws the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        from . import random as R
        draw = R.resolve(generator, "geometric_").geometric(p, self.shape)
        return inplace.inplace_fill(self, draw.astype(self.dtype))

    def bernoulli(self, p=None, *, generator=None):
        return _creation().bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _creation().multinomial(self, num_samples, replacement, generator=generator)


# helpers with the (tensor, *args) calling convention of ``inplace.inplace``
def _round(t, decimals):
    return rounding.round(t, decimals=decimals)


def _index_add(t, dim, index, source, alpha):
    return gather_scatter.index_add(t, dim, index, source, alpha=alpha)


def _addmm(t, mat1, mat2, beta, alpha):
    return products.addmm(t, mat1, mat2, beta=beta, alpha=alpha)


def _scatter_reduce(t, dim, index, src, reduce, include_self):
    return gather_scatter.scatter_reduce(t, dim, index, src, reduce, include_self=include_self)


def _scatter(t, dim, index, src, value, reduce):
    return gather_scatter.scatter(t, dim, index, src, value, reduce=reduce)
