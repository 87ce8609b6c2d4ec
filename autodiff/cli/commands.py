"""``autodiff`` on the command line: the argument parser and ``main``."""

from __future__ import annotations

import argparse
import math
import sys
import textwrap

from .. import __version__
from .._extras import missing_message
from . import checkpoint, demo
from .checkpoint import check_out_dir, new_run_dir, resume_state
from .tasks import DEFAULTS, GAN_STEPS_PER_EPOCH, MODELS, check_kind
from .training import train

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
    if not v > 0 or not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {s!r}")
    return v


def _int(s):
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None


def _add_output_options(p):
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars (per-epoch lines still print); bars are off anyway "
        "when stderr is not a terminal",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the final summary (no bars, no per-epoch lines, no notes)",
    )


def build_parser():
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="autodiff",
        formatter_class=fmt,
        description="autodiff: reverse-mode automatic differentiation; train the classic "
        "models on bundled data.",
        epilog="commands:\n  autodiff train MODEL   train one model (autodiff train -h)\n"
        "  autodiff demo          train the CNN on the digits (autodiff demo -h)",
    )
    p.add_argument("--version", action="version", version=f"autodiff {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{train,demo}")
    t = sub.add_parser(
        "train",
        formatter_class=fmt,
        help="train a model and write checkpoint, loss curve, graph and samples",
        description=textwrap.fill(
            "Train a model on bundled data (no download): mlp, cnn, lstm and the autoencoders "
            "learn the 8x8 digits, gan a ring of 8 Gaussians.",
            88,
        )
        + "\n\ndefaults per model:\n"
        + "\n".join(
            f"  {m:12s} epochs={d['epochs']} batch-size={d['batch_size']} lr={d['lr']}"
            for m, d in DEFAULTS.items()
        ),
        epilog=OUTPUT_HELP,
    )
    t.add_argument(
        "model",
        nargs="?",
        choices=MODELS,
        help="which model to train (with --resume: taken from the checkpoint)",
    )
    t.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="passes over the training data (gan: blocks of "
        f"{GAN_STEPS_PER_EPOCH} steps); with --resume: the total to reach",
    )
    t.add_argument(
        "--batch-size", type=_positive_int, default=None, metavar="B", help="minibatch size"
    )
    t.add_argument("--lr", type=_positive_float, default=None, help="Adam learning rate")
    t.add_argument("--seed", type=_int, default=None, metavar="S", help="random seed (default 0)")
    t.add_argument(
        "--kind",
        default=None,
        metavar="KIND",
        help="autoencoder only: denoising (default) or contractive",
    )
    t.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default: a new runs/<model>-<YYYYmmdd-HHMMSS>)",
    )
    t.add_argument(
        "--resume",
        default=None,
        metavar="DIR",
        help="continue the run saved in DIR (model, optimizer, scheduler, epoch, "
        "random state) with its settings, up to --epochs in total; writes "
        "to --out or a new folder",
    )
    t.add_argument(
        "--blas-threads",
        type=_positive_int,
        default=1,
        metavar="N",
        help="BLAS threads while training (default 1: these models' matrices are "
        "small, and extra BLAS threads mostly contend for the cores)",
    )
    _add_output_options(t)
    d = sub.add_parser(
        "demo",
        formatter_class=fmt,
        help="train the CNN on the digits (= train cnn) and print where the pictures are",
        description=textwrap.fill(
            "Train the LeNet-style CNN on the bundled 8x8 digits (autodiff train cnn with its "
            "defaults), then print its test accuracy and where the loss curves, the "
            "computation graph and the checkpoint are. This is what `make demo` runs.",
            88,
        ),
        epilog=OUTPUT_HELP.replace("runs/<model>-", "runs/demo-"),
    )
    d.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default: a new runs/demo-<YYYYmmdd-HHMMSS>)",
    )
    d.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"passes over the data (default {DEFAULTS['cnn']['epochs']})",
    )
    _add_output_options(d)
    p.subparsers = {"train": t, "demo": d}
    return p


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
                resume = resume_state(
                    args.resume,
                    args.model,
                    args.epochs,
                    dict(batch_size=args.batch_size, lr=args.lr, seed=args.seed, kind=args.kind),
                )
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
        sub.error(f"cannot create a run folder in {checkpoint.RUNS_DIR!r} ({e}); pass --out DIR")
    try:
        if args.command == "demo":
            demo.run(out=out, epochs=args.epochs, progress=progress, quiet=quiet)
        else:
            train(
                name,
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                seed=args.seed,
                out=out,
                kind=args.kind,
                progress=progress,
                quiet=quiet,
                blas_threads=args.blas_threads,
                resume=resume,
            )
    except KeyboardInterrupt:
        return 130  # the message was printed by train
    return 0
