"""``autodiff.utils``: PyTorch's ``torch.utils`` spellings (``autodiff.utils.data``)."""
from . import data

__all__ = ["data"]
