"""The pictures a run writes: the loss and accuracy curves, GAN samples, autoencoder
reconstructions (matplotlib, imported when the first figure is drawn: it is an optional extra),
and the computation graph of one training step (``autodiff.draw_graph``)."""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np

from .. import Tensor, no_grad
from ..data import ring_centers, ring_of_gaussians
from ..viz import draw_graph
from .tasks import GAN_STD


def write_plots(res, out):
    """Write the run's pictures to ``out``: ``loss.png`` and, for the GAN and the autoencoders,
    ``samples.png``. Returns ``{"loss": path, "samples": path}``."""
    files = {}
    files["loss"] = _plot_history(res, os.path.join(out, "loss.png"))
    if res.config["model"] == "gan":
        files["samples"] = _plot_gan_samples(res, os.path.join(out, "samples.png"))
    elif res.config["model"] == "autoencoder":
        files["samples"] = _plot_reconstructions(res, os.path.join(out, "samples.png"))
    return files


GRAPH_MAX_NODES = 150


def write_graph(root, model, out, log=print, fmt="svg", title=None):
    """Draw the graph of ``root`` (leaves named from ``model``'s parameters, showing values and
    gradients) to ``out/graph.svg`` (``fmt``), or ``out/graph.dot`` with a one-line notice when
    Graphviz's ``dot`` program is missing. Returns the path written."""
    g = draw_graph(
        root, params=model, show_data=True, show_grad=True, max_nodes=GRAPH_MAX_NODES, title=title
    )
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
        log(
            "note: Graphviz 'dot' program not found; wrote graph.dot instead of graph.svg "
            "(install Graphviz to render it)"
        )
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
    if res.config["model"] == "gan":
        _gan_curves(fig, res.history)
    else:
        _training_curves(fig, res)
    for a in fig.axes:
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _gan_curves(fig, h):
    """Left: both losses per generator step; right: modes covered and sample quality."""
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
    steps_per_epoch = len(h["d_loss"]) // max(1, len(h["modes"]))
    ep = np.arange(1, len(h["modes"]) + 1) * steps_per_epoch
    ax2.plot(ep, h["modes"], "o-", label="modes covered (of 8)")
    ax2.set_ylim(0, 8.5)
    ax2.set_xlabel("generator step")
    ax2.set_ylabel("modes covered")
    ax3 = ax2.twinx()
    ax3.plot(
        ep, 100 * np.asarray(h["quality"]), "s--", color="C1", label="high-quality samples (%)"
    )
    ax3.set_ylim(0, 105)
    ax3.set_ylabel("% samples within 3 std of a mode")
    ax2.set_title("sample quality")
    lines = ax2.get_lines() + ax3.get_lines()
    ax2.legend(lines, [l.get_label() for l in lines], loc="lower right")


def _training_curves(fig, res):
    """Left: the loss per step and per epoch; right: accuracy (classifiers) or reconstruction
    error (autoencoders) per epoch."""
    h, name = res.history, res.config["model"]
    ax = fig.add_subplot(1, 2, 1)
    steps_per_epoch = max(1, len(h["step_loss"]) // max(1, len(h["epoch_loss"])))
    ax.plot(
        np.arange(1, len(h["step_loss"]) + 1) / steps_per_epoch,
        h["step_loss"],
        alpha=0.25,
        label="per step",
    )
    ax.plot(np.arange(1, len(h["epoch_loss"]) + 1) - 0.5, h["epoch_loss"], "o-", label="epoch mean")
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
            ax3.axhline(
                res.metrics["initial_test_penalty"],
                color="C2",
                ls=":",
                label="penalty at initialisation (test)",
            )
            ax3.set_ylabel("||dh/dx||_F^2 per image")
            ax3.set_ylim(0, None)
            lines = ax2.get_lines() + ax3.get_lines()
            ax2.legend(
                lines,
                [l.get_label() for l in lines],
                loc="upper center",
                bbox_to_anchor=(0.5, -0.16),
                ncol=2,
                fontsize=8,
            )
        else:
            ax2.legend()
        ax2.set_title(
            f"reconstruction (test at initialisation: {res.metrics['initial_test_recon']:.1f})"
        )
    else:
        ax2.plot(ep, 100 * np.asarray(h["train_acc"]), "o-", label="train")
        ax2.plot(ep, 100 * np.asarray(h["test_acc"]), "s-", label="test")
        ax2.set_ylabel("accuracy (%)")
        ax2.set_title(f"accuracy (final test {100 * h['test_acc'][-1]:.1f}%)")
        ax2.legend()
    ax2.set_xlabel("epoch")
    from matplotlib.ticker import MaxNLocator

    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))


def _plot_gan_samples(res, path):
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
    with no_grad():
        logits = res.model.discriminator(Tensor(np.stack([gx.ravel(), gy.ravel()], 1)))._data
    prob = 1 / (1 + np.exp(-np.clip(logits, -50, 50)))
    im = ax.imshow(
        prob.reshape(gx.shape),
        extent=(-lim, lim, -lim, lim),
        origin="lower",
        cmap="Blues",
        vmin=0,
        vmax=1,
        alpha=0.45,
    )
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="discriminator D(x)")
    ax.scatter(real[:, 0], real[:, 1], s=3, c="0.35", alpha=0.5)
    ax.scatter(fake[:, 0], fake[:, 1], s=3, c="C3", alpha=0.5)
    for c in centers:
        ax.add_patch(plt.Circle(c, 3 * GAN_STD, fill=False, color="k", lw=0.8))
    ax.set_aspect("equal")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    m = res.metrics
    ax.set_title(
        f"GAN samples: {m['modes_covered']}/8 modes covered, "
        f"{100 * m['high_quality']:.0f}% within 3 std"
    )
    handles = [
        Line2D([], [], ls="", marker="o", ms=5, color="0.35", label="real data"),
        Line2D([], [], ls="", marker="o", ms=5, color="C3", label="generated (2000)"),
        Line2D(
            [], [], ls="", marker="o", ms=9, mfc="none", color="k", label="3 std around each mode"
        ),
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _plot_reconstructions(res, path):
    model, x = res.model, res.sample_input
    rows = [("original", x._data)]
    with no_grad():
        if res.config.get("kind") == "denoising":
            noisy = model.corrupt(x)
            rows.append(("corrupted", noisy._data))
            rows.append(("denoised", model(noisy)._data))
        rows.append(("reconstruction", model(x)._data))
    plt, fig = _figure(figsize=(len(x) * 0.6 + 1.2, len(rows) * 0.7 + 0.5))
    for r, (label, imgs) in enumerate(rows):
        for c in range(len(x)):
            ax = fig.add_subplot(len(rows), len(x), r * len(x) + c + 1)
            ax.imshow(imgs[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"{res.config.get('kind')} autoencoder on test digits", fontsize=10)
    fig.subplots_adjust(left=0.12, right=0.99, top=0.88, bottom=0.02, wspace=0.05, hspace=0.1)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
