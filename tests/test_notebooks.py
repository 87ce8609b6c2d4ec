"""The notebooks in notebooks/: each one executes top to bottom (its hidden cells tagged "test"
assert what it shows), learner cells hold no test asserts, and the outputs stored for readers
on the web are current.

Why outputs are committed (not rendered to HTML by the test run): GitHub and nbviewer show a
stored notebook with its pictures, with no build or hosting step, and a reader who clones the
repository opens the same thing in Jupyter. ``notebooks/execute.py`` stores them and records a
hash of the code they came from; the fast test below fails when code changed after its
outputs were stored, and the executing test checks that the stored outputs have the kinds the
fresh run produces (a picture where there is a picture).

The kernel is this interpreter (``sys.executable``), through a kernelspec written to a temporary
directory: nothing is installed into the user's Jupyter configuration.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))
HAVE_DOT = shutil.which("dot") is not None
MAX_NOTEBOOK_BYTES = 600_000   # stored outputs stay small: pictures as PNG/SVG of modest size


def _execute_module():
    spec = importlib.util.spec_from_file_location("notebooks_execute", NOTEBOOK_DIR / "execute.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


EXECUTE = _execute_module()


def _source(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _is_test_cell(cell):
    return "test" in cell.get("metadata", {}).get("tags", [])


@pytest.fixture(scope="module")
def kernel_manager_factory(tmp_path_factory):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    return EXECUTE.kernel_manager_factory(tmp_path_factory.mktemp("kernels"))


def test_notebooks_are_present():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 10, names
    assert len(set(n[:2] for n in names)) == len(names), f"duplicate numbers in {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_learner_cells_hold_no_test_asserts(path):
    nb = json.loads(path.read_text())
    n_tests = 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if _is_test_cell(cell):
            n_tests += 1
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, \
                f"{path.name} cell {i}: a test cell is hidden in Jupyter"
            continue
        lines = [("pass" if ln.lstrip().startswith(("%", "!")) else ln)
                 for ln in _source(cell).split("\n")]
        for node in ast.walk(ast.parse("\n".join(lines))):
            assert not isinstance(node, ast.Assert), \
                f"{path.name} cell {i}: assert in a learner cell (move it to a 'test' cell)"
            if isinstance(node, ast.Call):
                assert "assert_" not in ast.unparse(node.func), \
                    f"{path.name} cell {i}: {ast.unparse(node.func)} in a learner cell"
    assert n_tests >= 1, f"{path.name} checks nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_are_current_and_small(path):
    nb = json.loads(path.read_text())
    stored = nb.get("metadata", {}).get("autodiff", {}).get("sources_sha1")
    assert stored == EXECUTE.sources_sha1(nb), (
        f"{path.name}: its code changed after its outputs were stored; run "
        f"`python notebooks/execute.py {path.name[:2]}` and commit the result")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") is not None for c in code), \
        f"{path.name}: stored with cells that did not run"
    assert all(o.get("output_type") != "error" for c in code for o in c["outputs"])
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, (path.name, path.stat().st_size)


def _kinds(cell):
    """What a cell shows, ignoring values that differ run to run: 'text' for stdout or a
    plain result, 'png' / 'svg' / 'html' for a picture or table (stderr is not stored)."""
    out = []
    for o in cell.get("outputs", []):
        t = o.get("output_type")
        if t == "stream":
            if o.get("name") == "stdout":
                out.append("text")
        elif t in ("display_data", "execute_result"):
            data = o.get("data", {})
            kind = next((k for m, k in (("image/png", "png"), ("image/svg+xml", "svg"),
                                        ("text/html", "html")) if m in data), "text")
            out.append(kind)
        elif t == "error":
            out.append("error")
    return sorted(set(out))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_what_is_stored(path, kernel_manager_factory, tmp_path):
    from nbclient.exceptions import CellExecutionError

    # run in a scratch directory so that files a notebook writes do not land in the repo
    try:
        fresh = EXECUTE.execute(path, kernel_manager_factory, tmp_path)
    except CellExecutionError as e:
        pytest.fail(f"{path.name} failed:\n{e}", pytrace=False)
    stored = json.loads(path.read_text())
    fresh_code = [c for c in fresh.cells if c.cell_type == "code"]
    stored_code = [c for c in stored["cells"] if c["cell_type"] == "code"]
    assert len(fresh_code) == len(stored_code)
    for i, (f, s) in enumerate(zip(fresh_code, stored_code)):
        assert "error" not in _kinds(f), f"{path.name} code cell {i}"
        got, want = _kinds(f), _kinds(s)
        if not HAVE_DOT and "svg" in want and "svg" not in got:
            # without Graphviz a drawing shows its DOT source as text (tested in test_viz)
            want = sorted(set(k if k != "svg" else "text" for k in want))
        assert got == want, (f"{path.name} code cell {i} now shows {got}, stored {want}: "
                             f"run `python notebooks/execute.py {path.name[:2]}`")
