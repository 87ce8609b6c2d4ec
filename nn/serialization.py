"""``nn.save`` / ``nn.load``: checkpoints as ``.npz`` archives, never pickle.

The object (nested dicts, lists and tuples of Tensors, ndarrays, numbers, strings, bools and
None: a model's state_dict, an optimizer's state_dict, an epoch number) is split into arrays,
stored under flattened keys (path parts joined by ``/``), and a JSON schema (entry
``__schema__``) that rebuilds the nesting, key types included (an optimizer's integer keys
come back as integers). The archive is written to a temporary file in the target folder and
then ``os.replace``d, so a crash mid-save leaves the old file intact.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np

from autodiff.tensor import Tensor

from .parameter import Parameter

_SCHEMA = "__schema__"
_FORMAT = "autodiff-checkpoint-1"


def _flatten(obj, path, arrays):
    """JSON-able description of ``obj``; arrays go into ``arrays`` under unique keys."""
    def put(arr):
        key = "/".join(path) or "value"
        key = key.replace("\\", "_")
        base, i = key, 1
        while key in arrays or key == _SCHEMA:
            key = f"{base}#{i}"
            i += 1
        arr = np.asarray(arr)
        if arr.dtype.kind in "OV":
            raise TypeError(f"nn.save: cannot store an array of dtype {arr.dtype} at "
                            f"{'/'.join(path)!r} without pickle")
        arrays[key] = arr
        return key

    if isinstance(obj, Parameter):
        return {"__parameter__": put(obj.data), "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, Tensor):
        return {"__tensor__": put(obj.data)}
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": put(obj)}
    if isinstance(obj, np.generic):
        return {"__scalar__": put(np.asarray(obj))}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"nn.save: dict keys must be str, int, float or bool (got "
                                f"{type(k).__name__} at {'/'.join(path)!r})")
            items.append([k, _flatten(v, path + [str(k)], arrays)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        kind = "__list__" if isinstance(obj, list) else "__tuple__"
        return {kind: [_flatten(v, path + [str(i)], arrays) for i, v in enumerate(obj)]}
    raise TypeError(f"nn.save: cannot store an object of type {type(obj).__name__} at "
                    f"{'/'.join(path) or 'the top level'!r} (Tensors, ndarrays, numbers, strings, "
                    "None and dicts/lists/tuples of them only)")


def _unflatten(desc, arrays):
    if desc is None or isinstance(desc, (bool, int, float, str)):
        return desc
    if isinstance(desc, list):  # not produced by _flatten; tolerate
        return [_unflatten(v, arrays) for v in desc]
    if not isinstance(desc, dict) or len(desc) == 0:
        raise ValueError("nn.load: malformed checkpoint schema")

    def get(key):
        if key not in arrays:
            raise ValueError(f"nn.load: checkpoint schema refers to a missing array {key!r}")
        return arrays[key]

    if "__parameter__" in desc:
        return Parameter(get(desc["__parameter__"]), requires_grad=desc.get("requires_grad", True))
    if "__tensor__" in desc:
        return Tensor._make(get(desc["__tensor__"]))
    if "__ndarray__" in desc:
        return get(desc["__ndarray__"])
    if "__scalar__" in desc:
        return get(desc["__scalar__"])[()]
    if "__dict__" in desc:
        return {k: _unflatten(v, arrays) for k, v in desc["__dict__"]}
    if "__list__" in desc:
        return [_unflatten(v, arrays) for v in desc["__list__"]]
    if "__tuple__" in desc:
        return tuple(_unflatten(v, arrays) for v in desc["__tuple__"])
    raise ValueError("nn.load: malformed checkpoint schema")


def _write_entry(zf, name, array):
    """Write one array as ``name.npy`` into the open zip file."""
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(obj, path):
    """Write ``obj`` (e.g. ``{"model": model.state_dict(), "optim": opt.state_dict(),
    "epoch": 3}``) to ``path`` as an ``.npz`` archive, atomically."""
    arrays = {}
    schema = _flatten(obj, [], arrays)
    meta = json.dumps({"format": _FORMAT, "root": schema})
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED,
                                 allowZip64=True) as zf:
                _write_entry(zf, _SCHEMA, np.frombuffer(meta.encode("utf-8"), dtype=np.uint8))
                for key, arr in arrays.items():
                    _write_entry(zf, key, arr)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path):
    """Read a checkpoint written by ``save``. Pickled, corrupt or foreign files raise
    ``ValueError`` (nothing is ever unpickled). A plain ``.npz`` without a schema loads as a
    dict ``name -> Tensor``."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise ValueError(f"nn.load: {path!r} is a bare .npy array, not a checkpoint")
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise
    except ValueError as e:
        raise ValueError(f"nn.load: {path!r} is not a valid checkpoint ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ValueError(f"nn.load: {path!r} is corrupt or not an .npz checkpoint "
                         f"({type(e).__name__}: {e})") from None
    if _SCHEMA not in arrays:
        return {k: Tensor._make(v) for k, v in arrays.items()}
    try:
        meta = json.loads(arrays.pop(_SCHEMA).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"nn.load: {path!r} has a corrupt schema ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError(f"nn.load: {path!r} has an unknown checkpoint format")
    return _unflatten(meta["root"], arrays)
