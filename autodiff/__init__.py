"""autodiff: a reverse-mode automatic differentiation engine (define-by-run, PyTorch-style).

    import autodiff as ad
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad  # tensor([2., 4.])
"""
from __future__ import annotations

import numpy as np

__version__ = "0.1.0"

import warnings as _warnings

# NumPy's floating-point RuntimeWarnings ("overflow encountered in add", "divide by zero
# encountered in log") raised by the library's own array code: PyTorch prints none, and
# ``ad.detect_anomaly()`` is the way to find NaNs. The filter matches only warnings attributed
# to our modules, so a user's own NumPy code warns as usual; it costs nothing per op (the hot
# ops add, sub and mul cannot afford an errstate switch: ~0.4 us of a ~3 us op).
_warnings.filterwarnings(
    "ignore", r"(overflow|underflow|divide by zero|invalid value) encountered",
    RuntimeWarning, r"(autodiff|nn|optim)(\.|$)")

from . import _aliases

_aliases.install()  # a checkout's nn/ and optim/ as autodiff.nn and autodiff.optim

from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import _BY_NAME as _DT
from .dtypes import LEGACY_TYPES as _LEGACY_TYPES
from .dtypes import dtype, finfo, iinfo
from .engine import grad
from .function import Function, Op
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    name_scope,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck

# ---- the ops, by family (autodiff/ops/<family>/<module>.py) ---------------------------------
from .ops.elementwise.activation import relu, sigmoid
from .ops.elementwise.arithmetic import (
    add,
    div,
    floor_divide,
    fmod,
    lerp,
    mul,
    neg,
    pow,
    reciprocal,
    remainder,
    square,
    sub,
    true_divide,
)
from .ops.elementwise.compare import (
    allclose,
    eq,
    equal,
    ge,
    gt,
    isclose,
    isfinite,
    isin,
    isinf,
    isnan,
    isneginf,
    isposinf,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from .ops.elementwise.rounding import ceil, fix, floor, frac, round, sign, trunc
from .ops.elementwise.select import (
    clamp,
    clamp_max,
    clamp_min,
    clip,
    maximum,
    minimum,
    nan_to_num,
    where,
)
from .ops.elementwise.trig import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cos,
    cosh,
    sin,
    sinh,
    tan,
    tanh,
)
from .ops.elementwise.unary import (
    abs,
    erf,
    erfc,
    exp,
    exp2,
    expm1,
    log,
    log1p,
    log2,
    log10,
    rsqrt,
    sqrt,
)
from .ops.index.gather_scatter import (
    gather,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_select,
    scatter,
    scatter_add,
    scatter_reduce,
    take_along_dim,
)
from .ops.index.masked import argwhere, masked_fill, masked_scatter, masked_select, nonzero
from .ops.linalg.diagonals import diag, diag_embed, diagonal, trace, tril, triu
from .ops.linalg.products import (
    addbmm,
    addmm,
    addmv,
    baddbmm,
    bmm,
    cdist,
    dot,
    einsum,
    matmul,
    mm,
    outer,
)
from .ops.reduce.counting import all, any, bincount, count_nonzero, histc, histogram
from .ops.reduce.cumulative import cummax, cummin, cumprod, cumsum, diff, logcumsumexp
from .ops.reduce.extremes import amax, amin, aminmax, argmax, argmin, max, min
from .ops.reduce.sorting import (
    argsort,
    bucketize,
    kthvalue,
    median,
    msort,
    searchsorted,
    sort,
    topk,
    unique,
)
from .ops.reduce.statistics import std, var
from .ops.reduce.sums import logsumexp, mean, norm, prod, sum
from .ops.shape.joins import cat, chunk, concat, concatenate, meshgrid, split, stack, unbind
from .ops.shape.rearrange import clone, flip, pad, repeat, repeat_interleave, roll, tile
from .ops.shape.views import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    expand,
    flatten,
    is_floating_point,
    is_tensor,
    moveaxis,
    movedim,
    narrow,
    numel,
    permute,
    reshape,
    squeeze,
    swapaxes,
    swapdims,
    t,
    transpose,
    unflatten,
    unsqueeze,
)
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .scalar import Scalar
from .serialization import load, save
from .tensor import Size, Tensor
from .viz import draw_graph

