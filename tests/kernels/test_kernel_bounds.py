"""Every numba kernel runs with bounds checking on (issue 16): NUMBA_BOUNDSCHECK=1 turns an
index outside a buffer into an IndexError, and a fresh NUMBA_CACHE_DIR makes sure no cached
unchecked machine code is loaded. Small shapes, edge geometries (windows hanging over the
padded border with ceil_mode, padding of half the kernel, dilation, strides larger than the
kernel, groups, one-pixel inputs), values against the NumPy twins; and every kernel
dispatcher of autodiff.kernels must have been compiled by the run."""
import os
import subprocess
import sys
import tempfile
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent("""
    import itertools
    import numba
    import numpy as np
    assert numba.config.BOUNDSCHECK
    from autodiff.kernels import (conv as C, elementwise as E, loss as L, optim as O,
                                  pool as P, pool_2x2 as P2, recurrent as KR)
    import autodiff as ad
    from autodiff.kernels import _launch
    from autodiff.ops import recurrent as R
    # small shapes would take the serial twins (kernels/_launch.py, the same source compiled
    # without parallel=True): run the parallel dispatchers, whose prange loops are the riskier
    _launch.PARALLEL_MIN = 0

    @numba.njit
    def probe(a, i):
        return a[i]

    try:  # the checks are really on (an unchecked read would return garbage)
        probe(np.zeros(2), 5)
        raise SystemExit("NUMBA_BOUNDSCHECK had no effect")
    except IndexError:
        pass

    rng = np.random.default_rng(0)
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)

    # convolutions: forward, input gradient (= transposed conv), weight gradient
    for xs, ws, geom in [
        ((2, 4, 5, 4), (6, 2, 2, 3), ((2, 1), (1, 0, 2, 1), (1, 2), 2)),
        ((1, 3, 1, 1), (2, 3, 1, 1), ((1, 1), (0, 0, 0, 0), (1, 1), 1)),
        ((2, 2, 7, 6), (3, 2, 3, 3), ((3, 4), (2, 2, 1, 1), (2, 1), 1)),
        ((1, 2, 4, 4), (2, 1, 3, 3), ((1, 1), (1, 1, 1, 1), (1, 1), 2)),
    ]:
        for dt in (np.float32,):  # one compile per kernel: the checks do not depend on dtype
            x = rng.standard_normal(xs).astype(dt)
            w = rng.standard_normal(ws).astype(dt)
            out = C.conv2d_forward(x, w, *geom)
            close(out, C.conv2d_forward_ref(x, w, *geom))
            g = rng.standard_normal(out.shape).astype(dt)
            close(C.conv2d_backward_input(g, w, x.shape, *geom),
                  C.conv2d_backward_input_ref(g, w, x.shape, *geom))
            close(C.conv2d_backward_weight(x, g, w.shape, *geom),
                  C.conv2d_backward_weight_ref(x, g, w.shape, *geom))

    # pools: the generic kernels over edge geometries, the 2x2 fast paths
    shapes = [(2, 3, 5, 4), (1, 1, 1, 1), (1, 2, 7, 3)]
    geoms = [((1, 1), (1, 1), (0, 0), (1, 1)), ((3, 2), (2, 1), (1, 1), (1, 2)),
             ((2, 3), (3, 4), (1, 1), (1, 1)), ((3, 3), (1, 1), (1, 1), (2, 2))]
    for xs, (k, s, p, d), ceil in itertools.product(shapes, geoms, (False, True)):
        try:
            P._geometry(xs, k, s, p, d, ceil, "test")
        except ValueError:
            continue
        for dt in (np.float32,):
            x = rng.standard_normal(xs).astype(dt)
            o, loc = P.max_pool2d_forward(x, k, s, p, d, ceil)
            try:
                ro, ri = P.max_pool2d_forward_ref(x, k, s, p, d, ceil)
            except ValueError:  # a window wholly in the padding: -inf, as PyTorch (no twin)
                assert np.isneginf(o).any()
                continue
            close(o, ro)
            assert np.array_equal(P.max_pool2d_indices(loc, x.shape, k, s, p, d), ri)
            go = rng.standard_normal(o.shape).astype(dt)
            close(P.max_pool2d_backward(go, loc, x.shape, k, s, p, d),
                  P.max_pool2d_backward_ref(go, ri, x.shape))
            close(P.max_pool2d_gather(x, loc, k, s, p, d), o)
            if d == (1, 1):
                for cip, div in ((True, None), (False, None), (True, 3)):
                    a = (k, s, p, ceil, cip, div)
                    ao = P.avg_pool2d_forward(x, *a)
                    close(ao, P.avg_pool2d_forward_ref(x, *a))
                    close(P.avg_pool2d_backward(ao, x.shape, *a),
                          P.avg_pool2d_backward_ref(ao, x.shape, *a))
    for dt, xs in itertools.product((np.float32,), ((2, 3, 6, 4), (2, 3, 6, 5))):
        x = rng.standard_normal(xs).astype(dt)  # small planes, and rows (odd width)
        o, loc = P.max_pool2d_forward(x, (2, 2), (2, 2))
        close(o, P2.max_pool2d_2x2_forward_ref(x)[0])
        close(P.max_pool2d_backward(o, loc, x.shape, (2, 2), (2, 2)),
              P2.max_pool2d_2x2_backward_ref(o, loc, x.shape))
        ao = P.avg_pool2d_forward(x, (2, 2), (2, 2))
        close(ao, P2.avg_pool2d_2x2_forward_ref(x))
        close(P.avg_pool2d_backward(ao, x.shape, (2, 2), (2, 2)),
              P2.avg_pool2d_2x2_backward_ref(ao, x.shape))

    # losses: rows of 1 and of many classes, ignored rows, weights, smoothing
    for M, Cn in ((3, 4), (1, 1), (5, 17)):
        for dt in (np.float32,):
            z = (rng.standard_normal((M, Cn)) * 3).astype(dt)
            t = rng.integers(0, Cn, M)
            t[0] = -100
            w = rng.random(Cn) + 0.5
            close(L.log_softmax_forward(z), L.log_softmax_forward_ref(z))
            close(L.softmax_forward(z), L.softmax_forward_ref(z))
            for weight, eps in ((None, 0.0), (w, 0.1)):
                f = L.cross_entropy_forward(z, t, weight, -100, eps)
                for a, b in zip(f, L.cross_entropy_forward_ref(z, t, weight, -100, eps)):
                    close(a, b)
                scale = rng.random(M)
                close(L.cross_entropy_backward(z, t, scale, f[3], weight, -100, eps),
                      L.cross_entropy_backward_ref(z, t, scale, f[3], weight, -100, eps))
    big = np.full((2, 3), -800.0)
    L.exp_nonpos_(big)

    # elementwise, optimiser
    for shape in ((9, 10), (1, 64), (130, 3)):
        r = rng.standard_normal(shape).astype(np.float32)
        gr = rng.standard_normal(shape).astype(np.float32)
        assert np.array_equal(E.relu_forward(r), E.relu_forward_ref(r))
        assert np.array_equal(E.relu_backward(gr, E.relu_forward(r)),
                              E.relu_backward_ref(gr, E.relu_forward_ref(r)))
        close(E.sum_rows(gr), E.sum_rows_ref(gr))
        close(E.add_rows_(r.copy(), gr[0]), E.add_rows_ref_(r.copy(), gr[0]))
        for got, want in zip(E.leaky_relu_forward(r, 0.2), E.leaky_relu_forward_ref(r, 0.2)):
            assert np.array_equal(got, want)
        e = np.exp(-np.abs(r))
        assert np.array_equal(E.sigmoid_select(r, e), E.sigmoid_select_ref(r, e))
        pa, ba = rng.standard_normal(shape), rng.standard_normal(shape)
        pb, bb = pa.copy(), ba.copy()
        g = rng.standard_normal(shape)
        O.sgd_momentum_(pa, ba, g, 0.1, 0.9)
        O.sgd_momentum_ref_(pb, bb, g, 0.1, 0.9)
        close(pa, pb)

    # recurrent cells (the float32 fast path) against the float64 reference path
    for L_, N, I, H in ((3, 2, 4, 5), (1, 1, 1, 1)):
        x = rng.standard_normal((L_, N, I))
        for name, n_states, G in (("lstm", 2, 4), ("gru", 1, 3), ("rnn", 1, 1)):
            ws = [rng.standard_normal((G * H, I)), rng.standard_normal((G * H, H)),
                  rng.standard_normal(G * H), rng.standard_normal(G * H)]
            states = [rng.standard_normal((N, H)) for _ in range(n_states)]
            res = {}
            for dt in (np.float32, np.float64):
                args = [ad.tensor(a.astype(dt), requires_grad=True) for a in [x] + states + ws]
                for reverse in (False, True):
                    outs = getattr(R, name + "_layer")(*args, reverse=reverse)
                    sum(o.sum() for o in outs).backward()
                res[dt] = [outs[0].detach().numpy()] + [a.grad.numpy() for a in args]
            for a, b in zip(res[np.float32], res[np.float64]):
                np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-3)
        t = rng.standard_normal((4, 7)).astype(np.float32)
        out = np.empty_like(t)
        KR.tanh32(t, out)
        close(out, np.tanh(t))

    missing = []
    for mod in (C, E, L, O, P, KR):
        for name, obj in vars(mod).items():
            disp = getattr(obj, "dispatcher", obj)
            if (isinstance(disp, numba.core.registry.CPUDispatcher) and not disp.signatures
                    and disp.targetoptions.get("inline") != "always"):  # inlined helpers
                missing.append(f"{mod.__name__}.{name}")
    assert not missing, missing
    print("bounds ok")
""")


@pytest.mark.slow  # compiles every kernel afresh: about 25 s of CPU
def test_every_kernel_in_bounds_with_boundscheck():
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=cache,
                   OPENBLAS_NUM_THREADS="1")
        env.pop("NUMBA_DISABLE_JIT", None)
        res = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "bounds ok" in res.stdout
