"""Attention: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``, with
PyTorch's argument names, parameter names, shapes, masks and initialisation.

Mask conventions differ between the two, exactly as in PyTorch: in
``scaled_dot_product_attention`` a bool ``attn_mask`` is True where attention is *allowed*;
in ``MultiheadAttention`` a bool ``attn_mask`` / ``key_padding_mask`` is True where attention
is *not allowed*. Float masks are added to the attention scores in both.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from autodiff.ops import loss as LS
from autodiff.ops.elementwise import select
from autodiff.ops.linalg import products
from autodiff.ops.reduce import sums
from autodiff.ops.shape import joins, views
from autodiff.ops.shape.rearrange import repeat_interleave
from autodiff.tensor import Tensor

from . import functional as F
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward", "MultiheadAttention"]


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _safe_softmax(scores):
    """Softmax over the last dim; a row whose scores are all -inf gives zeros (PyTorch's
    ``_safe_softmax``, used by scaled_dot_product_attention) instead of NaN."""
    dead = np.all(np.isneginf(scores._data), axis=-1, keepdims=True)
    if not dead.any():
        return LS.softmax(scores, -1)
    safe = select.where(np.broadcast_to(dead, scores.shape), 0.0, scores)
    return select.where(np.broadcast_to(dead, scores.shape), 0.0, LS.softmax(safe, -1))


def _float_mask(mask, dtype, allowed_true, name):
    """A mask as an additive float array: bool masks become 0 / -inf."""
    m = _data(mask)
    if m.dtype == np.bool_:
        blocked = ~m if allowed_true else m
        return Tensor._make(np.where(blocked, -np.inf, 0.0).astype(dtype))
    if m.dtype.kind != "f":
        raise TypeError(f"{name}: only bool and floating types of masks are supported "
                        f"(got {m.dtype})")
    return mask if isinstance(mask, Tensor) else Tensor._make(m.astype(dtype))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """``softmax(query @ key^T * scale + mask) @ value``.

    query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)`` -> ``(..., L, Ev)``.
    ``attn_mask``: bool (True = may attend) or float (added), broadcastable to ``(..., L, S)``.
    ``is_causal``: a top-left aligned lower-triangular mask (not together with attn_mask).
    ``scale``: defaults to ``1/sqrt(E)``. ``dropout_p`` applies dropout to the attention
    weights whenever it is > 0 (pass 0.0 in eval mode, as in PyTorch). ``enable_gqa``: key and
    value may have fewer heads (dim -3) than query; they are repeated to match.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention: {name} must be a Tensor (got "
                            f"{type(t).__name__})")
        if t.ndim < 2:
            raise ValueError(f"scaled_dot_product_attention: {name} must have at least 2 dims "
                             f"(got shape {tuple(t.shape)})")
    Lq, Eq = query.shape[-2:]
    Sk, Ek = key.shape[-2:]
    if Ek != Eq or value.shape[-2] != Sk:
        raise ValueError(f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
                         f"{tuple(key.shape)} and value {tuple(value.shape)} do not fit "
                         "(need query (..., L, E), key (..., S, E), value (..., S, Ev))")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk:
            raise ValueError(f"scaled_dot_product_attention: number of query heads ({hq}) must "
                             f"be a multiple of key/value heads ({hk})")
        key = repeat_interleave(key, hq // hk, -3)
        value = repeat_interleave(value, hq // hk, -3)
    s = 1.0 / math.sqrt(Eq) if scale is None else scale
    scores = products.matmul(query * s, views.transpose(key, -2, -1))
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give either attn_mask or "
                             "is_causal=True, not both")
        causal = np.tril(np.ones((Lq, Sk), dtype=bool))
        scores = scores + _float_mask(causal, scores.dtype, True, "attn_mask")
    elif attn_mask is not None:
        scores = scores + _float_mask(attn_mask, scores.dtype, True, "attn_mask")
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, training=True)
    return products.matmul(weights, value)


