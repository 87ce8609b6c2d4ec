"""Matmul: the engine's MatMul op (NumPy BLAS underneath) vs NumPy and PyTorch, 2 threads.

Run: ``python -m bench.matmul``.  Target: ours within 1.05x of NumPy for 1024^2 float32.
"""
import numpy as np

from bench._timing import compare, fmt, min_ratio, print_table, row, setup_threads


def main():
    torch = setup_threads()
    import autodiff as ad
    rng = np.random.default_rng(0)
    rows, vs_numpy = [], []
    for n, dtype in ((1024, np.float32), (1024, np.float64), (256, np.float32)):
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        A, B = ad.tensor(a), ad.tensor(b)
        Ag, Bg = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
        G = ad.tensor(np.ones((n, n), dtype))
        cands = {"ours": lambda: A @ B, "numpy": lambda: a @ b}
        if torch is not None:
            at, bt = torch.tensor(a), torch.tensor(b)
            cands["torch"] = lambda: at @ bt
        r = compare(cands, rounds=11)
        name = f"matmul {n}^2 {np.dtype(dtype).name} forward"
        rows.append(row(name, r, r["numpy"]))
        vs_numpy.append((name, r["ours"] / r["numpy"], min_ratio(r, "ours", "numpy")))

        def ours_fb():
            Ag.grad = Bg.grad = None
            (Ag @ Bg).backward(G)

        def numpy_fb():
            c = a @ b
            return c, G._data @ b.T, a.T @ G._data

        cands = {"ours": ours_fb, "numpy": numpy_fb}
        if torch is not None:
            atg, btg = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
            gt = torch.tensor(G._data)

            def torch_fb():
                atg.grad = btg.grad = None
                (atg @ btg).backward(gt)

            cands["torch"] = torch_fb
        r = compare(cands, rounds=7)
        name = f"matmul {n}^2 {np.dtype(dtype).name} fwd+bwd"
        rows.append(row(name, r, r["numpy"]))
        vs_numpy.append((name, r["ours"] / r["numpy"], min_ratio(r, "ours", "numpy")))
    print_table("matmul (2 threads; target: ours/numpy <= 1.05 for 1024^2 float32)", rows)
    print(f"{'case':<48}{'ours/numpy':>11}{'(fastest)':>10}")
    for name, ratio, best in vs_numpy:
        print(f"{name:<48}{fmt(ratio, 11, 2)}{fmt(best, 10, 2)}")


if __name__ == "__main__":
    main()
