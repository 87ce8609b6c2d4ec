"""Convolutions: conv1d, conv2d, conv_transpose2d.

Three ops close over each other under differentiation, so gradients of any order work:

* ``Conv2d(x, w)``               out = x (*) w              (cross-correlation)
* ``ConvBackwardInput(g, w)``    gx = "x-gradient of conv"   (= transposed convolution)
* ``ConvBackwardWeight(x, g)``   gw = "w-gradient of conv"

All three are bilinear and share one identity, <gy, conv(x, w)> = <bwd_input(gy, w), x> =
<bwd_weight(x, gy), w>, from which each backward below is read off.  The numerical work is
in ``autodiff.kernels.conv_algo``, which picks im2col or Winograd per shape.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import grad_mode as _grad_mode
from ..function import Op
from ..kernels import conv_algo as A
from . import _common as C
from .shape import views as S

__all__ = ["Conv2d", "ConvBackwardInput", "ConvBackwardWeight", "conv1d", "conv2d",
           "conv_transpose1d", "conv_transpose2d"]

# stride (sh, sw), padding (top, bottom, left, right), dilation (dh, dw), groups,
# out_hw: fixed output size of the forward conv or None (PyTorch's formula)
Geometry = namedtuple("Geometry", "stride padding dilation groups out_hw")


class _Memo:
    """Results shared by the ops of one backward pass (``conv_algo``'s ``memo``): g's
    transformed layout by both gradients of a conv, the transformed input by the ops that
    convolve the same array, a weight gradient computed in the other op's pass
    (``weight_input``, ``weight_grad``: see conv_algo).  Holds the arrays it was given, so
    identity stays a valid key."""

    __slots__ = ("entries", "weight_input", "weight_grad", "bias_grad")

    def __init__(self, weight_input=None, weight_grad=None, bias_grad=False):
        self.entries = []
        self.weight_input = weight_input
        self.weight_grad = weight_grad
        self.bias_grad = bias_grad  # a weight gradient's pass may store g's sum (tag "db")

    def found(self, arr, tag):
        """The value stored for (arr, tag), or None."""
        return next((v for a, t, v in self.entries if a is arr and t == tag), None)

    def __call__(self, arr, tag, make):
        for a, t, value in self.entries:
            if a is arr and t == tag:
                return value
        value = make()
        self.entries.append((arr, tag, value))
        return value


def _save(ctx, a, b, geom):
    """a, b cast to one dtype, saved on ``ctx`` with the geometry."""
    dt = np.result_type(a, b)
    a, b = (t if t.dtype == dt else t.astype(dt) for t in (a, b))
    ctx.geom = geom
    ctx.save_for_backward(a, b)
    return a, b


def _saved(ctx, grad_index=None):
    """(a, b, needs_input_grad, geometry) of an op's backward; the geometry's out_hw is fixed
    to the spatial size of saved tensor ``grad_index`` (a conv's output gradient) if given."""
    saved = ctx.saved_tensors
    geom = ctx.geom
    if grad_index is not None:
        geom = geom._replace(out_hw=tuple(saved[grad_index].shape[2:]))
    return (*saved, ctx.needs_input_grad, geom)


class _ChannelSum(Op):
    """out (C,) = g (N, C, H, W) summed over N, H, W (a conv's bias gradient): rows first,
    then each channel's contiguous run (0.04 ms against 0.16-0.19 for np.sum over axes
    (0, 2, 3) of bench/conv.py's (64, 64, 7, 7) float32 gradient); d/dg = gg broadcast"""

    @staticmethod
    def forward(ctx, g):
        ctx.shape = N, C, H, W = g.shape
        return g.reshape(N, C * H * W).sum(0).reshape(C, H * W).sum(1)

    @staticmethod
    def backward(ctx, gg):
        return S.expand(S.reshape(gg, (1, -1, 1, 1)), ctx.shape)


class Conv2d(Op):
    """out = x (*) w + b:  x (N, C, H, W), w (O, C/groups, kh, kw), b (O,) or None;
    dx = ConvBackwardInput(g, w), dw = ConvBackwardWeight(x, g), db = sum of g over N, H, W"""

    @staticmethod
    def forward(ctx, x, w, b, geom, keep=False, memo=None):
        x, w = _save(ctx, x, w, geom)
        out, saved = A.forward(x, w, geom, bias=b, keep=keep, memo=memo)
        if keep:
            ctx.kept = saved  # reused by the weight gradient (columns or transformed input)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, w, needs, geom = _saved(ctx)
        kept = ctx.__dict__.get("kept")
        # both gradients: the input gradient's pass computes the weight gradient too
        want_b = len(needs) > 2 and needs[2]
        # without create_graph the bias gradient may come from the weight gradient's pass
        memo = _Memo(weight_input=(x._data, kept) if needs[0] and needs[1] else None,
                     bias_grad=want_b and not _grad_mode.is_grad_enabled())
        gx = gw = gb = None
        if needs[0]:
            gx = ConvBackwardInput.apply(grad_out, w, x.shape, geom, memo)
        if needs[1]:
            gw = ConvBackwardWeight.apply(x, grad_out, w.shape, geom, memo, kept)
        if want_b:  # from the direct weight gradient's pass, else summed here
            gb = memo.found(grad_out._data, "db")
            gb = _ChannelSum.apply(grad_out) if gb is None else gb
        return gx, gw, gb, None, None, None


class ConvBackwardInput(Op):
    """gx = conv2d's input gradient for g (N, O, Ho, Wo), w -> x_shape (a transposed conv),
    plus b (C,) if given; d/dg = Conv2d(gg, w), d/dw = ConvBackwardWeight(gg, g),
    d/db = sum of gg over N, H, W"""

    @staticmethod
    def forward(ctx, g, w, x_shape, geom, memo=None, b=None):
        g, w = _save(ctx, g, w, geom)
        return A.backward_input(g, w, tuple(x_shape), geom, memo, b)

    @staticmethod
    def backward(ctx, gg):
        g, w, needs, geom = _saved(ctx, 0)
        # both convolve gg: one im2col pass computes both (or one Winograd transform of gg)
        memo = _Memo(weight_grad=g._data if needs[0] and needs[1] else None)
        dg = Conv2d.apply(gg, w, None, geom, False, memo) if needs[0] else None
        dw = ConvBackwardWeight.apply(gg, g, w.shape, geom, memo) if needs[1] else None
        db = _ChannelSum.apply(gg) if len(needs) > 5 and needs[5] else None
        return dg, dw, None, None, None, db


class ConvBackwardWeight(Op):
    """gw = conv2d's weight gradient for x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape;
    d/dx = ConvBackwardInput(g, gg), d/dg = Conv2d(x, gg)"""

    @staticmethod
    def forward(ctx, x, g, w_shape, geom, memo=None, kept=None):
        x, g = _save(ctx, x, g, geom)
        return A.backward_weight(x, g, tuple(w_shape), geom, memo, kept)

    @staticmethod
    def backward(ctx, gg):
        x, g, needs, geom = _saved(ctx, 1)
        dx = ConvBackwardInput.apply(g, gg, x.shape, geom) if needs[0] else None
        dg = Conv2d.apply(x, gg, None, geom) if needs[1] else None
        return dx, dg, None, None, None, None


# --------------------------------------------------------------------------- functional forms


def _as_tensor(t, name, op):
    return C.float_input(C.tensor_arg(t, name, op), op, ints=True)


def _padding(padding, kernel, dilation, stride, name):
    """Normalise padding to (top, bottom, left, right) for a 2-D conv."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                         "'valid' or 'same'")
    ph, pw = C.nonnegative(C.int_tuple(padding, 2, "padding", name, True), "padding", name)
    return (ph, ph, pw, pw)


def _geometry_args(op, n, stride, dilation, groups):
    """Checked (stride, dilation, groups) of an n-D conv."""
    stride = C.positive(C.int_tuple(stride, n, "stride", op, True), "stride", op)
    dilation = C.positive(C.int_tuple(dilation, n, "dilation", op, True), "dilation", op)
    groups = C.positive((C.int_arg(groups, "groups", op),), "groups", op)[0]
    return stride, dilation, groups


def _check_conv(x, w, b, name, dims):
    if x.ndim != dims + 2:
        raise ValueError(f"{name}: expected a {dims + 2}-D input (batched) or {dims + 1}-D "
                         f"(unbatched), got shape {tuple(x.shape)}")
    if w.ndim != dims + 2:
        raise ValueError(f"{name}: expected a {dims + 2}-D weight, got shape {tuple(w.shape)}")
    if 0 in w.shape:
        raise ValueError(f"{name}: weight of shape {tuple(w.shape)} has a zero-size dimension")
    if b is not None and (b.ndim != 1):
        raise ValueError(f"{name}: bias must be 1-D, got shape {tuple(b.shape)}")
    if 0 in x.shape[2:] and x.shape[0] and x.shape[1]:   # torch's rule
        raise ValueError(f"{name}: an input with an empty spatial dim needs a zero batch or "
                         f"zero channels, got shape {tuple(x.shape)}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, PyTorch's ``conv2d``.

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw); bias (O,) or None;
    padding an int, a pair, ``'same'`` or ``'valid'``.  Returns (N, O, Ho, Wo).
    """
    x = _as_tensor(input, "input", "conv2d")
    w = _as_tensor(weight, "weight", "conv2d")
    b = None if bias is None else _as_tensor(bias, "bias", "conv2d")
    stride, dilation, groups = _geometry_args("conv2d", 2, stride, dilation, groups)
    if C.is_half(x, w, b):  # computed in float32
        return C.back_to_half(conv2d(*C.to_float32(x, w, b), stride, padding, dilation, groups))
    unbatched = x.ndim == 3
    if unbatched:
        x = S.unsqueeze(x, 0)
    _check_conv(x, w, b, "conv2d", 2)
    kernel = tuple(w.shape[2:])
    pads = _padding(padding, kernel, dilation, stride, "conv2d")
    if x.shape[1] != w.shape[1] * groups or w.shape[0] % groups:
        raise ValueError(f"conv2d: input shape {tuple(x.shape)} and weight shape "
                         f"{tuple(w.shape)} do not fit with groups={groups} (expected "
                         f"{w.shape[1] * groups} input channels)")
    if b is not None and b.shape[0] != w.shape[0]:
        raise ValueError(f"conv2d: bias shape {tuple(b.shape)} does not fit weight shape "
                         f"{tuple(w.shape)}")
    geom = Geometry(stride, pads, dilation, groups, None)
    keep = _grad_mode.is_grad_enabled() and w.requires_grad
    out = Conv2d.apply(x, w, b, geom, keep)
    return S.squeeze(out, 0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, PyTorch's ``conv1d``: input (N, C, L) or (C, L),
    weight (O, C/groups, k), bias (O,) or None -> (N, O, Lo)."""
    x = _as_tensor(input, "input", "conv1d")
    w = _as_tensor(weight, "weight", "conv1d")
    (stride,), (dilation,), groups = _geometry_args("conv1d", 1, stride, dilation, groups)
    unbatched = x.ndim == 2
    if unbatched:
        x = S.unsqueeze(x, 0)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(f"conv1d: expected input (N, C, L) and weight (O, C/groups, k), got "
                         f"shapes {tuple(x.shape)} and {tuple(w.shape)}")
    if isinstance(padding, str):
        pad2 = padding
    else:
        pad2 = (0, C.nonnegative(C.int_tuple(padding, 1, "padding", "conv1d"), "padding",
                                 "conv1d")[0])
    out = conv2d(S.unsqueeze(x, 2), S.unsqueeze(w, 2), bias, (1, stride), pad2, (1, dilation),
                 groups)
    out = S.squeeze(out, 2)
    return S.squeeze(out, 0) if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution, PyTorch's ``conv_transpose2d``.

    input (N, C_in, H, W) or unbatched; weight (C_in, C_out/groups, kh, kw); bias (C_out,).
    Output size ``(H - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1``.
    """
    op = "conv_transpose2d"
    x = _as_tensor(input, "input", op)
    w = _as_tensor(weight, "weight", op)
    b = None if bias is None else _as_tensor(bias, "bias", op)
    stride, dilation, groups = _geometry_args(op, 2, stride, dilation, groups)
    ph, pw = C.nonnegative(C.int_tuple(padding, 2, "padding", op, True), "padding", op)
    oph, opw = C.nonnegative(C.int_tuple(output_padding, 2, "output_padding", op, True),
                             "output_padding", op)
    if C.is_half(x, w, b):  # computed in float32
        return C.back_to_half(conv_transpose2d(*C.to_float32(x, w, b), stride, (ph, pw),
                                               (oph, opw), groups, dilation))
    unbatched = x.ndim == 3
    if unbatched:
        x = S.unsqueeze(x, 0)
    _check_conv(x, w, b, op, 2)
    if x.shape[1] != w.shape[0] or w.shape[0] % groups:
        raise ValueError(f"conv_transpose2d: input shape {tuple(x.shape)} and weight shape "
                         f"{tuple(w.shape)} do not fit with groups={groups}")
    for op_, s_, d_ in ((oph, stride[0], dilation[0]), (opw, stride[1], dilation[1])):
        if not (op_ < s_ or op_ < d_) or op_ < 0:
            raise ValueError("conv_transpose2d: output padding must be smaller than either "
                             f"stride or dilation (got output_padding {(oph, opw)}, stride "
                             f"{stride}, dilation {dilation})")
    N, _, H, W = x.shape
    kh, kw = w.shape[2:]
    C_out = w.shape[1] * groups
    Ho = (H - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1
    Wo = (W - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1
    if min(Ho, Wo) < 0 or min(Ho, Wo) == 0 and x._data.size:
        raise ValueError(f"conv_transpose2d: output size {(Ho, Wo)} is too small")
    if b is not None and b.shape[0] != C_out:
        raise ValueError(f"conv_transpose2d: bias shape {tuple(b.shape)} does not fit "
                         f"{C_out} output channels")
    geom = Geometry(stride, (ph, ph, pw, pw), dilation, groups, (H, W))
    if not Ho * Wo:  # an empty batch of empty images, as torch (zero gradients)
        out = ((x.sum() + w.sum()) * 0.0).expand(N, C_out, Ho, Wo)
        if b is not None:
            out = out + S.reshape(b, (1, C_out, 1, 1))
    else:
        out = ConvBackwardInput.apply(x, w, (N, C_out, Ho, Wo), geom, None, b)
    return S.squeeze(out, 0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution: input (N, C_in, L), weight (C_in, C_out/groups, k)."""
    op = "conv_transpose1d"
    x = _as_tensor(input, "input", op)
    w = _as_tensor(weight, "weight", op)
    (stride,), (dilation,), groups = _geometry_args(op, 1, stride, dilation, groups)
    (padding,) = C.nonnegative(C.int_tuple(padding, 1, "padding", op), "padding", op)
    (out_pad,) = C.nonnegative(C.int_tuple(output_padding, 1, "output_padding", op),
                               "output_padding", op)
    unbatched = x.ndim == 2
    if unbatched:
        x = S.unsqueeze(x, 0)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(f"{op}: expected input (N, C_in, L) and weight (C_in, C_out/groups, k), "
                         f"got shapes {tuple(x.shape)} and {tuple(w.shape)}")
    out = conv_transpose2d(S.unsqueeze(x, 2), S.unsqueeze(w, 2), bias, (1, stride),
                           (0, padding), (0, out_pad), groups, (1, dilation))
    out = S.squeeze(out, 2)
    return S.squeeze(out, 0) if unbatched else out
