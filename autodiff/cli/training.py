"""``train``: one run of ``autodiff train`` as a function (settings, output folder, console,
resume), which hands the epochs to the model's loop in ``loops``."""

from __future__ import annotations

import contextlib
import os
import time

from .. import __version__
from .. import random as _random
from .checkpoint import check_out_dir, clean_out_dir, resume_state, save_checkpoint, write_config
from .plots import write_plots
from .progress import Console, write_stdout
from .run import Run
from .tasks import DEFAULTS, KINDS, MODELS, check_kind


def limit_blas_threads(n):
    """A context manager limiting NumPy's BLAS to ``n`` threads (needs threadpoolctl, which
    scikit-learn brings; without it this does nothing)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - depends on the environment
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def train(
    name=None,
    epochs=None,
    batch_size=None,
    lr=None,
    seed=None,
    out=None,
    kind=None,
    progress=True,
    log=None,
    blas_threads=1,
    resume=None,
    quiet=False,
):
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
        resume = resume_state(
            resume, name, epochs, dict(batch_size=batch_size, lr=lr, seed=seed, kind=kind)
        )
        name = resume["config"]["model"]
    elif name not in MODELS:
        raise ValueError(f"train: unknown model {name!r} (choose from {MODELS})")
    else:
        check_kind(name, kind)
    if out is not None:
        check_out_dir(out)  # fail before any training
        clean_out_dir(out)
    console = Console(progress, quiet, log or write_stdout)
    if blas_threads is None:
        return _train(name, epochs, batch_size, lr, seed, out, kind, console, resume)
    with limit_blas_threads(blas_threads):
        return _train(name, epochs, batch_size, lr, seed, out, kind, console, resume)


def _train(name, epochs, batch_size, lr, seed, out, kind, console, resume):
    if resume is not None:
        cfg = dict(
            resume["config"],
            epochs=epochs or resume["config"]["epochs"],
            resumed_from=resume["resumed_from"],
            resumed_at_epoch=resume["epoch"],
        )
    else:
        d = DEFAULTS[name]
        cfg = dict(
            model=name,
            epochs=epochs or d["epochs"],
            batch_size=batch_size or d["batch_size"],
            lr=lr or d["lr"],
            seed=0 if seed is None else seed,
        )
        if name in KINDS:
            cfg["kind"] = kind or KINDS[name][0]
    cfg["autodiff_version"] = __version__
    _random.manual_seed(cfg["seed"])
    t0 = time.perf_counter()
    shown = {k: v for k, v in cfg.items() if k not in ("model", "autodiff_version")}
    console.info(
        f"autodiff train {name}: "
        + ", ".join(f"{k}={v}" for k, v in shown.items())
        + (f" -> {out}" if out is not None else "")
    )
    if out is not None:
        write_config(cfg, out)
    from .loops import runner  # imports nn and optim: here, so that `autodiff -h` stays fast

    run = Run(cfg, console, out, resume)
    try:
        result = runner(name)(run)
    except KeyboardInterrupt:
        if run.saved_epoch and out is not None:
            console.summary(
                f"interrupted: epochs 1-{run.saved_epoch} are saved in {out}; "
                f"continue with: autodiff train --resume {out}"
            )
        else:
            console.summary("interrupted before an epoch was saved")
        raise
    finally:
        console.close_bars()  # an error mid-epoch: no bar or compile notice left running
    result.files.update(run.files)
    result.seconds = time.perf_counter() - t0
    result.out = out
    if out is not None:
        if "checkpoint" not in result.files:  # no epoch ran (cannot happen from the CLI)
            result.files["checkpoint"] = save_checkpoint(result.model, cfg, out)
        result.files.update(write_plots(result, out))
    console.summary(
        f"done in {result.seconds:.1f} s: "
        + ", ".join(f"{k} {_fmt_metric(k, v)}" for k, v in result.metrics.items())
    )
    if out is not None:
        console.summary(
            f"wrote {out}{os.sep}: "
            + ", ".join(os.path.basename(result.files[k]) for k in sorted(result.files))
        )
    return result


def _fmt_metric(k, v):
    if "acc" in k:
        return f"{100 * v:.2f}%"
    return f"{v:.4g}" if isinstance(v, float) else str(v)
