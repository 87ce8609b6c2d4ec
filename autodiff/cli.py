"""The command line: ``autodiff train {mlp,cnn,lstm,gan,autoencoder}`` and ``autodiff demo``.

    autodiff train cnn --epochs 10 --out runs/cnn
    autodiff train autoencoder --kind contractive
    autodiff demo                       # = autodiff train cnn --out runs/demo

Every run trains on data shipped with the dependencies (no network), shows a progress bar per
epoch with the running loss, prints per-epoch metrics and writes to ``--out``:
``checkpoint.npz`` (``nn.save`` of the model's ``state_dict``; ``config.json`` records how to
rebuild the model), ``loss.png`` (curves), ``graph.svg`` (the computation graph of one training
step; ``graph.dot`` when Graphviz's ``dot`` program is missing) and, for the GAN and the
autoencoders, ``samples.png``.

Tasks: mlp / cnn / autoencoder learn the 8x8 digits (``autodiff.data.load_digits``); lstm
reads each digit image row by row (a sequence of 8 rows of 8 pixels) and classifies it; gan
learns a ring of 8 Gaussians (``autodiff.data.ring_of_gaussians``; one "epoch" is
``GAN_STEPS_PER_EPOCH`` generator steps on freshly drawn data).

This module imports ``autodiff.nn`` and ``autodiff.optim`` lazily, inside the training
functions: the engine itself never imports them.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import __version__
from ._extras import missing_message

MODELS = ("mlp", "cnn", "lstm", "gan", "autoencoder")

# Defaults reach the targets of tests/models in a few minutes on 2 cores.
DEFAULTS = {
    "mlp": dict(epochs=30, batch_size=32, lr=1e-3),
    "cnn": dict(epochs=15, batch_size=32, lr=2e-3),
    "lstm": dict(epochs=25, batch_size=32, lr=5e-3),
    "gan": dict(epochs=10, batch_size=128, lr=2e-3),
    "autoencoder": dict(epochs=20, batch_size=64, lr=1e-2),
}
GAN_STEPS_PER_EPOCH = 200
GAN_K = 1          # discriminator steps per generator step
GAN_STD = 0.05     # standard deviation of each ring mode
CAE_LAMBDA = 1.0   # weight of the contractive penalty


# ---- argument parsing ---------------------------------------------------------------------------
def _positive_int(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def _positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {s!r}") from None
    if not v > 0 or not np.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {s!r}")
    return v


def _int(s):
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None


def build_parser():
    p = argparse.ArgumentParser(
        prog="autodiff",
        description="autodiff: reverse-mode automatic differentiation; train the classic "
                    "models on bundled data.")
    p.add_argument("--version", action="version", version=f"autodiff {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{train,demo}")
    t = sub.add_parser(
        "train", help="train a model and write checkpoint, loss curve, graph and samples",
        description="Train a model on bundled data. Defaults per model: " + "; ".join(
            f"{m}: epochs={d['epochs']} batch-size={d['batch_size']} lr={d['lr']}"
            for m, d in DEFAULTS.items()))
    t.add_argument("model", choices=MODELS, help="which model to train")
    t.add_argument("--epochs", type=_positive_int, default=None,
                   help="passes over the training data (gan: blocks of "
                        f"{GAN_STEPS_PER_EPOCH} steps)")
    t.add_argument("--batch-size", type=_positive_int, default=None, help="minibatch size")
    t.add_argument("--lr", type=_positive_float, default=None, help="Adam learning rate")
    t.add_argument("--seed", type=_int, default=0, help="random seed (default 0)")
    t.add_argument("--out", default=None, help="output directory (default runs/<model>)")
    t.add_argument("--kind", choices=("denoising", "contractive"), default="denoising",
                   help="autoencoder kind (default denoising)")
    t.add_argument("--blas-threads", type=_positive_int, default=1,
                   help="BLAS threads while training (default 1: these models' matrices are "
                        "small, and extra BLAS threads mostly contend for the cores)")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.train_parser = t
    d = sub.add_parser("demo", help="train the CNN on the digits (= train cnn --out runs/demo)")
    d.add_argument("--out", default=os.path.join("runs", "demo"), help="output directory")
    d.add_argument("--epochs", type=_positive_int, default=None, help="passes over the data")
    p.demo_parser = d
    return p


def check_out_dir(out):
    """Create ``out`` and make sure a file can be written there; raise OSError otherwise."""
    os.makedirs(out, exist_ok=True)
    probe = os.path.join(out, f".autodiff-write-test-{os.getpid()}")
    with open(probe, "w") as f:
        f.write("ok")
    os.remove(probe)


def missing_dependencies(command, model="cnn"):
    """The one-line error for a ``train`` / ``demo`` run whose optional dependencies are not
    installed, before any work starts (None when all are there): every run plots with
    matplotlib (the ``viz`` extra); all but the GAN read the digits through scikit-learn
    (``data``)."""
    extras = ("viz",) if model == "gan" else ("data", "viz")
    what = "autodiff demo" if command == "demo" else f"autodiff {command} {model}"
    return missing_message(what, *extras)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("train", "demo"):
        problem = missing_dependencies(args.command, getattr(args, "model", "cnn"))
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
    if args.command == "train":
        out = args.out or os.path.join("runs", args.model)
        try:
            check_out_dir(out)
        except OSError as e:
            parser.train_parser.error(f"--out {out!r} is not writable: {e}")
        train(args.model, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
              seed=args.seed, out=out, kind=args.kind, progress=not args.no_progress,
              blas_threads=args.blas_threads)
        return 0
    if args.command == "demo":
        try:
            check_out_dir(args.out)
        except OSError as e:
            parser.demo_parser.error(f"--out {args.out!r} is not writable: {e}")
        from .demo import run
        run(out=args.out, epochs=args.epochs)
        return 0
    parser.print_help()
    return 0


# ---- training -----------------------------------------------------------------------------------
@dataclass
class TrainResult:
    """What ``train`` returns: the trained model, per-step/epoch history, final metrics and
    the paths of the files written."""
    model: object
    config: dict
    history: dict
    metrics: dict
    files: dict = field(default_factory=dict)
    seconds: float = 0.0


def build_model(name, kind="denoising"):
    """The untrained model ``autodiff train <name>`` uses (for loading a checkpoint)."""
    from .nn import models as M
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
    from .data import load_digits
    Xtr, ytr, Xte, yte = load_digits()
    if name == "lstm":  # each image read row by row: (N, 8 time steps, 8 features)
        Xtr, Xte = Xtr.reshape(-1, 8, 8), Xte.reshape(-1, 8, 8)
    elif name == "autoencoder":
        Xtr, Xte = Xtr.reshape(-1, 64), Xte.reshape(-1, 64)
    return Xtr, ytr, Xte, yte


def limit_blas_threads(n):
    """A context manager limiting NumPy's BLAS to ``n`` threads (needs threadpoolctl, which
    scikit-learn brings; without it this does nothing)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - depends on the environment
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def train(name, epochs=None, batch_size=None, lr=None, seed=0, out=None, kind="denoising",
          progress=True, log=print, blas_threads=1):
    """Train model ``name`` and write its artefacts to ``out`` (skipped when ``out`` is None).
    Returns a ``TrainResult``. ``epochs``/``batch_size``/``lr`` default to ``DEFAULTS[name]``.
    ``blas_threads`` limits NumPy's BLAS threads during the run (None: leave as is).
    """
    if out is not None:
        check_out_dir(out)  # fail before any training
    if blas_threads is None:
        return _train(name, epochs, batch_size, lr, seed, out, kind, progress, log)
    with limit_blas_threads(blas_threads):
        return _train(name, epochs, batch_size, lr, seed, out, kind, progress, log)


