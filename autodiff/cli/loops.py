"""The three training loops behind ``autodiff train``: classifiers (mlp, cnn, lstm), the GAN
and the autoencoders. Each takes a ``Run`` and returns a ``TrainResult``."""

from __future__ import annotations

import time

import numpy as np

from .. import no_grad, optim, randn
from ..data import DataLoader, TensorDataset, ring_centers, ring_of_gaussians
from ..nn import functional as F
from ..nn.models import mode_coverage
from .run import TrainResult
from .tasks import GAN_K, GAN_STD, GAN_STEPS_PER_EPOCH, build_model, task_data


def _accuracy(model, X, y, batch_size=512):
    model.eval()
    correct = 0
    with no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(X[i : i + batch_size])
            correct += int((logits._data.argmax(1) == y._data[i : i + batch_size]).sum())
    model.train()
    return correct / len(y)


def _train_classifier(run):
    cfg = run.cfg
    name = cfg["model"]
    Xtr, ytr, Xte, yte = task_data(name)
    model = build_model(name)
    opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    # cosine decay of the learning rate over the run: the last epochs settle instead of jitter
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["epochs"])
    hist = dict(step_loss=[], epoch_loss=[], train_acc=[], test_acc=[])
    opts = {"adam": opt}
    start = run.restore(model, opts, sched, hist)
    run.restore_rng()
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=cfg["batch_size"], shuffle=True)
    for epoch in range(start, cfg["epochs"] + 1):
        t0, total, count = time.perf_counter(), 0.0, 0
        bar = run.bar(f"{name} epoch {epoch}/{cfg['epochs']}", len(loader))
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            lv = run.optimize(loss, model, opt)
            hist["step_loss"].append(lv)
            total, count = total + lv * len(yb), count + len(yb)
            bar.step(loss=f"{total / count:.4f}")
        bar.close()
        sched.step()
        hist["epoch_loss"].append(total / count)
        hist["train_acc"].append(_accuracy(model, Xtr, ytr))
        hist["test_acc"].append(_accuracy(model, Xte, yte))
        train_acc, test_acc = 100 * hist["train_acc"][-1], 100 * hist["test_acc"][-1]
        run.log(
            f"epoch {epoch:3d}/{cfg['epochs']}  loss {total / count:.4f}  train acc "
            f"{train_acc:6.2f}%  test acc {test_acc:6.2f}%  ({time.perf_counter() - t0:.1f} s)"
        )
        run.end_epoch(epoch, model, opts, sched, hist)
    metrics = dict(
        loss=hist["epoch_loss"][-1], train_acc=hist["train_acc"][-1], test_acc=hist["test_acc"][-1]
    )
    return TrainResult(model, cfg, hist, metrics)


