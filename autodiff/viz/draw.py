"""``draw_graph``: checks its arguments, walks the graph and writes the DOT text."""

from __future__ import annotations

import re

import numpy as np

from ..node import Node
from ..tensor import Tensor
from .drawing import GraphDrawing
from .graph import _Graph, _groups, _known_outputs, _op_groups, _op_name, _ScopeNames
from .labels import _box_label, _leaf_label, _op_label, _output_name
from .text import _COLORS, _esc, _font_for, _grad_color, _is_scalar, _legend


def draw_graph(
    root,
    params=None,
    show_data=True,
    show_grad=True,
    rankdir=None,
    max_nodes=None,
    collapse=False,
    grad_color=False,
    title=None,
    graph_attr=None,
    show_saved=False,
):
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
            notebook cell instead of becoming a strip thousands of pixels wide. (``None``
            differs from a fixed ``"LR"`` only for graphs deeper than 6.)
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
    depth = _check_options(max_nodes, collapse, rankdir)
    names = _param_names(params)
    module_types = _module_types(params)
    scalar_mode = all(_is_scalar(r) for r in roots)
    graph = _Graph(roots, max_nodes)
    known = _known_outputs(graph)
    for r in roots:
        if r.grad_fn is not None:
            known[(id(r.grad_fn), r._output_nr)] = r
    scope_names = _ScopeNames(module_types) if depth is None else None

    def label(key, members):
        """``(label, fill, gradient norm or None)`` of op or leaf ``key``; ``members``: the ops
        of the composed op that ``key`` stands for (None for a single op)."""
        v = graph.obj[key]
        if isinstance(v, Node):
            opts = (show_data, show_grad, scalar_mode, scope_names, show_saved, members)
            return (*_op_label(v, key, graph, known, *opts), None)
        return _leaf_label(v, key, graph, names, show_data, show_grad, scalar_mode)

    def box_label(box, members, strip):
        return _box_label(box, members, graph, names, show_grad, module_types, strip)

    dot = _new_drawing(rankdir, title, graph_attr)
    group = _groups(graph, names, depth) if depth is not None else {}
    writer = _DotWriter(dot.body, graph, group, grad_color)
    writer.ops_and_leaves(label, scalar_mode)
    writer.module_boxes(box_label)
    edges = writer.edges()
    writer.truncation_marker()
    if grad_color:
        dot.body.append(_legend())
    if rankdir is None and not (graph_attr and "rankdir" in graph_attr):
        dot.graph_attr["rankdir"] = _auto_rankdir(edges, len(writer.ids))
    return dot


def _check_options(max_nodes, collapse, rankdir):
    """Check ``draw_graph``'s options; return the module depth to collapse (None: none)."""
    if max_nodes is not None:
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)):
            raise TypeError(
                f"draw_graph: max_nodes must be an int or None (got {type(max_nodes).__name__})"
            )
        if max_nodes < 1:
            raise ValueError(f"draw_graph: max_nodes must be at least 1 (got {max_nodes})")
    if collapse is True:
        depth = 1
    elif collapse is False or collapse is None:
        depth = None
    elif isinstance(collapse, (int, np.integer)) and collapse >= 0:
        depth = int(collapse)
    else:
        raise ValueError(
            f"draw_graph: collapse must be True/False or a depth >= 0 (got {collapse!r})"
        )
    if rankdir not in (None, "LR", "RL", "TB", "BT"):
        raise ValueError(
            f"draw_graph: rankdir must be None, 'LR', 'RL', 'TB' or 'BT' (got {rankdir!r})"
        )
    return depth


def _new_drawing(rankdir, title, graph_attr):
    """An empty ``GraphDrawing`` with the drawing's fonts, colours and spacing."""
    attrs = {
        "rankdir": rankdir or "LR",
        "fontname": "Helvetica",
        "fontsize": "11",
        "nodesep": "0.25",
        "ranksep": "0.35",
    }
    if title:
        attrs.update(label=str(title), labelloc="b")
    if graph_attr:
        attrs.update({k: str(v) for k, v in graph_attr.items()})
    return GraphDrawing(
        name="autodiff",
        graph_attr=attrs,
        node_attr={
            "fontname": "Helvetica",
            "fontsize": "11",
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": _COLORS["op"],
            "margin": "0.08,0.04",
            "height": "0.3",
        },
        edge_attr={"color": "#555555", "arrowsize": "0.6"},
    )


