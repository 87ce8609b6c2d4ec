"""The backward pass, grad modes, anomaly detection and name scopes.

``run_backward`` is an iterative Kahn-style traversal (no recursion: a 100,000-op chain works
under the default recursion limit). It counts each node's consumers, keeps the pending
gradients of each node's outputs in a dict, runs a node when all its consumers have reported,
and frees the node's saved state right after (unless ``retain_graph``), so memory is released
as the pass goes.
"""
from __future__ import annotations

import functools
import inspect
import os
import sys
import threading
import traceback

import numpy as np


class _State(threading.local):
    """Per-thread engine state. ``extra`` is true when a name scope or anomaly mode is active,
    so ``Function.apply`` checks one flag instead of two on its hot path."""

    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False
        self.anomaly_check_nan = True
        self.scope = []
        self.extra = False


_state = _State()


def _update_extra():
    _state.extra = bool(_state.scope) or _state.anomaly


# ---------------------------------------------------------------------------------------------
# grad modes


def is_grad_enabled():
    """Whether ops record the graph in this thread."""
    return _state.grad_enabled


class _GradMode:
    """Sets grad mode (thread-local) as a context manager or a decorator; like PyTorch it also
    works as a decorator without parentheses (``@ad.no_grad``)."""

    _mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {orig_func!r})")
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        self._prev = []

    def __enter__(self):
        self._prev.append(_state.grad_enabled)
        _state.grad_enabled = self._mode
        return self

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev.pop()
        return False

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}: can only decorate a callable (got "
                            f"{type(fn).__name__})")
        mode = self._mode
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, mode)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            st = _state
            prev = st.grad_enabled
            st.grad_enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                st.grad_enabled = prev
        return wrapper

    def clone(self):
        return self.__class__()


def _wrap_generator(fn, mode):
    """A decorated generator function runs each step of its body in ``mode`` (as PyTorch)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        send = None
        while True:
            prev = _state.grad_enabled
            _state.grad_enabled = mode
            try:
                value = gen.send(send)
            except StopIteration as stop:
                return stop.value
            finally:
                _state.grad_enabled = prev
            send = yield value
    return wrapper


class no_grad(_GradMode):
    """Disable recording: ops run on values only (``with ad.no_grad():``, ``@ad.no_grad()`` or
    ``@ad.no_grad``). Thread-local, like PyTorch's."""
    _mode = False


class inference_mode(_GradMode):
    """``inference_mode(mode=True)``: as ``no_grad`` when ``mode`` is true (context manager or
    decorator, with or without parentheses), a no-op otherwise. Deliberate difference: tensors
    made inside are ordinary tensors (PyTorch's "inference tensors" refuse later autograd use;
    here they simply have no graph, as under ``no_grad``)."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self._prev = []
        self._mode = not bool(mode)

    def clone(self):
        return self.__class__(not self._mode)


class enable_grad(_GradMode):
    """Enable recording (inside a ``no_grad`` block); context manager or decorator."""
    _mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(mode)``: called as a function it sets the mode at once (like PyTorch);
    as a context manager it restores the mode that was active when it was created; as a
    decorator it sets ``mode`` for each call of the function only."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        if not isinstance(mode, (bool, int, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be a bool (got {type(mode).__name__})")
        self._mode = bool(mode)
        self._prev = _state.grad_enabled
        _state.grad_enabled = self._mode

    def __enter__(self):
        _state.grad_enabled = self._mode
        return self

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        # used as a decorator: undo the immediate effect of __init__
        _state.grad_enabled = self._prev
        return super().__call__(fn)

    def clone(self):
        prev = _state.grad_enabled
        obj = set_grad_enabled(self._mode)
        obj._prev = _state.grad_enabled = prev
        return obj


# ---------------------------------------------------------------------------------------------
# anomaly detection


class detect_anomaly:
    """Inside this block every recorded op remembers where it was created, and a NaN or inf
    produced by a backward function raises ``RuntimeError`` naming the op and that line
    (``check_nan=False`` records the stacks without checking). Also a decorator."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self._prev = []

    def __enter__(self):
        self._prev.append((_state.anomaly, _state.anomaly_check_nan))
        _state.anomaly = True
        _state.anomaly_check_nan = self.check_nan
        _update_extra()
        return self

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self._prev.pop()
        _update_extra()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def set_detect_anomaly(mode, check_nan=True):
    """Turn anomaly mode on or off for this thread (also a context manager restoring the
    previous mode)."""
    return _SetAnomaly(mode, check_nan)


