"""Matrix products: matmul, mm, bmm, dot, outer, linear, einsum, addmm, addmv, baddbmm,
addbmm, cdist. GEMMs go to NumPy's BLAS (never a hand-written loop: see PERF-NOTES)."""
from __future__ import annotations

import string

import numpy as np

from ... import function as _f
from ...function import Op
from ...kernels import _launch
from ...kernels import elementwise as _KE
from .._common import _F64, _data, _tensor
from ..reduce import sums
from ..shape import views


class MatMul(Op):
    """out = a @ b for operands of >= 2 dims (batch dims broadcast);
    da = g @ b^T,  db = a^T @ g (the engine sums broadcast batch dims back)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = np.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit (batch dims "
                             f"{a.shape[:-2]} and {b.shape[:-2]} cannot be broadcast)") from None
        if out.dtype is _F64 and not (a.dtype is _F64 or b.dtype is _F64):
            out = out.astype(np.float32)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = matmul(grad_out, views.transpose(b, -1, -2)) if need_a else None
        gb = matmul(views.transpose(a, -1, -2), grad_out) if need_b else None
        return ga, gb


def matmul(input, other):
    """Matrix product with NumPy's rules: 1-D operands are promoted to a row (left) or a column
    (right) and that dim is removed from the result; batch dims broadcast."""
    T = _f.Tensor
    a = input if isinstance(input, T) else T._make(_operand(input))
    b = other if isinstance(other, T) else T._make(_operand(other))
    ad, bd = a._data, b._data
    if ad.ndim == 0 or bd.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension (got shapes "
                         f"{ad.shape} and {bd.shape})")
    k_a = ad.shape[-1]
    k_b = bd.shape[0] if bd.ndim == 1 else bd.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {ad.shape} and {bd.shape} do not fit "
                         f"({k_a} != {k_b})")
    if ad.ndim == 1 and bd.ndim == 1:
        return Dot.apply(a, b)
    squeeze_a = ad.ndim == 1
    squeeze_b = bd.ndim == 1
    if squeeze_a:
        a = views.unsqueeze(a, 0)
    if squeeze_b:
        b = views.unsqueeze(b, -1)
    out = MatMul.apply(a, b)
    if squeeze_a:
        out = views.squeeze(out, -2)
    if squeeze_b:
        out = views.squeeze(out, -1)
    return out


def _operand(x):
    if isinstance(x, (np.ndarray, list, tuple)) or np.isscalar(x) and not isinstance(x, str):
        return np.asarray(x)
    raise TypeError(f"matmul: expected a Tensor or array operand (got {type(x).__name__})")


def outer(input, vec2):
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise ValueError(f"outer: 1D tensors expected, but got shapes {tuple(input.shape)} and "
                         f"{tuple(vec2.shape)}")
    return views.unsqueeze(input, 1) * views.unsqueeze(vec2, 0)


class Dot(Op):
    """out = sum(a * b) for 1-D a, b;  da = g b,  db = g a"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.dot(a, b))

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * b if need_a else None), (grad_out * a if need_b else None)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise ValueError(f"dot: 1D tensors expected, but got shapes {tuple(input.shape)} and "
                         f"{tuple(other.shape)}")
    return matmul(input, other)


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm: two 2-D matrices expected, got shapes {tuple(input.shape)} and "
                         f"{tuple(mat2.shape)}")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: two 3-D tensors with the same batch size expected, got shapes "
                         f"{tuple(input.shape)} and {tuple(mat2.shape)}")
    return matmul(input, mat2)


