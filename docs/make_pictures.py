"""Make the pictures in docs/ (run from anywhere: ``.venv/bin/python docs/make_pictures.py``).

* ``graph.svg``: the computation graph of one training step of a small MLP (4 -> 8 -> 3,
  cross-entropy on a batch of 5), drawn after ``backward()``: every op, the parameters named as
  in ``model.named_parameters()`` with their values and gradients, the loss highlighted.
* ``graph-collapsed.svg``: a LeNet-style CNN's step with each module collapsed into one box,
  coloured by the norm of its parameters' gradient (``collapse=True, grad_color=True``).
* ``graph-scalar.svg``: micrograd's neuron with ``ad.Scalar``: every node shows data and grad.
* ``graph-saved.svg``: a small MLP with LeakyReLU and BCE-with-logits, before ``backward()``,
  with what each op saved for backward (``show_saved=True``).

Needs Graphviz's ``dot``; without it the DOT sources are written instead (``*.dot``).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import autodiff as ad  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from autodiff.viz import GraphvizNotFoundError  # noqa: E402


def mlp_step():
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = ad.randn(5, 4)
    y = ad.tensor([0, 2, 1, 1, 0])
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return ad.draw_graph(loss, params=dict(model.named_parameters()),
                         title="one training step: loss = cross_entropy(model(x), y), "
                               "after loss.backward()")


def cnn_step():
    ad.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    x = ad.rand(16, 1, 8, 8)
    y = ad.randint(0, 10, (16,))
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return ad.draw_graph(loss, params=model, collapse=True, grad_color=True, show_data=False)


def micrograd_neuron():
    """micrograd's neuron o = tanh(x1 w1 + x2 w2 + b); only ``o`` is returned (the
    intermediates live on in its graph). tests/viz/test_viz.py draws it too."""
    x1, x2 = ad.Scalar(2.0, label="x1"), ad.Scalar(0.0, label="x2")
    w1, w2 = ad.Scalar(-3.0, label="w1"), ad.Scalar(1.0, label="w2")
    b = ad.Scalar(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o


def scalar_neuron():
    o = micrograd_neuron()
    o.backward()
    return ad.draw_graph(o)


def saved_step():
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    x = ad.randn(8, 2)
    t = ad.ones(8, 1)
    loss = F.binary_cross_entropy_with_logits(model(x), t)
    return ad.draw_graph(loss, params={"x": x, **dict(model.named_parameters())},
                         show_saved=True, show_data=False)


def main():
    for name, make in (("graph", mlp_step), ("graph-collapsed", cnn_step),
                       ("graph-scalar", scalar_neuron), ("graph-saved", saved_step)):
        g = make()
        path = os.path.join(HERE, name)
        try:
            g.render(path, format="svg", cleanup=True)
            print("wrote", path + ".svg")
        except GraphvizNotFoundError as e:
            g.save(path + ".dot")
            print(f"wrote {path}.dot ({e})")


if __name__ == "__main__":
    main()