class _SetAnomaly:
    def __init__(self, mode, check_nan):
        self._prev = (_state.anomaly, _state.anomaly_check_nan)
        _state.anomaly = bool(mode)
        _state.anomaly_check_nan = bool(check_nan)
        _update_extra()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self._prev
        _update_extra()
        return False


def is_anomaly_enabled():
    return _state.anomaly


def is_anomaly_check_nan_enabled():
    return _state.anomaly and _state.anomaly_check_nan


_LIB_DIRS = None


def creation_stack():
    """The user's stack at op creation (frames inside autodiff/, nn/ and optim/ removed),
    innermost last; the whole stack if every frame is inside the library."""
    global _LIB_DIRS
    if _LIB_DIRS is None:
        from ._aliases import source_dirs
        _LIB_DIRS = source_dirs()
    frames = traceback.extract_stack()[:-1]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(_LIB_DIRS)]
    return user or frames


# ---------------------------------------------------------------------------------------------
# name scopes (nn.Module.__call__ pushes its qualified name; draw_graph collapses by them)


class name_scope:
    """Record ``name`` on every node created inside the block (used to collapse modules)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        stack = _state.scope
        parent = stack[-1] if stack else None
        stack.append(self.name if parent is None else f"{parent}/{self.name}")
        _state.extra = True
        return self

    def __exit__(self, *exc):
        _state.scope.pop()
        _update_extra()
        return False


class op_scope(name_scope):
    """Ops composed inside the block form one op named ``name`` (e.g. ``"LeakyReLU"``):
    ``draw_graph`` draws them as one box, as the user wrote the call. Recorded as the scope
    component ``name + "()"``."""

    def __init__(self, name):
        self.name = name + "()"


# ---------------------------------------------------------------------------------------------
# the backward pass


def _collect(roots):
    """Iterative DFS from the root nodes: the number of consumers of every reachable node
    (roots start at 0, so a root reachable from another root is counted, not re-walked)."""
    deps = dict.fromkeys(roots, 0)
    stack = list(roots)
    pop = stack.pop
    push = stack.append
    while stack:
        for nxt in pop()._next:
            if nxt is not None:
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    push(nxt)
    return deps


def _needed(roots, targets):
    """Nodes from which some target is reachable (so ad.grad runs only what it must)."""
    parents = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for nxt in node._next:
            if nxt is None:
                continue
            parents.setdefault(nxt, []).append(node)
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    need = set()
    stack = list(targets)
    while stack:
        node = stack.pop()
        if node in need:
            continue
        need.add(node)
        stack.extend(parents.get(node, ()))
    return need


def _freed_error(node):
    return RuntimeError(
        f"{node.name()}: trying to backward through the graph a second time (or to directly "
        "access saved tensors after they have already been freed). Saved intermediate values "
        "of the graph are freed when you call .backward() or autograd.grad(). Specify "
        "retain_graph=True if you need to backward through the graph a second time or if you "
        "need to access saved tensors after calling backward.")


def run_post_accumulate_hooks(t):
    """``Tensor.register_post_accumulate_grad_hook``: ``hook(t)`` once ``t.grad`` holds the
    gradient this pass accumulated (a returned value is an error, as in PyTorch)."""
    for hook in list(t._post_acc_hooks.values()):
        if hook(t) is not None:
            raise RuntimeError("post accumulate grad hooks must return None (they run after "
                               "the gradient was accumulated into .grad)")


def _run_hooks(hooks, g):
    for h in list(hooks.values()):
        r = h(g)
        if r is not None:
            if r is not g:
                _check_hook_result(h, g, r)
            g = r
    return g


def _check_hook_result(hook, g, r):
    """A tensor hook may replace a gradient only by a Tensor of its shape and dtype (as
    PyTorch: a wrong shape would otherwise be broadcast into .grad or the optimizer)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(r, _function.Tensor):
        raise TypeError(f"expected Tensor, but hook '{name}' returned '{type(r).__name__}'")
    if r.shape != g.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                           f"{tuple(g.shape)}, got {tuple(r.shape)})")
    if r.dtype != g.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype} got "
                           f"{r.dtype})")


