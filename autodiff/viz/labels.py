"""The HTML labels of a drawing's boxes: ops (name, scope, outputs, saved values), leaves
(name, value, gradient) and collapsed module boxes."""

from __future__ import annotations

import math

import numpy as np

from ..node import Node
from ..saved import INPUT, OUTPUT
from ..tensor import Tensor
from .graph import _op_name, _op_scope, _saved_entries, _scope_of
from .text import (
    _COLORS,
    _SCALAR_SYMBOL,
    _SMALL,
    _arr,
    _dtype,
    _esc,
    _grad_norm,
    _is_parameter,
    _nbytes,
    _num,
    _raw_grad,
    _scalar_table,
    _shape,
    _small,
    _values,
)

# roles of the inputs of ops whose argument order says what they are
_ROLES = {
    "Linear": ("input", "weight", "bias"),
    "Conv1d": ("input", "weight", "bias"),
    "Conv2d": ("input", "weight", "bias"),
    "ConvTranspose2d": ("input", "weight", "bias"),
    "Embedding": ("weight", "indices"),
    "BatchNorm": ("input", "weight", "bias"),
    "LayerNorm": ("input", "weight", "bias"),
    "LSTMLayer": ("input", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
    "GRULayer": ("input", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
    "RNNLayer": ("input", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
    "CrossEntropy": ("input", "target"),
    "NLLLoss": ("input", "target"),
}


# names of the outputs of multi-output ops (PyTorch's names where it has them); others read
# "out 0", "out 1", ...
_OUTPUT_NAMES = {
    "LSTMLayer": ("output", "h_n", "c_n"),
    "GRULayer": ("output", "h_n"),
    "RNNLayer": ("output", "h_n"),
    "MaxResult": ("values", "indices"),
    "MinResult": ("values", "indices"),
}


def _output_name(op, nr):
    names = _OUTPUT_NAMES.get(op)
    if names is not None and nr < len(names):
        return names[nr]
    return f"out {nr}"


def _tensor_lines(t, value, show_data, show_grad, grad_known):
    """Label lines for a value (Tensor or array) and, if ``grad_known``, its gradient."""
    lines = []
    if show_data and value is not None:
        lines.append("data " + _values(value._data if isinstance(value, Tensor) else value))
    if show_grad and grad_known:
        g = _raw_grad(t)
        if g is None:
            lines.append('<font color="#999999">grad: no grad yet</font>')
        else:
            a = np.asarray(_arr(g))
            if a.size > _SMALL:  # two short lines keep boxes narrow
                lines.append(f"grad norm {_num(_grad_norm(a))}")
                lines.append("grad " + _values(a))
            else:
                lines.append("grad " + _values(a))
    return lines


def _grad_tracked(t):
    return isinstance(t, Tensor) and (t._retains_grad or _raw_grad(t) is not None)


def _scalar_record(v):
    """The value/gradient record a Scalar op's node keeps (``autodiff.scalar._Record``)."""
    retained = v.retained
    r = retained.get(0) if retained else None
    return r if r is not None and type(r).__name__ == "_Record" else None


def _op_label(
    v, key, graph, known, show_data, show_grad, scalar_mode, scope_names, show_saved, members=None
):
    name = _op_name(v)
    if members is not None:  # a composed op, drawn as the call the user wrote
        sc = _op_scope(_scope_of(v)) or ""
        name = sc.rsplit("/", 1)[-1][:-2] or name
    n_out = v.n_outputs
    if scalar_mode:
        t = known.get((key, 0))
        sym = _SCALAR_SYMBOL.get(name, _esc(name.lower()))
        tlabel = getattr(t, "label", "") if t is not None else ""
        head = f"<b>{sym}</b>" + (f" &#8594; {_esc(tlabel)}" if tlabel else "")
        cells = [head]
        rec = _scalar_record(v) if t is None else None
        if show_data:
            if t is not None:
                cells.append("data " + _values(t._data if isinstance(t, Tensor) else t))
            elif rec is not None:
                cells.append("data " + _num(rec.data))
        if show_grad:
            if _grad_tracked(t):
                g = _raw_grad(t)
            elif rec is not None:
                g = rec.grad
            else:
                g = False
            if g is not False:
                cells.append(
                    "grad " + _values(_arr(g))
                    if g is not None
                    else '<font color="#999999">no grad yet</font>'
                )
        if show_saved:
            cells.extend(_saved_lines(v))
        return _scalar_table(cells, _COLORS["op"]), _COLORS["op"]
    lines = [f"<b>{_esc(name)}</b>"]
    for nr in range(n_out):
        meta = graph.out_meta.get((key, nr))
        t = known.get((key, nr))
        prefix = f"{_output_name(name, nr)} " if n_out > 1 else ""
        if meta is not None:
            lines.append(f"{prefix}{_shape(meta[0])} {_dtype(meta[1])}")
        elif t is not None:
            a = t._data if isinstance(t, Tensor) else t
            lines.append(f"{prefix}{_shape(a.shape)} {_dtype(a.dtype)}")
        if t is not None:
            lines.extend(_tensor_lines(t, t, show_data, show_grad, _grad_tracked(t)))
    if members is not None and len(members) > 1:
        inner = sorted(members, key=graph.index.__getitem__, reverse=True)
        ops = " &#183; ".join(_esc(_op_name(graph.obj[k])) for k in inner[:6])
        more = f" +{len(inner) - 6}" if len(inner) > 6 else ""
        lines.append(f'<font color="#777777">{len(inner)} ops: {ops}{more}</font>')
    if show_saved:
        for k in (
            sorted(members, key=graph.index.__getitem__, reverse=True)
            if members is not None
            else [key]
        ):
            lines.extend(
                _saved_lines(
                    graph.obj[k],
                    _op_name(graph.obj[k]) if members is not None and len(members) > 1 else None,
                )
            )
    where = scope_names(_scope_of(v)) if scope_names is not None else None
    if where:
        lines.append(f'<font point-size="9" color="#555555"><i>{_esc(where)}</i></font>')
    return _small(lines), _COLORS["op"]


def _input_position(v, t):
    """Which forward argument of node ``v`` the Tensor ``t`` was (None if unknown)."""
    target = t.grad_fn
    nr = t._output_nr
    if target is None:
        acc = t._accum() if t._accum is not None else None
        target, nr = acc, 0
    if target is not None:
        for i, (n, r) in enumerate(zip(v._next, v._nr)):
            if n is target and r == nr:
                return i
    for i, ref in (v.__dict__.get("_const_args") or ()) if v.__dict__ else ():
        if ref() is t:
            return i
    return None


# node attributes that describe the graph, not what an op saved
_NODE_KEYS = frozenset(
    (
        "n_outputs",
        "output_meta",
        "scope",
        "stack",
        "_post_hooks",
        "pre_hooks",
        "retained",
        "materialize_grads",
        "_const_args",
        "non_differentiable",
        "needs_input_grad",
    )
)


def _saved_lines(v, prefix=None):
    """What node ``v`` saved for backward (``show_saved``), one line per item, in orange."""
    color = "#b45f06"
    head = f"{_esc(prefix)}: " if prefix else ""
    if getattr(v, "_freed", False):
        return [f'<font color="{color}">{head}saved: freed by backward()</font>']
    items = []
    for s in _saved_entries(v):
        o = s.value
        if s.kind is INPUT:
            i = _input_position(v, o)
            items.append((f"input {i}" if i is not None else "input", o._data))
        elif s.kind is OUTPUT:
            items.append((f"output {s.nr}" if v.n_outputs > 1 else "output", o))
        elif o is not None:
            items.append(("array", o))
    d = v.__dict__
    if d:
        for k, val in d.items():
            if k in _NODE_KEYS:
                continue
            if isinstance(val, np.ndarray):
                items.append((f"ctx.{k}", val))
            elif isinstance(val, Tensor):
                items.append((f"ctx.{k}", val._data))
    if not items:
        return [f'<font color="{color}">{head}saved nothing</font>']
    total = 0
    lines = []
    for what, a in items:
        a = np.asarray(a)
        total += a.nbytes
        lines.append(
            f'<font color="{color}">{head}saved {_esc(what)} {_shape(a.shape)} '
            f"{_dtype(a.dtype)}</font>"
        )
    lines.append(f'<font color="{color}">{head}saved total {_nbytes(total)}</font>')
    return lines


def _leaf_name(t, key, graph, names):
    name = names.get(key)
    if name:
        return name
    label = getattr(t, "label", "")
    if label:
        return str(label)
    use = graph.first_use.get(key)
    if use is not None:
        op, i = use
        roles = _ROLES.get(op)
        if roles and i < len(roles):
            return roles[i]
    if key in graph.inputs:
        return "input"
    return "parameter" if _is_parameter(t) else "leaf"


def _leaf_label(t, key, graph, names, show_data, show_grad, scalar_mode):
    name = _leaf_name(t, key, graph, names)
    param = _is_parameter(t) or key in names
    fill = _COLORS["leaf"] if param else _COLORS["input"]
    g = _raw_grad(t)
    gnorm = _grad_norm(_arr(g)) if (g is not None and t.requires_grad) else None
    is_input = key in graph.inputs
    if not t.requires_grad:
        fill = _COLORS["input"] if is_input else _COLORS["const"]
    if scalar_mode:
        cells = [f"<b>{_esc(name)}</b>"]
        if show_data:
            cells.append("data " + _values(t._data))
        if show_grad and t.requires_grad:
            cells.append(
                "grad " + _values(_arr(g))
                if g is not None
                else '<font color="#999999">no grad yet</font>'
            )
        return _scalar_table(cells, fill), fill, gnorm
    lines = [f"<b>{_esc(name)}</b>", f"{_shape(t._data.shape)} {_dtype(t._data.dtype)}"]
    lines.extend(_tensor_lines(t, t, show_data, show_grad, t.requires_grad))
    if not t.requires_grad and not is_input:
        lines.append('<font color="#999999">requires_grad=False: no graph</font>')
    return _small(lines), fill, gnorm


def _box_label(box, members, graph, names, show_grad, module_types, strip):
    obj = graph.obj
    ops = [k for k in members if isinstance(obj[k], Node)]
    inputs = [k for k in members if k in graph.inputs and k not in names]
    leaves = [k for k in members if not isinstance(obj[k], Node) and k not in inputs]
    inside = set(members)
    # the scope's first component is the top-level model (its class name): drop it
    rel = box.split("/", 1)[1] if "/" in box else ""
    display = (rel or box) if strip else box
    kind = module_types.get(rel) if module_types else None
    head = f"<b>{_esc(display)}</b>" + (f": {_esc(kind)}" if kind and kind != display else "")
    lines = [head]
    if kind is None:  # without the module's type, say what it computes
        if len(ops) <= 3:
            lines.append(" &#183; ".join(_esc(_op_name(obj[k])) for k in reversed(ops)))
        else:
            lines.append(f"{len(ops)} ops")
    for k in sorted(inputs, key=graph.index.__getitem__)[:3]:
        a = obj[k]._data
        lines.append(f"in {_shape(a.shape)} {_dtype(a.dtype)}")
    if leaves:
        n_values = sum(int(np.size(obj[k]._data)) for k in leaves)
        lines.append(
            f"{len(leaves)} param{'s' if len(leaves) != 1 else ''} &#183; {n_values:,} values"
        )
    outs = []
    for src, nr, dst, _ in graph.edges:
        if src in inside and dst not in inside:
            meta = graph.out_meta.get((src, nr))
            if meta is not None and _shape(meta[0]) not in outs:
                outs.append(_shape(meta[0]))
    for k in graph.root_keys:
        if k in inside:
            for (kk, _), meta in graph.out_meta.items():
                if kk == k and _shape(meta[0]) not in outs:
                    outs.append(_shape(meta[0]))
    if outs:
        lines.append("out " + ", ".join(outs[:3]))
    gnorm = None
    grads = [_raw_grad(obj[k]) for k in leaves]
    if any(g is not None for g in grads):
        gnorm = math.sqrt(sum(_grad_norm(_arr(g)) ** 2 for g in grads if g is not None))
    if leaves and show_grad:
        lines.append(
            f"grad norm {_num(gnorm)}"
            if gnorm is not None
            else '<font color="#777777">grad: no grad yet</font>'
        )
    return _small(lines), gnorm, bool(leaves)
