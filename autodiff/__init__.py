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

from .engine import (detect_anomaly, enable_grad, grad, is_anomaly_enabled, is_grad_enabled,
                     name_scope, no_grad, set_grad_enabled)
from .function import Function, Op
from .tensor import Size, Tensor
from .scalar import Scalar
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       tensor, zeros, zeros_like)
from .random import initial_seed, manual_seed, seed
from .viz import draw_graph
from .ops.elementwise import (abs, add, clamp, clip, cos, div, eq, exp, floor_divide, ge, gt, le,
                              log, log1p, logical_and, logical_not, logical_or, logical_xor, lt,
                              maximum, minimum, mul, ne, neg, pow, relu, remainder, sigmoid, sin,
                              sqrt, sub, tanh, true_divide, where)
from .ops.reduce import (amax, amin, argmax, argmin, cumsum, logsumexp, max, mean, min, norm,
                         prod, std, sum, var)
from .ops.shape import (cat, chunk, concat, concatenate, expand, flatten, flip, movedim, narrow,
                        pad, permute, repeat, reshape, split, squeeze, stack, swapaxes, transpose,
                        unbind, unsqueeze)
from .ops.index import gather, index_select, masked_fill, scatter_add, take_along_dim
from .ops.linalg import bmm, dot, matmul, mm, outer
from .gradcheck import gradcheck, gradgradcheck

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)

# ---- porting (issue 11): devices, more factories and PyTorch's everyday ops -----------------
from .device import backends, cuda, device
from .creation import bernoulli, multinomial, normal, randint_like, randperm
from .ops.compare import all, allclose, any, equal, isclose
from .ops.cumulative import cummax, cummin, cumprod, diff, logcumsumexp
from .ops.layout import (atleast_1d, atleast_2d, atleast_3d, clone, is_floating_point, is_tensor,
                         meshgrid, moveaxis, numel, repeat_interleave, roll, swapdims, t, tile,
                         unflatten)
from .ops.loss import log_softmax, softmax
from .ops.mathx import (acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
                        asin, asinh, atan, atan2, atanh, ceil, cosh, erf, erfc, exp2, expm1, fix,
                        floor, frac, isfinite, isinf, isnan, isneginf, isposinf, lerp, log2,
                        log10, nan_to_num, reciprocal, round, rsqrt, sign, sinh, square, tan,
                        trunc)
from .ops.matrix import (addbmm, addmm, addmv, baddbmm, diag, diag_embed, diagonal, einsum, trace,
                         tril, triu)
from .ops.scatter import (index_add, index_copy, index_fill, masked_scatter, masked_select,
                          scatter)
from .ops.sort import (aminmax, argsort, bincount, count_nonzero, kthvalue, median, msort, sort,
                       topk, unique)
from . import accelerator
from . import data
from .creation import get_default_dtype, set_default_dtype
from .ops.scatter import index_put
from .ops.scatter import scatter_reduce
