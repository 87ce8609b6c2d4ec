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
from autodiff.cli import checkpoint, commands, demo, loops, progress, run, tasks, training

HAVE_DOT = shutil.which("dot") is not None

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def _small_gan_epochs(monkeypatch):
    monkeypatch.setattr(loops, "GAN_STEPS_PER_EPOCH", 20)


@pytest.fixture
def captured(monkeypatch):
    """Run through cli.main but keep the TrainResult that train returned."""
    results = []
    real = cli.train

    def spy(*a, **k):
        res = real(*a, **k)
        results.append(res)
        return res

    monkeypatch.setattr(commands, "train", spy)
    monkeypatch.setattr(demo, "train", spy)
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
    Xtr, _, _, _ = tasks.task_data(name)
    return Xtr[:7]


def _outputs(name, model, x):
    model.eval()
    with ad.no_grad():
        if name == "gan":
            return [model.generator(x)._data, model.discriminator(model.generator(x))._data]
        return [model(x)._data]


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
    # checkpoint: model, optimizer(s) and the epoch, as ad.load reads it
    ck = ad.load(str(out / "checkpoint.npz"))
    assert set(ck["model_state_dict"]) == set(res.model.state_dict())
    assert ck["epoch"] == 1 and ck["config"]["model"] == name
    opt_states = ck["optimizer_state_dict"]
    if name == "gan":
        assert set(opt_states) == {"discriminator", "generator"}
    else:
        assert opt_states["state"][0]["step"] > 0  # Adam's state after the epoch's steps
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model"] == name and cfg["epochs"] == 1 and cfg["batch_size"] == 128
    assert cfg["seed"] == 3 and cfg["autodiff_version"] == ad.__version__
    assert cfg == ck["config"]
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


def test_graph_dot_when_graphviz_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
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
    (["train", "autoencoder", "--kind", "sparse"], "must be one of denoising, contractive"),
    (["train", "mlp", "--kind", "contractive"], "applies to autoencoder only"),
    (["train", "cnn", "--kind", "denoising"], "cnn has no kinds"),
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
    monkeypatch.setattr(training, "_train", lambda *a, **k: started.append(1))
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "mlp", "--out", str(blocker / "sub")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "not writable" in err
    assert started == []
    with pytest.raises(OSError):
        cli.train("mlp", out=str(blocker / "sub"))
    assert started == []
    monkeypatch.setattr(checkpoint, "RUNS_DIR", str(blocker / "runs"))  # the default folder
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "mlp"])
    assert e.value.code == 2
    assert "cannot create a run folder" in capsys.readouterr().err and started == []


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


# ---- progress output (issue 20) -----------------------------------------------------------------
@pytest.fixture
def bars(monkeypatch):
    """Progress bars on (as on a terminal), each tqdm instance and tqdm.write call recorded."""
    import tqdm.auto
    record = {"bars": [], "writes": []}

    class Spy(tqdm.auto.tqdm):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            record["bars"].append(self)
            self.initial_n = self.n

        def close(self):
            self.final = (self.n, self.total, dict(self.postfix_dict)
                          if hasattr(self, "postfix_dict") else self.postfix)
            super().close()

        @classmethod
        def write(cls, s, *a, **k):
            record["writes"].append(s)
            return super().write(s, *a, **k)

    monkeypatch.setattr(tqdm.auto, "tqdm", Spy)
    monkeypatch.setattr(progress, "bars_possible", lambda: True)
    return record


def test_progress_bar_counts_batches_and_starts_after_the_first(tmp_path, capsys, bars,
                                                                 monkeypatch):
    monkeypatch.setattr(progress, "COMPILE_NOTICE_AFTER", 0)  # say "compiling" whatever the speed
    monkeypatch.setattr(shutil, "which", lambda name: None)  # a notice mid-epoch
    res = cli.train("mlp", epochs=2, batch_size=256, out=str(tmp_path))
    out, err = capsys.readouterr()
    n_batches = -(-len(tasks.task_data("mlp")[1]) // 256)
    assert len(bars["bars"]) == 2  # one bar per epoch
    first, second = bars["bars"]
    assert first.initial_n == 1 and second.initial_n == 0  # the first batch ran before its bar
    for b in bars["bars"]:
        assert b.final[0] == b.final[1] == n_batches  # the counter reached the total
    assert "loss" in str(first.postfix)
    assert first.desc.startswith("mlp epoch 1/2")
    # every line of the run went through tqdm.write (printed above the bars, never into one)
    notice = "note: Graphviz 'dot' program not found"
    assert [w for w in bars["writes"] if w.startswith(notice)] != []
    assert bars["writes"].count(progress.COMPILE_NOTICE) == 1
    lines = out.splitlines()
    assert lines.index(progress.COMPILE_NOTICE) < lines.index(next(
        l for l in lines if l.startswith("epoch   1/2")))
    assert notice not in err and progress.COMPILE_NOTICE not in err
    assert res.history["epoch_loss"][1] < res.history["epoch_loss"][0]


def test_bars_only_where_they_display(monkeypatch):
    import importlib.util
    import io

    import tqdm.auto
    import tqdm.notebook

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress.bars_possible()
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a log file
    assert not progress.bars_possible()
    # in Jupyter tqdm.auto is the widget bar: only with ipywidgets (else ~47 text redraws)
    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.notebook.tqdm)
    real_find = importlib.util.find_spec
    for have in (False, True):
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
            (object() if have else None) if name == "ipywidgets" else real_find(name, *a)))
        assert progress.bars_possible() is have