# dtype objects print as autodiff.float32 and are NumPy dtypes to NumPy (see autodiff.dtypes)
float16 = half = _DT["float16"]
float32 = float = _DT["float32"]
float64 = double = _DT["float64"]
bfloat16 = _DT["bfloat16"]  # a name only: NumPy has no bfloat16 (using it raises TypeError)
complex64 = cfloat = _DT["complex64"]
complex128 = cdouble = _DT["complex128"]
int8 = _DT["int8"]
uint8 = _DT["uint8"]
int16 = short = _DT["int16"]
int32 = int = _DT["int32"]
int64 = long = _DT["int64"]
uint16 = _DT["uint16"]
uint32 = _DT["uint32"]
uint64 = _DT["uint64"]
bool = _DT["bool"]
(FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
 ByteTensor, BoolTensor) = (_LEGACY_TYPES[n] for n in (
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
    "CharTensor", "ByteTensor", "BoolTensor"))

# ---- devices, random factories, softmax, the default dtype ---------------------------------
import math as _math  # noqa: E402  (``float`` is the dtype here)

# ---- PyTorch's submodules (ad.utils.data, ad.autograd, ad.amp, ad.linalg...) and settings ---
from . import (
    accelerator,
    amp,
    autograd,
    backends,
    cuda,
    data,
    linalg,
    multiprocessing,
    testing,
    utils,
)
from ._compile import compile, get_float32_matmul_precision, set_float32_matmul_precision
from .amp import autocast
from .creation import (
    bernoulli,
    get_default_dtype,
    multinomial,
    normal,
    randint_like,
    randperm,
    set_default_dtype,
)
from .device import device
from .ops.loss import log_softmax, softmax
from .settings import (
    are_deterministic_algorithms_enabled,
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
    set_printoptions,
    use_deterministic_algorithms,
)

inf, nan, pi, e = _math.inf, _math.nan, _math.pi, _math.e

# ---- PyTorch's call conventions on the functions above: out= (NumPy's argument names, axis=
# for dim= and keepdims= for keepdim=, are taken by the reductions themselves: compat.numpy_names)
from .compat import supports_out as _supports_out

# out=: the result is written into out and out is returned (see autodiff.compat)
for _name in ("abs", "add", "clamp", "clip", "cos", "div", "eq", "exp", "floor_divide", "ge",
              "gt", "le", "log", "log1p", "logical_and", "logical_not", "logical_or",
              "logical_xor", "lt", "maximum", "minimum", "mul", "ne", "neg", "pow", "remainder",
              "sigmoid", "sin", "sqrt", "sub", "tanh", "true_divide", "where", "amax", "amin",
              "argmax", "argmin", "cumsum", "logsumexp", "max", "mean", "min", "norm", "prod",
              "std", "sum", "var", "cat", "concat", "concatenate", "stack", "gather",
              "index_select", "bmm", "dot", "matmul", "mm", "outer", "cummax", "cummin",
              "cumprod", "logcumsumexp", "acos", "acosh", "arccos", "arccosh", "arcsin",
              "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh", "atan", "atan2",
              "atanh", "ceil", "cosh", "erf", "erfc", "exp2", "expm1", "fix", "floor", "frac",
              "lerp", "log2", "log10", "nan_to_num", "reciprocal", "round", "rsqrt", "sign",
              "sinh", "square", "tan", "trunc", "addbmm", "addmm", "addmv", "baddbmm", "diag",
              "tril", "triu", "sort", "topk", "kthvalue", "median", "msort", "all", "any",
              "zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand", "randn",
              "randint", "randperm", "normal", "bernoulli", "multinomial", "index_add",
              "masked_select", "isfinite", "isinf", "isnan", "histc", "histogram", "clamp_min",
              "clamp_max", "nonzero", "argwhere", "searchsorted", "bucketize", "isin"):
    globals()[_name] = _supports_out(globals()[_name])
del _name

# ---- lazy autodiff.nn / autodiff.optim; the public names ----------------------------------------
import builtins as _builtins
import types as _types

_LAZY_MODULES = ("nn", "optim")
_PUBLIC_MODULES = {"data", "nn", "optim", "utils", "autograd", "multiprocessing", "amp",
                   "backends", "cuda", "testing", "linalg", "accelerator"}


def __getattr__(name):
    """``autodiff.nn`` and ``autodiff.optim`` are imported on first use: the engine never
    imports them itself."""
    if name in _LAZY_MODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _public_names():
    """Every name the API offers: not private, not a module other than the public ones (no
    ``np``, no ``engine``), not the ``annotations`` future flag."""
    return {n for n, v in globals().items()
            if not n.startswith("_") and n != "annotations"
            and (not isinstance(v, _types.ModuleType) or n in _PUBLIC_MODULES)} | set(_LAZY_MODULES)


def __dir__():
    """What tab completion shows: the public API only."""
    return sorted(_public_names() | {"__version__"})


# `from autodiff import *` gives the API minus the names that would shadow Python's builtins
# (sum, max, abs, float, int, bool, ...): those stay reachable as ad.sum, ad.float, ...
__all__ = sorted(n for n in _public_names() if not hasattr(_builtins, n))
