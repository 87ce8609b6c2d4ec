"""What a run prints: per-epoch lines and notes (unless quiet), the summary (always), and a
progress bar per epoch where bars display well (tqdm on a terminal; widgets in Jupyter with
ipywidgets). A first run prints ``COMPILE_NOTICE`` when its first batch is slow, instead of a
progress bar with a false ETA.
"""

from __future__ import annotations

import sys
import threading

COMPILE_NOTICE_AFTER = 3.0  # seconds: a slower first batch is compiling (0: always say so)
COMPILE_NOTICE = "compiling kernels (first run only, cached after) ..."


def write_stdout(msg):
    """print() that does not tear a progress bar (tqdm clears and redraws it)."""
    from tqdm.auto import tqdm

    tqdm.write(msg, file=sys.stdout)


def bars_possible():
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


class Console:
    """Where a run's words go: per-epoch lines and notes (unless quiet), the summary (always),
    and progress bars (only where they display well)."""

    def __init__(self, progress, quiet, log):
        self.quiet, self._log = quiet, log
        self.bars = bool(progress) and not quiet and bars_possible()
        self.first_batch_done = False

    def info(self, msg):
        if not self.quiet:
            self._log(msg)

    note = info  # one-off notices (Graphviz missing, interruption): printed above the bars

    def summary(self, msg):
        self._log(msg)

    def bar(self, desc, total):
        self.close_bars()
        self.active = EpochBar(self, desc, total)
        return self.active

    def close_bars(self):
        active, self.active = getattr(self, "active", None), None
        if active is not None:
            active.close()


class EpochBar:
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

            self.bar = tqdm(
                desc=self.desc,
                total=self.total,
                initial=done,
                leave=False,
                unit="batch",
                dynamic_ncols=True,
                file=sys.stderr,
            )

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
