"""The backward pass: reverse-mode differentiation over the graph that ``Function.apply`` recorded.

``run_backward`` is the textbook algorithm (Kahn's topological order, iteratively: a
100,000-op chain works under the default recursion limit): count each node's consumers, keep
the gradients still to be summed for each node in ``pending``, run a node once all its
consumers have reported (``_step``: its backward, then its saved state is freed unless
``retain_graph``; the loop runs ``_step``'s one-output case inline, measured faster), and pass
each returned gradient on to the node that made that input.

Around that loop sit small named helpers, each doing one thing the loop would otherwise
spell out: seeding the roots (``_seed``), ``ad.grad``'s targets (``_targets``), leaves
(``_reach_leaf``, ``_into_leaf``), hooks (``hooks.py``), summing pending gradients
(``_add_pending``), freeing a node (``_free``), and the fast paths, whose docstrings say what
they save and how it was measured.
Grad modes, anomaly detection and name scopes are in ``grad_mode``.
"""
from __future__ import annotations

import sys

import numpy as np

from . import function as _function
from . import hooks
from .function import _QUIET, quiet_off, quiet_on
from .grad_mode import _state, is_anomaly_check_nan_enabled
from .node import FREED, AccumulateGrad


def run_backward(roots, grad_roots, retain_graph=False, create_graph=False,
                 inputs=None, allow_unused=False):
    """Propagate ``grad_roots`` from ``roots`` (Tensors) through the graph.

    With ``inputs=None`` gradients accumulate into the leaves' ``.grad``. Otherwise returns the
    gradients for ``inputs`` (a list of Tensors) and leaves ``.grad`` untouched (``ad.grad``).
    With ``create_graph`` the pass itself is recorded (grad mode is on during it).
    """
    Tensor = _function.Tensor
    pending, root_nodes = _seed(roots, grad_roots, create_graph)
    capture, need, results = _targets(inputs, root_nodes)
    deps = _count_consumers(root_nodes)
    ready = [n for n in root_nodes if deps[n] == 0]
    owned = set()  # nodes whose pending gradient is a sum this pass allocated
    adopt = capture is None and not create_graph  # a leaf's only gradient may become .grad
    check_nan = is_anomaly_check_nan_enabled()
    st = _state
    prev_mode, st.grad_enabled = st.grad_enabled, create_graph
    quiet = quiet_on(_QUIET)  # NumPy floating-point warnings off for the whole pass
    try:
        while ready:
            node = ready.pop()
            g = pending.pop(node, None)
            if node.__class__ is AccumulateGrad and (need is None or node in need):
                _reach_leaf(node, g, capture, results, create_graph)
                continue
            if g is None or need is not None and node not in need:
                _skip(node, deps, ready, retain_graph)  # no gradient, or no requested input
                continue
            if node.pre_hooks or node.retained or capture is not None:
                g = hooks.output_hooks(node, g, capture, results, create_graph)
            fn = node.fn
            if node.n_outputs == 1 and fn._inline and node._saved is not FREED:
                grads = fn.backward(node, g)  # ``_step`` for the common case, inline (see there)
                if grads.__class__ is not tuple or len(grads) != len(node._next):
                    grads = _as_tuple(node, grads)
                if not retain_graph and (node._saved is not None or node.__dict__):
                    _free(node)
            else:
                grads = _step(node, g, create_graph, retain_graph)
            meta = node.input_meta
            for i, nxt in enumerate(node._next):
                if nxt is None:
                    continue
                gi = grads[i]
                if gi is not None:
                    m = meta[i]  # (shape, dtype) of the input
                    if (gi.__class__ is not Tensor or check_nan or gi._data.shape != m[0]
                            or gi._data.dtype is not m[1]):
                        gi = _conform(node, i, gi, m, check_nan)
                    if (adopt and nxt.__class__ is AccumulateGrad and deps[nxt] == 1
                            and not nxt.variable._hooks and nxt not in pending):
                        deps[nxt] = 0  # its last gradient: accumulate now, maybe uncopied
                        _into_leaf(nxt.variable, gi, False, 2)
                        continue
                    prev = pending.get(nxt)
                    if prev is None and nxt.n_outputs == 1:
                        pending[nxt] = gi
                    elif nxt in owned:  # a sum this pass allocated grows (see _add_pending)
                        d = prev._data
                        if d.size != 1:
                            np.add(d, gi._data, d)  # (out positional: no keyword parsing)
                        else:
                            prev._data = _sum_arrays(d, gi._data)
                    else:
                        _add_pending(pending, owned, nxt, node._nr[i], gi, create_graph)
                deps[nxt] -= 1
                if not deps[nxt]:
                    ready.append(nxt)
            if node._post_hooks:
                hooks.post_hooks(node, grads, g)
            grads = gi = g = prev = d = None  # (so that a leaf may take one over uncopied)
    finally:
        st.grad_enabled = prev_mode
        quiet_off(quiet)
    if capture is not None:
        return _captured(inputs, results, allow_unused)
    return None


