"""Tensor methods of the reductions: sums and statistics, extremes, sorting, cumulative ops,
counting."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..compat import numpy_names
from ..ops.reduce import counting, cumulative, extremes, sorting, statistics, sums
from ..types import Dim, DTypeLike

if TYPE_CHECKING:
    from ..tensor import Tensor


class ReduceMethods:
    """Mixin of ``Tensor`` (no state of its own). The reductions take NumPy's ``axis=`` /
    ``keepdims=`` too (``compat.numpy_names``, on the functions themselves)."""

    __slots__ = ()

    # ---- sums and statistics ---------------------------------------------------------------
    @numpy_names
    def sum(self, dim: Dim = None, keepdim: bool = False, dtype: DTypeLike = None) -> Tensor:
        return sums.sum(self, dim, keepdim, dtype=dtype)

    @numpy_names
    def mean(self, dim: Dim = None, keepdim: bool = False, dtype: DTypeLike = None) -> Tensor:
        return sums.mean(self, dim, keepdim, dtype=dtype)

    prod = sums.prod
    logsumexp = sums.logsumexp
    norm = sums.norm
    var = statistics.var
    std = statistics.std

    # ---- extremes --------------------------------------------------------------------------
    max = extremes.max
    min = extremes.min
    amax = extremes.amax
    amin = extremes.amin
    aminmax = extremes.aminmax
    argmax = extremes.argmax
    argmin = extremes.argmin

    # ---- sorting ---------------------------------------------------------------------------
    sort = sorting.sort
    argsort = sorting.argsort
    topk = sorting.topk
    kthvalue = sorting.kthvalue
    median = sorting.median
    msort = sorting.msort
    unique = sorting.unique

    # ---- cumulative ------------------------------------------------------------------------
    cumsum = cumulative.cumsum
    cumprod = cumulative.cumprod
    cummax = cumulative.cummax
    cummin = cumulative.cummin
    logcumsumexp = cumulative.logcumsumexp
    diff = cumulative.diff

    # ---- counting --------------------------------------------------------------------------
    all = counting.all
    any = counting.any
    count_nonzero = counting.count_nonzero
    histc = counting.histc
    histogram = counting.histogram
    bincount = counting.bincount
