"""``autodiff.autograd``: PyTorch's ``torch.autograd`` spellings.

``grad``, ``backward``, ``Function``, ``gradcheck``, ``gradgradcheck``, the grad modes and
anomaly detection are the engine's own objects (``ad.autograd.grad is ad.grad``);
``autodiff.autograd.functional`` has ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp`` and
``vhp``. ``Variable(t)`` returns ``t`` (PyTorch's old wrapper, kept for old scripts).
"""
from __future__ import annotations

from ..engine import grad
from ..function import Function
from ..grad_mode import (
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from ..gradcheck import gradcheck, gradgradcheck
from . import functional


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` (a Tensor or a sequence) into the leaves'
    ``.grad``, as ``sum(t.backward(g) for t, g in zip(tensors, grad_tensors))`` in one pass."""
    from .. import engine
    from ..tensor import Tensor
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grad_tensors = ([grad_tensors] if isinstance(grad_tensors, Tensor)
                    else [None] * len(tensors) if grad_tensors is None else list(grad_tensors))
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"backward: got {len(grad_tensors)} grad_tensors for "
                           f"{len(tensors)} tensors")
    if len(tensors) == 1 or inputs is not None:
        for t, g in zip(tensors, grad_tensors):
            t.backward(g, retain_graph=True if len(tensors) > 1 else retain_graph,
                       create_graph=create_graph, inputs=inputs)
        return
    seeds = [_seed(t, g) for t, g in zip(tensors, grad_tensors)]
    engine.run_backward(tensors, seeds, create_graph if retain_graph is None else retain_graph,
                        create_graph)


def _seed(tensor, grad):
    """The gradient the backward pass starts from at ``tensor``: ``grad`` as a Tensor of
    ``tensor``'s dtype, or ones when None (for a one-element ``tensor`` only)."""
    import numpy as np

    from ..tensor import Tensor
    if isinstance(grad, Tensor):
        return grad
    if grad is not None:
        return Tensor._make(np.asarray(grad, dtype=tensor._data.dtype))
    if tensor._data.size != 1:
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs "
                           f"(got a tensor of shape {tuple(tensor.shape)})")
    return Tensor._make(np.ones_like(tensor._data))


def Variable(data, requires_grad=False, volatile=False):
    """PyTorch's deprecated ``Variable``: returns the Tensor itself (with ``requires_grad``
    set when asked), as ``Variable`` has been a no-op wrapper since PyTorch 0.4."""
    from ..tensor import Tensor
    t = data if isinstance(data, Tensor) else Tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


__all__ = ["Function", "Variable", "backward", "detect_anomaly", "enable_grad", "functional",
           "grad", "gradcheck", "gradgradcheck", "is_anomaly_enabled", "is_grad_enabled",
           "no_grad", "set_detect_anomaly", "set_grad_enabled"]
