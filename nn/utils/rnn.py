"""``nn.utils.rnn``: ``pad_sequence`` (PyTorch's; the packed-sequence helpers are not provided:
the recurrent layers take padded batches)."""
from __future__ import annotations

from autodiff.ops.shape.joins import stack

__all__ = ["pad_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with
    ``batch_first``), padding with ``padding_value`` on ``padding_side``. Differentiable."""
    from autodiff.ops.shape.rearrange import pad
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right' (got "
                         f"{padding_side!r})")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    n = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = n - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(pad(s, tuple(widths), value=padding_value) if extra else s)
    out = stack(padded, 0)
    return out if batch_first else out.transpose(0, 1)
