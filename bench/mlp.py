"""MLP 64-256-256-10 training step (batch 128, cross-entropy, SGD momentum 0.9), 2 threads.

Ours uses ``nn`` + ``optim``; the NumPy column is a hand-written forward/backward/update
(the floor: its 8 sgemms).  Run: ``python -m bench.mlp``.  Target <= 0.8x torch.
"""
import numpy as np

from bench._timing import compare, print_table, row, setup_threads

SIZES = (64, 256, 256, 10)
BATCH = 128


def _numpy_step(ws, bs, vs, x, t, lr=0.01, mom=0.9):
    onehot = np.eye(SIZES[-1], dtype=np.float32)[t]

    def step():
        hs = [x]
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = hs[-1] @ w.T + b
            if i < len(ws) - 1:
                h = np.maximum(h, 0)
            hs.append(h)
        z = hs[-1]
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / len(t)
        for i in range(len(ws) - 1, -1, -1):
            gw, gb = g.T @ hs[i], g.sum(0)
            if i:
                g = (g @ ws[i]) * (hs[i] > 0)
            for param, grad, buf in ((ws[i], gw, vs[2 * i]), (bs[i], gb, vs[2 * i + 1])):
                buf *= mom
                buf += grad
                param -= lr * buf
    return step


def main():
    torch = setup_threads()
    try:
        import autodiff.nn as nn
        import autodiff.optim as optim
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                              nn.Linear(256, 10))
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        F = nn.functional
    except Exception as e:  # nn / optim not there yet
        print(f"bench.mlp: skipped, nn/optim not importable ({type(e).__name__}: {e})")
        return
    import autodiff as ad
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    t = rng.integers(0, SIZES[-1], BATCH)
    X, T = ad.tensor(x), ad.tensor(t)

    def ours():
        opt.zero_grad()
        loss = F.cross_entropy(model(X), T)
        loss.backward()
        opt.step()

    ws = [rng.standard_normal((o, i)).astype(np.float32) * 0.05
          for i, o in zip(SIZES[:-1], SIZES[1:])]
    bs = [np.zeros(o, np.float32) for o in SIZES[1:]]
    vs = [np.zeros_like(a) for pair in zip(ws, bs) for a in pair]
    cands = {"ours": ours, "numpy": _numpy_step(ws, bs, vs, x, t)}
    if torch is not None:
        tm = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 10))
        topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
        xt, tt = torch.tensor(x), torch.tensor(t)

        def theirs():
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(tm(xt), tt)
            loss.backward()
            topt.step()

        cands["torch"] = theirs
    r = compare(cands, rounds=11)
    print_table("MLP train step (float32, 2 threads; target <= 0.8)",
                [row("MLP 64-256-256-10 batch 128 CE + SGD momentum", r, r["numpy"])])


if __name__ == "__main__":
    main()
