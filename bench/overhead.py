"""Per-op engine overhead: 1,000 chained tiny adds + backward, ours vs PyTorch.

Run: ``python -m bench.overhead``.  Target <= 1.3x torch.
"""
import numpy as np

from bench._timing import compare, print_table, row, setup_threads

N_OPS = 1000


def chained_adds(x, c):
    """The timed call, the same for both libraries: ``y = x + c + c + ...`` (N_OPS adds),
    then ``y.sum().backward()``; the gradients are cleared first."""
    def run():
        x.grad = c.grad = None
        y = x
        for _ in range(N_OPS):
            y = y + c
        y.sum().backward()
    return run


def main():
    torch = setup_threads()
    import autodiff as ad
    rows = []
    for label, shape in (("scalar", ()), ("(4,)", (4,))):
        xn, cn = np.ones(shape, np.float32), np.full(shape, 0.5, np.float32)

        def numpy_fwd():  # forward arithmetic only: the floor without any graph
            y = xn
            for _ in range(N_OPS):
                y = y + cn

        cands = {"ours": chained_adds(ad.tensor(xn, requires_grad=True),
                                      ad.tensor(cn, requires_grad=True)),
                 "numpy": numpy_fwd}
        if torch is not None:
            cands["torch"] = chained_adds(torch.ones(shape, requires_grad=True),
                                          torch.full(shape, 0.5, requires_grad=True))
        r = compare(cands, rounds=9)
        rows.append(row(f"{N_OPS} chained adds {label} + backward", r, r["numpy"]))
    print_table("engine overhead (numpy column: forward adds only, no graph; target <= 1.3)",
                rows)


if __name__ == "__main__":
    main()
