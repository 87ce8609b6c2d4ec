"""LSTM forward + backward against PyTorch (issue 8).

Case: ``nn.LSTM(32, 128)`` on a float32 sequence of length 50, batch 32; the loss is
``output.sum()``; one call = forward, backward, and clearing the gradients. Both libraries
get 2 threads; candidates alternate with a short sleep between them and medians are
reported after warm-up (protocol in ``bench/_timing.py``). Also times the forward alone and a
GRU, for context.

    .venv/bin/python bench/recurrent.py [--rounds 15] [--profile] [--cpu] [--floor]

``--profile`` prints where our time goes (cProfile of 20 fwd+bwd calls, CPU time).
``--cpu`` adds a second table measured in process CPU time with one thread per library
(BLAS limited through threadpoolctl): a load-robust proxy for the work each side does, for
when the machine is shared and wall-clock medians are dominated by other processes.
``--floor`` times, alone and back to back, the NumPy sgemms one LSTM fwd+bwd call must make
(input projection, one per step forward and backward, the fused weight gradient, the input
gradient): their sum is the floor of our design on this BLAS, whatever the Python around it.
(torch 2.13 runs the LSTM case as ``aten::mkldnn_rnn_layer`` / ``mkldnn_rnn_layer_backward``:
oneDNN's RNN primitive, one C++ call per layer with its own JIT GEMMs, AVX-512 where the CPU
has it, while NumPy's OpenBLAS may be pinned to AVX2 kernels by ``OPENBLAS_CORETYPE``.)
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from bench._timing import compare, print_table, row, setup_threads  # noqa: E402

L, N, I, H = 50, 32, 32, 128


def make_case(lib, kind, seed=0):
    """(fwd_bwd, fwd) of the case in ``lib``: ``autodiff`` or ``torch``, the same code for both
    (``autodiff``'s API is PyTorch's)."""
    lib.manual_seed(seed)
    m = (lib.nn.LSTM if kind == "lstm" else lib.nn.GRU)(I, H)
    x = lib.tensor(np.random.default_rng(seed).standard_normal((L, N, I)).astype(np.float32),
                   requires_grad=True)

    def fwd_bwd():
        out, _ = m(x)
        out.sum().backward()
        x.grad = None
        m.zero_grad(set_to_none=True)

    def fwd():
        with lib.no_grad():
            m(x)

    return fwd_bwd, fwd


def make_ours(kind, seed=0):
    import autodiff
    return make_case(autodiff, kind, seed)


def compare_cpu(candidates, rounds=9, number=5, warmup=2):
    """name -> median CPU milliseconds per call (time.process_time), alternating rounds."""
    import statistics
    import time
    live = {k: f for k, f in candidates.items() if f is not None}
    for fn in live.values():
        for _ in range(warmup):
            fn()
    samples = {k: [] for k in live}
    for _ in range(rounds):
        for name, fn in live.items():
            t0 = time.process_time()
            for _ in range(number):
                fn()
            samples[name].append((time.process_time() - t0) / number)
    out = {k: None for k in candidates}
    out.update({k: 1e3 * statistics.median(v) for k, v in samples.items()})
    return out


def cpu_table(torch, rounds):
    from threadpoolctl import threadpool_limits
    rows = []
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(1):
        for kind in ("lstm", "gru"):
            ours_fb, ours_f = make_ours(kind)
            t_fb, t_f = make_case(torch, kind) if torch is not None else (None, None)
            res = compare_cpu({"ours": ours_fb, "torch": t_fb}, rounds=rounds)
            rows.append((f"{kind} fwd+bwd, CPU ms, 1 thread", res["ours"], res["torch"], None))
            res = compare_cpu({"ours": ours_f, "torch": t_f}, rounds=rounds)
            rows.append((f"{kind} fwd (no_grad), CPU ms, 1 thread", res["ours"], res["torch"],
                         None))
    print_table("recurrent, process CPU time with 1 thread each (load-robust proxy)", rows)
    print("(this table: CPU ms per call from time.process_time, BLAS and torch at 1 thread, "
          "not wall time)")


def gemm_floor(number=20):
    """name -> median ms of each sgemm family of one LSTM fwd+bwd call (L steps included)."""
    import statistics
    import time
    rng = np.random.default_rng(0)
    f32 = np.float32
    G = 4 * H
    x2 = rng.standard_normal((L * N, I)).astype(f32)
    w_ih = rng.standard_normal((G, I)).astype(f32)
    w_hh = rng.standard_normal((G, H)).astype(f32)
    h = rng.standard_normal((N, H)).astype(f32)
    dA = rng.standard_normal((L * N, G)).astype(f32)
    z = rng.standard_normal((L * N, H + I + 1)).astype(f32)
    xp, hw, dh = np.empty((L * N, G), f32), np.empty((N, G), f32), np.empty((N, H), f32)
    dw, dx = np.empty((G, H + I + 1), f32), np.empty((L * N, I), f32)
    step_f = lambda: [np.matmul(h, w_hh.T, out=hw) for _ in range(L)]  # noqa: E731
    step_b = lambda: [np.matmul(dA[:N], w_hh, out=dh) for _ in range(L)]  # noqa: E731
    cases = {
        f"x @ W_ih^T ({L * N}x{I} @ {I}x{G})": lambda: np.matmul(x2, w_ih.T, out=xp),
        f"{L} x h @ W_hh^T ({N}x{H} @ {H}x{G})": step_f,
        f"{L} x dA_t @ W_hh ({N}x{G} @ {G}x{H})": step_b,
        f"dA^T [h|x|1] ({G}x{L * N} @ {L * N}x{H + I + 1})":
            lambda: np.matmul(dA.T, z, out=dw),
        f"dA @ W_ih ({L * N}x{G} @ {G}x{I})": lambda: np.matmul(dA, w_ih, out=dx),
    }
    res = {}
    for name, fn in cases.items():
        for _ in range(3):
            fn()
        samples = []
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - t0) / number)
        res[name] = 1e3 * statistics.median(samples)
    return res


def profile(fn, n=20):
    import cProfile
    import pstats
    import time
    pr = cProfile.Profile(time.process_time)
    pr.enable()
    for _ in range(n):
        fn()
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(12)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--floor", action="store_true")
    args = ap.parse_args()
    torch = setup_threads()
    rows = []
    for kind in ("lstm", "gru"):
        ours_fb, ours_f = make_ours(kind)
        t_fb, t_f = make_case(torch, kind) if torch is not None else (None, None)
        res = compare({"ours": ours_fb, "torch": t_fb}, rounds=args.rounds)
        rows.append(row(f"{kind} fwd+bwd L{L} N{N} I{I} H{H} f32", res))
        res = compare({"ours": ours_f, "torch": t_f}, rounds=max(5, args.rounds // 2))
        rows.append(row(f"{kind} fwd (no_grad)", res))
    print_table("recurrent (ms, median; ratio < 1 = faster than torch)", rows)
    if args.floor:
        floor = gemm_floor()
        print("\n## sgemms of one LSTM fwd+bwd call, each family alone (ms, median)")
        for name, ms in floor.items():
            print(f"{name:52s} {ms:8.3f}")
        total = sum(floor.values())
        print(f"{'sum: the GEMM floor of our design':52s} {total:8.3f}   "
              f"= {total / rows[0][2]:.2f}x torch's whole fwd+bwd" if rows[0][2] else "")
    if args.cpu:
        cpu_table(torch, max(5, args.rounds // 2))
    if args.profile:
        profile(make_ours("lstm")[0])


if __name__ == "__main__":
    main()
