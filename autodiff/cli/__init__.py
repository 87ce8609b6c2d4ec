"""The command line: ``autodiff train {mlp,cnn,lstm,gan,autoencoder}`` and ``autodiff demo``.

    autodiff train cnn --epochs 10                    # into a new runs/cnn-<date>-<time>/
    autodiff train autoencoder --kind contractive --out runs/cae
    autodiff train --resume runs/cae --epochs 30      # continue that run up to epoch 30
    autodiff demo                                     # train cnn, then say where the pictures are

Every run trains on data shipped with the dependencies (no network). On a terminal it shows a
progress bar per epoch (tqdm; widgets in Jupyter when ipywidgets is installed); otherwise (a
log file, CI) one line per epoch and no bars. See ``commands.OUTPUT_HELP`` for the files each
run writes.

This package sits on top of the library: it uses ``autodiff.nn`` and ``autodiff.optim``, and
nothing in the engine imports it (``import autodiff`` never loads it).

    commands.py    the argument parser and main()
    demo.py        autodiff demo: train cnn, then say where the pictures are
    training.py    train(): one run as a function (settings, folder, console, resume)
    loops.py       the training loops: classifiers, GAN, autoencoders
    run.py         Run (what a loop needs besides its model), TrainResult
    tasks.py       the models, their data and default settings
    checkpoint.py  the run folder, checkpoints, --resume
    progress.py    per-epoch lines, progress bars, the compile notice
    plots.py       loss curves, samples, the graph of one step

From Python: ``train(name, ...)`` returns a ``TrainResult``; ``load_checkpoint(folder)``
rebuilds a trained model; ``build_model(name)`` and ``task_data(name)`` give a task's untrained
model and data.
"""

from __future__ import annotations

from .checkpoint import load_checkpoint
from .commands import build_parser, main
from .run import TrainResult
from .tasks import build_model, task_data
from .training import train

__all__ = [
    "TrainResult",
    "build_model",
    "build_parser",
    "load_checkpoint",
    "main",
    "task_data",
    "train",
]
