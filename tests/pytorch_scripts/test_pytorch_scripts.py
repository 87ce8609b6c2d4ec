"""The porting corpus: PyTorch training scripts, written by the project in the everyday styles
of PyTorch's examples and tutorials and of well-known teaching code, each run unchanged twice:
once with ``torch`` bound to autodiff and once with real PyTorch (when installed). Both runs
must learn: the script's last ``loss A -> B`` line must fall by the stated factor, and where
stated its ``accuracy X`` line must reach the threshold.

How ``torch`` becomes autodiff: the script runs in a fresh interpreter whose ``PYTHONPATH``
starts with ``autodiff_as_torch/``, a package named ``torch`` that replaces itself with
``autodiff`` and maps ``import torch.X`` to ``import autodiff.X`` (nothing else). We chose this
over rewriting the scripts' import lines because (1) the file that runs is byte for byte the
file real PyTorch runs, so nothing in a script can be quietly adapted; (2) real torch cannot
be loaded by accident -- a rewritten script with one import line missed, or a helper module
(``import data``, ``import model``) doing its own ``import torch``, would silently mix in the
real library; here every ``torch`` anywhere in the process (and in child processes, which
inherit ``PYTHONPATH``) is autodiff; (3) it is exactly what a user gets by writing
``autodiff`` for ``torch`` in the imports, since the names come only from autodiff's own
modules.

The data are written by the test into the run's working folder (``input.txt``, ``names.txt``,
``data/*.txt``) or come from scikit-learn's bundled 8x8 digits: no network.
"""
from __future__ import annotations

import fcntl
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHIM = HERE / "autodiff_as_torch"

# name -> (script, args, loss must fall by at least this factor, min accuracy or None).
# Each script's docstring says which everyday idioms it uses.
CASES = {
    "data_loading": ("data_loading.py", [], 3.0, 0.85),
    "gpt_from_scratch": ("gpt_from_scratch.py", [], 1.5, None),
    "lr_scheduler_loop": ("lr_scheduler_loop.py", [], 4.0, 0.8),
    "lstm_tagger": ("lstm_tagger.py", [], 3.0, 0.85),
    "makemore_bigram": ("makemore/bigram.py", [], 1.5, None),
    "mnist": ("mnist/main.py", [], 3.0, 0.8),
    "mnist_hogwild": ("mnist/hogwild.py", [], 2.0, 0.7),
    "nanogpt_char": ("nanogpt_char.py", [], 1.4, None),
    "polynomial_autograd": ("polynomial_autograd.py", [], 10.0, None),
    "quickstart": ("quickstart.py", [], 3.0, 0.8),
    "vae": ("mnist/vae.py", [], 1.4, None),
    # these use PyTorch's .data: a Tensor sharing memory, its changes unrecorded by autograd
    "char_rnn_classification": ("char_rnn_classification.py", [], 1.5, 0.8),
    "cifar10_tutorial": ("cifar10_tutorial.py", [], 2.0, 0.7),
    "dcgan": ("dcgan.py", [], 2.5, None),
    "dqn": ("dqn.py", [], 10.0, 1.0),
    "makemore_backprop": ("makemore/mlp_manual_backprop.py", [], 1.4, None),
    "regression": ("regression.py", [], 100.0, None),
    "word_lm_lstm": ("word_language_model/main.py", ["--model", "LSTM"], 1.6, None),
    "word_lm_transformer": ("word_language_model/main.py",
                            ["--model", "Transformer", "--lr", "5"], 1.6, None),
}


# ---- data the scripts read ------------------------------------------------------------------

_SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "the teacher", "a small bird",
             "the farmer", "our neighbour", "the children", "a young girl"]
_VERBS = ["sees", "likes", "finds", "chases", "helps", "carries", "watches", "paints"]
_OBJECTS = ["the ball", "a red apple", "the small house", "an old boat", "the green field",
            "a long letter", "the garden", "a wooden box"]
_ENDINGS = ["", " in the morning", " every day", " near the river", " at night", " again"]


def _sentence(rng):
    return (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
            f"{rng.choice(_ENDINGS)} .")


def _lines(rng, n):
    return [" ".join(_sentence(rng) for _ in range(rng.randint(1, 2))) for _ in range(n)]


def _names(rng, n):
    starts = ["ma", "el", "jo", "an", "li", "sa", "ro", "ka", "da", "mi", "be", "ta"]
    middles = ["ri", "la", "ne", "so", "ti", "va", "lo", "", "", ""]
    ends = ["a", "e", "on", "ie", "an", "el", "y", "o", "is", "en"]
    return [rng.choice(starts) + rng.choice(middles) + rng.choice(ends) for _ in range(n)]


def write_data(folder):
    """The small text corpora of the scripts, deterministic."""
    rng = random.Random(0)
    folder = Path(folder)
    (folder / "data").mkdir(exist_ok=True)
    for name, n in (("train", 600), ("valid", 60), ("test", 60)):
        (folder / "data" / f"{name}.txt").write_text("\n".join(_lines(rng, n)) + "\n")
    (folder / "input.txt").write_text("\n".join(_lines(rng, 400)) + "\n")
    (folder / "names.txt").write_text("\n".join(_names(rng, 2000)) + "\n")


# ---- running ---------------------------------------------------------------------------------


