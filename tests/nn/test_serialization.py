"""nn.save / nn.load: .npz without pickle, nested round trips, atomic writes, refusals."""
import os
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn, serialization


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_round_trip_checkpoint(tmp_path):
    m = _model()
    ckpt = {"model": m.state_dict(),
            "optim": {"state": {0: {"step": 3, "exp_avg": np.arange(4.0)},
                                1: {"momentum_buffer": None}},
                      "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0, 1],
                                        "nesterov": False, "name": "g0"}]},
            "epoch": 7, "loss": float("nan"), "scalar": np.float32(1.5),
            "param": nn.Parameter(ad.tensor([1.0, 2.0]))}
    path = tmp_path / "ckpt.npz"
    nn.save(ckpt, path)
    back = nn.load(path)
    assert back["epoch"] == 7 and np.isnan(back["loss"])
    assert list(back["model"]) == list(m.state_dict())
    for k, v in m.state_dict().items():
        assert isinstance(back["model"][k], ad.Tensor)
        np.testing.assert_array_equal(back["model"][k]._data, v._data)
        assert back["model"][k].dtype == v.dtype
    st = back["optim"]["state"]
    assert set(st) == {0, 1}  # integer keys survive
    np.testing.assert_array_equal(st[0]["exp_avg"], np.arange(4.0))
    assert st[0]["step"] == 3 and st[1]["momentum_buffer"] is None
    g = back["optim"]["param_groups"][0]
    assert g["betas"] == (0.9, 0.999) and g["params"] == [0, 1] and g["nesterov"] is False
    assert g["name"] == "g0"
    assert back["scalar"] == np.float32(1.5) and isinstance(back["scalar"], np.float32)
    assert isinstance(back["param"], nn.Parameter) and back["param"].requires_grad
    m2 = _model()
    m2.load_state_dict(back["model"])
    x = ad.randn(5, 3)
    m.eval(), m2.eval()
    np.testing.assert_array_equal(m(x)._data, m2(x)._data)


def test_file_is_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model().state_dict(), path)
    with np.load(path, allow_pickle=False) as z:
        assert "0.weight" in z.files and "__schema__" in z.files
        assert z["1.num_batches_tracked"].dtype == np.int64


def test_refuses_pickle_and_corrupt_files(tmp_path):
    p = tmp_path / "evil.npz"
    with open(p, "wb") as f:
        pickle.dump({"a": 1}, f)
    with pytest.raises(ValueError):
        nn.load(p)
    obj = tmp_path / "obj.npz"
    np.savez(obj, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError):
        nn.load(obj)
    good = tmp_path / "good.npz"
    nn.save({"w": ad.ones(100)}, good)
    data = good.read_bytes()
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        nn.load(bad)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all" * 10)
    with pytest.raises(ValueError):
        nn.load(junk)
    with pytest.raises(TypeError):
        nn.save({"f": lambda: 1}, tmp_path / "x.npz")


def test_crash_mid_save_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"model": _model().state_dict(), "epoch": 1}, path)
    before = path.read_bytes()
    calls = {"n": 0}
    real = serialization._write_entry

    def failing(zf, name, arr):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        real(zf, name, arr)

    monkeypatch.setattr(serialization, "_write_entry", failing)
    with pytest.raises(OSError, match="simulated"):
        nn.save({"model": _model().state_dict(), "epoch": 2}, path)
    assert calls["n"] == 3
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file was removed
    assert nn.load(path)["epoch"] == 1


def test_loading_into_model_reports_every_mismatch(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 2)).state_dict(), path)
    other = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 2))
    with pytest.raises(RuntimeError) as info:
        other.load_state_dict(nn.load(path))
    msg = str(info.value)
    for key in ("0.weight", "0.bias", "1.weight", "3.weight", "3.bias"):
        assert key in msg