def _step(node, g, create_graph, retain_graph):
    """Run one node's backward on its output gradient(s) ``g``: one gradient per input (a
    tuple). An op's ``backward_arrays`` is used when the pass is not recorded; a custom
    Function's gradients are all checked (``_checked``). Then the node's saved state is freed,
    unless ``retain_graph``.

    ``run_backward`` runs the common case inline: one output, a built-in op without
    ``backward_arrays`` (``Function._inline``). Calling
    this function for it cost one Python call and five checks more per node: the 1,000-node
    chain of bench/overhead.py took 3.1-3.3 ms in backward instead of 2.9-3.0 ms (process CPU
    time, 1 thread, 10th percentile of 150 runs; 2026-12-06, 2-core Zen 3 EPYC), against 2.8-3.0
    ms before the engine was rewritten around this function (commit 6e9a57c)."""
    if node._saved is FREED:
        raise _freed_error(node)
    fn = node.fn
    arrays = fn.backward_arrays is not None and not create_graph
    if node.n_outputs != 1:
        if node.materialize_grads:
            meta = node.output_meta
            g = [x if x is not None else _function._make(np.zeros(*meta[i]))
                 for i, x in enumerate(g)]
        if arrays:
            result = fn.backward_arrays(node, *[x if x is None else x._data for x in g])
        else:
            result = fn.backward(node, *g)
    elif arrays:
        result = fn.backward_arrays(node, g._data)
    else:
        result = fn.backward(node, g)
    if result.__class__ is not tuple or len(result) != len(node._next):
        result = _as_tuple(node, result)
    if not fn._raw:
        result = _checked(node, result)
    if arrays:  # each array into a Tensor here, so that it is referenced by its Tensor only
        make = _function._make
        result = tuple([make(r) if r.__class__ is np.ndarray else r for r in result])
    if not retain_graph:
        _free(node)
    return result


def _checked(node, grads):
    """A custom Function's gradients, each checked and made to fit its input (``_conform``)
    before any is passed on, so that a bad one raises with no leaf's ``.grad`` touched (as
    PyTorch's ``validate_outputs``). The built-in ops skip this; their gradients are tested."""
    meta = node.input_meta
    return tuple([g if g is None or nxt is None else _conform(node, i, g, meta[i], False)
                  for i, (g, nxt) in enumerate(zip(grads, node._next))])


def _free(node):
    """Free a node's saved values after its backward ran. Fast path: a node whose instance dict
    is empty or holds only its module name scope just drops them; ``Node._release`` (which sorts
    the instance dict into kept and dropped keys) runs only for nodes with op state such as
    ``ctx.mask`` (timeit, 2026-12-06, loaded 2-core EPYC: 82 ns against 103 ns)."""
    d = node.__dict__
    if d and not (len(d) == 1 and "scope" in d):
        node._release()
    elif node._saved is not None:
        node._saved = FREED


def _seed(roots, grad_roots, create_graph):
    """The pending gradients of the root nodes (roots sharing a node sum), and those nodes."""
    pending = {}
    root_nodes = []
    for t, g in zip(roots, grad_roots):
        node = t.grad_fn
        idx = 0
        if node is None:
            node = t._grad_accumulator()
        else:
            idx = t._output_nr
        if node not in pending:
            root_nodes.append(node)
            pending[node] = None if node.n_outputs == 1 else [None] * node.n_outputs
        if node.n_outputs == 1:
            prev = pending[node]
            pending[node] = g if prev is None else _add(prev, g, create_graph)
        else:
            buf = pending[node]
            buf[idx] = g if buf[idx] is None else _add(buf[idx], g, create_graph)
    return pending, root_nodes


