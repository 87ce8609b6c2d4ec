"""The engine sits at the bottom: ``import autodiff`` loads neither the command line
(``autodiff.cli``), nor ``nn`` / ``optim``, nor the optional plotting and data extras, and no
engine module imports the CLI at all."""

import ast
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# modules only the CLI, nn or optim may bring in (prefixes of sys.modules keys)
NOT_AT_IMPORT = (
    "autodiff.cli",
    "autodiff.nn",
    "autodiff.optim",
    "nn",
    "optim",
    "matplotlib",
    "sklearn",
    "tqdm",
)


def _loaded_after(code):
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[-1])


def _offending(modules):
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in NOT_AT_IMPORT)]


def test_import_autodiff_loads_no_cli_nn_optim_or_plotting():
    loaded = _loaded_after("import autodiff")
    assert "autodiff" in loaded and "autodiff.tensor" in loaded
    assert _offending(loaded) == []


def test_the_check_sees_what_the_cli_loads():
    """The same check on ``autodiff.cli`` plus one training loop finds them (it can fail)."""
    loaded = _loaded_after("import autodiff.cli.loops")
    assert {"autodiff.cli", "autodiff.nn", "autodiff.optim"} <= set(_offending(loaded))


def _engine_files():
    root = os.path.join(REPO, "autodiff")
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        if rel.split(os.sep)[0] == "cli":
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py") and not (rel == "." and name == "__main__.py"):
                yield os.path.join(folder, name)


def _imported_names(path):
    """(module-level?, absolute dotted name) of every import in the file at ``path``."""
    package = os.path.relpath(os.path.dirname(path), REPO).replace(os.sep, ".")
    tree = ast.parse(open(path, encoding="utf-8").read())
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield id(node) in top, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # `from . import optim` imports autodiff.optim
                yield id(node) in top, mod if node.module else f"{mod}.{alias.name}"


def test_no_engine_module_imports_the_cli_or_nn_at_import_time():
    files = list(_engine_files())
    assert any(f.endswith(os.path.join("autodiff", "engine.py")) for f in files)
    bad = []
    for path in files:
        for at_top, name in _imported_names(path):
            rel = os.path.relpath(path, REPO)
            if name == "autodiff.cli" or name.startswith("autodiff.cli."):
                bad.append((rel, name))
            elif at_top and any(
                name == p or name.startswith(p + ".")
                for p in ("autodiff.nn", "autodiff.optim", "nn", "optim")
            ):
                bad.append((rel, name))
    assert bad == []
