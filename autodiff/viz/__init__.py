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

from .draw import draw_graph
from .drawing import GraphDrawing, GraphvizNotFoundError

__all__ = ["draw_graph", "GraphDrawing", "GraphvizNotFoundError"]