def _train_gan(run):
    cfg = run.cfg
    model = build_model("gan")
    d_opt = optim.Adam(model.discriminator.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    g_opt = optim.Adam(model.generator.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    opts = {"discriminator": d_opt, "generator": g_opt}
    centers = ring_centers(8, 2.0)
    bs = cfg["batch_size"]
    hist = dict(d_loss=[], g_loss=[], modes=[], quality=[])
    start = run.restore(model, opts, None, hist)
    # the graph of one generator step (G, then D, then the non-saturating loss)
    g_loss = model.generator_loss(model.generator(randn(bs, model.latent_dim)))
    g_loss.backward()
    run.draw_step(g_loss, model)
    model.zero_grad()
    run.restore_rng()  # after the drawing's random batch: a resumed run continues exactly
    for epoch in range(start, cfg["epochs"] + 1):
        t0 = time.perf_counter()
        bar = run.bar(f"gan epoch {epoch}/{cfg['epochs']}", GAN_STEPS_PER_EPOCH)
        for _ in range(GAN_STEPS_PER_EPOCH):
            real = [ring_of_gaussians(bs, std=GAN_STD) for _ in range(GAN_K)]
            dl, gl = model.train_step(real, d_opt, g_opt)
            hist["d_loss"].append(dl)
            hist["g_loss"].append(gl)
            bar.step(
                d_loss=f"{np.mean(hist['d_loss'][-50:]):.3f}",
                g_loss=f"{np.mean(hist['g_loss'][-50:]):.3f}",
            )
        bar.close()
        covered, quality, _ = mode_coverage(model.sample(2000)._data, centers, GAN_STD)
        hist["modes"].append(covered)
        hist["quality"].append(quality)
        n = GAN_STEPS_PER_EPOCH
        run.log(
            f"epoch {epoch:3d}/{cfg['epochs']}  d_loss {np.mean(hist['d_loss'][-n:]):.4f}"
            f"  g_loss {np.mean(hist['g_loss'][-n:]):.4f}  modes covered "
            f"{covered}/8  high-quality samples {100 * quality:.1f}%  "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        run.end_epoch(epoch, model, opts, None, hist)
    metrics = dict(
        d_loss=float(np.mean(hist["d_loss"][-50:])),
        g_loss=float(np.mean(hist["g_loss"][-50:])),
        modes_covered=hist["modes"][-1],
        high_quality=hist["quality"][-1],
    )
    return TrainResult(model, cfg, hist, metrics)


def _train_autoencoder(run):
    cfg = run.cfg
    Xtr, _, Xte, yte = task_data("autoencoder")
    kind = cfg["kind"]
    model = build_model("autoencoder", kind)
    opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    hist = dict(step_loss=[], epoch_loss=[], recon=[], penalty=[], test_recon=[])
    contractive = hasattr(model, "penalty")
    run.extra = {"initial_test_recon": _test_recon(model, Xte)}
    if contractive:
        run.extra["initial_test_penalty"] = float(model.penalty(Xte).item())
    opts = {"adam": opt}
    start = run.restore(model, opts, None, hist)  # a resumed run keeps its initial metrics
    run.restore_rng()
    initial = run.extra["initial_test_recon"]
    loader = DataLoader(TensorDataset(Xtr), batch_size=cfg["batch_size"], shuffle=True)
    for epoch in range(start, cfg["epochs"] + 1):
        t0, total, parts_sum, count = time.perf_counter(), 0.0, {}, 0
        bar = run.bar(f"{kind} autoencoder epoch {epoch}/{cfg['epochs']}", len(loader))
        for (xb,) in loader:
            loss, parts = model.loss(xb)
            lv = run.optimize(loss, model, opt)
            hist["step_loss"].append(lv)
            n = xb.shape[0]
            total, count = total + lv * n, count + n
            for k, v in parts.items():
                parts_sum[k] = parts_sum.get(k, 0.0) + v * n
            bar.step(loss=f"{total / count:.4f}")
        bar.close()
        hist["epoch_loss"].append(total / count)
        hist["recon"].append(parts_sum["recon"] / count)
        if "penalty" in parts_sum:
            hist["penalty"].append(parts_sum["penalty"] / count)
        hist["test_recon"].append(_test_recon(model, Xte))
        msg = (
            f"epoch {epoch:3d}/{cfg['epochs']}  loss {total / count:.4f}  recon "
            f"{hist['recon'][-1]:.4f}"
        )
        if hist["penalty"]:
            msg += f"  penalty {hist['penalty'][-1]:.4f}"
        run.log(
            msg + f"  test recon {hist['test_recon'][-1]:.4f} (initial {initial:.4f})  "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        run.end_epoch(epoch, model, opts, None, hist)
    metrics = dict(
        loss=hist["epoch_loss"][-1], test_recon=hist["test_recon"][-1], initial_test_recon=initial
    )
    if contractive:
        metrics["test_penalty"] = float(model.penalty(Xte).item())
        metrics["initial_test_penalty"] = run.extra["initial_test_penalty"]
    res = TrainResult(model, cfg, hist, metrics)
    res.sample_input = _digit_examples(Xte, yte)
    return res


def _test_recon(model, X):
    with no_grad():
        return float(model.reconstruction_loss(model(X), X).item())


def _digit_examples(X, y):
    """Two test images of each class, in class order: (20, 64)."""
    idx = np.concatenate([np.flatnonzero(y._data == c)[:2] for c in range(10)])
    return X[idx]


RUNNERS = {"gan": _train_gan, "autoencoder": _train_autoencoder}  # the others: classifiers


def runner(name):
    """The training loop of model ``name``."""
    return RUNNERS.get(name, _train_classifier)
