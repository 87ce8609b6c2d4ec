"""Numerical checks of gradients: ``gradcheck`` (first derivatives) and ``gradgradcheck``
(second derivatives), by central differences.

Both build the full Jacobian of every differentiable output with respect to every input that
requires grad, analytically (one backward pass per output element) and numerically
(``(f(x + eps) - f(x - eps)) / (2 eps)`` per input element), and compare them elementwise with
``|analytic - numeric| <= atol + rtol * |numeric|``. Use float64 inputs: float32 round-off
swamps central differences.
"""
from __future__ import annotations

import numpy as np

from . import engine
from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when a Jacobian does not match."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(out):
    """The float Tensor outputs of ``fn``, flattened from nested tuples and lists."""
    flat = []
    stack = [out]
    while stack:
        o = stack.pop(0)
        if isinstance(o, Tensor):
            if o._data.dtype.kind in "fc":
                flat.append(o)
        elif isinstance(o, (tuple, list)):
            stack[0:0] = list(o)
    return flat


def _numeric(fn, inputs, wrt, n_out_shapes, eps):
    """Numeric Jacobians: jac[k][j] has shape (numel of input wrt[k], numel of output j)."""
    jacs = []
    for i in wrt:
        t = inputs[i]
        orig_data = t._data
        if not orig_data.flags.writeable:
            t._data = orig_data.copy()
        x = t._data
        cols = [np.zeros((x.size, int(np.prod(s))), dtype=np.float64) for s in n_out_shapes]
        for k, pos in enumerate(np.ndindex(x.shape)):
            v = x[pos]
            x[pos] = v + eps
            plus = [np.array(o._data, dtype=np.float64) for o in _outputs(fn(*inputs))]
            x[pos] = v - eps
            minus = [np.array(o._data, dtype=np.float64) for o in _outputs(fn(*inputs))]
            x[pos] = v
            for j, (p, m) in enumerate(zip(plus, minus)):
                cols[j][k] = ((p - m) / (2 * eps)).reshape(-1)
        t._data = orig_data
        jacs.append(cols)
    return jacs


def _analytic(outputs, inputs, wrt):
    """Analytic Jacobians, same layout as ``_numeric``; also which outputs were not connected
    to the graph (their Jacobian is taken as zero)."""
    xs = [inputs[i] for i in wrt]
    jacs = [[np.zeros((x._data.size, o._data.size)) for o in outputs] for x in xs]
    detached = []
    for j, o in enumerate(outputs):
        if not o.requires_grad:
            detached.append(j)
            continue
        for e in range(o._data.size):
            onehot = np.zeros(o._data.size, dtype=o._data.dtype)
            onehot[e] = 1
            gs = engine.grad([o], xs, [Tensor._make(onehot.reshape(o._data.shape))],
                             retain_graph=True, allow_unused=True)
            for k, g in enumerate(gs):
                if g is not None:
                    if tuple(g.shape) != tuple(xs[k].shape):
                        raise GradcheckError(
                            f"gradcheck: the gradient with respect to input {wrt[k]} has shape "
                            f"{tuple(g.shape)}, expected {tuple(xs[k].shape)}")
                    jacs[k][j][:, e] = np.asarray(g._data, dtype=np.float64).reshape(-1)
    return jacs, detached


def _compare(name, analytic, numeric, inputs, wrt, outputs, detached, atol, rtol, what):
    for k, i in enumerate(wrt):
        for j, o in enumerate(outputs):
            a, n = analytic[k][j], numeric[k][j]
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            bad = ~(excess <= 0)  # NaN counts as a failure
            if not bad.any():
                continue
            r, c = np.unravel_index(int(np.argmax(np.where(np.isnan(excess), np.inf, excess))),
                                    a.shape)
            in_idx = np.unravel_index(r, inputs[i].shape) if inputs[i].ndim else ()
            out_idx = np.unravel_index(c, o.shape) if o.ndim else ()
            in_idx = tuple(int(v) for v in in_idx)
            out_idx = tuple(int(v) for v in out_idx)
            msg = (f"{name}: {what} mismatch for output {j} with respect to input {i}: "
                   f"{int(bad.sum())} of {a.size} entries differ; worst at input index "
                   f"{in_idx}, output index {out_idx}: analytic {float(a[r, c])!r} vs numeric "
                   f"{float(n[r, c])!r} (atol={atol}, rtol={rtol})")
            if j in detached:
                msg += (f". Output {j} does not require grad: it was computed outside the "
                        "graph (for gradgradcheck: a backward that is not differentiable)")
            return msg
    return None