def run_backward(roots, grad_roots, retain_graph=False, create_graph=False,
                 inputs=None, allow_unused=False):
    """Propagate ``grad_roots`` from ``roots`` (Tensors) through the graph.

    With ``inputs=None`` gradients accumulate into the leaves' ``.grad``. Otherwise returns the
    gradients for ``inputs`` (a list of Tensors) and leaves ``.grad`` untouched (``ad.grad``).

    Pending gradients live in ``buffers``: node -> gradient Tensor for single-output nodes,
    node -> list (one slot per output) for multi-output nodes. A node runs once all its
    consumers have reported; its buffer entry is dropped as it runs, and its saved state is
    released right after (unless ``retain_graph``).
    """
    Tensor = _function.Tensor
    _make = Tensor._make

    root_nodes = []
    buffers = {}
    for t, g in zip(roots, grad_roots):
        node = t.grad_fn
        idx = 0
        if node is None:
            node = t._grad_accumulator()
        else:
            idx = t._output_nr
        if node not in buffers:
            root_nodes.append(node)
            buffers[node] = None if node.n_outputs == 1 else [None] * node.n_outputs
        if node.n_outputs == 1:
            prev = buffers[node]
            buffers[node] = g if prev is None else _add(prev, g, create_graph)
        else:
            buf = buffers[node]
            buf[idx] = g if buf[idx] is None else _add(buf[idx], g, create_graph)

    capture = None
    need = None
    if inputs is not None:
        capture = {}
        targets = []
        for i, t in enumerate(inputs):
            if t.grad_fn is None:
                node, idx = t._grad_accumulator(), 0
            else:
                node, idx = t.grad_fn, t._output_nr
            capture.setdefault(node, []).append((i, idx))
            targets.append(node)
        need = _needed(root_nodes, targets)
        results = [None] * len(inputs)

    owned = set()  # nodes whose pending gradient is an array this pass allocated
    leaf_inline = capture is None and not create_graph
    deps = _collect(root_nodes)
    ready = [n for n in root_nodes if deps[n] == 0]
    pop_ready = ready.pop
    push_ready = ready.append
    check_nan = _state.anomaly and _state.anomaly_check_nan
    st = _state
    prev_mode = st.grad_enabled
    st.grad_enabled = create_graph
    quiet = _function.quiet_on(_function._QUIET)  # NumPy FP warnings off for the whole pass
    try:
        while ready:
            node = pop_ready()
            g = buffers.pop(node, None)
            if need is not None and node not in need:
                _skip(node, deps, ready, retain_graph)
                continue
            if node.__class__ is AccumulateGrad:
                var = node.variable
                if g is not None and var._hooks:
                    g = _run_hooks(var._hooks, g)
                if capture is not None:
                    for i, _ in capture.get(node, ()):
                        results[i] = g
                elif g is not None:
                    if (var.grad is None and not create_graph and _refcount(g) == 2
                            and _owns(g._data, var)):
                        # as PyTorch's AccumulateGrad: a gradient nobody else references
                        # becomes .grad as it is (no copy)
                        var.grad = g
                    else:
                        var._accumulate_grad(g, create_graph)
                    g = None
                    if var._post_acc_hooks:
                        run_post_accumulate_hooks(var)
                continue
            if g is None:
                _skip(node, deps, ready, retain_graph)
                continue
            multi = node.n_outputs != 1

            # tensor hooks on this node's outputs, retain_grad, ad.grad captures (rare)
            if node.pre_hooks or node.retained or capture is not None:
                grads = g if multi else [g]
                if node.pre_hooks:
                    for out_idx, hooks in node.pre_hooks.items():
                        if grads[out_idx] is not None and hooks:
                            grads[out_idx] = _run_hooks(hooks, grads[out_idx])
                if node.retained:
                    for out_idx, ref in node.retained.items():
                        t = ref()
                        if t is not None and grads[out_idx] is not None:
                            t._accumulate_grad(grads[out_idx], create_graph)
                if capture is not None and node in capture:
                    for i, out_idx in capture[node]:
                        results[i] = grads[out_idx]
                g = grads if multi else grads[0]

            if node._saved is FREED:
                raise _freed_error(node)
            if multi:
                grads = g
                if node.materialize_grads:
                    meta = node.output_meta
                    grads = [x if x is not None else _make(np.zeros(*meta[i]))
                             for i, x in enumerate(grads)]
                result = node.fn.backward(node, *grads)
            else:
                result = node.fn.backward(node, g)
            nexts = node._next
            if result.__class__ is not tuple:
                result = (result,)
            if len(result) != len(nexts):
                result = _check_count(node, result, nexts)
            meta = node.input_meta
            if not retain_graph:
                d = node.__dict__
                if d and not (len(d) == 1 and "scope" in d):  # (a module's name scope only)
                    node._release()
                elif node._saved is not None:  # _release's common case, inlined
                    node._saved = FREED
            for i, nxt in enumerate(nexts):
                if nxt is None:
                    continue
                gi = result[i]
                if gi is not None:
                    m = meta[i]
                    if gi.__class__ is not Tensor or check_nan:
                        gi = _conform(node, i, gi, m, Tensor, check_nan)
                    else:
                        d = gi._data
                        if d.shape != m[0] or d.dtype is not m[1]:
                            gi = _conform(node, i, gi, m, Tensor, check_nan)
                    if (nxt.__class__ is AccumulateGrad and leaf_inline and deps[nxt] == 1
                            and not nxt.variable._hooks and nxt not in buffers):
                        # the last (and only) gradient for a leaf: it is final, accumulate it
                        # now (as the AccumulateGrad branch above would once popped)
                        deps[nxt] = 0
                        var = nxt.variable
                        d = None  # (the shape check's reference to gi._data)
                        if (var.grad is None and _refcount(gi) == 3
                                and _owns(gi._data, var)):
                            var.grad = gi  # referenced by ``result`` and ``gi`` only: no copy
                        else:
                            var._accumulate_grad(gi, False)
                        if var._post_acc_hooks:
                            run_post_accumulate_hooks(var)
                        continue
                    if nxt.n_outputs == 1:
                        prev = buffers.get(nxt)
                        if prev is None:
                            buffers[nxt] = gi
                        elif create_graph:
                            buffers[nxt] = prev + gi
                        elif nxt in owned:
                            # a sum this pass made (no one else holds it): add in place, the
                            # same rounding as prev + gi, no new Tensor
                            d = prev._data
                            if d.size != 1:
                                np.add(d, gi._data, d)  # (out positional: no keyword parsing)
                            else:
                                # NumPy's in-place add is slow for one-element arrays (~1 us,
                                # against ~0.45 us for a new array)
                                prev._data = _sum_arrays(d, gi._data)
                        else:
                            buffers[nxt] = _make(_sum_arrays(prev._data, gi._data))
                            owned.add(nxt)
                    else:
                        buf = buffers.get(nxt)
                        if buf is None:
                            buf = buffers[nxt] = [None] * nxt.n_outputs
                        idx = node._nr[i]
                        prev = buf[idx]
                        if prev is None:
                            buf[idx] = gi
                        elif create_graph:
                            buf[idx] = prev + gi
                        else:
                            buf[idx] = _make(_sum_arrays(prev._data, gi._data))
                left = deps[nxt] - 1
                deps[nxt] = left
                if not left:
                    push_ready(nxt)
            post = node._post_hooks
            if post:
                for h in list(post.values()):
                    h(tuple(result), (g,) if not multi else tuple(g))
            # drop this frame's references to the gradients just passed on (an
            # AccumulateGrad below may then take one over without copying it)
            result = gi = grads = g = prev = d = None
    finally:
        st.grad_enabled = prev_mode
        _function.quiet_off(quiet)

    if capture is not None:
        for i, (t, r) in enumerate(zip(inputs, results)):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) "
                    "appears to not have been used in the graph. Set allow_unused=True if this "
                    "is the desired behavior.")
        return results
    return None


