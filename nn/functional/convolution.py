"""Linear and convolution functions (``torch.nn.functional``'s "Linear functions" and
"Convolution functions"): ``linear``, ``conv1d``, ``conv2d``, ``conv_transpose2d``; the
convolutions are the engine's ops (``autodiff.ops.conv``)."""
from __future__ import annotations

import numpy as np

from autodiff.ops._common import _tensor
from autodiff.ops.linalg import products
from autodiff.tensor import Tensor


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: input (*, in_features), weight (out_features, in_features),
    bias (out_features,) -> (*, out_features)."""
    input = _tensor(input, "linear")
    ws = weight._data.shape if isinstance(weight, Tensor) else np.shape(weight)
    if input._data.shape[-1:] != ws[-1:]:
        raise ValueError(f"linear: input of shape {tuple(input.shape)} does not fit weight of "
                         f"shape {tuple(weight.shape)} (last dims must match)")
    bs = None if bias is None else np.shape(bias._data if isinstance(bias, Tensor) else bias)
    if len(ws) != 2 or (bias is not None and bs != ws[:1]):
        out = products.matmul(input, weight.T)
        return out if bias is None else out + bias
    return products.Linear.apply(input, weight, bias)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """input (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k) -> (N, C_out, L_out).
    ``padding``: int, 1-tuple, 'valid' or 'same'."""
    from autodiff.ops.conv import conv1d as _conv1d
    return _conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """input (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kH, kW)
    -> (N, C_out, H_out, W_out). ``padding``: int, 2-tuple, 'valid' or 'same' ('same' is
    asymmetric when the total is odd: the extra on the right, as PyTorch)."""
    from autodiff.ops.conv import conv2d as _conv2d
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """input (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW) -> (N, C_out, H_out, W_out)."""
    from autodiff.ops.conv import conv_transpose2d as _convt
    return _convt(input, weight, bias, stride, padding, output_padding, groups, dilation)