def _env(flavour):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", MPLBACKEND="Agg")
    if flavour == "autodiff":
        env["PYTHONPATH"] = os.pathsep.join([str(SHIM), str(REPO)])
    return env


def run_corpus(flavour, root, names=None, timeout=300):
    """Run the cases ``names`` (default: all) with ``torch`` bound to ``flavour`` ('autodiff'
    or 'torch'), each in its own folder under ``root``; return {name: result} with
    returncode, stdout, stderr, cpu (seconds, the script's process and its children)."""
    root = Path(root)
    cases = []
    for name in sorted(names or CASES):
        script, args, _, _ = CASES[name]
        cwd = root / name
        cwd.mkdir(parents=True, exist_ok=True)
        write_data(cwd)
        cases.append(dict(name=name, script=str(HERE / script), args=args, cwd=str(cwd)))
    spec = root / "spec.json"
    spec.write_text(json.dumps(dict(cases=cases, timeout=timeout)))
    proc = subprocess.run([sys.executable, str(HERE / "run_corpus.py"), str(spec)], cwd=root,
                          env=_env(flavour), capture_output=True, text=True,
                          timeout=timeout * len(cases) + 120)
    results = {}
    for case in cases:
        cwd = Path(case["cwd"])
        try:
            res = json.loads((cwd / "result.json").read_text())
        except FileNotFoundError:
            res = dict(returncode=None, cpu=0.0, wall=0.0)
        res["stdout"] = (cwd / "stdout.txt").read_text() if (cwd / "stdout.txt").exists() else ""
        res["stderr"] = ((cwd / "stderr.txt").read_text() if (cwd / "stderr.txt").exists()
                         else proc.stderr)
        results[case["name"]] = res
    return results


_RESULTS = {}


def _corpus(flavour, tmp_path_factory):
    """The whole corpus's results for ``flavour``, computed once per test session even under
    pytest-xdist: the first worker to ask runs it under a file lock, the others read it."""
    if flavour in _RESULTS:
        return _RESULTS[flavour]
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    root = base / f"pytorch_scripts_{flavour}"
    root.mkdir(exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "results.json"
        if not done.exists():
            done.write_text(json.dumps(run_corpus(flavour, root)))
        _RESULTS[flavour] = json.loads(done.read_text())
    return _RESULTS[flavour]


def _summary(stdout):
    losses = re.findall(r"^loss (\S+) -> (\S+)$", stdout, re.M)
    accs = re.findall(r"^accuracy (\S+)$", stdout, re.M)
    first, last = (float(v) for v in losses[-1]) if losses else (None, None)
    return first, last, (float(accs[-1]) if accs else None)


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["autodiff", "torch"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_script_learns(case, flavour, tmp_path_factory):
    if flavour == "torch":
        pytest.importorskip("torch")
    script, args, factor, min_acc = CASES[case]
    res = _corpus(flavour, tmp_path_factory)[case]
    out, err = res["stdout"], res["stderr"]
    assert res["returncode"] == 0, (f"{script} {' '.join(args)} failed with {flavour}:\n"
                                    f"{out[-2000:]}\n{err[-4000:]}")
    if flavour == "autodiff":
        # PyTorch is silent where NumPy warns (log(0), 0/0 in masks): so must we be
        assert "RuntimeWarning" not in err, err[-3000:]
    first, last, acc = _summary(out)
    assert first is not None, f"{script} printed no 'loss A -> B' line:\n{out[-2000:]}"
    assert last * factor <= first, (f"{case} with {flavour}: loss {first} -> {last}, "
                                    f"expected a fall by {factor}x")
    if min_acc is not None:
        assert acc is not None and acc >= min_acc, (f"{case} with {flavour}: accuracy {acc} "
                                                    f"< {min_acc}")


def test_shim_binds_torch_to_autodiff_only(tmp_path):
    """In the autodiff run ``torch`` is autodiff, ``torch.X`` is autodiff.X, and a name
    autodiff lacks fails as for a user (no fallback to real torch)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys, autodiff, autodiff.ops.shape\n"
        "import torch\n"
        "import torch.ops.shape as shape\n"
        "assert torch is autodiff and shape is autodiff.ops.shape\n"
        "assert torch.__spec__.name == 'autodiff'\n"
        "try:\n"
        "    import torch.no_such_module\n"
        "except ModuleNotFoundError as e:\n"
        "    print('missing:', e.name)\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n")
    proc = subprocess.run([sys.executable, str(probe)], cwd=tmp_path, env=_env("autodiff"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "missing: autodiff.no_such_module" in proc.stdout
    assert "['torch', 'torch.ops', 'torch.ops.shape']" in proc.stdout


if __name__ == "__main__":
    # python tests/pytorch_scripts/test_pytorch_scripts.py {autodiff,torch} [case ...]:
    # run cases in a temporary folder and print each one's outcome and CPU seconds
    import tempfile
    flavour, names = sys.argv[1], sys.argv[2:] or None
    with tempfile.TemporaryDirectory() as tmp:
        for name, res in run_corpus(flavour, tmp, names).items():
            print(f"{name:28s} rc={res['returncode']} cpu={res['cpu']:6.2f}s  "
                  f"{_summary(res['stdout'])}")
            if res["returncode"] != 0:
                print("   ", res["stderr"].strip().splitlines()[-1:])
