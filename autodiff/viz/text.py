"""Formatting for the boxes of a drawing: numbers, shapes, values, gradient colours, HTML
escapes, and the Tensor accessors that read without side effects."""

from __future__ import annotations

import functools
import math

import numpy as np

from ..tensor import Tensor

_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


_SMALL = 6  # tensors with at most this many elements are shown in full


_SCALAR_SYMBOL = {
    "Add": "+",
    "Sub": "&#8722;",
    "Mul": "&#215;",
    "Div": "/",
    "Neg": "&#8722;",
    "Pow": "**",
}


_COLORS = {
    "op": "#f2f2f2",
    "leaf": "#cfe2f3",
    "input": "#d9ead3",
    "root": "#ffd966",
    "box": "#e4dcf4",
    "const": "#ffffff",
}


def _esc(s):
    return str(s).translate(_ESC)


def _num(v):
    v = float(v)
    if v == 0.0:
        return "0"
    if math.isnan(v) or math.isinf(v):
        return str(v)
    a = abs(v)
    if 1e-3 <= a < 1e4:
        return f"{v:.4f}".rstrip("0").rstrip(".") if a < 1e3 else f"{v:.1f}"
    return f"{v:.3e}"


def _shape(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _values(a):
    """Small arrays in full, larger ones as min / mean / max."""
    a = np.asarray(a)
    if a.dtype.kind not in "fiub":
        return _esc(str(a.dtype))
    if a.size <= _SMALL:
        if a.ndim == 0:
            return _num(a)
        if a.ndim == 2:
            return "[" + ", ".join("[" + ", ".join(_num(v) for v in row) + "]" for row in a) + "]"
        flat = ", ".join(_num(v) for v in a.ravel())
        return f"[{flat}]" if a.ndim == 1 else f"[{flat}] as {_shape(a.shape)}"
    if a.size == 0:
        return "empty"
    with np.errstate(all="ignore"):
        lo, mean, hi = a.min(), a.mean(dtype=np.float64), a.max()
        if abs(mean) < 1e-6 * max(abs(lo), abs(hi)):
            mean = 0.0  # round-off around an exact zero (e.g. a softmax layer's weight grads)
        return f"min {_num(lo)} &#183; mean {_num(mean)} &#183; max {_num(hi)}"


def _grad_norm(g):
    a = np.asarray(g, dtype=np.float64)
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.sum(a * a)))


# log10(gradient norm) -> colour: blue (vanishing) ... green (healthy) ... red (exploding)
_RAMP = [
    (-8.0, (49, 54, 149)),
    (-5.0, (116, 173, 209)),
    (-2.5, (171, 217, 233)),
    (-1.0, (166, 217, 106)),
    (0.5, (254, 224, 139)),
    (2.0, (244, 109, 67)),
    (4.0, (165, 0, 38)),
]


def _grad_color(norm):
    if norm is None:
        return None
    if not math.isfinite(norm):
        return "#ff00ff"
    if norm == 0.0:
        return "#bdbdbd"
    x = math.log10(norm)
    if x <= _RAMP[0][0]:
        rgb = _RAMP[0][1]
    elif x >= _RAMP[-1][0]:
        rgb = _RAMP[-1][1]
    else:
        for (x0, c0), (x1, c1) in zip(_RAMP, _RAMP[1:]):
            if x <= x1:
                t = (x - x0) / (x1 - x0)
                rgb = tuple(round(a + t * (b - a)) for a, b in zip(c0, c1))
                break
    return "#{:02x}{:02x}{:02x}".format(*rgb)


@functools.cache
def _dtype(dtype):
    return str(dtype)  # numpy's dtype.__str__ is slow enough to matter on 10,000 nodes


@functools.lru_cache(maxsize=256)
def _font_for(fill):
    """White text on dark fills."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 110 else "black"


def _small(lines):
    """First line as is, the rest in a smaller font."""
    head, rest = lines[0], lines[1:]
    if not rest:
        return head
    return head + "<br/>" + "<br/>".join(f'<font point-size="9">{s}</font>' for s in rest)


def _scalar_table(cells, fill):
    tds = "".join(f'<td cellpadding="4">{c}</td>' for c in cells)
    return (
        f'<table border="0" cellborder="1" cellspacing="0" bgcolor="{fill}"><tr>{tds}</tr></table>'
    )


def _nbytes(n):
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


_GRAD_SLOT = Tensor.__dict__["_grad"]


def _raw_grad(t):
    """The stored gradient: a Tensor, a float (Scalar) or None before any backward (a Scalar's
    ``.grad`` property reads 0.0 then, which the drawing must not show as a gradient)."""
    try:
        return _GRAD_SLOT.__get__(t, type(t))
    except AttributeError:
        return getattr(t, "grad", None)


def _arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _is_parameter(t):
    return any(c.__name__ == "Parameter" for c in type(t).__mro__)


def _is_scalar(t):
    return any(c.__name__ == "Scalar" for c in type(t).__mro__)


def _legend():
    cells = []
    for x, label in (
        (-8, "1e-8"),
        (-6, "1e-6"),
        (-4, "1e-4"),
        (-2, "0.01"),
        (0, "1"),
        (2, "100"),
        (4, "1e4"),
    ):
        c = _grad_color(10.0**x)
        fc = _font_for(c)
        cells.append(f'<td bgcolor="{c}"><font color="{fc}" point-size="9">{label}</font></td>')
    cells.append('<td bgcolor="#bdbdbd"><font point-size="9">0</font></td>')
    cells.append('<td bgcolor="#ff00ff"><font point-size="9">nan/inf</font></td>')
    table = (
        '<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
        '<tr><td colspan="9"><font point-size="9">gradient norm (log scale): '
        "blue = vanishing, red = exploding</font></td></tr>"
        f"<tr>{''.join(cells)}</tr></table>"
    )
    return f'	legend [label=<{table}> shape="plain" style=""]\n'