def test_saved_file_respects_umask(tmp_path):
    import os

    from autodiff import nn as _nn
    old = os.umask(0o022)
    try:
        p = tmp_path / "ck.npz"
        _nn.save({"a": np.arange(3.0)}, p)
        assert (os.stat(p).st_mode & 0o777) == 0o644
    finally:
        os.umask(old)


# ---- load_state_dict is atomic (issue 16) -------------------------------------------------------
def _arrays(model):
    return {k: v._data.copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("bad", [
    np.array([[1.0, 2.0]] * 2, dtype=object),  # numbers in an object array: refused, not NaN
    np.array([["a", "b"]] * 2),                  # strings
    [[1.0, 2.0], [3.0]],                         # ragged nested list
    np.ones((2, 2), dtype=np.complex64),         # complex into a float tensor
    np.ones((3, 2), dtype=np.float32),           # wrong shape
    "0.5",                                       # not an array at all
], ids=["object", "str", "ragged", "complex", "shape", "string"])
@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_leaves_module_untouched_on_any_bad_entry(bad, strict):
    # the last entry, a (2, 2) weight, is bad; every entry before it would be copied first
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(2, 2, bias=False))
    last_float = "2.weight"
    assert list(model.state_dict())[-1] == last_float
    before = _arrays(model)
    versions = {k: v._version for k, v in model.state_dict().items()}
    donor = {k: v._data + 1 for k, v in model.state_dict().items()}  # all good, all different
    donor[last_float] = bad
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(donor, strict=strict)
    assert last_float in str(info.value)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v._data, before[k])
        assert v._version == versions[k]
    # the same dict without the bad entry loads every value
    donor[last_float] = before[last_float] + 1
    model.load_state_dict(donor, strict=strict)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v._data, (before[k] + 1).astype(v._data.dtype))


def test_load_state_dict_float_into_int_buffer_is_refused_atomically():
    model = _model()
    before = _arrays(model)
    donor = {k: v._data * 2 + 1 for k, v in model.state_dict().items()}
    donor["1.num_batches_tracked"] = np.array(2.5)
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        model.load_state_dict(donor)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v._data, before[k])
    donor["1.num_batches_tracked"] = np.array(7, dtype=np.int32)  # ints convert
    model.load_state_dict(donor)
    assert model[1].num_batches_tracked._data.dtype == np.int64
    assert int(model[1].num_batches_tracked._data) == 7


def test_load_state_dict_assign_converts_to_the_modules_dtype():
    model = _model()
    donor = {k: v._data.astype(np.float64) * 3 if v._data.dtype.kind == "f" else v._data
             for k, v in model.state_dict().items()}
    model.load_state_dict(donor, assign=True)
    w = model[0].weight._data
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, donor["0.weight"], rtol=1e-6)
    donor["0.weight"][0, 0] = 123.0  # a copy, not the donor's array
    assert w[0, 0] != 123.0


