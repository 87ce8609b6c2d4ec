"""The part of the recorded graph a drawing shows: a breadth-first walk from the roots
(``_Graph``), the values it still knows, and the grouping of ops into scopes and modules."""

from __future__ import annotations

import math
from collections import deque

from ..node import AccumulateGrad, Node
from ..saved import INPUT, OUTPUT, Saved
from ..tensor import Tensor
from .text import _is_parameter


class _Graph:
    """The reachable part of the autograd graph, breadth first from the roots.

    Vertices are keyed by ``id``: op nodes by the node, leaves by the leaf Tensor (so a root
    that is itself a leaf and the ``AccumulateGrad`` of the same Tensor are one vertex). The
    first ``max_nodes`` vertices in BFS order are drawn; the rest are only counted.
    """

    def __init__(self, roots, max_nodes):
        limit = max_nodes if max_nodes is not None else math.inf
        obj = self.obj = {}  # key -> Node or leaf Tensor
        index = self.index = {}  # key -> BFS position
        order = self.order = []  # keys in BFS order
        edges = self.edges = []  # (src key, src output nr, dst key, dst input nr)
        out_meta = self.out_meta = {}  # (key, output nr) -> (shape, dtype)
        consumers = self.consumers = {}  # key -> list of consumer keys (drawn edges)
        frontier = self.frontier = set()  # drawn keys with an input that is not drawn
        first_use = self.first_use = {}  # leaf key -> (consumer op name, input nr)
        self.root_keys = []
        self.inputs = set()  # keys of Tensors drawn as inputs (no grad needed)
        queue = deque()
        for r in roots:
            if r.grad_fn is not None:
                v = r.grad_fn
                out_meta[(id(v), r._output_nr)] = (r._data.shape, r._data.dtype)
            else:
                v = r
            key = id(v)
            self.root_keys.append(key)
            if key not in obj:
                obj[key] = v
                index[key] = len(order)
                order.append(key)
                queue.append(v)
        while queue:
            v = queue.popleft()
            if not isinstance(v, Node):
                continue  # a leaf
            key = id(v)
            drawn = index[key] < limit
            meta = getattr(v, "input_meta", None) or ()
            consts = v.__dict__.get("_const_args") if v.__dict__ else None
            if consts and drawn:
                for i, ref in consts:
                    t = ref()
                    if t is None:
                        continue  # the user let go of it: nothing to draw
                    nkey = id(t)
                    if nkey not in obj:
                        obj[nkey] = t
                        index[nkey] = len(order)
                        order.append(nkey)
                        self.inputs.add(nkey)
                    if index[nkey] < limit:
                        edges.append((nkey, 0, key, i))
                        consumers.setdefault(nkey, []).append(key)
                        first_use.setdefault(nkey, (v.name(), i))
            for i, edge in enumerate(v.next_functions):
                if edge is None or edge[0] is None:
                    continue
                nxt, nr = edge
                nobj = nxt.variable if nxt.__class__ is AccumulateGrad else nxt
                nkey = id(nobj)
                if nkey not in obj:
                    obj[nkey] = nobj
                    index[nkey] = len(order)
                    order.append(nkey)
                    queue.append(nobj)
                if not drawn:
                    continue
                if index[nkey] < limit:
                    edges.append((nkey, nr, key, i))
                    consumers.setdefault(nkey, []).append(key)
                    if nkey not in first_use and nobj is not nxt:
                        first_use[nkey] = (_op_name(v), i)
                    if i < len(meta) and meta[i] is not None:
                        out_meta.setdefault((nkey, nr), meta[i])
                else:
                    frontier.add(key)
        self.total = len(order)
        self.n_drawn = min(self.total, limit)
        self.drawn = order[: self.n_drawn]


def _saved_entries(v):
    """The ``Saved`` records of what node ``v`` saved for backward (``autodiff.saved``). Empty
    once backward freed the node (and inside forward, before ``apply`` resolved them)."""
    saved = getattr(v, "_saved", None)
    if saved.__class__ is not list:
        return ()
    return [s for s in saved if isinstance(s, Saved)]


