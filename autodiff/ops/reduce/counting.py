"""Boolean and counting reductions (no gradient): all, any, count_nonzero, bincount,
histogram, histc."""
from __future__ import annotations

import builtins
from collections import namedtuple
from fractions import Fraction

import numpy as np

from ... import function as _f
from ...compat import numpy_names
from .._common import _axes, _tensor


def _bool_reduce(fn, input, dim, keepdim, op):
    if not isinstance(input, _f.Tensor):
        raise TypeError(f"{op}: expected a Tensor (got {type(input).__name__})")
    a = input._data
    if dim is None:
        out = np.asarray(fn(a))
        return _f.Tensor._make(out.reshape((1,) * a.ndim) if keepdim else out)
    axes = _axes(dim, a.ndim, getattr(fn, "__name__", "reduce"))
    if a.ndim == 0:
        return _f.Tensor._make(np.asarray(fn(a)))
    return _f.Tensor._make(np.asarray(fn(a, axis=axes, keepdims=keepdim)))


@numpy_names
def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``; None: all) is nonzero. A bool tensor."""
    return _bool_reduce(np.all, input, dim, keepdim, "all")


@numpy_names
def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``; None: all) is nonzero. A bool tensor."""
    return _bool_reduce(np.any, input, dim, keepdim, "any")


@numpy_names
def count_nonzero(input, dim=None):
    x = _tensor(input, "count_nonzero")
    if dim is None:
        return _f.Tensor._make(np.asarray(np.count_nonzero(x._data), dtype=np.int64))
    axes = _axes(dim, x._data.ndim, "count_nonzero")
    return _f.Tensor._make(np.asarray(np.count_nonzero(x._data, axis=axes), dtype=np.int64))


def bincount(input, weights=None, minlength=0):
    """Counts of each value of the 1-D non-negative integer ``input`` (weighted sums with
    ``weights``; the result then has the weights' dtype)."""
    x = _tensor(input, "bincount")._data
    if x.ndim != 1 or x.dtype.kind not in "iub":
        raise ValueError(f"bincount: only 1-d non-negative integral inputs are supported (got "
                         f"shape {x.shape}, dtype {x.dtype})")
    if x.size and x.min() < 0:
        raise ValueError("bincount: input must contain non-negative values only")
    if minlength < 0:
        raise ValueError(f"bincount: minlength should be >= 0 (got {minlength})")
    if weights is None:
        return _f.Tensor._make(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data if isinstance(weights, _f.Tensor) else np.asarray(weights)
    if w.shape != x.shape:
        raise ValueError(f"bincount: weights {w.shape} and input {x.shape} should have the "
                         "same length")
    dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return _f.Tensor._make(np.bincount(x, weights=w, minlength=minlength).astype(dt))


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def _float_array(input, op):
    a = input._data if isinstance(input, _f.Tensor) else np.asarray(input)
    if a.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for integer or bool tensors (got "
                                  f"{a.dtype}); convert with .float() first")
    return a


def _linspace(lo, hi, steps, dtype):
    """PyTorch's linspace in ``dtype``, whose edges the histogram uses: from the start for the
    first half, from the end for the second, each edge one fused multiply-add (rounded once,
    computed exactly here) so the edges are PyTorch's bit for bit."""
    lo, hi = dtype.type(lo), dtype.type(hi)
    if steps == 1:
        return np.array([lo], dtype)
    step = dtype.type((hi - lo) / dtype.type(steps - 1))
    half = steps // 2
    if steps > 10000:  # plain arithmetic (last-bit differences) for huge bin counts
        i = np.arange(steps, dtype=dtype)
        return np.where(i < half, lo + i * step, hi - (steps - 1 - i) * step).astype(dtype)
    flo, fhi, fstep = Fraction(float(lo)), Fraction(float(hi)), Fraction(float(step))
    return np.array([float(flo + i * fstep) if i < half else float(fhi - (steps - 1 - i) * fstep)
                     for i in range(steps)], dtype=np.float64).astype(dtype)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)``: counts of ``input``'s elements in ``bins`` equal-width bins over
    ``range`` (default: the data's min and max), or in the bins between the given increasing
    ``bins`` edges (a 1-D tensor). ``weight`` weighs each element; ``density`` normalises to a
    probability density. Both results have ``input``'s float dtype; the last bin includes its
    right edge."""
    a = _float_array(input, "histogram")
    if isinstance(bins, _f.Tensor):
        bins = bins._data
    w = None
    if weight is not None:
        w = weight._data if isinstance(weight, _f.Tensor) else np.asarray(weight)
        if w.shape != a.shape:
            raise ValueError(f"histogram: weight should have the same shape as input (got "
                             f"{w.shape} and {a.shape})")
        w = w.reshape(-1)
    if np.ndim(bins) == 0:
        if range is not None:
            lo, hi = builtins.float(range[0]), builtins.float(range[1])
            if lo > hi:
                raise ValueError(f"histogram: min should not exceed max (got range={range})")
        elif a.size:
            lo, hi = builtins.float(a.min()), builtins.float(a.max())
        else:
            lo, hi = 0.0, 0.0
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        bins = _linspace(lo, hi, int(bins) + 1, np.dtype(a.dtype))
    hist, edges = np.histogram(a.reshape(-1), bins=np.asarray(bins, dtype=a.dtype), weights=w,
                               density=density)
    T = _f.Tensor
    return histogram_result(T._make(hist.astype(a.dtype)), T._make(edges.astype(a.dtype)))


def histc(input, bins=100, min=0, max=0):
    """Counts in ``bins`` equal-width bins over ``[min, max]`` (both 0: the data's range; equal
    data bounds are widened by 1 on each side); elements outside are ignored. Returns
    ``input``'s float dtype."""
    a = _float_array(input, "histc")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0 (got {bins})")
    lo, hi = builtins.float(min), builtins.float(max)
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min (got min={lo}, max={hi})")
    if lo == hi and a.size:
        lo, hi = builtins.float(a.min()), builtins.float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    hist, _ = np.histogram(a.reshape(-1), bins=int(bins), range=(lo, hi))
    return _f.Tensor._make(hist.astype(a.dtype))
