"""``F.interpolate`` and ``nn.Upsample``: nearest, nearest-exact, linear, bilinear and
trilinear resizing of ``(N, C, *spatial)`` inputs, with PyTorch's index arithmetic
(``align_corners``, ``scale_factor``, ``recompute_scale_factor``).

Resizing is separable: each spatial dim is multiplied by a sparse ``(out, in)`` interpolation
matrix (one-hot rows for nearest, two weights per row for linear), so forward and backward are
BLAS products and differentiable to any order. Inputs holding inf or nan use gathers instead,
so a non-finite pixel stays local as in PyTorch. Not supported: 'bicubic', 'area',
``antialias=True``.
"""
from __future__ import annotations

import math

import numpy as np

from autodiff.ops.index import subscript
from autodiff.ops.linalg import products
from autodiff.ops.shape import views
from autodiff.tensor import Tensor

from .module import Module

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear")


def _tuple(v, n, name):
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(f"interpolate: {name} has {len(v)} entries but the input has {n} "
                             f"spatial dims")
        return tuple(v)
    return (v,) * n


def _sizes(in_sizes, size, scale_factor, recompute_scale_factor):
    """Output sizes and the scales used by the index arithmetic (None: in/out)."""
    n = len(in_sizes)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of size or scale_factor must be defined")
    if size is not None:
        out = tuple(int(s) for s in _tuple(size, n, "size"))
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size")
        return out, (None,) * n
    factors = tuple(float(f) for f in _tuple(scale_factor, n, "scale_factor"))
    if any(f <= 0 for f in factors):
        raise ValueError(f"interpolate: scale_factor must be positive (got {scale_factor})")
    out = tuple(int(math.floor(s * f)) for s, f in zip(in_sizes, factors))
    scales = (None,) * n if recompute_scale_factor else factors
    return out, scales


def _scale_value(in_size, out_size, scale, dt):
    """PyTorch's ``compute_scales_value``: 1/scale_factor when given, else in/out, in the
    arithmetic type ``dt``."""
    if scale is not None and scale > 0:
        return dt.type(1.0 / scale)
    return dt.type(in_size) / dt.type(out_size)


def _nearest_index(in_size, out_size, scale, exact):
    """Source index of each output index, in float32 as PyTorch's CPU kernel."""
    if out_size == in_size and not exact:
        return np.arange(out_size)
    f32 = np.dtype(np.float32)
    s = _scale_value(in_size, out_size, scale, f32)
    dst = np.arange(out_size, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * s) if exact else np.floor(dst * s)
    return np.minimum(src.astype(np.int64), in_size - 1)


def _linear_weights(in_size, out_size, scale, align_corners, dt):
    """PyTorch's ``area_pixel_compute_source_index`` in the input's float type."""
    dst = np.arange(out_size, dtype=dt)
    if align_corners:
        r = dt.type(in_size - 1) / dt.type(out_size - 1) if out_size > 1 else dt.type(0)
        src = dst * r
    else:
        r = _scale_value(in_size, out_size, scale, dt)
        src = np.maximum((dst + dt.type(0.5)) * r - dt.type(0.5), dt.type(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = (src - i0.astype(dt)).astype(dt)
    return i0, i1, lam


def _apply_along(x, dim, W):
    """``x`` with dim ``dim`` mapped through the matrix ``W (n_out, n_in)``."""
    last = x.ndim - 1
    y = x if dim == last else views.movedim(x, dim, -1)
    y = products.matmul(y, Tensor._make(np.ascontiguousarray(W.T)))
    return y if dim == last else views.movedim(y, -1, dim)


def _take(x, dim, idx):
    return subscript.getitem(x, (slice(None),) * dim + (idx,))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``input (N, C, *spatial)`` (1 to 3 spatial dims) to ``size`` or by
    ``scale_factor``. ``mode``: 'nearest' (PyTorch's legacy floor rule), 'nearest-exact',
    'linear' (3-D input), 'bilinear' (4-D), 'trilinear' (5-D). ``align_corners`` (linear
    modes only, default False): map the corner pixels' centres onto each other."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected a Tensor (got {type(input).__name__})")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (supported: "
                                  f"{', '.join(_MODES)})")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    nd = input.ndim
    if nd not in (3, 4, 5):
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got "
                         f"shape {tuple(input.shape)}")
    if mode in _LINEAR:
        if _LINEAR[mode] != nd:
            raise ValueError(f"interpolate: mode {mode!r} needs a {_LINEAR[mode]}-D input (got "
                             f"shape {tuple(input.shape)})")
        align_corners = bool(align_corners)
    elif align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    in_sizes = tuple(input.shape[2:])
    out_sizes, scales = _sizes(in_sizes, size, scale_factor, recompute_scale_factor)
    if any(o <= 0 for o in out_sizes):
        raise ValueError(f"interpolate: output size {out_sizes} must be positive (input shape "
                         f"{tuple(input.shape)})")
    # finite inputs: each dim is one matrix product with a sparse (n_out, n_in) interpolation
    # matrix (BLAS forward and backward); otherwise gathers keep an inf or nan local
    dense = bool(np.all(np.isfinite(input._data)))
    out = input
    for k, (n_in, n_out, sc) in enumerate(zip(in_sizes, out_sizes, scales)):
        d = 2 + k
        if mode in ("nearest", "nearest-exact"):
            if n_in == n_out and sc is None:
                continue
            idx = _nearest_index(n_in, n_out, sc, mode == "nearest-exact")
            if not dense:
                out = _take(out, d, idx)
                continue
            W = np.zeros((n_out, n_in), dtype=input.dtype)
            W[np.arange(n_out), idx] = 1
        else:
            dt = np.dtype(np.float64 if input.dtype == np.float64 else np.float32)
            i0, i1, lam = _linear_weights(n_in, n_out, sc, align_corners, dt)
            if not dense:
                shape = [1] * nd
                shape[d] = n_out
                w1 = Tensor._make(lam.reshape(shape).astype(input.dtype))
                w0 = Tensor._make((dt.type(1) - lam).reshape(shape).astype(input.dtype))
                out = _take(out, d, i0) * w0 + _take(out, d, i1) * w1
                continue
            W = np.zeros((n_out, n_in), dtype=dt)
            rows = np.arange(n_out)
            np.add.at(W, (rows, i0), dt.type(1) - lam)
            np.add.at(W, (rows, i1), lam)
            W = W.astype(input.dtype)
        out = _apply_along(out, d, W)
    return out if out is not input else input * 1


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class Upsample(Module):
    """``Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None,
    recompute_scale_factor=None)``: ``F.interpolate`` as a layer."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