_refcount = sys.getrefcount


def _owns(d, var):
    """Whether array ``d`` can become ``var.grad`` as it is: a plain, writeable, C-contiguous
    array owning its memory, of the leaf's dtype and shape, referenced by its Tensor only."""
    return (d.__class__ is np.ndarray and d.base is None and _refcount(d) == 3
            and d.flags.c_contiguous and d.flags.writeable and d.dtype == var._data.dtype
            and d.shape == var._data.shape)


# NumPy >= 2.3: ``out=...`` makes a ufunc return a 0-d array where it would return a scalar
_OUT_ARRAY = np.lib.NumpyVersion(np.__version__) >= "2.3.0"


def _sum_arrays(a, b):
    """a + b as an array: 0-d + 0-d gives a NumPy scalar, but gradients stay arrays (ops
    treat scalars as weak types)."""
    if _OUT_ARRAY:
        return np.add(a, b, out=...)
    s = a + b
    return s if s.__class__ is np.ndarray else np.asarray(s)


def _add(a, b, create_graph):
    if create_graph:
        return a + b
    from .tensor import Tensor
    return Tensor._make(_sum_arrays(a._data, b._data))


def _check_count(node, result, nexts):
    if len(result) > len(nexts) and all(r is None for r in result[len(nexts):]):
        return result[:len(nexts)]
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients (expected "
        f"{len(nexts)}, got {len(result)})")


