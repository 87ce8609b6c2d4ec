"""Random state: ``ad.Generator`` objects and the default one, reseeded by ``manual_seed``.

Every random draw in the engine and in ``nn`` (init, dropout, shuffling) goes through
``generator()`` (the default generator's NumPy ``Generator``), so ``ad.manual_seed(n)`` makes a
run repeatable. Functions that take PyTorch's ``generator=`` keyword (``randn``, ``rand``,
``randint``, ``randperm``, ``multinomial``, ``normal``, ``bernoulli``, ``Tensor.normal_``,
``uniform_``, ..., samplers and ``random_split``) draw from that ``ad.Generator`` instead: an
independent stream, untouched by ``manual_seed`` and not advancing the default one.

Deliberate difference: the streams are NumPy's PCG64, so the numbers differ from PyTorch's
(Mersenne Twister) for the same seed; the guarantees (same seed, same numbers; generators
independent of each other and of the global seed) are PyTorch's.
"""
from __future__ import annotations

import secrets

import numpy as np

# PyTorch's default seed of a fresh ``torch.Generator()``: two fresh generators give the
# same stream, as there
DEFAULT_SEED = 67280421310721


class Generator:
    """``ad.Generator(device="cpu")``: an independent random stream (PyTorch's
    ``torch.Generator``). ``manual_seed(n)`` reseeds it and returns it, so
    ``g = ad.Generator().manual_seed(2147483647)`` works; ``seed()`` reseeds from the
    operating system and returns the seed; ``initial_seed()``; ``get_state()`` /
    ``set_state(state)`` save and restore the stream (a uint8 Tensor)."""

    def __init__(self, device="cpu"):
        from .device import check_device
        self.device = check_device(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < -(2 ** 63) or seed >= 2 ** 64:
            raise RuntimeError(f"manual_seed: seed must be within the range "
                               f"[-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff] (got {seed})")
        self._seed = seed % 2 ** 64  # PyTorch maps a negative seed the same way
        self._gen = np.random.default_rng(self._seed)
        return self

    def seed(self):
        s = secrets.randbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The stream's state as a uint8 Tensor of 32 bytes (PCG64's state and increment)."""
        from .tensor import Tensor
        st = self._gen.bit_generator.state["state"]
        raw = st["state"].to_bytes(16, "little") + st["inc"].to_bytes(16, "little")
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        raw = np.asarray(new_state, dtype=np.uint8).tobytes()
        if len(raw) != 32:
            raise RuntimeError(f"set_state: expected a uint8 tensor of 32 bytes from "
                               f"get_state() (got {len(raw)} bytes)")
        bg = self._gen.bit_generator
        state = bg.state
        state["state"] = {"state": int.from_bytes(raw[:16], "little"),
                          "inc": int.from_bytes(raw[16:], "little")}
        state["has_uint32"] = 0
        state["uinteger"] = 0
        bg.state = state
        return self

    def __repr__(self):
        return f"<autodiff.Generator object at {id(self):#x}>"


default_generator = Generator()
default_generator._seed = None
default_generator._gen = np.random.default_rng()
_gen = default_generator._gen
_seed = None


def manual_seed(seed):
    """Seed every random draw of autodiff and nn. Returns the default generator
    (``ad.default_generator``), as PyTorch."""
    global _gen, _seed
    default_generator.manual_seed(seed)
    _gen = default_generator._gen
    _seed = default_generator._seed
    return default_generator


def seed():
    """Reseed the default generator from the operating system; returns the seed."""
    return manual_seed(secrets.randbits(63)).initial_seed()


def initial_seed():
    return default_generator._seed


def generator():
    return default_generator._gen


def resolve(generator=None, op="generator"):
    """The NumPy ``Generator`` to draw from for a ``generator=`` argument: the default stream
    for None, the stream of an ``ad.Generator``, or a NumPy ``Generator`` itself."""
    if generator is None:
        return default_generator._gen
    if isinstance(generator, Generator):
        return generator._gen
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{op}: generator must be an autodiff.Generator (or a numpy.random."
                    f"Generator) or None (got {type(generator).__name__})")


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
