"""Gradient utilities: ``clip_grad_norm_``, ``clip_grad_value_``, ``parameters_to_vector``,
``vector_to_parameters``, and ``grad_norms`` (each parameter's gradient norm by name)."""
from __future__ import annotations

import math

import numpy as np

from autodiff.ops.shape import joins
from autodiff.tensor import Tensor


def _params(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _scale_grad_(p, factor):
    g = p.grad._data
    if g.flags.writeable:
        np.multiply(g, factor, out=g, casting="unsafe")
    else:
        p.grad = Tensor._make((g * factor).astype(g.dtype))


def _norm(a, norm_type):
    a = np.abs(a.astype(np.float64, copy=False)).ravel()
    if a.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(a.max())
    if norm_type == -math.inf:
        return float(a.min())
    if norm_type == 0:
        return float(np.count_nonzero(a))
    if norm_type == 2:
        return float(np.sqrt(np.dot(a, a)))
    return float(np.sum(a ** norm_type) ** (1.0 / norm_type))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm`` (coefficient ``max_norm / (total + 1e-6)``, clamped to 1, as PyTorch).
    Returns the total norm before clipping as a 0-d Tensor."""
    params = [p for p in _params(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not params:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    dtype = params[0].grad._data.dtype
    norms = [_norm(p.grad._data, norm_type) for p in params]
    total = _norm(np.array(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    coef = float(max_norm) / (total + 1e-6)
    if not math.isnan(coef):
        coef = min(coef, 1.0)
    if coef != 1.0:
        for p in params:
            _scale_grad_(p, coef)
    return Tensor._make(np.array(total, dtype=dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _params(parameters):
        if p.grad is None:
            continue
        g = p.grad._data
        if g.flags.writeable:
            np.clip(g, -clip_value, clip_value, out=g)
        else:
            p.grad = Tensor._make(np.clip(g, -clip_value, clip_value))


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D Tensor (differentiable)."""
    return joins.cat([p.reshape(-1) for p in _params(parameters)], 0)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    params = _params(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector_to_parameters: vector of shape {tuple(vec.shape)} does not "
                         f"match the parameters' {total} elements")
    pointer = 0
    for p in params:
        n = p.numel()
        p._data[...] = vec._data[pointer:pointer + n].reshape(p.shape)
        p._version += 1
        pointer += n


def grad_norms(model, norm_type=2.0):
    """``{name: norm of that parameter's gradient}`` (a Python float) for every parameter of
    ``model`` that has a gradient: watch gradients vanish or explode layer by layer."""
    return {name: _norm(p.grad._data, float(norm_type))
            for name, p in model.named_parameters() if p.grad is not None}


# ---- submodules (PyTorch's torch.nn.utils layout) --------------------------------------------
from . import parametrizations, parametrize, rnn  # noqa: E402
from .weight_norm import remove_weight_norm, weight_norm  # noqa: E402