class Linear(Op):
    """out = x @ W^T + b;  dx = g @ W,  dW = g^T x (summed over leading dims),  db = sum g

    One node instead of three (transpose, matmul, add): a measured ~25% off a small MLP's
    training step."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        out = _launch.matmul(x, w.T)
        if b is not None:
            _KE.add_rows_(out, b)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        n_out = w.shape[0]
        if need_x:
            gx = matmul(grad_out, w)
        if need_w or need_b:
            g2 = grad_out.reshape(_rows(grad_out.shape), n_out)
            if need_w:
                gw = matmul(g2.T, x.reshape(_rows(x.shape), w.shape[1]))
            if need_b:
                gb = sums.sum(g2, 0)
        return gx, gw, gb

    @staticmethod
    def backward_arrays(ctx, g):
        """The same BLAS products and float sums on the arrays: ``g @ W``, ``g2^T x2``,
        ``sum g2`` (no graph bookkeeping for the transpose, reshapes, matmuls and sum)."""
        x, w = ctx.saved(arrays=True)
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        if need_x:
            gx = _matmul_result(_launch.matmul(g, w), g, w)
        if need_w or need_b:
            g2 = g.reshape(_rows(g.shape), w.shape[0])
            if need_w:
                x2 = x.reshape(_rows(x.shape), w.shape[1])
                gw = _matmul_result(_launch.matmul(g2.T, x2), g2, x2)
            if need_b:
                gb = _KE.sum_rows(g2)  # np.sum(g2, 0), bit-identical
        return gx, gw, gb


def _rows(shape):
    """The number of rows of ``shape`` viewed as (rows, last dim); unlike ``reshape(-1, n)``
    it is defined when the last dim is 0 (``nn.Linear(0, n)``)."""
    n = 1
    for s in shape[:-1]:
        n *= s
    return n


def _matmul_result(out, a, b):
    # as MatMul.forward: NumPy promotes float32 @ int to float64, autodiff keeps float32
    if out.dtype is _F64 and not (a.dtype is _F64 or b.dtype is _F64):
        out = out.astype(np.float32)
    return out


# ---------------------------------------------------------------------------------------------
# einsum


def _parse(equation, shapes):
    """Rewrite ``equation`` with explicit letters for ``...`` and an explicit output.
    Returns (input subscripts, output subscripts, ellipsis letters)."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has {len(terms)} operand(s) but "
                         f"{len(shapes)} were given")
    for t in terms + ([rhs] if rhs is not None else []):
        bad = set(t.replace("...", "")) - set(string.ascii_letters)
        if bad or t.replace("...", "").count(".") or t.count("...") > 1:
            raise ValueError(f"einsum: invalid subscript {t!r} in {equation!r} (use letters "
                             "a-z, A-Z and at most one '...')")
    used = set(eq)
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = 0
    for t, shp in zip(terms, shapes):
        explicit = len(t.replace("...", ""))
        if "..." in t:
            n_ell = max(n_ell, len(shp) - explicit)
        elif explicit != len(shp):
            raise ValueError(f"einsum: subscript {t!r} has {explicit} letters but the operand "
                             f"has {len(shp)} dimensions (shape {tuple(shp)})")
        if explicit > len(shp):
            raise ValueError(f"einsum: subscript {t!r} has more letters than the operand has "
                             f"dimensions (shape {tuple(shp)})")
    ell = "".join(free[:n_ell])
    ins = []
    for t, shp in zip(terms, shapes):
        if "..." in t:
            k = len(shp) - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:] if k else "")
        ins.append(t)
    if rhs is None:
        counts = {}
        for t in ins:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
        letters = set("".join(ins))
        for c in rhs:
            if c not in letters:
                raise ValueError(f"einsum: output subscript {c!r} does not appear in the "
                                 f"inputs of {equation!r}")
        if len(set(rhs)) != len(rhs):
            raise ValueError(f"einsum: output subscripts of {equation!r} repeat a letter")
    return ins, rhs


