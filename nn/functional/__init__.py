"""Functional forms of the layers, activations and losses (``import autodiff.nn.functional as F``).

Signatures, defaults and semantics follow ``torch.nn.functional``. Convolution, pooling,
softmax/log-softmax and the fused cross-entropy/NLL losses are the engine's ops
(``autodiff.ops.conv``, ``pool``, ``loss``); everything else here is composed from engine ops
(so double backward works); erf, elu, softplus and probability BCE are engine ops too
(``autodiff.ops.elementwise``, ``autodiff.ops.loss``).

This package is the public namespace; the functions live in one module per family, as
torch's documentation groups them:

=================  ========================================================================
module             functions
=================  ========================================================================
``convolution``    linear, conv1d, conv2d, conv_transpose2d
``pooling``        max_pool1d, max_pool2d, avg_pool2d, adaptive_avg_pool1d/2d
``activation``     relu, leaky_relu, elu, selu, gelu, sigmoid, tanh, softplus, silu,
                   logsigmoid, hardtanh, relu6, threshold, prelu, softsign, mish,
                   hardsigmoid, hardswish, softmin, softmax, log_softmax
``dropouts``       dropout, dropout1d, dropout2d
``normalization``  batch_norm, group_norm, layer_norm, normalize
``sparse``         embedding, one_hot
``vision``         pad (interpolate and upsample*: ``autodiff.nn.upsample``)
``distance``       cosine_similarity, pairwise_distance
``loss``           mse_loss, l1_loss, huber_loss, smooth_l1_loss, cross_entropy, nll_loss,
                   binary_cross_entropy(_with_logits), multi_margin_loss, kl_div
=================  ========================================================================

(attention: ``autodiff.nn.attention``.) As in torch, each function's ``__module__`` is this
package (``F.relu.__module__ == "autodiff.nn.functional"``), not the module it is written in.
"""
from __future__ import annotations

from .activation import (
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
    threshold,
)
from .convolution import conv1d, conv2d, conv_transpose2d, linear
from .distance import cosine_similarity, pairwise_distance
from .dropouts import dropout, dropout1d, dropout2d
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm, group_norm, layer_norm, normalize
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from .sparse import embedding, one_hot
from .vision import pad

__all__ = [
    "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool2d",
    "dropout", "softmax", "log_softmax", "batch_norm", "layer_norm", "embedding", "one_hot",
    "pad", "relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "softplus", "silu",
    "logsigmoid", "hardtanh", "relu6", "threshold", "prelu", "softsign", "mish", "hardsigmoid",
    "hardswish", "softmin", "dropout1d", "dropout2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "group_norm", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "multi_margin_loss", "normalize", "cosine_similarity", "pairwise_distance", "kl_div",
]

# the functions' public home is this package, as in torch (``F.relu.__module__`` is
# ``torch.nn.functional``): reprs, pickles and docs name it, not the module of its family
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name

# ---- attention and resizing (nn/attention.py, nn/upsample.py; they import this package) ------
from ..attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402
from ..upsample import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: E402

__all__ += ["scaled_dot_product_attention", "multi_head_attention_forward", "interpolate",
            "upsample", "upsample_nearest", "upsample_bilinear"]
