"""``autodiff.utils``: PyTorch's ``torch.utils`` spellings (``autodiff.utils.data``,
``autodiff.utils.checkpoint``)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