def _merge_masks(attn_mask, key_padding_mask, bsz, num_heads, L_, S_, dtype):
    """One additive float mask of shape (N, H, L, S) (or broadcastable), or None."""
    mask = None
    if attn_mask is not None:
        am = _float_mask(attn_mask, dtype, False, "attn_mask")
        if am.ndim == 2:
            if tuple(am.shape) != (L_, S_):
                raise ValueError(f"MultiheadAttention: the shape of the 2D attn_mask is "
                                 f"{tuple(am.shape)}, but should be {(L_, S_)}")
        elif am.ndim == 3:
            if tuple(am.shape) != (bsz * num_heads, L_, S_):
                raise ValueError(f"MultiheadAttention: the shape of the 3D attn_mask is "
                                 f"{tuple(am.shape)}, but should be "
                                 f"{(bsz * num_heads, L_, S_)}")
            am = am.reshape(bsz, num_heads, L_, S_)
        else:
            raise ValueError(f"MultiheadAttention: attn_mask's dimension {am.ndim} is not "
                             "supported")
        mask = am
    if key_padding_mask is not None:
        kp = _float_mask(key_padding_mask, dtype, False, "key_padding_mask")
        if tuple(kp.shape) != (bsz, S_):
            raise ValueError(f"MultiheadAttention: expecting key_padding_mask shape of "
                             f"{(bsz, S_)}, but got {tuple(kp.shape)}")
        kp = kp.reshape(bsz, 1, 1, S_)
        mask = kp if mask is None else mask + kp
    return mask


