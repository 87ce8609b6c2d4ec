"""The command line: ``autodiff train {mlp,cnn,lstm,gan,autoencoder}`` and ``autodiff demo``.

    autodiff train cnn --epochs 10                    # into a new runs/cnn-<date>-<time>/
    autodiff train autoencoder --kind contractive --out runs/cae
    autodiff train --resume runs/cae --epochs 30      # continue that run up to epoch 30
    autodiff demo                                     # train cnn, then say where the pictures are

Every run trains on data shipped with the dependencies (no network). On a terminal it shows a
progress bar per epoch (tqdm; widgets in Jupyter when ipywidgets is installed); otherwise (a
log file, CI) one line per epoch and no bars. A first run prints "compiling kernels (first run
only, cached after)" when its first batch is slow, instead of a progress bar with a false ETA.
See ``OUTPUT_HELP`` for the files each run writes.

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
import textwrap
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from . import __version__
from ._extras import missing_message

MODELS = ("mlp", "cnn", "lstm", "gan", "autoencoder")
KINDS = {"autoencoder": ("denoising", "contractive")}  # --kind per model (default: the first)

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
RUNS_DIR = "runs"  # where a run without --out gets its fresh folder
COMPILE_NOTICE_AFTER = 3.0  # seconds: a slower first batch is compiling (0: always say so)
COMPILE_NOTICE = "compiling kernels (first run only, cached after) ..."

# the files a run writes; an existing --out folder is cleared of these (and only these) first
ARTEFACTS = ("checkpoint.npz", "config.json", "loss.png", "graph.svg", "graph.dot",
             "samples.png")

OUTPUT_HELP = """\
output: a new folder runs/<model>-<YYYYmmdd-HHMMSS>/ for every run, or --out DIR (files of
earlier runs there that this command writes are deleted first; nothing else is touched):
  config.json     the run's settings: model, epochs, batch_size, lr, seed, kind (autoencoder),
                  resumed_from and resumed_at_epoch (--resume), autodiff_version
  checkpoint.npz  written after every epoch (autodiff.load reads it; .npz, no pickle):
                  model_state_dict, optimizer_state_dict, scheduler_state_dict, epoch,
                  history, rng_state, config; autodiff.cli.load_checkpoint(DIR) rebuilds the
                  model, and --resume DIR continues the run
  loss.png        loss and accuracy curves (gan: losses and sample quality)
  graph.svg       the computation graph of one training step (graph.dot without Graphviz)
  samples.png     gan: generated points; autoencoder: reconstructions of test digits

