"""autodiff.data: datasets, samplers, DataLoader, random_split, load_digits, read_idx."""
import collections
import gzip
import struct

import numpy as np
import pytest

import autodiff as ad
import autodiff.data as D
from autodiff.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    load_digits,
    random_split,
    read_idx,
)


def _xy(n=10):
    X = ad.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = ad.tensor(np.arange(n))
    return X, y


class ListDataset(Dataset):
    def __init__(self, items):
        self.items = items

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


# ---- datasets ----------------------------------------------------------------------------------
def test_tensor_dataset_items_and_len():
    X, y = _xy(5)
    ds = TensorDataset(X, y)
    assert len(ds) == 5
    x2, y2 = ds[2]
    np.testing.assert_array_equal(x2._data, [6, 7, 8])
    assert int(y2.item()) == 2


def test_tensor_dataset_accepts_ndarrays_and_rejects_mismatch():
    ds = TensorDataset(np.zeros((4, 2)), np.arange(4))
    assert len(ds) == 4 and isinstance(ds[0][0], ad.Tensor)
    with pytest.raises(ValueError, match=r"4.*3|size mismatch"):
        TensorDataset(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(TypeError):
        TensorDataset([1, 2, 3])


def test_subset_and_concat():
    ds = ListDataset(list(range(10)))
    sub = Subset(ds, [7, 3, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [7, 3, 5]
    cat = ds + ListDataset([100, 101])
    assert isinstance(cat, ConcatDataset) and len(cat) == 12
    assert cat[10] == 100 and cat[-1] == 101 and cat[3] == 3
    with pytest.raises(IndexError):
        cat[12]


# ---- random_split ------------------------------------------------------------------------------
def test_random_split_counts_partition_and_repeat_with_seed():
    ds = ListDataset(list(range(20)))
    ad.manual_seed(3)
    a, b = random_split(ds, [15, 5])
    assert len(a) == 15 and len(b) == 5
    items = sorted([a[i] for i in range(15)] + [b[i] for i in range(5)])
    assert items == list(range(20))
    ad.manual_seed(3)
    a2, _ = random_split(ds, [15, 5])
    assert a2.indices == a.indices
    assert a.indices != list(range(15))


def test_random_split_fractions_like_torch():
    ds = ListDataset(list(range(10)))
    # floor(10*.33)=3 each, remainder 1 goes to the first split
    parts = random_split(ds, [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]
    with pytest.warns(UserWarning, match="index 1 is 0"):
        parts = random_split(ListDataset([1, 2]), [0.9, 0.1])
    assert [len(p) for p in parts] == [2, 0]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="sum of input lengths"):
        random_split(ListDataset(list(range(10))), [3, 3])
    with pytest.raises(ValueError):
        random_split(ListDataset(list(range(10))), [1.5, -0.5])


def test_random_split_generator_argument():
    ds = ListDataset(list(range(30)))
    a, _ = random_split(ds, [10, 20], generator=np.random.default_rng(5))
    b, _ = random_split(ds, [10, 20], generator=np.random.default_rng(5))
    assert a.indices == b.indices
    with pytest.raises(TypeError):
        random_split(ds, [10, 20], generator=5)


# ---- collate -----------------------------------------------------------------------------------
def test_default_collate_types():
    b = default_collate([1.5, 2.5])
    assert b.dtype == np.float64 and b.tolist() == [1.5, 2.5]
    b = default_collate([1, 2])
    assert b.dtype == np.int64
    b = default_collate([True, False])
    assert b.dtype == np.bool_
    b = default_collate([np.ones(2, np.float64), np.zeros(2, np.float64)])
    assert isinstance(b, ad.Tensor) and b.dtype == np.float64 and b.shape == (2, 2)
    b = default_collate([np.float32(1), np.float32(2)])
    assert b.dtype == np.float32 and b.shape == (2,)
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_default_collate_recurses_tuple_dict_namedtuple():
    t = lambda v: ad.tensor(np.full((2,), v, np.float32))  # noqa: E731
    out = default_collate([(t(0), {"k": 1, "s": t(5)}), (t(1), {"k": 2, "s": t(6)})])
    assert isinstance(out, list) and len(out) == 2  # tuples give a list, as in torch
    np.testing.assert_array_equal(out[0]._data, [[0, 0], [1, 1]])
    assert out[1]["k"].tolist() == [1, 2]
    np.testing.assert_array_equal(out[1]["s"]._data, [[5, 5], [6, 6]])
    P = collections.namedtuple("P", "a b")
    out = default_collate([P(1, 2.0), P(3, 4.0)])
    assert isinstance(out, P) and out.a.tolist() == [1, 3] and out.b.dtype == np.float64


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        default_collate([ad.zeros(2), ad.zeros(3)])


def test_collate_keeps_graph_of_tensors_requiring_grad():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    b = ad.tensor([3.0, 4.0], requires_grad=True)
    out = default_collate([a, b])
    (out * ad.tensor([[1.0, 1.0], [2.0, 2.0]])).sum().backward()
    np.testing.assert_array_equal(a.grad._data, [1, 1])
    np.testing.assert_array_equal(b.grad._data, [2, 2])


# ---- DataLoader --------------------------------------------------------------------------------
def test_loader_batches_in_order_and_len():
    X, y = _xy(10)
    dl = DataLoader(TensorDataset(X, y), batch_size=4)
    assert len(dl) == 3
    batches = list(dl)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert isinstance(batches[0], list)
    np.testing.assert_array_equal(np.concatenate([b[1]._data for b in batches]), np.arange(10))
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    dl = DataLoader(TensorDataset(X, y), batch_size=4, drop_last=True)
    assert len(dl) == 2 and len(list(dl)) == 2


def test_loader_fast_path_equals_generic_collate():
    X, y = _xy(9)
    ds = TensorDataset(X, y)
    fast = list(DataLoader(ds, batch_size=4))
    slow = list(DataLoader(ds, batch_size=4, collate_fn=lambda b: default_collate(b)))
    for f, s in zip(fast, slow):
        for a, b in zip(f, s):
            np.testing.assert_array_equal(a._data, b._data)
            assert a.dtype == b.dtype


def test_loader_shuffle_repeats_with_manual_seed_and_changes_per_epoch():
    ds = ListDataset(list(range(50)))
    dl = DataLoader(ds, batch_size=50, shuffle=True)
    ad.manual_seed(11)
    e1, e2 = next(iter(dl)).tolist(), next(iter(dl)).tolist()
    ad.manual_seed(11)
    assert next(iter(dl)).tolist() == e1
    assert sorted(e1) == list(range(50)) and e1 != list(range(50)) and e1 != e2


def test_loader_generator_argument():
    ds = ListDataset(list(range(20)))
    a = next(iter(DataLoader(ds, 20, shuffle=True, generator=np.random.default_rng(1)))).tolist()
    b = next(iter(DataLoader(ds, 20, shuffle=True, generator=np.random.default_rng(1)))).tolist()
    assert a == b


def test_loader_batch_size_none_and_samplers():
    ds = ListDataset([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 2 and isinstance(items[0], ad.Tensor) and items[0].shape == (2,)
    ds = ListDataset(list(range(6)))
    dl = DataLoader(ds, sampler=[5, 0, 3], batch_size=2)
    assert [b.tolist() for b in dl] == [[5, 0], [3]]
    dl = DataLoader(ds, batch_sampler=[[1, 2, 3], [0]])
    assert [b.tolist() for b in dl] == [[1, 2, 3], [0]] and len(dl) == 2
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=False)
    assert list(bs) == [[0, 1, 2, 3], [4, 5]] and len(bs) == 2


def test_random_sampler_replacement_and_num_samples():
    ds = ListDataset(list(range(5)))
    s = RandomSampler(ds, replacement=True, num_samples=12)
    draws = list(s)
    assert len(draws) == 12 and all(0 <= d < 5 for d in draws)
    s = RandomSampler(ds, num_samples=7)
    draws = list(s)
    assert len(draws) == 7 and sorted(draws[:5]) == list(range(5))


def test_loader_argument_errors():
    ds = ListDataset(list(range(6)))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)


def test_num_workers_runs_in_process_with_same_batches():
    X, y = _xy(12)
    ds = TensorDataset(X, y)
    ad.manual_seed(4)
    a = [b[1].tolist() for b in DataLoader(ds, 5, shuffle=True, num_workers=2, pin_memory=True)]
    ad.manual_seed(4)
    b = [b[1].tolist() for b in DataLoader(ds, 5, shuffle=True)]
    assert a == b


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    dl = DataLoader(Stream(), batch_size=3)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)


def test_subset_of_tensor_dataset_through_loader():
    X, y = _xy(10)
    sub = Subset(TensorDataset(X, y), [9, 2, 4])
    (xb, yb), = list(DataLoader(sub, batch_size=3))
    assert yb.tolist() == [9, 2, 4]
    np.testing.assert_array_equal(xb._data, X._data[[9, 2, 4]])


def test_loader_dict_samples():
    ds = ListDataset([{"x": np.float32(i), "y": i} for i in range(4)])
    b = next(iter(DataLoader(ds, batch_size=4)))
    assert b["x"].dtype == np.float32 and b["y"].tolist() == [0, 1, 2, 3]


def test_collate_matches_torch_structure():
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as tcollate
    batch = [(np.ones(2, np.float32) * i, i, float(i), {"a": i}) for i in range(3)]
    ours, theirs = default_collate(batch), tcollate(batch)
    assert type(ours) is type(theirs)
    for o, t in zip(ours[:3], theirs[:3]):
        np.testing.assert_array_equal(o._data, t.numpy())
        assert o._data.dtype == t.numpy().dtype
    assert ours[3]["a"].tolist() == theirs[3]["a"].tolist()


def test_random_split_fraction_lengths_match_torch():
    torch = pytest.importorskip("torch")
    for n, fr in [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (101, [0.7, 0.2, 0.1])]:
        ours = [len(s) for s in random_split(ListDataset(list(range(n))), fr)]
        theirs = [len(s) for s in torch.utils.data.random_split(range(n), fr)]
        assert ours == theirs


# ---- load_digits -------------------------------------------------------------------------------
def test_load_digits_shapes_range_and_determinism():
    pytest.importorskip("sklearn")
    Xtr, ytr, Xte, yte = load_digits()
    assert Xtr.shape == (1438, 1, 8, 8) and Xte.shape == (359, 1, 8, 8)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert ytr.shape == (1438,) and yte.shape == (359,)
    assert Xtr._data.min() == 0.0 and Xtr._data.max() == 1.0
    assert set(np.unique(yte._data)) == set(range(10))
    ad.manual_seed(123)
    Xtr2, ytr2, _, _ = load_digits(flatten=True)
    assert Xtr2.shape == (1438, 64)
    np.testing.assert_array_equal(Xtr2._data, Xtr._data.reshape(-1, 64))
    np.testing.assert_array_equal(ytr2._data, ytr._data)
    # train and test are disjoint pieces of the 1797 images
    from sklearn.datasets import load_digits as sk
    total = sk().data.shape[0]
    assert len(ytr) + len(yte) == total
    with pytest.raises(ValueError):
        load_digits(test_fraction=1.5)


# ---- read_idx ----------------------------------------------------------------------------------
def _idx_bytes(arr, code):
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_read_idx_raw_and_gzip(tmp_path):
    imgs = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / "images-idx3-ubyte"
    p.write_bytes(_idx_bytes(imgs, 0x08))
    out = read_idx(p)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, imgs)
    g = tmp_path / "labels.gz"
    labels = np.array([5, 0, 4], np.uint8)
    g.write_bytes(gzip.compress(_idx_bytes(labels, 0x08)))
    np.testing.assert_array_equal(read_idx(str(g)), labels)


@pytest.mark.parametrize("dtype,code", [(np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                        (np.float32, 0x0D), (np.float64, 0x0E)])
def test_read_idx_types_big_endian(tmp_path, dtype, code):
    arr = (np.arange(6).reshape(3, 2) * (-7 if np.dtype(dtype).kind != "f" else 1.25)).astype(dtype)
    p = tmp_path / "x.idx"
    p.write_bytes(_idx_bytes(arr, code))
    out = read_idx(p)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_read_idx_errors(tmp_path):
    good = _idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)
    p = tmp_path / "f"
    p.write_bytes(b"\x08\x03" + good[2:])
    with pytest.raises(ValueError, match="magic"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x07\x02" + good[4:])
    with pytest.raises(ValueError, match="magic"):
        read_idx(p)
    p.write_bytes(good[:-1])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(p)
    p.write_bytes(good[:6])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(p)
    p.write_bytes(good[:2])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(p)
    p.write_bytes(good + b"\x00")
    with pytest.raises(ValueError, match="trailing"):
        read_idx(p)
    p.write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(p)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


def test_data_module_importable_as_submodule():
    import importlib
    assert importlib.import_module("autodiff.data") is D


def test_ring_of_gaussians():
    c = D.ring_centers(8, 2.0)
    assert c.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 2.0)
    ad.manual_seed(0)
    x = D.ring_of_gaussians(4000, std=0.05)
    assert x.shape == (4000, 2) and x.dtype == np.float32
    d = np.linalg.norm(x._data[:, None, :] - c[None], axis=-1)
    near = d.argmin(1)
    assert np.all(d.min(1) < 0.05 * 5)
    counts = np.bincount(near, minlength=8)
    assert counts.min() > 400  # every mode drawn, roughly 500 each
    resid = x._data - c[near]
    np.testing.assert_allclose(resid.std(0), 0.05, rtol=0.1)
    ad.manual_seed(0)
    np.testing.assert_array_equal(D.ring_of_gaussians(4000, std=0.05)._data, x._data)


def test_loader_accepts_torch_worker_options():
    ds = ListDataset(list(range(4)))
    calls = []
    dl = DataLoader(ds, batch_size=2, num_workers=2, worker_init_fn=calls.append,
                    prefetch_factor=2, persistent_workers=True, timeout=5)
    assert [b.tolist() for b in dl] == [[0, 1], [2, 3]] and calls == [0]
    assert D.get_worker_info() is None
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="timeout"):
        DataLoader(ds, timeout=-1)


def test_loader_signature_matches_torch():
    torch = pytest.importorskip("torch")
    import inspect
    ours = inspect.signature(DataLoader).parameters
    theirs = inspect.signature(torch.utils.data.DataLoader).parameters
    for name in ["dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers",
                 "collate_fn", "pin_memory", "drop_last", "timeout", "worker_init_fn",
                 "generator", "prefetch_factor", "persistent_workers"]:
        assert name in ours
        if name not in ("generator",):
            assert ours[name].default == theirs[name].default or name == "shuffle", name
    assert list(ours)[:9] == list(theirs)[:9]
