"""Hostile fuzzing of the op table (tests/op_specs.py) against PyTorch 2.13 in float64.

Each example takes a spec's shapes and arguments and makes them hostile: NaN, +-inf, -0,
denormals and huge values among the inputs, sometimes a size-0 dim, sometimes
non-contiguous inputs. Every call must either match torch (values, NaN where torch has NaN,
and gradients) or raise ValueError/TypeError/IndexError/RuntimeError in both libraries;
autodiff's error must not be a raw NumPy one (it names an op: ``"name: ..."``), and no NumPy
RuntimeWarning may escape (except the documented forward warnings of add/sub/mul).

``make test`` runs a few examples per op (bounded, about 20 s); ``make fuzz`` runs many more:
``FUZZ_EXAMPLES`` (default 3) sets the number per op.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autodiff as ad
from tests import strategies as S
from tests.fuzz.exact import violations
from tests.fuzz.references import REFS
from tests.op_specs import AD, SPECS, TorchLib

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
AD_LIB = AD()
ERRORS = (ValueError, TypeError, IndexError, RuntimeError)
SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 1e-310, 1e300, -1e300, 1e-30])
# add, sub and mul (and what is made of them) may warn in forward on overflow / inf - inf
LOUD_FORWARD = ("overflow encountered in add", "overflow encountered in subtract",
                "overflow encountered in multiply", "invalid value encountered in add",
                "invalid value encountered in subtract", "invalid value encountered in multiply")
TORCH = [s for s in SPECS if s.torch and s.fuzz]


def _hostile(rng, a, mode):
    a = a.copy()
    if a.size and mode in ("special", "both"):
        k = int(rng.integers(1, a.size + 1))
        pos = rng.choice(a.size, k, replace=False)
        a.reshape(-1)[pos] = rng.choice(SPECIALS, k)
    return a


def _draw(data, spec):
    shapes = tuple((s,) if isinstance(s, (int, np.integer)) else tuple(s)
                   for s in spec.shapes(data.draw))
    zero = data.draw(st.booleans(), label="zero_dim") and any(len(s) for s in shapes)
    if zero:
        # one dim shared by every input (keeps broadcasting) becomes 0
        nd = max(len(s) for s in shapes)
        d = data.draw(st.integers(1, nd), label="dim_from_end")
        shapes = tuple(tuple(0 if (len(s) - i) == d else n for i, n in enumerate(s))
                       for s in shapes)
    rng = np.random.default_rng(data.draw(S.seeds, label="seed"))
    arrays = []
    for i, s in enumerate(shapes):
        dom = spec.domains[i] if i < len(spec.domains) else spec.domains[-1]
        arrays.append(S.values(rng, s, dom) if np.prod(s) else np.zeros(s))
    try:
        params = spec.params(rng, shapes) if spec.params else {}
    except (ValueError, IndexError, ZeroDivisionError):
        assume(False)   # the spec's own argument maker cannot handle a size-0 dim
    mode = data.draw(st.sampled_from(["plain", "special", "both"]), label="values")
    arrays = [_hostile(rng, a, mode) for a in arrays]
    noncontig = data.draw(st.booleans(), label="noncontig")
    return arrays, params, noncontig


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _call(fn):
    """(result, error) of fn(); a NumPy RuntimeWarning (other than the documented ones)
    is an error of the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the library's own filter (autodiff/__init__.py: NumPy's floating-point warnings
        # from its modules), which pytest's per-test warning capture drops: what a user sees
        warnings.filterwarnings(
            "ignore", r"(overflow|underflow|divide by zero|invalid value) encountered",
            RuntimeWarning, r"(autodiff|nn|optim)(\.|$)")
        try:
            res, err = fn(), None
        except ERRORS as e:
            res, err = None, e
    for w in caught:
        if issubclass(w.category, RuntimeWarning) and "autodiff" in str(w.filename):
            assert any(m in str(w.message) for m in LOUD_FORWARD), \
                f"NumPy warning leaked: {w.message} ({w.filename}:{w.lineno})"
    return res, err


