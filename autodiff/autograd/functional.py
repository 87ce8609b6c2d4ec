"""``autodiff.autograd.functional``: PyTorch's higher-level autograd functions.

``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp`` and ``vhp`` with PyTorch's arguments and
return structure (a Tensor for one input/output, tuples otherwise). They are built on
``ad.grad``: one backward pass per output element for ``jacobian`` (PyTorch's default
``strategy="reverse-mode"``; ``vectorize=True`` is accepted and computes the same rows one by
one), and the double-backward trick for ``jvp``.
"""
from __future__ import annotations

import numpy as np

from ..engine import grad
from ..grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(x, what, fn_name):
    single = isinstance(x, Tensor)
    xs = (x,) if single else tuple(x)
    for t in xs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn_name}: the {what} must be a Tensor or a tuple of Tensors "
                            f"(got {type(t).__name__})")
    return single, xs


def _prepare(inputs, create_graph):
    """Fresh differentiable handles on the inputs (graph-connected when ``create_graph``)."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(t._data.dtype.kind in "fc"))
    return tuple(out)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, fn_name):
    """``grad`` with zeros where an input is unused (or an error under ``strict``)."""
    outs = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    diff_in = [i for i, t in enumerate(inputs) if t.requires_grad]
    got = [None] * len(inputs)
    if outs and diff_in:
        res = grad(outs, [inputs[i] for i in diff_in], gos, retain_graph=True,
                   create_graph=create_graph, allow_unused=True)
        for i, g in zip(diff_in, res):
            got[i] = g
    final = []
    for t, g in zip(inputs, got):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn_name}: the output of the user-provided function is "
                                   "independent of one of the inputs; this is not allowed in "
                                   "strict mode")
            g = Tensor._make(np.zeros_like(t._data))
        final.append(g)
    return tuple(final)


def _finish(x, create_graph):
    if isinstance(x, tuple):
        return tuple(_finish(v, create_graph) for v in x)
    return x if create_graph else x.detach()


def _call(func, inputs, create_graph, fn_name):
    """Run ``func`` on fresh handles of ``inputs`` (under grad mode): ``(xs, single, outs)``,
    the handles, whether it returned one Tensor, and its outputs as a tuple."""
    xs = _prepare(inputs, create_graph)
    single_out, outs = _as_tuple(func(*xs), "outputs", fn_name)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{fn_name}: the function must return a Tensor or a tuple of "
                            f"Tensors (got {type(o).__name__})")
    return xs, single_out, outs


def _vector(v, like, fn_name, of_outputs):
    """``v`` as a tuple shaped like the tensors ``like`` (the function's outputs when
    ``of_outputs``, else its inputs). None means ones, for one single-element tensor only."""
    if v is None:
        if len(like) != 1 or like[0]._data.size != 1:
            which = ("the user-provided function returns" if of_outputs
                     else "the input to the user-provided function is")
            raise RuntimeError(f"{fn_name}: the vector v can only be None if {which} a single "
                               "Tensor with a single element")
        return (Tensor._make(np.ones_like(like[0]._data)),)
    _, vs = _as_tuple(v, "v", fn_name)
    for t, g in zip(like, vs):
        if tuple(t.shape) != tuple(g.shape):
            which = "the function's output" if of_outputs else "the input"
            raise RuntimeError(f"{fn_name}: v has shape {tuple(g.shape)} but {which} has "
                               f"shape {tuple(t.shape)}")
    return vs


def _result(out, single_out, res, single_res, create_graph):
    """``(output, product)``, each a Tensor when single, detached unless ``create_graph``."""
    out, res = _finish(out, create_graph), _finish(res, create_graph)
    return (out[0] if single_out else out), (res[0] if single_res else res)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``. ``v`` has the
    outputs' shapes; it may be omitted when the function returns one element."""
    single_in, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        xs, single_out, outs = _call(func, inputs, create_graph, "vjp")
        vs = _vector(v, outs, "vjp", of_outputs=True)
        res = _grads(outs, xs, vs, create_graph, strict, "vjp")
    return _result(outs, single_out, res, single_in, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``: the Jacobian-vector product at ``inputs`` (computed with the
    double-backward trick, as PyTorch's). ``v`` has the inputs' shapes; it may be omitted when
    there is one single-element input."""
    single_in, inputs = _as_tuple(inputs, "inputs", "jvp")
    vs = _vector(v, inputs, "jvp", of_outputs=False)
    with enable_grad():
        xs, single_out, outs = _call(func, inputs, create_graph, "jvp")
        us = tuple(Tensor._make(np.zeros_like(o._data)).requires_grad_(True) for o in outs)
        g = _grads(outs, xs, us, True, strict, "jvp")
        res = _grads(g, us, vs, create_graph, strict, "jvp")
    return _result(outs, single_out, res, single_out, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one output ``(*out.shape, *in.shape)`` per
    input (a Tensor for one input, a tuple otherwise); for several outputs a tuple over the
    outputs of those."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: expected strategy to be 'forward-mode' or 'reverse-mode' "
                         f"(got {strategy!r})")
    single_in, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        xs, single_out, outs = _call(func, inputs, create_graph, "jacobian")
        per_out = []
        for o in outs:
            rows = [[] for _ in xs]
            flat = o.reshape(-1)
            for k in range(o._data.size):
                if o.requires_grad:
                    gs = _grads((flat[k],), xs, (None,), create_graph, strict, "jacobian")
                else:
                    if strict:
                        raise RuntimeError(f"jacobian: output {k} of the user-provided "
                                           "function does not require grad (strict mode)")
                    gs = tuple(Tensor._make(np.zeros_like(x._data)) for x in xs)
                for r, g in zip(rows, gs):
                    r.append(g)
            from ..ops.shape.joins import stack
            jac = []
            for x, r in zip(xs, rows):
                if r:
                    j = stack(r, 0).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    j = Tensor._make(np.zeros(tuple(o.shape) + tuple(x.shape), x._data.dtype))
                jac.append(_finish(j, create_graph))
            per_out.append(jac[0] if single_in else tuple(jac))
    return per_out[0] if single_out else tuple(per_out)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function returning one element: ``(*in.shape, *in.shape)`` for one
    input, a tuple of tuples over input pairs otherwise."""
    single_in, inputs = _as_tuple(inputs, "inputs", "hessian")

    def grad_of(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out._data.size != 1:
            raise RuntimeError("hessian: the function given to hessian should return a single "
                               "Tensor with a single element")
        out = out.reshape(())
        gs = _grads((out,), xs, (None,), True, strict, "hessian")
        return gs[0] if single_in else gs

    return jacobian(grad_of, inputs[0] if single_in else inputs, create_graph=create_graph,
                    strict=strict)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T H)`` for a function returning one element."""
    single_in, inputs = _as_tuple(inputs, "inputs", "vhp")
    vs = _vector(v, inputs, "vhp", of_outputs=False)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out = func(*xs)
        if not isinstance(out, Tensor) or out._data.size != 1:
            raise RuntimeError("vhp: the function given to vhp should return a single Tensor "
                               "with a single element")
        gs = _grads((out,), xs, (None,), True, strict, "vhp")
        res = _grads(gs, xs, vs, create_graph, strict, "vhp")
    return _result((out,), True, res, single_in, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)`` for a function returning one element (equal to ``vhp`` for
    twice-differentiable functions, whose Hessian is symmetric; computed the same way)."""
    return vhp(func, inputs, v, create_graph, strict)
