"""``GAN``: generator, discriminator and the alternating training step of Goodfellow et al.
(2014), Algorithm 1, with the non-saturating generator loss."""
from __future__ import annotations

import numpy as np

import autodiff as ad

from .. import functional as F
from ..activation import LeakyReLU, ReLU
from ..container import Sequential
from ..linear import Linear
from ..module import Module


def _mlp(sizes, act):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return Sequential(*layers)


class Generator(Module):
    """``z (N, latent_dim) -> x (N, data_dim)``: Linear layers with ReLU, linear output."""

    def __init__(self, latent_dim=2, data_dim=2, hidden=128, num_hidden=2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp([latent_dim] + [hidden] * num_hidden + [data_dim], ReLU)

    def forward(self, z):
        return self.net(z)


class Discriminator(Module):
    """``x (N, data_dim) -> logit (N, 1)`` that ``x`` is real: Linear layers with
    LeakyReLU(0.2); ``sigmoid(logit)`` is the probability D(x)."""

    def __init__(self, data_dim=2, hidden=128, num_hidden=2):
        super().__init__()
        self.net = _mlp([data_dim] + [hidden] * num_hidden + [1], lambda: LeakyReLU(0.2))

    def forward(self, x):
        return self.net(x)


class GAN(Module):
    """A generator and a discriminator trained against each other.

    ``train_step(real_batches, d_optimizer, g_optimizer)`` is one iteration of Goodfellow et
    al.'s Algorithm 1: for each of the k real minibatches (k = ``len(real_batches)``; a single
    Tensor means k = 1) draw noise ``z ~ N(0, I)`` and take one discriminator step on
    ``-[log D(x) + log(1 - D(G(z)))]``; then draw fresh noise and take one generator step on the
    non-saturating loss ``-log D(G(z))`` (instead of minimising ``log(1 - D(G(z)))``, which
    saturates early in training). Both losses are binary cross-entropy on logits. Returns
    ``(d_loss, g_loss)`` as floats (the last discriminator step's loss).
    """

    def __init__(self, latent_dim=2, data_dim=2, hidden=128, num_hidden=2):
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = Generator(latent_dim, data_dim, hidden, num_hidden)
        self.discriminator = Discriminator(data_dim, hidden, num_hidden)

    def forward(self, z):
        return self.generator(z)

    def sample(self, n):
        """``n`` generated points ``(n, data_dim)``, without recording a graph."""
        with ad.no_grad():
            return self.generator(ad.randn(n, self.latent_dim))

    def discriminator_loss(self, real, fake):
        """``-[log D(real) + log(1 - D(fake))]`` averaged over each batch."""
        d_real, d_fake = self.discriminator(real), self.discriminator(fake)
        return (F.binary_cross_entropy_with_logits(d_real, ad.ones_like(d_real))
                + F.binary_cross_entropy_with_logits(d_fake, ad.zeros_like(d_fake)))

    def generator_loss(self, fake):
        """Non-saturating ``-log D(fake)`` averaged over the batch."""
        d_fake = self.discriminator(fake)
        return F.binary_cross_entropy_with_logits(d_fake, ad.ones_like(d_fake))

    def train_step(self, real_batches, d_optimizer, g_optimizer):
        if isinstance(real_batches, ad.Tensor):
            real_batches = [real_batches]
        if len(real_batches) == 0:
            raise ValueError("GAN.train_step: needs at least one real minibatch")
        for real in real_batches:
            with ad.no_grad():
                fake = self.generator(ad.randn(real.shape[0], self.latent_dim))
            d_loss = self.discriminator_loss(real, fake)
            d_optimizer.zero_grad()
            d_loss.backward()
            d_optimizer.step()
        # D's parameters are frozen during the generator step: no wasted gradient work on them
        d_params = list(self.discriminator.parameters())  # (one walk of the module tree)
        flags = [p.requires_grad for p in d_params]
        for p in d_params:
            p.requires_grad_(False)
        try:
            fake = self.generator(ad.randn(real_batches[-1].shape[0], self.latent_dim))
            g_loss = self.generator_loss(fake)
            g_optimizer.zero_grad()
            g_loss.backward()
            g_optimizer.step()
        finally:
            for p, f in zip(d_params, flags):
                p.requires_grad_(f)
        return float(d_loss.item()), float(g_loss.item())


def mode_coverage(samples, centers, std, num_std=3.0, min_fraction=0.01):
    """How well ``samples`` (N, d) cover the Gaussian modes at ``centers`` (M, d).

    A sample is *high quality* if it lies within ``num_std * std`` of its nearest center; a
    mode is *covered* if at least ``min_fraction`` of all samples are high-quality samples of
    it. Returns ``(modes_covered, high_quality_fraction, counts)`` with ``counts`` (M,) the
    number of high-quality samples per mode.
    """
    s = np.asarray(samples, dtype=np.float64)
    c = np.asarray(centers, dtype=np.float64)
    d = np.linalg.norm(s[:, None, :] - c[None, :, :], axis=-1)
    nearest = d.argmin(1)
    good = d[np.arange(len(s)), nearest] <= num_std * std
    counts = np.bincount(nearest[good], minlength=len(c))
    covered = int((counts >= max(1, min_fraction * len(s))).sum())
    return covered, float(good.mean()), counts
