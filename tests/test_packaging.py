"""Packaging: autodiff.nn / autodiff.optim as the canonical import paths (and ``import nn`` in a
checkout as the very same modules), the public namespace, the distribution name, type hints,
and the CLI's one-line error for missing extras. The wheel itself is built and smoke-tested by
.ci/wheel_smoke."""
import os
import runpy
import subprocess
import sys
import tomllib
import typing

import pytest

import autodiff as ad

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code, cwd=REPO, extra_path=None):
    env = dict(os.environ)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join([extra_path, env.get("PYTHONPATH", "")])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _copies_by_file():
    """{file: number of distinct module objects loaded from it} for nn/ and optim/."""
    seen = {}
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        folders = tuple(os.path.join(REPO, name) + os.sep for name in ("nn", "optim"))
        if f and os.path.abspath(f).startswith(folders):
            seen.setdefault(os.path.abspath(f), set()).add(id(mod))
    return {f: len(ids) for f, ids in seen.items()}


def test_every_spelling_is_the_same_module():
    import autodiff as torch
    import autodiff.nn as nn_c
    import autodiff.nn.functional as F1
    import autodiff.optim as optim_c
    import nn
    import nn.functional as F3
    import nn.linear
    import optim
    import optim.lr_scheduler
    from autodiff.nn import functional as F2
    from autodiff.optim import lr_scheduler
    assert nn is nn_c is torch.nn and optim is optim_c is torch.optim
    assert F1 is F2 is F3 is nn.functional
    assert lr_scheduler is optim.lr_scheduler is sys.modules["optim.lr_scheduler"]
    assert sys.modules["nn.linear"] is sys.modules["autodiff.nn.linear"]
    assert torch.nn.Linear is nn.Linear is nn.linear.Linear
    assert nn.Linear.__module__ == "autodiff.nn.linear"
    # the aliases keep the canonical module's spec (importlib.reload, pickling, -m)
    assert sys.modules["nn.linear"].__spec__.name == "autodiff.nn.linear"
    assert isinstance(nn.Linear(2, 3), torch.nn.Module)
    assert set(_copies_by_file().values()) == {1}


@pytest.mark.parametrize("first", ["import nn.functional as F", "import optim", "import nn.models",
                                   "from nn import Linear"])
def test_top_level_spelling_first_still_one_copy(first):
    """In a fresh interpreter the checkout's `nn` imported before autodiff is autodiff.nn."""
    out = _run(f"""{first}
import sys, os
import autodiff, autodiff.nn, autodiff.optim, autodiff.nn.models, autodiff.nn.functional
import nn, optim, nn.functional, nn.models
assert nn is autodiff.nn and optim is autodiff.optim
assert nn.functional is autodiff.nn.functional and nn.models is autodiff.nn.models
files = {{}}
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f:
        files.setdefault(os.path.abspath(f), set()).add(id(m))
print(max(len(v) for v in files.values()))
""")
    assert out.split() == ["1"]


def test_engine_never_imports_nn_or_optim():
    out = _run("import sys, autodiff\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nn', 'optim')\n"
               "             or m.startswith(('autodiff.nn', 'autodiff.optim'))))")
    assert out.strip() == "[]"


def test_users_own_nn_and_optim_modules_do_not_shadow_the_library(tmp_path):
    (tmp_path / "nn.py").write_text("raise RuntimeError('the user nn.py was imported')\n")
    (tmp_path / "optim.py").write_text("USERS = True\n")
    out = _run("""
import autodiff as ad
import autodiff.nn as nn
from autodiff import cli
import optim                      # the user's own optim.py
model = cli.build_model("mlp")
print(type(model).__module__, optim.USERS, ad.optim.SGD.__module__)
""", cwd=tmp_path, extra_path=REPO)
    assert out.split() == ["autodiff.nn.models.mlp", "True", "autodiff.optim.sgd"]


# ---- the public namespace ------------------------------------------------------------------------
def test_dir_shows_the_api_only():
    names = set(dir(ad))
    for internal in ("np", "annotations", "engine", "function", "ops", "kernels", "creation",
                     "printing", "tensor_methods", "cli", "demo", "viz", "types", "scalar"):
        assert internal not in names, internal
    for public in ("Tensor", "tensor", "zeros", "nn", "optim", "data", "no_grad", "grad",
                   "draw_graph", "float32", "manual_seed", "Function", "gradcheck", "sum"):
        assert public in names, public


