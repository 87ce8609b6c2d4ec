"""Reductions and scans over dims: sums, statistics, extremes, cumulative ops, sorting and
counting.

Where each op lives (module: functional forms; each op's class, ``Add``, ``Sin``, ..., is in
the same module):

- ``sums``: sum_to_shape, sum, mean, prod, logsumexp, norm
- ``statistics``: var, std
- ``extremes``: max, min, amax, amin, aminmax, argmax, argmin
- ``cumulative``: cumsum, cumprod, cummax, cummin, logcumsumexp, diff
- ``sorting``: sort, argsort, msort, topk, kthvalue, median, nanmedian, unique, searchsorted,
  bucketize
- ``counting``: all, any, count_nonzero, bincount, histogram, histc
"""