_ROOT_PEN = ' penwidth="2.5" color="#b45f06"'


class _DotWriter:
    """Writes the DOT statements of one drawing into ``body``: one node per op and leaf (a
    composed op as its exit op, the members of a collapsed module as its box), the module boxes,
    the edges between what is drawn, and the "... N more nodes" marker. ``ids`` numbers the
    vertices in the order they are first written."""

    def __init__(self, body, graph, group, grad_color):
        self.body, self.graph, self.group, self.grad_color = body, graph, group, grad_color
        self.opgroup, self.op_exit = _op_groups(graph, group)
        self.roots = set(graph.root_keys)
        self.ids = {}  # vertex -> DOT node id
        self.leaf_color = {}  # leaf key -> fill colour by gradient norm (grad_color)

    def node_id(self, vertex):
        nid = self.ids.get(vertex)
        if nid is None:
            nid = self.ids[vertex] = f"n{len(self.ids)}"
        return nid

    def vertex(self, key):
        """What stands for ``key`` in the drawing: its module box, its composed op's exit op,
        or itself."""
        if key in self.group:
            return ("box", self.group[key])
        if key in self.opgroup:
            return self.op_exit[self.opgroup[key]]
        return key

    def ops_and_leaves(self, label, scalar_mode):
        op_members = {}
        for k, gid in self.opgroup.items():
            op_members.setdefault(gid, []).append(k)
        for key in self.graph.drawn:
            if self.vertex(key) != key:
                continue
            v = self.graph.obj[key]
            members = op_members[self.opgroup[key]] if key in self.opgroup else None
            text, fill, gnorm = label(key, members)
            is_root = any(m in self.roots for m in members or (key,))
            if self.grad_color and not isinstance(v, Node):
                c = _grad_color(gnorm)
                if c is not None:
                    fill = self.leaf_color[key] = c
            extra = ""
            if is_root:
                if not isinstance(v, Node) or fill == _COLORS["op"]:
                    fill = _COLORS["root"] if not self.leaf_color.get(key) else fill
                extra = _ROOT_PEN
            shape = ""
            if scalar_mode:  # the table carries the colour
                shape = ' shape="plain"'
                text = re.sub(r'bgcolor="#\w+"', f'bgcolor="{fill}"', text, count=1)
            font = ""
            if fill.startswith("#") and _font_for(fill) == "white":
                font = ' fontcolor="white"'
            self.body.append(
                f'\t{self.node_id(key)} [label=<{text}> fillcolor="{fill}"{shape}{font}{extra}]\n'
            )

    def module_boxes(self, box_label):
        box_members = {}
        for key, box in self.group.items():
            box_members.setdefault(box, []).append(key)
        # boxes are named without the leading scope they all share (the top-level model's class)
        strip = len({b.split("/", 1)[0] for b in box_members}) == 1
        for box, members in box_members.items():
            text, gnorm, has_params = box_label(box, members, strip)
            fill = _COLORS["box"] if has_params else _COLORS["op"]
            if self.grad_color and gnorm is not None:
                fill = _grad_color(gnorm)
            font = ' fontcolor="white"' if _font_for(fill) == "white" else ""
            extra = _ROOT_PEN if any(m in self.roots for m in members) else ""
            self.body.append(
                f'\t{self.node_id(("box", box))} [label=<{text}> shape="box3d" '
                f'style="filled" fillcolor="{fill}"{font}{extra}]\n'
            )

    def edges(self):
        """Write the edges between drawn vertices (one per pair, per output of a multi-output
        op); return them as ``(from, to)`` pairs."""
        obj = self.graph.obj
        seen = set()
        drawn = []
        for src, nr, dst, _ in self.graph.edges:
            a, b = self.vertex(src), self.vertex(dst)
            if a == b:
                continue
            multi = isinstance(obj[src], Node) and obj[src].n_outputs > 1
            ekey = (a, b, nr if multi else 0)
            if ekey in seen:
                continue
            seen.add(ekey)
            drawn.append((a, b))
            attrs = []
            if isinstance(obj[src], Node) or isinstance(a, tuple):
                attrs.append('weight="8"')  # keep the chain of ops straight; leaves go beside it
            if multi:
                attrs.append(f'label="{_esc(_output_name(_op_name(obj[src]), nr))}" fontsize="9"')
            c = self.leaf_color.get(src)
            if c is not None:
                attrs.append(f'color="{c}" penwidth="2"')
            self.body.append(
                f"\t{self.node_id(a)} -> {self.node_id(b)}"
                + (f" [{' '.join(attrs)}]" if attrs else "")
                + "\n"
            )
        return drawn

    def truncation_marker(self):
        """The "... N more nodes" box, with a dashed edge to each vertex it continues."""
        hidden = self.graph.total - self.graph.n_drawn
        if hidden <= 0:
            return
        self.body.append(
            f'\tmore [label="... {hidden} more node{"s" if hidden != 1 else ""}" '
            'shape="plaintext" style="" fontcolor="#666666"]\n'
        )
        targets = sorted({self.vertex(k) for k in self.graph.frontier}, key=self.node_id)
        for k in targets:
            self.body.append(f'\tmore -> {self.node_id(k)} [style="dashed" color="#999999"]\n')


