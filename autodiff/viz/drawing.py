"""``GraphDrawing``, the ``graphviz.Digraph`` that ``draw_graph`` returns, and the error it
raises when Graphviz's ``dot`` program is missing."""

from __future__ import annotations

import graphviz

INSTALL_HINT = (
    "Rendering needs the Graphviz 'dot' program, which was not found on PATH. Install it with "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz` or from https://graphviz.org/download/ . "
    "Without it the graph is still available as DOT text: `.source` or `.save('g.dot')`."
)


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
        return _needs_dot(super().pipe, *args, **kwargs)

    def render(self, *args, **kwargs):
        return _needs_dot(super().render, *args, **kwargs)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFoundError as e:
            return {"text/plain": f"{e}\n\n{self.source}"}


def _needs_dot(run, *args, **kwargs):
    """``run(*args, **kwargs)``, with graphviz's "dot not found" as ``GraphvizNotFoundError``
    (which names the install command)."""
    try:
        return run(*args, **kwargs)
    except graphviz.ExecutableNotFound as e:
        if isinstance(e, GraphvizNotFoundError):
            raise
        raise GraphvizNotFoundError() from e