def _train(name, epochs, batch_size, lr, seed, out, kind, progress, log):
    from . import random as _random
    if name not in MODELS:
        raise ValueError(f"train: unknown model {name!r} (choose from {MODELS})")
    d = DEFAULTS[name]
    cfg = dict(model=name, epochs=epochs or d["epochs"], batch_size=batch_size or d["batch_size"],
               lr=lr or d["lr"], seed=seed)
    if name == "autoencoder":
        cfg["kind"] = kind
    _random.manual_seed(seed)
    t0 = time.perf_counter()
    log(f"autodiff train {name}: " + ", ".join(f"{k}={v}" for k, v in cfg.items() if k != "model"))
    runner = {"gan": _train_gan, "autoencoder": _train_autoencoder}.get(name, _train_classifier)
    run = _Run(cfg, progress, log, out)
    result = runner(run)
    result.files.update(run.files)
    result.seconds = time.perf_counter() - t0
    if out is not None:
        result.files.update(_write_common(result, out, log))
    log(f"done in {result.seconds:.1f} s: " + ", ".join(
        f"{k} {_fmt_metric(k, v)}" for k, v in result.metrics.items()))
    if result.files:
        log("wrote " + ", ".join(result.files[k] for k in sorted(result.files)))
    return result


def _fmt_metric(k, v):
    if "acc" in k:
        return f"{100 * v:.2f}%"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _bar(iterable, desc, total, progress):
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, total=total, leave=False, disable=not progress,
                unit="batch", dynamic_ncols=True)