def _roots_of(root):
    what = (
        "draw_graph(root): pass the Tensor (or Scalar) whose graph you want to see, e.g. "
        "draw_graph(loss) or draw_graph(model(x), params=dict(model.named_parameters()))"
    )
    if isinstance(root, Tensor):
        return [root], False
    if isinstance(root, (list, tuple)):
        if not root:
            raise ValueError("draw_graph: got an empty " + type(root).__name__ + "; " + what)
        bad = [type(r).__name__ for r in root if not isinstance(r, Tensor)]
        if bad:
            raise TypeError(
                f"draw_graph: every root in a {type(root).__name__} must be a Tensor "
                f"or Scalar (got {', '.join(bad)}); {what}"
            )
        return list(root), True
    if hasattr(root, "named_parameters") and hasattr(root, "forward"):
        raise TypeError(
            f"draw_graph: got a Module ({type(root).__name__}), but a graph belongs "
            "to a result, not to a model: run the model and pass its output, e.g. "
            "out = model(x); draw_graph(out, params=dict(model.named_parameters()))"
        )
    if callable(root):
        name = getattr(root, "__qualname__", None) or getattr(root, "__name__", "")
        raise TypeError(
            f"draw_graph: got the callable {name or type(root).__name__!s}, not its "
            "result: call it first (e.g. draw_graph(loss), not "
            "draw_graph(loss.backward) or draw_graph(model.forward))"
        )
    if isinstance(root, (int, float, complex, np.number, np.ndarray, bool)):
        raise TypeError(
            f"draw_graph: got a plain {type(root).__name__}, which has no graph; "
            "compute it from Tensors that require grad, e.g. "
            "x = ad.tensor(2.0, requires_grad=True); draw_graph(x * x)"
        )
    raise TypeError(
        f"draw_graph: expected a Tensor, a Scalar or a list/tuple of them, got "
        f"{type(root).__name__}; {what}"
    )


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
                raise TypeError(
                    f"draw_graph: params[{name!r}] is a {type(t).__name__}, not a Tensor"
                )
            names.setdefault(id(t), str(name))
    except (TypeError, ValueError) as e:
        if str(e).startswith("draw_graph"):
            raise
        raise TypeError(
            "draw_graph: params must map names to Tensors, e.g. "
            "dict(model.named_parameters()) or model.named_parameters() (got "
            f"{type(params).__name__})"
        ) from None
    return names


def _auto_rankdir(edges, n_vertices):
    """ "LR" for short or wide graphs, "TB" for long ones (see ``draw_graph``'s rankdir)."""
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
