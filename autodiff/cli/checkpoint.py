"""A run's folder and its checkpoint: where a run writes, what ``--resume`` reads back.

``checkpoint.npz`` (``autodiff.save``, no pickle) holds ``model_state_dict``,
``optimizer_state_dict``, ``scheduler_state_dict``, ``epoch``, ``history``, ``rng_state``,
``config`` and ``extra`` (task values kept across a resume); ``config.json`` beside it holds the
run's settings.
"""

from __future__ import annotations

import json
import os
import time

from ..serialization import load, save
from .tasks import build_model

RUNS_DIR = "runs"  # where a run without --out gets its fresh folder

# the files a run writes; an existing --out folder is cleared of these (and only these) first
ARTEFACTS = (
    "checkpoint.npz",
    "config.json",
    "loss.png",
    "graph.svg",
    "graph.dot",
    "samples.png",
)


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


def write_config(cfg, out):
    """Write the run's settings to ``out/config.json``."""
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def save_checkpoint(model, config, out):
    """Write ``out/checkpoint.npz`` holding ``model_state_dict`` and ``config`` (no optimizer
    state: a run's own checkpoints are written after every epoch) and ``out/config.json``."""
    path = os.path.join(out, "checkpoint.npz")
    save({"config": config, "model_state_dict": model.state_dict()}, path)
    write_config(config, out)
    return path


def load_checkpoint(out):
    """Rebuild the model a run wrote to folder ``out`` and load its weights: ``(model, config)``.
    Also reads the checkpoints of earlier versions (a bare state_dict beside config.json)."""
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


def resume_state(resume, name=None, epochs=None, overrides=None):
    """The checkpoint of the run in folder ``resume`` (or ``resume`` itself, if already loaded),
    checked against the arguments of the resumed run; ValueError says what is wrong."""
    if isinstance(resume, dict):
        ck = resume
    else:
        path = os.path.join(resume, "checkpoint.npz")
        if not os.path.isfile(path):
            raise ValueError(
                f"--resume {resume!r}: no checkpoint.npz there (give the folder of an earlier run)"
            )
        ck = load(path)
        if not (
            isinstance(ck, dict)
            and isinstance(ck.get("config"), dict)
            and "epoch" in ck
            and "optimizer_state_dict" in ck
        ):
            raise ValueError(
                f"--resume {resume!r}: its checkpoint.npz holds model weights "
                "only (written before --resume existed); it cannot be resumed"
            )
        ck = dict(ck, resumed_from=os.fspath(resume))
    cfg = ck["config"]
    if name is not None and name != cfg["model"]:
        raise ValueError(f"--resume: that run trained {cfg['model']}, not {name}")
    given = [k for k, v in (overrides or {}).items() if v is not None]
    if given:
        raise ValueError(
            "--resume continues the saved run with its own settings; drop "
            + ", ".join("--" + k.replace("_", "-") for k in given)
        )
    total = epochs or cfg["epochs"]
    if total <= ck["epoch"]:
        raise ValueError(
            f"--resume: that run has already trained {ck['epoch']} of "
            f"{cfg['epochs']} epochs; pass --epochs N with N > {ck['epoch']}"
        )
    return ck
