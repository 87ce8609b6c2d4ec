"""nn: PyTorch-style neural-network layers built on autodiff (``import nn``)."""
from __future__ import annotations

from . import functional, init
from .container import ModuleDict, ModuleList, Sequential
from .linear import Flatten, Identity, Linear, Unflatten
from .module import Module
from .parameter import Buffer, Parameter
