"""PyTorch-style ``repr`` of tensors.

Floats follow PyTorch's choice of one format for the whole tensor: integers print as ``1.``,
otherwise 4 decimals (``0.5000``), or scientific notation (``1.0000e-05``) when the values span
more than three decades or leave [1e-4, 1e8]. Above 1000 elements the middle is elided with
``...`` (3 items each side, like NumPy and PyTorch) and the shape is appended. The dtype is
shown when it is not a default one (float32, int64, bool, complex64), then ``grad_fn`` or
``requires_grad``.
"""
from __future__ import annotations

import numpy as np

THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
PRECISION = 4
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_),
                   np.dtype(np.complex64))


def _summary_values(a):
    """The elements that will be printed (the edges when summarised), as float64."""
    if a.size <= THRESHOLD:
        return a.reshape(-1)
    idx = []
    for n in a.shape:
        idx.append(np.r_[0:min(n, EDGEITEMS), max(n - EDGEITEMS, min(n, EDGEITEMS)):n])
    return a[np.ix_(*idx)].reshape(-1)


def float_formatter(a):
    """A function formatting one float of ``a`` the way PyTorch would for the whole tensor
    (every element padded to the same width)."""
    vals = np.asarray(_summary_values(a), dtype=np.float64)
    finite = vals[np.isfinite(vals)]
    nonzero = np.abs(finite[finite != 0])
    if finite.size and np.all(finite == np.ceil(finite)):
        # integers: '1.' unless the range calls for scientific notation
        if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8):
            fmt = f"{{:.{PRECISION}e}}"
        else:
            fmt = "{:.0f}."
    else:
        if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8
                             or nonzero.min() < 1e-4):
            fmt = f"{{:.{PRECISION}e}}"
        else:
            fmt = f"{{:.{PRECISION}f}}"

    def one(v):
        v = float(v)
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return fmt.format(v)

    width = max((len(one(v)) for v in vals), default=0)

    def format_one(v):
        return one(v).rjust(width)
    return format_one


def format_values(a, prefix="tensor("):
    """The bracketed values of ``a`` as PyTorch prints them after ``prefix``."""
    if a.ndim == 0:
        if a.dtype.kind == "f":
            return float_formatter(a.reshape(1))(a.item())
        if a.dtype.kind == "b":
            return str(bool(a))
        return str(a.item())
    if a.size == 0:
        return "[]"
    kwargs = dict(separator=", ", prefix=prefix, threshold=THRESHOLD, edgeitems=EDGEITEMS,
                  max_line_width=LINEWIDTH)
    if a.dtype.kind == "f":
        fmt = float_formatter(a)
        return np.array2string(a, formatter={"float_kind": fmt}, **kwargs)
    if a.dtype.kind == "b":
        return np.array2string(a, formatter={"bool": lambda v: "True" if v else "False"},
                               **kwargs)
    return np.array2string(a, **kwargs)


def dtype_name(dtype):
    """``autodiff.float64``: as PyTorch's repr shows ``torch.float64``."""
    from .dtypes import wrap
    return repr(wrap(np.dtype(dtype)))


def tensor_repr(t):
    """``tensor([...], dtype=..., grad_fn=<...>)`` for a Tensor ``t``."""
    a = t._data
    a = np.asarray(a)
    prefix = "tensor("
    body = format_values(a, prefix)
    extras = []
    if a.size == 0 and a.ndim != 1:
        extras.append(f"size={tuple(a.shape)}")
    elif a.size > THRESHOLD:
        extras.append(f"shape={tuple(a.shape)}")
    if a.dtype not in _DEFAULT_DTYPES:
        extras.append(f"dtype={dtype_name(a.dtype)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


def format_number(v):
    """A float for ``Scalar.__repr__``: up to 4 significant decimals, like ``0.8814``."""
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v == int(v) and abs(v) < 1e16:
        return f"{v:.1f}"
    if 1e-4 <= abs(v) < 1e6:
        s = f"{v:.4f}".rstrip("0")
        return s + "0" if s.endswith(".") else s
    return f"{v:.4e}"
