"""LSTM forward + backward against PyTorch (issue 8).

Case: ``nn.LSTM(32, 128)`` on a float32 sequence of length 50, batch 32; the loss is
``output.sum()``; one call = forward, backward, and clearing the gradients. Both libraries
get 2 threads; candidates alternate with a short sleep between them and medians are
reported after warm-up (protocol in ``bench/_timing.py``). Also times the forward alone and a
GRU, for context.

    .venv/bin/python bench/recurrent.py [--rounds 60] [--profile] [--cpu] [--floor]

``--profile`` prints where our time goes (cProfile of 20 fwd+bwd calls, CPU time).
``--cpu`` adds a second table measured in process CPU time with one thread per library
(BLAS limited through threadpoolctl): a load-robust proxy for the work each side does, for
when the machine is shared and wall-clock medians are dominated by other processes.
``--floor`` times, family by family, the GEMMs one LSTM fwd+bwd call makes, as the layer makes
them (each thread its batch part): the weight packing, the forward's and the backward's step
products in the numba register-blocked kernel (``kernels.recurrent_lstm.panel_gemm``, x_t and
dx_t folded in) and the fused weight gradient (one OpenBLAS sgemm per part): their sum is the
floor of our design, whatever the Python and the cells around it.
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

from bench._timing import compare_rows, print_table, row, setup_threads  # noqa: E402

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


def gemm_floor(number=10):
    """name -> median ms of each GEMM family of one LSTM fwd+bwd call (all L steps), run as
    the layer runs it: one batch part of N / S rows per thread (``S = _batch_parts``' count),
    the S parts at once on ``run_split``'s threads."""
    import statistics
    import time

    from autodiff.kernels import recurrent_lstm as KL
    from autodiff.kernels._launch import run_split
    from autodiff.ops.recurrent import _batch_parts
    rng = np.random.default_rng(0)
    f32 = np.float32
    G = 4 * H
    S = len(_batch_parts(N, L * N * G))
    n = N // S
    w_ih = (0.1 * rng.standard_normal((G, I))).astype(f32)
    w_hh = (0.1 * rng.standard_normal((G, H))).astype(f32)
    b = np.zeros(G, f32)

    def part():  # each thread's own arrays, as the layer's parts have
        return dict(h=rng.standard_normal((n, H)).astype(f32),
                    x=rng.standard_normal((n, I)).astype(f32), A=np.empty((n, G), f32),
                    dA=rng.standard_normal((L * n, G)).astype(f32), dh=np.empty((n, H), f32),
                    dx=np.empty((n, I), f32), dw=np.empty((G, H + I + 1), f32),
                    z=rng.standard_normal((L * n, H + I + 1)).astype(f32))
    arrays = [part() for _ in range(S)]
    Wf = KL.pack_gate_weights(w_hh, w_ih, b)
    Wb = KL.pack_hidden_weights(w_hh, w_ih)

    def step_f(a):
        for _ in range(L):
            KL.panel_gemm(a["h"], a["x"], *Wf, a["A"], a["A"][:, :0])

    def step_b(a):
        for t in range(L):
            KL.panel_gemm(a["dA"][t * n:(t + 1) * n], a["x"][:, :0], *Wb, a["dh"], a["dx"])

    cases = {
        "pack [W_hh | W_ih] forward + backward (once each, one thread)":
            lambda a: (KL.pack_gate_weights(w_hh, w_ih, b), KL.pack_hidden_weights(w_hh, w_ih)),
        f"{L} x [h | x_t] @ [W_hh | W_ih]^T ({n}x{H + I} @ {H + I}x{G}, panel_gemm)": step_f,
        f"{L} x dA_t @ [W_hh | W_ih] ({n}x{G} @ {G}x{H + I}, panel_gemm)": step_b,
        f"dA^T [h|x|1] ({G}x{L * n} @ {L * n}x{H + I + 1}, sgemm)":
            lambda a: np.matmul(a["dA"].T, a["z"], out=a["dw"]),
    }
    res = {}
    for name, fn in cases.items():
        parts = 1 if name.startswith("pack") else S  # the layer packs once, before its split
        call = lambda: run_split(lambda k: fn(arrays[k]), parts)  # noqa: E731
        for _ in range(3):
            call()
        samples = []
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(number):
                call()
            samples.append((time.perf_counter() - t0) / number)
        res[name] = 1e3 * statistics.median(samples)
    return S, n, res


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
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--floor", action="store_true")
    args = ap.parse_args()
    torch = setup_threads()
    names, cases = [], []
    for kind in ("lstm", "gru"):
        ours_fb, ours_f = make_ours(kind)
        t_fb, t_f = make_case(torch, kind) if torch is not None else (None, None)
        names += [f"{kind} fwd+bwd L{L} N{N} I{I} H{H} f32", f"{kind} fwd (no_grad)"]
        cases += [{"ours": ours_fb, "torch": t_fb}, {"ours": ours_f, "torch": t_f}]
    # the four rows interleaved round by round (bench/_timing.py)
    rows = [row(name, res) for name, res in
            zip(names, compare_rows(cases, rounds=args.rounds))]
    print_table("recurrent (ms, median; ratio < 1 = faster than torch)", rows)
    if args.floor:
        S, n, floor = gemm_floor()
        print(f"\n## GEMMs of one LSTM fwd+bwd call, each family alone, {S} part(s) of {n} rows "
              "on as many threads at once (ms, median)")
        for name, ms in floor.items():
            print(f"{name:72s} {ms:8.3f}")
        total = sum(floor.values())
        print(f"{'sum: the GEMM floor of our design':72s} {total:8.3f}   "
              f"= {total / rows[0][2]:.2f}x torch's whole fwd+bwd" if rows[0][2] else "")
    if args.cpu:
        cpu_table(torch, max(5, args.rounds // 2))
    if args.profile:
        profile(make_ours("lstm")[0])


if __name__ == "__main__":
    main()