def _accuracy(model, X, y, batch_size=512):
    import autodiff as ad
    model.eval()
    correct = 0
    with ad.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(X[i:i + batch_size])
            correct += int((logits.data.argmax(1) == y.data[i:i + batch_size]).sum())
    model.train()
    return correct / len(y)


class _Run:
    """What a training loop needs besides its model: config, progress switch, logger, and the
    output directory where the graph of the first training step is drawn."""

    def __init__(self, cfg, progress, log, out):
        self.cfg, self.progress, self.log, self.out = cfg, progress, log, out
        self.files = {}
        self._drawn = False

    def draw_step(self, loss, model):
        """Draw the graph of ``loss`` (after its backward: leaves show their gradients) once."""
        if self.out is None or self._drawn:
            return
        self._drawn = True
        path = write_graph(loss, model, self.out, self.log)
        if path:
            self.files["graph"] = path


def _train_classifier(run):
    cfg, progress, log = run.cfg, run.progress, run.log
    from . import optim
    from .nn import functional as F
    from .data import DataLoader, TensorDataset
    name = cfg["model"]
    Xtr, ytr, Xte, yte = task_data(name)
    model = build_model(name)
    opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    # cosine decay of the learning rate over the run: the last epochs settle instead of jitter
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["epochs"])
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=cfg["batch_size"], shuffle=True)
    hist = dict(step_loss=[], epoch_loss=[], train_acc=[], test_acc=[])
    for epoch in range(1, cfg["epochs"] + 1):
        t0, total, count = time.perf_counter(), 0.0, 0
        bar = _bar(loader, f"{name} epoch {epoch}/{cfg['epochs']}", len(loader), progress)
        for xb, yb in bar:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            run.draw_step(loss, model)
            opt.step()
            lv = float(loss.item())
            hist["step_loss"].append(lv)
            total, count = total + lv * len(yb), count + len(yb)
            bar.set_postfix(loss=f"{total / count:.4f}")
        bar.close()
        sched.step()
        hist["epoch_loss"].append(total / count)
        hist["train_acc"].append(_accuracy(model, Xtr, ytr))
        hist["test_acc"].append(_accuracy(model, Xte, yte))
        log(f"epoch {epoch:3d}/{cfg['epochs']}  loss {total / count:.4f}  train acc "
            f"{100 * hist['train_acc'][-1]:6.2f}%  test acc {100 * hist['test_acc'][-1]:6.2f}%  "
            f"({time.perf_counter() - t0:.1f} s)")
    metrics = dict(loss=hist["epoch_loss"][-1], train_acc=hist["train_acc"][-1],
                   test_acc=hist["test_acc"][-1])
    return TrainResult(model, cfg, hist, metrics)


