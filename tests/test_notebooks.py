"""Execute every notebook in notebooks/ top to bottom (each one asserts what it shows).

The kernel is this interpreter (``sys.executable``), through a kernelspec written to a temporary
directory: nothing is installed into the user's Jupyter configuration.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))
KERNEL_NAME = "autodiff-test-python"
CELL_TIMEOUT = 180  # seconds; each notebook as a whole runs in well under a minute


@pytest.fixture(scope="module")
def kernel_manager_factory(tmp_path_factory):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    kernels = tmp_path_factory.mktemp("kernels")
    spec_dir = kernels / KERNEL_NAME
    spec_dir.mkdir()
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "autodiff tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    ksm = KernelSpecManager(kernel_dirs=[str(kernels)])

    def make():
        return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
    return make


def kernel_env():
    env = dict(os.environ)
    # figures inline, as a user sees them (the test session itself forces Agg)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # one BLAS thread per kernel: the suite runs `pytest -n 2` on 2 cores, and OpenBLAS workers
    # spinning against each other (and against numba's) made small matmuls 10x slower there
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def test_notebooks_are_present():
    names = [p.name for p in NOTEBOOKS]
    assert names, "no notebooks found in notebooks/"
    assert len(set(n[:2] for n in names)) == len(names), f"duplicate numbers in {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has stored outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} was executed"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_manager_factory, tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    # run in a scratch directory so that files a notebook writes do not land in the repo
    client = NotebookClient(nb, km=kernel_manager_factory(), timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env=kernel_env())
    except CellExecutionError as e:
        pytest.fail(f"{path.name} failed:\n{e}", pytrace=False)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