# ---- torch.save files are refused with a way out (issue 16) ------------------------------------
class _Mkdir:
    """Unpickling this creates a folder: proof that a loader ran the pickle."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def _fake_torch_zip(path, payload):
    """The layout of a ``torch.save`` file (zip: <name>/data.pkl, byteorder, data/0, version)."""
    import zipfile
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/data/0", np.arange(6, dtype=np.float32).tobytes())
        zf.writestr("archive/version", "3\n")


def _check_torch_refusal(path, message):
    assert "PyTorch checkpoint" in message or "pickle file" in message
    assert str(path) in message  # names the file
    assert "never unpickles" in message
    assert "torch.load" in message and "v.numpy()" in message  # how to convert it


def test_load_refuses_a_torch_zip_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "model.pth"
    _fake_torch_zip(path, pickle.dumps(_Mkdir(marker), protocol=2))
    for load in (nn.load, ad.load):
        with pytest.raises(ValueError) as info:
            load(path)
        _check_torch_refusal(path, str(info.value))
    assert not marker.exists()
    legacy = tmp_path / "legacy.pt"  # old-style torch.save / pickle.dump: a bare pickle
    legacy.write_bytes(pickle.dumps(_Mkdir(marker), protocol=2))
    with pytest.raises(ValueError) as info:
        ad.load(legacy)
    _check_torch_refusal(legacy, str(info.value))
    assert not marker.exists()


def test_real_torch_save_is_refused_and_the_suggested_conversion_works(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    path = tmp_path / "model.pth"
    torch.save(tm.state_dict(), path)
    with pytest.raises(ValueError) as info:
        ad.load(path, weights_only=True)
    _check_torch_refusal(path, str(info.value))
    # the conversion the message gives, then our load into the same architecture
    sd = torch.load(path, weights_only=True)
    np.savez(tmp_path / "model.npz", **{k: v.numpy() for k, v in sd.items()})
    ours = _model()
    ours.load_state_dict(ad.load(tmp_path / "model.npz"))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    tm.eval(), ours.eval()
    with torch.no_grad():
        expected = tm(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(ad.tensor(x)).detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)


# ---- saving over files, links, and after a killed save (issue 16) ------------------------------
def test_save_over_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "secret.npz"
    nn.save({"w": np.arange(3.0)}, path)
    os.chmod(path, 0o600)
    nn.save({"w": np.arange(4.0)}, path)
    assert (os.stat(path).st_mode & 0o777) == 0o600
    np.testing.assert_array_equal(nn.load(path)["w"], np.arange(4.0))
    os.chmod(path, 0o640)
    ad.save({"w": np.arange(5.0)}, path)
    assert (os.stat(path).st_mode & 0o777) == 0o640


def test_save_through_a_symlink_writes_its_target(tmp_path):
    real_dir = tmp_path / "store"
    real_dir.mkdir()
    real = real_dir / "model.npz"
    nn.save({"epoch": 1}, real)
    link = tmp_path / "latest.npz"
    os.symlink(os.path.relpath(real, tmp_path), link)
    nn.save({"epoch": 2}, link)
    assert os.path.islink(link) and os.path.realpath(link) == str(real)
    assert nn.load(real)["epoch"] == 2 and nn.load(link)["epoch"] == 2
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "store"]
    assert os.listdir(real_dir) == ["model.npz"]


_KILLED_SAVE = r"""
import sys, time
import numpy as np
from autodiff import serialization
real = serialization._write_entry
def slow(zf, name, arr):
    real(zf, name, arr)
    print("writing", flush=True)
    time.sleep(60)
