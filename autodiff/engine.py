"""The backward pass, grad modes, anomaly detection and name scopes.

``run_backward`` is an iterative Kahn-style traversal (no recursion: a 100,000-op chain works
under the default recursion limit). It counts each node's consumers, keeps the pending
gradients of each node's outputs in a dict, runs a node when all its consumers have reported,
and frees the node's saved state right after (unless ``retain_graph``), so memory is released
as the pass goes.
"""
from __future__ import annotations

import functools
import threading
import traceback

import numpy as np


class _State(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False
        self.anomaly_check_nan = True
        self.scope = []


_state = _State()


# ---------------------------------------------------------------------------------------------
# grad modes


def is_grad_enabled():
    return _state.grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode (thread-local)."""

    _mode = True

    def __init__(self):
        self._prev = []

    def __enter__(self):
        self._prev.append(_state.grad_enabled)
        _state.grad_enabled = self._mode

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__._clone(self):
                return fn(*args, **kwargs)
        return wrapper

    def _clone(self):
        return self.__class__()


class no_grad(_GradMode):
    """Disable recording: ops run on values only (``with ad.no_grad():`` or ``@ad.no_grad()``)."""
    _mode = False


class enable_grad(_GradMode):
    """Enable recording inside a ``no_grad`` block."""
    _mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` as a function call, context manager or decorator."""

    def __init__(self, mode):
        super().__init__()
        self._mode = bool(mode)
        # Like PyTorch, calling it as a plain function takes effect immediately.
        self._prev.append(_state.grad_enabled)
        _state.grad_enabled = self._mode

    def __enter__(self):
        pass  # already set in __init__

    def _clone(self):
        prev = _state.grad_enabled
        obj = set_grad_enabled(self._mode)
        _state.grad_enabled = prev
        obj._prev = []
        return obj

    def __call__(self, fn):
        # Used as a decorator: undo the immediate effect of __init__.
        _state.grad_enabled = self._prev.pop()
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state.grad_enabled
            _state.grad_enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.grad_enabled = prev
        return wrapper


# ---------------------------------------------------------------------------------------------
# anomaly detection


class detect_anomaly:
    """Inside this block every recorded op remembers where it was created, and a NaN or inf
    produced by a backward function raises ``RuntimeError`` naming the op and that line."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self._prev = None

    def __enter__(self):
        self._prev = (_state.anomaly, _state.anomaly_check_nan)
        _state.anomaly = True
        _state.anomaly_check_nan = self.check_nan
        return self

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self._prev
        return False


def is_anomaly_enabled():
    return _state.anomaly


def creation_stack():
    """The user's stack at op creation, innermost frame outside the library last."""
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    lib_dirs = tuple(os.path.join(root, p) + os.sep for p in ("autodiff", "nn", "optim"))
    frames = traceback.extract_stack()[:-1]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(lib_dirs)]
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
        return self

    def __exit__(self, *exc):
        _state.scope.pop()
        return False


# ---------------------------------------------------------------------------------------------
# the backward pass


def _collect(roots):
    """Iterative DFS from the root nodes: consumer counts of every reachable node."""
    deps = {}
    stack = list(roots)
    seen = set(map(id, roots))
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            nxt = edge[0]
            deps[nxt] = deps.get(nxt, 0) + 1
            if id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    return deps


def _needed(roots, targets):
    """Nodes from which some target is reachable (so ad.grad runs only what it must)."""
    parents = {}
    stack = list(roots)
    seen = set(map(id, roots))
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            nxt = edge[0]
            parents.setdefault(id(nxt), []).append(node)
            if id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    need = set()
    stack = [t for t in targets]
    while stack:
        node = stack.pop()
        if id(node) in need:
            continue
        need.add(id(node))
        stack.extend(parents.get(id(node), ()))
    return need


def _add(a, b, create_graph):
    if a is None:
        return b
    if create_graph:
        return a + b
    from .tensor import Tensor
    return Tensor._make(a.data + b.data)


