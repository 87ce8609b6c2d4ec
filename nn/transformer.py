"""The Transformer (Vaswani et al., 2017) as PyTorch's ``nn.Transformer``,
``nn.TransformerEncoder(Layer)`` and ``nn.TransformerDecoder(Layer)``: the same constructor
arguments and defaults, forward arguments, masks, parameter names, shapes and
initialisation, so a ``state_dict`` exchanged as arrays loads either way and gives the same
outputs. Built on ``nn.MultiheadAttention``.

Masks follow ``MultiheadAttention``: a bool ``*_mask`` / ``*_key_padding_mask`` is True where
attention is *not* allowed; a float mask is added to the attention scores
(``Transformer.generate_square_subsequent_mask(sz)`` gives 0 on and below the diagonal and
-inf above it).

Where we differ: PyTorch's inference fast paths are fused kernels and nested tensors. Their
results are reproduced where they differ from the plain path in a way a user sees (in
``TransformerEncoder``, positions marked by ``src_key_padding_mask`` come out as 0 before the
final norm when PyTorch would take its nested-tensor path: eval mode, no grad, ``batch_first``
and a left-aligned padding mask); the warning PyTorch gives when ``enable_nested_tensor`` cannot
be used is not given (there is no fast path to miss here).
"""
from __future__ import annotations

import copy
import warnings

import numpy as np

from autodiff import grad_mode
from autodiff.creation import get_default_dtype
from autodiff.ops.elementwise import select
from autodiff.tensor import Tensor

from . import functional as F
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .init import xavier_uniform_
from .linear import Linear
from .module import Module
from .norm import LayerNorm

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    dt = np.dtype(get_default_dtype() if dtype is None else dtype)
    return Tensor._make(np.triu(np.full((sz, sz), -np.inf, dtype=dt), 1))


