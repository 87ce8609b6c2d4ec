"""Model builders for the classic architectures, each trainable from ``autodiff train``.

    import autodiff.nn as nn
    model = nn.models.MLP(64, [128, 64], 10)

``MLP``, ``LeNet`` (alias ``CNN``), ``LSTMClassifier``, ``GAN`` (with ``Generator`` and
``Discriminator``), ``DenoisingAutoencoder``, ``ContractiveAutoencoder``.
"""
from __future__ import annotations

from .autoencoder import ContractiveAutoencoder, DenoisingAutoencoder, jacobian_frobenius_sq
from .cnn import CNN, LeNet
from .gan import GAN, Discriminator, Generator, mode_coverage
from .lstm import LSTMClassifier
from .mlp import MLP

__all__ = ["MLP", "LeNet", "CNN", "LSTMClassifier", "GAN", "Generator", "Discriminator",
           "mode_coverage", "DenoisingAutoencoder", "ContractiveAutoencoder",
           "jacobian_frobenius_sq"]
