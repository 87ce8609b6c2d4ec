"""One subprocess test per crash class of issue 16, asserting the interpreter survives (exit
code 0): bad conv/pool geometry (read or wrote outside the kernels' buffers, aborting in
``free``) and two Python threads running parallel kernels at once (numba's workqueue layer
aborted with "Concurrent access")."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(script, timeout=240):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, (res.returncode, res.stderr[-3000:])
    return res.stdout


def test_bad_geometry_never_reaches_a_kernel():
    out = _run("""
        import gc
        import autodiff as ad, nn, nn.functional as F
        x, w = ad.randn(2, 4, 5, 5), ad.randn(4, 3, 3, 3)
        calls = [
            lambda: F.conv_transpose2d(x, w, dilation=-1),
            lambda: F.conv_transpose2d(x, w, dilation=0),
            lambda: F.conv_transpose2d(x, w, padding=-1),
            lambda: F.conv_transpose2d(x, w, stride=0),
            lambda: F.conv_transpose2d(ad.randn(1, 4, 200, 200), w, dilation=-50),
            lambda: nn.ConvTranspose2d(4, 3, 3, dilation=-1)(x),
            lambda: F.conv2d(x, ad.randn(3, 4, 3, 3), dilation=-1),
            lambda: F.conv2d(x, ad.randn(3, 4, 3, 3), padding=-2),
            lambda: F.max_pool2d(x, 2, dilation=-1),
            lambda: F.max_pool2d(x, 3, padding=-1),
            lambda: F.avg_pool2d(x, 2, padding=-1),
            lambda: F.max_pool1d(ad.randn(2, 3, 9), 2, stride=-1),
        ]
        errors = 0
        for call in calls:
            try:
                out = call()
            except (ValueError, TypeError):
                errors += 1
            else:
                raise SystemExit(f"accepted: {out.shape}")
        gc.collect()
        # the heap is intact: allocate and free a lot after the bad calls
        for _ in range(50):
            F.conv_transpose2d(x, w, stride=2).sum()
        print("errors", errors)
    """)
    assert "errors 12" in out


def test_two_threads_running_conv_and_pool_kernels():
    out = _run("""
        import threading
        import numpy as np
        import autodiff as ad, nn, nn.functional as F, optim

        def pools():
            x = ad.randn(2, 8, 16, 16)
            for _ in range(200):
                F.max_pool2d(x, 2)
                F.avg_pool2d(x, 3, 2, 1)

        losses = {}

        def train(seed):
            ad.manual_seed(seed)
            m = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(4 * 7 * 7, 10))
            opt = optim.SGD(m.parameters(), lr=0.05)
            x = ad.randn(16, 1, 14, 14)
            t = ad.tensor(np.arange(16) % 10)
            first = None
            for _ in range(25):
                opt.zero_grad()
                loss = F.cross_entropy(m(x), t)
                loss.backward()
                opt.step()
                first = loss.item() if first is None else first
            losses[seed] = (first, loss.item())

        def both(seed):
            pools()
            train(seed)

        threads = [threading.Thread(target=both, args=(s,)) for s in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(last < first for first, last in losses.values()), losses
        print("threads ok", len(losses))
    """)
    assert "threads ok 2" in out
