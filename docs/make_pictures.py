"""Make the pictures in docs/ (run from anywhere: ``.venv/bin/python docs/make_pictures.py``).

* ``graph.svg``: the computation graph of one training step of a small MLP (4 -> 8 -> 3,
  cross-entropy on a batch of 5), drawn after ``backward()``: every op, the parameters named as
  in ``model.named_parameters()`` with their values and gradients, the loss highlighted.
* ``graph-collapsed.svg``: a LeNet-style CNN's step with each module collapsed into one box,
  coloured by the norm of its parameters' gradient (``collapse=True, grad_color=True``).

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
    return ad.draw_graph(loss, params=model, collapse=True, grad_color=True, show_data=False,
                         rankdir="TB")


def main():
    for name, make in (("graph", mlp_step), ("graph-collapsed", cnn_step)):
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
