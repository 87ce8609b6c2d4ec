"""What each ``autodiff train <model>`` learns: the models, their data and default settings.

mlp / cnn / autoencoder learn the 8x8 digits (``autodiff.data.load_digits``); lstm reads each
digit image row by row (a sequence of 8 rows of 8 pixels) and classifies it; gan learns a ring
of 8 Gaussians (``autodiff.data.ring_of_gaussians``; one "epoch" is ``GAN_STEPS_PER_EPOCH``
generator steps on freshly drawn data).
"""

from __future__ import annotations

from ..data import load_digits

MODELS = ("mlp", "cnn", "lstm", "gan", "autoencoder")
KINDS = {"autoencoder": ("denoising", "contractive")}  # --kind per model (default: the first)

# Defaults reach the targets of tests/nn/models in a few minutes on 2 cores.
DEFAULTS = {
    "mlp": dict(epochs=30, batch_size=32, lr=1e-3),
    "cnn": dict(epochs=15, batch_size=32, lr=2e-3),
    "lstm": dict(epochs=25, batch_size=32, lr=5e-3),
    "gan": dict(epochs=10, batch_size=128, lr=2e-3),
    "autoencoder": dict(epochs=20, batch_size=64, lr=1e-2),
}
GAN_STEPS_PER_EPOCH = 200
GAN_K = 1  # discriminator steps per generator step
GAN_STD = 0.05  # standard deviation of each ring mode
CAE_LAMBDA = 1.0  # weight of the contractive penalty


def check_kind(name, kind):
    """Raise ValueError unless ``kind`` (None: the default) is valid for model ``name``."""
    if kind is None:
        return
    kinds = KINDS.get(name)
    if kinds is None:
        raise ValueError(
            f"--kind applies to {', '.join(KINDS)} only; {name} has no kinds (got --kind {kind})"
        )
    if kind not in kinds:
        raise ValueError(f"--kind for {name} must be one of {', '.join(kinds)} (got {kind!r})")


def build_model(name, kind=None):
    """The untrained model ``autodiff train <name>`` uses (for loading a checkpoint)."""
    from ..nn import models as M  # imported here, not at the top: `autodiff -h` stays fast

    check_kind(name, kind)
    if name == "mlp":
        return M.MLP(64, [128, 64], 10)
    if name == "cnn":
        return M.LeNet(in_channels=1, num_classes=10, image_size=8)
    if name == "lstm":
        return M.LSTMClassifier(input_size=8, hidden_size=64, num_classes=10)
    if name == "gan":
        return M.GAN(latent_dim=2, data_dim=2, hidden=64)
    if name == "autoencoder":
        if kind == "contractive":
            return M.ContractiveAutoencoder(64, 32, lam=CAE_LAMBDA)
        return M.DenoisingAutoencoder(64, 32, corruption=0.3)
    raise ValueError(f"unknown model {name!r} (choose from {MODELS})")


def task_data(name):
    """``(X_train, y_train, X_test, y_test)`` for the classifier tasks and autoencoders."""
    Xtr, ytr, Xte, yte = load_digits()
    if name == "lstm":  # each image read row by row: (N, 8 time steps, 8 features)
        Xtr, Xte = Xtr.reshape(-1, 8, 8), Xte.reshape(-1, 8, 8)
    elif name == "autoencoder":
        Xtr, Xte = Xtr.reshape(-1, 64), Xte.reshape(-1, 64)
    return Xtr, ytr, Xte, yte
