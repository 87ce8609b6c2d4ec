"""Run every benchmark script (``python -m bench`` / ``make bench``), each in its own process.

``python -m bench conv pool`` runs only those.  ``python -m bench --cpu`` runs them with one
thread everywhere (OpenBLAS, numba, torch) and times with the process CPU clock: the
single-threaded cost, which stays meaningful when other processes load the machine.  Each script
prints a table: case, ours (ms),
torch (ms), numpy (ms) where meaningful, and the ratio ours/torch; see bench/_timing.py for
the protocol (2 threads each, alternating rounds with a short sleep, medians after warm-up).

Every table starts with a line naming the CPU, its vector width and the BLAS kernels
(``bench._timing.machine``): ratios move with all three.

Not in the default list: ``python -m bench.breakdown`` (where a conv2d step's time goes,
measured inside the step), ``python -m bench.ops`` (attention, einsum, sort, interpolate...
against torch) and ``python -m bench.memory`` (the engine's memory, not timings).
"""
import os
import subprocess
import sys

SCRIPTS = ["overhead", "matmul", "mlp", "conv", "conv_grouped", "pool", "compile", "recurrent",
           "train"]


def main(argv=None):
    args = list(argv if argv is not None else sys.argv[1:])
    cpu = "--cpu" in args
    names = [a for a in args if a != "--cpu"] or SCRIPTS
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    env = dict(os.environ)
    if cpu:
        env.update(BENCH_CLOCK="cpu", BENCH_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    failed = []
    for name in names:
        if not os.path.exists(os.path.join(here, name + ".py")):
            if name != "recurrent":
                print(f"bench: no script bench/{name}.py")
            continue
        sys.stdout.flush()
        rc = subprocess.call([sys.executable, "-m", f"bench.{name}"], env=env, cwd=root)
        if rc:
            failed.append(name)
    if failed:
        print(f"bench: failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
