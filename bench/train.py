"""End to end: one training epoch of each CLI model, ours against the same model in PyTorch.

Run: ``python -m bench.train`` (``python -m bench --cpu train`` for process CPU time at one
thread, the load-robust mode).  Target: every row <= 1.0 ours/torch.

The models, sizes, batch sizes, optimisers and learning rates are ``autodiff train``'s
(``autodiff/cli/tasks.py``: ``build_model`` and ``DEFAULTS``), on the same data:

* mlp: ``MLP(64, [128, 64], 10)`` on the 8x8 digits (1438 training images), batch 32, Adam;
* cnn: ``LeNet`` (conv 1->16 3x3, pool, conv 16->32 3x3, pool, 128->64->10), batch 32, Adam;
* lstm: ``LSTM(8, 64, batch_first)`` + ``Linear(64, 10)`` reading each image row by row,
  batch 32, Adam;
* gan: generator and discriminator MLPs 2-64-64-2 / 2-64-64-1 (ReLU / LeakyReLU 0.2), 200
  alternating steps of batch 128 (one discriminator step on ``fake`` drawn under no_grad,
  one generator step with the discriminator frozen), BCE with logits, Adam betas (0.5, 0.999);
* autoencoder: the denoising autoencoder 64-32-64 with sigmoid layers and 30 % masking
  noise, squared error summed over features and averaged over the batch, batch 64, Adam.

What one "epoch" is here: the training steps only (forward, loss, ``zero_grad``, backward,
optimiser step, and ``loss.item()`` as the CLI logs it), with batches sliced from a
shuffled NumPy permutation the same way for both libraries (``torch``'s per-sample
``DataLoader`` collation would cost torch more than its model does); the CLI's accuracy
evaluation, progress bar, learning-rate schedule and the GAN's data sampling are left out.
Both sides are warm (one untimed epoch first); measurements (as many epochs as fill ~0.2 s)
alternate between the two with a short gap, and medians are reported (protocol in
``bench/_timing.py``).
"""
import numpy as np

from bench._timing import compare_rows, print_table, row, setup_threads

BATCH = {"mlp": 32, "cnn": 32, "lstm": 32, "gan": 128, "autoencoder": 64}
LR = {"mlp": 1e-3, "cnn": 2e-3, "lstm": 5e-3, "gan": 2e-3, "autoencoder": 1e-2}
GAN_STEPS = 200


def _data(name):
    from autodiff.cli import task_data
    Xtr, ytr, _, _ = task_data(name)
    return np.ascontiguousarray(Xtr._data), np.ascontiguousarray(ytr._data)


def _batches(n, bs, rng):
    perm = rng.permutation(n)
    return [perm[i:i + bs] for i in range(0, n, bs)]


# ----------------------------------------------------------------------------------- ours


