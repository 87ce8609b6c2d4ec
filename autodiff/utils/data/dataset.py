"""``torch.utils.data.dataset``'s names (the objects of ``autodiff.data``)."""
from ...data import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,
                     TensorDataset, random_split)

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "Subset",
           "TensorDataset", "random_split"]