class Einsum(Op):
    """out = einsum(eq, *ops);  d op_k = einsum(g, the other operands -> op_k's subscripts),
    with identity matrices restoring repeated (diagonal) letters and ones restoring letters
    summed over op_k alone"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, ins, rhs, *arrays):
        ctx.ins, ctx.rhs = ins, rhs
        ctx.save_for_backward(*arrays)
        eq = ",".join(ins) + "->" + rhs
        out = np.einsum(eq, *arrays, optimize=len(arrays) > 2)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad_out):
        ops = ctx.saved_tensors
        ins, rhs = ctx.ins, ctx.rhs
        grads = [None, None]
        used = set("".join(ins)) | set(rhs)
        for k, sub in enumerate(ins):
            if not ctx.needs_input_grad[k + 2]:
                grads.append(None)
                continue
            shape = ops[k]._data.shape
            spare = iter(c for c in string.ascii_letters if c not in used)
            terms, args = [rhs], [grad_out]
            for j, o in enumerate(ops):
                if j != k:
                    terms.append(ins[j])
                    args.append(o)
            target, seen = [], {}
            dt = grad_out._data.dtype
            for c, n in zip(sub, shape):
                if c in seen:
                    f = next(spare)
                    terms.append(c + f)
                    args.append(_f.Tensor._make(np.eye(n, dtype=dt)))
                    target.append(f)
                else:
                    seen[c] = n
                    target.append(c)
            avail = set("".join(terms))
            for c, n in seen.items():
                if c not in avail:
                    terms.append(c)
                    args.append(_f.Tensor._make(np.ones(n, dtype=dt)))
            grads.append(Einsum.apply(terms, "".join(target), *args))
        return tuple(grads)


def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: ``einsum("bij,bjk->bik", a, b)``; ``...``
    stands for broadcast dims; without ``->`` the output holds the letters that appear once,
    in alphabetical order. Operands may also be passed as one list."""
    if not isinstance(equation, str):
        raise TypeError("einsum: the first argument must be the equation string (the sublist "
                        "format is not supported)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [_tensor(o, "einsum") for o in operands]
    ins, rhs = _parse(equation, [t._data.shape for t in ts])
    sizes = {}
    for sub, t in zip(ins, ts):
        for c, n in zip(sub, t._data.shape):
            if c in sizes and n != sizes[c] and 1 not in (n, sizes[c]):
                raise ValueError(f"einsum: subscript {c!r} has size {n} for an operand of shape "
                                 f"{tuple(t.shape)} which does not broadcast with size "
                                 f"{sizes[c]} (equation {equation!r})")
            if c not in sizes or sizes[c] == 1:
                sizes[c] = n
    return Einsum.apply(ins, rhs, *ts)


# ---------------------------------------------------------------------------------------------
# fused multiply-add forms


def _scaled_sum(input, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # PyTorch ignores input (nan and inf included) when beta is 0
        shape = np.broadcast_shapes(prod._data.shape, np.shape(_data(input)))
        return prod if shape == prod._data.shape else views.expand(prod, shape)
    return (input if beta == 1 else input * beta) + prod


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1 (n, m)``, ``mat2 (m, p)``;
    ``input`` broadcasts to ``(n, p)``."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise ValueError(f"addmv: expected a 2-D matrix and a 1-D vector (got shapes "
                         f"{tuple(mat.shape)} and {tuple(vec.shape)})")
    return _scaled_sum(input, matmul(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return _scaled_sum(input, sums.sum(bmm(batch1, batch2), 0), beta, alpha)


# ---------------------------------------------------------------------------------------------
# pairwise distances


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of ``x1`` ``(*, P, M)`` and of ``x2`` ``(*, R, M)``:
    ``(*, P, R)``. Computed from the differences (``compute_mode`` is accepted; PyTorch's
    matrix-multiply shortcut for large inputs gives the same values up to round-off)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise ValueError(f"cdist: expected at least 2-D inputs (got shapes {tuple(x1.shape)} "
                         f"and {tuple(x2.shape)})")
    if x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: x1 and x2 must have the same number of columns (got "
                         f"{x1.shape[-1]} and {x2.shape[-1]})")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return sums.norm(diff, p, -1, False)
