"""Autoencoders: denoising (Vincent et al. 2008) and contractive (Rifai et al. 2011).

Both have a sigmoid encoder ``h = sigmoid(W x + b)`` and a sigmoid decoder, for inputs in
[0, 1] such as the digits. ``loss(x)`` returns the training objective and its parts.
"""
from __future__ import annotations

import numpy as np

import autodiff as ad

from ..activation import Sigmoid
from ..container import Sequential
from ..linear import Flatten, Linear
from ..module import Module


def _sigmoid_layer(a, b):
    return [Linear(a, b), Sigmoid()]


class _Autoencoder(Module):
    def __init__(self, in_features, hidden):
        super().__init__()
        self.in_features = in_features
        self.hidden = hidden
        self.encoder = Sequential(Flatten(), *_sigmoid_layer(in_features, hidden))
        self.decoder = Sequential(*_sigmoid_layer(hidden, in_features))

    def forward(self, x):
        """Reconstruction ``(N, in_features)`` of ``x`` (any shape ``(N, ...)``)."""
        return self.decoder(self.encoder(x))

    @staticmethod
    def reconstruction_loss(recon, target):
        """Squared error summed over features, averaged over the batch."""
        return ((recon - target.reshape(recon.shape)) ** 2).sum() / recon.shape[0]


class DenoisingAutoencoder(_Autoencoder):
    """Learns to undo corruption: ``loss(x)`` corrupts ``x`` (masking noise: each input set to
    0 with probability ``corruption``; or additive Gaussian noise of std ``noise_std`` when
    given), reconstructs, and compares with the clean ``x``.
    """

    def __init__(self, in_features=64, hidden=32, corruption=0.3, noise_std=None):
        super().__init__(in_features, hidden)
        self.corruption = corruption
        self.noise_std = noise_std

    def corrupt(self, x):
        """The corrupted copy of ``x`` (no graph), drawn from ``autodiff.random``."""
        gen = ad.random.generator()
        a = x._data
        if self.noise_std is not None:
            noisy = a + gen.normal(0.0, self.noise_std, a.shape).astype(a.dtype)
        else:
            noisy = a * (gen.random(a.shape) >= self.corruption).astype(a.dtype)
        return ad.Tensor(noisy)

    def loss(self, x):
        """``(total, parts)`` with ``parts = {"recon": float}``."""
        x_tilde = self.corrupt(x)
        recon = self.reconstruction_loss(self(x_tilde), x)
        return recon, {"recon": float(recon.item())}


def jacobian_frobenius_sq(encoder, x, create_graph=True):
    """``sum_n ||d encoder(x_n) / d x_n||_F^2 / N``: the mean squared Frobenius norm of the
    per-sample Jacobian of ``encoder`` at each row of ``x`` (N, D), exactly.

    Computed with one call of ``ad.grad(..., create_graph=True)``: ``x`` is replicated once per
    hidden unit j, hidden unit j is picked from copy j, and the gradient of their sum with
    respect to the copies gives every row of every sample's Jacobian. With ``create_graph=True``
    the result is differentiable in the encoder's parameters (double backward), as the
    contractive penalty needs. ``encoder`` must treat samples independently (no batch norm).
    """
    x = x.detach().reshape(x.shape[0], -1)
    n, d = x.shape
    h0 = encoder(x[:1])
    m = h0.shape[1]
    xs = ad.Tensor(np.broadcast_to(x._data, (m, n, d)).reshape(m * n, d), requires_grad=True)
    h = encoder(xs).reshape(m, n, m)
    pick = ad.Tensor(np.eye(m, dtype=h.dtype)[:, None, :])
    (g,) = ad.grad((h * pick).sum(), xs, create_graph=create_graph)
    return (g ** 2).sum() / n


class ContractiveAutoencoder(_Autoencoder):
    """Reconstruction plus ``lam`` times the contractive penalty, the squared Frobenius norm of
    the encoder's Jacobian ``||dh/dx||_F^2`` (averaged over the batch), which makes the code
    insensitive to small input changes. The penalty is computed by double backward
    (``jacobian_frobenius_sq``); for this sigmoid encoder it equals
    ``sum_j (h_j (1 - h_j))^2 sum_i W_ji^2`` (checked in the tests).
    """

    def __init__(self, in_features=64, hidden=32, lam=0.1):
        super().__init__(in_features, hidden)
        self.lam = lam

    def penalty(self, x):
        return jacobian_frobenius_sq(self.encoder, x)

    def loss(self, x):
        """``(total, parts)`` with ``parts = {"recon": float, "penalty": float}``."""
        recon = self.reconstruction_loss(self(x), x)
        pen = self.penalty(x)
        total = recon + self.lam * pen
        return total, {"recon": float(recon.item()), "penalty": float(pen.item())}
