"""``ad.save`` / ``ad.load`` (also ``nn.save`` / ``nn.load``): checkpoints as ``.npz``, no pickle.

The object (nested dicts, lists and tuples of Tensors, ndarrays, numbers, strings, bools and
None: a model's state_dict, an optimizer's state_dict, an epoch number) is split into arrays,
stored under flattened keys (path parts joined by ``/``), and a JSON schema (entry
``__schema__``) that rebuilds the nesting, key types included (an optimizer's integer keys
come back as integers).

Writing is atomic: the archive goes to a temporary file beside the target, which then replaces
it (``os.replace``), so a crash mid-save leaves the old file intact. A save over an existing
file keeps its permission bits, and a save to a symbolic link writes to the link's target. The
temporary file is named ``.<name>.<host>.<pid>.<token>.autodiff-tmp``; a process killed mid-save
leaves it behind, and the next save of the same path removes it (when that pid is gone).

Reading never trusts the file: every ``.npy`` header is parsed by this module (no ``tokenize``,
no pickle), each declared array size must match the bytes the archive holds (and those the
archive's size allows) before anything is allocated, and every failure on a file that could be
opened is a ``ValueError`` naming the file.

The engine does not import ``nn``: a saved ``nn.Parameter`` is recognised by class, and
``nn.parameter`` is imported only when a file holding one is loaded.
"""
from __future__ import annotations

import ast
import hashlib
import io
import json
import math
import os
import secrets
import stat
import struct
import sys
import zipfile

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

_SCHEMA = "__schema__"
_FORMAT = "autodiff-checkpoint-1"
_TMP_SUFFIX = ".autodiff-tmp"
_MAX_HEADER = 10000      # bytes of one .npy header (NumPy's own default limit)
_MAX_DEFLATE_RATIO = 1040  # deflate cannot expand more than ~1032:1
_NPY_MAGIC = b"\x93NUMPY"


# ---- the object <-> (schema, arrays) mapping -----------------------------------------------------
def _parameter_class():
    """``nn.Parameter`` if ``nn`` has been imported (the engine never imports it)."""
    for name in ("nn.parameter", "autodiff.nn.parameter"):
        mod = sys.modules.get(name)
        if mod is not None and hasattr(mod, "Parameter"):
            return mod.Parameter
    return None