def _fast(name, fn, inputs, wrt, outputs, eps, atol, rtol, what):
    """Compare the scalar v^T J u (random u, v) per (input, output) pair: one backward and two
    forward evaluations per input instead of a full Jacobian."""
    rng = np.random.default_rng(0)
    vs = [rng.standard_normal(o.shape) for o in outputs]
    for i in wrt:
        x = inputs[i]
        u = rng.standard_normal(x.shape)
        for j, (o, v) in enumerate(zip(outputs, vs)):
            if o.requires_grad:
                g, = engine.grad([o], [x], [Tensor._make(v.astype(o._data.dtype))],
                                 retain_graph=True, allow_unused=True)
                a = 0.0 if g is None else float(np.sum(np.asarray(g._data, np.float64) * u))
            else:
                a = 0.0
            orig = x._data
            x._data = orig + eps * u
            plus = np.asarray(_outputs(fn(*inputs))[j]._data, np.float64)
            x._data = orig - eps * u
            minus = np.asarray(_outputs(fn(*inputs))[j]._data, np.float64)
            x._data = orig
            n = float(np.sum((plus - minus) / (2 * eps) * v))
            if not abs(a - n) <= atol + rtol * abs(n):
                msg = (f"{name}: {what} mismatch for output {j} with respect to input {i} "
                       f"(fast mode, random projection v^T J u): analytic {a!r} vs numeric "
                       f"{n!r} (atol={atol}, rtol={rtol}); rerun with fast_mode=False for "
                       "the worst element")
                if not o.requires_grad:
                    msg += f". Output {j} does not require grad: it was computed outside the graph"
                return msg
    return None


def _check(name, fn, inputs, eps, atol, rtol, raise_exception, what="Jacobian",
           fast_mode=False):
    inputs = _as_tuple(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError(f"{name}: at least one input tensor must require grad")
    outputs = _outputs(fn(*inputs))
    if not outputs:
        raise ValueError(f"{name}: the function returned no floating point Tensor")
    if fast_mode:
        msg = _fast(name, fn, inputs, wrt, outputs, eps, atol, rtol, what)
        if msg is None:
            return True
        if raise_exception:
            raise GradcheckError(msg)
        return False
    analytic, detached = _analytic(outputs, inputs, wrt)
    numeric = _numeric(fn, inputs, wrt, [o.shape for o in outputs], eps)
    msg = _compare(name, analytic, numeric, inputs, wrt, outputs, detached, atol, rtol, what)
    if msg is None:
        return True
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              fast_mode=False):
    """Check ``fn``'s gradients against central differences.

    ``inputs``: a Tensor or tuple of arguments; the Tensors that require grad are checked
    (make them float64). ``fn(*inputs)`` returns a Tensor or a tuple of Tensors. Returns True;
    on a mismatch raises ``GradcheckError`` (a ``RuntimeError``) naming the output, the input
    index, the worst element and the analytic and numeric values, or returns False when
    ``raise_exception=False``. ``fast_mode=True`` compares one random projection ``v^T J u``
    per input and output instead of the full Jacobian (for large inputs).
    """
    return _check("gradcheck", fn, inputs, eps, atol, rtol, raise_exception,
                  fast_mode=fast_mode)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, fast_mode=False):
    """Check second derivatives: the vector-Jacobian product ``grad(fn(x), x, v,
    create_graph=True)`` is differentiated analytically (with respect to ``x`` and ``v``) and
    compared with central differences of it. ``grad_outputs`` (``v``) defaults to random
    float64 tensors. A backward pass computed outside the graph fails here.
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradgradcheck: at least one input tensor must require grad")
    outs = [o for o in _outputs(fn(*inputs)) if o.requires_grad]
    if not outs:
        raise ValueError("gradgradcheck: no output of the function requires grad")
    if grad_outputs is None:
        rng = np.random.default_rng(12345)
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape), dtype=np.float64,
                                    requires_grad=True) for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        ys = [o for o in _outputs(fn(*xs)) if o.requires_grad]
        gs = engine.grad(ys, [xs[i] for i in wrt], list(vs), create_graph=True,
                         allow_unused=True)
        return tuple(Tensor._make(np.zeros_like(xs[i]._data)) if g is None else g
                     for i, g in zip(wrt, gs))

    return _check("gradgradcheck", first_derivative, inputs + tuple(grad_outputs), eps, atol,
                  rtol, raise_exception, what="second derivative", fast_mode=fast_mode)
