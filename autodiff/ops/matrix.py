"""Matrix and tensor contractions beyond ``matmul``: einsum, addmm, addmv, baddbmm, and the
triangle/diagonal family tril, triu, diagonal, diag, diag_embed, trace.

``Einsum`` runs ``np.einsum`` forward; its backward for each operand is again an einsum (the
output gradient contracted with the other operands, the subscripts permuted), so it is
differentiable to any order. The rest is composed from differentiable ops.
"""
from __future__ import annotations

import string

import numpy as np

from ..function import Op
from .. import function as _f
from . import elementwise as E
from . import index as I
from . import linalg as L
from . import reduce as R
from . import shape as S


def _tensor(x, op):
    if isinstance(x, _f.Tensor):
        return x
    if isinstance(x, (np.ndarray, list, tuple, int, float)):
        return _f.Tensor._make(np.asarray(x))
    raise TypeError(f"{op}: expected a Tensor (got {type(x).__name__})")


# ---- einsum --------------------------------------------------------------------------------
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


# ---- fused multiply-add forms --------------------------------------------------------------
def _scaled_sum(input, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # PyTorch ignores input (nan and inf included) when beta is 0
        shape = np.broadcast_shapes(prod._data.shape, np.shape(E._data(input)))
        return prod if shape == prod._data.shape else S.expand(prod, shape)
    return (input if beta == 1 else input * beta) + prod


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1 (n, m)``, ``mat2 (m, p)``;
    ``input`` broadcasts to ``(n, p)``."""
    return _scaled_sum(input, L.mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise ValueError(f"addmv: expected a 2-D matrix and a 1-D vector (got shapes "
                         f"{tuple(mat.shape)} and {tuple(vec.shape)})")
    return _scaled_sum(input, L.matmul(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches."""
    return _scaled_sum(input, L.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return _scaled_sum(input, R.sum(L.bmm(batch1, batch2), 0), beta, alpha)


# ---- triangles and diagonals ---------------------------------------------------------------
def _tri(input, diagonal, lower, op):
    x = _tensor(input, op)
    if x._data.ndim < 2:
        raise ValueError(f"{op}: input tensor must have at least 2 dimensions (got shape "
                         f"{tuple(x.shape)})")
    n, m = x._data.shape[-2:]
    keep = np.tri(n, m, diagonal, dtype=bool)
    if not lower:
        keep = ~np.tri(n, m, diagonal - 1, dtype=bool)
    return E.where(keep, x, x._data.dtype.type(0))


def tril(input, diagonal=0):
    """The lower triangle (on and below diagonal ``diagonal``) of the last two dims."""
    return _tri(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """The upper triangle (on and above diagonal ``diagonal``) of the last two dims."""
    return _tri(input, diagonal, False, "triu")


def _diag_index(n, m, offset):
    rows0, cols0 = max(-offset, 0), max(offset, 0)
    length = max(min(n - rows0, m - cols0), 0)
    r = np.arange(length)
    return r + rows0, r + cols0


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of the 2-D slices spanned by ``dim1`` and ``dim2``, appended
    as the last dim (a copy, not a view)."""
    x = _tensor(input, "diagonal")
    nd = x._data.ndim
    if nd < 2:
        raise ValueError(f"diagonal: expected at least 2 dimensions (got shape "
                         f"{tuple(x.shape)})")
    d1, d2 = S._norm_dim(dim1, nd, "diagonal"), S._norm_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 cannot be the same dim ({dim1})")
    x = S.movedim(x, (d1, d2), (-2, -1))
    rows, cols = _diag_index(*x._data.shape[-2:], offset)
    return I.getitem(x, (Ellipsis, rows, cols))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims ``dim1``, ``dim2``) whose diagonal ``offset`` holds the last dim of
    ``input``."""
    x = _tensor(input, "diag_embed")
    k = x._data.shape[-1] if x._data.ndim else 1
    n = k + abs(offset)
    rows, cols = _diag_index(n, n, offset)
    out = _f.Tensor._make(np.zeros(x._data.shape[:-1] + (n, n), dtype=x._data.dtype))
    out = I.index_put(out, (Ellipsis, rows, cols), x)
    nd = out._data.ndim
    d1, d2 = S._norm_dim(dim1, nd, "diag_embed"), S._norm_dim(dim2, nd, "diag_embed")
    if (d1, d2) != (nd - 2, nd - 1):
        out = S.movedim(out, (nd - 2, nd - 1), (d1, d2))
    return out


def diag(input, diagonal=0):
    """1-D input: the square matrix with ``input`` on diagonal ``diagonal``. 2-D input: that
    diagonal, as 1-D."""
    x = _tensor(input, "diag")
    if x._data.ndim == 1:
        return diag_embed(x, diagonal)
    if x._data.ndim == 2:
        return diagonal_(x, diagonal)
    raise ValueError(f"diag: expected a 1-D or 2-D tensor (got shape {tuple(x.shape)})")


diagonal_ = diagonal


def trace(input):
    """Sum of the main diagonal of a 2-D tensor."""
    x = _tensor(input, "trace")
    if x._data.ndim != 2:
        raise ValueError(f"trace: expected a matrix (got shape {tuple(x.shape)})")
    return R.sum(diagonal(x))
