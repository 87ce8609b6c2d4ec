"""The command line: `autodiff train ...`, `autodiff demo`, `--version`, argument errors, and
the artefacts each run writes (checked for validity, not only existence)."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import autodiff as ad
from autodiff import cli

HAVE_DOT = shutil.which("dot") is not None

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _small_gan_epochs(monkeypatch):
    monkeypatch.setattr(cli, "GAN_STEPS_PER_EPOCH", 20)


@pytest.fixture
def captured(monkeypatch):
    """Run through cli.main but keep the TrainResult that cli.train returned."""
    results = []
    real = cli.train

    def spy(*a, **k):
        res = real(*a, **k)
        results.append(res)
        return res

    monkeypatch.setattr(cli, "train", spy)
    return results


def _check_png(path):
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC
    import matplotlib.image as mpimg
    img = mpimg.imread(path)
    assert img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.01  # not a blank canvas


def _model_input(name, model):
    if name == "gan":
        return ad.randn(7, model.latent_dim)
    Xtr, _, _, _ = cli.task_data(name)
    return Xtr[:7]


def _outputs(name, model, x):
    model.eval()
    with ad.no_grad():
        if name == "gan":
            return [model.generator(x).data, model.discriminator(model.generator(x)).data]
        return [model(x).data]


CASES = [("mlp", []), ("cnn", []), ("lstm", []), ("gan", []),
         ("autoencoder", ["--kind", "denoising"]), ("autoencoder", ["--kind", "contractive"])]


@pytest.mark.slow
@pytest.mark.parametrize("name,extra", CASES, ids=[c[0] + "".join(c[1][1:]) for c in CASES])
def test_train_end_to_end_writes_valid_artefacts(tmp_path, capsys, captured, name, extra):
    out = tmp_path / "run"
    argv = ["train", name, "--epochs", "1", "--batch-size", "128", "--seed", "3",
            "--out", str(out), *extra]
    assert cli.main(argv) == 0
    res = captured[-1]
    stdout = capsys.readouterr().out
    assert "epoch   1/1" in stdout
    if name in ("mlp", "cnn", "lstm"):
        assert "train acc" in stdout and "test acc" in stdout
    # checkpoint: nn.save'd state_dict that rebuilds the same model
    import nn
    state = nn.load(str(out / "checkpoint.npz"))
    assert set(state) == set(res.model.state_dict())
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model"] == name and cfg["epochs"] == 1 and cfg["batch_size"] == 128
    model2, _ = cli.load_checkpoint(str(out))
    x = _model_input(name, res.model)
    for a, b in zip(_outputs(name, res.model, x), _outputs(name, model2, x)):
        np.testing.assert_array_equal(a, b)
    # pictures
    _check_png(out / "loss.png")
    if HAVE_DOT:
        svg = (out / "graph.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert svg.rstrip().endswith("</svg>")
        assert "weight" in svg  # parameters are named in the drawing
    else:  # no Graphviz program: the DOT source instead (.ci/run installs Graphviz)
        dot = (out / "graph.dot").read_text()
        assert dot.lstrip().startswith("digraph") and "->" in dot and "weight" in dot
        assert not (out / "graph.svg").exists()
    if name in ("gan", "autoencoder"):
        _check_png(out / "samples.png")
    else:
        assert not (out / "samples.png").exists()


def test_progress_bar_shows_running_loss(tmp_path, capsys):
    cli.train("autoencoder", epochs=1, batch_size=256, out=None, progress=True)
    err = capsys.readouterr().err
    assert "autoencoder epoch 1/1" in err and "loss=" in err


def test_graph_dot_when_graphviz_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    cli.train("mlp", epochs=1, batch_size=256, out=str(tmp_path), progress=False)
    out = capsys.readouterr().out
    assert "graph.dot" in out and "not found" in out
    assert out.count("Graphviz 'dot' program not found") == 1
    dot = (tmp_path / "graph.dot").read_text()
    assert dot.lstrip().startswith("digraph") and "->" in dot
    assert not (tmp_path / "graph.svg").exists()


@pytest.mark.parametrize("argv,msg", [
    (["train", "resnet"], "invalid choice"),
    (["train", "mlp", "--epochs", "0"], "positive integer"),
    (["train", "mlp", "--epochs", "two"], "positive integer"),
    (["train", "mlp", "--lr", "-0.1"], "positive number"),
    (["train", "mlp", "--batch-size", "1.5"], "positive integer"),
    (["train", "autoencoder", "--kind", "sparse"], "invalid choice"),
    (["train", "mlp", "--bogus"], "unrecognized arguments"),
    (["train"], "required"),
])
def test_bad_arguments_give_usage_error(capsys, argv, msg):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and msg in err


def test_unwritable_out_fails_before_training(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    started = []
    monkeypatch.setattr(cli, "_train", lambda *a, **k: started.append(1))
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "mlp", "--out", str(blocker / "sub")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "not writable" in err
    assert started == []
    with pytest.raises(OSError):
        cli.train("mlp", out=str(blocker / "sub"))
    assert started == []


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"autodiff {ad.__version__}"
    assert cli.main([]) == 0
    assert "train" in capsys.readouterr().out


@pytest.mark.slow
def test_demo_trains_cnn_and_prints_picture_paths(tmp_path, capsys, captured):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--epochs", "1"]) == 0
    text = capsys.readouterr().out
    assert captured[-1].config["model"] == "cnn"
    graph = out / ("graph.svg" if HAVE_DOT else "graph.dot")
    assert str(out / "loss.png") in text and str(graph) in text and graph.exists()
    _check_png(out / "loss.png")


def test_python_dash_m_autodiff_runs():
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-m", "autodiff", "--version"], capture_output=True,
                       text=True, cwd=REPO, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == f"autodiff {ad.__version__}"
    r = subprocess.run([sys.executable, "-m", "autodiff", "train", "nope"], capture_output=True,
                       text=True, cwd=REPO, env=env, timeout=120)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_installed_console_script_points_at_main():
    from importlib.metadata import entry_points
    eps = [e for e in entry_points(group="console_scripts") if e.name == "autodiff"]
    if not eps:
        pytest.skip("autodiff is not installed as a distribution")
    assert eps[0].value == "autodiff.__main__:main"
    assert eps[0].load() is cli.main
