"""Function, its context (the graph node) and ``apply``.

A call ``Op.apply(*args)`` runs ``forward`` and, when grad mode is on and some Tensor argument
requires grad, records one ``Node``: the context the op saw in ``forward`` *is* the node the
backward pass later calls, so everything an op saves sits in one object that the engine frees
after use.

Two base classes share one ``apply``:

* ``Function`` (PyTorch's ``torch.autograd.Function``): ``forward`` receives the Tensors.
* ``Op`` (the built-in ops): ``forward`` receives the Tensors' NumPy arrays and returns arrays;
  this keeps the hot path free of Tensor wrapping.

Both receive Tensors in ``backward`` and return one gradient per forward argument.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import engine
from .engine import _state

Tensor = None  # set by autodiff.tensor (avoids an import cycle)


class Node:
    """A recorded op: the ``ctx`` of forward and the ``grad_fn`` of its outputs."""

    __slots__ = ("fn", "next_functions", "needs_input_grad", "input_meta", "n_outputs",
                 "output_meta", "_saved", "_freed", "__dict__", "__weakref__")

    # rarely-set state lives in the instance dict only when set
    _to_save = None
    pre_hooks = None
    retained = None
    non_differentiable = None
    materialize_grads = True
    scope = None
    stack = None

    def __init__(self, fn):
        self.fn = fn
        self._saved = None
        self._freed = False
        self.n_outputs = 1

    # ---- the ctx interface (PyTorch names) --------------------------------------------------
    def save_for_backward(self, *items):
        self._to_save = items  # resolved by apply once the outputs exist

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they have been freed). Pass retain_graph=True to "
                "the first backward() if you need to backward through the graph again.")
        saved = self._saved
        if saved is None:
            return ()
        out = []
        for kind, obj, version in saved:
            if kind == 0:        # a constant (or None)
                out.append(obj if obj is None else Tensor._make(obj))
            elif kind == 1:      # an input Tensor
                if obj._version != version:
                    raise RuntimeError(
                        f"one of the variables needed for gradient computation has been modified "
                        f"by an inplace operation: {self.name()} saved a tensor of shape "
                        f"{tuple(obj.shape)} at version {version}; it is now at version "
                        f"{obj._version}. Hint: replace the in-place operation by an "
                        "out-of-place one.")
                out.append(obj)
            else:                # an output: rebuilt pointing at this node
                out.append(Tensor._make(obj, True, self, version))
        return tuple(out)

    def mark_non_differentiable(self, *outputs):
        self.non_differentiable = [id(o.data if isinstance(o, Tensor) else o) for o in outputs]

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    # ---- graph inspection ----------------------------------------------------------------------
    def name(self):
        return self.fn.__name__ + "Backward"

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after this node's backward (PyTorch's Node hook)."""
        hooks = self.__dict__.setdefault("_post_hooks", {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def __repr__(self):
        return f"<{self.name()} object>"

    def _release(self):
        """Drop everything saved for backward: arrays, saved tensors, ctx attributes."""
        self._saved = None
        self._freed = True
        d = self.__dict__
        if d:
            post = d.get("_post_hooks")
            d.clear()
            if post:
                d["_post_hooks"] = post


class AccumulateGrad:
    """The graph node of a leaf that requires grad: backward adds into ``leaf.grad``."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()
    scope = None
    _freed = False

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad object>"


class RemovableHandle:
    _next_id = 0

    def __init__(self, store):
        self._store = store
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self):
        self._store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _accumulator(t):
    ref = t._accum
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accum = weakref.ref(acc)
    return acc


class Function:
    """Base of differentiable operations (PyTorch's ``torch.autograd.Function``).

    Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` and call
    ``YourFn.apply(*args)``. ``forward`` receives the Tensor arguments as Tensors (grad mode is
    off inside it) and returns Tensors or NumPy arrays; ``backward`` receives one gradient Tensor
    per output and returns one gradient per forward argument (``None`` where there is none).
    """

    _raw = False  # Op sets True: forward receives arrays

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        T = Tensor
        record = False
        if cls._raw:
            fargs = []
            for a in args:
                if isinstance(a, T):
                    if a._requires_grad:
                        record = True
                    fargs.append(a.data)
                else:
                    fargs.append(a)
            ctx = Node(cls)
            result = cls.forward(ctx, *fargs, **kwargs)
        else:
            fargs = args
            for a in args:
                if isinstance(a, T) and a._requires_grad:
                    record = True
            ctx = Node(cls)
            prev = _state.grad_enabled
            _state.grad_enabled = False
            try:
                result = cls.forward(ctx, *args, **kwargs)
            finally:
                _state.grad_enabled = prev

        st = _state
        if isinstance(result, np.generic):
            result = np.asarray(result)
        if result.__class__ is np.ndarray:
            if not (record and st.grad_enabled):
                return T._make(result)
            arrays = (result,)
            single = True
        else:
            single = not isinstance(result, tuple)
            arrays = tuple(_as_array(o, T) for o in ((result,) if single else result))
            if not (record and st.grad_enabled):
                res = [T._make(a) for a in arrays]
                return res[0] if single else tuple(res)

        # ---- record the node ----
        nexts = []
        needs = []
        meta = []
        for a in args:
            if isinstance(a, T) and a._requires_grad:
                gf = a.grad_fn
                nexts.append((gf, a._output_nr) if gf is not None else (_accumulator(a), 0))
                needs.append(True)
                d = a.data
                meta.append((d.shape, d.dtype))
            else:
                nexts.append(None)
                needs.append(False)
                meta.append(None)
        ctx.next_functions = tuple(nexts)
        ctx.needs_input_grad = tuple(needs)
        ctx.input_meta = meta
        if not single:
            ctx.n_outputs = len(arrays)
            ctx.output_meta = [(a.shape, a.dtype) for a in arrays]
        if st.scope:
            ctx.scope = st.scope[-1]
        if st.anomaly:
            ctx.stack = engine.creation_stack()
        if ctx._to_save is not None:
            ctx._saved = _resolve_saved(ctx._to_save, args, fargs, arrays)
            del ctx._to_save
        nd = ctx.non_differentiable
        if single:
            a = arrays[0]
            if a.dtype.kind in "fc" and not nd:
                return T._make(a, True, ctx, 0)
        res = []
        for i, a in enumerate(arrays):
            diff = a.dtype.kind in "fc" and not (nd and id(a) in nd)
            res.append(T._make(a, diff, ctx if diff else None, i))
        return res[0] if single else tuple(res)


def _as_array(o, T):
    if isinstance(o, T):
        return o.data
    if isinstance(o, np.ndarray):
        return o
    return np.asarray(o)


def _resolve_saved(items, args, fargs, arrays):
    T = Tensor
    saved = []
    for x in items:
        if x is None:
            saved.append((0, None, 0))
            continue
        xd = x.data if isinstance(x, T) else x
        for a, fa in zip(args, fargs):
            if isinstance(a, T) and (x is a or xd is a.data):
                saved.append((1, a, a._version))
                break
        else:
            for i, o in enumerate(arrays):
                if xd is o:
                    saved.append((2, o, i))
                    break
            else:
                saved.append((0, np.asarray(xd), 0))
    return saved


class Op(Function):
    """Base of the built-in ops: ``forward`` receives and returns NumPy arrays."""

    _raw = True
