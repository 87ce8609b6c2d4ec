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

Every Function subclass gets its own node class, named as PyTorch names it (the built-in
``Mul`` -> ``MulBackward0``, ``MatMul`` -> ``MmBackward0``; a custom ``MyFn`` -> ``MyFnBackward``),
so a node needs one slot write to be created and ``type(t.grad_fn).__name__``, ``repr`` and
``name()`` read like PyTorch's. The op class stays reachable as ``type(node).fn`` (graph
drawings label nodes with it).

References, so that dropping the last Tensor frees the graph by reference counting alone (no
cycles for the garbage collector): output Tensor -> node -> ``next_functions`` -> input nodes ->
... -> ``AccumulateGrad`` -> leaf Tensor. A node never holds its outputs: a saved output keeps
only the array (rebuilt as a Tensor pointing at the node when backward asks for it) and a weak
reference for the in-place version check; a leaf caches its ``AccumulateGrad`` by weak reference.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import grad_mode
from .grad_mode import _state

Tensor = None  # set by autodiff.tensor (avoids an import cycle)
_make = None   # Tensor._make, bound once (set with it)
_data_slot = None  # Tensor's ``data`` slot descriptor, set with it

_new = object.__new__
_asarray = np.asarray
_ref = weakref.ref
_ndarray = np.ndarray
_generic = np.generic
_SCALARS = frozenset([np.float16, np.float32, np.float64, np.longdouble, np.complex64,
                      np.complex128, np.bool_, np.int8, np.int16, np.int32, np.int64,
                      np.uint8, np.uint16, np.uint32, np.uint64])


# ---- NumPy floating-point warnings ------------------------------------------------------------
# PyTorch computes log(0), 1/0, inf - inf, overflow... silently; NumPy prints a RuntimeWarning
# ("divide by zero encountered in log"). Ops whose forward can warn set ``_quiet = True``: their
# forward runs with NumPy's floating-point errors ignored (switched in ``apply`` for the built-in
# Ops, by a wrapper for custom Functions; the backward pass runs so as a whole,
# engine.run_backward). ``np.errstate`` costs ~3.5 us per use here; setting NumPy's error-state
# context variable directly costs ~0.4 us, so that is used where NumPy has it (NumPy >= 2).
try:
    from numpy._core._ufunc_config import _make_extobj as _mk
    from numpy._core.umath import _extobj_contextvar as _cv
    _QUIET = _mk(all="ignore")
    quiet_on = _cv.set        # quiet_on(_QUIET) -> token; quiet_off(token)
    quiet_off = _cv.reset
except Exception:  # pragma: no cover  (NumPy < 2)
    _QUIET = None

    def quiet_on(_):
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def quiet_off(state):
        state.__exit__(None, None, None)


def _quiet_forward(forward):
    def quiet(*args, **kwargs):
        token = quiet_on(_QUIET)
        try:
            return forward(*args, **kwargs)
        finally:
            quiet_off(token)
    quiet.__wrapped__ = forward
    quiet.__doc__ = forward.__doc__
    return staticmethod(quiet)


class _Freed:
    """Marks a node whose saved state was released by backward."""

    def __repr__(self):
        return "<freed>"


FREED = _Freed()

# node attributes that describe the graph (kept when a node is released; the rest of the
# instance dict is op state such as ``ctx.mask`` and is dropped)
_KEEP = ("n_outputs", "output_meta", "scope", "stack", "_post_hooks", "pre_hooks", "retained",
         "materialize_grads", "_const_args")


