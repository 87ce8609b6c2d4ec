"""Every kernel also runs as plain Python with NUMBA_DISABLE_JIT=1 (and agrees with its twin)."""
import textwrap

from kernel_cases import run_without_jit

SCRIPT = textwrap.dedent("""
    import numpy as np
    import numba
    assert numba.config.DISABLE_JIT
    from autodiff.kernels import conv as C, pool as P, loss as L
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 4)); w = rng.standard_normal((6, 2, 2, 3))
    geom = ((2, 1), (1, 0, 2, 1), (1, 2), 2)
    out = C.conv2d_forward(x, w, *geom)
    assert np.allclose(out, C.conv2d_forward_ref(x, w, *geom))
    g = rng.standard_normal(out.shape)
    assert np.allclose(C.conv2d_backward_input(g, w, x.shape, *geom),
                       C.conv2d_backward_input_ref(g, w, x.shape, *geom))
    assert np.allclose(C.conv2d_backward_weight(x, g, w.shape, *geom),
                       C.conv2d_backward_weight_ref(x, g, w.shape, *geom))
    k = ((3, 2), (2, 1), (1, 1), (1, 2))
    o, loc = P.max_pool2d_forward(x, *k, True)
    ro, ri = P.max_pool2d_forward_ref(x, *k, True)
    assert np.array_equal(o, ro) and np.array_equal(P.max_pool2d_indices(loc, x.shape, *k), ri)
    go = rng.standard_normal(o.shape)
    assert np.allclose(P.max_pool2d_backward(go, loc, x.shape, *k),
                       P.max_pool2d_backward_ref(go, ri, x.shape))
    assert np.array_equal(P.max_pool2d_gather(x, loc, *k), o)
    a = ((3, 2), (2, 1), (1, 1), True, False, None)
    ao = P.avg_pool2d_forward(x, *a)
    assert np.allclose(ao, P.avg_pool2d_forward_ref(x, *a))
    assert np.allclose(P.avg_pool2d_backward(ao, x.shape, *a),
                       P.avg_pool2d_backward_ref(ao, x.shape, *a))
    z = rng.standard_normal((3, 4)); t = np.array([1, -100, 3])
    assert np.allclose(L.log_softmax_forward(z), L.log_softmax_forward_ref(z))
    assert np.allclose(L.softmax_forward(z), L.softmax_forward_ref(z))
    f = L.cross_entropy_forward(z, t, None, -100, 0.1)
    ref = L.cross_entropy_forward_ref(z, t, None, -100, 0.1)
    assert all(np.allclose(p, q) for p, q in zip(f, ref))
    assert np.allclose(L.cross_entropy_backward(z, t, 1.0, f[3], None, -100, 0.1),
                       L.cross_entropy_backward_ref(z, t, 1.0, f[3], None, -100, 0.1))
    from autodiff.kernels import elementwise as E
    r = rng.standard_normal((9, 10)); gr = rng.standard_normal((9, 10))
    assert np.array_equal(E.relu_forward(r), E.relu_forward_ref(r))
    assert np.array_equal(E.relu_backward(gr, E.relu_forward(r)),
                          E.relu_backward_ref(gr, E.relu_forward_ref(r)))
    assert np.array_equal(E.sum_rows(gr), E.sum_rows_ref(gr))
    assert np.array_equal(E.add_rows_(r.copy(), gr[0]), E.add_rows_ref_(r.copy(), gr[0]))
    from autodiff.kernels import optim as O
    pa, ba = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    pb, bb = pa.copy(), ba.copy()
    assert O.sgd_momentum_(pa, ba, gr[:3, :4].copy(), 0.1, 0.9)
    O.sgd_momentum_ref_(pb, bb, gr[:3, :4].copy(), 0.1, 0.9)
    assert np.array_equal(pa, pb) and np.array_equal(ba, bb)
    print("nojit ok")
""")


def test_kernels_run_without_jit():
    run_without_jit(SCRIPT)
