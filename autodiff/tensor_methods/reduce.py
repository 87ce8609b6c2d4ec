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
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    @numpy_names
    def sum(self, dim: Dim = None, keepdim: bool = False, dtype: DTypeLike = None) -> Tensor:
        return sums.sum(self, dim, keepdim, dtype=dtype)

    @numpy_names
    def mean(self, dim: Dim = None, keepdim: bool = False, dtype: DTypeLike = None) -> Tensor:
        return sums.mean(self, dim, keepdim, dtype=dtype)

    var = numpy_names(statistics.var)
    std = numpy_names(statistics.std)

    @numpy_names
    def max(self, dim=None, keepdim=False):
        return extremes.max(self, dim, keepdim)

    @numpy_names
    def min(self, dim=None, keepdim=False):
        return extremes.min(self, dim, keepdim)

    amax = numpy_names(extremes.amax)
    amin = numpy_names(extremes.amin)
    prod = numpy_names(sums.prod)

    @numpy_names
    def logsumexp(self, dim, keepdim=False):
        return sums.logsumexp(self, dim, keepdim)

    norm = numpy_names(sums.norm)
    cumsum = numpy_names(cumulative.cumsum)
    argmax = numpy_names(extremes.argmax)
    argmin = numpy_names(extremes.argmin)
    all = numpy_names(counting.all)
    any = numpy_names(counting.any)
    sort = sorting.sort
    argsort = sorting.argsort
    msort = sorting.msort
    topk = sorting.topk
    kthvalue = numpy_names(sorting.kthvalue)
    median = numpy_names(sorting.median)
    aminmax = numpy_names(extremes.aminmax)
    count_nonzero = numpy_names(counting.count_nonzero)

    histc = counting.histc
    histogram = counting.histogram
    bincount = counting.bincount
    unique = sorting.unique
    cumprod = numpy_names(cumulative.cumprod)
    cummax = numpy_names(cumulative.cummax)
    cummin = numpy_names(cumulative.cummin)
    logcumsumexp = numpy_names(cumulative.logcumsumexp)
    diff = cumulative.diff