def _flatten(obj, path, arrays, param_cls):
    """JSON-able description of ``obj``; arrays go into ``arrays`` under unique keys."""
    def put(arr):
        key = "/".join(path) or "value"
        key = key.replace("\\", "_")
        base, i = key, 1
        while key in arrays or key == _SCHEMA:
            key = f"{base}#{i}"
            i += 1
        arr = np.asarray(arr)
        if arr.dtype.hasobject or arr.dtype.kind == "V":
            raise TypeError(f"save: cannot store an array of dtype {arr.dtype} at "
                            f"{'/'.join(path)!r} without pickle")
        arrays[key] = arr
        return key

    if param_cls is not None and isinstance(obj, param_cls):
        return {"__parameter__": put(obj._data), "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, Tensor):
        if obj.requires_grad:  # as torch.save: it loads as a leaf that requires grad
            return {"__tensor__": put(obj._data), "requires_grad": True}
        return {"__tensor__": put(obj._data)}
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
                raise TypeError(f"save: dict keys must be str, int, float or bool (got "
                                f"{type(k).__name__} at {'/'.join(path)!r})")
            items.append([k, _flatten(v, path + [str(k)], arrays, param_cls)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        kind = "__list__" if isinstance(obj, list) else "__tuple__"
        return {kind: [_flatten(v, path + [str(i)], arrays, param_cls)
                       for i, v in enumerate(obj)]}
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at "
                    f"{'/'.join(path) or 'the top level'!r} (Tensors, ndarrays, numbers, strings, "
                    "None and dicts/lists/tuples of them only)")


class _Corrupt(Exception):
    """A specific reason why a file is not a valid checkpoint (becomes a ValueError)."""


def _unflatten(desc, arrays):
    if desc is None or isinstance(desc, (bool, int, float, str)):
        return desc
    if not isinstance(desc, dict) or len(desc) == 0:
        raise _Corrupt("malformed schema")

    def get(key):
        if not isinstance(key, str) or key not in arrays:
            raise _Corrupt(f"the schema refers to a missing array {key!r}")
        return arrays[key]

    if "__parameter__" in desc:
        from nn.parameter import Parameter  # only files holding a Parameter need nn
        return Parameter(get(desc["__parameter__"]),
                         requires_grad=desc.get("requires_grad") is True)
    if "__tensor__" in desc:
        arr = get(desc["__tensor__"])
        if desc.get("requires_grad") is True:
            return Tensor(arr, requires_grad=True)
        return Tensor._make(arr)
    if "__ndarray__" in desc:
        return get(desc["__ndarray__"])
    if "__scalar__" in desc:
        arr = get(desc["__scalar__"])
        if arr.ndim != 0:
            raise _Corrupt(f"the schema's scalar {desc['__scalar__']!r} is not 0-dimensional")
        return arr[()]
    if "__dict__" in desc:
        out = {}
        for item in desc["__dict__"]:
            if not isinstance(item, list) or len(item) != 2:
                raise _Corrupt("malformed schema")
            k, v = item
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise _Corrupt("malformed schema")
            out[k] = _unflatten(v, arrays)
        return out
    if "__list__" in desc:
        return [_unflatten(v, arrays) for v in _as_list(desc["__list__"])]
    if "__tuple__" in desc:
        return tuple(_unflatten(v, arrays) for v in _as_list(desc["__tuple__"]))
    raise _Corrupt("malformed schema")


def _as_list(x):
    if not isinstance(x, list):
        raise _Corrupt("malformed schema")
    return x


# ---- writing -------------------------------------------------------------------------------------
def _write_entry(zf, name, array):
    """Write one array as ``name.npy`` into the open zip file."""
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)


def _write_archive(fh, obj):
    arrays = {}
    try:
        schema = _flatten(obj, [], arrays, _parameter_class())
        meta = json.dumps({"format": _FORMAT, "root": schema})
    except RecursionError:
        raise ValueError("save: the object is nested too deeply to store") from None
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_entry(zf, _SCHEMA, np.frombuffer(meta.encode("utf-8"), dtype=np.uint8))
        for key, arr in arrays.items():
            _write_entry(zf, key, arr)


def _host_tag():
    return hashlib.sha1(os.uname().nodename.encode() if hasattr(os, "uname") else b"?")\
        .hexdigest()[:8]


def _tmp_prefix(base):
    if len(base) > 180:  # keep the temporary name within the 255-byte limit
        base = hashlib.sha1(base.encode("utf-8", "surrogateescape")).hexdigest()
    return f".{base}."


def _pid_alive(pid):
    if pid == os.getpid() or os.name != "posix":
        return True  # another thread of this process may be saving; on Windows: don't guess
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _remove_stale_temps(folder, base):
    """Delete temporary files left by killed saves of ``folder/base`` on this host."""
    prefix, host = _tmp_prefix(base), _host_tag()
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_TMP_SUFFIX)):
            continue
        parts = name[len(prefix):-len(_TMP_SUFFIX)].split(".")
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            continue
        if _pid_alive(int(parts[1])):
            continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj, f, pickle_module=None, pickle_protocol=None):
    """Write ``obj`` to ``f`` (a path, or a binary file object) as an ``.npz`` archive.

    ``obj``: a ``state_dict``, an optimizer's ``state_dict``, or any nesting of dicts, lists and
    tuples of Tensors, Parameters, ndarrays, NumPy scalars, numbers, strings, bools and None
    (e.g. ``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``).
    Anything else raises TypeError: nothing is ever pickled. PyTorch's ``torch.save``
    spelling; ``pickle_module`` and ``pickle_protocol`` are accepted and ignored.

    To a path the write is atomic (a temporary file in the same folder, then ``os.replace``):
    after a crash the old file is intact. An existing file keeps its permission bits; a
    symbolic link keeps pointing at its target, which receives the new contents. A file
    object receives the archive directly (not atomic).
    """
    if hasattr(f, "write"):
        _write_archive(f, obj)
        return
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    target = os.path.realpath(path)  # write through symbolic links to their target
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: {path!r} is a directory")
    folder, base = os.path.split(target)
    _remove_stale_temps(folder, base)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: 0o666 less the umask, applied by os.open
    tmp = os.path.join(folder, f"{_tmp_prefix(base)}{_host_tag()}.{os.getpid()}."
                               f"{secrets.token_hex(4)}{_TMP_SUFFIX}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, obj)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


# ---- reading -------------------------------------------------------------------------------------
def _convert_hint(name):
    return ("Convert it once where PyTorch is installed:\n"
            "    import numpy as np, torch\n"
            f"    sd = torch.load({name!r}, weights_only=True)  # a state_dict\n"
            "    np.savez('model.npz', **{k: v.numpy() for k, v in sd.items()})\n"
            "(or autodiff.save with the same dict), then "
            "model.load_state_dict(autodiff.load('model.npz')).")


def _read_exact(f, n):
    data = f.read(n)
    if len(data) != n:
        raise _Corrupt("unexpected end of data")
    return data


def _parse_npy_header(text):
    """``(dtype, fortran_order, shape)`` from a ``.npy`` header dict literal."""
    try:
        d = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise _Corrupt("unreadable array header") from None
    if not isinstance(d, dict) or set(d) != {"descr", "fortran_order", "shape"}:
        raise _Corrupt("malformed array header")
    descr, fortran, shape = d["descr"], d["fortran_order"], d["shape"]
    if not isinstance(fortran, bool) or not isinstance(shape, tuple) or any(
            type(n) is not int or n < 0 for n in shape):
        raise _Corrupt("malformed array header")
    if not isinstance(descr, str):
        raise _Corrupt("structured arrays are not supported")
    try:
        dtype = np.dtype(descr)
    except Exception:
        raise _Corrupt(f"unknown dtype {descr[:40]!r}") from None
    if dtype.hasobject:
        raise _Corrupt("it holds Python objects, which could only be read with pickle")
    if dtype.kind == "V" or dtype.names is not None or dtype.subdtype is not None \
            or dtype.itemsize == 0:
        raise _Corrupt(f"unsupported dtype {dtype}")
    return dtype, fortran, shape


def _read_member(zf, info, archive_size):
    key = info.filename[:-4]
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Corrupt(f"array {key!r} uses an unsupported compression")
    if info.compress_size > archive_size or info.header_offset + info.compress_size > archive_size:
        raise _Corrupt(f"array {key!r} extends past the end of the file")
    limit = info.compress_size if info.compress_type == zipfile.ZIP_STORED else \
        info.compress_size * _MAX_DEFLATE_RATIO + 1024
    if info.file_size > limit:
        raise _Corrupt(f"array {key!r} declares {info.file_size} bytes, more than the file holds")
    with zf.open(info) as m:
        magic = _read_exact(m, 8)
        if magic[:6] != _NPY_MAGIC:
            raise _Corrupt(f"member {info.filename!r} is not a .npy array")
        major = magic[6]
        if major == 1:
            (hlen,), hsize = struct.unpack("<H", _read_exact(m, 2)), 2
        elif major in (2, 3):
            (hlen,), hsize = struct.unpack("<I", _read_exact(m, 4)), 4
        else:
            raise _Corrupt(f"array {key!r} has an unknown .npy version {major}")
        if hlen > _MAX_HEADER:
            raise _Corrupt(f"array {key!r} has an oversized header")
        raw = _read_exact(m, hlen)
        try:
            text = raw.decode("utf-8" if major == 3 else "latin1")
        except UnicodeDecodeError:
            raise _Corrupt(f"array {key!r} has an unreadable header") from None
        dtype, fortran, shape = _parse_npy_header(text)
        nbytes = math.prod(shape) * dtype.itemsize
        held = info.file_size - 8 - hsize - hlen
        if nbytes != held:
            raise _Corrupt(f"array {key!r} declares shape {shape} of {dtype} ({nbytes} bytes) "
                           f"but the file holds {max(held, 0)} bytes for it")
        buf = bytearray(nbytes)
        view, got = memoryview(buf), 0
        while got < nbytes:
            n = m.readinto(view[got:])
            if not n:
                raise _Corrupt(f"array {key!r} is truncated")
            got += n
        if m.read(1):  # reading to the end also makes zipfile check the CRC
            raise _Corrupt(f"array {key!r} has trailing data")
    arr = np.frombuffer(buf, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    if not dtype.isnative:
        arr = arr.astype(dtype.newbyteorder("="))
    return key, arr


def _is_torch_archive(names):
    return any(n == "data.pkl" or n.endswith("/data.pkl") or n.endswith("/constants.pkl")
               for n in names)


def _read(fh, name):
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    head = fh.read(8)
    fh.seek(0)
    if head[:1] == b"\x80":
        raise ValueError(f"load: {name!r} is a pickle file (e.g. pickle.dump, or torch.save with "
                         "_use_new_zipfile_serialization=False); autodiff never unpickles files. "
                         + _convert_hint(name))
    if head[:6] == _NPY_MAGIC:
        raise _Corrupt("it is a single .npy array (numpy.save), not a checkpoint; read it with "
                       "numpy.load and wrap it with autodiff.tensor")
    if head[:2] != b"PK":
        raise _Corrupt("it is not an .npz archive")
    with zipfile.ZipFile(fh) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if _is_torch_archive(names):
            raise ValueError(f"load: {name!r} is a PyTorch checkpoint (a torch.save zip archive "
                             "holding a pickle); autodiff never unpickles files. "
                             + _convert_hint(name))
        arrays = {}
        for info in infos:
            if info.is_dir():
                continue
            if not info.filename.endswith(".npy"):
                raise _Corrupt(f"member {info.filename[:80]!r} is not a .npy array")
            key, arr = _read_member(zf, info, size)
            if key in arrays:
                raise _Corrupt(f"array {key!r} appears twice")
            arrays[key] = arr
    if _SCHEMA not in arrays:
        return {k: Tensor._make(v) for k, v in arrays.items()}
    schema = arrays.pop(_SCHEMA)
    if schema.dtype != np.uint8 or schema.ndim != 1:
        raise _Corrupt("malformed schema")
    try:
        meta = json.loads(schema.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Corrupt("unreadable schema") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT or "root" not in meta:
        raise _Corrupt("unknown checkpoint format")
    return _unflatten(meta["root"], arrays)


def _check_map_location(map_location):
    if map_location is None or callable(map_location):
        return  # a function remapping storages: everything is on the CPU already
    from .device import check_device
    if isinstance(map_location, dict):
        for v in map_location.values():
            check_device(v)
        return
    check_device(map_location)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Read a checkpoint written by ``save`` (``f``: a path or a binary file object).

    Returns the saved object: Tensors come back as Tensors (Parameters as Parameters),
    ndarrays as ndarrays, containers with their key types. A plain ``.npz`` without our
    schema (e.g. ``numpy.savez``) loads as a dict ``name -> Tensor``.

    PyTorch's ``torch.load`` spelling. Unlike PyTorch, nothing is ever unpickled, whatever
    ``weights_only`` says (its value is accepted and has no effect); ``map_location`` may be
    None, the CPU in any spelling, a dict of CPU devices or a function (ignored: everything is
    on the CPU); other devices raise. ``mmap`` and ``pickle_*`` arguments are ignored.

    A missing file raises ``FileNotFoundError``. Anything wrong with the file's contents
    raises ``ValueError`` naming the file: pickles and ``torch.save`` archives (with how to
    convert them), truncated, corrupt or foreign files, and arrays whose declared size the
    file cannot hold (checked before any allocation).
    """
    _check_map_location(map_location)
    if hasattr(f, "read"):
        name = getattr(f, "name", "<file object>")
        if not (hasattr(f, "seek") and f.seekable()):
            f = io.BytesIO(f.read())
        return _load_from(f, name)
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    with open(path, "rb") as fh:  # a missing or unreadable file raises OSError as usual
        return _load_from(fh, path)


def _load_from(fh, name):
    try:
        return _read(fh, name)
    except ValueError as e:
        if str(e).startswith("load: "):
            raise
        msg = f"load: {name!r} is not a valid checkpoint ({type(e).__name__}: {e})"
    except _Corrupt as e:
        msg = f"load: {name!r} is not a valid checkpoint: {e}"
    except Exception as e:  # zipfile, zlib, struct, OSError on a corrupt file, ...
        msg = f"load: {name!r} is corrupt or not an .npz checkpoint ({type(e).__name__}: {e})"
    raise ValueError(msg)
