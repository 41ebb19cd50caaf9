"""Seeded randomness for initializers, shuffling and dropout.

lamina draws every random number from NumPy ``Generator`` objects it owns and
never touches NumPy's global state. ``lamina.utils.set_random_seed(seed)``
resets the global generator, which makes CPU runs bit-identical. An object
given its own ``seed`` (an initializer, a Dropout layer) uses a generator of
its own made from that seed.

Example:
    >>> from lamina import random
    >>> random.set_global_seed(1); a = random.global_generator().random()
    >>> random.set_global_seed(1); a == random.global_generator().random()
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeedGenerator", "global_generator", "set_global_seed", "make_generator"]

_GLOBAL = [np.random.default_rng()]


def set_global_seed(seed: int) -> None:
    """Reset lamina's global generator to ``seed``."""
    _GLOBAL[0] = np.random.default_rng(int(seed))


def global_generator() -> np.random.Generator:
    """The generator used by everything that was not given a seed of its own."""
    return _GLOBAL[0]


class SeedGenerator:
    """A seeded stream of random numbers owned by one object (Keras's ``SeedGenerator``).

    Args:
        seed: an int, or ``None`` to draw the seed from the global generator.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs):
        if seed is None:
            seed = int(global_generator().integers(0, 2**31 - 1))
        self.seed = int(seed)
        self.name = name
        self.generator = np.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


def make_generator(seed) -> np.random.Generator:
    """A generator for ``seed``: an int, a ``SeedGenerator``, a Generator, or ``None`` (global)."""
    if seed is None:
        return global_generator()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(int(seed))
