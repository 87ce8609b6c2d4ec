"""PyTorch-style ``repr`` of tensors."""
from __future__ import annotations

import numpy as np


def tensor_repr(t):
    a = t.data
    prefix = "tensor("
    if a.dtype.kind == "f":
        body = np.array2string(a, separator=", ", prefix=prefix, precision=4,
                               floatmode="maxprec_equal", threshold=1000, edgeitems=3)
    else:
        body = np.array2string(a, separator=", ", prefix=prefix, threshold=1000, edgeitems=3)
    extras = []
    if a.size > 1000:
        extras.append(f"shape={tuple(a.shape)}")
    if a.dtype not in (np.float32, np.int64, np.bool_) or (a.size == 0):
        extras.append(f"dtype={a.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
