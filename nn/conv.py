"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d`` (PyTorch's parameters,
shapes, initialisation and ``extra_repr``)."""
from __future__ import annotations

from autodiff.ops import _common

from . import functional as F
from .linear import _empty_weight_and_bias, _reset_weight_and_bias
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_channels(name, in_channels, out_channels, groups):
    for arg, v in (("in_channels", in_channels), ("out_channels", out_channels),
                   ("groups", groups)):
        _common.int_arg(v, arg, name)
    if groups <= 0:
        raise ValueError(f"{name}: groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups "
                         f"({groups})")
    if out_channels % groups != 0:
        raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups "
                         f"({groups})")


def _window(name, n, kernel_size, stride, padding, dilation):
    """Checked n-tuples ``(kernel_size, stride, padding, dilation)``; ``padding`` may also be
    "same" or "valid"."""
    kernel_size = _common.positive(_common.int_tuple(kernel_size, n, "kernel_size", name),
                                   "kernel_size", name)
    stride = _common.positive(_common.int_tuple(stride, n, "stride", name), "stride", name)
    dilation = _common.positive(_common.int_tuple(dilation, n, "dilation", name), "dilation",
                                name)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                             "['valid', 'same']")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided "
                             "convolutions")
    else:
        padding = _common.nonnegative(_common.int_tuple(padding, n, "padding", name), "padding",
                                      name)
    return kernel_size, stride, padding, dilation


def _pad_argument(padding, kernel_size, dilation):
    """``F.pad``'s argument for the non-zero padding modes: last dim first, (left, right)
    each ("same": the total padding split with the extra element on the right)."""
    if not isinstance(padding, str):
        return tuple(p for p in reversed(padding) for _ in range(2))
    rev = []
    for d, k in zip(reversed(dilation), reversed(kernel_size)):
        total = d * (k - 1) if padding == "same" else 0
        rev += [total // 2, total - total // 2]
    return tuple(rev)


class _ConvNd(Module):
    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, dtype):
        super().__init__()
        name = type(self).__name__
        _check_channels(name, in_channels, out_channels, groups)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = _window(
            name, self._n, kernel_size, stride, padding, dilation)
        self.transposed = transposed
        self.output_padding = output_padding
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _pad_argument(self.padding, self.kernel_size,
                                                              self.dilation)
        if transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        _empty_weight_and_bias(self, shape, (out_channels,) if bias else None, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_weight_and_bias(self.weight, self.bias)

    def extra_repr(self):
        n = self._n
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv_forward(self, input, fn):
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(input, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)


class Conv1d(_ConvNd):
    """1-D convolution: input (N, C_in, L) -> (N, C_out, L_out); weight
    (out_channels, in_channels/groups, kernel_size)."""

    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, (0,), groups, bias, padding_mode, dtype)

    def forward(self, input):
        return self._conv_forward(input, F.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution: input (N, C_in, H, W) -> (N, C_out, H_out, W_out); weight
    (out_channels, in_channels/groups, kH, kW)."""

    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, (0, 0), groups, bias, padding_mode, dtype)

    def forward(self, input):
        return self._conv_forward(input, F.conv2d)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution: input (N, C_in, H, W) -> (N, C_out, H_out, W_out) with
    H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1; weight
    (in_channels, out_channels/groups, kH, kW). Only padding_mode='zeros' (as PyTorch)."""

    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding strings are not supported")
        output_padding = _common.nonnegative(
            _common.int_tuple(output_padding, 2, "output_padding", type(self).__name__),
            "output_padding", type(self).__name__)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, dtype)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        output_size = list(output_size)[-2:]
        out_pad = []
        for d in range(2):
            in_size = input.shape[d - 2]
            min_size = ((in_size - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            max_size = min_size + self.stride[d] - 1
            if not min_size <= output_size[d] <= max_size:
                raise ValueError(f"ConvTranspose2d: requested an output size of {output_size}, "
                                 f"but valid sizes range from {min_size} to {max_size} (for an "
                                 f"input of {tuple(input.shape)[-2:]})")
            out_pad.append(output_size[d] - min_size)
        return tuple(out_pad)

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)