def _skip(node, deps, ready, retain_graph):
    """A node that receives no gradient, or leads to no requested input: skip it, but keep
    the consumer counts of the nodes below consistent."""
    if not retain_graph and node.__class__ is not AccumulateGrad:
        node._release()
    for nxt in node._next:
        if nxt is None:
            continue
        deps[nxt] -= 1
        if deps[nxt] == 0:
            ready.append(nxt)


class GradientTypeError(TypeError, RuntimeError):
    """A backward returned something that is not a gradient (a TypeError; also the
    RuntimeError PyTorch raises there)."""


def _conform(node, i, g, meta, Tensor, check_nan):
    """Sum a returned gradient back to its input's shape and cast it to the input's dtype
    (broadcasting is reduced here, in one place, never in the ops); in anomaly mode check it
    for NaN and inf."""
    if not isinstance(g, Tensor):
        given = g
        try:
            arr = np.asarray(g) if isinstance(g, (np.ndarray, np.generic, int, float)) else None
        except Exception:
            arr = None
        if arr is None or arr.dtype.kind not in "fciub":
            fn = node.fn
            what = (f"function {node.name()}: {fn.__name__}.backward" if fn is not None
                    else f"function {node.name()}")
            raise GradientTypeError(
                f"{what} returned a gradient of type {type(given).__name__} at index {i}; "
                "expected a Tensor or None")
        g = Tensor._make(arr)
    shape, dtype = meta
    d = g._data
    if d.shape != shape:
        try:
            g = _sum_to(g, shape)
        except ValueError:
            raise RuntimeError(
                f"function {node.name()} returned an invalid gradient at index {i} - got "
                f"shape {tuple(d.shape)} but expected shape compatible with "
                f"{tuple(shape)}") from None
    if g._data.dtype != dtype:
        g = g.to(dtype)
    if check_nan and not np.all(np.isfinite(g._data)):
        where = ""
        if node.stack:
            fr = node.stack[-1]
            where = (f"\nThe op was created at {fr.filename}:{fr.lineno} in {fr.name}"
                     f"\n    {fr.line}")
        raise RuntimeError(f"Function '{node.name()}' returned nan or inf values in its "
                           f"{i}th output.{where}")
    return g


def _sum_to(g, shape):
    from .ops.reduce.sums import sum_to_shape
    return sum_to_shape(g, shape)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple; ``.grad`` is not
    touched. ``create_graph=True`` records the backward pass (for gradients of gradients)."""
    from .tensor import Tensor
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors (got {type(t).__name__})")
        if not t.requires_grad:
            raise RuntimeError("grad: one of the differentiated Tensors does not require grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    gs = []
    for o, g in zip(outputs, grad_outputs):
        if not isinstance(o, Tensor) or not o.requires_grad:
            raise RuntimeError("grad: element of the differentiated outputs does not require grad")
        if g is None:
            if o._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got "
                                   f"shape {tuple(o.shape)}); pass grad_outputs")
            g = Tensor._make(np.ones_like(o._data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=o._data.dtype))
        if tuple(g.shape) != tuple(o.shape):
            raise RuntimeError(f"grad: grad_outputs shape {tuple(g.shape)} does not match the "
                               f"output shape {tuple(o.shape)}")
        gs.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outputs, gs, retain_graph, create_graph, inputs=inputs,
                       allow_unused=allow_unused)
    if not create_graph:
        res = [None if r is None else Tensor._make(r._data) for r in res]
    return tuple(res)


from . import function as _function  # noqa: E402  (function.py imports this module first)
from .function import FREED, AccumulateGrad  # noqa: E402