def ours_epoch(name):
    """A callable running one epoch of model ``name`` with autodiff/nn/optim."""
    import autodiff as ad
    import nn.functional as F
    import optim
    from autodiff.cli import build_model
    ad.manual_seed(0)
    rng = np.random.default_rng(0)
    bs = BATCH[name]
    if name == "gan":
        model = build_model("gan")
        d_opt = optim.Adam(model.discriminator.parameters(), lr=LR[name], betas=(0.5, 0.999))
        g_opt = optim.Adam(model.generator.parameters(), lr=LR[name], betas=(0.5, 0.999))
        real = _gan_real(rng, bs)

        def epoch():
            for r in real:
                model.train_step([ad.tensor(r)], d_opt, g_opt)
        return epoch
    model = build_model(name)
    opt = optim.Adam(model.parameters(), lr=LR[name])
    X, y = _data(name)

    def epoch():
        for idx in _batches(len(X), bs, rng):
            xb = ad.tensor(X[idx])
            if name == "autoencoder":
                loss, _ = model.loss(xb)
            else:
                loss = F.cross_entropy(model(xb), ad.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            float(loss.item())
    return epoch


def _gan_real(rng, bs):
    from autodiff.cli.tasks import GAN_STD
    from autodiff.data import ring_of_gaussians
    gen = np.random.default_rng(1)
    return [ring_of_gaussians(bs, std=GAN_STD, generator=gen)._data for _ in range(GAN_STEPS)]


# ----------------------------------------------------------------------------------- torch


def torch_epoch(torch, name):
    """The same epoch written in PyTorch."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    bs = BATCH[name]
    if name == "gan":
        def mlp(sizes, act):
            layers = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(nn.Linear(a, b))
                if i < len(sizes) - 2:
                    layers.append(act())
            return nn.Sequential(*layers)
        G = mlp([2, 64, 64, 2], nn.ReLU)
        D = mlp([2, 64, 64, 1], lambda: nn.LeakyReLU(0.2))
        d_opt = torch.optim.Adam(D.parameters(), lr=LR[name], betas=(0.5, 0.999))
        g_opt = torch.optim.Adam(G.parameters(), lr=LR[name], betas=(0.5, 0.999))
        real = [torch.from_numpy(r) for r in _gan_real(rng, bs)]
        bce = F.binary_cross_entropy_with_logits

        def epoch():
            for r in real:
                with torch.no_grad():
                    fake = G(torch.randn(r.shape[0], 2))
                d_real, d_fake = D(r), D(fake)
                d_loss = (bce(d_real, torch.ones_like(d_real))
                          + bce(d_fake, torch.zeros_like(d_fake)))
                d_opt.zero_grad()
                d_loss.backward()
                d_opt.step()
                D.requires_grad_(False)
                try:
                    d_fake = D(G(torch.randn(r.shape[0], 2)))
                    g_loss = bce(d_fake, torch.ones_like(d_fake))
                    g_opt.zero_grad()
                    g_loss.backward()
                    g_opt.step()
                finally:
                    D.requires_grad_(True)
                float(d_loss.item()), float(g_loss.item())
        return epoch
    if name == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64),
                              nn.ReLU(), nn.Linear(64, 10))
    elif name == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
                              nn.Linear(64, 10))
    elif name == "lstm":
        class LSTMClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(8, 64, batch_first=True)
                self.fc = nn.Linear(64, 10)

            def forward(self, x):
                _, (h, _) = self.lstm(x)
                return self.fc(h[-1])
        model = LSTMClassifier()
    else:
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Sigmoid(), nn.Linear(32, 64),
                              nn.Sigmoid())
    opt = torch.optim.Adam(model.parameters(), lr=LR[name])
    X, y = _data(name)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def epoch():
        for idx in _batches(len(X), bs, rng):
            it = torch.from_numpy(idx)
            xb = Xt[it]
            if name == "autoencoder":
                noisy = xb * (torch.rand(xb.shape) >= 0.3).to(xb.dtype)
                recon = model(noisy)
                loss = ((recon - xb.reshape(recon.shape)) ** 2).sum() / recon.shape[0]
            else:
                loss = F.cross_entropy(model(xb), yt[it])
            opt.zero_grad()
            loss.backward()
            opt.step()
            float(loss.item())
    return epoch


def main():
    torch = setup_threads()
    if torch is None:
        print("bench.train: torch is not installed; nothing to compare against")
        return
    # An epoch of the small models takes 25-60 ms: several per measurement (~0.2 s), and 40
    # rounds interleaved over the five models, so that neither one slow round nor a slow
    # minute of the machine moves a row's median (bench/_timing.py).
    results = compare_rows([{"ours": ours_epoch(name), "torch": torch_epoch(torch, name)}
                            for name in BATCH], rounds=40, warmup=1, budget_s=0.2)
    rows = [row(f"{name} epoch (batch {BATCH[name]})", r) for name, r in zip(BATCH, results)]
    print_table("end to end: one training epoch of each CLI model (ms per epoch; target <= 1.0)",
                rows)


if __name__ == "__main__":
    main()
