"""The engine's random state: one NumPy Generator, reseeded by ``manual_seed``.

Every random draw in the engine and in ``nn`` (init, dropout, shuffling) goes through
``generator()``, so ``ad.manual_seed(n)`` makes a run repeatable.
"""
from __future__ import annotations

import numpy as np

_gen = np.random.default_rng()
_seed = None


def manual_seed(seed):
    """Seed every random draw of autodiff and nn. Returns the generator."""
    global _gen, _seed
    _seed = int(seed)
    _gen = np.random.default_rng(_seed)
    return _gen


seed = manual_seed


def initial_seed():
    return _seed


def generator():
    return _gen


def get_rng_state():
    return _gen.bit_generator.state


def set_rng_state(state):
    _gen.bit_generator.state = state
