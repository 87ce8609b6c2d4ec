"""``draw_graph``: a picture of the computation graph behind a Tensor or Scalar.

    loss = F.cross_entropy(model(x), y)
    ad.draw_graph(loss, params=dict(model.named_parameters()))   # inline in Jupyter
    ad.draw_graph(loss).render("step", format="svg")              # or a file

The drawing is read off the recorded graph, never by re-running anything: one box per op
(``grad_fn`` node) and one per leaf (``AccumulateGrad``), arrows in the forward direction (from
an op's inputs to the op). Where the graph still knows a value (the root, the leaves, arrays an
op saved for backward, tensors kept with ``retain_grad()``) it is summarised in the box; a graph
whose saved arrays were freed by ``backward()`` is drawn as structure only.

The traversal is iterative (a 100,000-op chain draws without hitting the recursion limit) and
builds the DOT text directly, so a 10,000-node graph takes well under a second to describe;
laying it out is Graphviz's job (``dot``), which only runs when the graph is rendered.
"""
from __future__ import annotations

import functools
import math
import re
from collections import deque

import graphviz
import numpy as np

from .node import AccumulateGrad, Node
from .tensor import Tensor

__all__ = ["draw_graph", "GraphDrawing", "GraphvizNotFoundError"]

INSTALL_HINT = (
    "Rendering needs the Graphviz 'dot' program, which was not found on PATH. Install it with "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz` or from https://graphviz.org/download/ . "
    "Without it the graph is still available as DOT text: `.source` or `.save('g.dot')`.")


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Raised when a drawing is rendered but the Graphviz ``dot`` program is missing
    (a ``graphviz.ExecutableNotFound``, hence a ``RuntimeError``)."""

    def __init__(self, message=INSTALL_HINT):  # noqa: D107  (ExecutableNotFound formats args)
        RuntimeError.__init__(self, message)


class GraphDrawing(graphviz.Digraph):
    """The ``graphviz.Digraph`` that ``draw_graph`` returns.

    Everything a ``Digraph`` does (``.source``, ``.render``, ``.pipe``, ``.save``, inline display
    in Jupyter); rendering without Graphviz's ``dot`` raises ``GraphvizNotFoundError`` with the
    install command, and Jupyter then shows that message and the DOT source instead of a picture.
    """

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError() from e

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError() from e

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFoundError as e:
            return {"text/plain": f"{e}\n\n{self.source}"}


# ---------------------------------------------------------------------------------------------
# small formatting helpers

_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_SMALL = 6            # tensors with at most this many elements are shown in full
_SCALAR_SYMBOL = {"Add": "+", "Sub": "&#8722;", "Mul": "&#215;", "Div": "/", "Neg": "&#8722;",
                  "Pow": "**"}
_COLORS = {"op": "#f2f2f2", "leaf": "#cfe2f3", "input": "#d9ead3", "root": "#ffd966",
           "box": "#e4dcf4", "const": "#ffffff"}


def _esc(s):
    return str(s).translate(_ESC)


def _num(v):
    v = float(v)
    if v == 0.0:
        return "0"
    if math.isnan(v) or math.isinf(v):
        return str(v)
    a = abs(v)
    if 1e-3 <= a < 1e4:
        return f"{v:.4f}".rstrip("0").rstrip(".") if a < 1e3 else f"{v:.1f}"
    return f"{v:.3e}"


def _shape(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _values(a):
    """Small arrays in full, larger ones as min / mean / max."""
    a = np.asarray(a)
    if a.dtype.kind not in "fiub":
        return _esc(str(a.dtype))
    if a.size <= _SMALL:
        if a.ndim == 0:
            return _num(a)
        if a.ndim == 2:
            return "[" + ", ".join("[" + ", ".join(_num(v) for v in row) + "]" for row in a) + "]"
        flat = ", ".join(_num(v) for v in a.ravel())
        return f"[{flat}]" if a.ndim == 1 else f"[{flat}] as {_shape(a.shape)}"
    if a.size == 0:
        return "empty"
    with np.errstate(all="ignore"):
        lo, mean, hi = a.min(), a.mean(dtype=np.float64), a.max()
        if abs(mean) < 1e-6 * max(abs(lo), abs(hi)):
            mean = 0.0  # round-off around an exact zero (e.g. a softmax layer's weight grads)
        return f"min {_num(lo)} &#183; mean {_num(mean)} &#183; max {_num(hi)}"


def _grad_norm(g):
    a = np.asarray(g, dtype=np.float64)
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.sum(a * a)))


# log10(gradient norm) -> colour: blue (vanishing) ... green (healthy) ... red (exploding)
_RAMP = [(-8.0, (49, 54, 149)), (-5.0, (116, 173, 209)), (-2.5, (171, 217, 233)),
         (-1.0, (166, 217, 106)), (0.5, (254, 224, 139)), (2.0, (244, 109, 67)),
         (4.0, (165, 0, 38))]


def _grad_color(norm):
    if norm is None:
        return None
    if not math.isfinite(norm):
        return "#ff00ff"
    if norm == 0.0:
        return "#bdbdbd"
    x = math.log10(norm)
    if x <= _RAMP[0][0]:
        rgb = _RAMP[0][1]
    elif x >= _RAMP[-1][0]:
        rgb = _RAMP[-1][1]
    else:
        for (x0, c0), (x1, c1) in zip(_RAMP, _RAMP[1:]):
            if x <= x1:
                t = (x - x0) / (x1 - x0)
                rgb = tuple(round(a + t * (b - a)) for a, b in zip(c0, c1))
                break
    return "#%02x%02x%02x" % rgb


@functools.lru_cache(maxsize=None)
def _dtype(dtype):
    return str(dtype)  # numpy's dtype.__str__ is slow enough to matter on 10,000 nodes


@functools.lru_cache(maxsize=256)
def _font_for(fill):
    """White text on dark fills."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 110 else "black"


_GRAD_SLOT = Tensor.__dict__["_grad"]


def _raw_grad(t):
    """The stored gradient: a Tensor, a float (Scalar) or None before any backward (a Scalar's
    ``.grad`` property reads 0.0 then, which the drawing must not show as a gradient)."""
    try:
        return _GRAD_SLOT.__get__(t, type(t))
    except AttributeError:
        return getattr(t, "grad", None)


def _arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _is_parameter(t):
    return any(c.__name__ == "Parameter" for c in type(t).__mro__)


def _is_scalar(t):
    return any(c.__name__ == "Scalar" for c in type(t).__mro__)


# roles of the inputs of ops whose argument order says what they are
_ROLES = {"Linear": ("input", "weight", "bias"), "Conv1d": ("input", "weight", "bias"),
          "Conv2d": ("input", "weight", "bias"), "ConvTranspose2d": ("input", "weight", "bias"),
          "Embedding": ("weight", "indices"), "BatchNorm": ("input", "weight", "bias"),
          "LayerNorm": ("input", "weight", "bias"),
          "LSTMLayer": ("input", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
          "GRULayer": ("input", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
          "RNNLayer": ("input", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
          "CrossEntropy": ("input", "target"), "NLLLoss": ("input", "target")}

# names of the outputs of multi-output ops (PyTorch's names where it has them); others read
# "out 0", "out 1", ...
_OUTPUT_NAMES = {"LSTMLayer": ("output", "h_n", "c_n"), "GRULayer": ("output", "h_n"),
                 "RNNLayer": ("output", "h_n"), "MaxResult": ("values", "indices"),
                 "MinResult": ("values", "indices")}


def _output_name(op, nr):
    names = _OUTPUT_NAMES.get(op)
    if names is not None and nr < len(names):
        return names[nr]
    return f"out {nr}"


# ---------------------------------------------------------------------------------------------
# input checking


def _roots_of(root):
    what = ("draw_graph(root): pass the Tensor (or Scalar) whose graph you want to see, e.g. "
            "draw_graph(loss) or draw_graph(model(x), params=dict(model.named_parameters()))")
    if isinstance(root, Tensor):
        return [root], False
    if isinstance(root, (list, tuple)):
        if not root:
            raise ValueError("draw_graph: got an empty " + type(root).__name__ + "; " + what)
        bad = [type(r).__name__ for r in root if not isinstance(r, Tensor)]
        if bad:
            raise TypeError(f"draw_graph: every root in a {type(root).__name__} must be a Tensor "
                            f"or Scalar (got {', '.join(bad)}); {what}")
        return list(root), True
    if hasattr(root, "named_parameters") and hasattr(root, "forward"):
        raise TypeError(f"draw_graph: got a Module ({type(root).__name__}), but a graph belongs "
                        "to a result, not to a model: run the model and pass its output, e.g. "
                        "out = model(x); draw_graph(out, params=dict(model.named_parameters()))")
    if callable(root):
        name = getattr(root, "__qualname__", None) or getattr(root, "__name__", "")
        raise TypeError(f"draw_graph: got the callable {name or type(root).__name__!s}, not its "
                        "result: call it first (e.g. draw_graph(loss), not "
                        "draw_graph(loss.backward) or draw_graph(model.forward))")
    if isinstance(root, (int, float, complex, np.number, np.ndarray, bool)):
        raise TypeError(f"draw_graph: got a plain {type(root).__name__}, which has no graph; "
                        "compute it from Tensors that require grad, e.g. "
                        "x = ad.tensor(2.0, requires_grad=True); draw_graph(x * x)")
    raise TypeError(f"draw_graph: expected a Tensor, a Scalar or a list/tuple of them, got "
                    f"{type(root).__name__}; {what}")


def _module_types(params):
    """'child/grandchild' -> class name, when ``params`` is a Module (for collapsed boxes)."""
    if params is None or isinstance(params, dict) or not hasattr(params, "named_modules"):
        return {}
    try:
        return {name.replace(".", "/"): type(m).__name__ for name, m in params.named_modules()}
    except Exception:  # a look-alike without the Module walker: boxes just go without types
        return {}


def _param_names(params):
    if params is None:
        return {}
    if hasattr(params, "named_parameters") and not isinstance(params, dict):
        params = params.named_parameters()
    items = params.items() if isinstance(params, dict) else params
    names = {}
    try:
        for item in items:
            name, t = item
            if not isinstance(t, Tensor):
                raise TypeError(f"draw_graph: params[{name!r}] is a {type(t).__name__}, not a "
                                "Tensor")
            names.setdefault(id(t), str(name))
    except (TypeError, ValueError) as e:
        if str(e).startswith("draw_graph"):
            raise
        raise TypeError("draw_graph: params must map names to Tensors, e.g. "
                        "dict(model.named_parameters()) or model.named_parameters() (got "
                        f"{type(params).__name__})") from None
    return names


# ---------------------------------------------------------------------------------------------
# the traversal


class _Graph:
    """The reachable part of the autograd graph, breadth first from the roots.

    Vertices are keyed by ``id``: op nodes by the node, leaves by the leaf Tensor (so a root
    that is itself a leaf and the ``AccumulateGrad`` of the same Tensor are one vertex). The
    first ``max_nodes`` vertices in BFS order are drawn; the rest are only counted.
    """

    def __init__(self, roots, max_nodes):
        limit = max_nodes if max_nodes is not None else math.inf
        obj = self.obj = {}            # key -> Node or leaf Tensor
        index = self.index = {}        # key -> BFS position
        order = self.order = []        # keys in BFS order
        edges = self.edges = []        # (src key, src output nr, dst key, dst input nr)
        out_meta = self.out_meta = {}  # (key, output nr) -> (shape, dtype)
        consumers = self.consumers = {}  # key -> list of consumer keys (drawn edges)
        frontier = self.frontier = set()  # drawn keys with an input that is not drawn
        first_use = self.first_use = {}   # leaf key -> (consumer op name, input nr)
        self.root_keys = []
        self.inputs = set()               # keys of Tensors drawn as inputs (no grad needed)
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
        self.drawn = order[:self.n_drawn]


def _saved_entries(v):
    """(kind, obj, version or output nr, weakref or None) for each array a node saved:
    kind 0 a constant, 1 an input Tensor, 2 an output. Empty once backward freed the node
    (and inside forward, before ``apply`` resolved them)."""
    saved = getattr(v, "_saved", None)
    if saved.__class__ is not list:
        return ()
    return [s for s in saved if isinstance(s, tuple) and len(s) == 4]


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
        for kind, o, extra, ref in _saved_entries(v):
            if kind == 1 and isinstance(o, Tensor) and o.grad_fn is not None:
                known.setdefault((id(o.grad_fn), o._output_nr), o)
            elif kind == 2:
                t = ref() if ref is not None else None
                if t is not None:
                    known[(key, extra)] = t
                else:
                    known.setdefault((key, extra), o)
    return known


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


def draw_graph(root, params=None, show_data=True, show_grad=True, rankdir=None, max_nodes=None,
               collapse=False, grad_color=False, title=None, graph_attr=None, show_saved=False):
    """Draw the graph that produced ``root`` and return it as a ``graphviz.Digraph``.

    Args:
        root: a ``Tensor`` or ``Scalar`` (or a list/tuple of them, drawn as one graph with
            several highlighted roots). Drawing works before and after ``backward()``; after a
            backward that freed the graph, values are shown only for what still holds them
            (the leaves, the root, tensors that retain their grad, such as every Scalar).
        params: names for leaves: a dict ``{name: tensor}`` such as
            ``dict(model.named_parameters())``, an iterable of ``(name, tensor)`` pairs or a
            Module. Unnamed leaves show their ``label`` (Scalars) or their role (``weight``,
            ``bias``, ``input``, ``parameter``, ``leaf``).
        show_data: summarise values: tensors of up to 6 elements in full, larger ones as
            min / mean / max (only where the graph still holds the value).
        show_grad: show gradients of leaves (and of tensors that retain their grad);
            before ``backward()`` they read "no grad yet".
        rankdir: Graphviz layout direction: ``"LR"`` (inputs left), ``"TB"`` (inputs on top),
            ``"RL"``, ``"BT"``, or ``None`` (the default) to choose from the graph's shape:
            ``"LR"`` when the longest path has at most 6 boxes (an expression reads like an
            equation, as in micrograd) or the graph is wider than it is long, else ``"TB"``,
            so that a training step grows downward at the width of one layer and fits a
            notebook cell instead of becoming a strip thousands of pixels wide. (SPEC's
            default was ``"LR"``; ``None`` differs only for graphs deeper than 6.)
        max_nodes: draw only the first ``max_nodes`` nodes breadth first from the root; the rest
            is one "... N more nodes" box.
        collapse: ``True`` (or an int depth) draws each module (name scope recorded by
            ``nn.Module.__call__``) as one box: depth 1 (``True``) gives the children of the
            top-level model, 0 the top-level model itself, 2 the grandchildren.
        grad_color: colour leaves (and edges they feed) by the norm of their gradient on a log
            scale: blue = vanishing, green = healthy, red = exploding, grey = zero, magenta =
            nan/inf. Adds a legend.
        title: a caption under the drawing.
        graph_attr: extra Graphviz graph attributes (e.g. ``{"size": "8,8"}``).
        show_saved: list in each op's box what it saved for backward (as torchviz's
            ``show_saved``): each saved input, output, array or ctx attribute with its shape and
            dtype, and the total size; after a ``backward()`` that released them, "saved:
            freed by backward()".

    What is drawn: every op (``grad_fn``) and every leaf that requires grad; the Tensors that
    need no gradient which a module was called on (the batch; drawn while the user still holds
    them: the graph keeps only weak references to them); ops composed inside one function call
    (``F.leaky_relu``, ``F.binary_cross_entropy_with_logits``, ...) as one box named as the
    user wrote it; under each op, the module that ran it; multi-output ops with named outputs
    (``output``, ``h_n``, ``c_n`` for an LSTM layer). Every op of a ``Scalar`` expression
    shows its data and grad whether or not the user still holds that intermediate Scalar.

    Returns:
        a ``GraphDrawing`` (a ``graphviz.Digraph``): displays inline in Jupyter;
        ``.render("name", format="svg")`` / ``"png"`` / ``"pdf"`` write a file, ``.source`` is
        the DOT text (available even when Graphviz's ``dot`` program is not installed).

    Raises:
        TypeError: ``root`` is not a Tensor/Scalar (a Module, a method, a number...).
    """
    roots, _ = _roots_of(root)
    if max_nodes is not None:
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)):
            raise TypeError(f"draw_graph: max_nodes must be an int or None (got "
                            f"{type(max_nodes).__name__})")
        if max_nodes < 1:
            raise ValueError(f"draw_graph: max_nodes must be at least 1 (got {max_nodes})")
    if collapse is True:
        depth = 1
    elif collapse is False or collapse is None:
        depth = None
    elif isinstance(collapse, (int, np.integer)) and collapse >= 0:
        depth = int(collapse)
    else:
        raise ValueError(f"draw_graph: collapse must be True/False or a depth >= 0 (got "
                         f"{collapse!r})")
    if rankdir not in (None, "LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be None, 'LR', 'RL', 'TB' or 'BT' (got "
                         f"{rankdir!r})")
    names = _param_names(params)
    module_types = _module_types(params)
    scalar_mode = all(_is_scalar(r) for r in roots)

    graph = _Graph(roots, max_nodes)
    known = _known_outputs(graph)
    for r in roots:
        if r.grad_fn is not None:
            known[(id(r.grad_fn), r._output_nr)] = r

    attrs = {"rankdir": rankdir or "LR", "fontname": "Helvetica", "fontsize": "11",
             "nodesep": "0.25", "ranksep": "0.35"}
    if title:
        attrs.update(label=str(title), labelloc="b")
    if graph_attr:
        attrs.update({k: str(v) for k, v in graph_attr.items()})
    dot = GraphDrawing(name="autodiff", graph_attr=attrs,
                       node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "box",
                                  "style": "rounded,filled", "fillcolor": _COLORS["op"],
                                  "margin": "0.08,0.04", "height": "0.3"},
                       edge_attr={"color": "#555555", "arrowsize": "0.6"})
    body = dot.body
    roots_set = set(graph.root_keys)
    obj = graph.obj

    # ---- grouping by module (collapse) ----------------------------------------------------------
    group = {}
    if depth is not None:
        group = _groups(graph, names, depth)
    opgroup, op_exit = _op_groups(graph, group)

    ids = {}                    # key -> DOT node id

    def node_id(key):
        nid = ids.get(key)
        if nid is None:
            nid = ids[key] = f"n{len(ids)}"
        return nid

    leaf_color = {}             # key -> fill colour by grad norm (grad_color)
    box_members = {}
    for key, box in group.items():
        box_members.setdefault(box, []).append(key)

    # ---- vertices -----------------------------------------------------------------------------
    scope_names = _ScopeNames(module_types) if depth is None else None
    op_members = {}
    for k, gid in opgroup.items():
        op_members.setdefault(gid, []).append(k)
    for key in graph.drawn:
        if key in group or (key in opgroup and op_exit[opgroup[key]] != key):
            continue
        v = obj[key]
        is_root = key in roots_set
        if key in opgroup:  # the exit op of a composed op stands for all of it
            members = op_members[opgroup[key]]
            is_root = any(m in roots_set for m in members)
            label, fill = _op_label(v, key, graph, known, show_data, show_grad, scalar_mode,
                                    scope_names, show_saved, members)
        elif isinstance(v, Node):
            label, fill = _op_label(v, key, graph, known, show_data, show_grad, scalar_mode,
                                    scope_names, show_saved)
        else:
            label, fill, gnorm = _leaf_label(v, key, graph, names, show_data, show_grad,
                                             scalar_mode)
            if grad_color:
                c = _grad_color(gnorm)
                if c is not None:
                    fill = c
                    leaf_color[key] = c
        extra = ""
        if is_root:
            if not isinstance(v, Node) or fill == _COLORS["op"]:
                fill = _COLORS["root"] if not leaf_color.get(key) else fill
            extra = ' penwidth="2.5" color="#b45f06"'
        shape = ""
        if scalar_mode:  # the table carries the colour
            shape = ' shape="plain"'
            label = re.sub(r'bgcolor="#\w+"', f'bgcolor="{fill}"', label, count=1)
        font = ""
        if fill.startswith("#") and _font_for(fill) == "white":
            font = ' fontcolor="white"'
        body.append(f'\t{node_id(key)} [label=<{label}> fillcolor="{fill}"{shape}{font}{extra}]\n')

    # boxes are named without the leading scope they all share (the top-level model's class)
    firsts = {b.split("/", 1)[0] for b in box_members}
    strip = len(firsts) == 1
    for box, members in box_members.items():
        label, gnorm, has_params = _box_label(box, members, graph, names, show_grad,
                                              module_types, strip)
        fill = _COLORS["box"] if has_params else _COLORS["op"]
        if grad_color and gnorm is not None:
            fill = _grad_color(gnorm)
        font = ' fontcolor="white"' if _font_for(fill) == "white" else ""
        extra = ""
        if any(m in roots_set for m in members):
            extra = ' penwidth="2.5" color="#b45f06"'
        body.append(f'\t{node_id(("box", box))} [label=<{label}> shape="box3d" '
                    f'style="filled" fillcolor="{fill}"{font}{extra}]\n')

    # ---- edges --------------------------------------------------------------------------------
    def vertex(k):
        if k in group:
            return ("box", group[k])
        if k in opgroup:
            return op_exit[opgroup[k]]
        return k

    seen = set()
    drawn_edges = []
    for src, nr, dst, i in graph.edges:
        a = vertex(src)
        b = vertex(dst)
        if a == b:
            continue
        multi = isinstance(obj[src], Node) and obj[src].n_outputs > 1
        ekey = (a, b, nr if multi else 0)
        if ekey in seen:
            continue
        seen.add(ekey)
        drawn_edges.append((a, b))
        attrs = []
        if isinstance(obj[src], Node) or isinstance(a, tuple):
            attrs.append('weight="8"')  # keep the chain of ops straight; leaves go beside it
        if multi:
            attrs.append(f'label="{_esc(_output_name(_op_name(obj[src]), nr))}" fontsize="9"')
        c = leaf_color.get(src)
        if c is not None:
            attrs.append(f'color="{c}" penwidth="2"')
        body.append(f'\t{node_id(a)} -> {node_id(b)}'
                    + (f' [{" ".join(attrs)}]' if attrs else "") + "\n")

    # ---- truncation marker and legend ----------------------------------------------------------
    hidden = graph.total - graph.n_drawn
    if hidden > 0:
        body.append(f'\tmore [label="... {hidden} more node{"s" if hidden != 1 else ""}" '
                    'shape="plaintext" style="" fontcolor="#666666"]\n')
        targets = sorted({vertex(k) for k in graph.frontier}, key=lambda k: node_id(k))
        for k in targets:
            body.append(f'\tmore -> {node_id(k)} [style="dashed" color="#999999"]\n')
    if grad_color:
        body.append(_legend())
    if rankdir is None and not (graph_attr and "rankdir" in graph_attr):
        dot.graph_attr["rankdir"] = _auto_rankdir(drawn_edges, len(ids))
    return dot


def _auto_rankdir(edges, n_vertices):
    """"LR" for short or wide graphs, "TB" for long ones (see ``draw_graph``'s rankdir)."""
    if n_vertices <= 1:
        return "LR"
    preds = {}
    indeg = {}
    for a, b in edges:
        preds.setdefault(b, []).append(a)
        indeg[a] = indeg.get(a, 0) + 1
        indeg.setdefault(b, 0)
    # longest path, counted from the sinks (the roots), in Kahn order over the reversed edges
    level = {k: 0 for k, d in indeg.items() if d == 0}
    ready = list(level)
    while ready:
        b = ready.pop()
        for a in preds.get(b, ()):
            if level.get(a, -1) < level[b] + 1:
                level[a] = level[b] + 1
            indeg[a] -= 1
            if indeg[a] == 0:
                ready.append(a)
    if not level:
        return "LR"
    length = max(level.values()) + 1
    counts = {}
    for lv in level.values():
        counts[lv] = counts.get(lv, 0) + 1
    width = max(counts.values())
    return "LR" if length <= 6 or width > length else "TB"


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


def _op_scope(scope):
    """The scope up to its outermost op scope (``Net/act/SELU()`` for ``Net/act/SELU()/X()``):
    a composed function calling another one is drawn as the call the user wrote."""
    if not scope or "()" not in scope:
        return None
    parts = scope.split("/")
    for i, p in enumerate(parts):
        if p.endswith("()"):
            return "/".join(parts[:i + 1])
    return None


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


def _op_name(v):
    fn = getattr(type(v), "fn", None)  # the op class (node names are PyTorch's: MulBackward0)
    if fn is not None:
        return fn.__name__
    n = v.name()
    return n[:-8] if n.endswith("Backward") and len(n) > 8 else n


def _grad_tracked(t):
    return isinstance(t, Tensor) and (t._retains_grad or _raw_grad(t) is not None)


def _scalar_record(v):
    """The value/gradient record a Scalar op's node keeps (``autodiff.scalar._Record``)."""
    retained = v.retained
    r = retained.get(0) if retained else None
    return r if r is not None and type(r).__name__ == "_Record" else None


def _op_label(v, key, graph, known, show_data, show_grad, scalar_mode, scope_names, show_saved,
              members=None):
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
                cells.append("grad " + _values(_arr(g)) if g is not None
                             else '<font color="#999999">no grad yet</font>')
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
        for k in (sorted(members, key=graph.index.__getitem__, reverse=True)
                  if members is not None else [key]):
            lines.extend(_saved_lines(graph.obj[k], _op_name(graph.obj[k])
                                      if members is not None and len(members) > 1 else None))
    where = scope_names(_scope_of(v)) if scope_names is not None else None
    if where:
        lines.append(f'<font point-size="9" color="#555555"><i>{_esc(where)}</i></font>')
    return _small(lines), _COLORS["op"]


def _nbytes(n):
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


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


def _saved_lines(v, prefix=None):
    """What node ``v`` saved for backward (``show_saved``), one line per item, in orange."""
    color = "#b45f06"
    head = f"{_esc(prefix)}: " if prefix else ""
    if getattr(v, "_freed", False):
        return [f'<font color="{color}">{head}saved: freed by backward()</font>']
    items = []
    for kind, o, extra, _ in _saved_entries(v):
        if kind == 1:
            i = _input_position(v, o)
            items.append((f"input {i}" if i is not None else "input", o._data))
        elif kind == 2:
            items.append((f"output {extra}" if v.n_outputs > 1 else "output", o))
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
        lines.append(f'<font color="{color}">{head}saved {_esc(what)} {_shape(a.shape)} '
                     f'{_dtype(a.dtype)}</font>')
    lines.append(f'<font color="{color}">{head}saved total {_nbytes(total)}</font>')
    return lines


# node attributes that describe the graph, not what an op saved
_NODE_KEYS = frozenset(("n_outputs", "output_meta", "scope", "stack", "_post_hooks",
                        "pre_hooks", "retained", "materialize_grads", "_const_args",
                        "non_differentiable", "needs_input_grad"))


def _small(lines):
    """First line as is, the rest in a smaller font."""
    head, rest = lines[0], lines[1:]
    if not rest:
        return head
    return head + "<br/>" + "<br/>".join(f'<font point-size="9">{s}</font>' for s in rest)


def _scalar_table(cells, fill):
    tds = "".join(f'<td cellpadding="4">{c}</td>' for c in cells)
    return (f'<table border="0" cellborder="1" cellspacing="0" bgcolor="{fill}">'
            f"<tr>{tds}</tr></table>")


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
            cells.append("grad " + _values(_arr(g)) if g is not None
                         else '<font color="#999999">no grad yet</font>')
        return _scalar_table(cells, fill), fill, gnorm
    lines = [f"<b>{_esc(name)}</b>", f"{_shape(t._data.shape)} {_dtype(t._data.dtype)}"]
    lines.extend(_tensor_lines(t, t, show_data, show_grad, t.requires_grad))
    if not t.requires_grad and not is_input:
        lines.append('<font color="#999999">requires_grad=False: no graph</font>')
    return _small(lines), fill, gnorm


def _scope_of(v):
    d = v.__dict__
    return d.get("scope") if d else None


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
                    group[key] = "/".join(parts[:depth + 1])
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
        lines.append(f"{len(leaves)} param{'s' if len(leaves) != 1 else ''} &#183; "
                     f"{n_values:,} values")
    outs = []
    for src, nr, dst, _ in graph.edges:
        if src in inside and dst not in inside:
            meta = graph.out_meta.get((src, nr))
            if meta is not None and _shape(meta[0]) not in outs:
                outs.append(_shape(meta[0]))
    for k in graph.root_keys:
        if k in inside:
            for (kk, nr), meta in graph.out_meta.items():
                if kk == k and _shape(meta[0]) not in outs:
                    outs.append(_shape(meta[0]))
    if outs:
        lines.append("out " + ", ".join(outs[:3]))
    gnorm = None
    grads = [_raw_grad(obj[k]) for k in leaves]
    if any(g is not None for g in grads):
        gnorm = math.sqrt(sum(_grad_norm(_arr(g)) ** 2 for g in grads if g is not None))
    if leaves and show_grad:
        lines.append(f"grad norm {_num(gnorm)}" if gnorm is not None
                     else '<font color="#777777">grad: no grad yet</font>')
    return _small(lines), gnorm, bool(leaves)


def _legend():
    cells = []
    for x, label in ((-8, "1e-8"), (-6, "1e-6"), (-4, "1e-4"), (-2, "0.01"), (0, "1"),
                     (2, "100"), (4, "1e4")):
        c = _grad_color(10.0 ** x)
        fc = _font_for(c)
        cells.append(f'<td bgcolor="{c}"><font color="{fc}" point-size="9">{label}</font></td>')
    cells.append('<td bgcolor="#bdbdbd"><font point-size="9">0</font></td>')
    cells.append('<td bgcolor="#ff00ff"><font point-size="9">nan/inf</font></td>')
    table = ('<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
             '<tr><td colspan="9"><font point-size="9">gradient norm (log scale): '
             'blue = vanishing, red = exploding</font></td></tr>'
             f'<tr>{"".join(cells)}</tr></table>')
    return f'	legend [label=<{table}> shape="plain" style=""]\n'
