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
reference for the in-place version check (``saved.py``); a leaf caches its ``AccumulateGrad`` by
weak reference.

Every op's node is filled in by one function, ``_record``; ``apply`` only gathers the
arguments (with written-out paths for one and two arguments, the hot ones) and runs forward.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import grad_mode, saved
from .grad_mode import _state
from .node import Node, _accumulator
from .saved import array_of

Tensor = None  # set by autodiff.tensor (avoids an import cycle)
_make = None   # Tensor._make, bound once (set with it)

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

    An op may also define ``backward_arrays(ctx, *grad_outputs)``: the same gradients computed
    on NumPy arrays (gradient arrays in, arrays or None out; ``ctx.saved(arrays=True)`` gives
    the saved arrays). The engine calls it instead of ``backward`` when the backward pass is not
    recorded (``create_graph=False``), so ``backward`` itself stays differentiable and never
    asks which mode it runs in.
    """

    _raw = False  # Op sets True: forward receives arrays
    _node_cls = Node
    _quiet = False  # True: forward runs with NumPy's floating-point warnings off (see above)
    backward_arrays = None
    # the backward pass runs this op's backward in its own loop (engine.run_backward): an Op
    # without ``backward_arrays``. Others go through engine._step, which also checks all of
    # a custom Function's gradients before passing any on.
    _inline = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._inline = cls._raw and cls.backward_arrays is None
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
        record the node (``_record``) and return outputs whose ``grad_fn`` is it.

        One- and two-argument built-in ops (the hot path: add, mul, matmul, exp, sum, ...)
        gather their arguments here, written out; every other call goes through
        ``_apply_general`` (whose loop and lists cost more: a recorded ``Add`` of two (4,)
        float32 tensors took 3.04 us here against 3.44 us through it, 314 bytecodes against
        293; process CPU time, min of 15 timeit runs, 2-core Zen 3 EPYC, 2026-12-06). So the
        per-argument lines are written twice, for ``a`` and ``b``, on purpose. An argument that
        needs a gradient contributes its node and the triple ``(output number, shape, dtype)``
        to the signature key (``None`` x 3 otherwise).
        """
        ctx = _new(cls._node_cls)
        ctx._saved = None
        n = len(args)
        if not 0 < n < 3 or not cls._raw or not _state.grad_enabled:
            return _apply_general(cls, ctx, args, kwargs)
        T = Tensor
        a = args[0]
        if isinstance(a, T):
            da = a._data
            if da.__class__ is not _ndarray:
                da = array_of(a)
            if a._requires_grad:
                ga = a.grad_fn or _accumulator(a)
                nra, sa, ta = a._output_nr, da.shape, da.dtype  # (4 names would build a tuple)
            else:
                ga = nra = sa = ta = None
        else:  # a NumPy scalar is a number to PyTorch (weak: float32 * np.float64(0.1) is
            da = a.item() if a.__class__ in _SCALARS else a  # float32); pass the Python number
            ga = nra = sa = ta = None
        if n == 2:
            b = args[1]
            if isinstance(b, T):
                db = b._data
                if db.__class__ is not _ndarray:
                    db = array_of(b)
                if b._requires_grad:
                    gb = b.grad_fn or _accumulator(b)
                    nrb, sb, tb = b._output_nr, db.shape, db.dtype
                else:
                    gb = nrb = sb = tb = None
            else:
                db = b.item() if b.__class__ in _SCALARS else b
                gb = nrb = sb = tb = None
            if cls._quiet or kwargs:
                result = _run_forward(cls, ctx, (da, db), kwargs)
            else:
                result = cls.forward(ctx, da, db)
            if ga is None and gb is None:
                return _make(result) if result.__class__ is _ndarray else _wrap(cls, result)
            key = (nra, sa, ta, nrb, sb, tb)
            nexts = (ga, gb)
        else:
            if cls._quiet or kwargs:
                result = _run_forward(cls, ctx, (da,), kwargs)
            else:
                result = cls.forward(ctx, da)
            if ga is None:
                return _make(result) if result.__class__ is _ndarray else _wrap(cls, result)
            key = (nra, sa, ta)
            nexts = (ga,)
        if result.__class__ in _SCALARS and ctx._saved is None:
            result = _asarray(result)  # 0-d inputs: NumPy returned a scalar
        return _record(ctx, args, result, nexts, _SIGNATURES.get(key) or _signature(key))


def _apply_general(cls, ctx, args, kwargs):
    """``apply`` for any arguments: custom Functions (whose forward sees the Tensors, with grad
    mode off), built-in ops of three or more arguments, and any op with grad mode off."""
    T = Tensor
    grad_on = _state.grad_enabled
    fargs = []
    nexts = []
    key = []
    record = False
    for a in args:
        if isinstance(a, T):
            d = a._data
            if d.__class__ is not _ndarray:
                d = array_of(a)
            fargs.append(d)
            if grad_on and a._requires_grad:
                record = True
                nexts.append(a.grad_fn or _accumulator(a))
                key += (a._output_nr, d.shape, d.dtype)
                continue
        else:
            fargs.append(a.item() if a.__class__ in _SCALARS else a)
        nexts.append(None)
        key += _NO_KEY
    if cls._raw:
        result = _run_forward(cls, ctx, fargs, kwargs)
    else:
        ctx.needs_input_grad = tuple([n is not None for n in nexts])
        st = _state
        st.grad_enabled = False
        try:
            result = cls.forward(ctx, *args, **kwargs)
        finally:
            st.grad_enabled = grad_on
    if not record:
        return _wrap(cls, result)
    key = tuple(key)
    return _record(ctx, args, result, tuple(nexts), _SIGNATURES.get(key) or _signature(key))


