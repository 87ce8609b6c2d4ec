"""``MLP``: a stack of Linear layers with an activation between them."""
from __future__ import annotations

from .. import activation as A
from ..container import Sequential
from ..dropout import Dropout
from ..linear import Flatten, Linear
from ..module import Module


def _activation(name):
    """An activation module from its name ("relu", "tanh", "sigmoid", "leaky_relu") or class."""
    if not isinstance(name, str):
        return name()
    table = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU",
             "gelu": "GELU", "elu": "ELU"}
    if name not in table:
        raise ValueError(f"unknown activation {name!r} (choose from {sorted(table)})")
    return getattr(A, table[name])()


class MLP(Module):
    """Multi-layer perceptron: ``Flatten``, then ``Linear`` layers of sizes
    ``in_features -> hidden_sizes... -> out_features`` with ``activation`` (and optional
    ``Dropout(dropout)``) after every hidden layer; the output layer is linear (logits).

    Input ``(N, *)`` flattened to ``(N, in_features)``; output ``(N, out_features)``.
    """

    def __init__(self, in_features, hidden_sizes=(128, 64), out_features=10, activation="relu",
                 dropout=0.0):
        super().__init__()
        if isinstance(hidden_sizes, int):
            hidden_sizes = [hidden_sizes]
        self.in_features = in_features
        self.out_features = out_features
        layers = [Flatten()]
        sizes = [in_features, *hidden_sizes]
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [Linear(a, b), _activation(activation)]
            if dropout:
                layers.append(Dropout(dropout))
        layers.append(Linear(sizes[-1], out_features))
        self.net = Sequential(*layers)

    def forward(self, x):
        return self.net(x)
