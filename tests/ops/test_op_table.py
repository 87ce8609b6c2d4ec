"""Every op of the table in tests/op_specs.py, checked five ways over hypothesis-drawn shapes:

* float64 central-difference gradient check (broadcast pairs come from the shape strategies);
* the same on non-contiguous inputs (transposed or strided views);
* float32 inputs give float32 outputs with the float64 values (to float32 precision);
* double backward (gradgradcheck) for every differentiable op;
* parity with PyTorch in float64: values and gradients to rtol 1e-6 (skipped without torch).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from tests import strategies as S
from tests.op_specs import AD, SPECS, TorchLib

AD_LIB = AD()
IDS = [s.name for s in SPECS]


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def draw_case(data, spec):
    shapes = spec.shapes(data.draw)
    rng = np.random.default_rng(data.draw(S.seeds, label="seed"))
    arrays = []
    for i, s in enumerate(shapes):
        dom = spec.domains[i] if i < len(spec.domains) else spec.domains[-1]
        arrays.append(S.values(rng, s, dom))
    params = spec.params(rng, shapes) if spec.params else {}
    return arrays, params


def make_inputs(spec, arrays, dtype=np.float64, noncontig=False):
    ts = []
    for i, a in enumerate(arrays):
        a = a.astype(dtype)
        if noncontig:
            a = S.noncontiguous(a)
        t = ad.from_numpy(a)
        if spec.grad_inputs is None or i in spec.grad_inputs:
            t.requires_grad_()
        ts.append(t)
    return ts


def ad_fn(spec, params):
    return lambda *xs: spec.fn(AD_LIB, *xs, **params)


def for_examples(spec, n, check):
    """Run ``check(arrays, params)`` on at most ``n`` drawn cases of ``spec`` (fewer where the
    spec says so)."""
    @settings(S.SETTINGS, max_examples=min(n, spec.examples))
    @given(data=st.data())
    def run(data):
        check(*draw_case(data, spec))
    run()


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_gradcheck(spec):
    def check(arrays, params):
        ts = make_inputs(spec, arrays)
        assert ad.gradcheck(ad_fn(spec, params), ts)
    for_examples(spec, S.SETTINGS.max_examples, check)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_gradcheck_noncontiguous(spec):
    def check(arrays, params):
        ts = make_inputs(spec, arrays, noncontig=True)
        expected = [o._data.copy() for o in _outputs(ad_fn(spec, params)(
            *make_inputs(spec, arrays)))]
        got = _outputs(ad_fn(spec, params)(*ts))
        for e, g in zip(expected, got):
            np.testing.assert_allclose(g._data, e, rtol=1e-12, atol=1e-12)
        assert ad.gradcheck(ad_fn(spec, params), ts)
    for_examples(spec, 3, check)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_float32_forward_stays_float32(spec):
    def check(arrays, params):
        out64 = _outputs(ad_fn(spec, params)(*make_inputs(spec, arrays)))
        out32 = _outputs(ad_fn(spec, params)(*make_inputs(spec, arrays, np.float32)))
        for o32, o64 in zip(out32, out64):
            want = np.float32 if spec.keeps_float32 else np.float64
            assert o32.dtype == want, f"{spec.name} gave {o32.dtype} for float32 inputs"
            np.testing.assert_allclose(o32._data, o64._data, rtol=2e-5, atol=2e-5)
        # the float32 graph differentiates to float32 gradients
        ts = make_inputs(spec, arrays, np.float32)
        outs = [o for o in _outputs(ad_fn(spec, params)(*ts)) if o.requires_grad]
        sum(o.sum() for o in outs).backward()
        for t in ts:
            if t.requires_grad:
                assert t.grad is not None and t.grad.dtype == np.float32
    for_examples(spec, 3, check)


DOUBLE = [s for s in SPECS if s.double]


@pytest.mark.parametrize("spec", DOUBLE, ids=[s.name for s in DOUBLE])
def test_gradgradcheck(spec):
    def check(arrays, params):
        ts = make_inputs(spec, arrays)
        assert ad.gradgradcheck(ad_fn(spec, params), ts)
    for_examples(spec, 5, check)


TORCH = [s for s in SPECS if s.torch]


@pytest.mark.parametrize("spec", TORCH, ids=[s.name for s in TORCH])
def test_torch_parity(spec):
    torch = pytest.importorskip("torch")
    tlib = TorchLib()

    def check(arrays, params):
        ts = make_inputs(spec, arrays)
        tts = [torch.from_numpy(a.copy()).requires_grad_(t.requires_grad)
               for a, t in zip(arrays, ts)]
        outs = _outputs(spec.fn(AD_LIB, *ts, **params))
        touts = _outputs(spec.fn(tlib, *tts, **params))
        assert len(outs) == len(touts)
        rng = np.random.default_rng(1)
        loss, tloss = 0, 0
        for o, to in zip(outs, touts):
            assert tuple(o.shape) == tuple(to.shape), f"{spec.name}: shape {o.shape} vs {to.shape}"
            tval = to.detach().numpy()
            assert o.dtype == tval.dtype, f"{spec.name}: dtype {o.dtype} vs {to.dtype}"
            np.testing.assert_allclose(o._data, tval, rtol=1e-6, atol=1e-12)
            w = rng.standard_normal(o.shape)
            loss = loss + (o * ad.tensor(w)).sum()
            tloss = tloss + (to * torch.from_numpy(w)).sum()
        loss.backward()
        tloss.backward()
        for i, (t, tt) in enumerate(zip(ts, tts)):
            if tt.grad is None:
                assert t.grad is None or not np.any(t.grad._data)
                continue
            np.testing.assert_allclose(t.grad._data, tt.grad.numpy(), rtol=1e-6, atol=1e-12,
                                       err_msg=f"{spec.name}: gradient of input {i}")
    for_examples(spec, 5, check)