def test_all_is_dir_without_builtin_shadowing_names():
    import builtins
    public = set(dir(ad)) - {"__version__"}
    assert set(ad.__all__) == {n for n in public if not hasattr(builtins, n)}
    for name in ad.__all__:
        getattr(ad, name)
    ns = {}
    exec("from autodiff import *", ns)
    assert "Tensor" in ns and "nn" in ns and "sum" not in ns and "float" not in ns
    assert ns["nn"] is ad.nn


def test_missing_attribute_says_so():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ad.nope


# ---- distribution, py.typed, annotations ---------------------------------------------------------
def test_distribution_name_is_used_in_every_hint():
    from autodiff._extras import DIST
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    assert project["project"]["name"] == DIST
    assert project["tool"]["setuptools"]["package-data"]["autodiff"] == ["py.typed"]
    assert os.path.isfile(os.path.join(REPO, "autodiff", "py.typed"))
    stale = []
    for folder in ("autodiff", "nn", "optim"):
        for root, _, files in os.walk(os.path.join(REPO, folder)):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(root, name)) as f:
                        if "pip install 'autodiff[" in f.read():
                            stale.append(name)
    assert stale == []


def test_setup_py_installs_every_package_folder(monkeypatch):
    import setuptools
    captured = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kw: captured.update(kw))
    monkeypatch.chdir(REPO)
    runpy.run_path(os.path.join(REPO, "setup.py"))
    packages = set(captured["packages"])
    assert captured["package_dir"] == {"autodiff.nn": "nn", "autodiff.optim": "optim"}
    expected = set()
    for folder in ("autodiff", "nn", "optim"):
        for root, dirs, files in os.walk(os.path.join(REPO, folder)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            if "__init__.py" in files:
                rel = os.path.relpath(root, REPO).replace(os.sep, ".")
                expected.add(rel if folder == "autodiff" else "autodiff." + rel)
    assert packages == expected
    assert not any(p.split(".")[0] in ("nn", "optim") for p in packages)


@pytest.mark.parametrize("fn", [
    "Tensor.backward", "Tensor.detach", "Tensor.numpy", "Tensor.item", "Tensor.sum",
    "Tensor.reshape", "Tensor.register_hook", "Tensor.__add__", "Tensor.__matmul__",
    "tensor", "zeros", "ones", "randn", "rand", "arange", "linspace", "full", "zeros_like",
    "nn.Module.forward", "nn.Module.parameters", "nn.Module.named_parameters",
    "nn.Module.state_dict", "nn.Module.load_state_dict", "nn.Module.train", "nn.Module.zero_grad",
    "optim.Optimizer.step", "optim.Optimizer.zero_grad", "optim.SGD.step", "optim.Adam.step",
])
def test_public_signatures_are_annotated(fn):
    obj = ad
    for part in fn.split("."):
        obj = getattr(obj, part)
    hints = typing.get_type_hints(obj)
    assert "return" in hints, fn


# ---- the CLI's optional dependencies -------------------------------------------------------------
@pytest.mark.parametrize("argv,missing,words", [
    (["train", "mlp"], ["sklearn"], "autodiff train mlp needs scikit-learn, not installed: "
                                    "pip install 'autodiff-engine[data]'"),
    (["train", "gan"], ["matplotlib"], "autodiff train gan needs matplotlib, not installed: "
                                       "pip install 'autodiff-engine[viz]'"),
    (["demo"], ["sklearn", "matplotlib"], "autodiff demo needs scikit-learn and matplotlib, not "
                                          "installed: pip install 'autodiff-engine[data,viz]'"),
])
def test_missing_extras_one_line_before_any_work(monkeypatch, capsys, tmp_path, argv, missing,
                                                 words):
    from autodiff import cli
    for name in missing:
        monkeypatch.setitem(sys.modules, name, None)  # find_spec then reports it missing
    out = tmp_path / "run"
    assert cli.main(argv + ["--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {words}\n"
    assert not out.exists()


def test_load_digits_hint_names_the_distribution(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'autodiff-engine\[data\]'"):
        ad.data.load_digits()
