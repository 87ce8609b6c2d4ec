"""The explicit F(2x2, 3x3) transforms (autodiff/kernels/winograd_tiles.py) against their
twins: winograd.py's NumPy references (input, filters) and the transform matrices applied
with einsum (gradient, output), in float64 to round-off and float32; odd output sizes, a
chunk of tiles shorter than CH and several tile rows per call."""
import numpy as np
import pytest

from autodiff.kernels import winograd as Wn
from autodiff.kernels import winograd_blocked as Wb
from autodiff.kernels import winograd_tiles as Wt

SHAPES = [(32, 3, 14, 14, (1, 1, 1, 1)), (5, 2, 9, 7, (1, 1, 1, 1)), (3, 4, 6, 11, (2, 0, 0, 1))]


def _planes(a, Hq, Wq, pt, pl):
    """_gather's padded planes of all images of a (N, P, H, W), flat."""
    N, P = a.shape[:2]
    out = np.empty(P * Hq * Wq * N, a.dtype)
    Wb._gather(np.ascontiguousarray(a), 0, N, out, Hq, Wq, pt, pl)
    return out


def _tiles(flat, planes, R, Tb):
    """(16, planes, Tb) view of a (planes, 16, R) block."""
    return flat.reshape(planes, 16, R)[:, :, :Tb].transpose(1, 0, 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_input_tiles_match_reference(shape, dtype):
    N, C, H, W, p = shape
    x = np.random.default_rng(0).standard_normal((N, C, H, W)).astype(dtype)
    Ho, Wo = H + p[0] + p[1] - 2, W + p[2] + p[3] - 2
    th, tw = Wn.tiles(Ho, Wo)
    Hq, Wq = 2 * th + 2, 2 * tw + 2
    P = _planes(x, Hq, Wq, p[0], p[2])
    ref = Wn.input_transform_ref(x, p, (Ho, Wo)).reshape(16, C, th, tw * N)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for i0, i1 in ((0, th), (th // 2, th)):  # all tile rows, then the last ones
        R = Wt._row((i1 - i0) * tw * N)
        V = np.full(C * 16 * R, np.nan, dtype)
        Wt._input_tiles(P, Hq, Wq, N, i0, i1, V, C, R)
        got = _tiles(V, C, R, (i1 - i0) * tw * N).reshape(16, C, i1 - i0, tw * N)
        np.testing.assert_allclose(got, ref[:, :, i0:i1], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_grad_tiles_match_reference(shape, dtype):
    N, O, Ho, Wo, _ = shape
    g = np.random.default_rng(1).standard_normal((N, O, Ho, Wo)).astype(dtype)
    th, tw = Wn.tiles(Ho, Wo)
    Pg = _planes(g, 2 * th, 2 * tw, 0, 0)
    gp = np.zeros((N, O, 2 * th, 2 * tw), np.float64)
    gp[:, :, :Ho, :Wo] = g
    A = Wn.AT.T
    ref = np.einsum("ar,noirjs,bs->aboijn",
                    A, gp.reshape(N, O, th, 2, tw, 2), A).reshape(16, O, th, tw * N)
    R = Wt._row(th * tw * N)
    dM = np.full(O * 16 * R, np.nan, dtype)
    Wt._grad_tiles(Pg, 2 * th, 2 * tw, N, 0, th, dM, O, R)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(_tiles(dM, O, R, th * tw * N).reshape(16, O, th, tw * N), ref,
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_output_tiles_match_reference(shape, dtype, bias):
    N, O, Ho, Wo, _ = shape
    rng = np.random.default_rng(2)
    th, tw = Wn.tiles(Ho, Wo)
    R = Wt._row(th * tw * N)
    Mt = rng.standard_normal((O, 16, R)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype) if bias else np.zeros(0, dtype)
    y = np.full((N + 2, O, Ho, Wo), np.nan, dtype)  # images 1..N written, 0 and N+1 kept
    for o in range(O):
        Wt._output_tiles(Mt.ravel(), R, o, 0, th, tw, N, y, 1, b)
    M = Mt[:, :, :th * tw * N].reshape(O, 4, 4, th, tw, N).astype(np.float64)
    ref = np.einsum("ra,oabijn,sb->noirjs", Wn.AT, M, Wn.AT).reshape(N, O, 2 * th, 2 * tw)
    ref = ref[:, :, :Ho, :Wo] + (b.reshape(1, O, 1, 1) if bias else 0)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(y[1:N + 1], ref, rtol=tol, atol=tol)
    assert np.isnan(y[0]).all() and np.isnan(y[N + 1]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weights_match_weight_transform(dtype):
    w = np.random.default_rng(3).standard_normal((5, 3, 3, 3)).astype(dtype)
    tol = 1e-14 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(Wt._weights(w), Wn.weight_transform(w), rtol=tol, atol=tol)