def _close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12, equal_nan=True,
                               err_msg=what)


class _Judge:
    """Compares ours with torch; where they differ and the op's result depends on an order of
    summation (REFS), judges each against the exact reference and its error bound."""

    def __init__(self, spec, arrays, params, ws):
        self.spec, self.arrays, self.params, self.ws = spec, arrays, params, ws
        self._ref = None

    def reference(self):
        if self._ref is None:
            with np.errstate(all="ignore"):   # Python float arithmetic inside object arrays
                self._ref = REFS[self.spec.name](self.arrays, self.params, self.ws)
        return self._ref

    def compare(self, ours, theirs, what, k):
        label = f"{self.spec.name}: {what} {k}"
        try:
            _close(ours, theirs, label)
        except AssertionError:
            if self.spec.name not in REFS:
                raise
            values, grads = self.reference()
            ref = (values if what == "value" else grads)[k]
            if ref is None:
                raise
            bad = violations(ref, ours)
            assert not bad, (f"{label} outside the exact reference's error bound (index, "
                             f"ours, exact +- bound): {bad}; torch gave {theirs!r}")
            bad = violations(ref, theirs)
            assert not bad, (f"{label}: torch is outside the exact reference's error bound "
                             f"(index, torch, exact +- bound): {bad} -- the bound in "
                             f"tests/fuzz/exact.py misses an evaluation order torch uses")


@pytest.mark.parametrize("spec", TORCH, ids=[s.name for s in TORCH])
def test_fuzz_against_torch(spec):
    torch = pytest.importorskip("torch")
    tlib = TorchLib()

    @settings(S.SETTINGS, max_examples=EXAMPLES)
    @given(data=st.data())
    def run(data):
        arrays, params, noncontig = _draw(data, spec)
        ts = []
        for i, a in enumerate(arrays):
            t = ad.from_numpy(S.noncontiguous(a) if noncontig else a.copy())
            if spec.grad_inputs is None or i in spec.grad_inputs:
                t.requires_grad_()
            ts.append(t)
        tts = [torch.from_numpy(a.copy()).requires_grad_(t.requires_grad)
               for a, t in zip(arrays, ts)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                touts, terr = _outputs(spec.fn(tlib, *tts, **params)), None
            except ERRORS as e:
                touts, terr = None, e
        outs, err = _call(lambda: _outputs(spec.fn(AD_LIB, *ts, **params)))
        if terr is not None or err is not None:
            assert terr is not None and err is not None, (
                f"{spec.name}: torch {'raised ' + repr(terr) if terr else 'returned'}, autodiff "
                f"{'raised ' + repr(err) if err else 'returned'}")
            assert ":" in str(err), f"{spec.name}: unclear error {err!r}"
            return
        assert len(outs) == len(touts)
        rng = np.random.default_rng(1)
        ws = [rng.uniform(0.5, 1.5, o.shape) for o in outs]
        judge = _Judge(spec, arrays, params, ws)
        loss = tloss = 0
        for k, (o, to, w) in enumerate(zip(outs, touts, ws)):
            assert tuple(o.shape) == tuple(to.shape), f"{spec.name}: shape {o.shape} vs {to.shape}"
            judge.compare(o.detach().numpy(), to.detach().numpy(), "value", k)
            if o.requires_grad and to.requires_grad:
                loss = loss + (o * ad.tensor(w)).sum()
                tloss = tloss + (to * torch.from_numpy(w)).sum()
        if isinstance(tloss, int):
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tloss.backward()
        _, err = _call(lambda: loss.backward())
        assert err is None, f"{spec.name}: backward raised {err!r}"
        for i, (t, tt) in enumerate(zip(ts, tts)):
            if tt.grad is None:
                assert t.grad is None or not np.any(t.grad.detach().numpy())
                continue
            judge.compare(t.grad.detach().numpy(), tt.grad.numpy(), "gradient", i)

    run()
