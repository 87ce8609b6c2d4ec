"""Functional forms of the layers, activations and losses (``import nn.functional as F``)."""
from __future__ import annotations

import autodiff as ad
from autodiff.ops import elementwise as E
from autodiff.ops import linalg as L
from autodiff.tensor import Tensor


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: input (*, in), weight (out, in), bias (out,)."""
    out = L.matmul(input, weight.T)
    return out if bias is None else out + bias


def relu(input, inplace=False):
    return E.relu(input)


def sigmoid(input):
    return E.sigmoid(input)


def tanh(input):
    return E.tanh(input)
