"""The engine core imports in one direction: grad_mode <- function <- engine <- tensor.

Module-level imports are read with ``ast`` (imports inside functions are deferred and do not
make cycles at import time); each core module must also import on its own in a fresh process.
"""
import ast
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.join(ROOT, "autodiff")

CORE = ["grad_mode", "saved", "hooks", "node", "function", "inplace", "engine", "tensor"]


def _module_name(path):
    rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def _modules():
    mods = {}
    for d, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                mods[_module_name(os.path.join(d, f))] = os.path.join(d, f)
    return mods


def _top_level_imports(path, name, mods):
    """The autodiff modules that ``name`` imports at module level (inside ``try``/``if``
    blocks too, but not inside functions, classes or ``if TYPE_CHECKING``)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    is_pkg = path.endswith("__init__.py")
    package = name if is_pkg else name.rpartition(".")[0]
    found = set()
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in mods)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = {f"{target}.{a.name}" for a in node.names} & set(mods)
            if subs:  # ``from . import function``: the submodule (its package is loading)
                found.update(subs)
            elif target in mods:
                found.add(target)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            stack.extend(node.orelse)  # (type-checker-only imports never run)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(node, field, None) or [])
    found.discard(name)
    return found


def _graph():
    mods = _modules()
    return {m: _top_level_imports(p, m, mods) for m, p in mods.items()}


def _cycle_from(graph, start):
    """A path start -> ... -> start through module-level imports, or None."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_the_import_reader_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle_from(graph, "a") == ["a", "b", "c", "a"]
    assert _cycle_from(graph, "d") is None


def test_core_modules_import_in_one_direction():
    graph = _graph()
    assert "autodiff.function" in graph["autodiff.engine"]  # the reader does see imports
    assert "autodiff.grad_mode" in graph["autodiff.function"]
    for name in CORE:
        mod = f"autodiff.{name}"
        if mod in graph:
            assert _cycle_from(graph, mod) is None, " -> ".join(_cycle_from(graph, mod))


def test_grad_mode_imports_nothing_of_the_engine():
    graph = _graph()
    assert graph["autodiff.grad_mode"] == set()


@pytest.mark.parametrize("name", [n for n in CORE if os.path.exists(os.path.join(PKG, n + ".py"))])
def test_each_core_module_imports_first(name):
    # (the package's __init__ runs first; this checks that no order of first use breaks)
    code = f"import importlib; importlib.import_module('autodiff.{name}')"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


ENGINE = {"autodiff.engine", "autodiff.function", "autodiff.grad_mode", "autodiff.node",
          "autodiff.hooks", "autodiff.saved"}


def test_nn_and_optim_use_only_public_engine_names():
    """No ``from autodiff.function import _x`` and no ``grad_mode._state``-style access."""
    bad = []
    for pkg in ("nn", "optim"):
        for d, _, files in os.walk(os.path.join(ROOT, pkg)):
            for f in files:
                if not f.endswith(".py"):
                    continue
                path = os.path.join(d, f)
                tree = ast.parse(open(path, encoding="utf-8").read())
                aliases = set()  # local names bound to engine modules
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom) and node.module in ENGINE:
                        bad += [f"{path}: {a.name}" for a in node.names if a.name.startswith("_")]
                    elif isinstance(node, ast.ImportFrom) and node.module == "autodiff":
                        aliases.update(a.asname or a.name for a in node.names
                                       if f"autodiff.{a.name}" in ENGINE)
                    elif isinstance(node, ast.Import):
                        aliases.update(a.asname for a in node.names
                                       if a.name in ENGINE and a.asname)
                for node in ast.walk(tree):
                    if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                            and isinstance(node.value, ast.Name) and node.value.id in aliases):
                        bad.append(f"{path}: {node.value.id}.{node.attr}")
    assert bad == []