class Node:
    """A recorded op: the ``ctx`` of forward and the ``grad_fn`` of its outputs.

    ``next_functions``: one ``(node, output_nr)`` per forward argument (``None`` for arguments
    that need no gradient); ``needs_input_grad``: one bool per forward argument;
    ``input_meta``: ``(shape, dtype)`` of each argument that needs a gradient (the engine sums
    and casts returned gradients to it).

    Storage is compact because a graph has one node per op: ``_next`` holds the input nodes
    (``None`` where no gradient is needed) and ``_nr`` their output numbers; ``_nr``,
    ``needs_input_grad`` and ``input_meta`` are interned (the same few tuples recur op after
    op), so recording an op leaves two new containers (the node and ``_next``) for the
    garbage collector to count.
    """

    __slots__ = ("_next", "_nr", "needs_input_grad", "input_meta", "_saved", "__dict__",
                 "__weakref__")

    # rarely-set state lives in the instance dict only when set; these are the defaults
    fn = None
    n_outputs = 1
    output_meta = None
    pre_hooks = None         # {output_nr: {handle id: hook}} (Tensor.register_hook)
    retained = None          # {output_nr: weakref to Tensor} (Tensor.retain_grad)
    non_differentiable = None
    materialize_grads = True
    scope = None             # name_scope at creation (nn.Module), for draw_graph
    stack = None             # creation stack, recorded in anomaly mode only
    _post_hooks = None

    # ---- the ctx interface (PyTorch names) --------------------------------------------------
    def save_for_backward(self, *items):
        """Save Tensors (or, in ``Op.forward``, arrays) for backward. Inputs and outputs of
        this op come back from ``saved_tensors`` graph-connected; an input modified in place
        afterwards makes ``saved_tensors`` raise."""
        self._saved = items  # resolved by apply once the outputs exist

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            return ()
        if saved is FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they have been freed). Saved intermediate values "
                "of the graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        if saved.__class__ is tuple:  # not yet resolved: we are still inside forward
            raise RuntimeError(f"{self.name()}: saved_tensors is only available in backward")
        out = []
        for kind, obj, version, ref in saved:
            if kind == 1:        # an input Tensor
                if obj._version != version:
                    raise RuntimeError(self._inplace_msg(obj, version, "an input"))
                out.append(obj)
            elif kind == 2:      # an output (``version`` holds its number): rebuilt pointing
                t = ref() if ref is not None else None   # at this node, never stored
                if t is not None and t._version != 0:
                    raise RuntimeError(self._inplace_msg(t, 0, f"output {version}"))
                out.append(Tensor._make(obj, True, self, version))
            else:                # a constant (or None)
                out.append(None if obj is None else Tensor._make(obj))
        return tuple(out)

    def _inplace_msg(self, t, expected, what):
        return (f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {what} of {self.name()} (shape {tuple(t.shape)}, dtype "
                f"{t.dtype}) was saved at version {expected} and is now at version "
                f"{t._version}. Hint: replace the in-place operation by an out-of-place one, "
                "or clone() the tensor before modifying it.")

    def mark_non_differentiable(self, *outputs):
        """Outputs given here get ``requires_grad=False`` (their gradient in backward is zero)."""
        self.non_differentiable = [id(o._data if isinstance(o, Tensor) else o) for o in outputs]

    def set_materialize_grads(self, value):
        """``False``: backward receives ``None`` (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError(
            f"{self.name()}: mark_dirty (in-place custom Functions) is not supported; return a "
            "new tensor instead")

    # ---- graph inspection ----------------------------------------------------------------------
    @classmethod
    def name(cls):
        return cls.__name__

    @property
    def next_functions(self):
        """One ``(node, output_nr)`` per forward argument, ``(None, 0)`` where no gradient
        flows (as PyTorch)."""
        return tuple([(None, 0) if n is None else (n, i) for n, i in zip(self._next, self._nr)])

    @property
    def _freed(self):
        return self._saved is FREED

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this node's backward (PyTorch's Node hook)."""
        hooks = self._post_hooks
        if hooks is None:
            hooks = self._post_hooks = {}
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def _release(self):
        """Drop everything saved for backward: arrays, saved tensors, ctx attributes. A node
        that saved nothing stays runnable (as in PyTorch, where only reading a freed saved
        tensor is an error)."""
        d = self.__dict__
        if d:
            keep = [(k, d[k]) for k in _KEEP if k in d]
            if len(keep) != len(d):
                d.clear()
                d.update(keep)
                self._saved = FREED
                return
        if self._saved is not None:
            self._saved = FREED


class _Overwritten:
    """Stands in for the weak reference of a saved output that was written in place: the
    output Tensor may be gone by the time backward runs, and the check must still fire."""

    __slots__ = ("shape", "dtype", "_version")

    def __init__(self, t):
        self.shape, self.dtype, self._version = tuple(t.shape), t.dtype, t._version

    def __call__(self):
        return self


def note_inplace(t):
    """Called by the in-place ops right after writing into ``t``'s array (before ``t`` is
    re-pointed at a new node): if ``t``'s node saved that array as its output, remember the
    write there, so its backward raises even when ``t`` itself was dropped meanwhile (the weak
    reference alone would then see nothing)."""
    node = t.grad_fn
    saved = getattr(node, "_saved", None)
    if saved.__class__ is not list:
        return
    arr = t._data
    for i, entry in enumerate(saved):
        if entry[0] == 2 and entry[1] is arr:
            saved[i] = (2, arr, entry[2], _Overwritten(t))


class AccumulateGrad:
    """The graph node of a leaf that requires grad: backward adds into ``leaf.grad``."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()
    _next = ()
    n_outputs = 1
    scope = None
    pre_hooks = None
    retained = None
    _freed = False

    def __init__(self, variable):
        self.variable = variable

    @staticmethod
    def name():
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

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
        t._accum = _ref(acc)
    return acc


# Built-in ops whose PyTorch node name is not ``<op class name>Backward0`` (where PyTorch's
# name depends on the arguments, the most common case is taken: ``Sum`` is ``SumBackward0``
# although PyTorch names a sum over ``dim`` ``SumBackward1``).
_TORCH_NODE_NAMES = {
    "Cast": "ToCopyBackward0", "Clamp": "ClampBackward1", "ClampTensor": "ClampBackward0",
    "CopyFrom": "CopyBackwards", "Fill": "FillBackward2", "Log1p": "Log1PBackward0",
    "GetItem": "IndexBackward0", "MatMul": "MmBackward0", "CrossEntropy": "NllLossBackward0",
    "NLLLoss": "NllLossBackward0", "AvgPool2d": "AvgPool2DBackward0",
    "MaxPool2d": "MaxPool2DWithIndicesBackward0", "Conv2d": "ConvolutionBackward0",
    "LogSumExp": "LogsumexpBackward0", "Norm": "LinalgVectorNormBackward0",
    "ConstantPad": "ConstantPadNdBackward0", "Reshape": "ViewBackward0",
    "Linear": "AddmmBackward0", "MedianAll": "MedianBackward0",
}


class Function:
    """Base of differentiable operations (PyTorch's ``torch.autograd.Function``).

    Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` and call
    ``YourFn.apply(*args)``. ``forward`` receives the Tensor arguments as Tensors (grad mode is
    off inside it) and returns a Tensor, an array, or a tuple of them; ``backward`` receives one
    gradient Tensor per output and returns one gradient per forward argument (``None`` where
    there is none). ``ctx.save_for_backward``, ``ctx.saved_tensors``, ``ctx.needs_input_grad``,
    ``ctx.mark_non_differentiable`` and ``ctx.set_materialize_grads`` work as in PyTorch.
    """

    _raw = False  # Op sets True: forward receives arrays
    _node_cls = Node

    _quiet = False  # True: forward runs with NumPy's floating-point warnings off (see above)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._quiet and not cls._raw and "forward" in cls.__dict__:
            # (built-in Ops go quiet in apply itself; a subclass of a quiet op stays quiet)
            cls.forward = _quiet_forward(cls.__dict__["forward"].__func__)
        # PyTorch's node names: a custom Function ``F`` gets ``FBackward``; a built-in op gets
        # the name PyTorch gives its node (``MulBackward0``, ``MmBackward0`` for MatMul, ...)
        if cls.__dict__.get("_raw", cls._raw):
            name = _TORCH_NODE_NAMES.get(cls.__name__, cls.__name__ + "Backward0")
        else:
            name = cls.__name__ + "Backward"
        cls._node_cls = type(name, (Node,),
                             {"__slots__": (), "fn": cls, "__module__": cls.__module__})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, when grad mode is on and a Tensor argument requires grad,
        record the node and return outputs whose ``grad_fn`` is it."""
        T = Tensor
        ctx = _new(cls._node_cls)
        ctx._saved = None
        record = False
        grad_on = _state.grad_enabled
        if grad_on and cls._raw and len(args) == 2:
            # the hot path: a binary built-in op (add, mul, matmul, ...), written out; an input
            # that needs a gradient gives its node ``g``, output number ``nr``, shape ``s`` and
            # dtype ``t`` (all None for one that does not)
            a, b = args
            if isinstance(a, T):
                da = a._data
                if da.__class__ is not _ndarray:
                    da = _array_of(a)
                if a._requires_grad:
                    record = True
                    ga = a.grad_fn
                    if ga is None:
                        ga = _accumulator(a)
                        nra = 0
                    else:
                        nra = a._output_nr
                    sa = da.shape
                    ta = da.dtype
                else:
                    ga = nra = sa = ta = None
            else:
                # a NumPy scalar is a number to PyTorch (weak: float32 * np.float64(0.1) is
                # computed in float32); NumPy would promote it, so pass the Python number
                da = a.item() if a.__class__ in _SCALARS else a
                ga = nra = sa = ta = None
            if isinstance(b, T):
                db = b._data
                if db.__class__ is not _ndarray:
                    db = _array_of(b)
                if b._requires_grad:
                    record = True
                    gb = b.grad_fn
                    if gb is None:
                        gb = _accumulator(b)
                        nrb = 0
                    else:
                        nrb = b._output_nr
                    sb = db.shape
                    tb = db.dtype
                else:
                    gb = nrb = sb = tb = None
            else:
                db = b.item() if b.__class__ in _SCALARS else b
                gb = nrb = sb = tb = None
            if cls._quiet:  # (NumPy FP warnings off, inline: a wrapper costs ~0.2 us more)
                token = quiet_on(_QUIET)
                try:
                    result = (cls.forward(ctx, da, db, **kwargs) if kwargs else
                              cls.forward(ctx, da, db))
                finally:
                    quiet_off(token)
            else:
                result = (cls.forward(ctx, da, db, **kwargs) if kwargs else
                          cls.forward(ctx, da, db))
            if result.__class__ in _SCALARS and ctx._saved is None:
                # 0-d inputs: NumPy returns a scalar; the array is all the node needs (with
                # something saved, _finish matches the scalar to the output)
                result = _asarray(result)
            if not record:
                if result.__class__ is _ndarray:
                    return _make(result)
                return cls._finish(ctx, args, result, False, None, None)
            sig = _FLAT_SIGNATURES.get((nra, nrb, sa, ta, sb, tb))
            if sig is None:
                sig = _flat_signature((nra, nrb, sa, ta, sb, tb))
            if (result.__class__ is _ndarray and result.dtype.kind in "fc"
                    and ctx.non_differentiable is None):
                return _record_single(ctx, args, result, (ga, gb), sig)
            return cls._finish(ctx, args, result, True, (ga, gb), sig)
        if grad_on and cls._raw and len(args) == 1:
            # the other hot path: a unary built-in op (exp, tanh, relu, sum, reshape, ...)
            a = args[0]
            if isinstance(a, T):
                da = a._data
                if da.__class__ is not _ndarray:
                    da = _array_of(a)
                if a._requires_grad:
                    record = True
                    ga = a.grad_fn
                    if ga is None:
                        ga = _accumulator(a)
                        nra = 0
                    else:
                        nra = a._output_nr
                    sa = da.shape
                    ta = da.dtype
                else:
                    ga = nra = sa = ta = None
            else:
                da = a
                ga = nra = sa = ta = None
            if cls._quiet:
                token = quiet_on(_QUIET)
                try:
                    result = cls.forward(ctx, da, **kwargs) if kwargs else cls.forward(ctx, da)
                finally:
                    quiet_off(token)
            else:
                result = cls.forward(ctx, da, **kwargs) if kwargs else cls.forward(ctx, da)
            if not record:
                if result.__class__ is _ndarray:
                    return _make(result)
                return cls._finish(ctx, args, result, False, None, None)
            sig = _FLAT_SIGNATURES.get((nra, sa, ta))
            if sig is None:
                sig = _flat_signature((nra, sa, ta))
            if (result.__class__ is _ndarray and result.dtype.kind in "fc"
                    and ctx.non_differentiable is None):
                return _record_single(ctx, args, result, (ga,), sig)
            return cls._finish(ctx, args, result, True, (ga,), sig)
        if grad_on:
            # one pass over the arguments gathers everything the node needs; the lists are
            # cheap next to forward itself and are dropped if nothing requires grad
            fargs = []
            nexts = []
            nrs = []
            meta = []
            for a in args:
                if isinstance(a, T):
                    d = a._data
                    if d.__class__ is not _ndarray:
                        d = _array_of(a)
                    fargs.append(d)
                    if a._requires_grad:
                        record = True
                        gf = a.grad_fn
                        if gf is None:
                            gf = _accumulator(a)
                            nrs.append(0)
                        else:
                            nrs.append(a._output_nr)
                        nexts.append(gf)
                        meta.append((d.shape, d.dtype))
                        continue
                else:
                    fargs.append(a.item() if a.__class__ in _SCALARS else a)
                nexts.append(None)
                nrs.append(None)
                meta.append(None)
        elif cls._raw:
            fargs = []
            for a in args:
                if isinstance(a, T):
                    d = a._data
                    fargs.append(d if d.__class__ is _ndarray else _array_of(a))
                else:
                    fargs.append(a.item() if a.__class__ in _SCALARS else a)
        if cls._raw:
            if cls._quiet:
                token = quiet_on(_QUIET)
                try:
                    result = cls.forward(ctx, *fargs, **kwargs)
                finally:
                    quiet_off(token)
            else:
                result = cls.forward(ctx, *fargs, **kwargs)
        else:
            ctx.needs_input_grad = (tuple([m is not None for m in meta]) if record
                                    else (False,) * len(args))
            st = _state
            st.grad_enabled = False
            try:
                result = cls.forward(ctx, *args, **kwargs)
            finally:
                st.grad_enabled = grad_on
        if not record:
            if result.__class__ is _ndarray:
                return T._make(result)
            return cls._finish(ctx, args, result, False, None, None)
        key = (tuple(nrs), tuple(meta))
        sig = _SIGNATURES.get(key)
        if sig is None:
            sig = _signature(key)
        if (result.__class__ is _ndarray and result.dtype.kind in "fc"
                and ctx.non_differentiable is None):  # one float output (e.g. linear)
            return _record_single(ctx, args, result, tuple(nexts), sig)
        return cls._finish(ctx, args, result, True, tuple(nexts), sig)

    @classmethod
    def _finish(cls, ctx, args, result, record, nexts, sig):
        """Wrap forward's result in Tensors and, if ``record``, fill in the node (``nexts``:
        the input nodes, ``sig``: the interned ``(output numbers, needs_input_grad,
        input_meta)``)."""
        T = Tensor
        raws = None  # what forward returned, when it is not the arrays themselves
        if result.__class__ is _ndarray:
            if not record:
                return T._make(result)
            arrays = None
        elif isinstance(result, _generic):  # ufuncs return NumPy scalars for 0-d arrays
            raws = (result,)
            result = np.asarray(result)
            if not record:
                return T._make(result)
            arrays = None
        else:
            single = not isinstance(result, tuple)
            raws = (result,) if single else result
            arrays = tuple([_as_array(o, T, cls) for o in raws])
            if not record:
                res = [T._make(a) for a in arrays]
                return res[0] if single else tuple(res)
            if single:
                result = arrays[0]
                arrays = None

        # ---- record the node ----
        ctx._next = nexts
        ctx._nr, ctx.needs_input_grad, ctx.input_meta = sig
        if _state.extra:
            _record_extra(ctx, args)

        if arrays is None:  # one output: the fast path
            if result.dtype.kind in "fc" and ctx.non_differentiable is None:
                out = T._make(result, True, ctx, 0)
                saved = ctx._saved
                if saved is not None:
                    ctx._saved = _resolve_saved(saved, args, (result,), (out,), raws)
                return out
            arrays = (result,)
            single = True
        else:
            single = False
            ctx.n_outputs = len(arrays)
            ctx.output_meta = [(a.shape, a.dtype) for a in arrays]
        nd = ctx.non_differentiable
        res = []
        for i, a in enumerate(arrays):
            diff = a.dtype.kind in "fc" and not (nd and id(a) in nd)
            res.append(T._make(a, diff, ctx if diff else None, i))
        saved = ctx._saved
        if saved is not None:
            ctx._saved = _resolve_saved(saved, args, arrays, res, raws)
        return res[0] if single else tuple(res)


_SIGNATURES = {}


def _record_single(ctx, args, result, nexts, sig):
    """Fill in a node with one float output (the common case) and return that output."""
    ctx._next = nexts
    ctx._nr, ctx.needs_input_grad, ctx.input_meta = sig
    if _state.extra:
        _record_extra(ctx, args)
    out = _make(result, True, ctx, 0)
    saved = ctx._saved
    if saved is not None:
        if len(saved) == 1 and saved[0] is result:  # exp, tanh, sigmoid, sqrt: the output
            ctx._saved = [(2, result, 0, _ref(out))]
        else:
            ctx._saved = _resolve_saved(saved, args, (result,), (out,), None)
    return out


# the same signatures for the one- and two-input fast paths, keyed by a flat tuple
# ``(nr, shape, dtype)`` or ``(nr_a, nr_b, shape_a, dtype_a, shape_b, dtype_b)``: hashing it
# costs less than building and hashing the nested key
_FLAT_SIGNATURES = {}


def _flat_signature(key):
    n = len(key) // 3
    nrs = key[:n]
    meta = tuple([None if s is None else (s, t) for s, t in zip(key[n::2], key[n + 1::2])])
    sig = _SIGNATURES.get((nrs, meta))
    if sig is None:
        sig = _signature((nrs, meta))
    if len(_FLAT_SIGNATURES) > 4096:
        _FLAT_SIGNATURES.clear()
    _FLAT_SIGNATURES[key] = sig
    return sig


def _record_extra(ctx, args=()):
    """Name scope and (in anomaly mode) creation stack of a new node. Inside a module's scope
    the node also keeps weak references to its Tensor arguments that need no gradient (the
    batch a model was called on) so that ``draw_graph`` can draw them: ``_const_args``, a list of
    ``(argument position, weakref)``. Inside an op scope (one composed op) they are not kept:
    there they are intermediate constants, not the user's inputs."""
    st = _state
    if st.scope:
        scope = ctx.scope = st.scope[-1]
        # ``None in _next``: some argument needs no gradient (most ops: none does, and this
        # one check is all they pay)
        if None in ctx._next and not scope.endswith("()"):
            inputs = None
            i = 0
            for a in args:
                if isinstance(a, Tensor) and not a._requires_grad:
                    if inputs is None:
                        inputs = ctx._const_args = []
                    inputs.append((i, _ref(a)))
                i += 1
    if st.anomaly:
        ctx.stack = grad_mode.creation_stack()


def _signature(key):
    """Intern ``(output numbers, needs_input_grad, input_meta)`` for an op's inputs."""
    nrs, meta = key
    if len(_SIGNATURES) > 4096:  # many distinct shapes (e.g. variable-length batches)
        _SIGNATURES.clear()
    sig = _SIGNATURES[key] = (nrs, tuple([m is not None for m in meta]), meta)
    return sig


def _array_of(t):
    """The array a Tensor holds (a Scalar's ``.data`` is a float; the engine wants the 0-d
    array behind it)."""
    global _data_slot
    if _data_slot is None:
        _data_slot = Tensor.__dict__["_data"]
    return _data_slot.__get__(t)


def _as_array(o, T, cls):
    if isinstance(o, T):
        return _array_of(o)
    if isinstance(o, np.ndarray):
        return o
    if o is None:
        raise TypeError(f"{cls.__name__}.forward returned None; it must return a Tensor, an "
                        "array or a tuple of them")
    return np.asarray(o)


def _resolve_saved(items, args, arrays, outs, raws):
    """Turn what forward passed to ``save_for_backward`` into entries ``(kind, obj, version,
    ref)``: kind 0 a constant array (or None), 1 an input Tensor with its version, 2 an output
    array with its output number and a weak reference to the output Tensor (for the in-place
    check). An item is matched by identity to an argument, then to an output (the array, or
    the object forward returned: a NumPy scalar or a Tensor made into the array)."""
    T = Tensor
    saved = []
    for x in items:
        if x is None:
            saved.append((0, None, 0, None))
            continue
        if isinstance(x, T):
            xd = x._data
            if xd.__class__ is not _ndarray:
                xd = _array_of(x)
        else:
            xd = x
        for a in args:
            if isinstance(a, T):
                ad_ = a._data
                if ad_.__class__ is not _ndarray:
                    ad_ = _array_of(a)
                if x is a or xd is ad_:
                    saved.append((1, a, a._version, None))
                    break
        else:
            for i, o in enumerate(arrays):
                if xd is o or (raws is not None and (xd is raws[i] or x is raws[i])):
                    out = outs[i]
                    saved.append((2, o, i, _ref(out) if out.grad_fn is not None else None))
                    break
            else:
                if xd.__class__ in _PY_NUMBERS and arrays and arrays[0].dtype.kind in "fc":
                    # a Python number is a weak scalar (PyTorch): backward computes with it in
                    # the op's float dtype (grad * 0.1f), not in float64
                    saved.append((0, np.asarray(xd, dtype=arrays[0].dtype), 0, None))
                else:
                    saved.append((0, np.asarray(xd), 0, None))
    return saved


_PY_NUMBERS = (float, int)


class Op(Function):
    """Base of the built-in ops: ``forward`` receives and returns NumPy arrays."""

    _raw = True