progress: a bar per epoch when stderr is a terminal (tqdm; Jupyter widgets with ipywidgets),
else one line per epoch; --no-progress hides the bars, --quiet prints only the summary.
Ctrl-C stops after saving the last finished epoch; --resume continues from there."""


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


def _add_output_options(p):
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (per-epoch lines still print); bars are off anyway "
                        "when stderr is not a terminal")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only the final summary (no bars, no per-epoch lines, no notes)")


def build_parser():
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="autodiff", formatter_class=fmt,
        description="autodiff: reverse-mode automatic differentiation; train the classic "
                    "models on bundled data.",
        epilog="commands:\n  autodiff train MODEL   train one model (autodiff train -h)\n"
               "  autodiff demo          train the CNN on the digits (autodiff demo -h)")
    p.add_argument("--version", action="version", version=f"autodiff {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{train,demo}")
    t = sub.add_parser(
        "train", formatter_class=fmt,
        help="train a model and write checkpoint, loss curve, graph and samples",
        description=textwrap.fill(
            "Train a model on bundled data (no download): mlp, cnn, lstm and the autoencoders "
            "learn the 8x8 digits, gan a ring of 8 Gaussians.", 88)
        + "\n\ndefaults per model:\n" + "\n".join(
                        f"  {m:12s} epochs={d['epochs']} batch-size={d['batch_size']} "
                        f"lr={d['lr']}" for m, d in DEFAULTS.items()),
        epilog=OUTPUT_HELP)
    t.add_argument("model", nargs="?", choices=MODELS,
                   help="which model to train (with --resume: taken from the checkpoint)")
    t.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                   help="passes over the training data (gan: blocks of "
                        f"{GAN_STEPS_PER_EPOCH} steps); with --resume: the total to reach")
    t.add_argument("--batch-size", type=_positive_int, default=None, metavar="B",
                   help="minibatch size")
    t.add_argument("--lr", type=_positive_float, default=None, help="Adam learning rate")
    t.add_argument("--seed", type=_int, default=None, metavar="S",
                   help="random seed (default 0)")
    t.add_argument("--kind", default=None, metavar="KIND",
                   help="autoencoder only: denoising (default) or contractive")
    t.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: a new runs/<model>-<YYYYmmdd-HHMMSS>)")
    t.add_argument("--resume", default=None, metavar="DIR",
                   help="continue the run saved in DIR (model, optimizer, scheduler, epoch, "
                        "random state) with its settings, up to --epochs in total; writes "
                        "to --out or a new folder")
    t.add_argument("--blas-threads", type=_positive_int, default=1, metavar="N",
                   help="BLAS threads while training (default 1: these models' matrices are "
                        "small, and extra BLAS threads mostly contend for the cores)")
    _add_output_options(t)
    d = sub.add_parser(
        "demo", formatter_class=fmt,
        help="train the CNN on the digits (= train cnn) and print where the pictures are",
        description=textwrap.fill(
            "Train the LeNet-style CNN on the bundled 8x8 digits (autodiff train cnn with its "
            "defaults), then print its test accuracy and where the loss curves, the "
            "computation graph and the checkpoint are. This is what `make demo` runs.", 88),
        epilog=OUTPUT_HELP.replace("runs/<model>-", "runs/demo-"))
    d.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: a new runs/demo-<YYYYmmdd-HHMMSS>)")
    d.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                   help=f"passes over the data (default {DEFAULTS['cnn']['epochs']})")
    _add_output_options(d)
    p.subparsers = {"train": t, "demo": d}
    return p


def check_out_dir(out):
    """Create ``out`` and make sure a file can be written there; raise OSError otherwise."""
    os.makedirs(out, exist_ok=True)
    probe = os.path.join(out, f".autodiff-write-test-{os.getpid()}")
    with open(probe, "w") as f:
        f.write("ok")
    os.remove(probe)


def new_run_dir(prefix, root=None):
    """Create and return a fresh folder ``<root>/<prefix>-<YYYYmmdd-HHMMSS>`` (``-2``, ``-3``...
    when a run started in the same second)."""
    root = RUNS_DIR if root is None else root
    base = os.path.join(root, f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}")
    path, i = base, 1
    while True:
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            i += 1
            path = f"{base}-{i}"


def clean_out_dir(out):
    """Delete the files of an earlier run (``ARTEFACTS``) from ``out``; nothing else."""
    for name in ARTEFACTS:
        path = os.path.join(out, name)
        if os.path.isfile(path) or os.path.islink(path):
            os.remove(path)


def check_kind(name, kind):
    """Raise ValueError unless ``kind`` (None: the default) is valid for model ``name``."""
    if kind is None:
        return
    kinds = KINDS.get(name)
    if kinds is None:
        raise ValueError(f"--kind applies to {', '.join(KINDS)} only; {name} has no kinds "
                         f"(got --kind {kind})")
    if kind not in kinds:
        raise ValueError(f"--kind for {name} must be one of {', '.join(kinds)} (got {kind!r})")


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
        problem = missing_dependencies(args.command, getattr(args, "model", None) or "cnn")
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
    if args.command is None:
        parser.print_help()
        return 0
    sub = parser.subparsers[args.command]
    quiet = args.quiet
    progress = not (args.no_progress or quiet)
    try:
        if args.command == "train":
            resume = None
            if args.resume is not None:
                resume = _resume_state(args.resume, args.model, args.epochs, dict(
                    batch_size=args.batch_size, lr=args.lr, seed=args.seed, kind=args.kind))
                name = resume["config"]["model"]
            elif args.model is None:
                sub.error("the following arguments are required: model (or --resume DIR)")
            else:
                name = args.model
                check_kind(name, args.kind)
            out = args.out or new_run_dir(name)
        else:
            resume, name, out = None, "cnn", args.out or new_run_dir("demo")
        check_out_dir(out)
    except ValueError as e:
        sub.error(str(e))
    except OSError as e:
        if args.out:
            sub.error(f"--out {args.out!r} is not writable: {e}")
        sub.error(f"cannot create a run folder in {RUNS_DIR!r} ({e}); pass --out DIR")
    try:
        if args.command == "demo":
            from .demo import run
            run(out=out, epochs=args.epochs, progress=progress, quiet=quiet)
        else:
            train(name, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                  seed=args.seed, out=out, kind=args.kind, progress=progress, quiet=quiet,
                  blas_threads=args.blas_threads, resume=resume)
    except KeyboardInterrupt:
        return 130  # the message was printed by train
    return 0


# ---- training -----------------------------------------------------------------------------------
@dataclass
class TrainResult:
    """What ``train`` returns: the trained model, per-step/epoch history, final metrics, the
    paths of the files written and the output folder (None when nothing was written)."""
    model: object
    config: dict
    history: dict
    metrics: dict
    files: dict = field(default_factory=dict)
    seconds: float = 0.0
    out: str = None


def build_model(name, kind=None):
    """The untrained model ``autodiff train <name>`` uses (for loading a checkpoint)."""
    from .nn import models as M
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


def _resume_state(resume, name=None, epochs=None, overrides=None):
    """The checkpoint of the run in folder ``resume`` (or ``resume`` itself, if already loaded),
    checked against the arguments of the resumed run; ValueError says what is wrong."""
    if isinstance(resume, dict):
        ck = resume
    else:
        path = os.path.join(resume, "checkpoint.npz")
        if not os.path.isfile(path):
            raise ValueError(f"--resume {resume!r}: no checkpoint.npz there (give the folder "
                             "of an earlier run)")
        from .serialization import load
        ck = load(path)
        if not (isinstance(ck, dict) and isinstance(ck.get("config"), dict)
                and "epoch" in ck and "optimizer_state_dict" in ck):
            raise ValueError(f"--resume {resume!r}: its checkpoint.npz holds model weights "
                             "only (written before --resume existed); it cannot be resumed")
        ck = dict(ck, resumed_from=os.fspath(resume))
    cfg = ck["config"]
    if name is not None and name != cfg["model"]:
        raise ValueError(f"--resume: that run trained {cfg['model']}, not {name}")
    given = [k for k, v in (overrides or {}).items() if v is not None]
    if given:
        raise ValueError("--resume continues the saved run with its own settings; drop "
                         + ", ".join("--" + k.replace("_", "-") for k in given))
    total = epochs or cfg["epochs"]
    if total <= ck["epoch"]:
        raise ValueError(f"--resume: that run has already trained {ck['epoch']} of "
                         f"{cfg['epochs']} epochs; pass --epochs N with N > {ck['epoch']}")
    return ck


def _write_stdout(msg):
    """print() that does not tear a progress bar (tqdm clears and redraws it)."""
    from tqdm.auto import tqdm
    tqdm.write(msg, file=sys.stdout)


def train(name=None, epochs=None, batch_size=None, lr=None, seed=None, out=None, kind=None,
          progress=True, log=None, blas_threads=1, resume=None, quiet=False):
    """Train model ``name`` and write its artefacts to ``out`` (nothing is written when ``out``
    is None; an existing ``out`` is cleared of an earlier run's ``ARTEFACTS`` first). Returns
    a ``TrainResult``. ``epochs``/``batch_size``/``lr`` default to ``DEFAULTS[name]``, ``seed``
    to 0, ``kind`` (autoencoder only) to ``"denoising"``. ``blas_threads`` limits NumPy's BLAS
    threads during the run (None: leave as is). ``resume``: the folder of an earlier run (or
    its loaded checkpoint) to continue, up to ``epochs`` in total, with its settings.
    ``log(str)`` receives every line (default: stdout without tearing the bars); ``quiet``
    keeps only the final summary; ``progress=False`` hides the bars.
    """
    if resume is not None:
        resume = _resume_state(resume, name, epochs, dict(batch_size=batch_size, lr=lr,
                                                          seed=seed, kind=kind))
        name = resume["config"]["model"]
    elif name not in MODELS:
        raise ValueError(f"train: unknown model {name!r} (choose from {MODELS})")
    else:
        check_kind(name, kind)
    if out is not None:
        check_out_dir(out)  # fail before any training
        clean_out_dir(out)
    console = _Console(progress, quiet, log or _write_stdout)
    if blas_threads is None:
        return _train(name, epochs, batch_size, lr, seed, out, kind, console, resume)
    with limit_blas_threads(blas_threads):
        return _train(name, epochs, batch_size, lr, seed, out, kind, console, resume)


def _train(name, epochs, batch_size, lr, seed, out, kind, console, resume):
    from . import random as _random
    if resume is not None:
        cfg = dict(resume["config"], epochs=epochs or resume["config"]["epochs"],
                   resumed_from=resume["resumed_from"], resumed_at_epoch=resume["epoch"])
    else:
        d = DEFAULTS[name]
        cfg = dict(model=name, epochs=epochs or d["epochs"],
                   batch_size=batch_size or d["batch_size"], lr=lr or d["lr"],
                   seed=0 if seed is None else seed)
        if name in KINDS:
            cfg["kind"] = kind or KINDS[name][0]
    cfg["autodiff_version"] = __version__
    _random.manual_seed(cfg["seed"])
    t0 = time.perf_counter()
    shown = {k: v for k, v in cfg.items() if k not in ("model", "autodiff_version")}
    console.info(f"autodiff train {name}: " + ", ".join(f"{k}={v}" for k, v in shown.items())
                 + (f" -> {out}" if out is not None else ""))
    if out is not None:
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
    runner = {"gan": _train_gan, "autoencoder": _train_autoencoder}.get(name, _train_classifier)
    run = _Run(cfg, console, out, resume)
    try:
        result = runner(run)
    except KeyboardInterrupt:
        if run.saved_epoch and out is not None:
            console.summary(f"interrupted: epochs 1-{run.saved_epoch} are saved in {out}; "
                            f"continue with: autodiff train --resume {out}")
        else:
            console.summary("interrupted before an epoch was saved")
        raise
    finally:
        console.close_bars()  # an error mid-epoch: no bar or compile notice left running
    result.files.update(run.files)
    result.seconds = time.perf_counter() - t0
    result.out = out
    if out is not None:
        result.files.update(_write_common(result, out))
    console.summary(f"done in {result.seconds:.1f} s: " + ", ".join(
        f"{k} {_fmt_metric(k, v)}" for k, v in result.metrics.items()))
    if out is not None:
        console.summary(f"wrote {out}{os.sep}: " + ", ".join(
            os.path.basename(result.files[k]) for k in sorted(result.files)))
    return result


def _fmt_metric(k, v):
    if "acc" in k:
        return f"{100 * v:.2f}%"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


# ---- progress output ----------------------------------------------------------------------------
def _bars_possible():
    """Whether progress bars would display well: in Jupyter when ipywidgets is installed
    (else tqdm falls back to dozens of text redraws), elsewhere when stderr is a terminal."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return False
    if any(c.__module__ == "tqdm.notebook" for c in tqdm.__mro__):
        import importlib.util
        return importlib.util.find_spec("ipywidgets") is not None
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class _Console:
    """Where a run's words go: per-epoch lines and notes (unless quiet), the summary (always),
    and progress bars (only where they display well)."""

    def __init__(self, progress, quiet, log):
        self.quiet, self._log = quiet, log
        self.bars = bool(progress) and not quiet and _bars_possible()
        self.first_batch_done = False

    def info(self, msg):
        if not self.quiet:
            self._log(msg)

    note = info  # one-off notices (Graphviz missing, interruption): printed above the bars

    def summary(self, msg):
        self._log(msg)

    def bar(self, desc, total):
        self.close_bars()
        self.active = _EpochBar(self, desc, total)
        return self.active

    def close_bars(self):
        active, self.active = getattr(self, "active", None), None
        if active is not None:
            active.close()


class _EpochBar:
    """The progress of one epoch: ``step(**postfix)`` after each batch, then ``close()``.

    Before the run's first batch a timer is started: if the batch is still running after
    ``COMPILE_NOTICE_AFTER`` seconds, numba is compiling, and ``COMPILE_NOTICE`` is printed
    (once). The bar itself starts after that first batch, so its rate and ETA never include
    the compilation."""

    def __init__(self, console, desc, total):
        self.console, self.desc, self.total = console, desc, total
        self.bar = self.timer = None
        self.first = not console.first_batch_done
        if self.first and not console.quiet:
            if COMPILE_NOTICE_AFTER <= 0:
                console.note(COMPILE_NOTICE)
            else:
                self.timer = threading.Timer(COMPILE_NOTICE_AFTER, console.note, (COMPILE_NOTICE,))
                self.timer.daemon = True
                self.timer.start()
        if not self.first:
            self._open(0)

    def _open(self, done):
        if self.console.bars:
            from tqdm.auto import tqdm
            self.bar = tqdm(desc=self.desc, total=self.total, initial=done, leave=False,
                            unit="batch", dynamic_ncols=True, file=sys.stderr)

    def step(self, **postfix):
        if self.first:
            self.first = False
            self.console.first_batch_done = True
            if self.timer is not None:
                self.timer.cancel()
            self._open(1)
        elif self.bar is not None:
            self.bar.update(1)
        if self.bar is not None:
            self.bar.set_postfix(postfix, refresh=False)

    def close(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _accuracy(model, X, y, batch_size=512):
    import autodiff as ad
    model.eval()
    correct = 0
    with ad.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(X[i:i + batch_size])
            correct += int((logits._data.argmax(1) == y._data[i:i + batch_size]).sum())
    model.train()
    return correct / len(y)


def _plain(history):
    """History lists as Python numbers (stored in the checkpoint's schema, not as arrays)."""
    return {k: [v if isinstance(v, int) else float(v) for v in vals]
            for k, vals in history.items()}


class _Run:
    """What a training loop needs besides its model: config, console, output folder (graph of
    the first step, a checkpoint after every epoch) and the state of a resumed run."""

    def __init__(self, cfg, console, out, resume):
        self.cfg, self.console, self.out, self.resume = cfg, console, out, resume
        self.files = {}
        self._drawn = False
        self.saved_epoch = 0
        self.extra = {}  # task-specific values kept across a resume (initial metrics)

    def log(self, msg):
        self.console.info(msg)

    def bar(self, desc, total):
        return self.console.bar(desc, total)

    def draw_step(self, loss, model):
        """Draw the graph of ``loss`` (after its backward: leaves show their gradients) once."""
        if self.out is None or self._drawn:
            return
        self._drawn = True
        path = write_graph(loss, model, self.out, self.console.note)
        if path:
            self.files["graph"] = path

    def restore(self, model, optimizers, scheduler, history):
        """Load a resumed run's model, optimizer and scheduler state and history (in place);
        return the first epoch to train (1 for a fresh run)."""
        ck = self.resume
        if ck is None:
            return 1
        model.load_state_dict(ck["model_state_dict"])
        saved = ck["optimizer_state_dict"]
        for key, opt in optimizers.items():
            opt.load_state_dict(saved[key] if len(optimizers) > 1 else saved)
        if scheduler is not None:
            scheduler.load_state_dict(ck["scheduler_state_dict"])
            if getattr(scheduler, "T_max", None) not in (None, self.cfg["epochs"]):
                # more epochs than first planned: the cosine spans the new total, and the
                # current lr moves onto that curve (the recursive form cannot leave lr 0)
                scheduler.T_max = self.cfg["epochs"]
                lrs = scheduler._get_closed_form_lr()
                for group, lr in zip(scheduler.optimizer.param_groups, lrs):
                    group["lr"] = lr
                scheduler._last_lr = list(lrs)
        for k, v in ck["history"].items():
            history[k] = list(v)
        self.extra = dict(ck.get("extra") or {})
        self.saved_epoch = ck["epoch"]
        self.console.info(f"resuming {ck['resumed_from']} after epoch {ck['epoch']}")
        return ck["epoch"] + 1

    def restore_rng(self):
        """Continue a resumed run's random stream (shuffling, dropout, noise) where it was."""
        if self.resume is not None:
            from . import random as _random
            _random.set_rng_state(self.resume["rng_state"])

    def end_epoch(self, epoch, model, optimizers, scheduler, history):
        """Write ``checkpoint.npz``: everything ``--resume`` needs to continue after ``epoch``."""
        if self.out is None:
            return
        from . import random as _random
        from .serialization import save
        opt_state = {k: o.state_dict() for k, o in optimizers.items()}
        if len(opt_state) == 1:
            opt_state = next(iter(opt_state.values()))
        ck = {"config": self.cfg, "epoch": epoch, "model_state_dict": model.state_dict(),
              "optimizer_state_dict": opt_state,
              "scheduler_state_dict": None if scheduler is None else scheduler.state_dict(),
              "history": _plain(history), "rng_state": _random.get_rng_state(),
              "extra": self.extra}
        path = os.path.join(self.out, "checkpoint.npz")
        save(ck, path)
        self.files["checkpoint"] = path
        self.saved_epoch = epoch


def _train_classifier(run):
    cfg = run.cfg
    from . import optim
    from .nn import functional as F
    from .data import DataLoader, TensorDataset
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
            opt.zero_grad()
            loss.backward()
            run.draw_step(loss, model)
            opt.step()
            lv = float(loss.item())
            hist["step_loss"].append(lv)
            total, count = total + lv * len(yb), count + len(yb)
            bar.step(loss=f"{total / count:.4f}")
        bar.close()
        sched.step()
        hist["epoch_loss"].append(total / count)
        hist["train_acc"].append(_accuracy(model, Xtr, ytr))
        hist["test_acc"].append(_accuracy(model, Xte, yte))
        run.log(f"epoch {epoch:3d}/{cfg['epochs']}  loss {total / count:.4f}  train acc "
                f"{100 * hist['train_acc'][-1]:6.2f}%  test acc {100 * hist['test_acc'][-1]:6.2f}%  "
                f"({time.perf_counter() - t0:.1f} s)")
        run.end_epoch(epoch, model, opts, sched, hist)
    metrics = dict(loss=hist["epoch_loss"][-1], train_acc=hist["train_acc"][-1],
                   test_acc=hist["test_acc"][-1])
    return TrainResult(model, cfg, hist, metrics)


def _train_gan(run):
    cfg = run.cfg
    from . import optim
    from .data import ring_centers, ring_of_gaussians
    from .nn.models import mode_coverage
    model = build_model("gan")
    d_opt = optim.Adam(model.discriminator.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    g_opt = optim.Adam(model.generator.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    opts = {"discriminator": d_opt, "generator": g_opt}
    centers = ring_centers(8, 2.0)
    bs = cfg["batch_size"]
    hist = dict(d_loss=[], g_loss=[], modes=[], quality=[])
    start = run.restore(model, opts, None, hist)
    # the graph of one generator step (G, then D, then the non-saturating loss)
    g_loss = model.generator_loss(model.generator(_randn(bs, model.latent_dim)))
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
            bar.step(d_loss=f"{np.mean(hist['d_loss'][-50:]):.3f}",
                     g_loss=f"{np.mean(hist['g_loss'][-50:]):.3f}")
        bar.close()
        covered, quality, _ = mode_coverage(model.sample(2000)._data, centers, GAN_STD)
        hist["modes"].append(covered)
        hist["quality"].append(quality)
        n = GAN_STEPS_PER_EPOCH
        run.log(f"epoch {epoch:3d}/{cfg['epochs']}  d_loss {np.mean(hist['d_loss'][-n:]):.4f}"
                f"  g_loss {np.mean(hist['g_loss'][-n:]):.4f}  modes covered "
                f"{covered}/8  high-quality samples {100 * quality:.1f}%  "
                f"({time.perf_counter() - t0:.1f} s)")
        run.end_epoch(epoch, model, opts, None, hist)
    metrics = dict(d_loss=float(np.mean(hist["d_loss"][-50:])),
                   g_loss=float(np.mean(hist["g_loss"][-50:])),
                   modes_covered=hist["modes"][-1], high_quality=hist["quality"][-1])
    return TrainResult(model, cfg, hist, metrics)


def _randn(*shape):
    import autodiff as ad
    return ad.randn(*shape)


def _train_autoencoder(run):
    cfg = run.cfg
    from . import optim
    from .data import DataLoader, TensorDataset
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
            bar.step(loss=f"{total / count:.4f}")
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
        run.log(msg + f"  test recon {hist['test_recon'][-1]:.4f} (initial {initial:.4f})  "
                      f"({time.perf_counter() - t0:.1f} s)")
        run.end_epoch(epoch, model, opts, None, hist)
    metrics = dict(loss=hist["epoch_loss"][-1], test_recon=hist["test_recon"][-1],
                   initial_test_recon=initial)
    if contractive:
        metrics["test_penalty"] = float(model.penalty(Xte).item())
        metrics["initial_test_penalty"] = run.extra["initial_test_penalty"]
    res = TrainResult(model, cfg, hist, metrics)
    res.sample_input = _digit_examples(Xte, yte)
    return res


def _test_recon(model, X):
    import autodiff as ad
    with ad.no_grad():
        return float(model.reconstruction_loss(model(X), X).item())


def _digit_examples(X, y):
    """Two test images of each class, in class order: (20, 64)."""
    idx = np.concatenate([np.flatnonzero(y._data == c)[:2] for c in range(10)])
    return X[idx]


# ---- artefacts ----------------------------------------------------------------------------------
def _write_common(res, out):
    files = {}
    if "checkpoint" not in res.files:  # no epoch ran (cannot happen from the CLI)
        files["checkpoint"] = save_checkpoint(res.model, res.config, out)
    files["loss"] = _plot_history(res, os.path.join(out, "loss.png"))
    if res.config["model"] == "gan":
        files["samples"] = _plot_gan_samples(res, os.path.join(out, "samples.png"))
    elif res.config["model"] == "autoencoder":
        files["samples"] = _plot_reconstructions(res, os.path.join(out, "samples.png"))
    return files


def save_checkpoint(model, config, out):
    """Write ``out/checkpoint.npz`` holding ``model_state_dict`` and ``config`` (no optimizer
    state: a run's own checkpoints are written after every epoch) and ``out/config.json``."""
    from .serialization import save
    path = os.path.join(out, "checkpoint.npz")
    save({"config": config, "model_state_dict": model.state_dict()}, path)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return path


def load_checkpoint(out):
    """Rebuild the model a run wrote to folder ``out`` and load its weights: ``(model, config)``.
    Also reads the checkpoints of earlier versions (a bare state_dict beside config.json)."""
    from .serialization import load
    state = load(os.path.join(out, "checkpoint.npz"))
    if isinstance(state, dict) and "model_state_dict" in state:
        cfg, weights = state["config"], state["model_state_dict"]
    else:
        with open(os.path.join(out, "config.json")) as f:
            cfg = json.load(f)
        weights = state
    model = build_model(cfg["model"], cfg.get("kind"))
    model.load_state_dict(weights)
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
    real = ring_of_gaussians(2000, std=GAN_STD)._data
    fake = res.model.sample(2000)._data
    centers = ring_centers(8, 2.0)
    lim = max(3.0, min(6.0, float(np.percentile(np.abs(fake), 99)) + 0.3))
    # background: the discriminator's belief D(x) that a point is real
    grid = np.linspace(-lim, lim, 200, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    with ad.no_grad():
        logits = res.model.discriminator(ad.Tensor(np.stack([gx.ravel(), gy.ravel()], 1)))._data
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
    rows = [("original", x._data)]
    with ad.no_grad():
        if res.config.get("kind") == "denoising":
            noisy = model.corrupt(x)
            rows.append(("corrupted", noisy._data))
            rows.append(("denoised", model(noisy)._data))
        rows.append(("reconstruction", model(x)._data))
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