def _pad_last(mask):
    """Append one zero column (an always-allowed key) to an additive mask."""
    if mask is None:
        return None
    zeros = Tensor._make(np.zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype))
    return joins.cat([mask, zeros], -1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                                 out_proj_bias, training=True, key_padding_mask=None,
                                 need_weights=True, attn_mask=None, use_separate_proj_weight=False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
                                 static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """The functional form of ``MultiheadAttention`` (sequence-first: ``(L, N, E)``, or
    unbatched ``(L, E)``). Returns ``(attn_output, attn_weights or None)``."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not "
                                  "supported")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    # As PyTorch: without a key padding mask and without weights, the hint replaces the mask
    # (attention is causal, top-left aligned, over the keys actually attended to).
    causal = is_causal and key_padding_mask is None and not need_weights
    if causal:
        attn_mask = None
    batched = query.ndim == 3
    if not batched:
        if query.ndim != 2 or key.ndim != 2 or value.ndim != 2:
            raise ValueError(f"MultiheadAttention: query, key and value must all be 2-D "
                             f"(unbatched) or 3-D (got shapes {tuple(query.shape)}, "
                             f"{tuple(key.shape)}, {tuple(value.shape)})")
        query, key, value = (views.unsqueeze(t, 1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = _data(key_padding_mask).reshape(1, -1)
        if attn_mask is not None and _data(attn_mask).ndim == 3:
            attn_mask = _data(attn_mask)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"MultiheadAttention: was expecting embedding dimension of "
                         f"{embed_dim_to_check}, but got {embed_dim} (query shape "
                         f"{tuple(query.shape)})")
    src_len = key.shape[0]
    if key.shape[1] != bsz or value.shape[:2] != key.shape[:2]:
        raise ValueError(f"MultiheadAttention: key {tuple(key.shape)} and value "
                         f"{tuple(value.shape)} do not fit query {tuple(query.shape)}")
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    head_dim = embed_dim // num_heads

    # input projections
    if not use_separate_proj_weight:
        w_q, w_k, w_v = joins.chunk(in_proj_weight, 3, 0)
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = joins.chunk(in_proj_bias, 3, 0)
    q = F.linear(query, w_q, b_q)
    k = F.linear(key, w_k, b_k)
    v = F.linear(value, w_v, b_v)

    dtype = q.dtype
    mask = _merge_masks(attn_mask, key_padding_mask, bsz, num_heads, tgt_len, src_len, dtype)
    if bias_k is not None and bias_v is not None:
        k = joins.cat([k, views.expand(bias_k, (1, bsz, embed_dim))], 0)
        v = joins.cat([v, views.expand(bias_v, (1, bsz, embed_dim))], 0)
        mask = _pad_last(mask)
        src_len += 1

    # (L, N, E) -> (N, H, L, D)
    def heads(t, n):
        return views.permute(views.reshape(t, (n, bsz, num_heads, head_dim)), (1, 2, 0, 3))

    q, k, v = heads(q, tgt_len), heads(k, src_len), heads(v, src_len)
    if add_zero_attn:
        z = Tensor._make(np.zeros((bsz, num_heads, 1, head_dim), dtype=k.dtype))
        k, v = joins.cat([k, z], 2), joins.cat([v, z], 2)
        mask = _pad_last(mask)
        src_len += 1

    if causal:
        mask = _float_mask(np.tril(np.ones((tgt_len, src_len), dtype=bool)), dtype, True,
                           "attn_mask")
    scores = products.matmul(q * math.sqrt(1.0 / head_dim), views.transpose(k, -2, -1))
    if mask is not None:
        scores = scores + mask
    # PyTorch computes the weights it returns with a plain softmax (a fully masked row gives
    # NaN) and otherwise calls scaled_dot_product_attention (that row gives 0).
    weights = LS.softmax(scores, -1) if need_weights else _safe_softmax(scores)
    if dropout_p > 0.0 and training:
        weights = F.dropout(weights, dropout_p, training=True)
    out = products.matmul(weights, v)                                   # (N, H, L, D)
    out = views.reshape(views.permute(out, (2, 0, 1, 3)), (tgt_len, bsz, embed_dim))
    out = F.linear(out, out_proj_weight, out_proj_bias)
    if not batched:
        out = views.squeeze(out, 1)
    if not need_weights:
        return out, None
    w = weights
    if average_attn_weights:
        w = sums.mean(w, 1)                                         # (N, L, S)
    if not batched:
        w = views.squeeze(w, 0)
    return out, w


class MultiheadAttention(Module):
    """Multi-head attention (PyTorch's ``nn.MultiheadAttention``).

    Parameters: ``in_proj_weight (3E, E)`` and ``in_proj_bias (3E,)`` (or ``q_proj_weight``,
    ``k_proj_weight (E, kdim)``, ``v_proj_weight (E, vdim)`` when kdim/vdim differ from E),
    ``out_proj`` (a Linear(E, E)), and with ``add_bias_kv`` ``bias_k``, ``bias_v (1, 1, E)``.
    Inputs are ``(L, N, E)`` (``batch_first=True``: ``(N, L, E)``) or unbatched ``(L, E)``.
    ``forward`` returns ``(attn_output, attn_weights)``; the weights are averaged over heads
    ``(N, L, S)`` unless ``average_attn_weights=False`` ``(N, H, L, S)``, and None when
    ``need_weights=False``. Dropout (probability ``dropout``) acts on the attention weights
    in training mode.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads (got {embed_dim} and "
                             f"{num_heads})")
        dt = np.dtype(np.float32 if dtype is None else dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dt))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dt))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dt))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dt)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, embed_dim), dt))
            self.bias_v = Parameter(np.empty((1, 1, embed_dim), dt))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        if key_padding_mask is not None and attn_mask is not None and \
                _data(key_padding_mask).dtype != _data(attn_mask).dtype:
            warnings.warn("Support for mismatched key_padding_mask and attn_mask is "
                          "deprecated. Use same type for both instead.", stacklevel=3)
        batched = query.ndim == 3
        if self.batch_first and batched:
            query, key, value = (views.transpose(t, 0, 1) for t in (query, key, value))
        out, w = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight,
            self.out_proj.bias, training=self.training, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        if self.batch_first and batched:
            out = views.transpose(out, 0, 1)
        return out, w

    def extra_repr(self):
        return ""
