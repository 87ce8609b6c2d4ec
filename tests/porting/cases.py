"""The differentiable porting ops, each written once for both libraries.

``Case.fn(lib, *xs)``: ``lib`` is the ``autodiff`` or the ``torch`` module (the functions and
Tensor methods share their names). ``inputs(rng)``: float64 arrays for the differentiable
inputs. ``double``: also run gradgradcheck.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


def _real(*shape):
    return lambda rng: rng.standard_normal(shape)


def _pos(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def _unit(*shape):
    return lambda rng: rng.uniform(-0.9, 0.9, shape)


def _gt1(*shape):
    return lambda rng: rng.uniform(1.2, 3.0, shape)


def _distinct(*shape):
    """Values with no ties (sorting and selection are then unambiguous)."""
    def make(rng):
        n = int(np.prod(shape))
        return (rng.permutation(n) + rng.uniform(0.1, 0.9, n)).reshape(shape) / n
    return make


def _away_from_int(*shape):
    """Values whose rounding is not near a jump (central differences stay valid)."""
    return lambda rng: (rng.integers(-5, 5, shape) + rng.uniform(0.1, 0.4, shape))


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable
    inputs: tuple
    double: bool = True
    params: dict = field(default_factory=dict)

    def __repr__(self):
        return self.name


IDX = np.array([[0, 2, 1, 0], [2, 0, 0, 1]])
IDX1 = np.array([2, 0, 2])
SCATTER_IDX = np.array([[0, 1, 2, 0], [1, 2, 0, 2]])  # no repeats within a column


def _ix(lib, arr):
    return lib.tensor(arr)


CASES = [
    # ---- elementwise math
    Case("sign", lambda lib, x: x.sign() * x, (_real(3, 4),)),
    Case("floor", lambda lib, x: lib.floor(x) + x.floor() * x, (_away_from_int(3, 4),)),
    Case("ceil", lambda lib, x: x.ceil() * x, (_away_from_int(3, 4),)),
    Case("round", lambda lib, x: x.round() * x, (_away_from_int(3, 4),)),
    Case("round_decimals", lambda lib, x: lib.round(x, decimals=1) + x,
         (_away_from_int(3, 4),)),
    Case("trunc", lambda lib, x: x.trunc() * x, (_away_from_int(3, 4),)),
    Case("frac", lambda lib, x: x.frac(), (_away_from_int(3, 4),)),
    Case("reciprocal", lambda lib, x: x.reciprocal(), (_pos(3, 4),)),
    Case("rsqrt", lambda lib, x: lib.rsqrt(x), (_pos(3, 4),)),
    Case("square", lambda lib, x: lib.square(x), (_real(3, 4),)),
    Case("exp2", lambda lib, x: lib.exp2(x), (_real(3, 4),)),
    Case("expm1", lambda lib, x: x.expm1(), (_real(3, 4),)),
    Case("log2", lambda lib, x: lib.log2(x), (_pos(3, 4),)),
    Case("log10", lambda lib, x: x.log10(), (_pos(3, 4),)),
    Case("tan", lambda lib, x: lib.tan(x), (_unit(3, 4),)),
    Case("sinh", lambda lib, x: lib.sinh(x), (_real(3, 4),)),
    Case("cosh", lambda lib, x: x.cosh(), (_real(3, 4),)),
    Case("asin", lambda lib, x: lib.asin(x), (_unit(3, 4),)),
    Case("acos", lambda lib, x: x.acos(), (_unit(3, 4),)),
    Case("atan", lambda lib, x: lib.atan(x), (_real(3, 4),)),
    Case("asinh", lambda lib, x: lib.asinh(x), (_real(3, 4),)),
    Case("acosh", lambda lib, x: lib.acosh(x), (_gt1(3, 4),)),
    Case("atanh", lambda lib, x: lib.atanh(x), (_unit(3, 4),)),
    Case("atan2", lambda lib, y, x: lib.atan2(y, x), (_real(3, 4), _real(4))),
    Case("erf", lambda lib, x: lib.erf(x), (_real(3, 4),)),
    Case("erfc", lambda lib, x: lib.erfc(x), (_real(5),)),
    Case("lerp_scalar", lambda lib, a, b: lib.lerp(a, b, 0.3), (_real(3, 4), _real(3, 4))),
    Case("lerp_tensor", lambda lib, a, b, w: a.lerp(b, w), (_real(3, 4), _real(4), _real(3, 1))),
    Case("nan_to_num", lambda lib, x: lib.nan_to_num(
        x + lib.tensor([0.0, float("nan"), float("inf"), -float("inf"), 0.0], dtype=x.dtype),
        nan=0.5, posinf=3.0, neginf=-2.0) * x, (_real(5),)),
    # ---- matrices
    Case("mm", lambda lib, a, b: lib.mm(a, b), (_real(3, 4), _real(4, 2))),
    Case("addmm", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2.0),
         (_real(2), _real(3, 4), _real(4, 2))),
    Case("addmm_method", lambda lib, c, a, b: c.addmm(a, b), (_real(3, 2), _real(3, 4), _real(4, 2))),
    Case("addmv", lambda lib, c, a, b: lib.addmv(c, a, b, beta=2.0), (_real(3), _real(3, 4), _real(4))),
    Case("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b, alpha=0.5),
         (_real(2, 3, 2), _real(2, 3, 4), _real(2, 4, 2))),
    Case("einsum_matmul", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (_real(3, 4), _real(4, 2))),
    Case("einsum_batch_ellipsis", lambda lib, a, b: lib.einsum("...ij,...jk", a, b),
         (_real(2, 3, 4), _real(4, 5))),
    Case("einsum_trace", lambda lib, a: lib.einsum("ii", a), (_real(4, 4),)),
    Case("einsum_diag", lambda lib, a: lib.einsum("bii->bi", a), (_real(2, 3, 3),)),
    Case("einsum_outer_sum", lambda lib, a, b: lib.einsum("i,j->j", a, b), (_real(3), _real(4))),
    Case("einsum_three", lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c),
         (_real(2, 3), _real(3, 4), _real(4, 2))),
    Case("einsum_list", lambda lib, a, b: lib.einsum("bhqd,bhkd->bhqk", [a, b]),
         (_real(2, 2, 3, 4), _real(2, 2, 5, 4))),
    Case("tril", lambda lib, x: x.tril(), (_real(2, 4, 4),)),
    Case("tril_k", lambda lib, x: lib.tril(x, -1), (_real(3, 5),)),
    Case("triu_k", lambda lib, x: lib.triu(x, 1), (_real(5, 3),)),
    Case("diag_1d", lambda lib, x: lib.diag(x, 1), (_real(3),)),
    Case("diag_2d", lambda lib, x: lib.diag(x, -1), (_real(4, 3),)),
    Case("diagonal", lambda lib, x: lib.diagonal(x, 1, 0, 2), (_real(3, 2, 4),)),
    Case("diag_embed", lambda lib, x: lib.diag_embed(x), (_real(2, 3),)),
    Case("trace", lambda lib, x: lib.trace(x), (_real(3, 4),)),
    Case("outer", lambda lib, a, b: lib.outer(a, b), (_real(3), _real(4))),
    Case("dot", lambda lib, a, b: lib.dot(a, b), (_real(4), _real(4))),
    Case("bmm", lambda lib, a, b: lib.bmm(a, b), (_real(2, 3, 4), _real(2, 4, 2))),
    # ---- layout
    Case("clone", lambda lib, x: x.clone() * 2, (_real(3, 4),)),
    Case("contiguous", lambda lib, x: x.t().contiguous(), (_real(3, 4),)),
    Case("t", lambda lib, x: lib.t(x), (_real(3, 4),)),
    Case("roll", lambda lib, x: lib.roll(x, 1, 1), (_real(3, 4),)),
    Case("roll_multi", lambda lib, x: x.roll((1, -2), (0, 1)), (_real(3, 4),)),
    Case("roll_flat", lambda lib, x: lib.roll(x, 5), (_real(3, 4),)),
    Case("tile", lambda lib, x: lib.tile(x, (2,)), (_real(3, 2),)),
    Case("tile_more", lambda lib, x: x.tile(2, 1, 3), (_real(3, 2),)),
    Case("unflatten", lambda lib, x: x.unflatten(1, (2, -1)), (_real(3, 4),)),
    Case("movedim", lambda lib, x: lib.movedim(x, 0, 2), (_real(2, 3, 4),)),
    Case("swapaxes", lambda lib, x: x.swapaxes(0, 2), (_real(2, 3, 4),)),
    Case("narrow", lambda lib, x: x.narrow(1, 1, 2), (_real(3, 4),)),
    Case("unbind", lambda lib, x: lib.unbind(x, 1)[2] * 3, (_real(3, 4),)),
    Case("meshgrid_ij", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij")[0] *
         lib.meshgrid(a, b, indexing="ij")[1], (_real(3), _real(4))),
    Case("meshgrid_xy", lambda lib, a, b: lib.meshgrid(a, b, indexing="xy")[0] +
         2 * lib.meshgrid(a, b, indexing="xy")[1], (_real(3), _real(4))),
    Case("repeat_interleave", lambda lib, x: x.repeat_interleave(2, 1), (_real(2, 3),)),
    Case("repeat_interleave_tensor", lambda lib, x: lib.repeat_interleave(
        x, lib.tensor([1, 0, 3]), 0), (_real(3, 2),)),
    Case("view_as", lambda lib, x, y: x.view_as(y) * y, (_real(3, 4), _real(4, 3))),
    Case("expand_as", lambda lib, x, y: x.expand_as(y) * y, (_real(3, 1), _real(3, 4))),
    # ---- selection and scatter
    Case("gather", lambda lib, x: x.gather(1, _ix(lib, IDX[:, :3])), (_real(2, 4),)),
    Case("scatter_src", lambda lib, x, s: x.scatter(0, _ix(lib, SCATTER_IDX), s),
         (_real(3, 4), _real(2, 4))),
    Case("scatter_value", lambda lib, x: lib.scatter(x, 1, _ix(lib, np.array([[0], [2]])), 1.5),
         (_real(2, 4),)),
    Case("scatter_add", lambda lib, x, s: x.scatter_add(1, _ix(lib, IDX), s),
         (_real(2, 3), _real(2, 4))),
    Case("scatter_reduce_sum", lambda lib, x, s: x.scatter_reduce(1, _ix(lib, IDX), s, "sum"),
         (_real(2, 3), _real(2, 4))),
    Case("scatter_reduce_sum_noself", lambda lib, x, s: lib.scatter_reduce(
        x, 1, _ix(lib, IDX), s, "sum", include_self=False), (_real(2, 3), _real(2, 4))),
    Case("scatter_reduce_mean", lambda lib, x, s: x.scatter_reduce(1, _ix(lib, IDX), s, "mean"),
         (_real(2, 3), _real(2, 4))),
    Case("scatter_reduce_mean_noself", lambda lib, x, s: x.scatter_reduce(
        0, _ix(lib, SCATTER_IDX), s, "mean", include_self=False), (_real(3, 4), _real(2, 4))),
    Case("scatter_reduce_amax", lambda lib, x, s: x.scatter_reduce(1, _ix(lib, IDX), s, "amax"),
         (_distinct(2, 3), _distinct(2, 4))),
    Case("scatter_reduce_amin_noself", lambda lib, x, s: x.scatter_reduce(
        1, _ix(lib, IDX), s, "amin", include_self=False), (_distinct(2, 3), _distinct(2, 4))),
    Case("index_select", lambda lib, x: x.index_select(0, _ix(lib, IDX1)), (_real(3, 4),)),
    Case("index_add", lambda lib, x, s: x.index_add(0, _ix(lib, IDX1), s, alpha=2.0),
         (_real(3, 4), _real(3, 4))),
    Case("index_copy", lambda lib, x, s: x.index_copy(1, _ix(lib, np.array([3, 0])), s),
         (_real(3, 4), _real(3, 2))),
    Case("index_fill", lambda lib, x: x.index_fill(1, _ix(lib, np.array([3, 0])), -1.0),
         (_real(3, 4),)),
    Case("index_put", lambda lib, x, v: x.index_put((_ix(lib, np.array([0, 2])),
                                                      _ix(lib, np.array([1, 3]))), v),
         (_real(3, 4), _real(2))),
    Case("index_put_accumulate", lambda lib, x, v: lib.index_put(
        x, (_ix(lib, np.array([0, 2, 0])),), v, accumulate=True), (_real(3, 4), _real(4))),
    Case("take_along_dim", lambda lib, x: lib.take_along_dim(x, _ix(lib, IDX[:, :3]), 1),
         (_real(2, 4),)),
    Case("masked_fill", lambda lib, x: x.masked_fill(_ix(lib, np.array([True, False, True, False])),
                                                     0.5), (_real(3, 4),)),
    Case("masked_select", lambda lib, x: x.masked_select(_ix(lib, np.array([True, False, True, True]))),
         (_real(3, 4),)),
    Case("masked_scatter", lambda lib, x, s: x.masked_scatter(
        _ix(lib, np.array([[True, False, True], [False, False, True]])), s),
         (_real(2, 3), _real(5))),
    Case("sort", lambda lib, x: lib.sort(x, 1)[0], (_distinct(3, 4),)),
    Case("sort_desc", lambda lib, x: x.sort(dim=0, descending=True).values, (_distinct(3, 4),)),
    Case("topk", lambda lib, x: x.topk(2).values, (_distinct(3, 5),)),
    Case("topk_smallest", lambda lib, x: lib.topk(x, 2, dim=0, largest=False)[0], (_distinct(3, 5),)),
    Case("topk_partition", lambda lib, x: x.topk(3, dim=0).values, (_distinct(40, 2),)),
    Case("topk_partition_smallest", lambda lib, x: x.topk(2, largest=False)[0], (_distinct(2, 30),)),
    Case("kthvalue", lambda lib, x: x.kthvalue(2, 1).values, (_distinct(3, 5),)),
    Case("median_all", lambda lib, x: x.median(), (_distinct(3, 5),)),
    Case("median_dim", lambda lib, x: lib.median(x, 1, keepdim=True).values, (_distinct(3, 4),)),
    Case("amax", lambda lib, x: x.amax(1), (_distinct(3, 4),)),
    Case("amin", lambda lib, x: lib.amin(x, (0, 1)), (_distinct(3, 4),)),
    Case("aminmax", lambda lib, x: x.aminmax(dim=0)[0] * 2 + lib.aminmax(x, dim=0).max,
         (_distinct(3, 4),)),
    Case("cummax", lambda lib, x: lib.cummax(x, 1).values, (_distinct(3, 5),)),
    Case("cummin", lambda lib, x: x.cummin(0)[0], (_distinct(3, 5),)),
    # ---- cumulative
    Case("cumsum", lambda lib, x: x.cumsum(1), (_real(3, 4),)),
    Case("cumprod", lambda lib, x: x.cumprod(1), (_real(3, 4),)),
    Case("cumprod_zeros", lambda lib, x: lib.cumprod(x * lib.tensor([1.0, 0.0, 1.0, 1.0],
                                                                       dtype=x.dtype), 1),
         (_real(2, 4),)),
    Case("logcumsumexp", lambda lib, x: lib.logcumsumexp(x, 0), (_real(4, 3),)),
    Case("diff", lambda lib, x: lib.diff(x), (_real(3, 5),)),
    Case("diff_n2_prepend", lambda lib, x, p: x.diff(2, 0, prepend=p), (_real(4, 3), _real(1, 3))),
    # ---- reductions with options
    Case("sum_dtype", lambda lib, x: x.sum(1, dtype=lib.float64), (_real(3, 4),)),
    Case("mean_dtype", lambda lib, x: lib.mean(x, 0, dtype=lib.float64), (_real(3, 4),)),
    Case("logsumexp", lambda lib, x: x.logsumexp(1), (_real(3, 4),)),
    # ---- softmax methods
    Case("softmax_method", lambda lib, x: x.softmax(1), (_real(3, 4),)),
    Case("log_softmax_method", lambda lib, x: x.log_softmax(dim=0), (_real(3, 4),)),
    Case("softmax_fn", lambda lib, x: lib.softmax(x, -1), (_real(2, 3, 4),)),
    Case("log_softmax_fn", lambda lib, x: lib.log_softmax(x, 1), (_real(2, 3),)),
]