def _targets(inputs, root_nodes):
    """For ``ad.grad`` (``inputs`` not None): ``capture`` maps each input's node to ``(input
    index, output nr)`` pairs; ``need`` is the set of nodes from which some input is reachable
    (only they run); ``results`` receives the gradients. All None for ``backward()``."""
    if inputs is None:
        return None, None, None
    capture = {}
    targets = []
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            node, idx = t._grad_accumulator(), 0
        else:
            node, idx = t.grad_fn, t._output_nr
        capture.setdefault(node, []).append((i, idx))
        targets.append(node)
    return capture, _needed(root_nodes, targets), [None] * len(inputs)


def _captured(inputs, results, allow_unused):
    for i, (t, r) in enumerate(zip(inputs, results)):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) "
                "appears to not have been used in the graph. Set allow_unused=True if this "
                "is the desired behavior.")
    return results


def _reach_leaf(node, g, capture, results, create_graph):
    """A leaf's ``AccumulateGrad`` runs: its tensor hooks, then ``g`` goes into ``.grad`` (or
    into ``results`` for ``ad.grad``)."""
    var = node.variable
    if g is not None and var._hooks:
        g = hooks.run_hooks(var._hooks, g)
    if capture is not None:
        for i, _ in capture.get(node, ()):
            results[i] = g
    elif g is not None:
        _into_leaf(var, g, create_graph, 2)  # (referenced by the caller's g and ours)


def _into_leaf(var, g, create_graph, refs):
    """Add ``g`` into leaf ``var.grad``. Fast path, as PyTorch's AccumulateGrad: a gradient
    that nobody else references becomes ``.grad`` as it is, without a copy (``refs``: the
    references the callers' frames hold; ``sys.getrefcount`` adds two, its argument and our
    parameter). It saves one copy of each parameter's gradient per step: for the 256x256
    float32 weight of the MLP bench, 72 us under timeit on the loaded 2-core EPYC
    (2026-12-06); tests/engine/test_accumulate.py checks an MLP takes every one uncopied."""
    if (var.grad is None and not create_graph and _refcount(g) == refs + 2
            and _owns(g._data, var)):
        var.grad = g
    else:
        var._accumulate_grad(g, create_graph)
    if var._post_acc_hooks:
        hooks.run_post_accumulate_hooks(var)


def _add_pending(pending, owned, node, nr, g, create_graph):
    """Add ``g`` to the gradient pending for output ``nr`` of ``node`` (``run_backward`` stores
    a node's first gradient itself). Fast path: the first sum for a node allocates a new array,
    and the node goes into ``owned`` (nobody else holds that sum), so that ``run_backward``
    adds each later gradient into it in place, with the same rounding as ``prev + g`` and no
    new Tensor; a one-element sum is replaced instead (NumPy's in-place add of 0-d arrays
    measured ~3x slower than making a new array under timeit: ~1 us against ~0.45 us on a quiet
    machine; it matters in bench/overhead.py's 1,000 chained adds, where one leaf receives all
    1,000 gradients). That in-place add is inline in the loop: as a call here it cost ~0.1 us
    per gradient (1,000-add chain, backward 3.0 against 2.9 ms, measured as for ``_step``)."""
    if node.n_outputs != 1:
        buf = pending.get(node)
        if buf is None:
            buf = pending[node] = [None] * node.n_outputs
        prev = buf[nr]
        buf[nr] = g if prev is None else _add(prev, g, create_graph)
        return
    prev = pending.get(node)
    if prev is None:
        pending[node] = g
    elif create_graph:
        pending[node] = prev + g
    else:
        pending[node] = _function._make(_sum_arrays(prev._data, g._data))
        owned.add(node)


def _count_consumers(roots):
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
    return _function._make(_sum_arrays(a._data, b._data))


def _as_tuple(node, result):
    """A backward's result as one gradient per input (a tuple); trailing Nones past the inputs
    are dropped, as PyTorch does."""
    if result.__class__ is not tuple:
        result = (result,)
    nexts = node._next
    if len(result) == len(nexts):
        return result
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


def _conform(node, i, g, meta, check_nan):
    """Sum a returned gradient back to its input's shape and cast it to the input's dtype
    (broadcasting is reduced here, in one place, never in the ops); in anomaly mode check it
    for NaN and inf."""
    Tensor = _function.Tensor
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

