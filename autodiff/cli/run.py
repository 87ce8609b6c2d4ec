"""What a training loop needs besides its model (``Run``), and what ``train`` returns
(``TrainResult``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .. import random as _random
from ..serialization import save
from .plots import write_graph


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


def _plain(history):
    """History lists as Python numbers (stored in the checkpoint's schema, not as arrays)."""
    return {k: [v if isinstance(v, int) else float(v) for v in vals] for k, vals in history.items()}


class Run:
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

    def optimize(self, loss, model, opt):
        """One step of ``opt`` on ``loss`` (the first step's graph is drawn after its backward,
        so the leaves show their gradients); returns the loss as a float."""
        opt.zero_grad()
        loss.backward()
        self.draw_step(loss, model)
        opt.step()
        return float(loss.item())

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
            _random.set_rng_state(self.resume["rng_state"])

    def end_epoch(self, epoch, model, optimizers, scheduler, history):
        """Write ``checkpoint.npz``: everything ``--resume`` needs to continue after ``epoch``."""
        if self.out is None:
            return
        opt_state = {k: o.state_dict() for k, o in optimizers.items()}
        if len(opt_state) == 1:
            opt_state = next(iter(opt_state.values()))
        ck = {
            "config": self.cfg,
            "epoch": epoch,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt_state,
            "scheduler_state_dict": None if scheduler is None else scheduler.state_dict(),
            "history": _plain(history),
            "rng_state": _random.get_rng_state(),
            "extra": self.extra,
        }
        path = os.path.join(self.out, "checkpoint.npz")
        save(ck, path)
        self.files["checkpoint"] = path
        self.saved_epoch = epoch