def run_backward(roots, grad_roots, retain_graph=False, create_graph=False,
                 inputs=None, allow_unused=False):
    """Propagate ``grad_roots`` from ``roots`` (Tensors) through the graph.

    With ``inputs=None`` gradients accumulate into the leaves' ``.grad``. Otherwise returns the
    gradients for ``inputs`` (a list of Tensors) and leaves ``.grad`` untouched (``ad.grad``).
    """
    from .tensor import Tensor

    root_nodes = []
    buffers = {}
    for t, g in zip(roots, grad_roots):
        node = t.grad_fn
        if node is None:
            node = t._grad_accumulator()
            idx = 0
        else:
            idx = t._output_nr
        if id(node) not in buffers:
            root_nodes.append(node)
            n_out = getattr(node, "n_outputs", 1)
            buffers[id(node)] = [None] * n_out
        buf = buffers[id(node)]
        buf[idx] = _add(buf[idx], g, create_graph)

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
            capture.setdefault(id(node), []).append((i, idx))
            targets.append(node)
        need = _needed(root_nodes, targets)
        results = [None] * len(inputs)

    deps = _collect(root_nodes)
    ready = [n for n in root_nodes if deps.get(n, 0) == 0]
    check_nan = _state.anomaly and _state.anomaly_check_nan
    prev_mode = _state.grad_enabled
    _state.grad_enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(id(node), None)
            if need is not None and id(node) not in need:
                _skip(node, deps, ready, retain_graph)
                continue
            if node.__class__ is AccumulateGrad:
                g = grads[0] if grads else None
                var = node.variable
                hooks = var._hooks
                if hooks and g is not None:
                    for h in list(hooks.values()):
                        r = h(g)
                        if r is not None:
                            g = r
                if capture is not None:
                    for i, _ in capture.get(id(node), ()):
                        results[i] = g
                elif g is not None:
                    var._accumulate_grad(g, create_graph)
                continue
            if grads is None:
                _skip(node, deps, ready, retain_graph)
                continue

            # tensor hooks on this node's outputs, retain_grad, ad.grad captures
            if node.pre_hooks:
                for out_idx, hooks in node.pre_hooks.items():
                    g = grads[out_idx]
                    if g is None:
                        continue
                    for h in list(hooks.values()):
                        r = h(g)
                        if r is not None:
                            g = r
                    grads[out_idx] = g
            if node.retained:
                for out_idx, ref in node.retained.items():
                    t = ref()
                    if t is not None and grads[out_idx] is not None:
                        t._accumulate_grad(grads[out_idx], create_graph)
            if capture is not None and id(node) in capture:
                for i, out_idx in capture[id(node)]:
                    results[i] = grads[out_idx]

            if node._freed:
                node.saved_tensors  # raises the freed-graph error
            nexts = node.next_functions
            result = _call(node, grads, Tensor)
            if len(result) != len(nexts):
                if len(result) > len(nexts) and all(r is None for r in result[len(nexts):]):
                    result = result[:len(nexts)]
                else:
                    raise RuntimeError(
                        f"function {node.name()} returned an incorrect number of gradients "
                        f"(expected {len(nexts)}, got {len(result)})")
            if not retain_graph:
                node._release()
            i = -1
            for edge, g in zip(nexts, result):
                i += 1
                if edge is None:
                    continue
                nxt, idx = edge
                if g is not None:
                    g = _conform(node, i, g, Tensor, check_nan)
                    key = id(nxt)
                    buf = buffers.get(key)
                    if buf is None:
                        buf = buffers[key] = [None] * (nxt.n_outputs if nxt.__class__ is not
                                                       AccumulateGrad else 1)
                    prev = buf[idx]
                    if prev is None:
                        buf[idx] = g
                    elif create_graph:
                        buf[idx] = prev + g
                    else:
                        buf[idx] = Tensor._make(prev.data + g.data)
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
            post = node.__dict__.get("_post_hooks")
            if post:
                for h in list(post.values()):
                    h(tuple(result), tuple(grads))
    finally:
        _state.grad_enabled = prev_mode

    if capture is not None:
        for i, (t, r) in enumerate(zip(inputs, results)):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) "
                    "appears to not have been used in the graph. Set allow_unused=True if this "
                    "is the desired behavior.")
        return results
    return None


def _skip(node, deps, ready, retain_graph):
    """A node that receives no gradient, or leads to no requested input: skip it, but keep
    the consumer counts of the nodes below consistent."""
    if not retain_graph and node.__class__ is not AccumulateGrad:
        node._release()
    for edge in node.next_functions:
        if edge is None:
            continue
        nxt = edge[0]
        deps[nxt] -= 1
        if deps[nxt] == 0:
            ready.append(nxt)


def _call(node, grads, Tensor):
    """Run one node's backward (missing output grads become zeros, as PyTorch)."""
    if node.materialize_grads and node.n_outputs > 1:
        grads = [g if g is not None else Tensor._make(np.zeros(*node.output_meta[i]))
                 for i, g in enumerate(grads)]
    result = node.fn.backward(node, *grads)
    return result if result.__class__ is tuple else (result,)


def _conform(node, i, g, Tensor, check_nan):
    """Sum a returned gradient back to its input's shape and dtype (broadcasting is reduced
    here, in one place, never in the ops)."""
    if not isinstance(g, Tensor):
        g = Tensor._make(np.asarray(g))
    shape, dtype = node.input_meta[i]
    d = g.data
    if d.shape != shape:
        try:
            g = _sum_to(g, shape)
        except ValueError:
            raise RuntimeError(
                f"function {node.name()} returned an invalid gradient at index {i} - got "
                f"shape {tuple(d.shape)} but expected shape compatible with "
                f"{tuple(shape)}") from None
    if g.data.dtype != dtype:
        g = g.to(dtype)
    if check_nan and not np.all(np.isfinite(g.data)):
        where = ""
        if node.stack:
            fr = node.stack[-1]
            where = (f"\nThe op was created at {fr.filename}:{fr.lineno} in {fr.name}"
                     f"\n    {fr.line}")
        raise RuntimeError(f"Function '{node.name()}' returned nan or inf values in its "
                           f"{i}th output.{where}")
    return g


def _sum_to(g, shape):
    from .ops.reduce import sum_to_shape
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
            if o.data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got "
                                   f"shape {tuple(o.shape)}); pass grad_outputs")
            g = Tensor._make(np.ones_like(o.data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=o.data.dtype))
        if tuple(g.shape) != tuple(o.shape):
            raise RuntimeError(f"grad: grad_outputs shape {tuple(g.shape)} does not match the "
                               f"output shape {tuple(o.shape)}")
        gs.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outputs, gs, retain_graph, create_graph, inputs=inputs,
                       allow_unused=allow_unused)
    if not create_graph:
        res = [None if r is None else Tensor._make(r.data) for r in res]
    return tuple(res)


from .function import AccumulateGrad  # noqa: E402  (function.py imports this module first)
