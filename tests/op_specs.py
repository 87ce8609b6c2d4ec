"""The table of op specifications: the one list of ops that tests/ops/test_op_table.py checks
(central differences, non-contiguous inputs, float32, double backward, PyTorch parity) and
tests/fuzz fuzzes against PyTorch.

Each ``OpSpec`` says how to call one op and on what inputs:

* ``fn(lib, *tensors, **params)``: the call, written once for both libraries. ``lib`` is
  ``AD`` (autodiff) or ``TorchLib`` (PyTorch), which share the Tensor method names; ``lib.pad``
  is ``F.pad``, ``lib.index(arr)`` makes an index tensor, ``lib.const(arr)`` a constant operand
  (a raw ndarray for autodiff, to exercise the reflected dunders).
* ``shapes(draw)``: the input shapes, drawn with hypothesis (``tests/strategies.py``), or
  ``fixed(...)`` shapes for the calls whose arguments fit one shape (made with ``case``).
* ``domains``: per input, the value domain (see ``strategies.values``).
* ``params(rng, shapes)``: non-tensor arguments (dims, index arrays, pad widths...).
* ``double``: run gradgradcheck; ``torch``: run the parity test against PyTorch.
* ``examples``: at most this many hypothesis examples per check (a fixed-shape spec only
  varies its values' seed, so one is enough).
* ``fuzz``: tests/fuzz fuzzes it. Off for the fixed-shape cases until the fuzzer's findings on
  them (NaN/inf placement in 21 of them, e.g. sign, floor, topk, einsum_three) are settled.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import autodiff as ad
from tests import strategies as S


@dataclass(frozen=True)
class OpSpec:
    name: str
    fn: Callable
    shapes: Callable = field(default=lambda draw: (S.shape(draw),))
    domains: tuple = ("real",)
    params: Callable | None = None
    double: bool = True
    torch: bool = True
    grad_inputs: tuple | None = None  # indices of inputs that require grad (default: all)
    keeps_float32: bool = True  # False where a float64 ndarray operand promotes (as it should)
    examples: int = 10
    fuzz: bool = True  # tests/fuzz runs it with hostile values

    def __repr__(self):
        return self.name


class AD:
    """autodiff as seen by the specs."""

    def __getattr__(self, name):
        return getattr(ad, name)

    @staticmethod
    def index(arr):
        return ad.tensor(np.asarray(arr))

    @staticmethod
    def const(arr):
        return np.asarray(arr, dtype=np.float64)


class TorchLib:
    """torch as seen by the specs (built lazily: torch is optional)."""

    def __init__(self):
        import torch
        import torch.nn.functional as F
        self.torch = torch
        self.pad = F.pad

    def __getattr__(self, name):
        return getattr(self.torch, name)

    def index(self, arr):
        return self.torch.from_numpy(np.array(arr))

    def const(self, arr):
        return self.torch.from_numpy(np.asarray(arr, dtype=np.float64))


# ---------------------------------------------------------------------------------------------
# shape helpers


def one(min_dims=0, max_dims=3, min_side=1, max_side=3):
    return lambda draw: (S.shape(draw, min_dims, max_dims, min_side, max_side),)


def pair(draw):
    return S.broadcast_pair(draw)


def same_n(n, min_dims=1, max_dims=3):
    def shapes(draw):
        s = S.shape(draw, min_dims, max_dims)
        return (s,) * n
    return shapes


def cat_shapes(draw):
    s = S.shape(draw, 1, 3)
    dim = draw(S.st.integers(0, len(s) - 1))
    n = draw(S.st.integers(1, 3))
    out = []
    for _ in range(n):
        t = list(s)
        t[dim] = draw(S.st.integers(1, 3))
        out.append(tuple(t))
    return tuple(out)


def bounds_shapes(draw):
    """x's shape and two shapes that broadcast to it (PyTorch's clamp needs that)."""
    s = S.shape(draw)
    out = [s]
    for _ in range(2):
        t = list(s[draw(S.st.integers(0, len(s))):])
        out.append(tuple(1 if draw(S.st.booleans()) else n for n in t))
    return tuple(out)


def with_ones(draw):
    s = list(S.shape(draw, 1, 3))
    for i in range(len(s)):
        if draw(S.st.booleans()):
            s[i] = 1
    return (tuple(s),)


def fixed(*shapes):
    return lambda draw: shapes


def case(name, fn, *shapes, domain="real", **kw):
    """A spec with fixed input shapes, all drawn from one value domain."""
    return OpSpec(name, fn, fixed(*shapes), (domain,), examples=1, fuzz=False, **kw)


# ---------------------------------------------------------------------------------------------
# parameter helpers


def p_dim(allow_none=True, allow_tuple=True):
    def params(rng, shapes):
        nd = len(shapes[0])
        return dict(dim=S.random_dim(rng, nd, allow_none, allow_tuple),
                    keepdim=bool(rng.integers(2)))
    return params


def p_int_dim(keepdim=True):
    def params(rng, shapes):
        nd = len(shapes[0])
        p = dict(dim=int(rng.integers(-max(nd, 1), max(nd, 1))))
        if keepdim:
            p["keepdim"] = bool(rng.integers(2))
        return p
    return params


def p_var(rng, shapes):
    p = p_dim()(rng, shapes)
    kind = rng.integers(3)
    if kind == 0:
        p["unbiased"] = bool(rng.integers(2))
    elif kind == 1:
        p["correction"] = int(rng.integers(0, 2))
    return p


def _reduced_count(shape, dim):
    if dim is None:
        return int(np.prod(shape))
    dims = dim if isinstance(dim, tuple) else (dim,)
    return int(np.prod([shape[d] for d in dims])) if shape else 1


def p_clamp(rng, shapes):
    kind = rng.integers(3)
    lo, hi = sorted(rng.uniform(-1.0, 1.0, 2))
    return dict(min=None if kind == 1 else float(lo), max=None if kind == 2 else float(hi))


def p_basic_index(rng, shapes):
    """A random basic index: ints, slices (positive steps), None and Ellipsis."""
    shape = shapes[0]
    idx = []
    for s in shape:
        kind = rng.integers(3)
        if kind == 0:
            idx.append(int(rng.integers(-s, s)))
        elif kind == 1:
            start = int(rng.integers(0, s))
            idx.append(slice(start, int(rng.integers(start + 1, s + 1)), int(rng.integers(1, 3))))
        else:
            idx.append(slice(None))
    if idx and rng.integers(2):
        idx.insert(int(rng.integers(0, len(idx) + 1)), None)
    if idx and rng.integers(2):
        # replace a run of trailing full slices by Ellipsis
        k = len(idx)
        while k and idx[k - 1] == slice(None):
            k -= 1
        idx = idx[:k] + [Ellipsis]
    return dict(index=tuple(idx))


def p_gather(rng, shapes):
    shape = shapes[0]
    dim = int(rng.integers(0, len(shape)))
    ishape = tuple(int(rng.integers(1, s + 1)) if d != dim else int(rng.integers(1, 4))
                   for d, s in enumerate(shape))
    return dict(dim=dim, index=rng.integers(0, shape[dim], ishape))


def p_pad_constant(rng, shapes):
    nd = len(shapes[0])
    k = int(rng.integers(1, nd + 1))
    pad = []
    for i in range(k):
        s = shapes[0][nd - 1 - i]
        pad += [int(rng.integers(-(s // 2), 3)), int(rng.integers(-(s // 2), 3))]
    return dict(pad=tuple(pad), value=float(rng.choice([0.0, 1.5])))


def p_pad_mode(mode):
    def params(rng, shapes):
        shape = shapes[0]
        k = len(shape) - 1 if len(shape) == 3 and rng.integers(2) else 1
        pad = []
        for i in range(k):
            s = shape[-1 - i]
            hi = s - 1 if mode == "reflect" else (s if mode == "circular" else 3)
            pad += [int(rng.integers(0, hi + 1)), int(rng.integers(0, hi + 1))]
        return dict(pad=tuple(pad), mode=mode)
    return params


def p_cat(rng, shapes):
    """The dim along which the drawn shapes differ (any dim when they are all equal)."""
    s0 = shapes[0]
    return dict(dim=next((d for d in range(len(s0)) if any(t[d] != s0[d] for t in shapes)), 0))


def p_scatter(rng, shapes):
    shape = shapes[0]
    dim = int(rng.integers(0, len(shape)))
    return dict(dim=dim, index=rng.integers(0, shape[dim], shape))


def p_perm(rng, shapes):
    return dict(dims=tuple(int(d) for d in rng.permutation(len(shapes[0]))))


def p_expand(rng, shapes):
    s = shapes[0]
    new = tuple(int(rng.integers(1, 4)) if d == 1 else (-1 if rng.integers(2) else d) for d in s)
    return dict(sizes=(int(rng.integers(1, 3)),) * int(rng.integers(0, 2)) + new)


def p_where(rng, shapes):
    out = np.broadcast_shapes(*shapes)
    cshape = out[int(rng.integers(0, len(out) + 1)):]
    return dict(cond=rng.integers(0, 2, cshape).astype(bool))


# ---------------------------------------------------------------------------------------------
# the table

R = ("real",)
RR = ("real", "real")
IDX = np.array([[0, 2, 1, 0], [2, 0, 0, 1]])
IDX1 = np.array([2, 0, 2])
SCATTER_IDX = np.array([[0, 1, 2, 0], [1, 2, 0, 2]])  # no repeats within a column

SPECS = [
    # ---- elementwise, unary
    OpSpec("neg", lambda L, x: -x),
    OpSpec("abs", lambda L, x: x.abs()),
    OpSpec("exp", lambda L, x: x.exp()),
    OpSpec("log", lambda L, x: x.log(), domains=("positive",)),
    OpSpec("log1p", lambda L, x: x.log1p(), domains=("log1p",)),
    OpSpec("sqrt", lambda L, x: x.sqrt(), domains=("positive",)),
    OpSpec("sin", lambda L, x: x.sin()),
    OpSpec("cos", lambda L, x: x.cos()),
    OpSpec("tanh", lambda L, x: x.tanh()),
    OpSpec("sigmoid", lambda L, x: x.sigmoid()),
    OpSpec("relu", lambda L, x: x.relu()),
    OpSpec("clamp", lambda L, x, **p: x.clamp(**p), params=p_clamp),
    OpSpec("clip_fn", lambda L, x: L.clip(x, -0.5, 0.5)),
    OpSpec("clamp_tensors", lambda L, x, lo, hi: x.clamp(lo - 1.0, hi + 1.0),
           bounds_shapes, R * 3),
    OpSpec("pow_scalar", lambda L, x, e: x ** e, domains=("positive",),
           params=lambda rng, s: dict(e=float(rng.choice([2.0, 3.0, 0.5, -1.5, 1.0])))),
    OpSpec("pow_int", lambda L, x: x ** 3),
    OpSpec("rpow", lambda L, x: 2.0 ** x),
    OpSpec("add_scalar", lambda L, x: x + 2.5),
    OpSpec("rsub_scalar", lambda L, x: 1.5 - x),
    OpSpec("rmul_scalar", lambda L, x: 3 * x),
    OpSpec("rdiv_scalar", lambda L, x: 1.5 / x),
    OpSpec("radd_array", keeps_float32=False, fn=lambda L, x, c: L.const(c) + x,
           params=lambda rng, s: dict(c=rng.standard_normal(s[0][-1:] if s[0] else ()))),
    OpSpec("rmul_array", keeps_float32=False, fn=lambda L, x, c: L.const(c) * x,
           params=lambda rng, s: dict(c=rng.standard_normal(s[0]))),
    OpSpec("rdiv_array", keeps_float32=False, fn=lambda L, x, c: L.const(c) / x,
           params=lambda rng, s: dict(c=rng.standard_normal(s[0]))),
    OpSpec("rsub_array", keeps_float32=False, fn=lambda L, x, c: L.const(c) - x,
           params=lambda rng, s: dict(c=rng.standard_normal(s[0]))),
    # ---- elementwise, binary with broadcasting
    OpSpec("add", lambda L, x, y: x + y, pair, RR),
    OpSpec("sub", lambda L, x, y: x - y, pair, RR),
    OpSpec("mul", lambda L, x, y: x * y, pair, RR),
    OpSpec("div", lambda L, x, y: x / y, pair, RR),
    OpSpec("pow", lambda L, x, y: x ** y, pair, ("positive", "real")),
    OpSpec("pow_fn", lambda L, x, y: L.pow(x, y), pair, ("positive", "real")),
    OpSpec("maximum", lambda L, x, y: L.maximum(x, y), pair, RR),
    OpSpec("minimum", lambda L, x, y: L.minimum(x, y), pair, RR),
    OpSpec("where", lambda L, x, y, cond: L.where(L.index(cond), x, y), pair, RR,
           params=p_where),
    OpSpec("matmul", lambda L, x, y: x @ y, S.matmul_pair, RR),
    OpSpec("matmul_fn", lambda L, x, y: L.matmul(x, y), S.matmul_pair, RR),
    OpSpec("outer", lambda L, x, y: L.outer(x, y), lambda d: ((d(S.st.integers(1, 4)),),
                                                             (d(S.st.integers(1, 4)),)), RR),
    OpSpec("dot", lambda L, x, y: x.dot(y), lambda d: ((d(S.st.integers(1, 4)),) * 2), RR),
    OpSpec("mm", lambda L, x, y: x.mm(y), lambda d: (lambda m, k, n: ((m, k), (k, n)))(
        *(d(S.st.integers(1, 3)) for _ in range(3))), RR),
    OpSpec("bmm", lambda L, x, y: L.bmm(x, y), lambda d: (lambda b, m, k, n: (
        (b, m, k), (b, k, n)))(*(d(S.st.integers(1, 3)) for _ in range(4))), RR),
    OpSpec("square", lambda L, x: x.square()),
    OpSpec("rsqrt", lambda L, x: x.rsqrt(), domains=("positive",)),
    OpSpec("reciprocal", lambda L, x: x.reciprocal()),
    # ---- elementwise, fixed shapes
    case("sign", lambda L, x: x.sign() * x, (3, 4)),
    case("floor", lambda L, x: L.floor(x) + x.floor() * x, (3, 4), domain="away_from_int"),
    case("ceil", lambda L, x: x.ceil() * x, (3, 4), domain="away_from_int"),
    case("round", lambda L, x: x.round() * x, (3, 4), domain="away_from_int"),
    case("round_decimals", lambda L, x: L.round(x, decimals=1) + x,
         (3, 4), domain="away_from_int"),
    case("trunc", lambda L, x: x.trunc() * x, (3, 4), domain="away_from_int"),
    case("frac", lambda L, x: x.frac(), (3, 4), domain="away_from_int"),
    case("rsqrt_fn", lambda L, x: L.rsqrt(x), (3, 4), domain="positive"),
    case("square_fn", lambda L, x: L.square(x), (3, 4)),
    case("exp2", lambda L, x: L.exp2(x), (3, 4)),
    case("expm1", lambda L, x: x.expm1(), (3, 4)),
    case("log2", lambda L, x: L.log2(x), (3, 4), domain="positive"),
    case("log10", lambda L, x: x.log10(), (3, 4), domain="positive"),
    case("tan", lambda L, x: L.tan(x), (3, 4), domain="unit"),
    case("sinh", lambda L, x: L.sinh(x), (3, 4)),
    case("cosh", lambda L, x: x.cosh(), (3, 4)),
    case("asin", lambda L, x: L.asin(x), (3, 4), domain="unit"),
    case("acos", lambda L, x: x.acos(), (3, 4), domain="unit"),
    case("atan", lambda L, x: L.atan(x), (3, 4)),
    case("asinh", lambda L, x: L.asinh(x), (3, 4)),
    case("acosh", lambda L, x: L.acosh(x), (3, 4), domain="gt1"),
    case("atanh", lambda L, x: L.atanh(x), (3, 4), domain="unit"),
    case("atan2", lambda L, y, x: L.atan2(y, x), (3, 4), (4,)),
    case("erf", lambda L, x: L.erf(x), (3, 4)),
    case("erfc", lambda L, x: L.erfc(x), (5,)),
    case("lerp_scalar", lambda L, a, b: L.lerp(a, b, 0.3), (3, 4), (3, 4)),
    case("lerp_tensor", lambda L, a, b, w: a.lerp(b, w), (3, 4), (4,), (3, 1)),
    case("nan_to_num", lambda L, x:
         L.nan_to_num(
             x + L.tensor([0.0, float("nan"), float("inf"), -float("inf"), 0.0], dtype=x.dtype),
             nan=0.5, posinf=3.0, neginf=-2.0) * x,
         (5,)),
    # ---- linalg, fixed shapes
    case("mm_fn", lambda L, a, b: L.mm(a, b), (3, 4), (4, 2)),
    case("addmm", lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2.0), (2,), (3, 4), (4, 2)),
    case("addmm_method", lambda L, c, a, b: c.addmm(a, b), (3, 2), (3, 4), (4, 2)),
    case("addmv", lambda L, c, a, b: L.addmv(c, a, b, beta=2.0), (3,), (3, 4), (4,)),
    case("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b, alpha=0.5),
         (2, 3, 2), (2, 3, 4), (2, 4, 2)),
    case("einsum_matmul", lambda L, a, b: L.einsum("ij,jk->ik", a, b), (3, 4), (4, 2)),
    case("einsum_batch_ellipsis", lambda L, a, b: L.einsum("...ij,...jk", a, b),
         (2, 3, 4), (4, 5)),
    case("einsum_trace", lambda L, a: L.einsum("ii", a), (4, 4)),
    case("einsum_diag", lambda L, a: L.einsum("bii->bi", a), (2, 3, 3)),
    case("einsum_outer_sum", lambda L, a, b: L.einsum("i,j->j", a, b), (3,), (4,)),
    case("einsum_three", lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c),
         (2, 3), (3, 4), (4, 2)),
    case("einsum_list", lambda L, a, b: L.einsum("bhqd,bhkd->bhqk", [a, b]),
         (2, 2, 3, 4), (2, 2, 5, 4)),
    case("tril", lambda L, x: x.tril(), (2, 4, 4)),
    case("tril_k", lambda L, x: L.tril(x, -1), (3, 5)),
    case("triu_k", lambda L, x: L.triu(x, 1), (5, 3)),
    case("diag_1d", lambda L, x: L.diag(x, 1), (3,)),
    case("diag_2d", lambda L, x: L.diag(x, -1), (4, 3)),
    case("diagonal", lambda L, x: L.diagonal(x, 1, 0, 2), (3, 2, 4)),
    case("diag_embed", lambda L, x: L.diag_embed(x), (2, 3)),
    case("trace", lambda L, x: L.trace(x), (3, 4)),
    case("dot_fn", lambda L, a, b: L.dot(a, b), (4,), (4,)),
    # ---- reductions
    OpSpec("sum", lambda L, x, **p: x.sum(**p) if p["dim"] is not None else x.sum(),
           params=p_dim()),
    OpSpec("mean", lambda L, x, **p: x.mean(**p) if p["dim"] is not None else x.mean(),
           params=p_dim()),
    OpSpec("var", lambda L, x, **p: x.var(**p), one(1, 3, 2, 3), params=p_var),
    OpSpec("std", lambda L, x, **p: x.std(**p), one(1, 3, 2, 3), params=p_var),
    OpSpec("max_all", lambda L, x: x.max(), domains=("distinct",)),
    OpSpec("min_all", lambda L, x: x.min(), domains=("distinct",)),
    OpSpec("max_dim", lambda L, x, **p: x.max(**p).values, domains=("distinct",),
           params=p_int_dim()),
    OpSpec("min_dim", lambda L, x, **p: x.min(**p)[0], domains=("distinct",),
           params=p_int_dim()),
    OpSpec("amax", lambda L, x, **p: x.amax(**p) if p["dim"] is not None else x.amax(),
           domains=("distinct",), params=p_dim()),
    OpSpec("amin", lambda L, x, **p: L.amin(x, **p) if p["dim"] is not None else L.amin(x),
           domains=("distinct",), params=p_dim()),
    OpSpec("prod", lambda L, x, dim: x.prod() if dim is None else x.prod(dim),
           params=lambda rng, s: dict(dim=S.random_dim(rng, len(s[0]), True, False))),
    OpSpec("prod_zeros", lambda L, x, dim: x.prod() if dim is None else x.prod(dim),
           domains=("zeros",),
           params=lambda rng, s: dict(dim=S.random_dim(rng, len(s[0]), True, False))),
    OpSpec("logsumexp", lambda L, x, **p: x.logsumexp(**p),
           params=p_dim(allow_none=False)),
    OpSpec("norm", lambda L, x, p, **kw: x.norm(p, **kw), domains=("distinct",),
           params=lambda rng, s: dict(p=[2, 1, 3, 0.5, 1.5, float("inf"), -float("inf"),
                                         "fro"][int(rng.integers(8))], **p_dim()(rng, s))),
    OpSpec("norm_fn", lambda L, x: L.norm(x)),
    OpSpec("cumsum", lambda L, x, dim: x.cumsum(dim), params=p_int_dim(keepdim=False)),
    # ---- reductions, cumulative and softmax, fixed shapes
    case("cumprod", lambda L, x: x.cumprod(1), (3, 4)),
    case("cumprod_zeros", lambda L, x:
         L.cumprod(x * L.tensor([1.0, 0.0, 1.0, 1.0], dtype=x.dtype), 1),
         (2, 4)),
    case("logcumsumexp", lambda L, x: L.logcumsumexp(x, 0), (4, 3)),
    case("diff", lambda L, x: L.diff(x), (3, 5)),
    case("diff_n2_prepend", lambda L, x, p: x.diff(2, 0, prepend=p), (4, 3), (1, 3)),
    case("sum_dtype", lambda L, x: x.sum(1, dtype=L.float64), (3, 4), keeps_float32=False),
    case("mean_dtype", lambda L, x: L.mean(x, 0, dtype=L.float64), (3, 4),
         keeps_float32=False),
    case("softmax_method", lambda L, x: x.softmax(1), (3, 4)),
    case("log_softmax_method", lambda L, x: x.log_softmax(dim=0), (3, 4)),
    case("softmax_fn", lambda L, x: L.softmax(x, -1), (2, 3, 4)),
    case("log_softmax_fn", lambda L, x: L.log_softmax(x, 1), (2, 3)),
    # ---- shape
    OpSpec("reshape", lambda L, x: x.reshape(tuple(reversed(x.shape)))),
    OpSpec("reshape_flat", lambda L, x: x.reshape(-1)),
    OpSpec("view", lambda L, x: x.view(-1, 1)),
    OpSpec("flatten", lambda L, x, a, b: x.flatten(a, b), one(1, 3),
           params=lambda rng, s: dict(zip("ab", sorted(rng.integers(0, len(s[0]), 2).tolist())))),
    OpSpec("squeeze_all", lambda L, x: x.squeeze(), with_ones),
    OpSpec("squeeze_dim", lambda L, x, dim: x.squeeze(dim), with_ones,
           params=lambda rng, s: dict(dim=int(rng.integers(0, len(s[0]))))),
    OpSpec("unsqueeze", lambda L, x, dim: x.unsqueeze(dim),
           params=lambda rng, s: dict(dim=int(rng.integers(-len(s[0]) - 1, len(s[0]) + 1)))),
    OpSpec("transpose", lambda L, x, a, b: x.transpose(a, b), one(1, 3),
           params=lambda rng, s: dict(a=int(rng.integers(0, len(s[0]))),
                                      b=int(rng.integers(-len(s[0]), len(s[0]))))),
    OpSpec("permute", lambda L, x, dims: x.permute(dims), params=p_perm),
    OpSpec("permute_args", lambda L, x, dims: x.permute(*dims), one(1, 3), params=p_perm),
    OpSpec("T", lambda L, x: x.T, one(2, 2)),
    OpSpec("expand", lambda L, x, sizes: x.expand(*sizes), with_ones, params=p_expand),
    OpSpec("repeat", lambda L, x, reps: x.repeat(*reps),
           params=lambda rng, s: dict(reps=tuple(int(r) for r in rng.integers(
               1, 3, max(1, len(s[0]) + int(rng.integers(0, 2))))))),
    OpSpec("cat", lambda L, *xs, dim: L.cat(xs, dim), cat_shapes, R * 3, params=p_cat),
    OpSpec("stack", lambda L, x, y, dim: L.stack([x, y], dim), same_n(2, 0, 3), RR,
           params=lambda rng, s: dict(dim=int(rng.integers(0, len(s[0]) + 1)))),
    OpSpec("split", lambda L, x, size, dim: x.split(size, dim), one(1, 3),
           params=lambda rng, s: dict(size=int(rng.integers(1, 3)),
                                      dim=int(rng.integers(0, len(s[0]))))),
    OpSpec("split_sections", lambda L, x, sections: x.split(sections, 0), one(1, 3, 3, 4),
           params=lambda rng, s: dict(sections=[1, s[0][0] - 1])),
    OpSpec("chunk", lambda L, x, n, dim: x.chunk(n, dim), one(1, 3),
           params=lambda rng, s: dict(n=int(rng.integers(1, 4)),
                                      dim=int(rng.integers(0, len(s[0]))))),
    OpSpec("unbind", lambda L, x, dim: x.unbind(dim), one(1, 3),
           params=lambda rng, s: dict(dim=int(rng.integers(0, len(s[0]))))),
    OpSpec("flip", lambda L, x, dims: x.flip(dims), one(1, 3),
           params=lambda rng, s: dict(dims=tuple(int(d) for d in rng.choice(
               len(s[0]), int(rng.integers(1, len(s[0]) + 1)), replace=False)))),
    OpSpec("narrow", lambda L, x, dim, start: x.narrow(dim, start, x.shape[dim] - start),
           one(1, 3), params=lambda rng, s: (lambda d: dict(dim=d, start=int(
               rng.integers(0, s[0][d]))))(int(rng.integers(0, len(s[0]))))),
    OpSpec("movedim", lambda L, x, a, b: x.movedim(a, b), one(1, 3),
           params=lambda rng, s: dict(a=int(rng.integers(0, len(s[0]))),
                                      b=int(rng.integers(0, len(s[0]))))),
    OpSpec("pad_constant", lambda L, x, **p: L.pad(x, **p), one(1, 3, 2, 3),
           params=p_pad_constant),
    OpSpec("pad_reflect", lambda L, x, **p: L.pad(x, **p), one(2, 3, 2, 4),
           params=p_pad_mode("reflect")),
    OpSpec("pad_replicate", lambda L, x, **p: L.pad(x, **p), one(2, 3, 1, 3),
           params=p_pad_mode("replicate")),
    OpSpec("pad_circular", lambda L, x, **p: L.pad(x, **p), one(3, 3, 1, 3),
           params=p_pad_mode("circular")),
    # ---- shape, fixed shapes
    case("clone", lambda L, x: x.clone() * 2, (3, 4)),
    case("contiguous", lambda L, x: x.t().contiguous(), (3, 4)),
    case("t", lambda L, x: L.t(x), (3, 4)),
    case("roll", lambda L, x: L.roll(x, 1, 1), (3, 4)),
    case("roll_multi", lambda L, x: x.roll((1, -2), (0, 1)), (3, 4)),
    case("roll_flat", lambda L, x: L.roll(x, 5), (3, 4)),
    case("tile", lambda L, x: L.tile(x, (2,)), (3, 2)),
    case("tile_more", lambda L, x: x.tile(2, 1, 3), (3, 2)),
    case("unflatten", lambda L, x: x.unflatten(1, (2, -1)), (3, 4)),
    case("movedim_fn", lambda L, x: L.movedim(x, 0, 2), (2, 3, 4)),
    case("swapaxes", lambda L, x: x.swapaxes(0, 2), (2, 3, 4)),
    case("unbind_fn", lambda L, x: L.unbind(x, 1)[2] * 3, (3, 4)),
    case("meshgrid_ij", lambda L, a, b:
         L.meshgrid(a, b, indexing="ij")[0] * L.meshgrid(a, b, indexing="ij")[1],
         (3,), (4,)),
    case("meshgrid_xy", lambda L, a, b:
         L.meshgrid(a, b, indexing="xy")[0] + 2 * L.meshgrid(a, b, indexing="xy")[1],
         (3,), (4,)),
    case("repeat_interleave", lambda L, x: x.repeat_interleave(2, 1), (2, 3)),
    case("repeat_interleave_tensor", lambda L, x: L.repeat_interleave(x, L.tensor([1, 0, 3]), 0),
         (3, 2)),
    case("view_as", lambda L, x, y: x.view_as(y) * y, (3, 4), (4, 3)),
    case("expand_as", lambda L, x, y: x.expand_as(y) * y, (3, 1), (3, 4)),
    # ---- indexing
    OpSpec("getitem_basic", lambda L, x, index: x[index], one(1, 3), params=p_basic_index),
    OpSpec("getitem_int_array", lambda L, x, idx: x[L.index(idx)], one(1, 3),
           params=lambda rng, s: dict(idx=rng.integers(-s[0][0], s[0][0], 5))),
    OpSpec("getitem_mixed", lambda L, x, idx: x[:, L.index(idx)], one(2, 3),
           params=lambda rng, s: dict(idx=rng.integers(0, s[0][1], (2, 3)))),
    OpSpec("getitem_two_arrays", lambda L, x, i, j: x[L.index(i), ..., L.index(j)], one(2, 3),
           params=lambda rng, s: dict(i=rng.integers(0, s[0][0], (3, 1)),
                                      j=rng.integers(0, s[0][-1], (4,)))),
    OpSpec("getitem_mask", lambda L, x, m: x[L.index(m)], one(1, 3),
           params=lambda rng, s: dict(m=rng.integers(0, 2, s[0]).astype(bool))),
    OpSpec("gather", lambda L, x, dim, index: x.gather(dim, L.index(index)), one(1, 3),
           params=p_gather),
    OpSpec("scatter_add", lambda L, x, y, dim, index: x.scatter_add(dim, L.index(index), y),
           lambda d: (lambda s: (s, s))(S.shape(d, 1, 3)), RR,
           params=p_scatter),
    OpSpec("take_along_dim", lambda L, x, dim, idx: L.take_along_dim(x, L.index(idx), dim),
           one(1, 3), params=lambda rng, s: (lambda d: dict(dim=d, idx=rng.integers(
               0, s[0][d], tuple(1 if (i != d and rng.integers(2)) else (3 if i == d else n)
                                 for i, n in enumerate(s[0])))))(
               int(rng.integers(0, len(s[0]))))),
    OpSpec("index_select", lambda L, x, dim, idx: x.index_select(dim, L.index(idx)), one(1, 3),
           params=lambda rng, s: (lambda d: dict(dim=d, idx=rng.integers(0, s[0][d], 4)))(
               int(rng.integers(0, len(s[0]))))),
    OpSpec("masked_fill", lambda L, x, m: x.masked_fill(L.index(m), 0.5), one(1, 3),
           params=lambda rng, s: dict(m=rng.integers(0, 2, s[0][1:]).astype(bool))),
    OpSpec("setitem", lambda L, x, y, idx: _setitem(x, y, L.index(idx)),
           lambda d: (lambda s: (s, s[1:]))(S.shape(d, 1, 3, 2, 3)), RR,
           params=lambda rng, s: dict(idx=rng.permutation(s[0][0])[:2])),
    # ---- indexing, selection and scatter, fixed shapes
    case("scatter_src", lambda L, x, s: x.scatter(0, L.index(SCATTER_IDX), s), (3, 4), (2, 4)),
    case("scatter_value", lambda L, x: L.scatter(x, 1, L.index(np.array([[0], [2]])), 1.5),
         (2, 4)),
    case("scatter_add_wide", lambda L, x, s: x.scatter_add(1, L.index(IDX), s), (2, 3), (2, 4)),
    case("scatter_reduce_sum", lambda L, x, s: x.scatter_reduce(1, L.index(IDX), s, "sum"),
         (2, 3), (2, 4)),
    case("scatter_reduce_sum_noself", lambda L, x, s:
         L.scatter_reduce(x, 1, L.index(IDX), s, "sum", include_self=False),
         (2, 3), (2, 4)),
    case("scatter_reduce_mean", lambda L, x, s: x.scatter_reduce(1, L.index(IDX), s, "mean"),
         (2, 3), (2, 4)),
    case("scatter_reduce_mean_noself", lambda L, x, s:
         x.scatter_reduce(0, L.index(SCATTER_IDX), s, "mean", include_self=False),
         (3, 4), (2, 4)),
    case("scatter_reduce_amax", lambda L, x, s: x.scatter_reduce(1, L.index(IDX), s, "amax"),
         (2, 3), (2, 4), domain="distinct"),
    case("scatter_reduce_amin_noself", lambda L, x, s:
         x.scatter_reduce(1, L.index(IDX), s, "amin", include_self=False),
         (2, 3), (2, 4), domain="distinct"),
    case("index_add", lambda L, x, s: x.index_add(0, L.index(IDX1), s, alpha=2.0), (3, 4), (3, 4)),
    case("index_copy", lambda L, x, s: x.index_copy(1, L.index(np.array([3, 0])), s),
         (3, 4), (3, 2)),
    case("index_fill", lambda L, x: x.index_fill(1, L.index(np.array([3, 0])), -1.0), (3, 4)),
    case("index_put", lambda L, x, v:
         x.index_put((L.index(np.array([0, 2])), L.index(np.array([1, 3]))), v),
         (3, 4), (2,)),
    case("index_put_accumulate", lambda L, x, v:
         L.index_put(x, (L.index(np.array([0, 2, 0])),), v, accumulate=True),
         (3, 4), (4,)),
    case("masked_select", lambda L, x:
         x.masked_select(L.index(np.array([True, False, True, True]))),
         (3, 4)),
    case("masked_scatter", lambda L, x, s:
         x.masked_scatter(L.index(np.array([[True, False, True], [False, False, True]])), s),
         (2, 3), (5,)),
    case("sort", lambda L, x: L.sort(x, 1)[0], (3, 4), domain="distinct"),
    case("sort_desc", lambda L, x: x.sort(dim=0, descending=True).values,
         (3, 4), domain="distinct"),
    case("topk", lambda L, x: x.topk(2).values, (3, 5), domain="distinct"),
    case("topk_smallest", lambda L, x: L.topk(x, 2, dim=0, largest=False)[0],
         (3, 5), domain="distinct"),
    case("topk_partition", lambda L, x: x.topk(3, dim=0).values, (40, 2), domain="distinct"),
    case("topk_partition_smallest", lambda L, x: x.topk(2, largest=False)[0],
         (2, 30), domain="distinct"),
    case("kthvalue", lambda L, x: x.kthvalue(2, 1).values, (3, 5), domain="distinct"),
    case("median_all", lambda L, x: x.median(), (3, 5), domain="distinct"),
    case("median_dim", lambda L, x: L.median(x, 1, keepdim=True).values,
         (3, 4), domain="distinct"),
    case("aminmax", lambda L, x: x.aminmax(dim=0)[0] * 2 + L.aminmax(x, dim=0).max,
         (3, 4), domain="distinct"),
    case("cummax", lambda L, x: L.cummax(x, 1).values, (3, 5), domain="distinct"),
    case("cummin", lambda L, x: x.cummin(0)[0], (3, 5), domain="distinct"),
    # ---- compositions (several ops, shared inputs)
    OpSpec("softmax_like", lambda L, x: (x - x.logsumexp(-1, keepdim=True)).exp(), one(1, 3)),
    OpSpec("mlp_like", lambda L, x, w: (x @ w).tanh().sum(-1), lambda d: (
        (2, 3), (3, 2)), RR),
]


def _setitem(x, y, idx):
    z = x * 1.0
    z[idx] = y
    return z


SPEC_BY_NAME = {s.name: s for s in SPECS}
assert len(SPEC_BY_NAME) == len(SPECS), "duplicate spec names"