def _train_gan(run):
    cfg, progress, log = run.cfg, run.progress, run.log
    from . import optim
    from .data import ring_centers, ring_of_gaussians
    from .nn.models import mode_coverage
    model = build_model("gan")
    d_opt = optim.Adam(model.discriminator.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    g_opt = optim.Adam(model.generator.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    centers = ring_centers(8, 2.0)
    bs = cfg["batch_size"]
    hist = dict(d_loss=[], g_loss=[], modes=[], quality=[])
    # the graph of one generator step (G, then D, then the non-saturating loss)
    g_loss = model.generator_loss(model.generator(_randn(bs, model.latent_dim)))
    g_loss.backward()
    run.draw_step(g_loss, model)
    model.zero_grad()
    for epoch in range(1, cfg["epochs"] + 1):
        t0 = time.perf_counter()
        bar = _bar(range(GAN_STEPS_PER_EPOCH), f"gan epoch {epoch}/{cfg['epochs']}",
                   GAN_STEPS_PER_EPOCH, progress)
        for _ in bar:
            real = [ring_of_gaussians(bs, std=GAN_STD) for _ in range(GAN_K)]
            dl, gl = model.train_step(real, d_opt, g_opt)
            hist["d_loss"].append(dl)
            hist["g_loss"].append(gl)
            bar.set_postfix(d_loss=f"{np.mean(hist['d_loss'][-50:]):.3f}",
                            g_loss=f"{np.mean(hist['g_loss'][-50:]):.3f}")
        bar.close()
        covered, quality, _ = mode_coverage(model.sample(2000).data, centers, GAN_STD)
        hist["modes"].append(covered)
        hist["quality"].append(quality)
        n = GAN_STEPS_PER_EPOCH
        log(f"epoch {epoch:3d}/{cfg['epochs']}  d_loss {np.mean(hist['d_loss'][-n:]):.4f}"
            f"  g_loss {np.mean(hist['g_loss'][-n:]):.4f}  modes covered "
            f"{covered}/8  high-quality samples {100 * quality:.1f}%  "
            f"({time.perf_counter() - t0:.1f} s)")
    metrics = dict(d_loss=float(np.mean(hist["d_loss"][-50:])),
                   g_loss=float(np.mean(hist["g_loss"][-50:])),
                   modes_covered=hist["modes"][-1], high_quality=hist["quality"][-1])
    return TrainResult(model, cfg, hist, metrics)


def _randn(*shape):
    import autodiff as ad
    return ad.randn(*shape)


def _train_autoencoder(run):
    cfg, progress, log = run.cfg, run.progress, run.log
    from . import optim
    from .data import DataLoader, TensorDataset
    Xtr, _, Xte, yte = task_data("autoencoder")
    kind = cfg["kind"]
    model = build_model("autoencoder", kind)
    opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    loader = DataLoader(TensorDataset(Xtr), batch_size=cfg["batch_size"], shuffle=True)
    hist = dict(step_loss=[], epoch_loss=[], recon=[], penalty=[], test_recon=[])
    initial = _test_recon(model, Xte)
    contractive = hasattr(model, "penalty")
    if contractive:
        initial_pen = float(model.penalty(Xte).item())
    for epoch in range(1, cfg["epochs"] + 1):
        t0, total, parts_sum, count = time.perf_counter(), 0.0, {}, 0
        bar = _bar(loader, f"{kind} autoencoder epoch {epoch}/{cfg['epochs']}", len(loader),
                   progress)
        for (xb,) in bar:
            loss, parts = model.loss(xb)
            opt.zero_grad()
            loss.backward()
            run.draw_step(loss, model)
            opt.step()
            lv = float(loss.item())
            hist["step_loss"].append(lv)
            n = xb.shape[0]
            total, count = total + lv * n, count + n
            for k, v in parts.items():
                parts_sum[k] = parts_sum.get(k, 0.0) + v * n
            bar.set_postfix(loss=f"{total / count:.4f}")
        bar.close()
        hist["epoch_loss"].append(total / count)
        hist["recon"].append(parts_sum["recon"] / count)
        if "penalty" in parts_sum:
            hist["penalty"].append(parts_sum["penalty"] / count)
        hist["test_recon"].append(_test_recon(model, Xte))
        msg = (f"epoch {epoch:3d}/{cfg['epochs']}  loss {total / count:.4f}  recon "
               f"{hist['recon'][-1]:.4f}")
        if hist["penalty"]:
            msg += f"  penalty {hist['penalty'][-1]:.4f}"
        log(msg + f"  test recon {hist['test_recon'][-1]:.4f} (initial {initial:.4f})  "
                  f"({time.perf_counter() - t0:.1f} s)")
    metrics = dict(loss=hist["epoch_loss"][-1], test_recon=hist["test_recon"][-1],
                   initial_test_recon=initial)
    if contractive:
        metrics["test_penalty"] = float(model.penalty(Xte).item())
        metrics["initial_test_penalty"] = initial_pen
    res = TrainResult(model, cfg, hist, metrics)
    res.sample_input = _digit_examples(Xte, yte)
    return res


def _test_recon(model, X):
    import autodiff as ad
    with ad.no_grad():
        return float(model.reconstruction_loss(model(X), X).item())


def _digit_examples(X, y):
    """Two test images of each class, in class order: (20, 64)."""
    idx = np.concatenate([np.flatnonzero(y.data == c)[:2] for c in range(10)])
    return X[idx]


# ---- artefacts ----------------------------------------------------------------------------------
def _write_common(res, out, log):
    files = {}
    files["checkpoint"] = save_checkpoint(res.model, res.config, out)
    files["loss"] = _plot_history(res, os.path.join(out, "loss.png"))
    if res.config["model"] == "gan":
        files["samples"] = _plot_gan_samples(res, os.path.join(out, "samples.png"))
    elif res.config["model"] == "autoencoder":
        files["samples"] = _plot_reconstructions(res, os.path.join(out, "samples.png"))
    return files


def save_checkpoint(model, config, out):
    """``nn.save(model.state_dict())`` to ``out/checkpoint.npz`` plus ``out/config.json``."""
    from .nn.serialization import save  # = autodiff.nn.save
    path = os.path.join(out, "checkpoint.npz")
    save(model.state_dict(), path)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return path


def load_checkpoint(out):
    """Rebuild the model a run wrote to ``out`` and load its weights."""
    from .nn.serialization import load  # = autodiff.nn.load
    with open(os.path.join(out, "config.json")) as f:
        cfg = json.load(f)
    model = build_model(cfg["model"], cfg.get("kind", "denoising"))
    model.load_state_dict(load(os.path.join(out, "checkpoint.npz")))
    return model, cfg


GRAPH_MAX_NODES = 150


def write_graph(root, model, out, log=print, fmt="svg", title=None):
    """Draw the graph of ``root`` (leaves named from ``model``'s parameters, showing values and
    gradients) to ``out/graph.svg`` (``fmt``), or ``out/graph.dot`` with a one-line notice when
    Graphviz's ``dot`` program is missing. Returns the path written."""
    try:
        from .viz import draw_graph
    except ImportError as e:
        log(f"note: graph drawing unavailable ({e}); no graph written")
        return None
    g = draw_graph(root, params=model, show_data=True, show_grad=True,
                   max_nodes=GRAPH_MAX_NODES, title=title)
    if shutil.which("dot") is not None:
        try:
            path = os.path.join(out, f"graph.{fmt}")
            svg = g.pipe(format=fmt)
            with open(path, "wb") as f:
                f.write(svg)
            return path
        except Exception as e:  # graphviz.ExecutableNotFound or a failing dot: fall back
            log(f"note: rendering with Graphviz failed ({type(e).__name__}); writing DOT source")
    else:
        log("note: Graphviz 'dot' program not found; wrote graph.dot instead of graph.svg "
            "(install Graphviz to render it)")
    path = os.path.join(out, "graph.dot")
    with open(path, "w") as f:
        f.write(g.source)
    return path


def _figure(*args, **kwargs):
    import matplotlib
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt
    return plt, plt.figure(*args, **kwargs)


def _smooth(values, n):
    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2 * n:
        return np.arange(len(v)), v
    kernel = np.ones(n) / n
    return np.arange(n - 1, len(v)), np.convolve(v, kernel, mode="valid")


def _plot_history(res, path):
    plt, fig = _figure(figsize=(10, 4))
    h, name = res.history, res.config["model"]
    if name == "gan":
        ax = fig.add_subplot(1, 2, 1)
        for key, label in (("d_loss", "discriminator"), ("g_loss", "generator")):
            ax.plot(h[key], alpha=0.2)
            x, s = _smooth(h[key], 50)
            ax.plot(x, s, label=f"{label} (mean of 50 steps)", color=ax.lines[-1].get_color())
        ax.set_xlabel("generator step")
        ax.set_ylabel("binary cross-entropy")
        ax.set_title("GAN losses")
        ax.legend()
        ax2 = fig.add_subplot(1, 2, 2)
        ep = np.arange(1, len(h["modes"]) + 1) * GAN_STEPS_PER_EPOCH
        ax2.plot(ep, h["modes"], "o-", label="modes covered (of 8)")
        ax2.set_ylim(0, 8.5)
        ax2.set_xlabel("generator step")
        ax2.set_ylabel("modes covered")
        ax3 = ax2.twinx()
        ax3.plot(ep, 100 * np.asarray(h["quality"]), "s--", color="C1",
                 label="high-quality samples (%)")
        ax3.set_ylim(0, 105)
        ax3.set_ylabel("% samples within 3 std of a mode")
        ax2.set_title("sample quality")
        lines = ax2.get_lines() + ax3.get_lines()
        ax2.legend(lines, [l.get_label() for l in lines], loc="lower right")
    else:
        ax = fig.add_subplot(1, 2, 1)
        steps_per_epoch = max(1, len(h["step_loss"]) // max(1, len(h["epoch_loss"])))
        ax.plot(np.arange(1, len(h["step_loss"]) + 1) / steps_per_epoch, h["step_loss"],
                alpha=0.25, label="per step")
        ax.plot(np.arange(1, len(h["epoch_loss"]) + 1) - 0.5, h["epoch_loss"], "o-",
                label="epoch mean")
        ax.set_xlabel("epoch")
        if name != "autoencoder":
            ax.set_ylabel("cross-entropy")
        elif res.config.get("kind") == "contractive":
            ax.set_ylabel("reconstruction + lambda * penalty")
        else:
            ax.set_ylabel("reconstruction loss")
        ax.set_yscale("log")
        kind = f"{res.config['kind']} " if name == "autoencoder" else ""
        ax.set_title(f"{kind}{name} training loss")
        ax.legend()
        ax2 = fig.add_subplot(1, 2, 2)
        ep = np.arange(1, len(h["epoch_loss"]) + 1)
        if name == "autoencoder":
            ax2.plot(ep, h["recon"], "o-", label="train reconstruction")
            ax2.plot(ep, h["test_recon"], "s-", label="test reconstruction")
            ax2.set_ylabel("squared error per image")
            if h["penalty"]:
                ax3 = ax2.twinx()
                ax3.plot(ep, h["penalty"], "^--", color="C2", label="contractive penalty (train)")
                ax3.axhline(res.metrics["initial_test_penalty"], color="C2", ls=":",
                            label="penalty at initialisation (test)")
                ax3.set_ylabel("||dh/dx||_F^2 per image")
                ax3.set_ylim(0, None)
                lines = ax2.get_lines() + ax3.get_lines()
                ax2.legend(lines, [l.get_label() for l in lines], loc="upper center",
                           bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8)
            else:
                ax2.legend()
            ax2.set_title(f"reconstruction (test at initialisation: "
                          f"{res.metrics['initial_test_recon']:.1f})")
        else:
            ax2.plot(ep, 100 * np.asarray(h["train_acc"]), "o-", label="train")
            ax2.plot(ep, 100 * np.asarray(h["test_acc"]), "s-", label="test")
            ax2.set_ylabel("accuracy (%)")
            ax2.set_title(f"accuracy (final test {100 * h['test_acc'][-1]:.1f}%)")
            ax2.legend()
        ax2.set_xlabel("epoch")
        from matplotlib.ticker import MaxNLocator
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    for a in fig.axes:
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _plot_gan_samples(res, path):
    from .data import ring_centers, ring_of_gaussians
    import autodiff as ad
    from matplotlib.lines import Line2D
    plt, fig = _figure(figsize=(6.4, 6))
    ax = fig.add_subplot(1, 1, 1)
    real = ring_of_gaussians(2000, std=GAN_STD).data
    fake = res.model.sample(2000).data
    centers = ring_centers(8, 2.0)
    lim = max(3.0, min(6.0, float(np.percentile(np.abs(fake), 99)) + 0.3))
    # background: the discriminator's belief D(x) that a point is real
    grid = np.linspace(-lim, lim, 200, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    with ad.no_grad():
        logits = res.model.discriminator(ad.Tensor(np.stack([gx.ravel(), gy.ravel()], 1))).data
    prob = 1 / (1 + np.exp(-np.clip(logits, -50, 50)))
    im = ax.imshow(prob.reshape(gx.shape), extent=(-lim, lim, -lim, lim), origin="lower",
                   cmap="Blues", vmin=0, vmax=1, alpha=0.45)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="discriminator D(x)")
    ax.scatter(real[:, 0], real[:, 1], s=3, c="0.35", alpha=0.5)
    ax.scatter(fake[:, 0], fake[:, 1], s=3, c="C3", alpha=0.5)
    for c in centers:
        ax.add_patch(plt.Circle(c, 3 * GAN_STD, fill=False, color="k", lw=0.8))
    ax.set_aspect("equal")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    m = res.metrics
    ax.set_title(f"GAN samples: {m['modes_covered']}/8 modes covered, "
                 f"{100 * m['high_quality']:.0f}% within 3 std")
    handles = [Line2D([], [], ls="", marker="o", ms=5, color="0.35", label="real data"),
               Line2D([], [], ls="", marker="o", ms=5, color="C3", label="generated (2000)"),
               Line2D([], [], ls="", marker="o", ms=9, mfc="none", color="k",
                      label="3 std around each mode")]
    ax.legend(handles=handles, loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _plot_reconstructions(res, path):
    import autodiff as ad
    model, x = res.model, res.sample_input
    rows = [("original", x.data)]
    with ad.no_grad():
        if res.config.get("kind") == "denoising":
            noisy = model.corrupt(x)
            rows.append(("corrupted", noisy.data))
            rows.append(("denoised", model(noisy).data))
        rows.append(("reconstruction", model(x).data))
    plt, fig = _figure(figsize=(len(x) * 0.6 + 1.2, len(rows) * 0.7 + 0.5))
    for r, (label, imgs) in enumerate(rows):
        for c in range(len(x)):
            ax = fig.add_subplot(len(rows), len(x), r * len(x) + c + 1)
            ax.imshow(imgs[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1,
                      interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"{res.config.get('kind')} autoencoder on test digits", fontsize=10)
    fig.subplots_adjust(left=0.12, right=0.99, top=0.88, bottom=0.02, wspace=0.05, hspace=0.1)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
