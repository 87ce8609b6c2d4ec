"""JIT start-up: import time, and first-call time of each kernel family, cold (fresh process,
empty ``NUMBA_CACHE_DIR``) and cached (fresh process, cache filled by the cold run).

Also checks that importing autodiff compiles nothing.  Run: ``python -m bench.compile``.
"""
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
t0 = time.perf_counter()
import autodiff as ad
from autodiff.ops import conv as C, pool as P, loss as L
import_s = time.perf_counter() - t0
import numba
from autodiff.kernels import (conv as KC, pool as KP, loss as KL, elementwise as KE,
                              optim as KO, recurrent as KR)
import autodiff.nn as nn
import autodiff.optim as optim
compiled = [name for mod in (KC, KP, KL, KE, KO, KR) for name, obj in vars(mod).items()
            if isinstance(getattr(obj, "dispatcher", obj), numba.core.registry.CPUDispatcher)
            and obj.signatures]
import numpy as np
rng = np.random.default_rng(0)
res = {"import autodiff (+ ops)": import_s}

def first(name, fn):
    t = time.perf_counter(); fn(); res[name] = time.perf_counter() - t

def conv():
    x = ad.tensor(rng.standard_normal((2, 3, 8, 8), dtype=np.float32), requires_grad=True)
    w = ad.tensor(rng.standard_normal((4, 3, 3, 3), dtype=np.float32), requires_grad=True)
    C.conv2d(x, w, padding=1).sum().backward()

def pool():
    x = ad.tensor(rng.standard_normal((2, 3, 8, 8), dtype=np.float32), requires_grad=True)
    (P.max_pool2d(x, 2).sum() + P.avg_pool2d(x, 2).sum()).backward()

def loss():
    x = ad.tensor(rng.standard_normal((4, 5), dtype=np.float32), requires_grad=True)
    (L.cross_entropy(x, ad.tensor(np.array([0, 1, 2, 3]))) + L.log_softmax(x, 1).sum()
     + L.softmax(x, 1).sum()).backward()

def relu_sgd():
    m = nn.Linear(16, 8)  # relu kernels serve arrays of 64+ elements
    opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x = ad.tensor(rng.standard_normal((16, 16), dtype=np.float32))
    for _ in range(2):  # the momentum kernel runs from the second step on
        opt.zero_grad()
        nn.functional.relu(m(x)).sum().backward()
        opt.step()

def lstm():
    m = nn.LSTM(3, 4)
    m(ad.tensor(rng.standard_normal((2, 2, 3), dtype=np.float32)))[0].sum().backward()

first("conv2d fwd+bwd float32 (7 kernels)", conv)
first("max+avg pool fwd+bwd float32 (4 kernels)", pool)
first("cross_entropy+softmax fwd+bwd float32 (4 kernels)", loss)
first("relu fwd+bwd + SGD momentum step float32", relu_sgd)
first("LSTM fwd+bwd float32 (cell kernels)", lstm)
res["_compiled_at_import"] = compiled
print("JSON" + json.dumps(res))
"""


def _run(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                         check=True, cwd=root).stdout
    return json.loads(out.split("JSON", 1)[1])


def main():
    with tempfile.TemporaryDirectory() as d:
        cold = _run(d)
        cached = _run(d)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n## JIT start-up (seconds; fresh process each; load average {load:.1f})")
    print(f"{'case':<52}{'cold (s)':>10}{'cached (s)':>12}")
    for k in cold:
        if not k.startswith("_"):
            print(f"{k:<52}{cold[k]:>10.2f}{cached[k]:>12.2f}")
    bad = cold["_compiled_at_import"]
    print("kernels compiled by importing autodiff: " + (", ".join(bad) if bad else "none"))


if __name__ == "__main__":
    main()
