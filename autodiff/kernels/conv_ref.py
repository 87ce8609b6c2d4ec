"""Convolution geometry and the NumPy reference twins of kernels/conv.py's kernels (a direct
sum over kernel offsets with einsum; ``im2col_ref`` / ``col2im_ref`` unfold into and sum from
the "CNHW" column layout).  kernels/conv.py re-exports every name here."""
import numpy as np

__all__ = ["conv_output_size", "conv2d_forward_ref", "conv2d_backward_input_ref",
           "conv2d_backward_weight_ref", "im2col_ref", "col2im_ref"]


def conv_output_size(size, k, stride, pad_lo, pad_hi, dilation):
    """Output length of a convolution along one axis (PyTorch's formula)."""
    return (size + pad_lo + pad_hi - dilation * (k - 1) - 1) // stride + 1


def _geometry(x_shape, kernel, stride, padding, dilation, out_hw=None):
    """(Ho, Wo, Hp, Wp): output size (from PyTorch's formula unless ``out_hw`` fixes it, as a
    transposed convolution's ``output_padding`` may) and the padded input size."""
    N, C, H, W = x_shape
    kh, kw = kernel
    pt, pb, pl, pr = padding
    if out_hw is None:
        Ho = conv_output_size(H, kh, stride[0], pt, pb, dilation[0])
        Wo = conv_output_size(W, kw, stride[1], pl, pr, dilation[1])
    else:
        Ho, Wo = out_hw
    if Ho <= 0 or Wo <= 0:
        raise ValueError(f"conv: input spatial size {(H, W)} too small for kernel {(kh, kw)} "
                         f"with padding {tuple(padding)} and dilation {tuple(dilation)}")
    Hp = max(H + pt + pb, (Ho - 1) * stride[0] + dilation[0] * (kh - 1) + 1)
    Wp = max(W + pl + pr, (Wo - 1) * stride[1] + dilation[1] * (kw - 1) + 1)
    return Ho, Wo, Hp, Wp


def _window(a, ki, kj, Ho, Wo, stride, dilation):
    (sh, sw), (dh, dw) = stride, dilation
    return a[:, :, ki * dh: ki * dh + sh * (Ho - 1) + 1: sh,
             kj * dw: kj * dw + sw * (Wo - 1) + 1: sw]


def _pad(x, padding, Hp=None, Wp=None):
    pt, pb, pl, pr = padding
    H, W = x.shape[2:]
    pb = pb if Hp is None else Hp - H - pt
    pr = pr if Wp is None else Wp - W - pl
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def conv2d_forward_ref(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                       out_hw=None):
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    Ho, Wo, Hp, Wp = _geometry(x.shape, (kh, kw), stride, padding, dilation, out_hw)
    xp = _pad(x, padding, Hp, Wp)
    Og = O // groups
    out = np.zeros((N, O, Ho, Wo), dtype=np.result_type(x, w))
    for gi in range(groups):
        xs = xp[:, gi * Cg:(gi + 1) * Cg]
        for ki in range(kh):
            for kj in range(kw):
                win = _window(xs, ki, kj, Ho, Wo, stride, dilation)
                out[:, gi * Og:(gi + 1) * Og] += np.einsum(
                    "nchw,oc->nohw", win, w[gi * Og:(gi + 1) * Og, :, ki, kj])
    return out


def conv2d_backward_input_ref(g, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                              dilation=(1, 1), groups=1):
    N, C, H, W = x_shape
    O, Cg, kh, kw = w.shape
    Ho, Wo, Hp, Wp = _geometry(x_shape, (kh, kw), stride, padding, dilation, g.shape[2:])
    pt, pb, pl, pr = padding
    Og = O // groups
    dxp = np.zeros((N, C, Hp, Wp), dtype=np.result_type(g, w))
    for gi in range(groups):
        dxs = dxp[:, gi * Cg:(gi + 1) * Cg]
        for ki in range(kh):
            for kj in range(kw):
                win = _window(dxs, ki, kj, Ho, Wo, stride, dilation)
                win += np.einsum("nohw,oc->nchw", g[:, gi * Og:(gi + 1) * Og],
                                 w[gi * Og:(gi + 1) * Og, :, ki, kj])
    return dxp[:, :, pt:pt + H, pl:pl + W].copy()


def conv2d_backward_weight_ref(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                               dilation=(1, 1), groups=1):
    O, Cg, kh, kw = w_shape
    Ho, Wo, Hp, Wp = _geometry(x.shape, (kh, kw), stride, padding, dilation, g.shape[2:])
    xp = _pad(x, padding, Hp, Wp)
    Og = O // groups
    dw = np.zeros(w_shape, dtype=np.result_type(x, g))
    for gi in range(groups):
        xs = xp[:, gi * Cg:(gi + 1) * Cg]
        for ki in range(kh):
            for kj in range(kw):
                win = _window(xs, ki, kj, Ho, Wo, stride, dilation)
                dw[gi * Og:(gi + 1) * Og, :, ki, kj] = np.einsum(
                    "nchw,nohw->oc", win, g[:, gi * Og:(gi + 1) * Og])
    return dw


def im2col_ref(x, kernel, stride, padding, dilation):
    (kh, kw), (N, C) = kernel, x.shape[:2]
    Ho, Wo = _geometry(x.shape, kernel, stride, padding, dilation)[:2]
    xp = _pad(x, padding)
    cols = np.empty((C, kh, kw, N, Ho, Wo), dtype=x.dtype)
    for ki in range(kh):
        for kj in range(kw):
            cols[:, ki, kj] = _window(xp, ki, kj, Ho, Wo, stride, dilation).transpose(1, 0, 2, 3)
    return cols.reshape(C * kh * kw, N * Ho * Wo)


def col2im_ref(cols, x_shape, kernel, stride, padding, dilation):
    (kh, kw), (N, C, H, W), (pt, pb, pl, pr) = kernel, x_shape, padding
    Ho, Wo = _geometry(x_shape, kernel, stride, padding, dilation)[:2]
    c6 = cols.reshape(C, kh, kw, N, Ho, Wo)
    dxp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=cols.dtype)
    for ki in range(kh):
        for kj in range(kw):
            win = _window(dxp, ki, kj, Ho, Wo, stride, dilation)
            win += c6[:, ki, kj].transpose(1, 0, 2, 3)
    return dxp[:, :, pt:pt + H, pl:pl + W].copy()