def test_error_in_the_first_batch_leaves_no_notice_running(capsys, monkeypatch):
    import time
    monkeypatch.setattr(progress, "COMPILE_NOTICE_AFTER", 0.2)
    real_build = tasks.build_model

    def broken(name, kind=None):
        model = real_build(name, kind)
        model.forward = lambda x: (_ for _ in ()).throw(ValueError("broken forward"))
        return model

    monkeypatch.setattr(loops, "build_model", broken)
    with pytest.raises(ValueError, match="broken forward"):
        cli.train("mlp", epochs=1, out=None)
    time.sleep(0.5)  # the timer would have fired by now
    assert progress.COMPILE_NOTICE not in capsys.readouterr().out


def test_quiet_prints_only_the_summary(tmp_path, capsys, bars):
    assert cli.main(["train", "mlp", "--epochs", "2", "--batch-size", "256", "--quiet",
                     "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("done in") and "test_acc" in lines[0]
    assert lines[1].startswith(f"wrote {tmp_path}") and "checkpoint.npz" in lines[1]
    assert bars["bars"] == [] and err == ""
    assert cli.main(["train", "mlp", "--epochs", "1", "--batch-size", "256", "--no-progress",
                     "--out", str(tmp_path)]) == 0
    assert bars["bars"] == []
    assert "epoch   1/1" in capsys.readouterr().out


def test_log_without_a_terminal_is_one_line_per_epoch():
    """What `make demo > log` records: no carriage returns, one line per epoch, few lines."""
    env = dict(os.environ, PYTHONPATH=REPO, OPENBLAS_NUM_THREADS="1")
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([sys.executable, "-m", "autodiff", "demo", "--epochs", "2",
                            "--out", os.path.join(d, "demo")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
                           env=env, timeout=600)
    log = r.stdout.decode()
    assert r.returncode == 0, log
    assert "\r" not in log and "\x1b" not in log
    lines = log.splitlines()
    assert sum(l.startswith("epoch ") for l in lines) == 2
    assert lines.count(progress.COMPILE_NOTICE) <= 1
    # with the demo's default epochs: one more line per epoch, still under 40 lines
    assert len(lines) - 2 + tasks.DEFAULTS["cnn"]["epochs"] < 40, log


# ---- output folders (issue 20) ------------------------------------------------------------------
def test_each_run_gets_a_fresh_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(checkpoint, "RUNS_DIR", str(tmp_path / "runs"))
    for _ in range(2):
        assert cli.main(["train", "mlp", "--epochs", "1", "--batch-size", "512",
                         "--no-progress"]) == 0
    runs = sorted(os.listdir(tmp_path / "runs"))
    assert len(runs) == 2 and all(r.startswith("mlp-20") for r in runs)
    for r in runs:
        files = set(os.listdir(tmp_path / "runs" / r))
        assert {"checkpoint.npz", "config.json", "loss.png"} <= files
    assert f"wrote {tmp_path / 'runs' / runs[1]}" in capsys.readouterr().out


def test_explicit_out_is_cleared_of_earlier_artefacts_only(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    out.mkdir()
    for stale in ("graph.svg", "samples.png", "loss.png"):
        (out / stale).write_text("from an earlier run")
    (out / "notes.txt").write_text("mine")
    monkeypatch.setattr(shutil, "which", lambda name: None)  # this run draws graph.dot
    assert cli.main(["train", "mlp", "--epochs", "1", "--batch-size", "512", "--no-progress",
                     "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "config.json", "graph.dot",
                                       "loss.png", "notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"
    _check_png(out / "loss.png")


# ---- resume (issue 20) --------------------------------------------------------------------------
@pytest.mark.parametrize("name,extra", [("mlp", []), ("gan", []),
                                        ("autoencoder", ["--kind", "denoising"])])
def test_interrupted_run_resumes_to_the_same_result(tmp_path, capsys, monkeypatch, captured,
                                                    name, extra):
    base = ["train", name, "--epochs", "2", "--batch-size", "256", "--seed", "5",
            "--no-progress", *extra]
    assert cli.main(base + ["--out", str(tmp_path / "whole")]) == 0
    whole = captured[-1]
    real_end = run.Run.end_epoch

    def stop_after_first(self, epoch, *a):
        real_end(self, epoch, *a)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(run.Run, "end_epoch", stop_after_first)
    assert cli.main(base + ["--out", str(tmp_path / "cut")]) == 130
    assert f"continue with: autodiff train --resume {tmp_path / 'cut'}" in capsys.readouterr().out
    assert ad.load(tmp_path / "cut" / "checkpoint.npz")["epoch"] == 1
    monkeypatch.setattr(run.Run, "end_epoch", real_end)
    assert cli.main(["train", "--resume", str(tmp_path / "cut"), "--no-progress",
                     "--out", str(tmp_path / "resumed")]) == 0
    resumed = captured[-1]
    for (k, a), b in zip(whole.model.state_dict().items(), resumed.model.state_dict().values()):
        np.testing.assert_array_equal(a._data, b._data, err_msg=k)
    assert resumed.history == whole.history
    cfg = json.loads((tmp_path / "resumed" / "config.json").read_text())
    assert cfg["resumed_from"] == str(tmp_path / "cut") and cfg["resumed_at_epoch"] == 1
    model, _ = cli.load_checkpoint(str(tmp_path / "resumed"))
    x = _model_input(name, model)
    for a, b in zip(_outputs(name, whole.model, x), _outputs(name, model, x)):
        np.testing.assert_array_equal(a, b)


def test_resume_extends_a_finished_run(tmp_path, capsys, captured):
    assert cli.main(["train", "mlp", "--epochs", "1", "--batch-size", "256", "--no-progress",
                     "--out", str(tmp_path / "a")]) == 0
    first = captured[-1]
    assert cli.main(["train", "mlp", "--resume", str(tmp_path / "a"), "--epochs", "3",
                     "--no-progress", "--out", str(tmp_path / "a")]) == 0  # in place
    res = captured[-1]
    assert len(res.history["epoch_loss"]) == 3
    assert res.history["epoch_loss"][0] == first.history["epoch_loss"][0]
    assert res.history["epoch_loss"][2] < res.history["epoch_loss"][0]  # still learning
    assert ad.load(tmp_path / "a" / "checkpoint.npz")["epoch"] == 3


def test_resume_argument_errors(tmp_path, capsys):
    run = tmp_path / "run"
    assert cli.main(["train", "mlp", "--epochs", "1", "--batch-size", "512", "--no-progress",
                     "--out", str(run)]) == 0
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    from autodiff import nn
    nn.save(cli.build_model("mlp").state_dict(), legacy / "checkpoint.npz")
    (legacy / "config.json").write_text(json.dumps({"model": "mlp"}))
    model, cfg = cli.load_checkpoint(str(legacy))  # old runs still load for inference
    assert cfg["model"] == "mlp"
    capsys.readouterr()
    for argv, msg in [
        (["--resume", str(tmp_path)], "no checkpoint.npz there"),
        (["--resume", str(legacy)], "model weights only"),
        (["cnn", "--resume", str(run)], "that run trained mlp, not cnn"),
        (["--resume", str(run), "--lr", "0.1", "--seed", "2"], "drop --lr, --seed"),
        (["--resume", str(run)], "already trained 1 of 1 epochs"),
        (["--resume", str(run), "--epochs", "1"], "pass --epochs N with N > 1"),
    ]:
        with pytest.raises(SystemExit) as e:
            cli.main(["train", *argv])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert "usage:" in err and msg in err, (argv, err)


# ---- help (issue 20) ----------------------------------------------------------------------------
def test_every_command_has_help_and_the_readme_documents_the_options(capsys):
    parser = cli.build_parser()
    for cmd in ("train", "demo"):
        with pytest.raises(SystemExit):
            cli.main([cmd, "-h"])
        text = capsys.readouterr().out
        description = " ".join(parser.subparsers[cmd].description.split())
        assert len(description) > 60 and description[:60] in " ".join(text.split())
        for word in ("config.json", "checkpoint.npz", "--no-progress", "--quiet", "--out"):
            assert word in text, (cmd, word)
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    section = readme[readme.index("## The command line"):]
    section = section[:section.index("\n## ", 3)]
    for action in parser.subparsers["train"]._actions:
        for opt in action.option_strings:
            if opt.startswith("--") and opt != "--help":
                assert opt in section, opt
    assert "config.json" in section and "--resume" in section