serialization._write_entry = slow
serialization.save({"w": np.arange(1000.0), "epoch": 2}, sys.argv[1])
"""


def test_sigkill_mid_save_leaves_old_file_and_next_save_removes_the_temp(tmp_path):
    import signal
    import subprocess
    import sys
    path = tmp_path / "ckpt.npz"
    nn.save({"epoch": 1}, path)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(path)], cwd=repo,
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=repo))
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    stale = [n for n in os.listdir(tmp_path) if n != "ckpt.npz"]
    assert len(stale) == 1 and stale[0].startswith(".ckpt.npz.")  # the partial temp file
    assert nn.load(path)["epoch"] == 1  # the old file is intact
    # a temp of a live process (this one) and of another file are left alone
    mine = serialization._tmp_prefix("ckpt.npz") + \
        f"{serialization._host_tag()}.{os.getpid()}.abcd{serialization._TMP_SUFFIX}"
    other = ".other.npz." + stale[0][len(".ckpt.npz."):]
    (tmp_path / mine).write_bytes(b"partial")
    (tmp_path / other).write_bytes(b"partial")
    nn.save({"epoch": 3}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.npz", mine, other])
    assert nn.load(path)["epoch"] == 3


# ---- corrupt files: always a ValueError naming the file (issue 16) -----------------------------
def _npy(header, data=b"", version=1):
    """A .npy member with a hand-written header (padded as NumPy pads it)."""
    import struct
    h = header.encode("latin1")
    pre = 8 + (2 if version == 1 else 4)
    h += b" " * ((-(pre + len(h) + 1)) % 64) + b"\n"
    size = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + size + h + data


def _zip(path, members, compression=None):
    import zipfile
    with zipfile.ZipFile(path, "w", compression=compression or zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


F8 = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }"


@pytest.mark.parametrize("member", [
    _npy(F8 % "(10000000000000,)", b"\0" * 16),            # 10^13 elements in a tiny file
    _npy(F8 % "(3,)", b"\0" * 16),                           # 3 elements, 2 present
    _npy(F8 % "(3,", b"\0" * 24),                             # numpy: tokenize.TokenError
    _npy("{'descr': '<f8', 'fortran_order': False, }", b"\0" * 8),  # numpy: KeyError
    _npy("{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 5000 + ")" * 5000 + "}"),
    _npy("[" * 3000 + "]" * 3000),                            # nested deeper than the parser
    _npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", b"\0" * 16),  # objects
    _npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    _npy("{'descr': 'zz', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    _npy(F8 % "(-1,)", b"\0" * 8),
    _npy(F8 % "(True,)", b"\0" * 8),
    _npy(F8 % "(1,)", b"\0" * 8, version=7),
    b"\x93NUMPY\x01\x00",                                     # header cut off
    b"not an array",
], ids=["huge", "short", "tokenize", "nokey", "deep-tuple", "deep-list", "object", "struct",
        "dtype", "negative", "bool-dim", "version", "cut", "junk"])
def test_corrupt_array_member_is_a_value_error_naming_the_file(tmp_path, member):
    path = _zip(tmp_path / "bad.npz", {"w.npy": member})
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(path) in str(info.value)


def test_huge_declared_size_is_refused_before_allocation(tmp_path):
    path = _zip(tmp_path / "bomb.npz", {"w.npy": _npy(F8 % "(10000000000000,)", b"\0" * 16)})
    with pytest.raises(ValueError, match="declares shape"):
        ad.load(path)


def test_corrupt_zip_structures_are_value_errors(tmp_path):
    import zipfile
    good = tmp_path / "good.npz"
    ad.save({"w": np.arange(50.0), "n": 3}, good)
    data = bytearray(good.read_bytes())
    cases = {}
    flipped = bytearray(data)
    i = bytes(data).index(np.arange(50.0)[10:12].tobytes())
    flipped[i] ^= 0xFF  # one array byte: the CRC no longer matches
    cases["crc"] = bytes(flipped)
    junk_deflate = tmp_path / "z.npz"
    with zipfile.ZipFile(junk_deflate, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("w.npy", _npy(F8 % "(4,)", b"\0" * 32))
    raw = bytearray(junk_deflate.read_bytes())
    start = 30 + len("w.npy")  # the local header, then the compressed stream
    raw[start:start + 20] = b"\xff" * 20  # zlib.error when inflating
    cases["zlib"] = bytes(raw)
    cases["empty"] = b""
    cases["truncated"] = bytes(data[: len(data) - 30])
    cases["npy"] = _npy(F8 % "(1,)", b"\0" * 8)  # a bare .npy file
    for name, blob in cases.items():
        p = tmp_path / f"{name}.npz"
        p.write_bytes(blob)
        with pytest.raises(ValueError) as info:
            ad.load(p)
        assert str(p) in str(info.value), name
    # an archive with a non-array member, and a bomb-like deflated member
    foreign = _zip(tmp_path / "foreign.npz", {"readme.txt": b"hello"})
    with pytest.raises(ValueError, match="not a .npy array"):
        ad.load(foreign)
    with pytest.raises(FileNotFoundError):
        ad.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("schema", [
    "[" * 100000 + "]" * 100000,                     # json: RecursionError
    '{"format": "autodiff-checkpoint-1", "root": ' + '{"__list__": [' * 2000 + "1"
    + "]}" * 2000 + "}",                             # rebuilding: RecursionError
    '{"format": "autodiff-checkpoint-1", "root": {"__tensor__": "nope"}}',
    '{"format": "autodiff-checkpoint-1", "root": {"__dict__": [[{"a": 1}, 2]]}}',
    '{"format": "autodiff-checkpoint-1", "root": {"__dict__": 5}}',
    '{"format": "autodiff-checkpoint-1", "root": {"__scalar__": "w"}}',
    '{"format": "autodiff-checkpoint-1"}',
    '{"format": "other", "root": 1}',
    "\xff\xfe not json",
])
def test_corrupt_schema_is_a_value_error(tmp_path, schema):
    import io
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.frombuffer(schema.encode("utf-8", "surrogateescape")
                                                 if schema[0] != "\xff" else b"\xff\xfe",
                                                 dtype=np.uint8))
    w = io.BytesIO()
    np.lib.format.write_array(w, np.arange(3.0))
    path = _zip(tmp_path / "s.npz", {"__schema__.npy": buf.getvalue(), "w.npy": w.getvalue()})
    with pytest.raises(ValueError) as info:
        ad.load(path)
    assert str(path) in str(info.value)


def _valid_checkpoints(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    m = _model()
    opt_state = {"state": {0: {"step": 3, "exp_avg": np.arange(4.0)}},
                 "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99), "params": [0]}]}
    ad.save({"model": m.state_dict(), "optim": opt_state, "epoch": 2, "name": "x"}, d / "a.npz")
    np.savez_compressed(d / "b.npz", w=np.arange(40, dtype=np.float32).reshape(5, 8),
                        i=np.arange(7))
    return [(d / "a.npz").read_bytes(), (d / "b.npz").read_bytes()]


@pytest.fixture(scope="module")
def valid_blobs(tmp_path_factory):
    return _valid_checkpoints(tmp_path_factory)


def test_fuzzed_checkpoint_bytes_only_ever_raise_value_error(tmp_path, valid_blobs):
    import io

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    for blob in valid_blobs:  # both load as they are
        assert ad.load(io.BytesIO(blob))
    mutation = st.one_of(
        st.tuples(st.just("cut"), st.integers(0, 10**6)),
        st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, 10**6),
                                                       st.integers(1, 255)), min_size=1,
                                             max_size=4)),
        st.tuples(st.just("splice"), st.tuples(st.integers(0, 10**6), st.binary(max_size=16),
                                               st.integers(0, 16))),
    )

    @settings(max_examples=250, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.function_scoped_fixture])
    @given(which=st.integers(0, len(valid_blobs) - 1), mut=mutation)
    def check(which, mut):
        data = bytearray(valid_blobs[which])
        kind, arg = mut
        if kind == "cut":
            data = data[: arg % (len(data) + 1)]
        elif kind == "flip":
            for pos, x in arg:
                data[pos % len(data)] ^= x
        else:
            pos, ins, drop = arg
            pos %= len(data) + 1
            data[pos:pos + drop] = ins
        f = io.BytesIO(bytes(data))
        f.name = "fuzzed.npz"
        try:
            ad.load(f)
        except ValueError as e:
            assert "fuzzed.npz" in str(e)

    check()


# ---- ad.save / ad.load: PyTorch's spellings (issue 17) -----------------------------------------
def _assert_same(a, b, where="root"):
    assert type(a) is type(b), (where, type(a), type(b))
    if isinstance(a, ad.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.requires_grad == b.requires_grad, where
        np.testing.assert_array_equal(a._data, b._data)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}/{i}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def test_ad_save_load_round_trips_nested_containers(tmp_path):
    rng = np.random.default_rng(0)
    obj = {
        "tensors": [ad.tensor(rng.standard_normal((2, 3))), ad.zeros(0, 4),
                    ad.tensor(3.5), ad.arange(6).reshape(2, 3).transpose(0, 1),
                    ad.tensor([True, False]), ad.tensor(np.float16([1.5, -2.0])),
                    ad.randn(3, requires_grad=True)],
        "nested": {"a": ({"b": [1, 2.5, None, "s", True]},), 1: {2: (3,)}, 2.5: [], "": {}},
        "numbers": [0, -1, 2**70, 1e300, float("inf"), float("nan"), False],
        "array": np.arange(12, dtype=np.int16).reshape(3, 4)[:, ::2],
        "none": None,
        "text": "päth/with\\slashes and spaces",
    }
    path = tmp_path / "obj.pth"  # any name: written exactly there, as torch.save does
    ad.save(obj, path)
    assert os.listdir(tmp_path) == ["obj.pth"]
    back = ad.load(path, weights_only=True)
    _assert_same(obj, back)
    assert back["tensors"][-1].is_leaf and back["tensors"][-1].grad_fn is None
    for top in ([ad.ones(2), (1, "x")], (None,), 5, "only a string", ad.tensor([1, 2])):
        ad.save(top, path)
        _assert_same(top, ad.load(path))


def test_ad_load_arguments_as_pytorch(tmp_path):
    import io
    sd = _model().state_dict()
    buf = io.BytesIO()
    ad.save(sd, buf)  # file objects, as torch.save/torch.load
    buf.seek(0)
    back = ad.load(buf, map_location="cpu", weights_only=True)
    _assert_same(dict(sd), back)
    path = tmp_path / "m.pt"
    ad.save(sd, str(path))
    for loc in (None, "cpu", ad.device("cpu"), {"cuda:0": "cpu"},
                lambda storage, location: storage):
        _assert_same(dict(sd), ad.load(path, map_location=loc))
    _assert_same(dict(sd), ad.load(path, weights_only=False))  # never unpickles either way
    with pytest.raises(RuntimeError, match="CPU only"):
        ad.load(path, map_location="cuda:0")
    with pytest.raises(TypeError, match="lambda|function"):
        ad.save({"f": lambda: 1}, path)
    _assert_same(dict(sd), ad.load(path))  # the failed save left the file as it was
    with pytest.raises(IsADirectoryError):
        ad.save(sd, tmp_path)


@pytest.mark.parametrize("make_opt", [
    lambda ps: __import__("optim").Adam(ps, lr=0.05, amsgrad=True),
    lambda ps: __import__("optim").SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: __import__("optim").RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    lambda ps: __import__("optim").AdamW(ps, lr=0.05, weight_decay=0.1),
    lambda ps: __import__("optim").Adagrad(ps, lr=0.1),
    lambda ps: __import__("optim").Adadelta(ps),
    lambda ps: __import__("optim").Rprop(ps, lr=0.01),
], ids=["adam", "sgd", "rmsprop", "adamw", "adagrad", "adadelta", "rprop"])
def test_training_checkpoint_round_trip_continues_identically(tmp_path, make_opt):
    import autodiff.nn.functional as F
    from autodiff import optim
    rng = np.random.default_rng(1)
    x = ad.tensor(rng.standard_normal((16, 3)).astype(np.float32))
    y = ad.tensor(rng.integers(0, 2, 16))

    def step(model, opt, sched):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()

    model = _model()
    opt = make_opt(model.parameters())
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        step(model, opt, sched)
    path = tmp_path / "ckpt.pt"
    ad.save({"epoch": 3, "model_state_dict": model.state_dict(),
             "optimizer_state_dict": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    ck = ad.load(path, weights_only=True)
    assert ck["epoch"] == 3
    model2 = _model()
    model2.load_state_dict(ck["model_state_dict"])
    opt2 = make_opt(model2.parameters())
    opt2.load_state_dict(ck["optimizer_state_dict"])
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    sched2.load_state_dict(ck["scheduler"])
    _assert_same(opt.state_dict()["param_groups"], opt2.state_dict()["param_groups"])
    for _ in range(3):
        step(model, opt, sched)
        step(model2, opt2, sched2)
    for (k, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_array_equal(a._data, b._data, err_msg=k)
