"""Execute the notebooks and store their outputs, so that a reader on the web (GitHub, nbviewer)
sees the pictures:

    .venv/bin/python notebooks/execute.py            # all of them
    .venv/bin/python notebooks/execute.py 04 06      # some

Each notebook's metadata records a hash of its code cells (``autodiff.sources_sha1``);
``tests/test_notebooks.py`` executes every notebook again, fails when a stored notebook's code
changed after its outputs were stored, and checks that the stored outputs have the kinds the
fresh run produces (a picture where there is a picture). The kernel is this interpreter, as in
the tests; nothing is installed into the user's Jupyter configuration.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KERNEL_NAME = "autodiff-notebooks-python"
CELL_TIMEOUT = 180


def notebooks():
    return sorted(HERE.glob("[0-9][0-9]-*.ipynb"))


def sources_sha1(nb):
    """Hash of the code cells' sources (what the stored outputs were produced from)."""
    h = hashlib.sha1()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = cell["source"]
            h.update(("".join(src) if isinstance(src, list) else src).encode())
            h.update(b"\0")
    return h.hexdigest()


def kernel_env():
    env = dict(os.environ)
    # figures inline, as a user sees them (a test session itself forces Agg)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # one BLAS thread per kernel: the suite runs `pytest -n 2` on 2 cores, and OpenBLAS workers
    # spinning against each other (and against numba's) made small matmuls 10x slower there
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def kernel_manager_factory(kernel_dir):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec_dir = Path(kernel_dir) / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "autodiff notebooks", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    ksm = KernelSpecManager(kernel_dirs=[str(kernel_dir)])

    def make():
        return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
    return make


def execute(path, make_km, workdir):
    """Run the notebook at ``path`` top to bottom in ``workdir``; return the executed
    ``nbformat`` notebook (raises ``nbclient.exceptions.CellExecutionError`` on failure)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, km=make_km(), timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute(env=kernel_env())
    return nb


def _smaller_png(b64):
    """The PNG re-encoded with a 256-colour palette when that is smaller (plots have few
    colours: typically a third of the size, no visible change)."""
    import base64
    import io

    try:
        from PIL import Image
    except ImportError:
        return b64
    raw = base64.b64decode(b64)
    img = Image.open(io.BytesIO(raw))
    if img.mode not in ("RGB", "RGBA"):
        return b64
    out = io.BytesIO()
    img.quantize(256, method=Image.Quantize.FASTOCTREE).save(out, "PNG", optimize=True)
    if out.tell() >= len(raw):
        return b64
    return base64.b64encode(out.getvalue()).decode() + "\n"


def store(path, nb):
    """Write the executed notebook with the hash of the sources its outputs came from."""
    import nbformat

    nb.metadata.setdefault("autodiff", {})["sources_sha1"] = sources_sha1(nb)
    for cell in nb.cells:
        # run-specific noise that would make every rerun a diff: timings, and stderr (numba
        # and kernel warnings, which depend on caches, not on the notebook)
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            for o in cell.outputs:
                data = o.get("data", {})
                if "image/png" in data:
                    data["image/png"] = _smaller_png(data["image/png"])
    nbformat.write(nb, str(path))


def main(argv):
    picked = [p for p in notebooks() if not argv or any(p.name.startswith(a) for a in argv)]
    with tempfile.TemporaryDirectory() as tmp:
        make = kernel_manager_factory(Path(tmp) / "kernels")
        for path in picked:
            work = Path(tmp) / path.stem
            work.mkdir()
            nb = execute(path, make, work)
            store(path, nb)
            print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