def _known_outputs(graph):
    """(key, output nr) -> what the graph still holds of that op output: the Tensor (value and,
    if it retains its grad, gradient) or a bare array (value only)."""
    known = {}
    obj = graph.obj
    for key in graph.drawn:
        v = obj[key]
        if not isinstance(v, Node):
            continue
        d = v.__dict__
        retained = d.get("retained") if d else None
        if retained:
            for nr, ref in retained.items():
                t = ref()
                if t is not None and not isinstance(t, Tensor):  # a Scalar's record
                    t = t.ref()
                if t is not None:
                    known[(key, nr)] = t
        for s in _saved_entries(v):
            o = s.value
            if s.kind is INPUT and isinstance(o, Tensor) and o.grad_fn is not None:
                known.setdefault((id(o.grad_fn), o._output_nr), o)
            elif s.kind is OUTPUT:
                t = s.ref() if s.ref is not None else None
                if isinstance(t, Tensor):  # alive (not gone, not overwritten in place)
                    known[(key, s.nr)] = t
                else:
                    known.setdefault((key, s.nr), o)
    return known


def _op_name(v):
    fn = getattr(type(v), "fn", None)  # the op class (node names are PyTorch's: MulBackward0)
    if fn is not None:
        return fn.__name__
    n = v.name()
    return n[:-8] if n.endswith("Backward") and len(n) > 8 else n


def _op_scope(scope):
    """The scope up to its outermost op scope (``Net/act/SELU()`` for ``Net/act/SELU()/X()``):
    a composed function calling another one is drawn as the call the user wrote."""
    if not scope or "()" not in scope:
        return None
    parts = scope.split("/")
    for i, p in enumerate(parts):
        if p.endswith("()"):
            return "/".join(parts[: i + 1])
    return None


def _scope_of(v):
    d = v.__dict__
    return d.get("scope") if d else None


def _op_groups(graph, group):
    """Composed ops (recorded inside ``grad_mode.op_scope``, scope ending in ``()``): key -> group
    id for their ops (connected ops of one scope form one group), and group id -> the key of
    the op whose output leaves the group (the one that stands for it in the drawing)."""
    obj = graph.obj
    scope_of = {}
    for key in graph.drawn:
        if key in group:
            continue
        v = obj[key]
        if isinstance(v, Node):
            sc = _op_scope(_scope_of(v))
            if sc:
                scope_of[key] = sc
    if not scope_of:
        return {}, {}
    parent = {k: k for k in scope_of}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for src, _, dst, _ in graph.edges:
        if src in scope_of and dst in scope_of and scope_of[src] == scope_of[dst]:
            ra, rb = find(src), find(dst)
            if ra != rb:
                parent[ra] = rb
    opgroup = {k: find(k) for k in scope_of}
    exits = {}
    roots = set(graph.root_keys)
    for k, gid in opgroup.items():
        leaves_group = k in roots or any(opgroup.get(c) != gid for c in graph.consumers.get(k, ()))
        if leaves_group:
            best = exits.get(gid)
            if best is None or graph.index[k] < graph.index[best]:
                exits[gid] = k
    for k, gid in opgroup.items():  # (every group has an exit; this is a safety net)
        if gid not in exits:
            exits[gid] = k
    return opgroup, exits


class _ScopeNames:
    """The module that ran an op, as a dotted path (``Net.fc1``) with its class when known."""

    def __init__(self, module_types):
        self.types = module_types
        self.cache = {}

    def __call__(self, scope):
        if not scope:
            return None
        r = self.cache.get(scope)
        if r is None:
            parts = [p for p in scope.split("/") if not p.endswith("()")]
            if not parts:
                r = ""
            else:
                r = ".".join(parts)
                kind = self.types.get("/".join(parts[1:])) if self.types else None
                if kind and kind != parts[-1]:
                    r += f": {kind}"
            self.cache[scope] = r
        return r or None


def _groups(graph, names, depth):
    """key -> module box name for the ops (and the parameters used only inside one box)."""
    group = {}
    obj = graph.obj
    for key in graph.drawn:
        v = obj[key]
        if isinstance(v, Node):
            s = _scope_of(v)
            if s:
                parts = [p for p in s.split("/") if not p.endswith("()")]  # not op scopes
                # ops of a module's own forward, above the boxes' level, stay separate ops
                if len(parts) > depth:
                    group[key] = "/".join(parts[: depth + 1])
    for key in graph.drawn:
        v = obj[key]
        if isinstance(v, Node) or key in group:
            continue
        if not (_is_parameter(v) or key in names or key in graph.inputs):
            continue
        boxes = {group.get(c) for c in graph.consumers.get(key, ())}
        if len(boxes) == 1 and None not in boxes:
            group[key] = boxes.pop()
    return group
