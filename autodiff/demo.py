"""``autodiff demo`` (and ``make demo``): ``autodiff train cnn --out runs/demo``, then say where
the pictures are."""
from __future__ import annotations

import os


def run(out=os.path.join("runs", "demo"), epochs=None, progress=True):
    """Train the LeNet-style CNN on the bundled digits, write the artefacts to ``out`` and print
    where they are. Returns the ``TrainResult``."""
    from .cli import train
    res = train("cnn", epochs=epochs, out=out, progress=progress)
    print()
    print(f"CNN test accuracy on the digits: {100 * res.metrics['test_acc']:.2f}% "
          f"({res.seconds:.0f} s)")
    print("pictures:")
    for key, label in (("loss", "loss and accuracy curves"),
                       ("graph", "computation graph of one training step")):
        if key in res.files:
            print(f"  {label:40s} {os.path.abspath(res.files[key])}")
    print(f"  {'checkpoint (nn.load)':40s} {os.path.abspath(res.files['checkpoint'])}")
    return res