_NO_KEY = (None, None, None)


def _run_forward(cls, ctx, fargs, kwargs):
    """A built-in op's forward on arrays (with NumPy's floating-point warnings off for a
    ``_quiet`` op; inline in ``apply`` only for the ops that need neither)."""
    if not cls._quiet:
        return cls.forward(ctx, *fargs, **kwargs)
    token = quiet_on(_QUIET)
    try:
        return cls.forward(ctx, *fargs, **kwargs)
    finally:
        quiet_off(token)


def _record(ctx, args, result, nexts, sig):
    """Fill in node ``ctx`` for an op applied to ``args`` that returned ``result`` and return
    the output Tensor(s), whose ``grad_fn`` is ``ctx``: the one place where a node is recorded.
    ``nexts``: the input nodes (None for an argument that needs no gradient); ``sig``: the
    interned ``(output numbers, needs_input_grad, input_meta)``."""
    ctx._next = nexts
    ctx._nr, ctx.needs_input_grad, ctx.input_meta = sig
    if _state.extra:
        _record_extra(ctx, args)
    if (result.__class__ is not _ndarray or result.dtype.kind not in "fc"
            or ctx.non_differentiable is not None):
        return _record_outputs(ctx, args, result)
    out = _make(result, True, ctx, 0)  # one float output: the common case
    if ctx._saved is not None:
        ctx._saved = saved.resolve(ctx._saved, args, (result,), (out,), None)
    return out


def _record_outputs(ctx, args, result):
    """``_record`` for any other result: a NumPy scalar, several outputs, Tensors returned by a
    custom forward, outputs that are not differentiable (integer, or marked so). A function of
    its own also because its list comprehensions would make ``ctx`` a closure cell of
    ``_record``, one more object for every recorded op."""
    T = Tensor
    if isinstance(result, _generic):  # ufuncs return NumPy scalars for 0-d arrays
        raws, arrays, single = (result,), (np.asarray(result),), True
    elif result.__class__ is _ndarray:
        raws, arrays, single = None, (result,), True
    else:
        single = not isinstance(result, tuple)
        raws = (result,) if single else result
        arrays = tuple([_as_array(o, T, ctx.fn) for o in raws])
        if not single:
            ctx.n_outputs = len(arrays)
            ctx.output_meta = [(a.shape, a.dtype) for a in arrays]
    nd = ctx.non_differentiable
    outs = []
    for i, a in enumerate(arrays):
        diff = a.dtype.kind in "fc" and not (nd and id(a) in nd)
        outs.append(T._make(a, diff, ctx if diff else None, i))
    if ctx._saved is not None:
        ctx._saved = saved.resolve(ctx._saved, args, arrays, outs, raws)
    return outs[0] if single else tuple(outs)


def _wrap(cls, result):
    """Forward's result as Tensor(s) without a node (nothing needed a gradient)."""
    if result.__class__ is _ndarray:
        return _make(result)
    if isinstance(result, _generic):
        return _make(np.asarray(result))
    single = not isinstance(result, tuple)
    outs = [_make(_as_array(o, Tensor, cls)) for o in ((result,) if single else result)]
    return outs[0] if single else tuple(outs)


# interned signatures, keyed by a flat tuple ``(nr, shape, dtype)`` per argument (hashing it
# costs less than building and hashing a nested key)
_SIGNATURES = {}


def _signature(key):
    """Intern ``(output numbers, needs_input_grad, input_meta)`` for a flat key."""
    if len(_SIGNATURES) > 4096:  # many distinct shapes (e.g. variable-length batches)
        _SIGNATURES.clear()
    meta = tuple([None if s is None else (s, t) for s, t in zip(key[1::3], key[2::3])])
    sig = _SIGNATURES[key] = (key[0::3], tuple([m is not None for m in meta]), meta)
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


def _as_array(o, T, cls):
    if isinstance(o, T):
        return array_of(o)
    if isinstance(o, np.ndarray):
        return o
    if o is None:
        raise TypeError(f"{cls.__name__}.forward returned None; it must return a Tensor, an "
                        "array or a tuple of them")
    return np.asarray(o)


class Op(Function):
    """Base of the built-in ops: ``forward`` receives and returns NumPy arrays."""

    _raw = True


def bind_tensor(cls):
    """Called once by ``autodiff.tensor``: the Tensor class the engine wraps arrays in."""
    global Tensor, _make
    Tensor = saved.Tensor = cls
    _make = cls._make
