"""Sparse functions: ``embedding`` and ``one_hot``."""
from __future__ import annotations

import numpy as np

from autodiff.grad_mode import no_grad
from autodiff.ops.elementwise import select
from autodiff.tensor import Tensor


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input`` (*) -> (*, dim).

    The ``padding_idx`` row gets no gradient. ``max_norm`` renormalises, in place, the rows
    looked up whose ``norm_type``-norm exceeds it (as PyTorch).
    """
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {idx.dtype}")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):  # no negatives, as PyTorch
        raise IndexError(f"embedding: index out of range (indices span [{idx.min()}, "
                         f"{idx.max()}], weight has {num} rows)")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        with no_grad():
            w = weight._data
            rows = np.unique(idx)
            norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
            big = norms > max_norm
            if big.any():
                r = rows[big]
                w[r] = w[r] * (max_norm / (norms[big] + 1e-7))[:, None]
                weight._version += 1
    out = weight[idx]
    if padding_idx is not None and (idx == padding_idx).any():
        keep = (idx != padding_idx)[..., None]
        out = select.where(keep, out, out.detach())
    return out


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*, num_classes) with a one at each index of ``tensor``."""
    idx = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensor (got dtype {idx.dtype})")
    if idx.size and idx.min() < 0:
        raise ValueError("one_hot: class values must be non-negative")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {int(idx.max())}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._make(out)
