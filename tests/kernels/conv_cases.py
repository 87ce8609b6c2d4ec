"""The random case of a grouped / strided direct-conv test, shared by the kernel tests."""
import numpy as np

from autodiff.kernels import conv as K


def direct_case(c, dtype, seed=0):
    """c = (N, C, O, (H, W), (kh, kw), padding (t, b, l, r), dilation, groups, stride) ->
    ([x, w, g (the output's shape), an input-gradient bias (C,)] in dtype, (stride, padding,
    dilation, groups)), standard normal from ``seed``."""
    N, C, O, hw, k, p, d, g, s = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + hw)
    w = rng.standard_normal((O, C // g) + k)
    gy = rng.standard_normal(K.conv2d_forward_ref(x, w, s, p, d, g).shape)
    bx = rng.standard_normal(C)
    return [a.astype(dtype) for a in (x, w, gy, bx)], (s, p, d, g)