def _array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask as an additive float mask of ``target_type`` (True -> -inf); a float mask
    as given (PyTorch's ``F._canonical_mask``)."""
    if mask is None:
        return None
    m = _array(mask)
    if m.dtype != np.bool_ and m.dtype.kind != "f":
        raise TypeError(f"only bool and floating types of {mask_name} are supported "
                        f"(got {m.dtype})")
    if check_other and other_type is not None and m.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if m.dtype == np.bool_:
        return Tensor._make(np.where(m, -np.inf, 0.0).astype(target_type))
    return mask if isinstance(mask, Tensor) else Tensor._make(m)


def _dtype_or_none(mask):
    return None if mask is None else _array(mask).dtype


def _get_seq_len(src, batch_first):
    if src.ndim == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """``is_causal`` as given, or (when None) whether ``mask`` equals the float causal mask of
    ``size`` (PyTorch's ``_detect_is_causal_mask``)."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        m = _array(mask)
        sz = size if size is not None else m.shape[-2]
        causal = np.triu(np.full((sz, sz), -np.inf), 1)
        make_causal = m.shape == causal.shape and bool(np.all(m == causal))
    return make_causal


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _get_clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class Transformer(Module):
    """An encoder-decoder Transformer (PyTorch's ``nn.Transformer``).

    ``src (S, N, E)``, ``tgt (T, N, E)`` (``batch_first=True``: ``(N, S, E)``, ``(N, T, E)``;
    unbatched ``(S, E)``, ``(T, E)``) -> ``(T, N, E)``. Masks: ``src_mask (S, S)`` or
    ``(N*nhead, S, S)``, ``tgt_mask (T, T)``, ``memory_mask (T, S)``; key padding masks
    ``(N, S)``, ``(N, T)``, ``(N, S)``. The ``*_is_causal`` flags are hints that the given mask
    is causal (they do not replace the mask). Parameters with more than one dimension are
    initialised with ``xavier_uniform_``, as in PyTorch.
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        factory = dict(device=device, dtype=dtype)

        def stack(layer_class, stack_class, num_layers):
            layer = layer_class(d_model, nhead, dim_feedforward, dropout, activation,
                                layer_norm_eps, batch_first, norm_first, bias, **factory)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            return stack_class(layer, num_layers, norm)

        self.encoder = (custom_encoder if custom_encoder is not None else
                        stack(TransformerEncoderLayer, TransformerEncoder, num_encoder_layers))
        self.decoder = (custom_decoder if custom_decoder is not None else
                        stack(TransformerDecoderLayer, TransformerDecoder, num_decoder_layers))
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        is_batched = src.ndim == 3
        batch_dim = 0 if self.batch_first else 1
        if is_batched and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """A float ``(sz, sz)`` mask: 0 on and below the diagonal, -inf above (position i may
        attend to positions <= i). ``dtype`` defaults to the default dtype."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                xavier_uniform_(p)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer``, then ``norm`` if given.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)``. With
    ``enable_nested_tensor`` (and a layer PyTorch's fast path accepts), in eval mode without
    grad, positions padded by a left-aligned ``src_key_padding_mask`` give 0 (before ``norm``),
    as PyTorch's nested-tensor path does.
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor and _nested_path_allowed(encoder_layer)
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _dtype_or_none(mask), "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        first = self.layers[0]
        padded = self._nested_padding(src, mask, src_key_padding_mask, first)
        seq_len = _get_seq_len(src, first.self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal,
                         src_key_padding_mask=src_key_padding_mask)
        if padded is not None:
            output = select.where(np.broadcast_to(padded, output.shape), 0.0, output)
        if self.norm is not None:
            output = self.norm(output)
        return output

    def _nested_padding(self, src, mask, key_padding_mask, first):
        """Where PyTorch would run on a nested tensor: the (N, S, 1) bool array of padded
        positions (its output there is 0); else None."""
        if (not getattr(self, "use_nested_tensor", False) or first.training or src.ndim != 3
                or key_padding_mask is None or mask is not None):
            return None
        pad = _array(key_padding_mask) != 0
        keep = ~pad
        # left-aligned: every row is kept positions, then padded ones
        if getattr(self, "mask_check", True) and not np.all(keep[:, :-1] | ~keep[:, 1:]):
            return None
        attn = first.self_attn
        args = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                attn.out_proj.bias, first.norm1.weight, first.norm1.bias, first.norm2.weight,
                first.norm2.bias, first.linear1.weight, first.linear1.bias,
                first.linear2.weight, first.linear2.bias)
        if grad_mode.is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad
                                            for t in args):
            return None
        return pad[:, :, None]


def _nested_path_allowed(layer):
    """Whether PyTorch's TransformerEncoder would use nested tensors with this layer."""
    return (isinstance(layer, TransformerEncoderLayer) and not layer.norm_first
            and layer.self_attn.batch_first and layer.self_attn._qkv_same_embed_dim
            and layer.self_attn.in_proj_bias is not None and bool(layer.activation_relu_or_gelu)
            and layer.norm1.eps == layer.norm2.eps and layer.self_attn.num_heads % 2 == 0)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` deep copies of ``decoder_layer``, then ``norm`` if given.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)``.
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        output = tgt
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: the feed-forward block (``linear1``,
    ``dropout``, ``linear2``), a ``norm<i>`` and a ``dropout<i>`` per residual block, and the
    self-attention block."""

    def _init_blocks(self, num_blocks, d_model, dim_feedforward, dropout, activation,
                     layer_norm_eps, bias, factory):
        """Create the feed-forward block, then ``norm1``.. and ``dropout1``.. (PyTorch's
        order: the parameters are initialised, and listed, in the same order)."""
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        for i in range(1, num_blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                **factory))
        for i in range(1, num_blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        self.activation = activation

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _feed_forward(self, x):
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward block, each with dropout, a residual connection and
    a LayerNorm (after the residual, or before the block with ``norm_first=True``).

    Submodules as PyTorch: ``self_attn``, ``linear1 (dim_feedforward, d_model)``, ``dropout``,
    ``linear2 (d_model, dim_feedforward)``, ``norm1``, ``norm2``, ``dropout1``, ``dropout2``.
    ``activation``: ``"relu"``, ``"gelu"`` or a callable.
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        factory = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **factory)
        self._init_blocks(2, d_model, dim_feedforward, dropout, activation, layer_norm_eps,
                          bias, factory)
        self.norm_first = norm_first
        activation = self.activation
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _dtype_or_none(src_mask), "src_mask", src.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _ff_block(self, x):
        return self.dropout2(self._feed_forward(x))


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention over the encoder's output (``memory``), then a feed-forward
    block, each with dropout, a residual connection and a LayerNorm (``norm_first`` as in
    ``TransformerEncoderLayer``).

    Submodules as PyTorch: ``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``,
    ``linear2``, ``norm1``-``norm3``, ``dropout1``-``dropout3``.
    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        factory = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, **factory)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias, **factory)
        self._init_blocks(3, d_model, dim_feedforward, dropout, activation, layer_norm_eps,
                          bias, factory)
        self.norm_first = norm_first

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self._feed_forward(x))
