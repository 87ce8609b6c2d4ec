"""``autodiff demo`` (and ``make demo``): ``autodiff train cnn`` into a new ``runs/demo-<time>``
folder (or ``out``), then say where the pictures are."""

from __future__ import annotations

import os

from .checkpoint import new_run_dir
from .progress import write_stdout
from .training import train


def run(out=None, epochs=None, progress=True, quiet=False):
    """Train the LeNet-style CNN on the bundled digits, write the artefacts to ``out`` (default:
    a new ``runs/demo-<YYYYmmdd-HHMMSS>`` folder) and print where they are. Returns the
    ``TrainResult``."""
    out = out or new_run_dir("demo")
    res = train("cnn", epochs=epochs, out=out, progress=progress, quiet=quiet)
    say = write_stdout
    acc = (
        f"CNN test accuracy on the digits: {100 * res.metrics['test_acc']:.2f}% "
        f"({res.seconds:.0f} s)"
    )
    if quiet:
        say(acc)
        return res
    say("")
    say(acc)
    say("pictures:")
    for key, label in (
        ("loss", "loss and accuracy curves"),
        ("graph", "computation graph of one training step"),
    ):
        if key in res.files:
            say(f"  {label:40s} {os.path.abspath(res.files[key])}")
    say(f"  {'checkpoint (autodiff.load)':40s} {os.path.abspath(res.files['checkpoint'])}")
    return res
