"""Run corpus scripts as ``__main__``, each in a forked child of one interpreter that has
already imported ``torch`` (whichever ``torch`` the ``PYTHONPATH`` gives: real PyTorch, or
autodiff through ``autodiff_as_torch/``). Importing torch costs ~2 s of CPU; paying it once
per flavour instead of once per script keeps the corpus inside its CPU budget (so does one
warm-up step through common layers before forking), and a fork per script still gives each
its own process (globals, ``sys.modules``, working folder, exit).

    python run_corpus.py SPEC.json

SPEC: ``{"cases": [{"name", "script", "args", "cwd"}], "timeout": seconds}``. For each case
writes ``cwd/stdout.txt``, ``cwd/stderr.txt`` and ``cwd/result.json`` (exit code and the CPU
seconds of the child and its children).
"""
import json
import os
import runpy
import signal
import sys
import time


def _preload():
    """Import what nearly every script imports, once (a missing module is left for the
    script itself to report)."""
    for name in ("numpy", "torch", "torch.nn", "torch.nn.functional", "torch.optim",
                 "torch.utils.data", "sklearn.datasets"):
        try:
            __import__(name)
        except ImportError:
            pass


def _warm_up():
    """One tiny step through the common layers, so each forked script does not pay the
    library's first-call costs again (PyTorch's lazy kernel set-up, ~1.5 s of CPU; numba's
    cache loads). The scripts seed their own random streams; nothing else carries over."""
    try:
        import torch
        import torch.nn.functional as F
        x = torch.randn(4, 1, 8, 8)
        conv, lin = torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.Linear(32, 8)
        lstm, emb = torch.nn.LSTM(8, 8), torch.nn.Embedding(10, 8)
        norm = torch.nn.LayerNorm(8)
        h = lin(torch.flatten(F.max_pool2d(F.relu(conv(x)), 2), 1))
        out, _ = lstm(norm(h + emb(torch.tensor([1, 2, 3, 4]))).unsqueeze(1))
        loss = F.cross_entropy(out.squeeze(1), torch.tensor([0, 1, 2, 3]))
        loss = loss + F.mse_loss(torch.tanh(h), torch.sigmoid(h)) + F.gelu(h).mean()
        opt = torch.optim.Adam(list(conv.parameters()) + list(lin.parameters()))
        loss.backward()
        opt.step()
    except Exception:  # whatever is missing here, each script will meet and report itself
        pass


def _child(case):
    os.chdir(case["cwd"])
    out = os.open("stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open("stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    script = case["script"]
    sys.argv = [script, *case["args"]]
    sys.path[0] = os.path.dirname(script)  # as `python script.py` does
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _run(case, timeout):
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(case)
    status = rusage = None
    while time.monotonic() - start < timeout:
        done, status, rusage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        _, status, rusage = os.wait4(pid, 0)
        with open(os.path.join(case["cwd"], "stderr.txt"), "a") as f:
            f.write(f"\nrun_corpus: killed after {timeout} s\n")
    return dict(returncode=os.waitstatus_to_exitcode(status),
                cpu=rusage.ru_utime + rusage.ru_stime, wall=time.monotonic() - start)


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    _preload()
    _warm_up()
    sys.stdout.flush()
    for case in spec["cases"]:
        result = _run(case, spec.get("timeout", 600))
        with open(os.path.join(case["cwd"], "result.json"), "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1])
